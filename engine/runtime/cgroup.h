// Cgroups for one container on v1, v2 and the hybrid layout (v1 controllers plus cgroup2 at
// /sys/fs/cgroup/unified). Limits: memory (memory.limit_in_bytes / memory.max), pids
// (pids.max), cpu (cpu.cfs_quota_us + cfs_period_us / cpu.max), cpuset, blkio/io weight; the
// freezer (pause). Stats: memory usage, OOM kills, pids current, cpu usage. Kernel docs: admin-guide/cgroup-v1/*, admin-guide/cgroup-v2.rst.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/runtime/container_spec.h"
#include "engine/sys/kernel.h"
#include "engine/sys/probe.h"

namespace engine::runtime {

struct CgroupStats {
    std::int64_t memory_usage { 0 };
    std::int64_t memory_limit { 0 };   // 0: unlimited.
    std::int64_t oom_kills { 0 };
    std::int64_t pids_current { 0 };
    std::int64_t pids_limit { 0 };     // 0: unlimited.
    std::int64_t cpu_usage_ns { 0 };
    std::int64_t cpu_quota_us { 0 };   // 0: unlimited.
    std::int64_t cpu_period_us { 0 };
};

class Cgroup {
public:
    // The cgroup "glassbox/<id>" (the `name`) in every hierarchy the layout has.
    static Cgroup for_name(const std::string& name);
    // The same for an explicit layout and mount root (tests, the simulated kernel).
    static Cgroup for_layout(const std::string& name, sys::CgroupLayout layout,
        const std::string& root = "/sys/fs/cgroup");

    // Creates the directories and writes the limits. Fails naming the file at fault.
    Result<void> create(sys::Kernel& kernel, const Resources& resources) const;
    // Writes the limits of an existing cgroup (docker update). Only fields that are set are
    // written, so a zero leaves the kernel's value alone; the caller passes the merged record.
    Result<void> update(sys::Kernel& kernel, const Resources& resources) const;
    // Whether a block I/O weight can be set (it needs a proportional I/O scheduler).
    bool has_blkio_weight(sys::Kernel& kernel) const;
    // The freezer (docker pause): v1 freezer.state, or cgroup.freeze on v2. Both wait until the
    // kernel reports every task frozen (or thawed). On v1 a freezer controller that the host
    // has but does not mount is mounted under the cgroup root first.
    Result<void> freeze(sys::Kernel& kernel) const;
    Result<void> thaw(sys::Kernel& kernel) const;
    bool frozen(sys::Kernel& kernel) const;
    // Moves `pid` into the cgroup in every hierarchy.
    Result<void> add_process(sys::Kernel& kernel, pid_t pid) const;
    CgroupStats stats(sys::Kernel& kernel) const;
    // Kills every process still in the cgroup (cgroup.kill on v2, SIGKILL per pid on v1).
    void kill_all(sys::Kernel& kernel) const;
    // Removes the directories (after the processes are gone). Succeeds if already gone.
    Result<void> remove(sys::Kernel& kernel) const;
    // Host paths of this cgroup, one per hierarchy (for the snapshot and lessons).
    [[nodiscard]] const std::vector<std::string>& paths() const { return m_paths; }

private:
    Result<void> write_limits(sys::Kernel& kernel, const Resources& resources) const;
    Result<void> set_freezer(sys::Kernel& kernel, bool frozen) const;
    Result<void> write_device_rules(sys::Kernel& kernel, const std::vector<std::string>& rules) const;

    std::vector<std::string> m_paths;
    std::string m_memory_path;
    std::string m_pids_path;
    std::string m_cpu_path;
    std::string m_cpuacct_path;
    std::string m_cpuset_path;
    std::string m_blkio_path;
    std::string m_freezer_path;
    std::string m_root;
    std::string m_name;
    bool m_v2 { false };
};

} // namespace engine::runtime
