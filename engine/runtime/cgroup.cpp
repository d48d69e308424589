// Cgroups for one container on the three layouts. v1 and hybrid: one directory per controller
// hierarchy (/sys/fs/cgroup/<controller>/<name>), and on hybrid also the (controller-less)
// cgroup2 directory under /sys/fs/cgroup/unified, so cgroup namespaces and the visualizer see the
// container there too. v2: one directory /sys/fs/cgroup/<name>, with the controllers enabled in
// every parent's cgroup.subtree_control. Kernel docs: admin-guide/cgroup-v1/{memory,pids,cpusets}.rst,
// scheduler/sched-bwc.rst, admin-guide/cgroup-v2.rst. Lesson: lessons/04-containers-vs-vms/.
#include "engine/runtime/cgroup.h"

#include <poll.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include "engine/base/fd.h"
#include "engine/base/strings.h"
#include "engine/runtime/devices.h"

namespace engine::runtime {

namespace {

// Hierarchies glassbox puts a container into on v1. Missing ones are skipped at create time.
constexpr std::string_view k_v1_controllers[] = {
    "memory", "pids", "cpu", "cpuacct", "cpuset", "blkio", "devices", "freezer",
};
// Controllers glassbox enables for its subtree on v2 (where the parent offers them).
constexpr std::string_view k_v2_controllers[] = { "cpu", "cpuset", "io", "memory", "pids" };

// The v1 memory controller reports "no limit" as PAGE_COUNTER_MAX pages (about 2^63 bytes).
constexpr std::int64_t k_v1_unlimited_threshold = std::int64_t { 1 } << 62;
constexpr std::int64_t k_cpu_period_us = 100000;

std::optional<std::int64_t> parse_int(std::string_view text)
{
    std::string value = strings::trim(text);
    bool negative = !value.empty() && value[0] == '-';
    std::uint64_t magnitude = 0;
    if (!strings::parse_uint(negative ? std::string_view(value).substr(1) : std::string_view(value), magnitude))
        return std::nullopt;
    auto number = static_cast<std::int64_t>(magnitude);
    return negative ? -number : number;
}

std::optional<std::int64_t> read_int(sys::Kernel& kernel, const std::string& path)
{
    auto text = kernel.read_file(path);
    if (!text.ok())
        return std::nullopt;
    return parse_int(text.value());
}

// The value of "key N" in a flat-keyed file (memory.events, memory.oom_control, cpu.stat).
std::optional<std::int64_t> read_key(sys::Kernel& kernel, const std::string& path, std::string_view key)
{
    auto text = kernel.read_file(path);
    if (!text.ok())
        return std::nullopt;
    for (const auto& line : strings::split(text.value(), '\n')) {
        auto fields = strings::split(strings::trim(line), ' ');
        if (fields.size() == 2 && fields[0] == key)
            return parse_int(fields[1]);
    }
    return std::nullopt;
}

Result<void> write_value(sys::Kernel& kernel, const std::string& path, std::string_view value)
{
    auto result = kernel.write_file(path, value);
    if (!result.ok())
        return result.release_error().with_context("set " + path + " to " + std::string(value));
    return Ok {};
}

Result<void> check_name(const std::string& name)
{
    if (name.empty())
        return Error::invalid("container spec: cgroup_name is empty");
    if (name.front() == '/' || name.back() == '/')
        return Error::invalid("container spec: cgroup_name \"" + name + "\" must be relative, like glassbox/<id>");
    for (const auto& part : strings::split(name, '/')) {
        if (part.empty() || part == "." || part == "..")
            return Error::invalid("container spec: cgroup_name \"" + name + "\" has an empty, '.' or '..' part");
    }
    return Ok {};
}

// cpu.shares (2..262144, default 1024) -> cpu.weight (1..10000, default 100), runc's formula.
std::int64_t shares_to_weight(std::int64_t shares)
{
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}


// Mounts the v1 freezer hierarchy at <root>/freezer when /proc/cgroups lists the controller as
// enabled but bound to no v1 hierarchy (hierarchy id 0). cgroup v2 has no freezer controller
// (it freezes with cgroup.freeze), so mounting it on v1 takes nothing from the unified tree.
Result<void> mount_v1_freezer(sys::Kernel& kernel, const std::string& root)
{
    std::string target = root + "/freezer";
    if (kernel.path_exists(target + "/freezer.state") || kernel.path_exists(target + "/cgroup.procs"))
        return Ok {};
    auto table = kernel.read_file("/proc/cgroups");
    if (!table.ok())
        return table.release_error();
    bool unmounted = false;
    for (const auto& line : strings::split(table.value(), '\n')) {
        auto fields = strings::split(strings::trim(line), '\t');
        if (fields.size() >= 4 && fields[0] == "freezer")
            unmounted = fields[1] == "0" && fields[3] == "1";
    }
    if (!unmounted)
        return Error::unsupported("this kernel has no freezer cgroup controller");
    if (!kernel.path_exists(target))
        TRY_CTX(kernel.make_dir(target, 0755), "mount the freezer cgroup hierarchy");
    sys::MountRequest request;
    request.source = "cgroup";
    request.target = target;
    request.fstype = "cgroup";
    request.data = "freezer";
    TRY_CTX(kernel.mount(request), "mount the freezer cgroup hierarchy at " + target);
    return Ok {};
}


using Clock = std::chrono::steady_clock;

// Waits until every fd in `exits` (exit notifications: pidfds, or eventfds in the simulated
// kernel) is readable, or until `deadline`. No fixed sleep: poll(2) returns as each process ends.
void wait_for_exits(const std::vector<UniqueFd>& exits, Clock::time_point deadline)
{
    std::vector<pollfd> fds;
    for (const auto& fd : exits)
        fds.push_back({ fd.get(), POLLIN, 0 });
    while (!fds.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0)
            return;
        int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left));
        if (ready < 0 && errno != EINTR)
            return;
        std::erase_if(fds, [](const pollfd& fd) { return fd.revents != 0; });
    }
}

