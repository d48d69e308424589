// The device cgroup: Docker's rule syntax, and the v1 write order (deny all, then each allow)
// against an in-memory kernel.
#include "engine/runtime/devices.h"

#include <sys/mount.h>

#include <gtest/gtest.h>

#include "engine/runtime/cgroup.h"
#include "engine/runtime/mount_propagation.h"
#include "tests/unit/runtime/recording_kernel.h"

namespace engine::runtime {
namespace {

using testing::RecordingKernel;

TEST(DevicesTest, RuleSyntaxIsDockersAndErrorsUseDockerdsWords)
{
    for (const char* good : { "c 1:3 rwm", "b 7:* r", "c *:* m", "a *:* rwm", "c 42:7 wr" })
        EXPECT_TRUE(check_device_rule(good).ok()) << good;

    for (const char* bad : { "bogus", "x 1:3 rwm", "c 1:3 rwx", "c 1:3", "a", "c 1 rwm", "c 1:3 rwmr", "c a:3 r" }) {
        auto result = check_device_rule(bad);
        ASSERT_FALSE(result.ok()) << bad;
        EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_EQ(result.error().message(), std::string("invalid device cgroup rule format: '") + bad + "'");
    }
}

TEST(DevicesTest, V1CgroupDeniesEverythingThenAllowsEachRuleInOrder)
{
    RecordingKernel kernel;
    for (const char* dir : { "/sys", "/sys/fs", "/sys/fs/cgroup", "/sys/fs/cgroup/devices" })
        kernel.dirs.insert(dir);
    kernel.files["/sys/fs/cgroup/devices/glassbox/c1/devices.deny"] = "";
    Resources resources;
    resources.restrict_devices = true;
    resources.device_rules = default_device_rules();
    resources.device_rules.push_back("c 42:7 rw");

    auto result = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1).create(kernel, resources);

    ASSERT_TRUE(result.ok()) << result.error().describe();
    std::vector<std::pair<std::string, std::string>> device_writes;
    for (const auto& write : kernel.writes)
        if (write.first.find("/devices/glassbox/c1/") != std::string::npos)
            device_writes.push_back(write);
    ASSERT_EQ(device_writes.size(), default_device_rules().size() + 2);
    EXPECT_EQ(device_writes.front(), std::make_pair(std::string("/sys/fs/cgroup/devices/glassbox/c1/devices.deny"), std::string("a")));
    EXPECT_EQ(device_writes.back(), std::make_pair(std::string("/sys/fs/cgroup/devices/glassbox/c1/devices.allow"), std::string("c 42:7 rw")));
}

TEST(DevicesTest, PrivilegedContainersKeepEveryDevice)
{
    RecordingKernel kernel;
    for (const char* dir : { "/sys", "/sys/fs", "/sys/fs/cgroup", "/sys/fs/cgroup/devices" })
        kernel.dirs.insert(dir);
    kernel.files["/sys/fs/cgroup/devices/glassbox/c1/devices.deny"] = "";

    auto result = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1).create(kernel, Resources {});

    ASSERT_TRUE(result.ok()) << result.error().describe();
    for (const auto& write : kernel.writes)
        EXPECT_EQ(write.first.find("/devices.deny"), std::string::npos) << write.first;
}

TEST(MountPropagationTest, SharedModesNeedASharedSourceMountAndSlaveModesASharedOrSlaveOne)
{
    RecordingKernel kernel;
    kernel.files["/proc/self/mountinfo"] = "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
                                           "40 26 0:50 / /srv/shared rw shared:7 - tmpfs tmpfs rw\n"
                                           "41 26 0:51 / /srv/slave rw master:7 - tmpfs tmpfs rw\n";

    auto private_shared = check_propagation_source(kernel, "/nonexistent-gb/data", "rshared");
    auto private_slave = check_propagation_source(kernel, "/nonexistent-gb/data", "slave");

    ASSERT_FALSE(private_shared.ok());
    EXPECT_EQ(private_shared.error().message(), "path /nonexistent-gb/data is mounted on / but it is not a shared mount");
    ASSERT_FALSE(private_slave.ok());
    EXPECT_EQ(private_slave.error().message(), "path /nonexistent-gb/data is mounted on / but it is not a shared or slave mount");
    EXPECT_TRUE(check_propagation_source(kernel, "/srv/shared/x", "rshared").ok());
    EXPECT_TRUE(check_propagation_source(kernel, "/srv/slave/x", "rslave").ok());
    EXPECT_FALSE(check_propagation_source(kernel, "/srv/slave/x", "shared").ok());
    EXPECT_TRUE(check_propagation_source(kernel, "/nonexistent-gb/data", "rprivate").ok());
    EXPECT_EQ(propagation_flags("rshared"), static_cast<unsigned long>(MS_SHARED | MS_REC));
    EXPECT_EQ(propagation_flags("slave"), static_cast<unsigned long>(MS_SLAVE));
    EXPECT_EQ(propagation_flags(""), 0UL);
}

} // namespace
} // namespace engine::runtime
