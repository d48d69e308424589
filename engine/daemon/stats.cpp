// GET /containers/{id}/stats, the daemon side: one sample of a container's resource use in the
// shape dockerd 20.10 sends (types.StatsJSON), read from its cgroups (v1 controllers or cgroup2)
// and from the counters of the links in its network namespace. The CLI's `docker stats` derives
// CPU % from two samples (cpu_stats against precpu_stats, with system_cpu_usage), MEM USAGE from
// usage minus the inactive file cache, NET I/O from `networks`, BLOCK I/O from
// blkio_stats.io_service_bytes_recursive and PIDS from pids_stats; every one of those is filled
// here. precpu_stats and preread come from the previous sample, which the API handler keeps.
#include <unistd.h>

#include <chrono>
#include <optional>

#include "engine/base/strings.h"
#include "engine/daemon/engine.h"
#include "engine/daemon/engine_internal.h"
#include "engine/network/netlink.h"
#include "engine/runtime/cgroup.h"

namespace engine::daemon {

using Json = nlohmann::json;

namespace {

    std::optional<std::uint64_t> to_u64(const std::string& text)
    {
        auto trimmed = strings::trim(text);
        if (trimmed.empty() || trimmed.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        try {
            return std::stoull(trimmed);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

    // The first of a container's cgroup directories that has `file`, read whole. On the hybrid
    // layout the same name can exist in a v1 controller and in the unified tree, so callers
    // ask for a file only one layout has before trusting a shared name.
    std::optional<std::string> read_cgroup_file(sys::Kernel& kernel, const std::vector<std::string>& dirs,
        const std::string& file)
    {
        for (const auto& dir : dirs) {
            auto text = kernel.read_file(dir + "/" + file);
            if (text.ok())
                return text.value();
        }
        return std::nullopt;
    }

    bool has_cgroup_file(sys::Kernel& kernel, const std::vector<std::string>& dirs, const std::string& file)
    {
        for (const auto& dir : dirs)
            if (kernel.path_exists(dir + "/" + file))
                return true;
        return false;
    }

    // "key value" lines (memory.stat, cpu.stat, cpuacct.stat) as a JSON object of numbers.
    Json key_values(const std::string& text)
    {
        Json out = Json::object();
        for (const auto& line : strings::split(text, '\n')) {
            auto fields = strings::split(strings::trim(line), ' ');
            if (fields.size() == 2)
                if (auto value = to_u64(fields[1]))
                    out[fields[0]] = *value;
        }
        return out;
    }

    std::uint64_t number_in(const Json& object, const std::string& key)
    {
        return object.contains(key) && object[key].is_number_unsigned() ? object[key].get<std::uint64_t>() : 0;
    }

    // v1 blkio files: "8:0 Read 4096" per device and operation; the closing "Total N" line,
    // which names no device, is left out (dockerd does the same).
    Json blkio_v1_entries(const std::optional<std::string>& text)
    {
        Json out = Json::array();
        if (!text)
            return out;
        for (const auto& line : strings::split(*text, '\n')) {
            auto fields = strings::split(strings::trim(line), ' ');
            if (fields.size() != 3)
                continue;
            auto device = strings::split(fields[0], ':');
            auto value = to_u64(fields[2]);
            if (device.size() != 2 || !value)
                continue;
            out.push_back({ { "major", to_u64(device[0]).value_or(0) }, { "minor", to_u64(device[1]).value_or(0) },
                { "op", fields[1] }, { "value", *value } });
        }
        return out;
    }

    // cgroup2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device, turned
    // into the v1 shape with lower-case ops as dockerd reports them on cgroup2.
    void blkio_v2_entries(const std::string& text, Json& bytes, Json& ios)
    {
        for (const auto& line : strings::split(text, '\n')) {
            auto fields = strings::split(strings::trim(line), ' ');
            if (fields.size() < 2)
                continue;
            auto device = strings::split(fields[0], ':');
            if (device.size() != 2)
                continue;
            auto major = to_u64(device[0]).value_or(0);
            auto minor = to_u64(device[1]).value_or(0);
            for (std::size_t i = 1; i < fields.size(); ++i) {
                auto eq = fields[i].find('=');
                if (eq == std::string::npos)
                    continue;
                auto key = fields[i].substr(0, eq);
                auto value = to_u64(fields[i].substr(eq + 1)).value_or(0);
                Json entry = { { "major", major }, { "minor", minor }, { "value", value } };
                if (key == "rbytes" || key == "wbytes") {
                    entry["op"] = key == "rbytes" ? "read" : "write";
                    bytes.push_back(entry);
                } else if (key == "rios" || key == "wios") {
                    entry["op"] = key == "rios" ? "read" : "write";
                    ios.push_back(entry);
                }
            }
        }
    }

    // The host's CPU time in nanoseconds since boot (the "cpu" line of /proc/stat, user through
    // steal), the denominator docker's CPU % uses.
    std::uint64_t system_cpu_usage(sys::Kernel& kernel)
    {
        auto text = kernel.read_file("/proc/stat");
        if (!text.ok())
            return 0;
        long ticks_per_second = ::sysconf(_SC_CLK_TCK);
        if (ticks_per_second <= 0)
            ticks_per_second = 100;
        for (const auto& line : strings::split(text.value(), '\n')) {
            if (!strings::starts_with(line, "cpu "))
                continue;
            std::uint64_t total = 0;
            auto fields = strings::split(strings::trim(line.substr(4)), ' ');
            int taken = 0;
            for (const auto& field : fields) {
                if (field.empty())
                    continue;
                if (taken++ == 8)
                    break;
                total += to_u64(field).value_or(0);
            }
            return total * (1000000000ULL / static_cast<std::uint64_t>(ticks_per_second));
        }
        return 0;
    }

    // MemTotal from /proc/meminfo in bytes: dockerd reports it as the limit of a container
    // without one (an unlimited cgroup says "max" or a number near 2^63).
    std::uint64_t host_memory(sys::Kernel& kernel)
    {
        auto text = kernel.read_file("/proc/meminfo");
        if (!text.ok())
            return 0;
        for (const auto& line : strings::split(text.value(), '\n')) {
            if (!strings::starts_with(line, "MemTotal:"))
                continue;
            auto value = strings::trim(line.substr(9));
            if (strings::ends_with(value, " kB"))
                value = strings::trim(value.substr(0, value.size() - 3));
            return to_u64(value).value_or(0) * 1024;
        }
        return 0;
    }

    Json zero_cpu_stats()
    {
        return { { "cpu_usage", { { "total_usage", 0 }, { "usage_in_kernelmode", 0 }, { "usage_in_usermode", 0 } } },
            { "system_cpu_usage", 0 }, { "online_cpus", 0 },
            { "throttling_data", { { "periods", 0 }, { "throttled_periods", 0 }, { "throttled_time", 0 } } } };
    }

    Json cpu_stats(sys::Kernel& kernel, const std::vector<std::string>& dirs)
    {
        Json cpu = zero_cpu_stats();
        auto& usage = cpu["cpu_usage"];
        Json throttling = Json::object();
        if (auto total = read_cgroup_file(kernel, dirs, "cpuacct.usage")) {
            // v1: cpuacct.usage and usage_percpu in ns; cpuacct.stat in USER_HZ ticks.
            usage["total_usage"] = to_u64(*total).value_or(0);
            Json percpu = Json::array();
            if (auto text = read_cgroup_file(kernel, dirs, "cpuacct.usage_percpu"))
                for (const auto& field : strings::split(strings::trim(*text), ' '))
                    if (auto value = to_u64(field))
                        percpu.push_back(*value);
            usage["percpu_usage"] = percpu;
            if (auto text = read_cgroup_file(kernel, dirs, "cpuacct.stat")) {
                auto ticks = key_values(*text);
                long hz = ::sysconf(_SC_CLK_TCK);
                std::uint64_t ns_per_tick = 1000000000ULL / static_cast<std::uint64_t>(hz > 0 ? hz : 100);
                usage["usage_in_usermode"] = number_in(ticks, "user") * ns_per_tick;
                usage["usage_in_kernelmode"] = number_in(ticks, "system") * ns_per_tick;
            }
            for (const auto& dir : dirs)
                if (kernel.path_exists(dir + "/cpu.cfs_period_us"))
                    if (auto text = kernel.read_file(dir + "/cpu.stat"); text.ok())
                        throttling = key_values(text.value());
            cpu["throttling_data"] = { { "periods", number_in(throttling, "nr_periods") },
                { "throttled_periods", number_in(throttling, "nr_throttled") },
                { "throttled_time", number_in(throttling, "throttled_time") } };
        } else if (auto text = read_cgroup_file(kernel, dirs, "cpu.stat")) {
            // cgroup2: one cpu.stat in microseconds.
            auto values = key_values(*text);
            usage["total_usage"] = number_in(values, "usage_usec") * 1000;
            usage["usage_in_usermode"] = number_in(values, "user_usec") * 1000;
            usage["usage_in_kernelmode"] = number_in(values, "system_usec") * 1000;
            cpu["throttling_data"] = { { "periods", number_in(values, "nr_periods") },
                { "throttled_periods", number_in(values, "nr_throttled") },
                { "throttled_time", number_in(values, "throttled_usec") * 1000 } };
        }
        cpu["system_cpu_usage"] = system_cpu_usage(kernel);
        long online = ::sysconf(_SC_NPROCESSORS_ONLN);
        cpu["online_cpus"] = online > 0 ? online : 1;
        return cpu;
    }

    Json memory_stats(sys::Kernel& kernel, const std::vector<std::string>& dirs)
    {
        Json memory = Json::object();
        std::uint64_t limit = 0;
        if (has_cgroup_file(kernel, dirs, "memory.usage_in_bytes")) {
            memory["usage"] = to_u64(read_cgroup_file(kernel, dirs, "memory.usage_in_bytes").value_or("")).value_or(0);
            memory["max_usage"] = to_u64(read_cgroup_file(kernel, dirs, "memory.max_usage_in_bytes").value_or("")).value_or(0);
            limit = to_u64(read_cgroup_file(kernel, dirs, "memory.limit_in_bytes").value_or("")).value_or(0);
            memory["failcnt"] = to_u64(read_cgroup_file(kernel, dirs, "memory.failcnt").value_or("")).value_or(0);
        } else {
            memory["usage"] = to_u64(read_cgroup_file(kernel, dirs, "memory.current").value_or("")).value_or(0);
            limit = to_u64(read_cgroup_file(kernel, dirs, "memory.max").value_or("")).value_or(0); // "max" -> 0.
        }
        memory["stats"] = key_values(read_cgroup_file(kernel, dirs, "memory.stat").value_or(""));
        auto host = host_memory(kernel);
        if (host > 0 && (limit == 0 || limit > host))
            limit = host;
        memory["limit"] = limit;
        return memory;
    }

    Json blkio_stats(sys::Kernel& kernel, const std::vector<std::string>& dirs)
    {
        Json blkio = { { "io_service_bytes_recursive", Json::array() }, { "io_serviced_recursive", Json::array() },
            { "io_queue_recursive", Json::array() }, { "io_service_time_recursive", Json::array() },
            { "io_wait_time_recursive", Json::array() }, { "io_merged_recursive", Json::array() },
            { "io_time_recursive", Json::array() }, { "sectors_recursive", Json::array() } };
        if (has_cgroup_file(kernel, dirs, "blkio.throttle.io_service_bytes")) {
            auto recursive_or_flat = [&](const std::string& name) {
                auto text = read_cgroup_file(kernel, dirs, name + "_recursive");
                return text ? text : read_cgroup_file(kernel, dirs, name);
            };
            blkio["io_service_bytes_recursive"] = blkio_v1_entries(recursive_or_flat("blkio.throttle.io_service_bytes"));
            blkio["io_serviced_recursive"] = blkio_v1_entries(recursive_or_flat("blkio.throttle.io_serviced"));
        } else if (auto text = read_cgroup_file(kernel, dirs, "io.stat")) {
            blkio_v2_entries(*text, blkio["io_service_bytes_recursive"], blkio["io_serviced_recursive"]);
        }
        return blkio;
    }

    // Per-interface counters of every link in the container's namespace but lo, keyed by the
    // name inside it ("eth0"), as dockerd reports them.
    Json network_stats(network::Netlink& netlink, const std::string& netns)
    {
        Json networks = Json::object();
        auto links = netlink.list_links(netns);
        if (!links.ok())
            return networks;
        for (const auto& link : links.value()) {
            if (link.name == "lo")
                continue;
            const auto& c = link.counters;
            networks[link.name] = { { "rx_bytes", c.rx_bytes }, { "rx_packets", c.rx_packets },
                { "rx_errors", c.rx_errors }, { "rx_dropped", c.rx_dropped }, { "tx_bytes", c.tx_bytes },
                { "tx_packets", c.tx_packets }, { "tx_errors", c.tx_errors }, { "tx_dropped", c.tx_dropped } };
        }
        return networks;
    }

} // namespace

Result<nlohmann::json> Engine::container_stats(const std::string& ref) const
{
    auto view = TRY(inspect_container(ref));
    bool running = view.state.status == Status::Running;
    Json out = {
        { "read", "0001-01-01T00:00:00Z" },
        { "preread", "0001-01-01T00:00:00Z" },
        { "id", view.id },
        { "name", "/" + view.name },
        { "num_procs", 0 },
        { "storage_stats", Json::object() },
        { "pids_stats", Json::object() },
        { "blkio_stats", blkio_stats(m_kernel, {}) },
        { "cpu_stats", zero_cpu_stats() },
        { "precpu_stats", zero_cpu_stats() },
        { "memory_stats", Json::object() },
    };
    // A container that is not running has no cgroup and no namespace: dockerd answers with
    // zero values and a zero read time, and so does glassbox.
    if (!running)
        return out;
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + view.id);
    const auto& dirs = cgroup.paths();
    auto basic = cgroup.stats(m_kernel);
    out["read"] = strings::rfc3339_nano(std::chrono::system_clock::now());
    out["pids_stats"] = { { "current", basic.pids_current } };
    if (basic.pids_limit > 0)
        out["pids_stats"]["limit"] = basic.pids_limit;
    out["cpu_stats"] = cpu_stats(m_kernel, dirs);
    out["memory_stats"] = memory_stats(m_kernel, dirs);
    out["blkio_stats"] = blkio_stats(m_kernel, dirs);
    bool own_namespace = !view.netns_path.empty() && view.netns_path != "host"
        && !strings::starts_with(view.netns_path, "/proc/");
    if (own_namespace && m_impl->netlink)
        out["networks"] = network_stats(*m_impl->netlink, view.netns_path);
    out["glassbox"] = { { "oom_kills", basic.oom_kills }, { "cpu_quota_us", basic.cpu_quota_us },
        { "cpu_period_us", basic.cpu_period_us } };
    return out;
}

} // namespace engine::daemon
