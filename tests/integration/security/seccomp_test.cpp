// The default seccomp filter on the real kernel: each check runs in a forked child that loads
// the filter and reports the errno of one system call, so the test process itself stays
// unfiltered. Covers the argument rules that are easy to get wrong (personality's allowed
// values, clone's namespace flags, socket families), the capability groups of the allow-list
// and what an ordinary program needs.
#include "engine/runtime/seccomp.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <string>

#include <gtest/gtest.h>

using namespace engine;

namespace {

constexpr std::uint64_t k_no_caps = 0;
constexpr std::uint64_t k_sys_admin = std::uint64_t { 1 } << CAP_SYS_ADMIN;
// Docker's 14 default capabilities (CapEff 00000000a80425fb).
constexpr std::uint64_t k_docker_default_caps = 0xa80425fbULL;

// Runs `call` in a child under the default filter; returns its errno (0 on success), or -1
// when the filter could not be loaded.
int errno_under_filter(const std::function<long()>& call, std::uint64_t capabilities = k_no_caps)
{
    pid_t pid = ::fork();
    if (pid == 0) {
        if (!runtime::apply_seccomp_profile(runtime::k_default_seccomp_profile, capabilities).ok())
            ::_exit(255);
        errno = 0;
        long rc = call();
        ::_exit(rc < 0 ? (errno & 0x7f) : 0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 255)
        return -1;
    return WEXITSTATUS(status);
}

class SeccompTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (CAP_SYS_ADMIN loads a filter without no_new_privs)";
    }
};

} // namespace

TEST_F(SeccompTest, PersonalityAllowsOnlyDockersValues)
{
    for (unsigned long allowed : { 0x0UL, 0x8UL, 0x20000UL, 0x20008UL, 0xffffffffUL })
        EXPECT_EQ(errno_under_filter([=] { return static_cast<long>(::personality(allowed)); }), 0) << std::hex << allowed;
    for (unsigned long refused : { 0x400000UL, 0x40000UL, 0x1UL, 0x400008UL, 0x80000000UL, 0xfffffff7UL, 0xfffdffffUL,
             0xfffdfff7UL, 0x1ffffffffUL })
        EXPECT_EQ(errno_under_filter([=] { return static_cast<long>(::personality(refused)); }), EPERM) << std::hex << refused;
}

TEST_F(SeccompTest, CloneWithNamespaceFlagsNeedsSysAdminButForkWorks)
{
    auto clone_flags = [](unsigned long flags) {
        return [flags] {
            long pid = ::syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
            if (pid == 0)
                ::_exit(0);
            if (pid > 0)
                ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
            return pid;
        };
    };

    EXPECT_EQ(errno_under_filter(clone_flags(0)), 0);
    EXPECT_EQ(errno_under_filter(clone_flags(CLONE_NEWUSER)), EPERM);
    EXPECT_EQ(errno_under_filter(clone_flags(CLONE_NEWNS)), EPERM);
    EXPECT_EQ(errno_under_filter(clone_flags(CLONE_NEWNET | CLONE_NEWPID)), EPERM);
    EXPECT_EQ(errno_under_filter([] { return static_cast<long>(::unshare(CLONE_NEWUTS)); }), EPERM);
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_clone3, nullptr, 0); }), ENOSYS);
    // With CAP_SYS_ADMIN, as under Docker, the namespace calls pass the filter.
    EXPECT_EQ(errno_under_filter([] { return static_cast<long>(::unshare(CLONE_NEWUTS)); }, k_sys_admin), 0);
    EXPECT_EQ(errno_under_filter(clone_flags(CLONE_NEWNS), k_sys_admin), 0);
}

