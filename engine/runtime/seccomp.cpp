// See seccomp.h. The allowed set, the capability groups and the argument filters carry over the
// facts of Docker's default profile (moby/profiles seccomp/default.json); the lists are
// glassbox's own, grouped by what the calls are for.
#include "engine/runtime/seccomp.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>
#include <seccomp.h>

#include "engine/base/fd.h"
#include "engine/runtime/capabilities.h"

namespace engine::runtime {

namespace {

struct ContextDeleter {
    void operator()(scmp_filter_ctx context) const { seccomp_release(context); }
};
using ContextPtr = std::unique_ptr<void, ContextDeleter>;

// The default filter is an allow-list with the facts of Docker's default profile: a call not
// named here gets EPERM. These calls are allowed to every container, whatever its capabilities.
// Left out on purpose, as Docker leaves them out: the kernel keyring (keyctl, add_key,
// request_key: not namespaced), io_uring (its operations bypass seccomp), userfaultfd, kexec,
// swapon/swapoff, pivot_root, vm86, uselib, ustat, sysfs, nfsservctl and the other calls the
// groups below give only with a capability.
const std::vector<std::string_view>& allowed_to_all()
{
    static const std::vector<std::string_view> names {
        // Files and directories.
        "access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range", "creat", "dup",
        "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fchdir", "fchmod",
        "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "flock", "fstat",
        "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futimesat", "getcwd",
        "getdents", "getdents64", "lchown", "lchown32", "link", "linkat", "_llseek", "lseek", "lstat", "lstat64",
        "mkdir", "mkdirat", "mknod", "mknodat", "name_to_handle_at", "newfstatat", "open", "openat", "openat2",
        "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
        "readlinkat", "readv", "rename", "renameat", "renameat2", "rmdir", "sendfile", "sendfile64", "splice", "stat",
        "stat64", "statfs", "statfs64", "statmount", "listmount", "statx", "symlink", "symlinkat", "sync",
        "sync_file_range", "syncfs", "tee", "truncate", "truncate64", "umask", "unlink", "unlinkat", "utime",
        "utimensat", "utimensat_time64", "utimes", "vmsplice", "write", "writev", "cachestat",
        // Extended attributes.
        "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "getxattr", "getxattrat", "lgetxattr", "listxattr",
        "listxattrat", "llistxattr", "lremovexattr", "lsetxattr", "removexattr", "removexattrat", "setxattr",
        "setxattrat",
        // File change notification (fanotify_init itself needs CAP_SYS_ADMIN).
        "fanotify_mark", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
        // Pipes, and waiting for descriptors, events, timers.
        "pipe", "pipe2", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
        "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "poll", "ppoll", "ppoll_time64",
        "pselect6", "pselect6_time64", "select", "_newselect", "signalfd", "signalfd4", "timerfd_create",
        "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
        // Asynchronous I/O (the old io_* interface; io_uring stays out).
        "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit",
        "ioctl", "ioprio_get", "ioprio_set",
        // Memory.
        "brk", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mlock",
        "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap", "mseal", "msync", "munlock", "munlockall",
        "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
        // Processes, threads and exit.
        "execve", "execveat", "exit", "exit_group", "fork", "vfork", "wait4", "waitid", "waitpid", "getcpu",
        "get_robust_list", "set_robust_list", "get_thread_area", "set_thread_area", "set_tid_address", "gettid",
        "getpid", "getppid", "getpgid", "getpgrp", "setpgid", "getsid", "setsid", "prctl", "rseq", "restart_syscall",
        "pidfd_open", "pidfd_send_signal", "process_mrelease", "seccomp", "uretprobe",
        "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
        // Futexes.
        "futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake", "futex_requeue",
        // Identity and capabilities (the kernel checks CAP_SETUID and friends itself).
        "capget", "capset", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
        "getgroups32", "getresgid", "getresgid32", "getresuid", "getresuid32", "getuid", "getuid32", "setfsgid",
        "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setregid",
        "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setuid",
        "setuid32",
        // Limits, priorities, scheduling.
        "getpriority", "setpriority", "getrlimit", "setrlimit", "ugetrlimit", "prlimit64", "getrusage",
        "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
        "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
        // Signals.
        "kill", "tkill", "tgkill", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
        "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
        "sigaltstack", "sigprocmask", "sigreturn",
        // Time (reading it, sleeping, timers; setting the clock needs CAP_SYS_TIME). adjtimex and
        // clock_adjtime only read unless the caller has CAP_SYS_TIME, which the kernel checks.
        "adjtimex", "alarm", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
        "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "getitimer", "setitimer",
        "gettimeofday", "nanosleep", "time", "times", "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
        // System V and POSIX IPC (namespaced with the container's IPC namespace).
        "ipc", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64",
        "shmat", "shmctl", "shmdt", "shmget", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
        "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
        // Sockets (socket itself has an argument rule below).
        "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recv",
        "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto", "setsockopt",
        "shutdown", "socketcall", "socketpair",
        // The machine, read-only.
        "getrandom", "sysinfo", "uname",
        // Since kernel 4.8 a tracer can no longer bypass seccomp, so Docker allows these within
        // the container's PID namespace (the kernel's ptrace access checks still apply).
        "ptrace", "process_vm_readv", "process_vm_writev",
    };
    return names;
}

// Calls Docker allows only when the container has a capability (includes.caps).
struct CapabilityGroup {
    std::string_view capability;
    std::vector<std::string_view> names;
};

const std::vector<CapabilityGroup>& allowed_with_capability()
{
    static const std::vector<CapabilityGroup> groups {
        { "CAP_SYS_ADMIN",
            { "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
                "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount", "mount_setattr", "move_mount",
                "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns",
                "syslog", "umount", "umount2", "unshare" } },
        { "CAP_DAC_READ_SEARCH", { "open_by_handle_at" } },
        { "CAP_SYS_BOOT", { "reboot" } },
        { "CAP_SYS_CHROOT", { "chroot" } },
        { "CAP_SYS_MODULE", { "delete_module", "init_module", "finit_module" } },
        { "CAP_SYS_PACCT", { "acct" } },
        { "CAP_SYS_PTRACE", { "kcmp", "pidfd_getfd", "process_madvise" } },
        { "CAP_SYS_RAWIO", { "iopl", "ioperm" } },
        { "CAP_SYS_TIME", { "settimeofday", "stime", "clock_settime", "clock_settime64" } },
        { "CAP_SYS_TTY_CONFIG", { "vhangup" } },
        { "CAP_SYS_NICE", { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node" } },
        { "CAP_SYSLOG", { "syslog" } },
        { "CAP_BPF", { "bpf" } },
        { "CAP_PERFMON", { "perf_event_open" } },
    };
    return groups;
}

// Calls only some architectures have and need (includes.arches in Docker's profile).
std::vector<std::string_view> allowed_on_this_architecture()
{
    switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
        return { "arch_prctl", "modify_ldt" };
    case SCMP_ARCH_X86:
        return { "modify_ldt" };
    case SCMP_ARCH_AARCH64:
    case SCMP_ARCH_ARM:
        return { "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls" };
    case SCMP_ARCH_RISCV64:
        return { "riscv_flush_icache", "riscv_hwprobe" };
    default:
        return {};
    }
}

bool has_capability(std::uint64_t capabilities, std::string_view name)
{
    auto number = capability_number(name);
    return number.ok() && number.value() < 64 && ((capabilities >> number.value()) & 1U);
}

// Every name the default filter allows without looking at arguments, for `capabilities`.
std::set<std::string> allowed_outright(std::uint64_t capabilities)
{
    std::set<std::string> names;
    for (auto name : allowed_to_all())
        names.emplace(name);
    for (auto name : allowed_on_this_architecture())
        names.emplace(name);
    for (const auto& group : allowed_with_capability()) {
        if (has_capability(capabilities, group.capability)) {
            for (auto name : group.names)
                names.emplace(name);
        }
    }
    return names;
}

// A name libseccomp does not know (a call newer than the installed library, or one this
// architecture lacks) is skipped, as Docker does: the call then gets the default action.
Result<void> add_rule(scmp_filter_ctx context, std::uint32_t action, const std::string& name,
    const std::vector<scmp_arg_cmp>& args = {})
{
    int number = seccomp_syscall_resolve_name(name.c_str());
    if (number == __NR_SCMP_ERROR)
        return Ok {};
    int rc = seccomp_rule_add_array(context, action, number, static_cast<unsigned int>(args.size()), args.data());
    if (rc != 0)
        return Error::from_errno("seccomp: add the rule for " + name, -rc);
    return Ok {};
}

// The argument rules of Docker's profile, for a container without CAP_SYS_ADMIN where it says so.
Result<void> add_argument_rules(scmp_filter_ctx context, bool sys_admin)
{
    // personality(2): Linux, PER_LINUX32, UNAME26, both, and the query 0xffffffff; never
    // READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE, which weaken the container's memory layout.
    for (std::uint64_t value : { 0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL })
        TRY(add_rule(context, SCMP_ACT_ALLOW, "personality", { SCMP_A0(SCMP_CMP_EQ, value) }));

    // socket(2): every family but AF_ALG (38, kernel crypto, a frequent source of bugs) and
    // AF_VSOCK (40, the hypervisor's channel), as in current Docker profiles.
    TRY(add_rule(context, SCMP_ACT_ALLOW, "socket", { SCMP_A0(SCMP_CMP_LT, static_cast<scmp_datum_t>(AF_ALG)) }));
    TRY(add_rule(context, SCMP_ACT_ALLOW, "socket", { SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(AF_ALG + 1)) }));
    TRY(add_rule(context, SCMP_ACT_ALLOW, "socket", { SCMP_A0(SCMP_CMP_GT, static_cast<scmp_datum_t>(AF_VSOCK)) }));

    if (sys_admin)
        return Ok {}; // clone and clone3 are in the CAP_SYS_ADMIN group, unconditionally.
    // clone(2) without any namespace flag (a user namespace included, which Docker refuses as
    // well). clone3 passes its flags in memory a filter cannot read, so it gets ENOSYS and libc
    // falls back to clone.
    constexpr std::uint64_t namespace_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
        | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
    TRY(add_rule(context, SCMP_ACT_ALLOW, "clone", { SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags, 0) }));
    TRY(add_rule(context, SCMP_ACT_ERRNO(ENOSYS), "clone3"));
    return Ok {};
}

} // namespace

