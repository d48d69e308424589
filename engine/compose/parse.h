// Reading compose files: find the file (compose.yaml first, as Compose prefers it), read .env,
// parse the YAML with yaml-cpp, interpolate variables, check keys and types, and fill the model
// (model.h). Every error names the file, the 1-based line and the key path, e.g.
//   compose.yaml:7: services.web.ports: expected a list, got a mapping
// A document whose aliases expand to more than k_max_node_visits nodes is refused before it is
// read ("excessive aliasing"), so a "billion laughs" file cannot exhaust the CLI's memory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/compose/interpolation.h"
#include "engine/compose/model.h"

namespace engine::compose {

inline constexpr int k_max_node_visits = 100000;
// Deeper documents are refused too; so is an alias used inside its own anchor, a cycle.
inline constexpr int k_max_node_depth = 256;

// The names Compose looks for, in its order of preference.
inline const std::vector<std::string> k_default_file_names = {
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
};

struct LoadOptions {
    std::vector<std::string> files; // -f; empty: search working_dir for k_default_file_names.
    std::string project_name; // -p; empty: COMPOSE_PROJECT_NAME, `name:`, then the folder.
    std::string working_dir; // --project-directory; empty: the first file's folder, or cwd.
    std::string env_file; // --env-file; empty: <working_dir>/.env when it exists.
    Environment environment; // The process environment (it wins over .env, as in Compose).
};

// What load_project found besides the model (so the CLI can say which file it used).
struct LoadReport {
    std::vector<std::string> files;
    std::vector<std::string> skipped; // Other default names present but not used.
    std::string env_file; // "" when no .env was read.
};

// The first of k_default_file_names present in `directory` (absolute path), with the others
// that also exist in `skipped`. NotFound names the directory and the names tried.
Result<std::string> find_compose_file(
    const std::string& directory, std::vector<std::string>* skipped = nullptr);

// Reads the project: locates the file, reads .env, parses and validates.
Result<Project> load_project(const LoadOptions& options, LoadReport* report = nullptr);

// Parses one compose document already read into memory. `file_name` is used in errors;
// relative paths resolve against `working_dir`; `project_name` must already be normalised
// (empty: the document's `name:` or the folder's name).
Result<Project> parse_project(std::string_view yaml, const std::string& file_name,
    const std::string& working_dir, const Environment& environment,
    const std::string& project_name = {});

// Compose's normalisation: lower case, only [a-z0-9_-] kept, leading '_'/'-' dropped.
std::string normalize_project_name(std::string_view name);

// Splits a command string as a POSIX shell would split words (quotes and backslashes; no
// expansion), as Compose does for `command: echo "a b"`.
Result<std::vector<std::string>> split_command(std::string_view text);

// "1m30s", "500ms", "10s", "2h" -> nanoseconds; error on anything else.
Result<std::int64_t> parse_duration_ns(std::string_view text);
// "512m", "1g", "1gb", "100k", "1024" -> bytes.
Result<std::int64_t> parse_bytes(std::string_view text);

} // namespace engine::compose
