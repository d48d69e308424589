// `compose config`: the resolved model written back as YAML (variables substituted, paths made
// absolute, defaults filled in, the implicit default network shown), in Compose's key names.
#pragma once

#include <string>

#include "engine/compose/model.h"

namespace engine::compose {

std::string render_yaml(const Project& project);

} // namespace engine::compose
