// The simulated kernel's procfs for one reader (proc_view.h).
#include "engine/sim/proc_view.h"

#include <algorithm>
#include <cstdio>

#include "engine/base/strings.h"

namespace engine::sim {

namespace {

std::uint64_t bit(int signal) { return std::uint64_t { 1 } << (signal - 1); }

std::string hex_mask(std::uint64_t mask)
{
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(mask));
    return text;
}

const std::vector<std::string> k_process_files = { "cgroup", "cmdline", "mountinfo", "ns", "stat", "status" };

std::uint64_t namespace_of(const SimProcess& process, const std::string& kind)
{
    auto it = process.namespaces.find(kind);
    return it == process.namespaces.end() ? 0 : it->second;
}

Error unmodelled(const std::string& path) { return Error::unsupported(path + " is not modelled: " + k_modelled_procfs); }
Error missing(const std::string& path) { return Error::not_found(path + ": No such file or directory"); }

// /proc/<pid>/cgroup as the reader sees it: inside a cgroup namespace of its own, paths are
// relative to the cgroup the reader's namespace was made in (a container's PID 1's cgroup).
std::string cgroup_seen_by(SimKernel& kernel, const SimProcess& reader, const SimProcess& process)
{
    std::string path = process.cgroup;
    if (namespace_of(reader, "cgroup") != kernel.host_namespace("cgroup") && strings::starts_with(path, reader.cgroup)) {
        path = path.substr(reader.cgroup.size());
        if (path.empty() || path[0] != '/')
            path = "/" + path;
    }
    return "0::" + path + "\n";
}

} // namespace

std::string proc_status(SimKernel& kernel, const SimProcess& process, size_t level, int pid, int ppid)
{
    std::string state_name = process.state == 'Z' ? "Z (zombie)" : process.state == 'R' ? "R (running)" : "S (sleeping)";
    std::string nspid;
    for (size_t i = level; i < process.nspid.size(); ++i)
        nspid += (nspid.empty() ? "" : "\t") + std::to_string(process.nspid[i]);
    std::uint64_t caught = 0, ignored = 0, pending = 0;
    if (process.signals) {
        std::lock_guard signals(kernel.signal_mutex());
        caught = process.signals->caught;
        ignored = process.signals->ignored;
        for (int signal : process.signals->pending)
            pending |= bit(signal);
    }
    std::string uid = std::to_string(process.uid);
    return "Name:\t" + process.comm + "\nState:\t" + state_name + "\nPid:\t" + std::to_string(pid) + "\nPPid:\t"
        + std::to_string(ppid) + "\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid
        + "\nGid:\t0\t0\t0\t0\nThreads:\t1\nNSpid:\t" + nspid + "\nSigPnd:\t" + hex_mask(pending)
        + "\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t" + hex_mask(ignored) + "\nSigCgt:\t"
        + hex_mask(caught) + "\n";
}

std::string proc_stat(const SimProcess& process, int pid, int ppid)
{
    std::string stat = std::to_string(pid) + " (" + process.comm + ") " + process.state + " " + std::to_string(ppid);
    for (int field = 5; field <= 21; ++field)
        stat += " 0";
    return stat + " " + std::to_string(process.start_ticks) + " 0 0\n";
}

std::string proc_cmdline(const SimProcess& process)
{
    std::string cmdline;
    for (const auto& arg : process.argv)
        cmdline += arg + std::string(1, '\0');
    return cmdline;
}

std::string proc_mountinfo(const std::vector<SimKernel::Mount>& table)
{
    std::string mountinfo;
    for (const auto& mount : table)
        mountinfo += std::to_string(mount.id) + " " + std::to_string(mount.parent) + " 0:" + std::to_string(mount.id % 256)
            + " " + mount.root + " " + mount.target + " " + mount.options + " - " + mount.fstype + " " + mount.source + " "
            + mount.super_options + "\n";
    return mountinfo;
}

bool is_proc_path(const std::string& path) { return path == "/proc" || strings::starts_with(path, "/proc/"); }

