#include "engine/sim/sim_kernel.h"

#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/sim/proc_view.h"

namespace engine::sim {

namespace {

// The network namespace a thread has unshared into (the sandbox does unshare(CLONE_NEWNET) on a
// short-lived thread, then binds /proc/thread-self/ns/net to a file); 0: the host's.
thread_local std::uint64_t t_unshared_net = 0;

constexpr const char* k_namespace_kinds[] = { "mnt", "uts", "ipc", "pid", "net", "cgroup", "user", "time" };

std::uint64_t bit(int signal) { return std::uint64_t { 1 } << (signal - 1); }

// Signals whose default action is to do nothing (signal(7)).
bool default_ignored(int signal) { return signal == SIGCHLD || signal == SIGURG || signal == SIGWINCH || signal == SIGCONT; }

std::uint64_t ticks_now()
{
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count() / 10);
}

sys::KernelFeatures simulated_features()
{
    sys::KernelFeatures features;
    features.kernel_release = "6.1.0-glassbox-sim";
    // The machine is the real one (its CPUs, memory and name); only the kernel is modelled.
    features.host = sys::kernel_features().host;
    features.cgroup_layout = sys::kernel_features().cgroup_layout;
    features.cgroup_v2_mount = sys::kernel_features().cgroup_v2_mount;
    const std::string detail = "simulated kernel (engine/sim)";
    for (const char* name : { "overlayfs", "namespace.mnt", "namespace.uts", "namespace.ipc", "namespace.pid",
             "namespace.net", "namespace.cgroup", "namespace.user", "cgroup.memory", "cgroup.pids", "cgroup.cpu",
             "link.veth", "link.bridge", "link.macvlan", "link.ipvlan", "link.vlan", "nftables" })
        features.features.push_back({ name, true, detail });
    return features;
}

} // namespace

SimKernel::SimKernel(std::string state_dir, std::vector<std::string> host_prefixes, std::string reason)
    : m_state_dir(std::move(state_dir))
    , m_pseudo_root(m_state_dir + "/pseudo")
    , m_reason(std::move(reason))
    , m_features(simulated_features())
{
    for (auto& prefix : host_prefixes)
        m_files.use_host_files_under(prefix);
    // The sysctls and cgroup roots the engine reads before writing.
    m_files.put_file("/proc/sys/net/ipv4/ip_forward", "1\n");
    m_files.put_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", "1024\n");
    m_files.put_dir("/sys/fs/cgroup");
    // The runtime lays a container's cgroups out as the host mounts them (Cgroup::for_name), so
    // on a v1 or hybrid host the model has the same hierarchies.
    if (m_features.cgroup_layout == sys::CgroupLayout::V1 || m_features.cgroup_layout == sys::CgroupLayout::Hybrid) {
        for (const char* controller : { "memory", "pids", "cpu", "cpuacct", "blkio", "devices", "freezer" })
            m_files.put_dir(std::string("/sys/fs/cgroup/") + controller);
        if (m_features.cgroup_layout == sys::CgroupLayout::Hybrid)
            m_files.put_dir("/sys/fs/cgroup/unified");
    }
    std::uint64_t inode = 4026531834;
    for (const char* kind : k_namespace_kinds)
        m_host_namespaces[kind] = inode++;
    m_hostnames[m_host_namespaces["uts"]] = "glassbox-sim";
    m_pid_namespaces[m_host_namespaces["pid"]] = { 0, 2, 1, 0 };
    // PID 1 of the host (init) and the daemon itself, which starts every container's PID 1.
    m_daemon_pid = ::getpid();
    for (auto [pid, name] : { std::pair<pid_t, const char*> { 1, "init" }, { m_daemon_pid, "glassboxd" } }) {
        SimProcess process;
        process.pid = pid;
        process.ppid = pid == 1 ? 0 : 1;
        process.nspid = { pid };
        process.comm = name;
        process.argv = { pid == 1 ? "/sbin/init" : "glassboxd" };
        process.namespaces = m_host_namespaces;
        process.signals = std::make_shared<SignalState>();
        process.start_ticks = ticks_now();
        m_processes[pid] = process;
    }
    (void)fs::make_dirs(m_pseudo_root + "/proc", 0755);
}

SimKernel::~SimKernel()
{
    std::lock_guard lock(m_mutex);
    for (auto& [pid, process] : m_processes)
        if (process.exit_event >= 0)
            ::close(process.exit_event);
}

