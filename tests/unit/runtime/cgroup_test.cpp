// Which cgroup files get which values on each layout (v1, hybrid, v2), and how stats are read
// back, against an in-memory kernel.
#include "engine/runtime/cgroup.h"

#include <gtest/gtest.h>

#include "tests/unit/runtime/recording_kernel.h"

namespace engine::runtime {
namespace {

using testing::RecordingKernel;

constexpr const char* k_root = "/sys/fs/cgroup";

Resources sample_resources()
{
    Resources resources;
    resources.memory_bytes = 32 * 1024 * 1024;
    resources.pids_limit = 100;
    resources.nano_cpus = 1500000000;
    resources.cpu_shares = 512;
    return resources;
}

RecordingKernel v1_kernel(bool hybrid)
{
    RecordingKernel kernel;
    kernel.dirs.insert("/sys");
    kernel.dirs.insert("/sys/fs");
    kernel.dirs.insert(k_root);
    for (const char* controller : { "memory", "pids", "cpu", "cpuacct", "cpuset" })
        kernel.dirs.insert(std::string(k_root) + "/" + controller);
    if (hybrid)
        kernel.dirs.insert(std::string(k_root) + "/unified");
    kernel.files[std::string(k_root) + "/cpuset/cpuset.cpus"] = "0-1\n";
    kernel.files[std::string(k_root) + "/cpuset/cpuset.mems"] = "0\n";
    // The kernel creates this in every new memory cgroup when swap is accounted.
    kernel.files[std::string(k_root) + "/memory/glassbox/c1/memory.memsw.limit_in_bytes"] = "";
    return kernel;
}

TEST(CgroupTest, V1WritesLimitsIntoEachControllerHierarchy)
{
    auto kernel = v1_kernel(false);
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1);

    auto result = cgroup.create(kernel, sample_resources());

    ASSERT_TRUE(result.ok()) << result.error().describe();
    std::string base = k_root;
    EXPECT_EQ(kernel.written(base + "/memory/glassbox/c1/memory.limit_in_bytes"), "33554432");
    EXPECT_EQ(kernel.written(base + "/memory/glassbox/c1/memory.memsw.limit_in_bytes"), "33554432");
    EXPECT_EQ(kernel.written(base + "/pids/glassbox/c1/pids.max"), "100");
    EXPECT_EQ(kernel.written(base + "/cpu/glassbox/c1/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(kernel.written(base + "/cpu/glassbox/c1/cpu.cfs_quota_us"), "150000");
    EXPECT_EQ(kernel.written(base + "/cpu/glassbox/c1/cpu.shares"), "512");
    // cpusets start empty: both levels get the parent's CPUs and memory nodes.
    EXPECT_EQ(kernel.written(base + "/cpuset/glassbox/cpuset.cpus"), "0-1");
    EXPECT_EQ(kernel.written(base + "/cpuset/glassbox/c1/cpuset.mems"), "0");
    EXPECT_TRUE(kernel.dirs.contains(base + "/cpuacct/glassbox/c1"));
    // Hierarchies this kernel does not have are skipped, not errors.
    EXPECT_FALSE(kernel.dirs.contains(base + "/freezer/glassbox/c1"));
    EXPECT_FALSE(kernel.dirs.contains(base + "/unified/glassbox/c1"));
}

TEST(CgroupTest, HybridAlsoCreatesTheUnifiedDirectoryWithoutLimits)
{
    auto kernel = v1_kernel(true);
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::Hybrid);

    ASSERT_TRUE(cgroup.create(kernel, sample_resources()).ok());

    std::string unified = std::string(k_root) + "/unified/glassbox/c1";
    EXPECT_TRUE(kernel.dirs.contains(unified));
    for (const auto& [path, value] : kernel.writes)
        EXPECT_FALSE(path.starts_with(unified)) << path;
    EXPECT_EQ(cgroup.paths().back(), unified);
}

TEST(CgroupTest, SwapMinusOneIsUnlimitedAndSmallerThanMemoryIsRefused)
{
    auto kernel = v1_kernel(false);
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1);
    auto resources = sample_resources();

    resources.memory_swap_bytes = -1;
    ASSERT_TRUE(cgroup.create(kernel, resources).ok());
    EXPECT_EQ(kernel.written(std::string(k_root) + "/memory/glassbox/c1/memory.memsw.limit_in_bytes"), "-1");

    resources.memory_swap_bytes = 1024;
    auto refused = cgroup.create(kernel, resources);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message().find("memory_swap_bytes"), std::string::npos);
}

