// The cgroup v2 device program on the real kernel. Each test makes its own cgroup in the v2
// hierarchy (/sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on a v2-only one),
// attaches the program glassbox builds, moves a forked child into it and has the child open and
// mknod device nodes; the control is the same calls made by the test itself, outside the
// cgroup. The child's nodes live in a temporary directory; the cgroup, the nodes and the
// directory are removed at the end. Needs root and a kernel with cgroup BPF
// (CONFIG_CGROUP_BPF); skips saying which is missing.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runtime/devices.h"
#include "engine/sys/linux_kernel.h"

namespace engine::runtime {
namespace {

// The errno of each step the child takes (0: it succeeded).
struct ChildResults {
    int open_null { -1 };
    int mknod_mem { -1 };
    int open_kmsg_node { -1 };
};

std::string v2_root()
{
    if (::access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0)
        return "/sys/fs/cgroup/unified";
    if (::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
        return "/sys/fs/cgroup";
    return "";
}

int errno_of(int result) { return result < 0 ? errno : 0; }

// Opens `path` read-only and closes it again; the errno, or 0.
int try_open(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int error = errno_of(fd);
    if (fd >= 0)
        ::close(fd);
    return error;
}

class DeviceFilterTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (bpf(2) and writes to cgroupfs)";
        m_root = v2_root();
        if (m_root.empty())
            GTEST_SKIP() << "no cgroup2 hierarchy is mounted at /sys/fs/cgroup/unified or /sys/fs/cgroup";
        char temp[] = "/tmp/glassbox-devices-XXXXXX";
        ASSERT_NE(::mkdtemp(temp), nullptr);
        m_temp = temp;

        // A kernel without cgroup BPF (or one that forbids it) refuses even a one-rule program;
        // that is a skip, while a refusal of the real program below is a failure.
        std::string probe = cgroup_dir("probe");
        ASSERT_TRUE(kernel().make_dir(probe, 0755).ok());
        auto attached = kernel().attach_device_filter(probe, device_filter_program({ "a *:* rwm" }).value());
        (void)kernel().remove_dir(probe);
        if (!attached.ok())
            GTEST_SKIP() << "BPF device programs are unavailable: " << attached.error().describe();
    }

    void TearDown() override
    {
        for (const auto& dir : m_cgroups) {
            // The child has been reaped, but the kernel may take a moment to empty the cgroup.
            for (int i = 0; i < 50 && kernel().path_exists(dir); ++i) {
                if (kernel().remove_dir(dir).ok())
                    break;
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            EXPECT_FALSE(kernel().path_exists(dir)) << dir;
        }
        if (!m_temp.empty()) {
            for (const char* node : { "/mem", "/kmsg", "/null" })
                ::unlink((m_temp + node).c_str());
            EXPECT_EQ(::rmdir(m_temp.c_str()), 0) << m_temp;
        }
    }

    static sys::Kernel& kernel() { return sys::linux_kernel(); }

    std::string cgroup_dir(const std::string& name) const
    {
        return m_root + "/glassbox-devices-test-" + std::to_string(::getpid()) + "-" + name;
    }

    // Makes a cgroup with the program for `rules`, runs a child in it and returns what the child
    // saw: open /dev/null, mknod a 1:1 (mem) node, open a 1:11 (kmsg) node made outside.
    ChildResults run_in_cgroup(const std::string& name, const std::vector<std::string>& rules)
    {
        std::string dir = cgroup_dir(name);
        EXPECT_TRUE(kernel().make_dir(dir, 0755).ok());
        m_cgroups.push_back(dir);
        auto program = device_filter_program(rules);
        EXPECT_TRUE(program.ok());
        auto attached = kernel().attach_device_filter(dir, program.value());
        EXPECT_TRUE(attached.ok()) << attached.error().describe();

        int go[2], results[2];
        EXPECT_EQ(::pipe2(go, O_CLOEXEC), 0);
        EXPECT_EQ(::pipe2(results, O_CLOEXEC), 0);
        pid_t child = ::fork();
        if (child == 0) {
            ::close(go[1]);
            ::close(results[0]);
            char byte;
            if (::read(go[0], &byte, 1) != 1)
                ::_exit(2);
            ChildResults seen;
            seen.open_null = try_open("/dev/null");
            seen.mknod_mem = errno_of(::mknod((m_temp + "/mem").c_str(), S_IFCHR | 0600, ::makedev(1, 1)));
            seen.open_kmsg_node = try_open(m_temp + "/kmsg");
            ::_exit(::write(results[1], &seen, sizeof seen) == sizeof seen ? 0 : 3);
        }
        ::close(go[0]);
        ::close(results[1]);
        auto moved = kernel().write_file(dir + "/cgroup.procs", std::to_string(child));
        EXPECT_TRUE(moved.ok()) << moved.error().describe();
        // Only a child that is in the cgroup may go on (otherwise it would test nothing).
        if (moved.ok())
            EXPECT_EQ(::write(go[1], "g", 1), 1);
        ::close(go[1]);
        ChildResults seen;
        bool reported = ::read(results[0], &seen, sizeof seen) == sizeof seen;
        ::close(results[0]);
        int status = 0;
        EXPECT_EQ(::waitpid(child, &status, 0), child);
        EXPECT_TRUE(reported) << "the child reported nothing (exit status " << status << ")";
        return seen;
    }

    std::string m_root;
    std::string m_temp;
    std::vector<std::string> m_cgroups;
};

TEST_F(DeviceFilterTest, DockersDefaultListOpensNullAndMknodsButRefusesOtherDevices)
{
    // The control: outside the cgroup the same node opens, so an EPERM inside is the program's.
    ASSERT_EQ(::mknod((m_temp + "/kmsg").c_str(), S_IFCHR | 0600, ::makedev(1, 11)), 0);
    ASSERT_EQ(try_open(m_temp + "/kmsg"), 0);

    auto seen = run_in_cgroup("default", default_device_rules());

    EXPECT_EQ(seen.open_null, 0);
    EXPECT_EQ(seen.mknod_mem, 0);            // "c *:* m": any node may be made...
    EXPECT_EQ(seen.open_kmsg_node, EPERM);   // ...but 1:11 is not in the list.
    struct stat made { };
    ASSERT_EQ(::stat((m_temp + "/mem").c_str(), &made), 0);
    EXPECT_TRUE(S_ISCHR(made.st_mode) && made.st_rdev == ::makedev(1, 1));
}

TEST_F(DeviceFilterTest, WithoutMInTheRulesMknodIsRefused)
{
    ASSERT_EQ(::mknod((m_temp + "/kmsg").c_str(), S_IFCHR | 0600, ::makedev(1, 11)), 0);

    auto seen = run_in_cgroup("no-mknod", { "c 1:3 rw", "c 1:11 r" });

    EXPECT_EQ(seen.open_null, 0);
    EXPECT_EQ(seen.mknod_mem, EPERM);
    EXPECT_EQ(seen.open_kmsg_node, 0); // "c 1:11 r" lets this one through.
}

} // namespace
} // namespace engine::runtime