// [SECTION] Files and mounts

Result<void> SimKernel::mount(const sys::MountRequest& request)
{
    TRY(m_files.mount(request));
    std::lock_guard lock(m_mutex);
    if (request.source == "/proc/thread-self/ns/net" || request.source == "/proc/self/ns/net")
        m_netns_files[request.target] = t_unshared_net ? t_unshared_net : m_host_namespaces["net"];
    m_host_mounts.push_back(request);
    return Ok {};
}

namespace {

// Moves everything under `from` into `to`, replacing what is there (directories are merged).
void merge_into(const std::filesystem::path& from, const std::filesystem::path& to)
{
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(from, error)) {
        auto target = to / entry.path().filename();
        if (entry.is_directory(error) && !entry.is_symlink(error) && std::filesystem::is_directory(target, error)
            && !std::filesystem::is_symlink(target, error)) {
            merge_into(entry.path(), target);
            std::filesystem::remove(entry.path(), error);
            continue;
        }
        std::filesystem::remove_all(target, error);
        std::filesystem::rename(entry.path(), target, error);
    }
}

} // namespace

Result<void> SimKernel::umount(const std::string& target, int flags)
{
    TRY(m_files.umount(target, flags));
    std::optional<sys::MountRequest> overlay;
    {
        std::lock_guard lock(m_mutex);
        m_netns_files.erase(target);
        for (auto it = m_host_mounts.rbegin(); it != m_host_mounts.rend(); ++it) {
            if (it->target == target) {
                if (it->fstype == "overlay")
                    overlay = *it;
                m_host_mounts.erase(std::next(it).base());
                break;
            }
        }
    }
    // No real overlay is mounted at `target`: what the engine wrote through the mount point
    // itself (the builder's COPY and ADD) is still in that directory. On the real kernel it
    // went to the upper directory, so it goes there now.
    if (overlay) {
        for (const auto& option : strings::split(overlay->data, ',')) {
            if (strings::starts_with(option, "upperdir=") && fs::is_dir(target))
                merge_into(target, option.substr(9));
        }
    }
    return Ok {};
}

Result<void> SimKernel::unshare(int clone_flags)
{
    TRY(m_files.unshare(clone_flags));
    if (clone_flags & CLONE_NEWNET)
        t_unshared_net = new_namespace("net");
    return Ok {};
}

Result<void> SimKernel::set_namespace(const UniqueFd& fd, sys::NamespaceKind kind) { return m_files.set_namespace(fd, kind); }
Result<void> SimKernel::pivot_root(const std::string& a, const std::string& b) { return m_files.pivot_root(a, b); }
Result<void> SimKernel::change_dir(const std::string& path) { return m_files.change_dir(path); }

Result<void> SimKernel::set_hostname(std::string_view hostname)
{
    std::lock_guard lock(m_mutex);
    m_hostnames[m_host_namespaces["uts"]] = std::string(hostname);
    return Ok {};
}

Result<std::string> SimKernel::read_file(const std::string& path)
{
    // cgroup usage the model knows: the processes in the cgroup.
    if (strings::starts_with(path, "/sys/fs/cgroup/")) {
        auto slash = path.rfind('/');
        auto dir = path.substr(0, slash);
        auto file = path.substr(slash + 1);
        if (file == "cgroup.procs" || file == "pids.current" || file == "tasks") {
            if (!m_files.path_exists(dir))
                return Error::from_errno("open " + path, ENOENT);
            std::string procs;
            int count = 0;
            std::lock_guard lock(m_mutex);
            for (const auto& [pid, process] : m_processes) {
                if (process.state != 'Z' && process.cgroup != "/" && strings::ends_with(dir, process.cgroup)) {
                    procs += std::to_string(pid) + "\n";
                    count++;
                }
            }
            return file == "pids.current" ? std::to_string(count) + "\n" : procs;
        }
    }
    return m_files.read_file(path);
}

