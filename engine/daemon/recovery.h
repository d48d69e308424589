// What a daemon killed in the middle of an operation leaves behind, reclaimed at its next start
// (before any client is served). Records themselves are always whole (fs::write_file_atomic);
// what can be left half-done is work in flight:
//   - a build step: its overlay mount, cgroup and scratch directory under <root>/tmp/build-steps;
//   - an upload (load, import, build context) in <root>/tmp;
//   - the temporary file of an interrupted atomic write ("<name>.tmp-<n>") next to a record;
//   - network endpoints, veths, addresses and sandbox netns files of containers that are no
//     longer running (their daemon died), and addresses handed out but never recorded on an
//     endpoint (a crash between the two writes).
// The stores reclaim their own leftovers when they open, before this runs: image::Store::open
// removes layers and blobs no image uses (a load, build step or rmi cut short), and
// volume::Store::open removes volume directories staged by a create or renamed away by a remove
// (and any directory without its record).
// Kernel interfaces: umount2(2) through the runtime, cgroupfs, netlink through network::Manager.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "engine/base/fd.h"
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

// [SECTION] Re-adoption of running containers
// A container's PID 1 outlives a daemon killed under it (it is reparented), and so do its cgroup,
// mounts and network endpoint. The next daemon re-adopts it when its record says running and the
// PID still names the same process: it watches a pidfd for the exit (a pidfd works for a process
// that is not the daemon's child), and reads the container's output again from new read ends of
// the same pipes. What cannot come back is written where it is decided (engine.cpp).

// The start time of process `pid` (/proc/<pid>/stat field 22, clock ticks after boot): with the
// PID it names one process for the life of the host. Nothing for a process that is gone or a
// zombie.
std::optional<std::uint64_t> process_start_time(sys::Kernel& kernel, pid_t pid);

// Whether `pid` is still the running process a container record names: started at `start_time`,
// or, for a record written before start times were kept (start_time 0), a member of the
// container's cgroup `cgroup_name` ("glassbox/<id>"), which a reused PID cannot be.
bool is_recorded_process(sys::Kernel& kernel, pid_t pid, std::uint64_t start_time, const std::string& cgroup_name);

// The inode of the pipe `fd` is, to record; 0 when it is no pipe.
std::uint64_t pipe_inode(int fd);

// A new read end (non-blocking) of the pipe that `pid` holds as descriptor `fd_number`, when it
// is still the pipe with inode `inode` (opening /proc/<pid>/fd/<n> of a pipe opens that pipe, as
// a FIFO is opened by name). Invalid when the process holds something else there or `inode` is 0.
UniqueFd reopen_output_pipe(sys::Kernel& kernel, pid_t pid, int fd_number, std::uint64_t inode);

// Docker's exit code (the status, or 128 + the signal) of a process that is not the daemon's
// child, read from /proc/<pid>/stat field 52 while it is a zombie that started at `start_time`.
// Nothing once its new parent has reaped it: then nobody can know it any more.
std::optional<int> exit_code_of_zombie(sys::Kernel& kernel, pid_t pid, std::uint64_t start_time);

} // namespace engine::daemon
