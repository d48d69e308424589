// docker update's pure rules: dockerd's messages for bad values (400) and for updates that
// conflict with what the container already has (409), and how an update merges.
#include <gtest/gtest.h>

#include <chrono>

#include "engine/daemon/container_update.h"

namespace engine::daemon {
namespace {

constexpr std::int64_t k_mib = 1024 * 1024;

std::string message_of(const Result<void>& result) { return result.ok() ? "" : result.error().message(); }

TEST(RestartPolicyValidation, AcceptsDockersPoliciesAndRefusesOthersWithDockerdsWords)
{
    for (const char* name : { "", "no", "always", "unless-stopped", "on-failure" })
        EXPECT_TRUE(validate_restart_policy({ name, 0 }).ok()) << name;
    EXPECT_TRUE(validate_restart_policy({ "on-failure", 3 }).ok());

    auto bogus = validate_restart_policy({ "bogus", 0 });
    ASSERT_FALSE(bogus.ok());
    EXPECT_EQ(bogus.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(message_of(bogus), "invalid restart policy 'bogus'");
    EXPECT_EQ(message_of(validate_restart_policy({ "always", 3 })), "maximum retry count cannot be used with restart policy 'always'");
    EXPECT_EQ(message_of(validate_restart_policy({ "on-failure", -1 })), "maximum retry count cannot be negative");
}

TEST(UpdateValidation, RefusesWhatDockerdRefusesBeforeLookingAtTheContainer)
{
    ResourceUpdate small;
    small.memory = 1000;
    EXPECT_EQ(message_of(validate_update(small)), "Minimum memory limit allowed is 6MB");

    ResourceUpdate swap_below;
    swap_below.memory = 64 * k_mib;
    swap_below.memory_swap = 32 * k_mib;
    EXPECT_EQ(message_of(validate_update(swap_below)), "Minimum memoryswap limit should be larger than memory limit, see usage");

    ResourceUpdate both_cpu;
    both_cpu.nano_cpus = 500000000;
    both_cpu.cpu_quota = 20000;
    EXPECT_EQ(message_of(validate_update(both_cpu)), "Conflicting options: Nano CPUs and CPU Quota cannot both be set");

    ResourceUpdate period;
    period.cpu_period = 500;
    EXPECT_EQ(message_of(validate_update(period)), "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");

    ResourceUpdate reservation;
    reservation.memory_reservation = 1000;
    EXPECT_EQ(message_of(validate_update(reservation)), "Minimum memory reservation allowed is 6MB");

    ResourceUpdate policy;
    policy.restart_policy = RestartPolicy { "always", 2 };
    EXPECT_EQ(message_of(validate_update(policy)), "maximum retry count cannot be used with restart policy 'always'");

    ResourceUpdate fine;
    fine.memory = 32 * k_mib;
    fine.memory_swap = 64 * k_mib;
    fine.pids_limit = 0;
    EXPECT_TRUE(validate_update(fine).ok());
}

TEST(UpdateMerge, SetsOnlyWhatWasSentAndKeepsTheRest)
{
    ContainerConfig current;
    current.memory = 32 * k_mib;
    current.memory_swap = 64 * k_mib;
    current.cpu_shares = 512;
    current.pids_limit = 50;
    ResourceUpdate update;
    update.memory = 48 * k_mib; // Below the stored memory+swap, so no new swap is needed.
    update.cpuset_cpus = "0";
    update.cpuset_mems = "0";
    update.pids_limit = -1;
    update.restart_policy = RestartPolicy { "on-failure", 2 };
    std::vector<std::string> warnings;

    auto merged = merge_update(current, "abc", update, true, warnings);

    ASSERT_TRUE(merged.ok()) << merged.error().describe();
    EXPECT_EQ(merged.value().memory, 48 * k_mib);
    EXPECT_EQ(merged.value().memory_swap, 64 * k_mib);
    EXPECT_EQ(merged.value().cpu_shares, 512);
    EXPECT_EQ(merged.value().cpuset_cpus, "0");
    EXPECT_EQ(merged.value().cpuset_mems, "0");
    EXPECT_EQ(merged.value().pids_limit, std::optional<std::int64_t> { 0 });
    EXPECT_EQ(merged.value().restart_policy.name, "on-failure");
    EXPECT_EQ(merged.value().restart_policy.maximum_retry_count, 2);
    EXPECT_TRUE(warnings.empty());
}

TEST(UpdateMerge, MemoryAboveTheStoredSwapNeedsANewSwapAsInDockerd)
{
    ContainerConfig current; // Created without limits: MemorySwap 0.
    ResourceUpdate update;
    update.memory = 32 * k_mib;
    std::vector<std::string> warnings;

    auto refused = merge_update(current, "abc", update, true, warnings);
    update.memory_swap = 64 * k_mib;
    auto accepted = merge_update(current, "abc", update, true, warnings);

    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), ErrorKind::Conflict);
    EXPECT_EQ(refused.error().message(), "Cannot update container abc: Memory limit should be smaller than already set "
                                         "memoryswap limit, update the memoryswap at the same time");
    ASSERT_TRUE(accepted.ok());
    EXPECT_EQ(accepted.value().memory_swap, 64 * k_mib);
}

TEST(UpdateMerge, RefusesARestartPolicyOnAnAutoRemoveContainerButAcceptsNo)
{
    ContainerConfig current;
    current.auto_remove = true;
    ResourceUpdate always;
    always.restart_policy = RestartPolicy { "always", 0 };
    ResourceUpdate no;
    no.restart_policy = RestartPolicy { "no", 0 };
    std::vector<std::string> warnings;

    auto refused = merge_update(current, "abc", always, true, warnings);

    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message(),
        "Cannot update container abc: Restart policy cannot be updated because AutoRemove is enabled for the container");
    EXPECT_TRUE(merge_update(current, "abc", no, true, warnings).ok());
}