std::string seccomp_profile_for(bool privileged, const std::vector<std::string>& security_opt)
{
    std::string profile = privileged ? "" : std::string(k_default_seccomp_profile);
    for (const auto& option : security_opt) {
        if (option.rfind("seccomp=", 0) != 0 && option.rfind("seccomp:", 0) != 0)
            continue;
        auto value = option.substr(8);
        if (value == "unconfined")
            profile.clear();
        else if (value == "default" || value == "builtin")
            profile = std::string(k_default_seccomp_profile);
        else
            profile = value;
    }
    return profile;
}

// [SECTION] Docker's JSON profile format

namespace {

using Json = nlohmann::json;

// "SCMP_ACT_ERRNO" etc. -> libseccomp action; `errno_ret` fills ERRNO and TRACE.
Result<std::uint32_t> action_from(const Json& value, const std::string& field, std::uint32_t errno_ret)
{
    if (!value.is_string())
        return Error::invalid(field + ": expected a string such as \"SCMP_ACT_ERRNO\"");
    auto name = value.get<std::string>();
    if (name == "SCMP_ACT_ALLOW")
        return std::uint32_t { SCMP_ACT_ALLOW };
    if (name == "SCMP_ACT_ERRNO")
        return std::uint32_t { SCMP_ACT_ERRNO(errno_ret) };
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD")
        return std::uint32_t { SCMP_ACT_KILL_THREAD };
    if (name == "SCMP_ACT_KILL_PROCESS")
        return std::uint32_t { SCMP_ACT_KILL_PROCESS };
    if (name == "SCMP_ACT_TRAP")
        return std::uint32_t { SCMP_ACT_TRAP };
    if (name == "SCMP_ACT_TRACE")
        return std::uint32_t { SCMP_ACT_TRACE(errno_ret) };
    if (name == "SCMP_ACT_LOG")
        return std::uint32_t { SCMP_ACT_LOG };
    if (name == "SCMP_ACT_NOTIFY")
        return Error::invalid(field + ": SCMP_ACT_NOTIFY needs a listener, which glassbox does not run");
    return Error::invalid(field + ": unknown action \"" + name.substr(0, 40) + "\"");
}

Result<int> operator_from(const Json& value, const std::string& field)
{
    static const std::map<std::string, int> ops { { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE },
        { "SCMP_CMP_GT", SCMP_CMP_GT }, { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ } };
    if (!value.is_string())
        return Error::invalid(field + ": expected a string such as \"SCMP_CMP_EQ\"");
    auto it = ops.find(value.get<std::string>());
    if (it == ops.end())
        return Error::invalid(field + ": unknown operator \"" + value.get<std::string>().substr(0, 40) + "\"");
    return it->second;
}

// Docker's names ("SCMP_ARCH_X86_64") -> libseccomp tokens.
Result<std::uint32_t> arch_from(const Json& value, const std::string& field)
{
    if (!value.is_string())
        return Error::invalid(field + ": expected a string such as \"SCMP_ARCH_X86_64\"");
    auto name = value.get<std::string>();
    std::string lower;
    if (name.rfind("SCMP_ARCH_", 0) == 0) {
        for (char c : name.substr(10))
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::uint32_t token = lower.empty() ? 0 : seccomp_arch_resolve_name(lower.c_str());
    if (token == 0)
        return Error::invalid(field + ": unknown architecture \"" + name.substr(0, 40) + "\"");
    return token;
}

Result<std::uint64_t> number_from(const Json& value, const std::string& field)
{
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0))
        return Error::invalid(field + ": expected a non-negative integer");
    return value.get<std::uint64_t>();
}

