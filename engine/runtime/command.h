// Finding the program to run: args[0] looked up in $PATH from the process environment, as Go's
// exec.LookPath does for runc, so errors read exactly as Docker's ("exec: \"nope\": executable
// file not found in $PATH"). Runs inside the container, after pivot_root.
#pragma once

#include <string>
#include <vector>

#include "engine/base/result.h"

namespace engine::runtime {

// The PATH Docker gives a container that sets none.
inline constexpr const char* k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The value of `key` in "KEY=value" entries, or `fallback` when absent.
std::string env_value(const std::vector<std::string>& env, const std::string& key, const std::string& fallback);

// Resolves `command` to the path to execve. A name with a '/' is used as given (it must exist);
// a bare name is searched in `path_list` (':'-separated, an empty entry meaning "."). Errors:
// InvalidArgument with Docker's wording and errno ENOENT or EACCES in the message.
Result<std::string> look_up_command(const std::string& command, const std::string& path_list);

// Docker's message for an execve(2) failure with `code` on `command`.
std::string exec_error_message(const std::string& command, int code);

} // namespace engine::runtime