// SIGKILLs each process listed in `procs_file` and returns an exit notification for each; true
// in `any` when the file listed at least one.
std::vector<UniqueFd> kill_members(sys::Kernel& kernel, const std::string& procs_file, bool& any)
{
    std::vector<UniqueFd> exits;
    auto procs = kernel.read_file(procs_file);
    if (!procs.ok())
        return exits;
    for (const auto& line : strings::split(procs.value(), '\n')) {
        auto pid = parse_int(line);
        if (!pid || *pid <= 1)
            continue;
        any = true;
        (void)kernel.send_signal(static_cast<pid_t>(*pid), SIGKILL);
        // A process that is already gone has nothing to wait for.
        if (auto exit = kernel.exit_notification(static_cast<pid_t>(*pid)); exit.ok())
            exits.push_back(exit.release_value());
    }
    return exits;
}

} // namespace

Cgroup Cgroup::for_name(const std::string& name)
{
    return for_layout(name, sys::kernel_features().cgroup_layout);
}

Cgroup Cgroup::for_layout(const std::string& name, sys::CgroupLayout layout, const std::string& root)
{
    Cgroup cgroup;
    cgroup.m_root = root;
    cgroup.m_name = name;
    switch (layout) {
    case sys::CgroupLayout::None:
        break;
    case sys::CgroupLayout::V2: {
        std::string path = root + "/" + name;
        cgroup.m_v2 = true;
        cgroup.m_paths = { path };
        cgroup.m_memory_path = cgroup.m_pids_path = cgroup.m_cpu_path = cgroup.m_cpuacct_path = path;
        cgroup.m_cpuset_path = cgroup.m_blkio_path = cgroup.m_freezer_path = path;
        break;
    }
    case sys::CgroupLayout::V1:
    case sys::CgroupLayout::Hybrid:
        for (auto controller : k_v1_controllers)
            cgroup.m_paths.push_back(root + "/" + std::string(controller) + "/" + name);
        cgroup.m_memory_path = root + "/memory/" + name;
        cgroup.m_pids_path = root + "/pids/" + name;
        cgroup.m_cpu_path = root + "/cpu/" + name;
        cgroup.m_cpuacct_path = root + "/cpuacct/" + name;
        cgroup.m_cpuset_path = root + "/cpuset/" + name;
        cgroup.m_blkio_path = root + "/blkio/" + name;
        cgroup.m_freezer_path = root + "/freezer/" + name;
        if (layout == sys::CgroupLayout::Hybrid)
            cgroup.m_paths.push_back(root + "/unified/" + name);
        break;
    }
    return cgroup;
}