Result<std::vector<std::string>> strings_from(const Json& value, const std::string& field)
{
    std::vector<std::string> out;
    if (value.is_null())
        return out;
    if (!value.is_array())
        return Error::invalid(field + ": expected an array of strings");
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string())
            return Error::invalid(field + "[" + std::to_string(i) + "]: expected a string");
        out.push_back(value[i].get<std::string>());
    }
    return out;
}

Result<void> check_keys(const Json& object, const std::string& field, std::initializer_list<const char*> known)
{
    if (!object.is_object())
        return Error::invalid(field + ": expected a JSON object");
    for (const auto& [key, unused] : object.items()) {
        (void)unused;
        if (std::none_of(known.begin(), known.end(), [&](const char* name) { return key == name; }))
            return Error::invalid((field.empty() ? "" : field + ".") + key.substr(0, 40) + ": unknown field");
    }
    return Ok {};
}

Result<void> read_filter(const Json& filter, const std::string& field, std::vector<std::string>& caps,
    std::vector<std::string>& arches)
{
    if (filter.is_null())
        return Ok {};
    TRY(check_keys(filter, field, { "caps", "arches", "minKernel" }));
    caps = TRY(strings_from(filter.value("caps", Json()), field + ".caps"));
    for (std::size_t i = 0; i < caps.size(); ++i)
        TRY_CTX(capability_number(caps[i]), field + ".caps[" + std::to_string(i) + "]");
    arches = TRY(strings_from(filter.value("arches", Json()), field + ".arches"));
    return Ok {};
}

