#include "engine/base/user_dirs.h"

#include <unistd.h>

#include <cstdlib>

namespace engine::user_dirs {

namespace {

std::string env(const char* name)
{
    const char* value = std::getenv(name);
    return value && *value == '/' ? std::string(value) : std::string();
}

} // namespace

std::string default_root()
{
    if (::geteuid() == 0)
        return "/var/lib/glassbox";
    if (auto data = env("XDG_DATA_HOME"); !data.empty())
        return data + "/glassbox";
    if (auto home = env("HOME"); !home.empty())
        return home + "/.local/share/glassbox";
    return "/tmp/glassbox-" + std::to_string(::geteuid()) + "/data";
}

std::string default_run_root()
{
    if (::geteuid() == 0)
        return "/run/glassbox";
    if (auto runtime = env("XDG_RUNTIME_DIR"); !runtime.empty() && ::access(runtime.c_str(), W_OK) == 0)
        return runtime + "/glassbox";
    return "/tmp/glassbox-" + std::to_string(::geteuid());
}

Result<std::string> resolve_kernel(const std::string& choice, std::string& reason)
{
    if (choice == "real")
        return std::string("real");
    if (choice == "sim") {
        reason = "glassboxd --kernel=sim";
        return std::string("sim");
    }
    if (choice == "auto" || choice.empty()) {
        if (::geteuid() == 0)
            return std::string("real");
        reason = "--kernel=auto and not root (uid " + std::to_string(::geteuid())
            + "): containers need root on the real kernel, so the simulated kernel runs them";
        return std::string("sim");
    }
    return Error::invalid("--kernel: unknown kernel \"" + choice + "\" (want real, sim or auto)");
}

} // namespace engine::user_dirs
