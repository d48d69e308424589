// The real Kernel: thin wrappers over mount(2), umount2(2), unshare(2), setns(2),
// pivot_root(2) and friends. Each error names the call and its object.
#pragma once

#include "engine/sys/kernel.h"

namespace engine::sys {

class LinuxKernel final : public Kernel {
public:
    Result<void> mount(const MountRequest& request) override;
    Result<void> umount(const std::string& target, int flags) override;
    Result<void> unshare(int clone_flags) override;
    Result<void> set_namespace(const UniqueFd& namespace_fd, NamespaceKind kind) override;
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
    Result<void> attach_device_filter(const std::string& cgroup_dir, const std::vector<BpfInstruction>& program) override;
};

// One process-wide instance; the real kernel has no state of its own.
LinuxKernel& linux_kernel();

} // namespace engine::sys