Result<SeccompRule> rule_from(const Json& item, const std::string& field, std::uint32_t default_errno)
{
    TRY(check_keys(item, field, { "names", "name", "action", "args", "errnoRet", "includes", "excludes", "comment" }));
    SeccompRule rule;
    if (item.contains("names"))
        rule.names = TRY(strings_from(item["names"], field + ".names"));
    if (item.contains("name")) {
        if (!item["name"].is_string())
            return Error::invalid(field + ".name: expected a string");
        rule.names.push_back(item["name"].get<std::string>());
    }
    if (rule.names.empty())
        return Error::invalid(field + ".names: no system call named");
    std::uint32_t errno_ret = default_errno;
    if (item.contains("errnoRet"))
        errno_ret = static_cast<std::uint32_t>(TRY(number_from(item["errnoRet"], field + ".errnoRet")));
    if (!item.contains("action"))
        return Error::invalid(field + ".action: missing");
    rule.action = TRY(action_from(item["action"], field + ".action", errno_ret));
    if (item.contains("args") && !item["args"].is_null()) {
        const auto& args = item["args"];
        if (!args.is_array())
            return Error::invalid(field + ".args: expected an array");
        for (std::size_t i = 0; i < args.size(); ++i) {
            auto where = field + ".args[" + std::to_string(i) + "]";
            TRY(check_keys(args[i], where, { "index", "value", "valueTwo", "op" }));
            SeccompArgument arg;
            auto index = TRY(number_from(args[i].value("index", Json()), where + ".index"));
            if (index > 5)
                return Error::invalid(where + ".index: a system call has arguments 0 to 5, not " + std::to_string(index));
            arg.index = static_cast<unsigned>(index);
            arg.value = TRY(number_from(args[i].value("value", Json(0)), where + ".value"));
            arg.value_two = TRY(number_from(args[i].value("valueTwo", Json(0)), where + ".valueTwo"));
            arg.op = TRY(operator_from(args[i].value("op", Json()), where + ".op"));
            rule.args.push_back(arg);
        }
    }
    TRY(read_filter(item.value("includes", Json()), field + ".includes", rule.include_caps, rule.include_arches));
    TRY(read_filter(item.value("excludes", Json()), field + ".excludes", rule.exclude_caps, rule.exclude_arches));
    return rule;
}

} // namespace

Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text)
{
    auto root = Json::parse(json_text, nullptr, false);
    if (root.is_discarded())
        return Error::invalid("seccomp profile: not valid JSON");
    TRY_CTX(check_keys(root, "", { "defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                                     "flags", "listenerPath", "listenerMetadata" }),
        "seccomp profile");
    auto fail = [](Error error) { return std::move(error).with_context("seccomp profile"); };
    SeccompProfile profile;
    std::uint32_t default_errno = EPERM;
    if (root.contains("defaultErrnoRet")) {
        auto value = number_from(root["defaultErrnoRet"], "defaultErrnoRet");
        if (!value.ok())
            return fail(value.release_error());
        default_errno = static_cast<std::uint32_t>(value.value());
    }
    if (!root.contains("defaultAction"))
        return Error::invalid("seccomp profile: defaultAction: missing");
    auto action = action_from(root["defaultAction"], "defaultAction", default_errno);
    if (!action.ok())
        return fail(action.release_error());
    profile.default_action = action.value();

    auto add_arch = [&](const Json& value, const std::string& field) -> Result<void> {
        auto token = TRY(arch_from(value, field));
        if (std::find(profile.architectures.begin(), profile.architectures.end(), token) == profile.architectures.end())
            profile.architectures.push_back(token);
        return Ok {};
    };
    if (root.contains("architectures") && !root["architectures"].is_null()) {
        if (!root["architectures"].is_array())
            return Error::invalid("seccomp profile: architectures: expected an array");
        for (std::size_t i = 0; i < root["architectures"].size(); ++i) {
            if (auto added = add_arch(root["architectures"][i], "architectures[" + std::to_string(i) + "]"); !added.ok())
                return fail(added.release_error());
        }
    }
    // archMap (Docker's default profile): the native architecture's entry brings its
    // sub-architectures (x86 and x32 for x86_64).
    if (root.contains("archMap") && !root["archMap"].is_null()) {
        const auto& map = root["archMap"];
        if (!map.is_array())
            return Error::invalid("seccomp profile: archMap: expected an array");
        for (std::size_t i = 0; i < map.size(); ++i) {
            auto field = "archMap[" + std::to_string(i) + "]";
            if (auto keys = check_keys(map[i], field, { "architecture", "subArchitectures" }); !keys.ok())
                return fail(keys.release_error());
            auto main = arch_from(map[i].value("architecture", Json()), field + ".architecture");
            if (!main.ok())
                return fail(main.release_error());
            if (main.value() != seccomp_arch_native())
                continue;
            auto subs = strings_from(map[i].value("subArchitectures", Json()), field + ".subArchitectures");
            if (!subs.ok())
                return fail(subs.release_error());
            for (std::size_t j = 0; j < subs.value().size(); ++j) {
                auto added = add_arch(Json(subs.value()[j]), field + ".subArchitectures[" + std::to_string(j) + "]");
                if (!added.ok())
                    return fail(added.release_error());
            }
        }
    }
    if (root.contains("syscalls") && !root["syscalls"].is_null()) {
        const auto& list = root["syscalls"];
        if (!list.is_array())
            return Error::invalid("seccomp profile: syscalls: expected an array");
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto rule = rule_from(list[i], "syscalls[" + std::to_string(i) + "]", default_errno);
            if (!rule.ok())
                return fail(rule.release_error());
            profile.rules.push_back(rule.release_value());
        }
    }
    return profile;
}

Result<void> validate_seccomp_option(const std::vector<std::string>& security_opt)
{
    auto profile = seccomp_profile_for(false, security_opt);
    if (profile.empty() || profile == k_default_seccomp_profile)
        return Ok {};
    if (profile.front() != '{')
        return Error::invalid("HostConfig.SecurityOpt: seccomp=" + profile.substr(0, 60)
            + ": expected the profile's JSON (the docker CLI reads --security-opt seccomp=FILE and sends its contents)");
    TRY_CTX(parse_seccomp_profile(profile), "HostConfig.SecurityOpt");
    return Ok {};
}

namespace {

// The name the architecture filters in Docker's profiles use for this machine ("amd64").
std::string native_arch_name()
{
    switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
        return "amd64";
    case SCMP_ARCH_AARCH64:
        return "arm64";
    case SCMP_ARCH_X86:
        return "386";
    default:
        return "";
    }
}

bool rule_applies(const SeccompRule& rule, std::uint64_t capabilities)
{
    auto arch = native_arch_name();
    for (const auto& cap : rule.include_caps) {
        if (!has_capability(capabilities, cap))
            return false;
    }
    for (const auto& cap : rule.exclude_caps) {
        if (has_capability(capabilities, cap))
            return false;
    }
    if (!rule.include_arches.empty()
        && std::find(rule.include_arches.begin(), rule.include_arches.end(), arch) == rule.include_arches.end())
        return false;
    return std::find(rule.exclude_arches.begin(), rule.exclude_arches.end(), arch) == rule.exclude_arches.end();
}

// One rule into libseccomp, as runc does: arguments on distinct indexes are one rule (all must
// match); several on the same index become one rule each (any may match). A rule whose action
// is the default action is redundant and skipped (libseccomp refuses it).
Result<void> add_profile_rule(scmp_filter_ctx ctx, const SeccompProfile& profile, const SeccompRule& rule,
    const std::string& name)
{
    if (rule.action == profile.default_action)
        return Ok {};
    std::vector<scmp_arg_cmp> all;
    bool distinct = true;
    for (const auto& arg : rule.args) {
        for (const auto& other : all)
            distinct = distinct && other.arg != arg.index;
        all.push_back({ arg.index, static_cast<scmp_compare>(arg.op), arg.value, arg.value_two });
    }
    if (distinct)
        return add_rule(ctx, rule.action, name, all);
    for (const auto& one : all)
        TRY(add_rule(ctx, rule.action, name, { one }));
    return Ok {};
}

Result<ContextPtr> json_profile_filter(std::string_view text, std::uint64_t capabilities)
{
    auto profile = TRY(parse_seccomp_profile(text));
    ContextPtr context(seccomp_init(profile.default_action));
    if (!context)
        return Error::system("seccomp_init failed");
    auto* ctx = context.get();
    if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return Error::from_errno("seccomp: clear the no_new_privs attribute", -rc);
    for (auto arch : profile.architectures) {
        if (int rc = seccomp_arch_add(ctx, arch); rc != 0 && rc != -EEXIST)
            return Error::from_errno("seccomp: add an architecture from the profile", -rc);
    }
    for (const auto& rule : profile.rules) {
        if (!rule_applies(rule, capabilities))
            continue;
        for (const auto& name : rule.names)
            TRY_CTX(add_profile_rule(ctx, profile, rule, name), "seccomp profile");
    }
    return context;
}

} // namespace