TEST(CgroupTest, V2UsesUnifiedFilesAndEnablesControllersInParents)
{
    RecordingKernel kernel;
    kernel.dirs.insert("/sys/fs");
    kernel.dirs.insert(k_root);
    kernel.files[std::string(k_root) + "/cgroup.controllers"] = "cpuset cpu io memory pids\n";
    kernel.files[std::string(k_root) + "/glassbox/cgroup.controllers"] = "cpu memory pids\n";
    kernel.files[std::string(k_root) + "/glassbox/c1/memory.swap.max"] = "max\n";
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V2);

    auto result = cgroup.create(kernel, sample_resources());

    ASSERT_TRUE(result.ok()) << result.error().describe();
    std::string dir = std::string(k_root) + "/glassbox/c1";
    EXPECT_EQ(kernel.written(dir + "/memory.max"), "33554432");
    EXPECT_EQ(kernel.written(dir + "/memory.swap.max"), "0");
    EXPECT_EQ(kernel.written(dir + "/pids.max"), "100");
    EXPECT_EQ(kernel.written(dir + "/cpu.max"), "150000 100000");
    EXPECT_EQ(kernel.written(dir + "/cpu.weight"), "20"); // 1 + (512 - 2) * 9999 / 262142.
    EXPECT_EQ(kernel.written(std::string(k_root) + "/glassbox/cgroup.subtree_control"), "+pids");
    EXPECT_EQ(cgroup.paths(), std::vector<std::string> { dir });
}

TEST(CgroupTest, APeriodWithoutAQuotaIsWrittenOnEveryLayoutAndLeavesTheQuotaUnlimited)
{
    Resources resources;
    resources.cpu_period_us = 50000;
    std::string base = k_root;
    for (auto layout : { sys::CgroupLayout::V1, sys::CgroupLayout::Hybrid }) {
        auto kernel = v1_kernel(layout == sys::CgroupLayout::Hybrid);

        ASSERT_TRUE(Cgroup::for_layout("glassbox/c1", layout).create(kernel, resources).ok());

        EXPECT_EQ(kernel.written(base + "/cpu/glassbox/c1/cpu.cfs_period_us"), "50000");
        for (const auto& write : kernel.writes)
            EXPECT_NE(write.first, base + "/cpu/glassbox/c1/cpu.cfs_quota_us");
    }
    RecordingKernel v2;
    v2.dirs.insert("/sys/fs");
    v2.dirs.insert(k_root);
    v2.files[base + "/cgroup.controllers"] = "cpu memory pids\n";

    ASSERT_TRUE(Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V2).create(v2, resources).ok());

    EXPECT_EQ(v2.written(base + "/glassbox/c1/cpu.max"), "max 50000");
}

TEST(CgroupTest, StatsReadV1Files)
{
    RecordingKernel kernel;
    std::string base = k_root;
    kernel.files[base + "/memory/g/c/memory.usage_in_bytes"] = "4096\n";
    kernel.files[base + "/memory/g/c/memory.limit_in_bytes"] = "9223372036854771712\n";
    kernel.files[base + "/memory/g/c/memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
    kernel.files[base + "/pids/g/c/pids.current"] = "2\n";
    kernel.files[base + "/pids/g/c/pids.max"] = "max\n";
    kernel.files[base + "/cpuacct/g/c/cpuacct.usage"] = "123456789\n";
    kernel.files[base + "/cpu/g/c/cpu.cfs_quota_us"] = "-1\n";
    kernel.files[base + "/cpu/g/c/cpu.cfs_period_us"] = "100000\n";

    auto stats = Cgroup::for_layout("g/c", sys::CgroupLayout::Hybrid).stats(kernel);

    EXPECT_EQ(stats.memory_usage, 4096);
    EXPECT_EQ(stats.memory_limit, 0); // The kernel's "unlimited".
    EXPECT_EQ(stats.oom_kills, 3);
    EXPECT_EQ(stats.pids_current, 2);
    EXPECT_EQ(stats.pids_limit, 0);
    EXPECT_EQ(stats.cpu_usage_ns, 123456789);
    EXPECT_EQ(stats.cpu_quota_us, 0);
    EXPECT_EQ(stats.cpu_period_us, 100000);
}

TEST(CgroupTest, StatsReadV2Files)
{
    RecordingKernel kernel;
    std::string dir = std::string(k_root) + "/g/c";
    kernel.files[dir + "/memory.current"] = "8192\n";
    kernel.files[dir + "/memory.max"] = "33554432\n";
    kernel.files[dir + "/memory.events"] = "low 0\nhigh 0\nmax 5\noom 1\noom_kill 2\n";
    kernel.files[dir + "/cpu.stat"] = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n";
    kernel.files[dir + "/cpu.max"] = "50000 100000\n";
    kernel.files[dir + "/pids.current"] = "7\n";
    kernel.files[dir + "/pids.max"] = "64\n";

    auto stats = Cgroup::for_layout("g/c", sys::CgroupLayout::V2).stats(kernel);

    EXPECT_EQ(stats.memory_usage, 8192);
    EXPECT_EQ(stats.memory_limit, 33554432);
    EXPECT_EQ(stats.oom_kills, 2);
    EXPECT_EQ(stats.cpu_usage_ns, 1500000);
    EXPECT_EQ(stats.cpu_quota_us, 50000);
    EXPECT_EQ(stats.cpu_period_us, 100000);
    EXPECT_EQ(stats.pids_current, 7);
    EXPECT_EQ(stats.pids_limit, 64);
}

TEST(CgroupTest, BadNamesAndMissingHierarchiesAreClearErrors)
{
    RecordingKernel kernel;
    kernel.dirs.insert(k_root);

    auto escape = Cgroup::for_layout("glassbox/../../etc", sys::CgroupLayout::V2).create(kernel, {});
    auto none = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::None).create(kernel, sample_resources());

    ASSERT_FALSE(escape.ok());
    EXPECT_NE(escape.error().message().find("cgroup_name"), std::string::npos);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().kind(), ErrorKind::Unsupported);
    EXPECT_TRUE(Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::None).create(kernel, {}).ok());
}