TEST(UpdateMerge, NanoCpusAndTheCfsPeriodExcludeEachOtherAcrossUpdates)
{
    ContainerConfig with_nano;
    with_nano.nano_cpus = 1000000000;
    ResourceUpdate period;
    period.cpu_period = 100000;
    std::vector<std::string> warnings;

    auto refused = merge_update(with_nano, "abc", period, true, warnings);

    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message(),
        "Cannot update container abc: Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
}

TEST(UpdateMerge, DiscardsABlkioWeightTheKernelCannotApplyWithDockerdsWarning)
{
    ContainerConfig current;
    ResourceUpdate update;
    update.blkio_weight = 300;
    update.kernel_memory = true;
    std::vector<std::string> warnings;

    auto merged = merge_update(current, "abc", update, false, warnings);

    ASSERT_TRUE(merged.ok());
    EXPECT_EQ(merged.value().blkio_weight, 0);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_EQ(warnings[0], "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
    EXPECT_EQ(warnings[1], "Specifying a kernel memory limit is deprecated and will be removed in a future release.");
}

} // namespace
} // namespace engine::daemon

namespace engine::daemon {
namespace {

std::string cpuset_message(CpusetKind kind, const std::string& requested, const std::string& available)
{
    auto result = check_cpuset_list(kind, requested, available);
    return result.ok() ? "" : result.error().message();
}

TEST(CpusetCheck, AcceptsListsTheHostHasWhateverTheirShape)
{
    EXPECT_TRUE(check_cpuset_list(CpusetKind::Cpus, "0-1", "0-3").ok());
    EXPECT_TRUE(check_cpuset_list(CpusetKind::Cpus, "0,2-3,1", "0-1,2-3").ok());
    EXPECT_TRUE(check_cpuset_list(CpusetKind::Mems, "0", "0").ok());
    EXPECT_TRUE(check_cpuset_list(CpusetKind::Mems, "", "0").ok());
}

TEST(CpusetCheck, RefusesWhatTheHostLacksWithDockerdsWords)
{
    EXPECT_EQ(cpuset_message(CpusetKind::Cpus, "0-4", "0-3"), "Requested CPUs are not available - requested 0-4, available: 0-3");
    EXPECT_EQ(cpuset_message(CpusetKind::Mems, "1", "0"),
        "Requested memory nodes are not available - requested 1, available: 0");
    // A hole in the host's list is not covered by the ranges on either side of it.
    EXPECT_FALSE(check_cpuset_list(CpusetKind::Cpus, "1-3", "0-1,3").ok());
    auto refused = check_cpuset_list(CpusetKind::Mems, "2", "0-1");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), ErrorKind::InvalidArgument);
}

TEST(CpusetCheck, RefusesMalformedListsAsInvalidValues)
{
    for (const char* bad : { "a", "1-", "-1", "3-1", "0,,1", "0-1-2", " 0", "0,", "99999999999999999999" })
        EXPECT_EQ(cpuset_message(CpusetKind::Cpus, bad, "0-3"), std::string("Invalid value ") + bad + " for cpuset cpus") << bad;
    EXPECT_EQ(cpuset_message(CpusetKind::Mems, "x", "0"), "Invalid value x for cpuset mems");
}

TEST(CpusetCheck, HugeRangesAreRefusedInBoundedTimeWithoutExpandingThem)
{
    // CVE-2018-20699: dockerd once expanded "0-4294967295" into a map of four billion entries.
    // Above 8192 (dockerd's cap) a number is an invalid value; below it, a range wider than the
    // host is unavailable. Both answers come from comparing intervals, so a million of these
    // take no longer than parsing the text.
    const auto began = std::chrono::steady_clock::now();
    for (const char* huge : { "0-4294967295", "0-18446744073709551615", "4294967295", "8193" }) {
        EXPECT_EQ(cpuset_message(CpusetKind::Cpus, huge, "0-3"), std::string("Invalid value ") + huge + " for cpuset cpus");
        EXPECT_EQ(cpuset_message(CpusetKind::Mems, huge, "0"), std::string("Invalid value ") + huge + " for cpuset mems");
    }
    EXPECT_EQ(cpuset_message(CpusetKind::Cpus, "0-8192", "0-3"), "Requested CPUs are not available - requested 0-8192, available: 0-3");
    // A host with more CPUs than the cap raises it to its own largest CPU, as dockerd does.
    EXPECT_TRUE(check_cpuset_list(CpusetKind::Cpus, "0-9999", "0-9999").ok());
    std::string many;
    for (int i = 0; i < 100000; ++i)
        many += (i ? "," : "") + std::string("0-8192");
    EXPECT_FALSE(check_cpuset_list(CpusetKind::Cpus, many, "0-3").ok());
    std::string all_held;
    for (int i = 0; i < 100000; ++i)
        all_held += (i ? "," : "") + std::string("0-9999");
    EXPECT_TRUE(check_cpuset_list(CpusetKind::Cpus, all_held, "0-9999").ok());
    const auto took = std::chrono::steady_clock::now() - began;
    EXPECT_LT(took, std::chrono::seconds(2));
}

} // namespace
} // namespace engine::daemon
