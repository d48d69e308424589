// Seccomp for container processes: glassbox's default filter, or a profile in Docker's JSON
// format, loaded with libseccomp as one of the last steps before execve (build RUN steps too). It refuses (EPERM) the system calls Docker's default profile refuses to a
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
// seccomp=unconfined` (also "seccomp:unconfined"), the default otherwise. `seccomp=<JSON>` (what
// the docker CLI sends for `--security-opt seccomp=profile.json`: the file's contents) comes
// back as the JSON text.
std::string seccomp_profile_for(bool privileged, const std::vector<std::string>& security_opt);

// A profile in Docker's JSON format (the one runc and dockerd read), as plain data.
struct SeccompArgument {
    unsigned index { 0 };        // Which argument, 0..5.
    std::uint64_t value { 0 };
    std::uint64_t value_two { 0 }; // The mask's expected value for SCMP_CMP_MASKED_EQ.
    int op { 0 };                  // enum scmp_compare.
};

struct SeccompRule {
    std::vector<std::string> names;
    std::uint32_t action { 0 };    // libseccomp action, errno included.
    std::vector<SeccompArgument> args;
    std::vector<std::string> include_caps; // The rule applies only with all of these.
    std::vector<std::string> exclude_caps; // ... and only without any of these.
    std::vector<std::string> include_arches;
    std::vector<std::string> exclude_arches;
};

struct SeccompProfile {
    std::uint32_t default_action { 0 };
    std::vector<std::uint32_t> architectures; // libseccomp arch tokens; the native one is always in.
    std::vector<SeccompRule> rules;
};

// Parses Docker's JSON profile: defaultAction, defaultErrnoRet, architectures, archMap,
// syscalls[{names (or name), action, errnoRet, args[{index, value, valueTwo, op}], includes,
// excludes}]. Unknown system call names are kept (libseccomp skips names this kernel lacks, as
// runc does). InvalidArgument names the field at fault, e.g. "syscalls[3].args[0].op: unknown
// operator \"SCMP_CMP_FOO\"". SCMP_ACT_NOTIFY is refused (no listener exists).
Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text);

// Checks the seccomp choice in `security_opt` at create time, so a bad profile is a 400 naming
// the field rather than a failed start.
Result<void> validate_seccomp_option(const std::vector<std::string>& security_opt);

// Loads the filter `profile` names into the calling thread. `capabilities` is the process's
// final capability mask (bit CAP_SYS_ADMIN lifts the default filter's mount and namespace rules,
// as in Docker; a JSON profile's includes/excludes.caps are matched against it). "" loads
// nothing; k_default_seccomp_profile loads the default filter; anything else is a JSON profile.
Result<void> apply_seccomp_profile(std::string_view profile, std::uint64_t capabilities);

// The names of the system calls the default filter refuses outright on this architecture (for
// tests and `docker info`).
std::vector<std::string> default_refused_syscalls();

} // namespace engine::runtime
