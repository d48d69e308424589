// sim::SimKernel: the simulated kernel glassboxd runs on with --kernel=sim (docs/simulated-kernel.md).
// It implements sys::Kernel with an in-memory model faithful enough that the engine above the seam
// runs unchanged, as an ordinary user:
// - namespaces with inode numbers (the host's eight, then one per unshare or new container);
// - processes with a host PID and a PID in every PID namespace they are in, a parent, a state
//   (S, R, Z), signal dispositions (caught, ignored) and the kernel's delivery rules: a
//   namespace's init ignores every signal it has no handler for, except SIGKILL (and SIGSTOP)
//   sent from an ancestor namespace; orphans are reparented to their namespace's init; a dead
//   process stays a zombie until its parent reaps it; when an init dies, the kernel kills the
//   rest of its PID namespace;
// - mounts: the host table (overlay roots, netns bind mounts) and one table per container mount
//   namespace, with overlay semantics on the real layer directories (sim_fs.h);
// - cgroups: the files the runtime writes (limits) and the usage the model knows (pids.current,
//   cgroup.procs, memory.current);
// - hostnames per UTS namespace.
// Programs in simulated containers are C++ functions running on threads (programs.h); the
// runtime side (start a container's PID 1, exec) is sim_runtime.h.
//
// The state collector reads procfs and cgroupfs files; refresh_procfs() writes the model as such
// a tree under <state_dir>/pseudo (proc/<pid>/{stat,status,cmdline,cgroup,mountinfo,ns/*} and the
// cgroup directories), so the collector's code is the same for both kernels.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/sim/fake_kernel.h"
#include "engine/sim/sim_fs.h"
#include "engine/sys/kernel.h"

namespace engine::sim {

// What a simulated process's program sees of its signals: the signals it has a handler for and
// those it ignores (trap '' SIG), and a queue of caught signals its thread takes in turn.
struct SignalState {
    std::uint64_t caught { 0 };  // Bit (sig - 1), as in /proc/<pid>/status SigCgt.
    std::uint64_t ignored { 0 }; // SigIgn.
    std::vector<int> pending;    // Caught signals not handled yet.
    bool killed { false };       // The process has died (signal or exit); its program must stop.
};

struct SimProcess {
    pid_t pid { 0 };                 // Host PID.
    pid_t ppid { 0 };                // Host PID of the parent (0: none).
    std::vector<int> nspid;          // Outermost (host) first, as NSpid in /proc/<pid>/status.
    std::string comm;
    std::vector<std::string> argv;
    char state { 'S' };              // 'S' sleeping, 'R' running, 'Z' zombie.
    std::map<std::string, std::uint64_t> namespaces; // "mnt" -> inode, ...
    std::string cgroup { "/" };      // The unified path ("/glassbox/<id>").
    int uid { 0 };
    int exit_code { 0 };             // Docker's: status, or 128 + signal.
    std::uint64_t start_ticks { 0 };
    int exit_event { -1 };           // eventfd written once the process has died.
    std::shared_ptr<SignalState> signals;
    std::string container_id;
};

class SimKernel final : public sys::Kernel {
public:
    // `state_dir` holds the rendered procfs/cgroupfs; `host_prefixes` are the engine's own
    // directories (data root, run root), whose files are real.
    SimKernel(std::string state_dir, std::vector<std::string> host_prefixes, std::string reason);
    ~SimKernel() override;

    // [SECTION] sys::Kernel: files and mounts.
    Result<void> mount(const sys::MountRequest& request) override;
    Result<void> umount(const std::string& target, int flags) override;
    Result<void> unshare(int clone_flags) override;
    Result<void> set_namespace(const UniqueFd& namespace_fd, sys::NamespaceKind kind) override;
    Result<void> pivot_root(const std::string& new_root, const std::string& put_old) override;
    Result<void> change_dir(const std::string& path) override;
    Result<void> set_hostname(std::string_view hostname) override;
    Result<std::string> read_file(const std::string& path) override;
    Result<void> write_file(const std::string& path, std::string_view contents) override;
    Result<void> make_dir(const std::string& path, mode_t mode) override;
    Result<void> make_node(const std::string& path, mode_t mode, dev_t device) override;
    Result<void> make_symlink(const std::string& target, const std::string& link_path) override;
    Result<void> remove_dir(const std::string& path) override;
    bool path_exists(const std::string& path) override;
    std::vector<std::string> list_subdirs(const std::string& path) override;
    Result<void> attach_device_filter(const std::string& cgroup_dir, const std::vector<sys::BpfInstruction>& program) override;

    // [SECTION] sys::Kernel: processes, identity, procfs.
    Result<void> send_signal(pid_t pid, int signal) override;
    Result<UniqueFd> exit_notification(pid_t pid) override;
    int reap_exit(pid_t pid) override;
    bool simulated() const override { return true; }
    std::string simulated_reason() const override { return m_reason; }
    const sys::KernelFeatures& features() override { return m_features; }
    // The rendered procfs and cgroupfs sit below one directory ("<state_dir>/pseudo"): its
    // proc/ and its sys/fs/cgroup/.
    std::string procfs_root() override { return m_pseudo_root + "/proc"; }
    std::string pseudo_fs_root() override { return m_pseudo_root; }
    void refresh_procfs() override;

