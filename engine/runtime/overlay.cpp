// Mounting and unmounting the overlay root (mount_rootfs, unmount_rootfs).
#include "engine/runtime/overlay.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>

#include "engine/base/strings.h"
#include "engine/runtime/mount_propagation.h"
#include "engine/runtime/runtime.h"

namespace engine::runtime {

namespace {

Result<void> check_dir_field(std::string_view field, const std::string& path)
{
    if (path.empty())
        return Error::invalid("container spec: " + std::string(field) + " is empty");
    if (path.front() != '/')
        return Error::invalid("container spec: " + std::string(field) + " \"" + path + "\" is not absolute");
    if (path.find_first_of(",:") != std::string::npos)
        return Error::invalid("container spec: " + std::string(field) + " \"" + path
            + "\" contains ',' or ':', which overlayfs options cannot carry");
    return Ok {};
}

// The filesystem type mounted at `path` in this mount namespace, or "" if none is.
std::string mounted_fstype(sys::Kernel& kernel, const std::string& path)
{
    auto mountinfo = kernel.read_file("/proc/self/mountinfo");
    if (!mountinfo.ok())
        return "";
    std::string found;
    for (const auto& line : strings::split(mountinfo.value(), '\n')) {
        // "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw": field 5 is the
        // mount point, the type follows the " - " separator. The last match is the top mount.
        auto fields = strings::split(line, ' ');
        if (fields.size() < 5 || unescape_mountinfo(fields[4]) != path)
            continue;
        for (size_t i = 5; i + 1 < fields.size(); ++i) {
            if (fields[i] == "-") {
                found = fields[i + 1];
                break;
            }
        }
    }
    return found;
}

} // namespace

Result<std::string> overlay_mount_options(const ContainerSpec& spec)
{
    if (spec.lower_dirs.empty())
        return Error::invalid("container spec: lower_dirs is empty (an overlay needs at least one layer)");
    std::string lower;
    for (auto it = spec.lower_dirs.rbegin(); it != spec.lower_dirs.rend(); ++it) {
        TRY(check_dir_field("lower_dirs", *it));
        if (!lower.empty())
            lower += ':';
        lower += *it;
    }
    TRY(check_dir_field("upper_dir", spec.upper_dir));
    TRY(check_dir_field("work_dir", spec.work_dir));
    std::string options = "lowerdir=" + lower + ",upperdir=" + spec.upper_dir + ",workdir=" + spec.work_dir;

    // mount(2) copies at most one page of data; a longer string is cut off silently.
    long page = ::sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    if (options.size() >= static_cast<size_t>(page))
        return Error::invalid("overlay mount options for " + spec.rootfs + " are " + std::to_string(options.size())
            + " bytes, more than the kernel's limit of " + std::to_string(page - 1) + " (too many layers: "
            + std::to_string(spec.lower_dirs.size()) + ")");
    return options;
}

Result<void> mount_rootfs(sys::Kernel& kernel, const ContainerSpec& spec)
{
    auto options = TRY_CTX(overlay_mount_options(spec), "mount rootfs");
    TRY_CTX(check_dir_field("rootfs", spec.rootfs), "mount rootfs");
    if (mounted_fstype(kernel, spec.rootfs) == "overlay")
        return Ok {};
    for (const auto* dir : { &spec.upper_dir, &spec.work_dir, &spec.rootfs })
        TRY_CTX(kernel.make_dir(*dir, 0755), "mount rootfs");
    TRY_CTX(kernel.mount({ .source = "overlay", .target = spec.rootfs, .fstype = "overlay", .flags = 0, .data = options }),
        "mount rootfs");
    return Ok {};
}

Result<void> unmount_rootfs(sys::Kernel& kernel, const ContainerSpec& spec)
{
    if (spec.rootfs.empty() || mounted_fstype(kernel, spec.rootfs).empty())
        return Ok {};
    auto result = kernel.umount(spec.rootfs, 0);
    if (!result.ok() && result.error().code() == EBUSY)
        result = kernel.umount(spec.rootfs, MNT_DETACH);
    if (!result.ok() && result.error().code() != EINVAL && result.error().code() != ENOENT)
        return result.release_error().with_context("unmount rootfs");
    return Ok {};
}

Result<UniqueFd> detach_rootfs(sys::Kernel& kernel, const ContainerSpec& spec)
{
    if (spec.rootfs.empty() || mounted_fstype(kernel, spec.rootfs).empty())
        return UniqueFd {};
    // The top mount at the path, which mounted_fstype found to be the overlay. An open
    // descriptor makes the mount busy, so it can only be detached (MNT_DETACH), never unmounted.
    UniqueFd hold(::open(spec.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto result = kernel.umount(spec.rootfs, MNT_DETACH);
    if (!result.ok() && result.error().code() != EINVAL && result.error().code() != ENOENT)
        return result.release_error().with_context("unmount rootfs");
    return hold;
}

} // namespace engine::runtime
