// Variable substitution in compose files, as Compose does it: $VAR, ${VAR}, ${VAR:-default}
// (unset or empty), ${VAR-default} (unset), ${VAR:?error} / ${VAR?error} (required),
// ${VAR:+alternative} / ${VAR+alternative}, and $$ for a literal dollar sign. Defaults may
// themselves contain variables. Also the .env file format: KEY=VALUE lines, `export ` allowed,
// '#' comments, single quotes literal, double quotes with \n escapes.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/result.h"

namespace engine::compose {

using Environment = std::map<std::string, std::string>;

// Substitutes every variable in `text` from `env`. Fails on a required variable that is unset
// (or empty, with ":?"), with Compose's message "required variable X is missing a value: ...",
// and on malformed syntax ("invalid interpolation format").
Result<std::string> interpolate(std::string_view text, const Environment& env);

// Parses a .env (or env_file) file. Errors name `file_name` and the 1-based line.
Result<Environment> parse_env_file(std::string_view text, const std::string& file_name);

// Like parse_env_file but keeps the order of the file (env_file entries keep theirs).
Result<std::vector<std::pair<std::string, std::string>>> parse_env_lines(
    std::string_view text, const std::string& file_name);

} // namespace engine::compose
