// sim::FakeKernel answers where the engine branches on the answer as the real kernel does.
#include "engine/sim/fake_kernel.h"

#include <sys/mount.h>

#include <cerrno>
#include <vector>

#include <gtest/gtest.h>

using namespace engine;

namespace {

TEST(FakeKernel, UnmountingWhatIsNotMountedIsEinval)
{
    sim::FakeKernel kernel;
    auto result = kernel.umount("/nowhere", MNT_DETACH);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), EINVAL);
}

TEST(FakeKernel, MountinfoListsTheSimulatedMountsInProcFormat)
{
    sim::FakeKernel kernel;
    ASSERT_TRUE(kernel.mount({ .source = "overlay", .target = "/c/merged", .fstype = "overlay", .flags = 0,
        .data = "lowerdir=/l" }).ok());
    auto text = kernel.read_file("/proc/self/mountinfo");
    ASSERT_TRUE(text.ok());
    EXPECT_NE(text.value().find(" / /c/merged rw - overlay overlay rw,lowerdir=/l\n"), std::string::npos) << text.value();
    ASSERT_TRUE(kernel.umount("/c/merged", 0).ok());
    EXPECT_EQ(kernel.read_file("/proc/self/mountinfo").value(), "");
}

TEST(FakeKernel, WritingIntoAMissingDirectoryIsEnoentAndRecorded)
{
    sim::FakeKernel kernel;
    auto written = kernel.write_file("/sys/fs/cgroup/x/pids.max", "10");
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().code(), ENOENT);
    kernel.put_dir("/sys/fs/cgroup/x");
    ASSERT_TRUE(kernel.write_file("/sys/fs/cgroup/x/pids.max", "10").ok());
    EXPECT_EQ(kernel.file("/sys/fs/cgroup/x/pids.max"), "10");
    auto calls = kernel.calls();
    ASSERT_EQ(calls.size(), 2U);
    EXPECT_EQ(calls[1], "write /sys/fs/cgroup/x/pids.max 10");
}

TEST(FakeKernel, RemovingADirectoryWithChildrenIsBusy)
{
    sim::FakeKernel kernel;
    kernel.put_dir("/sys/fs/cgroup/glassbox/c1");
    auto removed = kernel.remove_dir("/sys/fs/cgroup/glassbox");
    ASSERT_FALSE(removed.ok());
    EXPECT_EQ(removed.error().code(), EBUSY);
    EXPECT_EQ(kernel.list_subdirs("/sys/fs/cgroup/glassbox"), (std::vector<std::string> { "c1" }));
    ASSERT_TRUE(kernel.remove_dir("/sys/fs/cgroup/glassbox/c1").ok());
    ASSERT_TRUE(kernel.remove_dir("/sys/fs/cgroup/glassbox").ok());
    EXPECT_FALSE(kernel.path_exists("/sys/fs/cgroup/glassbox"));
}

TEST(FakeKernel, UnshareNamesTheNamespaces)
{
    sim::FakeKernel kernel;
    ASSERT_TRUE(kernel.unshare(sys::namespace_clone_flag(sys::NamespaceKind::Network)
        | sys::namespace_clone_flag(sys::NamespaceKind::Uts)).ok());
    EXPECT_EQ(kernel.calls(), (std::vector<std::string> { "unshare uts net" }));
}


TEST(FakeKernel, DeviceProgramsStayWithTheirCgroupUntilItIsRemoved)
{
    sim::FakeKernel kernel;
    std::vector<sys::BpfInstruction> allow_all { { 0xb7, 0, 0, 0, 1 }, { 0x95, 0, 0, 0, 0 } };
    auto missing = kernel.attach_device_filter("/sys/fs/cgroup/x", allow_all);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code(), ENOENT);
    kernel.put_dir("/sys/fs/cgroup/x");
    EXPECT_EQ(kernel.attach_device_filter("/sys/fs/cgroup/x", {}).error().code(), EINVAL);

    ASSERT_TRUE(kernel.attach_device_filter("/sys/fs/cgroup/x", allow_all).ok());

    EXPECT_EQ(kernel.device_filters("/sys/fs/cgroup/x"), std::vector<std::vector<sys::BpfInstruction>> { allow_all });
    EXPECT_EQ(kernel.calls().back(), "attach device filter /sys/fs/cgroup/x (2 instructions)");
    ASSERT_TRUE(kernel.remove_dir("/sys/fs/cgroup/x").ok());
    EXPECT_TRUE(kernel.device_filters("/sys/fs/cgroup/x").empty());
}

} // namespace
