#include "engine/sys/netns.h"

#include <fcntl.h>

#include <cerrno>
#include <thread>

#include "engine/base/fd.h"

namespace engine::sys {

Result<void> run_in_netns(Kernel& kernel, const std::string& path, const std::function<Result<void>()>& body)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("open network namespace " + path, errno);
    Result<void> result = Ok {};
    std::thread worker([&] {
        auto entered = kernel.set_namespace(fd, NamespaceKind::Network);
        if (!entered.ok()) {
            result = entered.release_error().with_context("enter network namespace " + path);
            return;
        }
        result = body();
    });
    worker.join();
    return result;
}

} // namespace engine::sys
