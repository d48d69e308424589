// The kernel seam: everything the engine asks of the Linux kernel that changes state (mounts,
// namespaces, hostnames, cgroup files, device nodes). LinuxKernel makes the real calls;
// sim::FakeKernel keeps an in-memory model and records each call for tests and lessons.
// Helpers such as "mount an overlay from these layers" live in runtime/, on top of this.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"

namespace engine::sys {

enum class NamespaceKind { Mount, Uts, Ipc, Pid, Network, Cgroup, User, Time };

// The /proc/<pid>/ns/<name> file name of a namespace kind ("mnt", "uts", ...).
std::string_view namespace_file_name(NamespaceKind kind);
// The CLONE_NEW* flag of a namespace kind.
int namespace_clone_flag(NamespaceKind kind);

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
};

} // namespace engine::sys
