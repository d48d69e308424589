#include "engine/base/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "engine/base/strings.h"

namespace engine::safe_path {

static_assert(NoSymlinks == RESOLVE_NO_SYMLINKS, "safe_path::NoSymlinks is RESOLVE_NO_SYMLINKS");

Result<UniqueFd> open_in_root(int root_fd, std::string_view relative, int flags, std::uint64_t resolve, mode_t mode)
{
    std::string path(relative);
    while (!path.empty() && path.front() == '/')
        path.erase(0, 1);
    if (path.empty())
        path = ".";
    open_how how {};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve;
    long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    if (fd < 0)
        return Error::from_errno("open /" + (path == "." ? std::string() : path), errno);
    return UniqueFd(static_cast<int>(fd));
}

std::vector<std::string> clean_components(std::string_view path)
{
    std::vector<std::string> parts;
    for (auto& part : strings::split(path, '/')) {
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    return parts;
}

std::string clean_relative(std::string_view path)
{
    return strings::join(clean_components(path), "/");
}

Result<UniqueFd> make_dirs_in_root(int root_fd, std::string_view path, mode_t mode, const OnCreated& on_created)
{
    auto cleaned = clean_relative(path);
    auto whole = open_in_root(root_fd, cleaned, O_RDONLY | O_DIRECTORY);
    if (whole.ok() || whole.error().code() != ENOENT)
        return whole;
    auto current = TRY(open_in_root(root_fd, "", O_RDONLY | O_DIRECTORY));
    std::string prefix;
    for (const auto& element : strings::split(cleaned, '/')) {
        prefix += (prefix.empty() ? "" : "/") + element;
        auto next = open_in_root(root_fd, prefix, O_RDONLY | O_DIRECTORY);
        if (!next.ok() && next.error().code() == ENOENT) {
            // The parent is a directory already resolved inside the root; mkdirat does not
            // follow a symlink in the last component, so the new directory is made right here.
            if (::mkdirat(current.get(), element.c_str(), mode) != 0 && errno != EEXIST)
                return Error::from_errno("mkdir /" + prefix, errno);
            if (on_created)
                TRY(on_created(current.get(), element, "/" + prefix));
            next = open_in_root(root_fd, prefix, O_RDONLY | O_DIRECTORY);
        }
        if (!next.ok())
            return next.release_error();
        current = next.release_value();
    }
    return current;
}

} // namespace engine::safe_path