Result<void> SimKernel::write_file(const std::string& path, std::string_view contents)
{
    // Moving a process into a cgroup (cgroup.procs) or killing the cgroup (cgroup.kill).
    if (strings::starts_with(path, "/sys/fs/cgroup/")) {
        auto slash = path.rfind('/');
        auto dir = path.substr(0, slash);
        auto file = path.substr(slash + 1);
        if (file == "cgroup.kill" && strings::trim(contents) == "1") {
            std::vector<pid_t> victims;
            {
                std::lock_guard lock(m_mutex);
                for (const auto& [pid, process] : m_processes)
                    if (process.state != 'Z' && process.cgroup != "/" && strings::ends_with(dir, process.cgroup))
                        victims.push_back(pid);
            }
            for (auto pid : victims)
                (void)signal_from(0, pid, SIGKILL);
            return Ok {};
        }
    }
    return m_files.write_file(path, contents);
}

Result<void> SimKernel::make_dir(const std::string& path, mode_t mode) { return m_files.make_dir(path, mode); }
Result<void> SimKernel::make_node(const std::string& path, mode_t mode, dev_t device) { return m_files.make_node(path, mode, device); }
Result<void> SimKernel::make_symlink(const std::string& target, const std::string& link) { return m_files.make_symlink(target, link); }
Result<void> SimKernel::remove_dir(const std::string& path)
{
    if (strings::starts_with(path, "/sys/fs/cgroup/")) {
        // rmdir of a cgroup with live processes fails with EBUSY, as cgroupfs's does.
        std::lock_guard lock(m_mutex);
        for (const auto& [pid, process] : m_processes)
            if (process.state != 'Z' && process.cgroup != "/" && strings::ends_with(path, process.cgroup))
                return Error::from_errno("rmdir " + path, EBUSY);
    }
    return m_files.remove_dir(path);
}
bool SimKernel::path_exists(const std::string& path) { return m_files.path_exists(path); }
std::vector<std::string> SimKernel::list_subdirs(const std::string& path) { return m_files.list_subdirs(path); }
// The simulated cgroupfs keeps the program with the directory; simulated programs open no device
// nodes, so nothing runs it.
Result<void> SimKernel::attach_device_filter(const std::string& cgroup_dir, const std::vector<sys::BpfInstruction>& program)
{
    return m_files.attach_device_filter(cgroup_dir, program);
}

// [SECTION] Processes

pid_t SimKernel::allocate_host_pid_locked()
{
    while (m_processes.count(m_next_pid) || m_next_pid == m_daemon_pid || m_next_pid < 2)
        m_next_pid = m_next_pid >= 4194303 ? 300 : m_next_pid + 1;
    return m_next_pid++;
}

std::uint64_t SimKernel::new_namespace(const std::string& kind)
{
    std::lock_guard lock(m_mutex);
    (void)kind;
    return m_next_inode++;
}

std::uint64_t SimKernel::host_namespace(const std::string& kind) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_host_namespaces.find(kind);
    return it == m_host_namespaces.end() ? 0 : it->second;
}

std::uint64_t SimKernel::netns_at(const std::string& path) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_netns_files.find(path);
    return it == m_netns_files.end() ? 0 : it->second;
}

void SimKernel::exec_image(pid_t pid, const std::vector<std::string>& argv)
{
    std::shared_ptr<SignalState> signals;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_processes.find(pid);
        if (it == m_processes.end() || argv.empty())
            return;
        it->second.argv = argv;
        it->second.comm = std::filesystem::path(argv[0]).filename().string().substr(0, 15);
        signals = it->second.signals;
    }
    std::lock_guard lock(m_signal_mutex);
    signals->caught = 0;
}

