// Starting and supervising container processes. The daemon is PR_SET_CHILD_SUBREAPER, so a
// container's PID 1 (created two forks down, because CLONE_NEWPID applies to children) is
// reparented to it and waited on with waitpid(pid). Kernel interfaces: clone/fork, unshare(2),
// setns(2), mount(2), pivot_root(2), capset(2), prctl(2), cgroupfs, ptys.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/runtime/cgroup.h"
#include "engine/runtime/container_spec.h"
#include "engine/sys/kernel.h"

namespace engine::runtime {

// A started process and the daemon's ends of its stdio. With a TTY, `pty_master` carries both
// directions and the other fds are invalid; without one, stdin is a pipe (only if open_stdin)
// and stdout and stderr are separate pipes, so the log keeps them apart.
struct StartedProcess {
    pid_t pid { -1 };          // Host PID of the container's PID 1 (or of the exec'd process).
    UniqueFd stdin_fd;
    UniqueFd stdout_fd;
    UniqueFd stderr_fd;
    UniqueFd pty_master;
    // When the start's steps ended, for the daemon's phase trace (steady_clock, which is
    // CLOCK_MONOTONIC and so comparable with a child's clock): the cgroup was made, the
    // intermediate process had joined it and the new namespaces, and the process exec'd.
    // Left at the epoch where a step did not happen (no cgroup, an exec).
    struct Timings {
        std::chrono::steady_clock::time_point cgroup_created;
        std::chrono::steady_clock::time_point namespaces_joined;
        std::chrono::steady_clock::time_point exec_seen;
    } timings;
};

// Must be called once by the daemon (and by tests) before starting containers.
Result<void> become_subreaper();
// The soft open-file limit the daemon started with, before it raised its own (glassboxd's main):
// containers and exec'd processes are given it back before their execve, as a program started
// from the same shell would have it (a select(2) loop past 1024 descriptors fails cleanly then).
// 0 (the default) leaves the limit as inherited.
void set_container_open_file_limit(std::uint64_t soft_limit);

// Mounts the overlay root for `spec` (lowerdir, upperdir, workdir -> rootfs). Idempotent.
Result<void> mount_rootfs(sys::Kernel& kernel, const ContainerSpec& spec);
// Unmounts it again (lazily if busy). Succeeds if it is not mounted.
Result<void> unmount_rootfs(sys::Kernel& kernel, const ContainerSpec& spec);

// Creates the cgroup, then the process in fresh namespaces on the mounted rootfs, and returns
// once the process has exec'd the command (or with the error the child reported: "exec: \"nope\":
// executable file not found in $PATH", so the API can answer 400/127 as Docker does).
Result<StartedProcess> start_container(sys::Kernel& kernel, const ContainerSpec& spec);

// Starts `process` inside the namespaces and cgroup of the running container whose PID 1 is
// `container_pid`; same error contract as start_container.
Result<StartedProcess> exec_in_container(sys::Kernel& kernel, const ContainerSpec& spec, pid_t container_pid,
    const ProcessSpec& process);

// The exit code Docker records for a start or exec that failed with `error`: 127 when the command
// was not found, 126 when it could not be run (permission denied), 125 for anything else. Like
// moby's translateContainerdStartErr, this reads the error text the runtime produced.
int start_error_exit_code(const Error& error);

// Blocks until `pid` (a child of this process) exits; returns Docker's exit code:
// the exit status, or 128 + signal number when it was killed by a signal.
int wait_for_exit(pid_t pid);

// Sets the window size of a TTY process.
Result<void> resize_pty(int pty_master, std::uint16_t rows, std::uint16_t cols);

// Signal name or number ("TERM", "SIGKILL", "9") -> number. InvalidArgument naming the bad name.
Result<int> parse_signal(std::string_view name);
std::string signal_name(int signal); // 15 -> "SIGTERM"

} // namespace engine::runtime
