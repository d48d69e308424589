// `glassbox lesson ...` (commands/lesson.cpp): guided lessons through engine/lesson/runner.h.
#pragma once

#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_lesson_command(CLI::App& parent, Context& ctx);

} // namespace engine::cli