TEST(CgroupTest, RemoveDeletesEveryHierarchysDirectory)
{
    auto kernel = v1_kernel(true);
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::Hybrid);
    ASSERT_TRUE(cgroup.create(kernel, {}).ok());

    ASSERT_TRUE(cgroup.remove(kernel).ok());

    for (const auto& path : cgroup.paths())
        EXPECT_FALSE(kernel.dirs.contains(path)) << path;
    EXPECT_TRUE(kernel.dirs.contains(std::string(k_root) + "/memory/glassbox")); // Shared parent stays.
}

TEST(CgroupFreezerTest, V1PauseWritesFrozenAndResumeThawed)
{
    auto kernel = v1_kernel(false);
    kernel.dirs.insert(std::string(k_root) + "/freezer");
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1);
    ASSERT_TRUE(cgroup.create(kernel, {}).ok());
    std::string state = std::string(k_root) + "/freezer/glassbox/c1/freezer.state";

    auto frozen = cgroup.freeze(kernel);
    bool was_frozen = cgroup.frozen(kernel);
    auto thawed = cgroup.thaw(kernel);

    ASSERT_TRUE(frozen.ok()) << frozen.error().describe();
    ASSERT_TRUE(thawed.ok()) << thawed.error().describe();
    EXPECT_TRUE(was_frozen);
    EXPECT_FALSE(cgroup.frozen(kernel));
    EXPECT_EQ(kernel.written(state), "THAWED");
}

TEST(CgroupFreezerTest, MountsTheV1FreezerWhenTheControllerIsThereButUnmounted)
{
    auto kernel = v1_kernel(false);
    kernel.files["/proc/cgroups"] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\nfreezer\t0\t1\t1\n";
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1);

    auto created = cgroup.create(kernel, {});

    ASSERT_TRUE(created.ok()) << created.error().describe();
    ASSERT_EQ(kernel.mounts.size(), 1u);
    EXPECT_EQ(kernel.mounts[0].fstype, "cgroup");
    EXPECT_EQ(kernel.mounts[0].data, "freezer");
    EXPECT_EQ(kernel.mounts[0].target, std::string(k_root) + "/freezer");
}

TEST(CgroupFreezerTest, V2PausesWithCgroupFreeze)
{
    RecordingKernel kernel;
    kernel.dirs.insert(k_root);
    kernel.dirs.insert(std::string(k_root) + "/glassbox");
    kernel.dirs.insert(std::string(k_root) + "/glassbox/c1");
    // The kernel reports the state in cgroup.events; this fake flips it as the real one would.
    kernel.files[std::string(k_root) + "/glassbox/c1/cgroup.events"] = "populated 1\nfrozen 1\n";
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V2);

    auto frozen = cgroup.freeze(kernel);

    ASSERT_TRUE(frozen.ok()) << frozen.error().describe();
    EXPECT_EQ(kernel.written(std::string(k_root) + "/glassbox/c1/cgroup.freeze"), "1");
}

TEST(CgroupUpdateTest, V1UpdateWritesTheNewLimitsAndLiftsThePidsLimit)
{
    auto kernel = v1_kernel(false);
    auto cgroup = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1);
    ASSERT_TRUE(cgroup.create(kernel, sample_resources()).ok());
    Resources next;
    next.memory_bytes = 48 * 1024 * 1024;
    next.memory_swap_bytes = 96 * 1024 * 1024;
    next.cpuset_cpus = "0";
    next.memory_reservation_bytes = 16 * 1024 * 1024;

    auto updated = cgroup.update(kernel, next);

    ASSERT_TRUE(updated.ok()) << updated.error().describe();
    std::string base = k_root;
    EXPECT_EQ(kernel.written(base + "/memory/glassbox/c1/memory.limit_in_bytes"), "50331648");
    EXPECT_EQ(kernel.written(base + "/memory/glassbox/c1/memory.memsw.limit_in_bytes"), "100663296");
    EXPECT_EQ(kernel.written(base + "/memory/glassbox/c1/memory.soft_limit_in_bytes"), "16777216");
    EXPECT_EQ(kernel.written(base + "/cpuset/glassbox/c1/cpuset.cpus"), "0");
    EXPECT_EQ(kernel.written(base + "/pids/glassbox/c1/pids.max"), "max");
}

} // namespace
} // namespace engine::runtime
