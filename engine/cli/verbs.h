// The CLI's top-level verbs in one table, so main() can build only the verb it was asked for.
// Building all of them (about 60 commands and hundreds of flags in CLI11) took about 3 ms of
// every `glassbox` start, more than a whole round trip to the daemon.
#pragma once

#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/cli/context.h"

namespace engine::cli {

// Registers every top-level verb on `app`, in the order `glassbox --help` lists them.
void add_all_verbs(CLI::App& app, Context& ctx);

// The names of the top-level verbs add_all_verbs registers.
std::vector<std::string_view> verb_names();

// The verb of a command line: its first argument after the global flags (-H/--host, --root,
// --run-root, --kernel with their values, -D/--debug). Empty when a global flag is spelled in a
// form this does not know, or when a later argument is itself a verb's name (CLI11 may match
// it against the sibling verbs), so the caller builds every verb and CLI11 decides as before.
std::string_view verb_to_build(int argc, const char* const* argv);

// Registers just the verb `name`; false if no verb has that name.
bool add_verb(CLI::App& app, Context& ctx, std::string_view name);

} // namespace engine::cli