Result<void> Cgroup::create(sys::Kernel& kernel, const Resources& resources) const
{
    TRY(check_name(m_name));
    auto parts = strings::split(m_name, '/');
    bool wants_limits = resources.memory_bytes > 0 || resources.pids_limit > 0 || resources.nano_cpus > 0
        || resources.cpu_shares > 0 || resources.cpu_period_us > 0;
    if (m_paths.empty()) {
        if (wants_limits)
            return Error::unsupported("cgroup " + m_name + ": no cgroup hierarchy is mounted, so resource limits cannot be set");
        return Ok {};
    }

    // A host that has the freezer controller but does not mount it (some hybrid setups) gets it
    // mounted, so pause works; failing that, pause reports why and everything else still works.
    if (!m_v2)
        (void)mount_v1_freezer(kernel, m_root);

    // Create every level of every hierarchy ("glassbox", then "glassbox/<id>").
    for (const auto& path : m_paths) {
        std::string base = path.substr(0, path.size() - m_name.size() - 1);
        if (!kernel.path_exists(base))
            continue; // This kernel has no such hierarchy (for example no "freezer").
        bool is_cpuset = base == m_root + "/cpuset";
        std::string dir = base;
        for (const auto& part : parts) {
            std::string parent = dir;
            dir += "/" + part;
            if (m_v2) {
                // Controllers must be enabled in the parent before the child can use them.
                auto available = kernel.read_file(parent + "/cgroup.controllers");
                for (auto controller : k_v2_controllers) {
                    if (!available.ok())
                        break;
                    auto offered = strings::split(strings::trim(available.value()), ' ');
                    bool found = false;
                    for (const auto& name : offered)
                        found = found || name == controller;
                    // A controller the parent cannot delegate is left out; the limit that
                    // needs it fails below naming its file.
                    if (found)
                        (void)kernel.write_file(parent + "/cgroup.subtree_control", "+" + std::string(controller));
                }
            }
            TRY_CTX(kernel.make_dir(dir, 0755), "create cgroup " + m_name);
            if (is_cpuset) {
                // A v1 cpuset starts with no CPUs and no memory nodes; a task cannot join it
                // until both are copied from the parent.
                for (const char* file : { "cpuset.cpus", "cpuset.mems" }) {
                    auto mine = kernel.read_file(dir + "/" + file);
                    if (mine.ok() && !strings::trim(mine.value()).empty())
                        continue;
                    auto inherited = TRY_CTX(kernel.read_file(parent + "/" + file), "create cgroup " + m_name);
                    TRY_CTX(write_value(kernel, dir + "/" + file, strings::trim(inherited)), "create cgroup " + m_name);
                }
            }
        }
    }

    if (resources.restrict_devices)
        TRY_CTX(write_device_rules(kernel, resources.device_rules), "create cgroup " + m_name);
    return write_limits(kernel, resources);
}

Result<void> Cgroup::write_device_rules(sys::Kernel& kernel, const std::vector<std::string>& rules) const
{
    // cgroup v2 has no devices files: the rules become an eBPF device program attached to the
    // container's cgroup, as runc does. The hybrid layout keeps the v1 devices hierarchy, which
    // already decides for the container, so only a pure v2 host gets the program.
    if (m_v2) {
        auto program = TRY(device_filter_program(rules));
        return kernel.attach_device_filter(m_root + "/" + m_name, program);
    }
    // A v1 host without the devices hierarchy is left as it is.
    std::string dir = m_root + "/devices/" + m_name;
    if (!kernel.path_exists(dir + "/devices.deny"))
        return Ok {};
    // Deny everything first ("a" = all types, all numbers, all access), then allow each rule:
    // the kernel keeps a child's list a subset of its parent's, so the order matters.
    TRY(write_value(kernel, dir + "/devices.deny", "a"));
    for (const auto& rule : rules) {
        TRY(check_device_rule(rule));
        TRY(write_value(kernel, dir + "/devices.allow", rule));
    }
    return Ok {};
}

