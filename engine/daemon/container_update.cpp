// docker update's rules, after dockerd 20.10 (daemon/update.go, container.UpdateContainer and
// the resource checks create shares): the messages are dockerd's, so clients that match on them
// (and people who search for them) find the same text.
#include "engine/daemon/container_update.h"

#include <algorithm>
#include <limits>
#include <string_view>

#include "engine/base/strings.h"

namespace engine::daemon {

namespace {

constexpr std::int64_t k_min_memory = 6 * 1024 * 1024;

Error conflicting(const std::string& id, const std::string& what)
{
    return Error::conflict("Cannot update container " + id + ": " + what);
}

} // namespace

namespace {

struct CpuRange {
    std::uint64_t low { 0 };
    std::uint64_t high { 0 };
};

// moby's parsers.ParseUintListMaximum without its map: "n" or "a-b" parts separated by commas,
// a <= b, nothing above `maximum`. Each part becomes one interval however wide it is.
bool parse_cpu_ranges(const std::string& list, std::uint64_t maximum, std::vector<CpuRange>& out)
{
    std::string_view rest = list;
    while (true) {
        auto comma = rest.find(',');
        auto part = rest.substr(0, comma);
        auto dash = part.find('-');
        CpuRange range;
        if (!strings::parse_uint(part.substr(0, dash), range.low))
            return false;
        range.high = range.low;
        if (dash != std::string_view::npos && !strings::parse_uint(part.substr(dash + 1), range.high))
            return false;
        if (range.high < range.low || range.high > maximum)
            return false;
        out.push_back(range);
        if (comma == std::string_view::npos)
            return true;
        rest.remove_prefix(comma + 1);
    }
}

} // namespace

Result<void> check_cpuset_list(CpusetKind kind, const std::string& requested, const std::string& available)
{
    const bool cpus = kind == CpusetKind::Cpus;
    std::vector<CpuRange> have;
    // The host's own list is trusted to parse; a host with more than 8192 CPUs raises the cap.
    parse_cpu_ranges(available, std::numeric_limits<std::uint64_t>::max(), have);
    std::uint64_t maximum = 8192;
    for (const auto& range : have)
        maximum = std::max(maximum, range.high);
    std::vector<CpuRange> wanted;
    if (requested.empty())
        return Ok {};
    if (!parse_cpu_ranges(requested, maximum, wanted))
        return Error::invalid("Invalid value " + requested + (cpus ? " for cpuset cpus" : " for cpuset mems"));
    // Merged, the host's ranges are disjoint, so a wanted range is available only if one of them
    // holds it whole.
    std::sort(have.begin(), have.end(), [](const CpuRange& a, const CpuRange& b) { return a.low < b.low; });
    std::vector<CpuRange> merged;
    for (const auto& range : have) {
        if (!merged.empty() && range.low <= merged.back().high + 1)
            merged.back().high = std::max(merged.back().high, range.high);
        else
            merged.push_back(range);
    }
    for (const auto& range : wanted) {
        bool held = std::any_of(merged.begin(), merged.end(),
            [&](const CpuRange& h) { return h.low <= range.low && range.high <= h.high; });
        if (!held)
            return Error::invalid(std::string(cpus ? "Requested CPUs are not available" : "Requested memory nodes are not available")
                + " - requested " + requested + ", available: " + available);
    }
    return Ok {};
}

Result<void> validate_restart_policy(const RestartPolicy& policy)
{
    static const std::vector<std::string> names = { "", "no", "always", "on-failure", "unless-stopped" };
    if (std::find(names.begin(), names.end(), policy.name) == names.end())
        return Error::invalid("invalid restart policy '" + policy.name + "'");
    if (policy.maximum_retry_count < 0)
        return Error::invalid("maximum retry count cannot be negative");
    if (policy.maximum_retry_count != 0 && policy.name != "on-failure")
        return Error::invalid("maximum retry count cannot be used with restart policy '"
            + (policy.name.empty() ? std::string("no") : policy.name) + "'");
    return Ok {};
}

Result<void> validate_update(const ResourceUpdate& u)
{
    auto set = [](const std::optional<std::int64_t>& value) { return value.value_or(0) != 0; };
    auto positive = [](const std::optional<std::int64_t>& value) { return value.value_or(0) > 0; };
    if (set(u.memory) && *u.memory < k_min_memory)
        return Error::invalid("Minimum memory limit allowed is 6MB");
    if (positive(u.memory) && positive(u.memory_swap) && *u.memory_swap < *u.memory)
        return Error::invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (set(u.memory_reservation) && *u.memory_reservation < k_min_memory)
        return Error::invalid("Minimum memory reservation allowed is 6MB");
    if (positive(u.memory) && positive(u.memory_reservation) && *u.memory < *u.memory_reservation)
        return Error::invalid("Minimum memory limit can not be less than memory reservation limit, see usage");
    if (positive(u.nano_cpus) && positive(u.cpu_quota))
        return Error::invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    if (positive(u.nano_cpus) && positive(u.cpu_period))
        return Error::invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (u.nano_cpus.value_or(0) < 0)
        return Error::invalid("Range of CPUs is from 0.01 to the number of CPUs available");
    if (set(u.cpu_period) && (*u.cpu_period < 1000 || *u.cpu_period > 1000000))
        return Error::invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    if (positive(u.cpu_quota) && *u.cpu_quota < 1000)
        return Error::invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (positive(u.blkio_weight) && (*u.blkio_weight < 10 || *u.blkio_weight > 1000))
        return Error::invalid("Range of blkio weight is from 10 to 1000");
    if (u.cpu_shares.value_or(0) < 0)
        return Error::invalid("cpu shares cannot be negative");
    if (u.restart_policy)
        TRY(validate_restart_policy(*u.restart_policy));
    return Ok {};
}

Result<ContainerConfig> merge_update(const ContainerConfig& current, const std::string& id, const ResourceUpdate& u,
    bool blkio_weight_supported, std::vector<std::string>& warnings)
{
    ContainerConfig next = current;
    auto positive = [](const std::optional<std::int64_t>& value) { return value.value_or(0) > 0; };
    auto set = [](const std::optional<std::int64_t>& value) { return value.value_or(0) != 0; };

    // NanoCpus sets the CFS period and quota itself, so once one way is in use the other is
    // refused, in both directions.
    if (positive(u.nano_cpus) && current.cpu_period > 0)
        return conflicting(id, "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
    if (positive(u.nano_cpus) && current.cpu_quota > 0)
        return conflicting(id, "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
    if (positive(u.cpu_period) && current.nano_cpus > 0)
        return conflicting(id, "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
    if (positive(u.cpu_quota) && current.nano_cpus > 0)
        return conflicting(id, "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");

    if (set(u.blkio_weight)) {
        if (blkio_weight_supported)
            next.blkio_weight = *u.blkio_weight;
        else
            warnings.push_back("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
    }
    if (set(u.cpu_shares))
        next.cpu_shares = *u.cpu_shares;
    if (set(u.nano_cpus))
        next.nano_cpus = *u.nano_cpus;
    if (set(u.cpu_period))
        next.cpu_period = *u.cpu_period;
    if (set(u.cpu_quota))
        next.cpu_quota = *u.cpu_quota;
    if (u.cpuset_cpus && !u.cpuset_cpus->empty())
        next.cpuset_cpus = *u.cpuset_cpus;
    if (u.cpuset_mems && !u.cpuset_mems->empty())
        next.cpuset_mems = *u.cpuset_mems;
    if (set(u.memory)) {
        // dockerd compares with the stored memory+swap as it is, so a container created
        // without one needs MemorySwap in the same update.
        if (*u.memory > current.memory_swap && !set(u.memory_swap))
            return conflicting(id, "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
        next.memory = *u.memory;
    }
    if (set(u.memory_swap))
        next.memory_swap = *u.memory_swap;
    if (set(u.memory_reservation))
        next.memory_reservation = *u.memory_reservation;
    if (u.kernel_memory)
        warnings.push_back("Specifying a kernel memory limit is deprecated and will be removed in a future release.");
    if (u.pids_limit)
        next.pids_limit = std::max<std::int64_t>(*u.pids_limit, 0); // 0 and -1 both mean "no limit".

    if (u.restart_policy && !u.restart_policy->name.empty()) {
        if (current.auto_remove && u.restart_policy->name != "no")
            return conflicting(id, "Restart policy cannot be updated because AutoRemove is enabled for the container");
        next.restart_policy = *u.restart_policy;
    }
    return next;
}

} // namespace engine::daemon