TEST_F(SeccompTest, SocketFamiliesAlgAndVsockAreRefused)
{
    auto socket_of = [](int family, int type) {
        return [=] {
            int fd = ::socket(family, type, 0);
            if (fd >= 0)
                ::close(fd);
            return static_cast<long>(fd);
        };
    };

    EXPECT_EQ(errno_under_filter(socket_of(AF_VSOCK, SOCK_STREAM)), EPERM);
    EXPECT_EQ(errno_under_filter(socket_of(AF_ALG, SOCK_SEQPACKET)), EPERM);
    EXPECT_EQ(errno_under_filter(socket_of(AF_UNIX, SOCK_STREAM)), 0);
    EXPECT_EQ(errno_under_filter(socket_of(AF_INET, SOCK_DGRAM)), 0);
}

TEST_F(SeccompTest, TheAllowListLeavesOutWhatDockerLeavesOut)
{
    auto allowed = runtime::default_allowed_syscalls(k_docker_default_caps);
    auto has = [&](const char* name) { return std::find(allowed.begin(), allowed.end(), name) != allowed.end(); };
    EXPECT_GT(allowed.size(), 300u);
    for (const char* name : { "read", "openat", "execve", "futex", "epoll_wait", "pipe", "pipe2", "chroot", "ptrace", "setuid" })
        EXPECT_TRUE(has(name)) << name;
    for (const char* name : { "keyctl", "add_key", "request_key", "io_uring_setup", "io_uring_enter", "userfaultfd",
             "bpf", "perf_event_open", "kexec_load", "init_module", "reboot", "swapon", "acct", "mount", "umount2",
             "unshare", "setns", "pivot_root", "open_by_handle_at", "kcmp", "mbind", "settimeofday", "syslog",
             "clone", "clone3", "socket", "personality" })
        EXPECT_FALSE(has(name)) << name;
    // Each capability group follows its capability.
    auto with = [](int cap) { return runtime::default_allowed_syscalls(k_docker_default_caps | (std::uint64_t { 1 } << cap)); };
    auto in = [](const std::vector<std::string>& list, const char* name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    EXPECT_TRUE(in(with(CAP_SYS_ADMIN), "mount") && in(with(CAP_SYS_ADMIN), "setns"));
    EXPECT_TRUE(in(with(CAP_SYS_BOOT), "reboot"));
    EXPECT_TRUE(in(with(CAP_SYS_PTRACE), "kcmp"));
    EXPECT_TRUE(in(with(CAP_SYS_NICE), "mbind"));
    EXPECT_TRUE(in(with(CAP_SYS_MODULE), "finit_module"));
    EXPECT_FALSE(in(runtime::default_allowed_syscalls(0), "chroot"));
}

TEST_F(SeccompTest, CallsOutsideTheListAreRefusedAndOrdinaryCallsAreNot)
{
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_keyctl, 0, -3, 0); }), EPERM);
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_io_uring_setup, 1, nullptr); }), EPERM);
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_bpf, 0, nullptr, 0); }), EPERM);
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr); }), EPERM);
    // Bad magic numbers: the kernel would answer EINVAL, the filter answers first.
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_reboot, 0, 0, 0, nullptr); }), EPERM);
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_kcmp, ::getpid(), ::getpid(), 0, 0, 0); }), EPERM);
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_mbind, nullptr, 0, 0, nullptr, 0, 0); }), EPERM);
    // A number above every call libseccomp knows gets ENOSYS, so libc falls back as it would on
    // an older kernel; a known call outside the list keeps EPERM.
    EXPECT_EQ(errno_under_filter([] { return ::syscall(500, 0, 0, 0); }), ENOSYS);
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_add_key, "user", "probe", "x", 1, -3); }), EPERM);
    // With the capability, the group's calls reach the kernel.
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_kcmp, ::getpid(), ::getpid(), 0, 0, 0); },
                  k_docker_default_caps | (std::uint64_t { 1 } << CAP_SYS_PTRACE)),
        0);
    EXPECT_EQ(errno_under_filter([] { return static_cast<long>(::getppid()); }), 0);
    EXPECT_EQ(errno_under_filter([] { return static_cast<long>(::setuid(0)); }), 0);
    // What a program and glassbox's own exec path do after the filter is loaded.
    EXPECT_EQ(errno_under_filter([] {
        int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1L;
        char buffer[64];
        long rc = ::read(fd, buffer, sizeof buffer);
        ::close(fd);
        return rc < 0 ? rc : ::syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    }),
        0);
    EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_faccessat2, AT_FDCWD, "/", R_OK, 0); }), 0);
    EXPECT_EQ(errno_under_filter([] {
        int fds[2];
        if (::pipe(fds) != 0 || ::syscall(SYS_pipe2, fds, O_CLOEXEC) != 0)
            return -1L;
        return 0L;
    }),
        0);
    EXPECT_EQ(errno_under_filter([] {
        pid_t pid = ::fork();
        if (pid == 0)
            ::_exit(0);
        return static_cast<long>(::waitpid(pid, nullptr, 0));
    }),
        0);
}