Result<void> Cgroup::write_limits(sys::Kernel& kernel, const Resources& resources) const
{
    // Memory (and memory+swap).
    if (resources.memory_bytes > 0) {
        auto memory = std::to_string(resources.memory_bytes);
        if (resources.memory_swap_bytes > 0 && resources.memory_swap_bytes < resources.memory_bytes)
            return Error::invalid("memory_swap_bytes (" + std::to_string(resources.memory_swap_bytes)
                + ") must be at least memory_bytes (" + memory + ")");
        if (m_v2) {
            TRY(write_value(kernel, m_memory_path + "/memory.max", memory));
            std::string swap_file = m_memory_path + "/memory.swap.max";
            if (kernel.path_exists(swap_file)) {
                // memory.swap.max counts swap alone; Docker's MemorySwap is memory plus swap.
                std::string swap = resources.memory_swap_bytes == -1 ? "max"
                    : resources.memory_swap_bytes == 0
                    ? "0"
                    : std::to_string(resources.memory_swap_bytes - resources.memory_bytes);
                TRY(write_value(kernel, swap_file, swap));
            }
        } else {
            std::string limit_file = m_memory_path + "/memory.limit_in_bytes";
            std::string memsw_file = m_memory_path + "/memory.memsw.limit_in_bytes";
            // memory.memsw.* exists only when the kernel accounts swap (swapaccount=1).
            bool has_memsw = kernel.path_exists(memsw_file);
            std::string total = resources.memory_swap_bytes == -1 ? "-1"
                : resources.memory_swap_bytes == 0              ? memory
                                                                : std::to_string(resources.memory_swap_bytes);
            // The kernel keeps memory <= memory+swap at every step: raising both (docker update)
            // must write memsw first, lowering both must write memory first.
            if (kernel.write_file(limit_file, memory).ok()) {
                if (has_memsw)
                    TRY(write_value(kernel, memsw_file, total));
            } else {
                if (has_memsw)
                    TRY(write_value(kernel, memsw_file, total));
                TRY(write_value(kernel, limit_file, memory));
            }
        }
    }
    if (resources.memory_reservation_bytes > 0) {
        auto soft = std::to_string(resources.memory_reservation_bytes);
        TRY(write_value(kernel, m_memory_path + (m_v2 ? "/memory.low" : "/memory.soft_limit_in_bytes"), soft));
    }

    if (resources.pids_limit > 0)
        TRY(write_value(kernel, m_pids_path + "/pids.max", std::to_string(resources.pids_limit)));

    if (resources.nano_cpus > 0) {
        auto period = resources.cpu_period_us > 0 ? resources.cpu_period_us : k_cpu_period_us;
        auto quota = std::max<std::int64_t>(1000, resources.nano_cpus * period / 1000000000);
        if (m_v2) {
            TRY(write_value(kernel, m_cpu_path + "/cpu.max", std::to_string(quota) + " " + std::to_string(period)));
        } else {
            // A quota larger than the new period would be refused the other way round; writing
            // -1 first lifts the old one.
            (void)kernel.write_file(m_cpu_path + "/cpu.cfs_quota_us", "-1");
            TRY(write_value(kernel, m_cpu_path + "/cpu.cfs_period_us", std::to_string(period)));
            TRY(write_value(kernel, m_cpu_path + "/cpu.cfs_quota_us", std::to_string(quota)));
        }
    } else if (resources.cpu_period_us > 0) {
        // CpuPeriod without a quota: dockerd (runc) writes the period anyway and leaves the
        // quota unlimited, so a later `docker update --cpu-quota` runs against that period.
        auto period = std::to_string(resources.cpu_period_us);
        if (m_v2)
            TRY(write_value(kernel, m_cpu_path + "/cpu.max", "max " + period));
        else
            TRY(write_value(kernel, m_cpu_path + "/cpu.cfs_period_us", period));
    }

    if (resources.cpu_shares > 0) {
        if (m_v2)
            TRY(write_value(kernel, m_cpu_path + "/cpu.weight", std::to_string(shares_to_weight(resources.cpu_shares))));
        else
            TRY(write_value(kernel, m_cpu_path + "/cpu.shares", std::to_string(resources.cpu_shares)));
    }
    if (!resources.cpuset_cpus.empty())
        TRY(write_value(kernel, m_cpuset_path + "/cpuset.cpus", resources.cpuset_cpus));
    if (!resources.cpuset_mems.empty())
        TRY(write_value(kernel, m_cpuset_path + "/cpuset.mems", resources.cpuset_mems));
    if (resources.blkio_weight > 0) {
        // io.weight (v2, 1..10000) and blkio.weight (v1, 10..1000) exist only with a
        // proportional I/O scheduler (BFQ); the caller checks has_blkio_weight() first.
        if (m_v2)
            TRY(write_value(kernel, m_blkio_path + "/io.weight", "default " + std::to_string(resources.blkio_weight)));
        else
            TRY(write_value(kernel, m_blkio_path + "/blkio.weight", std::to_string(resources.blkio_weight)));
    }
    return Ok {};
}

Result<void> Cgroup::update(sys::Kernel& kernel, const Resources& resources) const
{
    TRY(check_name(m_name));
    if (m_paths.empty())
        return Error::unsupported("cgroup " + m_name + ": no cgroup hierarchy is mounted, so resource limits cannot be changed");
    if (resources.pids_limit <= 0 && kernel.path_exists(m_pids_path + "/pids.max"))
        TRY(write_value(kernel, m_pids_path + "/pids.max", "max"));
    return write_limits(kernel, resources);
}

