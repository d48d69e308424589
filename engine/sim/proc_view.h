// The procfs of the simulated kernel, rendered from its model (sim_kernel.h) for one reader:
// - for the state collector, the host's view, which SimKernel::refresh_procfs writes as files
//   under <state_dir>/pseudo/proc;
// - for a simulated program that reads /proc in a container (`glassbox exec web cat
//   /proc/1/status`), the view of the reader's PID namespace, as Linux renders a procfs mounted
//   there: only that namespace's processes, by their PID in it (Pid, PPid and NSpid from that
//   level down, /proc/self the reader), cgroup paths relative to the reader's cgroup namespace.
// What is modelled is each process's status, stat, cmdline, cgroup, mountinfo and ns/ links. Any
// other procfs file (meminfo, sys/, net/, a process's environ or fd/) is answered with
// Unsupported and a message that says so, never with made-up content.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/sim/sim_kernel.h"

namespace engine::sim {

// What the simulated kernel models of procfs, for messages.
inline constexpr const char* k_modelled_procfs
    = "the simulated kernel's /proc has, for each process of this PID namespace, status, stat, cmdline, cgroup, "
      "mountinfo and ns/ (docs/simulated-kernel.md)";

// One file of a process as the kernel renders it. `pid` and `ppid` are as the reader sees them;
// `level` is the reader's PID namespace's depth (0: the host), where NSpid starts.
std::string proc_status(SimKernel& kernel, const SimProcess& process, size_t level, int pid, int ppid);
std::string proc_stat(const SimProcess& process, int pid, int ppid);
std::string proc_cmdline(const SimProcess& process);
std::string proc_mountinfo(const std::vector<SimKernel::Mount>& table);

struct ProcNode {
    enum class Kind { File, Dir, Link };
    Kind kind { Kind::File };
    std::string text;                 // A file's contents, a link's target.
    std::vector<std::string> entries; // A directory's names, sorted as ls sorts them.
    std::vector<std::string> targets; // For each entry, its link target ("" when not a link).
};

// Whether `path` (absolute and clean, clean_path()) is /proc or below it.
bool is_proc_path(const std::string& path);
// Whether the reader's mount namespace has a procfs mounted at /proc (every container's has).
bool proc_mounted(const SimKernel& kernel, pid_t reader);
// `path` under /proc as process `reader` (a host PID) sees it. NotFound when the name does not
// exist there (a PID of another PID namespace, a file a process does not have); Unsupported,
// with k_modelled_procfs, for a procfs file the simulated kernel does not model.
Result<ProcNode> proc_lookup(SimKernel& kernel, pid_t reader, const std::string& path);

} // namespace engine::sim