Result<pid_t> SimKernel::spawn(const NewProcess& request)
{
    std::lock_guard lock(m_mutex);
    pid_t parent = request.parent ? request.parent : m_daemon_pid;
    auto parent_it = m_processes.find(parent);
    if (parent_it == m_processes.end() || parent_it->second.state == 'Z')
        return Error::from_errno("fork from " + std::to_string(parent), ESRCH);
    const auto& from = parent_it->second;
    SimProcess process;
    process.pid = allocate_host_pid_locked();
    process.ppid = parent;
    process.argv = request.argv;
    process.comm = request.argv.empty() ? "?" : std::filesystem::path(request.argv[0]).filename().string().substr(0, 15);
    process.namespaces = from.namespaces;
    for (const auto& [kind, inode] : request.namespaces)
        process.namespaces[kind] = inode;
    process.cgroup = request.cgroup.empty() ? from.cgroup : request.cgroup;
    process.container_id = request.container_id.empty() ? from.container_id : request.container_id;
    process.uid = request.uid;
    process.signals = std::make_shared<SignalState>();
    process.start_ticks = ticks_now();
    if (request.new_pid_namespace) {
        auto inode = m_next_inode++;
        m_pid_namespaces[inode] = { process.namespaces["pid"], 1, process.pid,
            m_pid_namespaces[process.namespaces["pid"]].level + 1 };
        process.namespaces["pid"] = inode;
    }
    // One PID per PID namespace, from the host's down to its own.
    std::vector<std::uint64_t> chain;
    for (auto ns = process.namespaces["pid"]; ns != 0; ns = m_pid_namespaces[ns].parent)
        chain.insert(chain.begin(), ns);
    for (auto ns : chain) {
        auto& space = m_pid_namespaces[ns];
        if (space.parent == 0) {
            process.nspid.push_back(process.pid);
        } else {
            int id = space.next++;
            if (id == 1)
                space.init = process.pid;
            process.nspid.push_back(id);
        }
    }
    process.exit_event = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pid_t pid = process.pid;
    m_processes[pid] = std::move(process);
    return pid;
}

void SimKernel::reparent_children_locked(pid_t dead)
{
    const auto& dying = m_processes[dead];
    auto pidns = dying.namespaces.at("pid");
    auto& space = m_pid_namespaces[pidns];
    bool is_init = space.init == dead && space.parent != 0;
    for (auto& [pid, process] : m_processes) {
        if (process.ppid != dead)
            continue;
        // Orphans go to their PID namespace's init (the host's init on the host); the children
        // of a dying init go to the init of the namespace above, as the kernel does.
        pid_t heir = is_init ? m_pid_namespaces[space.parent].init : space.init;
        if (heir == dead || heir == 0 || !m_processes.count(heir))
            heir = 1;
        process.ppid = heir;
    }
}

void SimKernel::kill_locked(pid_t pid, int exit_code)
{
    auto it = m_processes.find(pid);
    if (it == m_processes.end() || it->second.state == 'Z')
        return;
    auto& process = it->second;
    process.state = 'Z';
    process.exit_code = exit_code;
    {
        std::lock_guard signals(m_signal_mutex);
        process.signals->killed = true;
    }
    m_signal_cv.notify_all();
    // An init's death kills every other process of its PID namespace (and those below).
    auto pidns = process.namespaces["pid"];
    auto& space = m_pid_namespaces[pidns];
    if (space.init == pid && space.parent != 0) {
        std::vector<pid_t> rest;
        for (const auto& [other, candidate] : m_processes) {
            if (other == pid || candidate.state == 'Z')
                continue;
            for (auto ns = candidate.namespaces.at("pid"); ns != 0; ns = m_pid_namespaces[ns].parent)
                if (ns == pidns)
                    rest.push_back(other);
        }
        for (auto other : rest)
            kill_locked(other, 128 + SIGKILL);
    }
    reparent_children_locked(pid);
    // Zombies whose new parent is a dead init's parent namespace's init are reaped by it at once
    // (the host's init, or the daemon as subreaper of a container's PID 1, reaps promptly).
    for (auto child = m_processes.begin(); child != m_processes.end();) {
        if (child->second.state == 'Z' && child->second.ppid == 1 && child->first != pid) {
            if (child->second.exit_event >= 0)
                ::close(child->second.exit_event);
            child = m_processes.erase(child);
        } else {
            ++child;
        }
    }
    if (process.exit_event >= 0) {
        std::uint64_t one = 1;
        (void)::write(process.exit_event, &one, sizeof one);
    }
    if (process.ppid == 1) {
        // Reparented to the host's init, which reaps at once.
        if (process.exit_event >= 0)
            ::close(process.exit_event);
        m_processes.erase(it);
    }
    m_exit_cv.notify_all();
}

void SimKernel::exit_process(pid_t pid, int exit_code)
{
    std::lock_guard lock(m_mutex);
    kill_locked(pid, exit_code);
}