bool proc_mounted(const SimKernel& kernel, pid_t reader)
{
    auto process = kernel.process(reader);
    if (!process)
        return false;
    auto table = kernel.mounts_of(namespace_of(*process, "mnt"));
    return std::any_of(table.begin(), table.end(), [](const SimKernel::Mount& mount) {
        return mount.target == "/proc" && mount.fstype == "proc";
    });
}

Result<ProcNode> proc_lookup(SimKernel& kernel, pid_t reader, const std::string& path)
{
    auto self = kernel.process(reader);
    if (!self || !is_proc_path(path))
        return missing(path);
    std::vector<std::string> parts;
    for (const auto& part : strings::split(path.substr(5), '/'))
        if (!part.empty())
            parts.push_back(part);
    size_t level = self->nspid.empty() ? 0 : self->nspid.size() - 1;

    if (parts.empty()) {
        // The PIDs of the reader's namespace in numeric order, then self, as ls sorts /proc.
        std::vector<int> pids;
        for (const auto& process : kernel.processes())
            if (int seen = kernel.pid_seen_by(reader, process.pid))
                pids.push_back(seen);
        std::sort(pids.begin(), pids.end());
        ProcNode node { ProcNode::Kind::Dir, {}, {}, {} };
        for (int pid : pids) {
            node.entries.push_back(std::to_string(pid));
            node.targets.emplace_back();
        }
        node.entries.push_back("self");
        node.targets.push_back(std::to_string(kernel.pid_seen_by(reader, reader)));
        return node;
    }

    const std::string& name = parts[0];
    pid_t host_pid = 0;
    if (name == "self" || name == "thread-self")
        host_pid = reader;
    else if (name.find_first_not_of("0123456789") == std::string::npos)
        host_pid = kernel.host_pid_of(reader, std::atoi(name.c_str()));
    else
        return unmodelled(path);
    auto process = host_pid ? kernel.process(host_pid) : std::nullopt;
    if (!process)
        return missing(path);

    if (parts.size() == 1) {
        ProcNode node { ProcNode::Kind::Dir, {}, k_process_files, {} };
        node.targets.resize(node.entries.size());
        return node;
    }
    const std::string& file = parts[1];
    if (std::find(k_process_files.begin(), k_process_files.end(), file) == k_process_files.end())
        return unmodelled(path);
    if (file == "ns") {
        // A zombie has left its namespaces: its ns/ links cannot be read.
        std::vector<std::string> kinds;
        if (process->state != 'Z')
            for (const auto& [kind, inode] : process->namespaces)
                kinds.push_back(kind);
        if (parts.size() == 2) {
            ProcNode node { ProcNode::Kind::Dir, {}, kinds, {} };
            for (const auto& kind : kinds)
                node.targets.push_back(kind + ":[" + std::to_string(process->namespaces.at(kind)) + "]");
            return node;
        }
        if (parts.size() == 3 && std::find(kinds.begin(), kinds.end(), parts[2]) != kinds.end())
            return ProcNode { ProcNode::Kind::Link, parts[2] + ":[" + std::to_string(process->namespaces.at(parts[2])) + "]", {}, {} };
        return missing(path);
    }
    if (parts.size() > 2)
        return missing(path);
    int pid = kernel.pid_seen_by(reader, process->pid);
    int ppid = process->ppid ? kernel.pid_seen_by(reader, process->ppid) : 0;
    std::string text;
    if (file == "status")
        text = proc_status(kernel, *process, level, pid, ppid);
    else if (file == "stat")
        text = proc_stat(*process, pid, ppid);
    else if (file == "cmdline")
        text = proc_cmdline(*process);
    else if (file == "cgroup")
        text = cgroup_seen_by(kernel, *self, *process);
    else
        text = proc_mountinfo(kernel.mounts_of(namespace_of(*process, "mnt")));
    return ProcNode { ProcNode::Kind::File, std::move(text), {}, {} };
}

} // namespace engine::sim
