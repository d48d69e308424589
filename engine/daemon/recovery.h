// What a daemon killed in the middle of an operation leaves behind, reclaimed at its next start
// (before any client is served). Records themselves are always whole (fs::write_file_atomic);
// what can be left half-done is work in flight:
//   - a build step: its overlay mount, cgroup and scratch directory under <root>/tmp/build-steps;
//   - an upload (load, import, build context) in <root>/tmp;
//   - the temporary file of an interrupted atomic write ("<name>.tmp-<n>") next to a record;
//   - network endpoints, veths, addresses and sandbox netns files of containers that are no
//     longer running (their daemon died), and addresses handed out but never recorded on an
//     endpoint (a crash between the two writes).
// Kernel interfaces: umount2(2) through the runtime, cgroupfs, netlink through network::Manager.
#pragma once

#include <set>
#include <string>

#include "engine/network/manager.h"
#include "engine/sys/kernel.h"

namespace engine::daemon {

// Empties <root>/tmp: unmounts and removes each build step's directory and its cgroup, removes
// uploads. Also removes "*.tmp-<digits>" files of interrupted atomic writes from the record
// directories. Best effort: what cannot be removed is logged and left.
void reclaim_interrupted_work(sys::Kernel& kernel, const std::string& root);

// A container that is not running (a start cut short by the crash): kills whatever its cgroup
// still holds, removes the cgroup and unmounts its root filesystem.
void reclaim_stopped_container(sys::Kernel& kernel, const std::string& id, const std::string& rootfs);

// Disconnects every endpoint whose container is not in `running` (releasing its address and
// veth), removes sandbox netns files of containers not running, and releases addresses that no
// endpoint holds.
void reclaim_network_leftovers(network::Manager& networks, const std::set<std::string>& running,
    const std::string& run_root);

} // namespace engine::daemon
