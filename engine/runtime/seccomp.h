// Seccomp for container processes: glassbox's default filter, or a profile in Docker's JSON
// format, compiled with libseccomp in the daemon (once per profile and capability set) and loaded
// as ready BPF programs as one of the last steps before execve (build RUN steps too).
// The default filter is an allow-list with the facts of Docker's default profile: EPERM for
// every call not named; about 370 calls allowed to every container; the calls Docker ties to a
// capability (mount, unshare, setns and the new mount API to CAP_SYS_ADMIN, reboot to
// CAP_SYS_BOOT, kcmp to CAP_SYS_PTRACE, mbind to CAP_SYS_NICE, ...) allowed only with it; argument
// rules for personality() (the usual values only), socket() (no AF_ALG or AF_VSOCK) and clone()
// (no namespace flags without CAP_SYS_ADMIN; clone3 gets ENOSYS). The keyring, io_uring, BPF,
// perf, kexec and module calls are not on the list. Names the installed libseccomp does not know
// are skipped; calls numbered above the last one it knows get ENOSYS from a second filter, so a
// newer libc falls back as on an older kernel. Kernel docs: userspace-api/seccomp_filter.rst.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <memory>
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

// A profile compiled for one capability set: the classic BPF programs seccomp(2) takes, in the
// order they are loaded (the default filter has two: the allow-list, then the ENOSYS filter for
// calls newer than libseccomp). No program for "".
struct SeccompPrograms {
    std::vector<std::vector<sock_filter>> filters;
};

// Compiles the filter `profile` names for a process whose final capability mask is
// `capabilities`: the default filter's capability groups follow it, as in Docker, and a JSON
// profile's includes/excludes.caps are matched against it. "" compiles to nothing;
// k_default_seccomp_profile is the default filter; anything else is a JSON profile. Building
// the default filter with libseccomp takes milliseconds and profiles and capability sets repeat,
// so the daemon calls this before it forks and keeps the result in a small cache (safe to call
// from any thread): the same (profile, capabilities) gives the same programs back.
Result<std::shared_ptr<const SeccompPrograms>> compile_seccomp_profile(std::string_view profile,
    std::uint64_t capabilities);

// Loads `programs` into the calling thread, in order, with seccomp(2) and no flags, as
// libseccomp's seccomp_load does with SCMP_FLTATR_CTL_NNP cleared: no_new_privs is not set here,
// so the caller must hold CAP_SYS_ADMIN or have set no_new_privs itself. Allocates nothing unless
// it fails, so it is fit for a child forked from the threaded daemon.
Result<void> load_seccomp_programs(const SeccompPrograms& programs);

// compile_seccomp_profile, then load_seccomp_programs into the calling thread.
Result<void> apply_seccomp_profile(std::string_view profile, std::uint64_t capabilities);

// The names the default filter allows without looking at arguments to a process with
// `capabilities`, as resolved on this architecture (for tests).
std::vector<std::string> default_allowed_syscalls(std::uint64_t capabilities);

} // namespace engine::runtime
