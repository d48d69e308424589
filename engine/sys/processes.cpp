// The real kernel's process operations behind sys::Kernel: kill(2), pidfd_open(2), waitpid(2).
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "engine/sys/kernel.h"

namespace engine::sys {

Result<void> linux_send_signal(pid_t pid, int signal)
{
    if (::kill(pid, signal) != 0)
        return Error::from_errno("kill " + std::to_string(pid) + " with signal " + std::to_string(signal), errno);
    return Ok {};
}

Result<UniqueFd> linux_exit_notification(pid_t pid)
{
    // glibc 2.36 has pidfd_open(); the raw call works with older headers too.
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0)
        return Error::from_errno("pidfd_open " + std::to_string(pid), errno);
    return UniqueFd(fd);
}

int linux_reap_exit(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1; // Not our child (ECHILD): someone else reaped it.
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

Result<void> Kernel::send_signal(pid_t pid, int signal) { return linux_send_signal(pid, signal); }
Result<UniqueFd> Kernel::exit_notification(pid_t pid) { return linux_exit_notification(pid); }
int Kernel::reap_exit(pid_t pid) { return linux_reap_exit(pid); }

} // namespace engine::sys