namespace {

// libseccomp knows the system calls of the kernels before its release, so a newer call (mseal,
// statmount, setxattrat, ... with Debian 12's 2.5.4) cannot be named on the allow-list and would
// get EPERM. libc tries a new call and falls back to an older one only on ENOSYS (glibc does so
// for clone3 and fchmodat2), so EPERM would break programs built against a newer libc. As runc
// does, a second filter answers ENOSYS for every number above the last call libseccomp knows on
// this architecture. Calls from 424 on share their numbers on all architectures; 511 is far
// above the newest.
Result<ContextPtr> filter_for_newer_calls()
{
    constexpr int k_highest_number = 511;
    int last_known = -1;
    for (int number = 0; number <= k_highest_number; ++number) {
        if (char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, number)) {
            last_known = number;
            std::free(name);
        }
    }
    ContextPtr context(seccomp_init(SCMP_ACT_ALLOW));
    if (!context)
        return Error::system("seccomp_init failed");
    auto* ctx = context.get();
    if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return Error::from_errno("seccomp: clear the no_new_privs attribute", -rc);
    // 32-bit and x32 calls are left to the allow-list filter, which covers those architectures.
    if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW); rc != 0)
        return Error::from_errno("seccomp: let other architectures through the second filter", -rc);
    for (int number = last_known + 1; number <= k_highest_number; ++number) {
        if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), number, 0); rc != 0)
            return Error::from_errno("seccomp: add ENOSYS for system call " + std::to_string(number), -rc);
    }
    return context;
}

} // namespace

