// The state collector: builds a Snapshot from the running kernel. It reads procfs
// (/proc/<pid>/{stat,status,cmdline,cgroup,ns/*,mountinfo}), cgroupfs (v1, v2 and hybrid),
// rtnetlink inside every network namespace it can reach (through the network::Netlink seam),
// glassbox's nftables tables (through the network::Nftables seam), and the
// kernel feature probe (sys::kernel_features()). Then it joins those facts to the engine's objects
// (engine_objects.h): overlay lowerdirs to image layers, upperdirs and namespaces to containers,
// volume and bind mounts to their volumes.
// Lesson: every lesson's checks read what this produces.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/result.h"
#include "engine/sys/probe.h"
#include "engine/state/engine_objects.h"
#include "engine/state/snapshot.h"

namespace engine::network {
class Netlink;
class Nftables;
} // namespace engine::network

namespace engine::state {

enum class ProcessScope {
    All,       // Every process on the host (a complete picture; slower on a busy host).
    Glassbox,  // Only container processes and their ancestors up to PID 1.
};

// Wall time per phase of one collect_snapshot() call, in milliseconds: what the benchmark reports
// to say what dominates. network and nftables run beside the other phases, so the phases can add
// up to more than the total.
struct CollectTimings {
    double processes { 0 };
    double namespaces { 0 };
    double mounts { 0 };
    double cgroups { 0 };
    double network { 0 };
    double nftables { 0 };
    double total { 0 };
};

struct CollectOptions {
    ProcessScope processes { ProcessScope::All };
    bool network { true };        // Links, addresses, routes, neighbours, FDB in every netns.
    bool nftables { true };
    bool kernel_features { true };
    // nftables tables whose name starts with this are glassbox's.
    std::string nft_table_prefix { "glassbox" };
    // Extra cgroupfs directories to read besides the containers' and their processes'.
    std::vector<std::string> extra_cgroups;
    std::string proc_root { "/proc" };
    // Prepended to each cgroupfs directory read ("" = the real one): the simulated kernel writes
    // its cgroupfs under a directory of its own, named as the real paths are.
    std::string pseudo_fs_root;
    std::uint64_t generation { 0 };
    // When set, filled with the time each phase took.
    CollectTimings* timings { nullptr };
    // The seams the network facts are read through; nullptr means the real kernel
    // (network::LibnlNetlink, network::libnftables()).
    network::Netlink* netlink_backend { nullptr };
    network::Nftables* nftables_backend { nullptr };
    // The kernel's own feature list (the simulated kernel's); nullptr = sys::kernel_features().
    const sys::KernelFeatures* features { nullptr };
    // "real" or "simulated", and why it is simulated; copied into Snapshot::kernel.
    std::string kernel_mode { "real" };
    std::string simulated_reason;
};

// Takes one snapshot. Objects that vanish while being read (a process that exits) are skipped;
// anything else that cannot be read becomes an entry in Snapshot::warnings. Fails only when
// procfs itself cannot be read.
Result<Snapshot> collect_snapshot(const EngineObjects& objects, const CollectOptions& options);

// The phase times of the most recent collect_snapshot() in this process (whichever caller made
// it), for the daemon's Glassbox-Collect-Phases header; all zero before the first.
CollectTimings last_collect_timings();

} // namespace engine::state
