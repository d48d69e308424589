// What `glassbox state diff -- COMMAND...` runs: exposed for its unit test.
#pragma once

#include <string>
#include <vector>

namespace engine::cli {

// The argv of the child that runs COMMAND against `host` ("unix:///path"): this binary, then
// "-H host" unless COMMAND names a daemon itself among its global options, then COMMAND with a
// leading "glassbox" (or ".../glassbox") dropped. Every other word passes through untouched.
std::vector<std::string> state_diff_child_argv(const std::string& host, std::vector<std::string> command);

} // namespace engine::cli