std::vector<std::string> default_allowed_syscalls(std::uint64_t capabilities)
{
    std::vector<std::string> names;
    for (const auto& name : allowed_outright(capabilities)) {
        if (seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR)
            names.push_back(name);
    }
    return names;
}

namespace {

// The default filter for a process with `capabilities`: the allow-list.
Result<ContextPtr> default_filter(std::uint64_t capabilities)
{
    ContextPtr context(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
    if (!context)
        return Error::system("seccomp_init failed");
    auto* ctx = context.get();
    // Docker does not set no_new_privs by default; the filter is loaded while the process still
    // has CAP_SYS_ADMIN, which makes the bit unnecessary.
    if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return Error::from_errno("seccomp: clear the no_new_privs attribute", -rc);
    // About 370 allowed calls in a plain list: since Linux 5.11 the kernel remembers which call
    // numbers a filter allows whatever the arguments and skips the filter for them, so only the
    // argument rules and the refused calls walk the list. A binary tree (libseccomp's optimize
    // level 2) would make a longer program for no gain on those.
#if defined(__x86_64__)
    // Docker's archMap: an x86_64 container may also run 32-bit (int 0x80) and x32 programs,
    // under the same allow-list resolved per architecture. A filter for the native architecture
    // alone would kill such a process instead of filtering its calls.
    for (auto arch : { SCMP_ARCH_X86, SCMP_ARCH_X32 }) {
        if (int rc = seccomp_arch_add(ctx, arch); rc != 0 && rc != -EEXIST)
            return Error::from_errno("seccomp: add a secondary architecture", -rc);
    }
#endif
    for (const auto& name : allowed_outright(capabilities))
        TRY(add_rule(ctx, SCMP_ACT_ALLOW, name));
    TRY(add_argument_rules(ctx, has_capability(capabilities, "CAP_SYS_ADMIN")));
    return context;
}

// The BPF program libseccomp generates for `ctx`, the one seccomp_load would hand the kernel.
// libseccomp 2.5 exports only to a file descriptor, so it goes through a memfd.
Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx)
{
    UniqueFd memory(::memfd_create("glassbox-seccomp", MFD_CLOEXEC));
    if (!memory.valid())
        return Error::from_errno("seccomp: memfd_create for the compiled filter", errno);
    if (int rc = seccomp_export_bpf(ctx, memory.get()); rc != 0)
        return Error::from_errno("seccomp: export the filter as BPF", -rc);
    struct stat st { };
    if (::fstat(memory.get(), &st) != 0)
        return Error::from_errno("seccomp: fstat the compiled filter", errno);
    auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0 || size % sizeof(sock_filter) != 0)
        return Error::system("seccomp: the compiled filter has " + std::to_string(size)
            + " bytes, not a whole number of BPF instructions");
    std::vector<sock_filter> program(size / sizeof(sock_filter));
    auto* bytes = reinterpret_cast<char*>(program.data());
    for (std::size_t done = 0; done < size;) {
        auto got = ::pread(memory.get(), bytes + done, size - done, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return Error::from_errno("seccomp: read the compiled filter back", got < 0 ? errno : EIO);
        done += static_cast<std::size_t>(got);
    }
    return program;
}

Result<SeccompPrograms> compile_uncached(std::string_view profile, std::uint64_t capabilities)
{
    SeccompPrograms programs;
    if (profile.empty())
        return programs;
    if (profile != k_default_seccomp_profile) {
        auto filter = TRY(json_profile_filter(profile, capabilities));
        programs.filters.push_back(TRY(export_program(filter.get())));
        return programs;
    }
    auto allow_list = TRY(default_filter(capabilities));
    auto newer_calls = TRY(filter_for_newer_calls());
    programs.filters.push_back(TRY(export_program(allow_list.get())));
    // When two filters both answer with an errno, the kernel returns the newer filter's, so the
    // ENOSYS filter goes second.
    programs.filters.push_back(TRY(export_program(newer_calls.get())));
    return programs;
}

} // namespace