#if defined(__x86_64__)
// A 64-bit process may still enter the kernel through the 32-bit gate (int 0x80); seccomp then
// sees the i386 architecture and its numbers. Returns the kernel's answer (-errno on failure).
long int80(long number, long a = 0, long b = 0, long c = 0)
{
    long rc;
    // The 32-bit gate zeroes r8 to r11 of a 64-bit caller.
    asm volatile("int $0x80" : "=a"(rc) : "a"(number), "b"(a), "c"(b), "d"(c) : "memory", "r8", "r9", "r10", "r11");
    return rc;
}

TEST_F(SeccompTest, ThirtyTwoBitCallsGetTheSameListInsteadOfAKill)
{
    constexpr long i386_getpid = 20, i386_keyctl = 288;
    pid_t probe = ::fork();
    if (probe == 0)
        ::_exit(int80(i386_getpid) == ::getpid() ? 0 : 1);
    int status = 0;
    ::waitpid(probe, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        GTEST_SKIP() << "int 0x80 does not reach the kernel here even without a filter (IA32 emulation off or "
                        "refused by the host), so there is no 32-bit path to filter";

    auto as_errno = [](long rc) {
        if (rc < 0)
            errno = static_cast<int>(-rc);
        return rc < 0 ? -1L : 0L;
    };
    // Allowed by name on i386 too, not killed as a foreign architecture.
    EXPECT_EQ(errno_under_filter([&] { return as_errno(int80(i386_getpid)); }), 0);
    EXPECT_EQ(errno_under_filter([&] { return as_errno(int80(i386_keyctl, 0, -3, 0)); }), EPERM);
}
#endif

TEST_F(SeccompTest, ProfileChoiceFollowsPrivilegedAndSecurityOpt)
{
    EXPECT_EQ(runtime::seccomp_profile_for(false, {}), runtime::k_default_seccomp_profile);
    EXPECT_EQ(runtime::seccomp_profile_for(true, {}), "");
    EXPECT_EQ(runtime::seccomp_profile_for(false, { "seccomp=unconfined" }), "");
    EXPECT_EQ(runtime::seccomp_profile_for(false, { "seccomp:unconfined" }), "");
    EXPECT_EQ(runtime::seccomp_profile_for(false, { "label=disable", "seccomp=default" }), runtime::k_default_seccomp_profile);
    // A JSON profile (the file's contents, as the docker CLI sends it) comes back as its text and
    // parses; a bad one is refused at create with the field at fault. Neither is loaded here: this
    // test process must keep running without a filter.
    auto custom = runtime::seccomp_profile_for(false, { "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}" });
    EXPECT_EQ(custom, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    EXPECT_TRUE(runtime::parse_seccomp_profile(custom).ok());
    auto refused = runtime::validate_seccomp_option({ "seccomp={\"defaultAction\":\"SCMP_ACT_NOPE\"}" });
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(refused.error().message().find("defaultAction"), std::string::npos) << refused.error().message();
}
