#include "engine/network/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "engine/base/fd.h"

namespace engine::network {

Result<void> create_netns_file(sys::Kernel& kernel, const std::string& path)
{
    {
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
        if (!fd.valid())
            return Error::from_errno("create netns file " + path, errno);
    }
    Result<void> result = Ok {};
    std::thread worker([&] {
        auto unshared = kernel.unshare(CLONE_NEWNET);
        if (!unshared.ok()) {
            result = unshared.release_error().with_context("unshare network namespace");
            return;
        }
        result = kernel.mount({ .source = "/proc/thread-self/ns/net", .target = path, .fstype = "",
            .flags = MS_BIND, .data = "" });
    });
    worker.join();
    if (!result.ok()) {
        ::unlink(path.c_str());
        return result.release_error().with_context("create network namespace " + path);
    }
    return Ok {};
}

Result<void> remove_netns_file(sys::Kernel& kernel, const std::string& path)
{
    if (::access(path.c_str(), F_OK) != 0)
        return Ok {};
    auto unmounted = kernel.umount(path, MNT_DETACH);
    if (!unmounted.ok() && unmounted.error().code() != EINVAL) // EINVAL: not a mount point.
        return unmounted.release_error().with_context("remove network namespace " + path);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return Error::from_errno("remove netns file " + path, errno);
    return Ok {};
}

} // namespace engine::network
