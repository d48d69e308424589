// PATH lookup and the Docker wording of exec failures.
#include "engine/runtime/command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "engine/base/strings.h"

namespace engine::runtime {

std::string env_value(const std::vector<std::string>& env, const std::string& key, const std::string& fallback)
{
    std::string prefix = key + "=";
    for (const auto& entry : env) {
        if (strings::starts_with(entry, prefix))
            return entry.substr(prefix.size());
    }
    return fallback;
}

std::string exec_error_message(const std::string& command, int code)
{
    // Go's syscall.Errno strings are the lower-case strerror texts.
    std::string text = strings::to_lower(std::system_category().message(code));
    return "exec: \"" + command + "\": " + text;
}

Result<std::string> look_up_command(const std::string& command, const std::string& path_list)
{
    if (command.empty())
        return Error::invalid("exec: \"\": executable file not found in $PATH");
    auto executable = [](const std::string& path, int& code) {
        struct stat st { };
        if (::stat(path.c_str(), &st) != 0) {
            code = errno;
            return false;
        }
        if (S_ISDIR(st.st_mode) || (st.st_mode & 0111) == 0) {
            code = EACCES;
            return false;
        }
        code = 0;
        return true;
    };

    if (command.find('/') != std::string::npos) {
        int code = 0;
        if (!executable(command, code)) {
            if (code == ENOENT)
                return Error::invalid("exec: \"" + command + "\": stat " + command + ": no such file or directory");
            return Error::invalid(exec_error_message(command, code));
        }
        return command;
    }
    for (const auto& dir : strings::split(path_list, ':')) {
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + command;
        int code = 0;
        if (executable(candidate, code))
            return candidate;
    }
    return Error::invalid("exec: \"" + command + "\": executable file not found in $PATH");
}

} // namespace engine::runtime
