// Bind mount propagation (see mount_propagation.h).
#include "engine/runtime/mount_propagation.h"

#include <sys/mount.h>

#include <climits>
#include <cstdlib>

#include "engine/base/strings.h"

namespace engine::runtime {

unsigned long propagation_flags(const std::string& mode)
{
    unsigned long recursive = mode.size() > 1 && mode[0] == 'r' ? MS_REC : 0;
    std::string base = recursive ? mode.substr(1) : mode;
    if (base == "shared")
        return MS_SHARED | recursive;
    if (base == "slave")
        return MS_SLAVE | recursive;
    if (base == "private")
        return MS_PRIVATE | recursive;
    return 0;
}

// Unescapes the octal escapes (\040 for a space) that /proc/self/mountinfo uses in paths.
std::string unescape_mountinfo(std::string_view text)
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            int value = 0;
            bool octal = true;
            for (size_t j = 1; j <= 3; ++j) {
                char c = text[i + j];
                if (c < '0' || c > '7') {
                    octal = false;
                    break;
                }
                value = value * 8 + (c - '0');
            }
            if (octal) {
                out += static_cast<char>(value);
                i += 3;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

Result<void> check_propagation_source(sys::Kernel& kernel, const std::string& source, const std::string& mode)
{
    bool wants_shared = mode == "shared" || mode == "rshared";
    bool wants_slave = mode == "slave" || mode == "rslave";
    if (!wants_shared && !wants_slave)
        return Ok {};
    char resolved[PATH_MAX];
    std::string path = ::realpath(source.c_str(), resolved) ? std::string(resolved) : source;
    auto table = TRY_CTX(kernel.read_file("/proc/self/mountinfo"), "check the propagation of " + source);
    // The mount that holds `path` is the one with the longest mount point that contains it.
    std::string mount_point;
    std::string optional;
    for (const auto& line : strings::split(table, '\n')) {
        auto fields = strings::split(line, ' ');
        if (fields.size() < 7)
            continue;
        auto point = unescape_mountinfo(fields[4]);
        bool contains = point == "/" || path == point || strings::starts_with(path, point + "/");
        if (!contains || point.size() < mount_point.size())
            continue;
        mount_point = point;
        optional.clear();
        for (std::size_t i = 6; i < fields.size() && fields[i] != "-"; ++i)
            optional += fields[i] + " ";
    }
    if (mount_point.empty())
        return Ok {};
    bool shared = optional.find("shared:") != std::string::npos;
    bool slave = optional.find("master:") != std::string::npos;
    if (wants_shared && !shared)
        return Error::system("path " + source + " is mounted on " + mount_point + " but it is not a shared mount");
    if (wants_slave && !shared && !slave)
        return Error::system("path " + source + " is mounted on " + mount_point + " but it is not a shared or slave mount");
    return Ok {};
}

} // namespace engine::runtime