    // [SECTION] The model, for the simulated runtime and programs.
    struct NewProcess {
        pid_t parent { 0 };                 // 0: the daemon (a container's PID 1, an exec).
        std::vector<std::string> argv;
        // Namespaces: a kind not listed is inherited from `parent` (or the host).
        std::map<std::string, std::uint64_t> namespaces;
        bool new_pid_namespace { false };   // Becomes PID 1 of a new PID namespace.
        std::string cgroup;                 // "" inherits.
        std::string container_id;
        int uid { 0 };
    };
    Result<pid_t> spawn(const NewProcess& request);
    // execve(2) of a new program in the same process: its argv and comm change, and its caught
    // signals go back to their default (a handler does not survive exec; ignored ones stay).
    void exec_image(pid_t pid, const std::vector<std::string>& argv);
    // The process has finished with `status` (its program returned): it becomes a zombie.
    void exit_process(pid_t pid, int exit_code);
    // A signal sent by process `sender` (0: from outside every container, e.g. the daemon).
    Result<void> signal_from(pid_t sender, pid_t pid, int signal);
    // Waits for a child of `parent` to die and reaps it (wait(2)); nullopt when it has none.
    // `pid` 0 means any child. Blocks at most `timeout_ms` (negative: forever).
    std::optional<std::pair<pid_t, int>> wait_child(pid_t parent, pid_t pid, int timeout_ms);
    std::optional<SimProcess> process(pid_t pid) const;
    std::vector<SimProcess> processes() const;
    // The PID of `pid` as seen from the PID namespace of `viewer` (0 when invisible).
    int pid_seen_by(pid_t viewer, pid_t pid) const;
    // The host PID of `ns_pid` in the PID namespace of `viewer` (0 when none).
    pid_t host_pid_of(pid_t viewer, int ns_pid) const;
    std::uint64_t new_namespace(const std::string& kind);
    std::uint64_t host_namespace(const std::string& kind) const;
    // The namespace inode bound at a netns file (a sandbox), or 0.
    std::uint64_t netns_at(const std::string& path) const;
    // The network seam's name of a network namespace: "" for the host's, else its netns file.
    std::string netns_name(std::uint64_t inode) const;
    std::string hostname_of(std::uint64_t uts_inode) const;
    void set_hostname_of(std::uint64_t uts_inode, std::string hostname);
    // The mount table of a mount namespace (the host's for 0), for mountinfo and programs.
    struct Mount {
        int id { 0 };
        int parent { 0 };
        std::string source, target, fstype, options { "rw" }, super_options { "rw" }, root { "/" };
    };
    void set_mounts(std::uint64_t mnt_inode, std::vector<Mount> mounts);
    std::vector<Mount> mounts_of(std::uint64_t mnt_inode) const;
    // The files a mount namespace sees (its overlay root and bind mounts); nullptr when unknown.
    // Both go when the last process of the namespace has been reaped.
    void set_files(std::uint64_t mnt_inode, std::shared_ptr<ContainerFs> files);
    std::shared_ptr<ContainerFs> files_of(std::uint64_t mnt_inode) const;
    int next_mount_id();
    // The overlay mounted at `target` on the host, if any.
    std::optional<sys::MountRequest> host_mount_at(const std::string& target) const;
    std::shared_ptr<SignalState> signal_state(pid_t pid) const;
    // Wakes the program threads waiting on a process's signal state.
    void notify_signals();
    std::condition_variable& signal_cv() { return m_signal_cv; }
    std::mutex& signal_mutex() { return m_signal_mutex; }

private:
    void kill_locked(pid_t pid, int exit_code);
    void reparent_children_locked(pid_t dead);
    pid_t allocate_host_pid_locked();

    std::string m_state_dir;
    std::string m_pseudo_root;
    std::string m_reason;
    sys::KernelFeatures m_features;
    FakeKernel m_files; // procfs/cgroupfs/sysctl files and the engine's own real directories.

    mutable std::mutex m_mutex;
    std::condition_variable m_exit_cv;
    std::map<pid_t, SimProcess> m_processes;
    struct PidNamespace {
        std::uint64_t parent { 0 };
        int next { 1 };
        pid_t init { 0 };
        int level { 0 };
    };
    std::map<std::uint64_t, PidNamespace> m_pid_namespaces;
    std::map<std::string, std::uint64_t> m_host_namespaces;
    std::uint64_t m_next_inode { 4026532200 };
    pid_t m_next_pid { 300 };
    pid_t m_daemon_pid { 0 };
    std::map<std::string, std::uint64_t> m_netns_files;
    std::map<std::uint64_t, std::string> m_hostnames;
    std::map<std::uint64_t, std::vector<Mount>> m_mount_tables;
    std::map<std::uint64_t, std::shared_ptr<ContainerFs>> m_files_by_mnt;
    void drop_unused_mount_namespace_locked(std::uint64_t mnt_inode);
    std::vector<sys::MountRequest> m_host_mounts;
    int m_next_mount_id { 1000 };
    std::set<std::string> m_rendered;

    std::mutex m_signal_mutex;
    std::condition_variable m_signal_cv;
};

} // namespace engine::sim