bool Cgroup::has_blkio_weight(sys::Kernel& kernel) const
{
    return kernel.path_exists(m_blkio_path + (m_v2 ? "/io.weight" : "/blkio.weight"));
}

Result<void> Cgroup::set_freezer(sys::Kernel& kernel, bool frozen) const
{
    TRY(check_name(m_name));
    if (m_paths.empty())
        return Error::unsupported("cgroup " + m_name + ": no cgroup hierarchy is mounted, so the container cannot be paused");
    if (!m_v2 && !kernel.path_exists(m_freezer_path)) {
        // The container started before the freezer hierarchy was there: mount it, then move
        // the container's processes (listed in its pids or memory cgroup) into a new freezer cgroup.
        TRY_CTX(mount_v1_freezer(kernel, m_root), "pause needs the freezer cgroup");
        std::string dir = m_root + "/freezer";
        for (const auto& part : strings::split(m_name, '/')) {
            dir += "/" + part;
            if (!kernel.path_exists(dir))
                TRY_CTX(kernel.make_dir(dir, 0755), "create freezer cgroup " + m_name);
        }
        auto procs = kernel.read_file((kernel.path_exists(m_pids_path) ? m_pids_path : m_memory_path) + "/cgroup.procs");
        if (procs.ok())
            for (const auto& line : strings::split(procs.value(), '\n'))
                if (!strings::trim(line).empty())
                    TRY(write_value(kernel, m_freezer_path + "/cgroup.procs", strings::trim(line)));
    }
    std::string file = m_freezer_path + (m_v2 ? "/cgroup.freeze" : "/freezer.state");
    std::string value = m_v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
    // The kernel answers at once and finishes in the background (v1 shows FREEZING, v2 sets
    // "frozen 1" in cgroup.events when done); a task in an uninterruptible sleep can hold it
    // up, so the write is repeated for up to two seconds, as runc does. The v1 freezer sends no
    // event, so the pause between attempts starts at 1 ms and doubles up to 10 ms: the usual
    // case (done at the first check) never sleeps.
    auto deadline = Clock::now() + std::chrono::seconds(2);
    for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, std::chrono::milliseconds(10))) {
        TRY(write_value(kernel, file, value));
        if (this->frozen(kernel) == frozen)
            return Ok {};
        if (Clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(pause);
    }
    if (frozen)
        (void)kernel.write_file(file, m_v2 ? "0" : "THAWED");
    return Error::system("cgroup " + m_name + ": the freezer did not reach the " + (frozen ? "frozen" : "thawed")
        + " state within 2 s (a task may be stuck in the kernel)");
}

Result<void> Cgroup::freeze(sys::Kernel& kernel) const { return set_freezer(kernel, true); }

Result<void> Cgroup::thaw(sys::Kernel& kernel) const { return set_freezer(kernel, false); }

bool Cgroup::frozen(sys::Kernel& kernel) const
{
    if (m_v2)
        return read_key(kernel, m_freezer_path + "/cgroup.events", "frozen").value_or(0) == 1;
    auto state = kernel.read_file(m_freezer_path + "/freezer.state");
    return state.ok() && strings::trim(state.value()) == "FROZEN";
}

Result<void> Cgroup::add_process(sys::Kernel& kernel, pid_t pid) const
{
    for (const auto& path : m_paths) {
        if (!kernel.path_exists(path))
            continue; // Not created: the hierarchy is missing on this kernel.
        TRY_CTX(kernel.write_file(path + "/cgroup.procs", std::to_string(pid)),
            "add process " + std::to_string(pid) + " to cgroup " + m_name);
    }
    return Ok {};
}

