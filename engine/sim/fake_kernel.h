// sim::FakeKernel: an in-memory sys::Kernel. Mounts, namespaces entered, the hostname, and the
// files and directories of procfs and cgroupfs live in maps; every call is recorded as one line
// ("mount overlay on /x", "unshare net", "write /sys/fs/cgroup/glassbox/c1/pids.max 100") that
// tests assert on. It answers as the kernel would where the engine branches on the answer:
// unmounting something that is not mounted fails with EINVAL, writing into a missing directory
// with ENOENT; /proc/self/mountinfo lists the simulated mounts. Nothing here touches the host
// (except the directories a test hands over with use_host_files_under), so tests over it run
// without root.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/sys/kernel.h"

namespace engine::sim {

class FakeKernel final : public sys::Kernel {
public:
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

    // [SECTION] Setting the scene and looking at it (for tests).
    // File calls (read, write, mkdir, mknod, symlink, rmdir, exists, list) on paths under
    // `prefix` go to the real filesystem: the engine's own directories (a test's temporary root)
    // are plain files, while mounts, namespaces, procfs and cgroupfs stay simulated.
    void use_host_files_under(std::string prefix);
    // Puts a file (a sysctl, a cgroup file) in place, creating its parent directories.
    void put_file(const std::string& path, std::string contents);
    // Creates a directory and its parents.
    void put_dir(const std::string& path);
    // Every call so far, one line each, in order.
    std::vector<std::string> calls() const;
    // The targets mounted now, in mount order.
    std::vector<std::string> mounted() const;
    // The contents of `path` ("" when there is no such file).
    std::string file(const std::string& path) const;
    std::string hostname() const;
    // The device programs attached to the cgroup directory `path`, oldest first.
    std::vector<std::vector<sys::BpfInstruction>> device_filters(const std::string& path) const;

private:
    void record(std::string line);
    void add_parents(const std::string& path);
    bool on_host(const std::string& path) const;
    std::string mountinfo_locked() const;

    mutable std::mutex m_mutex;
    std::vector<sys::MountRequest> m_mounts;
    std::map<std::string, std::string> m_files;
    std::set<std::string> m_dirs { "/" };
    std::vector<std::string> m_calls;
    std::string m_hostname { "host" };
    std::vector<std::string> m_host_prefixes;
    std::map<std::string, std::vector<std::vector<sys::BpfInstruction>>> m_device_filters;
};

} // namespace engine::sim