Result<void> SimKernel::signal_from(pid_t sender, pid_t pid, int signal)
{
    if (signal < 0 || signal > 64)
        return Error::from_errno("kill " + std::to_string(pid), EINVAL);
    std::unique_lock lock(m_mutex);
    auto it = m_processes.find(pid);
    if (it == m_processes.end())
        return Error::from_errno("kill " + std::to_string(pid), ESRCH);
    auto& process = it->second;
    if (signal == 0 || process.state == 'Z')
        return Ok {};
    auto& space = m_pid_namespaces[process.namespaces["pid"]];
    bool is_init = space.init == pid && space.parent != 0;
    // Is the sender in an ancestor PID namespace of the target's (the daemon always is)?
    bool from_outside = sender == 0;
    if (!from_outside) {
        auto sender_it = m_processes.find(sender);
        from_outside = sender_it == m_processes.end()
            || sender_it->second.namespaces["pid"] != process.namespaces["pid"];
    }
    if (signal == SIGKILL) {
        // A namespace's init cannot be killed from inside its namespace, even with SIGKILL.
        if (is_init && !from_outside)
            return Ok {};
        kill_locked(pid, 128 + SIGKILL);
        return Ok {};
    }
    if (signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU)
        return Ok {}; // Stopping is not modelled: the process keeps its state.
    {
        std::lock_guard signals(m_signal_mutex);
        auto& state = *process.signals;
        if (state.caught & bit(signal)) {
            state.pending.push_back(signal);
            m_signal_cv.notify_all();
            return Ok {};
        }
        if (state.ignored & bit(signal) || default_ignored(signal))
            return Ok {};
    }
    // The kernel does not apply a default action to a namespace's init: a PID 1 without a
    // handler ignores SIGTERM and SIGINT (the `tail -f /dev/null` anti-pattern).
    if (is_init)
        return Ok {};
    kill_locked(pid, 128 + signal);
    return Ok {};
}

Result<void> SimKernel::send_signal(pid_t pid, int signal) { return signal_from(0, pid, signal); }

Result<UniqueFd> SimKernel::exit_notification(pid_t pid)
{
    std::lock_guard lock(m_mutex);
    auto it = m_processes.find(pid);
    if (it == m_processes.end() || it->second.exit_event < 0)
        return Error::from_errno("exit notification of " + std::to_string(pid), ESRCH);
    int fd = ::dup(it->second.exit_event);
    if (fd < 0)
        return Error::from_errno("dup eventfd", errno);
    return UniqueFd(fd);
}

int SimKernel::reap_exit(pid_t pid)
{
    auto reaped = wait_child(m_daemon_pid, pid, -1);
    return reaped ? reaped->second : -1;
}

std::optional<std::pair<pid_t, int>> SimKernel::wait_child(pid_t parent, pid_t pid, int timeout_ms)
{
    std::unique_lock lock(m_mutex);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        bool has_child = false;
        for (auto it = m_processes.begin(); it != m_processes.end(); ++it) {
            auto& process = it->second;
            if (process.ppid != parent || (pid != 0 && it->first != pid))
                continue;
            has_child = true;
            if (process.state != 'Z')
                continue;
            std::pair<pid_t, int> result { it->first, process.exit_code };
            if (process.exit_event >= 0)
                ::close(process.exit_event);
            auto mnt = process.namespaces["mnt"];
            m_processes.erase(it);
            drop_unused_mount_namespace_locked(mnt);
            return result;
        }
        if (!has_child)
            return std::nullopt;
        if (timeout_ms < 0)
            m_exit_cv.wait(lock);
        else if (m_exit_cv.wait_until(lock, deadline) == std::cv_status::timeout)
            return std::nullopt;
    }
}

std::optional<SimProcess> SimKernel::process(pid_t pid) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_processes.find(pid);
    if (it == m_processes.end())
        return std::nullopt;
    return it->second;
}

std::vector<SimProcess> SimKernel::processes() const
{
    std::lock_guard lock(m_mutex);
    std::vector<SimProcess> out;
    for (const auto& [pid, process] : m_processes)
        out.push_back(process);
    return out;
}

int SimKernel::pid_seen_by(pid_t viewer, pid_t pid) const
{
    std::lock_guard lock(m_mutex);
    auto v = m_processes.find(viewer);
    auto p = m_processes.find(pid);
    if (v == m_processes.end() || p == m_processes.end())
        return 0;
    auto level = m_pid_namespaces.at(v->second.namespaces.at("pid")).level;
    // Visible when the viewer's PID namespace is in the target's chain.
    int index = 0;
    std::vector<std::uint64_t> chain;
    for (auto ns = p->second.namespaces.at("pid"); ns != 0; ns = m_pid_namespaces.at(ns).parent)
        chain.insert(chain.begin(), ns);
    for (auto ns : chain) {
        if (ns == v->second.namespaces.at("pid"))
            return index < static_cast<int>(p->second.nspid.size()) ? p->second.nspid[static_cast<size_t>(level)] : 0;
        index++;
    }
    return 0;
}

