// The kernel feature probe: what the running kernel offers (overlayfs, the cgroup layout, each
// namespace kind, link kinds, nftables) and, for each missing feature, why, in words a student
// can act on ("kernel built without CONFIG_IPVLAN").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/result.h"

namespace engine::sys {

enum class CgroupLayout { None, V1, V2, Hybrid };

std::string_view cgroup_layout_name(CgroupLayout layout);

struct Feature {
    std::string name;     // "overlayfs", "namespace.pid", "link.ipvlan", "nftables", ...
    bool available { false };
    std::string detail;   // Where it was seen, or why it is missing.
};

// Facts about the machine the daemon runs on, for `docker info` and `version`.
struct HostFacts {
    std::string architecture { "amd64" }; // Go's names, as Docker reports them: amd64, arm64, ...
    std::string hostname;
    std::string operating_system { "Linux" }; // PRETTY_NAME from /etc/os-release.
    int cpus { 1 };
    std::int64_t memory_bytes { 0 };
};

// Reads uname(2), sysconf(3), /proc/meminfo and /etc/os-release.
HostFacts host_facts();

struct KernelFeatures {
    std::string kernel_release;
    HostFacts host;
    CgroupLayout cgroup_layout { CgroupLayout::None };
    std::string cgroup_v2_mount;         // "/sys/fs/cgroup" (v2) or "/sys/fs/cgroup/unified" (hybrid).
    std::vector<Feature> features;

    [[nodiscard]] const Feature* find(std::string_view name) const;
    [[nodiscard]] bool has(std::string_view name) const;
};

// Reads /proc/filesystems, /proc/self/ns, /proc/self/mountinfo, /proc/config.gz (when the kernel
// exposes it) and, as root, tries each link kind in a throwaway network namespace.
KernelFeatures probe_kernel();

// The cached result of the first probe_kernel() call in this process.
const KernelFeatures& kernel_features();

// Looks a CONFIG_ option up in /proc/config.gz: "y", "m", "n" (explicitly not set) or "" (unknown).
std::string kernel_config_value(const std::string& option);

} // namespace engine::sys
