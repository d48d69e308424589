// cgroupfs for the collector, in every layout: v2 files (memory.current, memory.max,
// memory.events, pids.*, cpu.stat, cpu.max) and their v1 counterparts (memory.usage_in_bytes,
// memory.limit_in_bytes, memory.oom_control, pids.*, cpuacct.usage, cpu.cfs_quota_us). In a
// hybrid layout a container has one directory per hierarchy; each is read separately.
// Kernel docs: Documentation/admin-guide/cgroup-v2.rst and cgroup-v1/memory.rst.
#include "engine/state/collector_internal.h"

#include <fcntl.h>

#include "engine/base/fd.h"
#include "engine/base/strings.h"

namespace engine::state::detail {

namespace {

// Every file read here but cgroup.procs is one record (a single seq_file show), so it is read
// as one (read_file_at's one_record): one read(2) fewer per file, and a snapshot reads a few hundred.

// A number file: "123\n" -> 123; "max" -> -1 ("no limit"); unreadable -> `missing`. `present`,
// when given, says whether the file could be read.
std::int64_t read_number(int dir, const char* name, std::int64_t missing, bool* present = nullptr)
{
    std::string text;
    bool read = read_file_at(dir, name, text, true);
    if (present)
        *present = read;
    if (!read)
        return missing;
    auto value = trim_view(text);
    if (value == "max")
        return -1;
    if (!value.empty() && value.front() == '-')
        return -1; // cpu.cfs_quota_us writes -1 for "no quota".
    std::uint64_t number = 0;
    if (!strings::parse_uint(value, number))
        return missing;
    return static_cast<std::int64_t>(number);
}

// "key value" lines (memory.events, cpu.stat, memory.oom_control): the value of `key`, or -1.
std::int64_t keyed_value(std::string_view text, std::string_view key)
{
    std::int64_t found = -1;
    for_each_part(text, '\n', [&](std::string_view line) {
        auto space = line.find(' ');
        std::uint64_t number = 0;
        if (found < 0 && space != std::string_view::npos && line.substr(0, space) == key
            && strings::parse_uint(trim_view(line.substr(space + 1)), number))
            found = static_cast<std::int64_t>(number);
    });
    return found;
}

std::int64_t read_keyed(int dir, const char* name, std::string_view key)
{
    std::string text;
    if (!read_file_at(dir, name, text, true))
        return -1;
    return keyed_value(text, key);
}

} // namespace

std::vector<CgroupMount> find_cgroup_mounts(const std::vector<MountInfo>& host_mounts)
{
    std::vector<CgroupMount> mounts;
    for (const auto& mount : host_mounts) {
        if (mount.fstype == "cgroup2") {
            mounts.push_back({ "unified", mount.mount_point });
        } else if (mount.fstype == "cgroup") {
            // v1 super options list the controllers among other options: "rw,memory" or
            // "rw,cpu,cpuacct"; /proc/<pid>/cgroup names the hierarchy by the same list.
            std::vector<std::string> controllers;
            for (const auto& option : strings::split(mount.super_options, ',')) {
                if (option == "rw" || option == "ro" || strings::starts_with(option, "release_agent")
                    || option == "clone_children" || option == "noprefix" || option == "xattr"
                    || option == "cpuset_v2_mode" || option == "favordynmods" || option == "nsdelegate")
                    continue;
                controllers.push_back(option);
            }
            if (!controllers.empty())
                mounts.push_back({ strings::join(controllers, ","), mount.mount_point });
        }
    }
    return mounts;
}

bool read_cgroup(const std::string& hierarchy, const std::string& path, const std::string& directory,
    CgroupInfo& cgroup)
{
    // Every file below is opened relative to the directory, so its path (six or more components
    // under /sys/fs/cgroup) is looked up once rather than once per file.
    UniqueFd dir(::open(directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid())
        return false;
    int fd = dir.get();
    cgroup.hierarchy = hierarchy;
    cgroup.path = path;
    cgroup.directory = directory;

    if (hierarchy == "unified") {
        // A controller's files are there together or not at all (not enabled for the cgroup, as
        // on a hybrid host's unified hierarchy, or the root cgroup): without memory.current there
        // is no memory.max nor memory.events, and without pids.current no pids.max, so those are
        // not looked up in vain.
        bool memory = false;
        cgroup.memory_current = read_number(fd, "memory.current", -1, &memory);
        cgroup.memory_max = memory ? read_number(fd, "memory.max", -1) : -1;
        // One read for both counters: they then come from the same instant.
        std::string events;
        if (memory && read_file_at(fd, "memory.events", events, true)) {
            cgroup.oom_events = keyed_value(events, "oom");
            cgroup.oom_kills = keyed_value(events, "oom_kill");
        } else {
            cgroup.oom_events = cgroup.oom_kills = -1;
        }
        bool pids = false;
        cgroup.pids_current = read_number(fd, "pids.current", -1, &pids);
        cgroup.pids_max = pids ? read_number(fd, "pids.max", -1) : -1;
        cgroup.cpu_usage_usec = read_keyed(fd, "cpu.stat", "usage_usec");
        std::string cpu_max;
        if (read_file_at(fd, "cpu.max", cpu_max, true)) {
            // "max 100000" or "50000 100000".
            auto parts = strings::split(trim_view(cpu_max), ' ');
            std::uint64_t number = 0;
            if (!parts.empty() && strings::parse_uint(parts[0], number))
                cgroup.cpu_quota_usec = static_cast<std::int64_t>(number);
            if (parts.size() > 1 && strings::parse_uint(parts[1], number))
                cgroup.cpu_period_usec = static_cast<std::int64_t>(number);
        }
        cgroup.frozen = read_keyed(fd, "cgroup.events", "frozen") == 1;
    } else {
        auto has = [&](std::string_view controller) {
            bool found = false;
            for_each_part(hierarchy, ',', [&](std::string_view name) { found = found || name == controller; });
            return found;
        };
        if (has("memory")) {
            cgroup.memory_current = read_number(fd, "memory.usage_in_bytes", -1);
            // v1 writes "no limit" as the largest page-aligned number (9223372036854771712).
            auto limit = read_number(fd, "memory.limit_in_bytes", -1);
            cgroup.memory_max = limit >= (std::int64_t { 1 } << 62) ? -1 : limit;
            cgroup.oom_kills = read_keyed(fd, "memory.oom_control", "oom_kill");
            // v1 has no OOM event counter; failcnt counts hits of the limit, the nearest fact.
            cgroup.oom_events = read_number(fd, "memory.failcnt", -1);
        }
        if (has("pids")) {
            cgroup.pids_current = read_number(fd, "pids.current", -1);
            cgroup.pids_max = read_number(fd, "pids.max", -1);
        }
        if (has("cpuacct")) {
            auto nanoseconds = read_number(fd, "cpuacct.usage", -1);
            cgroup.cpu_usage_usec = nanoseconds < 0 ? -1 : nanoseconds / 1000;
        }
        if (has("cpu")) {
            cgroup.cpu_quota_usec = read_number(fd, "cpu.cfs_quota_us", -1);
            cgroup.cpu_period_usec = read_number(fd, "cpu.cfs_period_us", -1);
        }
        std::string freezer_state;
        if (has("freezer") && read_file_at(fd, "freezer.state", freezer_state, true))
            cgroup.frozen = trim_view(freezer_state) == "FROZEN";
    }

    std::string procs;
    cgroup.processes.clear();
    if (read_pid_list_at(fd, "cgroup.procs", procs)) {
        for_each_part(procs, '\n', [&](std::string_view line) {
            std::uint64_t pid = 0;
            if (strings::parse_uint(trim_view(line), pid))
                cgroup.processes.push_back(static_cast<int>(pid));
        });
    }
    return true;
}

} // namespace engine::state::detail