pid_t SimKernel::host_pid_of(pid_t viewer, int ns_pid) const
{
    for (const auto& process : processes())
        if (pid_seen_by(viewer, process.pid) == ns_pid)
            return process.pid;
    return 0;
}

std::string SimKernel::netns_name(std::uint64_t inode) const
{
    std::lock_guard lock(m_mutex);
    for (const auto& [path, bound] : m_netns_files)
        if (bound == inode)
            return path;
    return {};
}

std::string SimKernel::hostname_of(std::uint64_t uts) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_hostnames.find(uts);
    return it == m_hostnames.end() ? std::string("glassbox-sim") : it->second;
}

void SimKernel::set_hostname_of(std::uint64_t uts, std::string hostname)
{
    std::lock_guard lock(m_mutex);
    m_hostnames[uts] = std::move(hostname);
}

void SimKernel::set_mounts(std::uint64_t mnt, std::vector<Mount> mounts)
{
    std::lock_guard lock(m_mutex);
    if (mounts.empty())
        m_mount_tables.erase(mnt);
    else
        m_mount_tables[mnt] = std::move(mounts);
}

void SimKernel::drop_unused_mount_namespace_locked(std::uint64_t mnt)
{
    if (mnt == m_host_namespaces["mnt"])
        return;
    for (const auto& [pid, process] : m_processes) {
        auto it = process.namespaces.find("mnt");
        if (it != process.namespaces.end() && it->second == mnt)
            return;
    }
    m_mount_tables.erase(mnt);
    m_files_by_mnt.erase(mnt);
}

void SimKernel::set_files(std::uint64_t mnt, std::shared_ptr<ContainerFs> files)
{
    std::lock_guard lock(m_mutex);
    m_files_by_mnt[mnt] = std::move(files);
}

std::shared_ptr<ContainerFs> SimKernel::files_of(std::uint64_t mnt) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_files_by_mnt.find(mnt);
    return it == m_files_by_mnt.end() ? nullptr : it->second;
}

std::vector<SimKernel::Mount> SimKernel::mounts_of(std::uint64_t mnt) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_mount_tables.find(mnt);
    return it == m_mount_tables.end() ? std::vector<Mount> {} : it->second;
}

int SimKernel::next_mount_id()
{
    std::lock_guard lock(m_mutex);
    return m_next_mount_id++;
}

std::optional<sys::MountRequest> SimKernel::host_mount_at(const std::string& target) const
{
    std::lock_guard lock(m_mutex);
    for (auto it = m_host_mounts.rbegin(); it != m_host_mounts.rend(); ++it)
        if (it->target == target)
            return *it;
    return std::nullopt;
}

std::shared_ptr<SignalState> SimKernel::signal_state(pid_t pid) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_processes.find(pid);
    return it == m_processes.end() ? nullptr : it->second.signals;
}

void SimKernel::notify_signals() { m_signal_cv.notify_all(); }

// [SECTION] The rendered procfs and cgroupfs

