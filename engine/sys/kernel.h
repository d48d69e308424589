// The kernel seam: everything the engine asks of the Linux kernel that changes state (mounts,
// namespaces, hostnames, cgroup files, device nodes), the process operations the daemon's
// supervision needs (signal, exit notification, reaping), and where the kernel's state can be
// read (procfs). LinuxKernel makes the real calls; sim::FakeKernel keeps an in-memory model and
// records each call for tests; sim::SimKernel is the simulated kernel glassboxd --kernel=sim runs on.
// Helpers such as "mount an overlay from these layers" live in runtime/, on top of this.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/sys/probe.h"

namespace engine::sys {

enum class NamespaceKind { Mount, Uts, Ipc, Pid, Network, Cgroup, User, Time };

// The /proc/<pid>/ns/<name> file name of a namespace kind ("mnt", "uts", ...).
std::string_view namespace_file_name(NamespaceKind kind);
// The CLONE_NEW* flag of a namespace kind.
int namespace_clone_flag(NamespaceKind kind);

// One eBPF instruction, laid out as the kernel's struct bpf_insn (linux/bpf.h): an opcode, the
// destination and source registers, a signed offset (jump distance, memory offset) and an
// immediate. Kept here so the seam does not drag the kernel's UAPI headers into every file.
struct BpfInstruction {
    std::uint8_t code { 0 };
    std::uint8_t dst { 0 };
    std::uint8_t src { 0 };
    std::int16_t offset { 0 };
    std::int32_t imm { 0 };
    bool operator==(const BpfInstruction&) const = default;
};

struct MountRequest {
    std::string source;
    std::string target;
    std::string fstype;
    unsigned long flags { 0 };
    std::string data;
};

class Kernel {
public:
    virtual ~Kernel() = default;

    virtual Result<void> mount(const MountRequest& request) = 0;
    virtual Result<void> umount(const std::string& target, int flags) = 0;
    // CLONE_NEW* flags, as unshare(2) takes them.
    virtual Result<void> unshare(int clone_flags) = 0;
    virtual Result<void> set_namespace(const UniqueFd& namespace_fd, NamespaceKind kind) = 0;
    virtual Result<void> pivot_root(const std::string& new_root, const std::string& put_old) = 0;
    virtual Result<void> change_dir(const std::string& path) = 0;
    virtual Result<void> set_hostname(std::string_view hostname) = 0;
    virtual Result<std::string> read_file(const std::string& path) = 0;
    virtual Result<void> write_file(const std::string& path, std::string_view contents) = 0;
    virtual Result<void> make_dir(const std::string& path, mode_t mode) = 0;
    virtual Result<void> make_node(const std::string& path, mode_t mode, dev_t device) = 0;
    virtual Result<void> make_symlink(const std::string& target, const std::string& link_path) = 0;
    virtual Result<void> remove_dir(const std::string& path) = 0;
    virtual bool path_exists(const std::string& path) = 0;
    // The names of the directories in `path` (symlinks to directories included); empty when
    // `path` cannot be read. Used to walk cgroupfs.
    virtual std::vector<std::string> list_subdirs(const std::string& path) = 0;
    // Loads `program` as a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to the cgroup v2
    // directory `cgroup_dir` (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), which is how cgroup v2
    // decides device access: the attachment keeps the program alive as long as the cgroup.
    virtual Result<void> attach_device_filter(const std::string& cgroup_dir, const std::vector<BpfInstruction>& program) = 0;

    // [SECTION] Processes the daemon supervises (a container's PID 1, an exec, a RUN step).
    // The defaults are the real kernel's (kill(2), pidfd_open(2), waitpid(2)): FakeKernel's
    // tests supervise real child processes, so only the simulated kernel overrides them.
    virtual Result<void> send_signal(pid_t pid, int signal);
    // An fd that becomes readable once `pid` has exited, for a poll loop: a pidfd on Linux, an
    // eventfd in the simulated kernel. The process stays a zombie until reap_exit.
    virtual Result<UniqueFd> exit_notification(pid_t pid);
    // Blocks until `pid` (a child of the daemon) exits, reaps it and returns Docker's exit code:
    // the exit status, or 128 + the signal number when a signal ended it; -1 if it is not ours.
    virtual int reap_exit(pid_t pid);

    // [SECTION] What this kernel is. A simulated kernel says so, and why, everywhere (CLI, API,
    // snapshot, visualizer); its feature probe and its procfs are its own.
    virtual bool simulated() const { return false; }
    virtual std::string simulated_reason() const { return {}; }
    virtual const KernelFeatures& features() { return kernel_features(); }
    // Where the state collector reads procfs (and, through its mountinfo, cgroupfs).
    virtual std::string procfs_root() { return "/proc"; }
    // The directory the cgroupfs paths named in that mountinfo are read under: "" on the real
    // kernel (they are the host's own paths); the simulated kernel renders its cgroupfs below
    // its own directory.
    virtual std::string pseudo_fs_root() { return {}; }
    // Brings the files under procfs_root() up to date before a snapshot (the simulated kernel
    // writes its model there; the real procfs is always current).
    virtual void refresh_procfs() { }
};

// The real process operations, shared by the Kernel defaults and the runtime.
Result<void> linux_send_signal(pid_t pid, int signal);
Result<UniqueFd> linux_exit_notification(pid_t pid);
int linux_reap_exit(pid_t pid);

} // namespace engine::sys
