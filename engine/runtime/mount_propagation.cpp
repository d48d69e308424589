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

bool is_shared_mode(const std::string& mode) { return mode == "shared" || mode == "rshared"; }

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

std::optional<HoldingMount> holding_mount(std::string_view mountinfo, const std::string& path)
{
    std::optional<HoldingMount> found;
    for (const auto& line : strings::split(std::string(mountinfo), '\n')) {
        auto fields = strings::split(line, ' ');
        if (fields.size() < 7)
            continue;
        auto point = unescape_mountinfo(fields[4]);
        bool contains = point == "/" || path == point || strings::starts_with(path, point + "/");
        // Later lines win a tie: a mount stacked on the same point hides the one below.
        if (!contains || (found && point.size() < found->point.size()))
            continue;
        HoldingMount mount { .point = point };
        for (std::size_t i = 6; i < fields.size() && fields[i] != "-"; ++i) {
            mount.shared = mount.shared || strings::starts_with(fields[i], "shared:");
            mount.slave = mount.slave || strings::starts_with(fields[i], "master:");
        }
        found = mount;
    }
    return found;
}

Result<void> check_propagation_source(sys::Kernel& kernel, const std::string& source, const std::string& mode)
{
    bool wants_shared = is_shared_mode(mode);
    bool wants_slave = mode == "slave" || mode == "rslave";
    if (!wants_shared && !wants_slave)
        return Ok {};
    char resolved[PATH_MAX];
    std::string path = ::realpath(source.c_str(), resolved) ? std::string(resolved) : source;
    auto table = TRY_CTX(kernel.read_file("/proc/self/mountinfo"), "check the propagation of " + source);
    auto mount = holding_mount(table, path);
    if (!mount)
        return Ok {};
    if (wants_shared && !mount->shared)
        return Error::system("path " + source + " is mounted on " + mount->point + " but it is not a shared mount");
    if (wants_slave && !mount->shared && !mount->slave)
        return Error::system("path " + source + " is mounted on " + mount->point + " but it is not a shared or slave mount");
    return Ok {};
}

} // namespace engine::runtime