void SimKernel::refresh_procfs()
{
    std::vector<SimProcess> all = processes();
    std::map<std::uint64_t, std::vector<Mount>> tables;
    std::vector<sys::MountRequest> host_mounts;
    std::map<std::string, std::uint64_t> netns_files;
    {
        std::lock_guard lock(m_mutex);
        tables = m_mount_tables;
        host_mounts = m_host_mounts;
        netns_files = m_netns_files;
    }
    const std::string proc = m_pseudo_root + "/proc";
    // The host's mount table: the real cgroup mounts (so the collector finds the hierarchies the
    // runtime wrote into), then what the engine mounted.
    std::string host_mountinfo = "1 0 0:1 / / rw - simfs glassbox-sim rw\n";
    if (auto real = fs::read_file("/proc/self/mountinfo"); real.ok()) {
        for (const auto& line : strings::split(real.value(), '\n'))
            if (line.find(" - cgroup") != std::string::npos)
                host_mountinfo += line + "\n";
    }
    int id = 100;
    for (const auto& mount : host_mounts) {
        auto netns = netns_files.find(mount.target);
        if (netns != netns_files.end())
            host_mountinfo += std::to_string(id++) + " 1 0:4 net:[" + std::to_string(netns->second) + "] " + mount.target
                + " rw shared:1 - nsfs nsfs rw\n";
        else if (mount.fstype == "overlay")
            host_mountinfo += std::to_string(id++) + " 1 0:50 / " + mount.target + " rw,relatime - overlay overlay rw,"
                + mount.data + "\n";
        else
            host_mountinfo += std::to_string(id++) + " 1 0:60 / " + mount.target + " rw - "
                + (mount.fstype.empty() ? "none" : mount.fstype) + " " + (mount.source.empty() ? "none" : mount.source) + " rw\n";
    }
    std::set<std::string> present;
    for (const auto& process : all) {
        auto dir = proc + "/" + std::to_string(process.pid);
        present.insert(std::to_string(process.pid));
        (void)fs::make_dirs(dir + "/ns", 0755);
        // The host's view (proc_view.h): host PIDs, NSpid from the top.
        (void)fs::write_file_atomic(dir + "/stat", proc_stat(process, process.pid, process.ppid));
        (void)fs::write_file_atomic(dir + "/status", proc_status(*this, process, 0, process.pid, process.ppid));
        (void)fs::write_file_atomic(dir + "/cmdline", proc_cmdline(process));
        (void)fs::write_file_atomic(dir + "/cgroup", "0::" + process.cgroup + "\n");
        std::string mountinfo = host_mountinfo;
        if (auto table = tables.find(process.namespaces.count("mnt") ? process.namespaces.at("mnt") : 0); table != tables.end())
            mountinfo = proc_mountinfo(table->second);
        (void)fs::write_file_atomic(dir + "/mountinfo", mountinfo);
        for (const auto& [kind, inode] : process.namespaces) {
            auto link = dir + "/ns/" + kind;
            auto target = kind + ":[" + std::to_string(inode) + "]";
            std::error_code ignored_error;
            if (std::filesystem::read_symlink(link, ignored_error).string() == target)
                continue;
            std::filesystem::remove(link, ignored_error);
            if (process.state != 'Z')
                std::filesystem::create_symlink(target, link, ignored_error);
        }
    }
    // The daemon's own directory is also /proc/self.
    std::error_code error;
    std::filesystem::remove(proc + "/self", error);
    std::filesystem::create_directory_symlink(std::to_string(m_daemon_pid), proc + "/self", error);
    std::filesystem::remove(proc + "/thread-self", error);
    std::filesystem::create_directory_symlink(std::to_string(m_daemon_pid), proc + "/thread-self", error);
    for (const auto& entry : fs::list_dir(proc)) {
        if (entry.find_first_not_of("0123456789") == std::string::npos && !present.count(entry))
            std::filesystem::remove_all(proc + "/" + entry, error);
    }
    // cgroupfs: every directory the runtime made, with its files and the live usage.
    std::function<void(const std::string&)> render = [&](const std::string& dir) {
        auto target = m_pseudo_root + dir;
        (void)fs::make_dirs(target, 0755);
        for (const char* file : { "memory.max", "pids.max", "cpu.max", "memory.limit_in_bytes", "pids.limit",
                 "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.weight" }) {
            auto value = m_files.read_file(dir + "/" + file);
            if (value.ok())
                (void)fs::write_file_atomic(target + "/" + file, value.value());
        }
        if (auto procs = read_file(dir + "/cgroup.procs"); procs.ok()) {
            (void)fs::write_file_atomic(target + "/cgroup.procs", procs.value());
            auto count = strings::split(strings::trim(procs.value()), '\n');
            int n = procs.value().empty() ? 0 : static_cast<int>(count.size());
            (void)fs::write_file_atomic(target + "/pids.current", std::to_string(n) + "\n");
            // A simulated program uses a nominal 1 MiB of memory.
            (void)fs::write_file_atomic(target + "/memory.current", std::to_string(n * 1048576) + "\n");
            (void)fs::write_file_atomic(target + "/memory.usage_in_bytes", std::to_string(n * 1048576) + "\n");
        }
        for (const auto& sub : m_files.list_subdirs(dir))
            render(dir + "/" + sub);
    };
    std::filesystem::remove_all(m_pseudo_root + "/sys", error);
    render("/sys/fs/cgroup");
}

} // namespace engine::sim
