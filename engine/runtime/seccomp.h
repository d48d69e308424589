// Seccomp for container processes: glassbox's default filter, loaded with libseccomp as the last
// step before execve. It refuses (EPERM) the system calls Docker's default profile refuses to a
// container with Docker's default capabilities: the kernel keyring, io_uring, BPF, perf, module
// and kexec calls, reboot, swap and accounting, mount and namespace calls unless the container
// has CAP_SYS_ADMIN, AF_ALG and AF_VSOCK sockets, personality() with other than the usual
// flags, and clone() with namespace flags. Unlike Docker's profile (an allow-list of about 360
// calls) it is a deny-list: a call the kernel adds tomorrow is allowed. Kernel docs:
// userspace-api/seccomp_filter.rst.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace engine::runtime {

// The value of ContainerSpec::seccomp_profile_json that selects the default filter.
inline constexpr std::string_view k_default_seccomp_profile = "glassbox:default";

// The profile a container gets: none with --privileged or with `--security-opt
// seccomp=unconfined` (also "seccomp:unconfined"), the default otherwise. `seccomp=<profile>`
// comes back as it is; apply_seccomp_profile() refuses it (Docker's JSON profile format is not
// read yet, and a container must not silently run with less filtering than it asked for).
std::string seccomp_profile_for(bool privileged, const std::vector<std::string>& security_opt);

// Loads the filter `profile` names into the calling thread, with the no_new_privs bit that an
// unprivileged filter needs. `capabilities` is the process's final capability mask (bit
// CAP_SYS_ADMIN lifts the mount and namespace rules, as in Docker). "" loads nothing; any
// profile but k_default_seccomp_profile is Unsupported.
Result<void> apply_seccomp_profile(std::string_view profile, std::uint64_t capabilities);

// The names of the system calls the default filter refuses outright on this architecture (for
// tests and `docker info`).
std::vector<std::string> default_refused_syscalls();

} // namespace engine::runtime
