// See seccomp.h. The refused set and the argument filters follow Docker's default profile
// (moby/profiles seccomp/default.json): what it does not allow to a container with the 14
// default capabilities, and its argument rules for socket, personality and clone.
#include "engine/runtime/seccomp.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <seccomp.h>

namespace engine::runtime {

namespace {

struct ContextDeleter {
    void operator()(scmp_filter_ctx context) const { seccomp_release(context); }
};
using ContextPtr = std::unique_ptr<void, ContextDeleter>;

// Refused to every container (Docker allows none of these by default, or only with a
// capability outside its default set).
const std::vector<std::string>& always_refused()
{
    static const std::vector<std::string> names {
        // Kernel keyring: not namespaced, shared with the host (CVE-2016-0728 was a keyring bug).
        "keyctl", "add_key", "request_key",
        // io_uring bypasses seccomp for the operations it performs and had many bugs.
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        // Tracing, BPF and kernel memory views.
        "bpf", "perf_event_open", "userfaultfd", "lookup_dcookie",
        // The machine, not the container: reboot, kexec, modules, swap, accounting, clocks.
        "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "swapon",
        "swapoff", "acct", "settimeofday", "clock_settime", "stime", "adjtimex", "clock_adjtime", "syslog",
        "iopl", "ioperm", "vhangup", "quotactl", "quotactl_fd", "nfsservctl",
        // Old or obscure interfaces.
        "uselib", "ustat", "sysfs", "_sysctl", "vm86", "vm86old", "create_module", "get_kernel_syms",
        "query_module",
        // A file handle opens any inode on the filesystem, bypassing the mount (the "shocker"
        // escape used open_by_handle_at).
        "open_by_handle_at",
        // Moving the root is the runtime's job, never the container's.
        "pivot_root",
    };
    return names;
}

// Refused unless the process has CAP_SYS_ADMIN (Docker's includes.caps rules).
const std::vector<std::string>& sys_admin_only()
{
    static const std::vector<std::string> names { "mount", "umount", "umount2", "unshare", "setns", "fsopen",
        "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "sethostname", "setdomainname",
        "fanotify_init", "name_to_handle_at" };
    return names;
}

Result<void> add_rule(scmp_filter_ctx context, std::uint32_t action, const std::string& name,
    const std::vector<scmp_arg_cmp>& args = {})
{
    int number = seccomp_syscall_resolve_name(name.c_str());
    if (number == __NR_SCMP_ERROR)
        return Ok {}; // Not a system call on this architecture (vm86 on x86_64, ...).
    int rc = seccomp_rule_add_array(context, action, number, static_cast<unsigned int>(args.size()), args.data());
    if (rc != 0)
        return Error::from_errno("seccomp: add the rule for " + name, -rc);
    return Ok {};
}

// personality(2) may only take the values Docker allows: 0 (Linux), 0x8 (PER_LINUX32), 0x20000
// (UNAME26), 0x20008, and the query 0xffffffff; READ_IMPLIES_EXEC (0x400000) or
// ADDR_NO_RANDOMIZE (0x40000) are refused. libseccomp compares each argument once per rule and
// cannot add an allow rule under an allow default, so the complement is built from single
// comparisons: anything above 32 bits; within 32 bits, a "chain" over the 30 bits outside
// 0x20008 (bit k set and bit k+1 clear, around the circle), which only values with all or none
// of those bits set survive; and the three all-set values that are not 0xffffffff.
Result<void> add_personality_rules(scmp_filter_ctx context, std::uint32_t action)
{
    TRY(add_rule(context, action, "personality", { SCMP_A0(SCMP_CMP_GT, 0xffffffffULL) }));
    constexpr std::uint64_t allowed_bits = 0x20008;
    std::vector<std::uint64_t> chain;
    for (std::uint64_t bit = 1; bit <= 0x80000000ULL; bit <<= 1) {
        if (!(allowed_bits & bit))
            chain.push_back(bit);
    }
    for (std::size_t i = 0; i < chain.size(); ++i) {
        auto here = chain[i];
        auto next = chain[(i + 1) % chain.size()];
        TRY(add_rule(context, action, "personality", { SCMP_A0(SCMP_CMP_MASKED_EQ, here | next, here) }));
    }
    for (std::uint64_t value : { 0xfffdfff7ULL, 0xfffdffffULL, 0xfffffff7ULL })
        TRY(add_rule(context, action, "personality", { SCMP_A0(SCMP_CMP_EQ, value) }));
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
        else if (value != "default" && value != "builtin")
            profile = value;
    }
    return profile;
}

std::vector<std::string> default_refused_syscalls()
{
    std::vector<std::string> names;
    for (const auto* list : { &always_refused(), &sys_admin_only() }) {
        for (const auto& name : *list) {
            if (seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR)
                names.push_back(name);
        }
    }
    return names;
}

Result<void> apply_seccomp_profile(std::string_view profile, std::uint64_t capabilities)
{
    if (profile.empty())
        return Ok {};
    if (profile != k_default_seccomp_profile)
        return Error::unsupported("--security-opt seccomp=" + std::string(profile.substr(0, 40))
            + ": custom seccomp profiles are not supported yet (use the default or seccomp=unconfined)");

    ContextPtr context(seccomp_init(SCMP_ACT_ALLOW));
    if (!context)
        return Error::system("seccomp_init failed");
    auto* ctx = context.get();
    // Docker does not set no_new_privs by default; the filter is loaded while the process still
    // has CAP_SYS_ADMIN, which makes the bit unnecessary.
    if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return Error::from_errno("seccomp: clear the no_new_privs attribute", -rc);
#if defined(__x86_64__)
    // The same rules for 32-bit and x32 system calls; a filter for the native architecture only
    // would let `int 0x80` through (libseccomp resolves each name per architecture).
    for (auto arch : { SCMP_ARCH_X86, SCMP_ARCH_X32 }) {
        if (int rc = seccomp_arch_add(ctx, arch); rc != 0 && rc != -EEXIST)
            return Error::from_errno("seccomp: add a secondary architecture", -rc);
    }
#endif
    const auto eperm = SCMP_ACT_ERRNO(EPERM);

    for (const auto& name : always_refused())
        TRY(add_rule(ctx, eperm, name));
    bool sys_admin = (capabilities >> CAP_SYS_ADMIN) & 1U;
    if (!sys_admin) {
        for (const auto& name : sys_admin_only())
            TRY(add_rule(ctx, eperm, name));
        // New namespaces through clone(2) need CAP_SYS_ADMIN too (except a user namespace, which
        // Docker refuses all the same). clone3 passes its flags in memory a filter cannot read,
        // so it gets ENOSYS and libc falls back to clone (Docker does the same).
        constexpr std::uint64_t namespace_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
            | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
        for (std::uint64_t flag = 1; flag != 0 && flag <= namespace_flags; flag <<= 1) {
            if (namespace_flags & flag)
                TRY(add_rule(ctx, eperm, "clone", { SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag) }));
        }
        TRY(add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3"));
    }

    // Sockets: AF_ALG (kernel crypto, a frequent source of bugs) and AF_VSOCK (the hypervisor).
    for (int family : { AF_ALG, AF_VSOCK })
        TRY(add_rule(ctx, eperm, "socket", { SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)) }));

    TRY(add_personality_rules(ctx, eperm));

    if (int rc = seccomp_load(ctx); rc != 0)
        return Error::from_errno("seccomp: load the filter", -rc);
    return Ok {};
}

} // namespace engine::runtime
