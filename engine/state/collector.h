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
#include <vector>

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
    // Reuse what the previous collection in this process read and the kernel says has not changed
    // since (see "Caches" below); false reads everything afresh (a cold collection).
    bool use_caches { true };
};

// Takes one snapshot. Objects that vanish while being read (a process that exits) are skipped;
// anything else that cannot be read becomes an entry in Snapshot::warnings. Fails only when
// procfs itself cannot be read.
Result<Snapshot> collect_snapshot(const EngineObjects& objects, const CollectOptions& options);

// [SECTION] Caches
// The collector keeps, between collections in one process, the parsed mount table of each mount
// namespace it read, with /proc/<pid>/mountinfo left open: poll(2) on that file reports every
// mount, unmount and remount in the namespace since the file was last read, so an unchanged
// table is not generated and parsed again. The kernel does not report a change of propagation
// type alone (mount --make-private and the like), so a table is also read afresh once it is a
// second old: such a change shows within a second. An open mountinfo file holds its mount namespace, and
// with it every mount in it, alive: a namespace no collection saw is closed at the end of that
// collection, and release_unreachable_namespaces() closes the ones whose process is gone (the
// daemon calls it when a container's processes have exited).
//
// It keeps as well the links, addresses, routes, neighbours and FDB of each network namespace it
// read, with a watch of the namespace (network::Netlink::watch_namespace: a rtnetlink socket
// inside it, joined to the groups that announce every change to those, and a second socket to dump
// through, so a namespace read again is not entered again). A namespace whose watch heard nothing
// is not dumped again. What the kernel changes without a word (a neighbour entry turning DELAY,
// an FDB entry past its ageing time) is bounded by reading a namespace that holds such entries
// afresh once it is a second old. An open watch holds its network namespace alive, and with it
// the macvlan, ipvlan and veth links and the addresses in it: a namespace no collection saw is
// closed at the end of that collection, and release_unreachable_namespaces() closes each one
// whose file (/proc/<pid>/ns/net, or the bind-mounted netns file) no longer leads to it.
//
// Both caches hold only the host's namespaces and the engine's own (its containers' and the
// namespaces its netns files hold), whose end the daemon sees and releases them at. Another
// program's namespaces (a service with a private network, another engine's container) are read
// afresh each time: nothing would release them, and a held namespace keeps its mounts and links
// alive. Each cache holds at most 128 namespaces (a file or two sockets each); past that the
// rest are read afresh, so hundreds of containers do not mean hundreds more open files.

// Closes every cached mount table whose namespace the process it was read through no longer
// holds (the process exited or moved), and every network namespace watch whose file no longer
// names its namespace. Cheap: one readlink(2) or stat(2) per cached namespace.
void release_unreachable_namespaces();
// The mount namespaces (inodes) whose tables the caches hold open, ascending.
std::vector<std::uint64_t> cached_mount_namespaces();
// The network namespaces (inodes) the caches hold a watch of, ascending.
std::vector<std::uint64_t> cached_network_namespaces();
// Drops every cache (the next collection is a cold one).
void clear_collector_caches();

// The phase times of the most recent collect_snapshot() in this process (whichever caller made
// it), for the daemon's Glassbox-Collect-Phases header; all zero before the first.
CollectTimings last_collect_timings();

} // namespace engine::state