CgroupStats Cgroup::stats(sys::Kernel& kernel) const
{
    CgroupStats stats;
    if (m_paths.empty())
        return stats;
    auto limit_or_zero = [](std::optional<std::int64_t> value) {
        return value && *value > 0 && *value < k_v1_unlimited_threshold ? *value : 0;
    };
    if (m_v2) {
        stats.memory_usage = read_int(kernel, m_memory_path + "/memory.current").value_or(0);
        stats.memory_limit = limit_or_zero(read_int(kernel, m_memory_path + "/memory.max"));
        stats.oom_kills = read_key(kernel, m_memory_path + "/memory.events", "oom_kill").value_or(0);
        stats.cpu_usage_ns = read_key(kernel, m_cpu_path + "/cpu.stat", "usage_usec").value_or(0) * 1000;
        auto cpu_max = kernel.read_file(m_cpu_path + "/cpu.max");
        if (cpu_max.ok()) {
            auto fields = strings::split(strings::trim(cpu_max.value()), ' ');
            if (fields.size() == 2) {
                stats.cpu_quota_us = limit_or_zero(parse_int(fields[0]));
                stats.cpu_period_us = parse_int(fields[1]).value_or(0);
            }
        }
    } else {
        stats.memory_usage = read_int(kernel, m_memory_path + "/memory.usage_in_bytes").value_or(0);
        stats.memory_limit = limit_or_zero(read_int(kernel, m_memory_path + "/memory.limit_in_bytes"));
        stats.oom_kills = read_key(kernel, m_memory_path + "/memory.oom_control", "oom_kill").value_or(0);
        stats.cpu_usage_ns = read_int(kernel, m_cpuacct_path + "/cpuacct.usage").value_or(0);
        stats.cpu_quota_us = limit_or_zero(read_int(kernel, m_cpu_path + "/cpu.cfs_quota_us"));
        stats.cpu_period_us = read_int(kernel, m_cpu_path + "/cpu.cfs_period_us").value_or(0);
    }
    stats.pids_current = read_int(kernel, m_pids_path + "/pids.current").value_or(0);
    stats.pids_limit = limit_or_zero(read_int(kernel, m_pids_path + "/pids.max")); // "max" -> 0.
    return stats;
}

void Cgroup::kill_all(sys::Kernel& kernel) const
{
    // cgroup.kill (Linux 5.14) kills the whole cgroup2 subtree atomically, new forks included.
    for (const auto& path : m_paths) {
        if (kernel.path_exists(path + "/cgroup.kill"))
            (void)kernel.write_file(path + "/cgroup.kill", "1");
    }
    // Otherwise (and for anything cgroup.kill missed), SIGKILL each member and wait for their
    // exits (exit notifications, not a fixed sleep); repeat a few times because a process may
    // fork between reading cgroup.procs and the kill. A task stuck in the kernel is given up on
    // after 200 ms in all, as before.
    auto deadline = Clock::now() + std::chrono::milliseconds(200);
    for (int round = 0; round < 10; ++round) {
        bool any = false;
        std::vector<UniqueFd> exits;
        for (const auto& path : m_paths) {
            for (auto& exit : kill_members(kernel, path + "/cgroup.procs", any))
                exits.push_back(std::move(exit));
        }
        if (!any)
            return;
        // A frozen (paused) task only acts on its SIGKILL once thawed; thawing after the signal
        // is queued means it runs no code of its own first.
        if (round == 0 && frozen(kernel))
            (void)thaw(kernel);
        wait_for_exits(exits, deadline);
        if (Clock::now() >= deadline)
            return;
    }
}

Result<void> Cgroup::remove(sys::Kernel& kernel) const
{
    for (auto it = m_paths.rbegin(); it != m_paths.rend(); ++it) {
        // rmdir fails with EBUSY until the last task has left (a killed process takes a moment
        // to exit); wait for the members listed in cgroup.procs to exit, for up to about two
        // seconds. With none listed (the kernel is still accounting a task that just left), the
        // retry pauses 1 ms, doubling up to 20 ms.
        auto deadline = Clock::now() + std::chrono::seconds(2);
        for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, std::chrono::milliseconds(20))) {
            auto result = kernel.remove_dir(*it);
            if (result.ok())
                break;
            if (result.error().code() != EBUSY || Clock::now() >= deadline)
                return result.release_error().with_context("remove cgroup " + m_name);
            std::vector<UniqueFd> exits;
            if (auto procs = kernel.read_file(*it + "/cgroup.procs"); procs.ok()) {
                for (const auto& line : strings::split(procs.value(), '\n')) {
                    auto pid = parse_int(line);
                    if (!pid || *pid <= 0)
                        continue;
                    if (auto exit = kernel.exit_notification(static_cast<pid_t>(*pid)); exit.ok())
                        exits.push_back(exit.release_value());
                }
            }
            if (exits.empty())
                std::this_thread::sleep_for(pause);
            else
                wait_for_exits(exits, std::min(deadline, Clock::now() + std::chrono::milliseconds(200)));
        }
    }
    return Ok {};
}

} // namespace engine::runtime