Result<std::shared_ptr<const SeccompPrograms>> compile_seccomp_profile(std::string_view profile,
    std::uint64_t capabilities)
{
    // A daemon sees a handful of (profile, capabilities) pairs: the default filter with Docker's
    // capabilities, with --cap-add variants, and the odd JSON profile. The bound only keeps a
    // stream of distinct JSON profiles from growing the map without end.
    constexpr std::size_t k_cache_entries = 32;
    using Key = std::pair<std::string, std::uint64_t>;
    static std::mutex mutex;
    static std::map<Key, std::shared_ptr<const SeccompPrograms>> cache;

    Key key { std::string(profile), capabilities };
    {
        std::lock_guard lock(mutex);
        if (auto found = cache.find(key); found != cache.end())
            return found->second;
    }
    // Compiled outside the lock, so a start with a new profile does not hold up the others; two
    // threads compiling the same key at once both get a correct program and the first one stays.
    auto compiled = std::make_shared<const SeccompPrograms>(TRY(compile_uncached(profile, capabilities)));
    std::lock_guard lock(mutex);
    if (cache.size() >= k_cache_entries && !cache.contains(key))
        cache.erase(cache.begin());
    return cache.try_emplace(std::move(key), std::move(compiled)).first->second;
}

Result<void> load_seccomp_programs(const SeccompPrograms& programs)
{
    for (const auto& filter : programs.filters) {
        // The kernel takes at most BPF_MAXINSNS instructions; the length field is 16 bits.
        if (filter.size() > BPF_MAXINSNS)
            return Error::from_errno("seccomp: load a filter of " + std::to_string(filter.size()) + " instructions", EINVAL);
        sock_fprog program {};
        program.len = static_cast<unsigned short>(filter.size());
        program.filter = const_cast<sock_filter*>(filter.data());
        if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
            return Error::from_errno("seccomp: load the filter", errno);
    }
    return Ok {};
}

Result<void> apply_seccomp_profile(std::string_view profile, std::uint64_t capabilities)
{
    auto programs = TRY(compile_seccomp_profile(profile, capabilities));
    return load_seccomp_programs(*programs);
}

} // namespace engine::runtime
