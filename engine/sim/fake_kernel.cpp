#include "engine/sim/fake_kernel.h"

#include <cerrno>

#include "engine/sys/linux_kernel.h"

namespace engine::sim {

namespace {

std::string parent_of(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

} // namespace

void FakeKernel::record(std::string line) { m_calls.push_back(std::move(line)); }

bool FakeKernel::on_host(const std::string& path) const
{
    std::lock_guard lock(m_mutex);
    for (const auto& prefix : m_host_prefixes)
        if (path == prefix || path.compare(0, prefix.size() + 1, prefix + "/") == 0)
            return true;
    return false;
}

void FakeKernel::use_host_files_under(std::string prefix)
{
    std::lock_guard lock(m_mutex);
    while (prefix.size() > 1 && prefix.back() == '/')
        prefix.pop_back();
    m_host_prefixes.push_back(std::move(prefix));
}

void FakeKernel::add_parents(const std::string& path)
{
    for (auto dir = parent_of(path); dir != "/" && m_dirs.insert(dir).second; dir = parent_of(dir)) { }
}

Result<void> FakeKernel::mount(const sys::MountRequest& request)
{
    std::lock_guard lock(m_mutex);
    record("mount " + (request.fstype.empty() ? request.source : request.fstype) + " on " + request.target);
    m_mounts.push_back(request);
    return Ok {};
}

Result<void> FakeKernel::umount(const std::string& target, int)
{
    std::lock_guard lock(m_mutex);
    record("umount " + target);
    // The most recent mount on the target goes first, as with stacked mounts.
    for (auto it = m_mounts.rbegin(); it != m_mounts.rend(); ++it) {
        if (it->target == target) {
            m_mounts.erase(std::next(it).base());
            return Ok {};
        }
    }
    return Error::from_errno("umount " + target, EINVAL);
}

Result<void> FakeKernel::unshare(int clone_flags)
{
    std::lock_guard lock(m_mutex);
    std::string names;
    for (auto kind : { sys::NamespaceKind::Mount, sys::NamespaceKind::Uts, sys::NamespaceKind::Ipc,
             sys::NamespaceKind::Pid, sys::NamespaceKind::Network, sys::NamespaceKind::Cgroup,
             sys::NamespaceKind::User, sys::NamespaceKind::Time })
        if (clone_flags & sys::namespace_clone_flag(kind))
            names += " " + std::string(sys::namespace_file_name(kind));
    record("unshare" + names);
    return Ok {};
}

Result<void> FakeKernel::set_namespace(const UniqueFd&, sys::NamespaceKind kind)
{
    std::lock_guard lock(m_mutex);
    record("setns " + std::string(sys::namespace_file_name(kind)));
    return Ok {};
}

Result<void> FakeKernel::pivot_root(const std::string& new_root, const std::string& put_old)
{
    std::lock_guard lock(m_mutex);
    record("pivot_root " + new_root + " " + put_old);
    return Ok {};
}

Result<void> FakeKernel::change_dir(const std::string& path)
{
    std::lock_guard lock(m_mutex);
    record("chdir " + path);
    return Ok {};
}

Result<void> FakeKernel::set_hostname(std::string_view hostname)
{
    std::lock_guard lock(m_mutex);
    record("sethostname " + std::string(hostname));
    m_hostname = hostname;
    return Ok {};
}

Result<std::string> FakeKernel::read_file(const std::string& path)
{
    if (on_host(path))
        return sys::linux_kernel().read_file(path);
    std::lock_guard lock(m_mutex);
    auto it = m_files.find(path);
    if (it != m_files.end())
        return it->second;
    if (path == "/proc/self/mountinfo" || path == "/proc/thread-self/mountinfo")
        return mountinfo_locked();
    return Error::from_errno("open " + path, ENOENT);
}

// The simulated mounts in proc(5)'s mountinfo format, so code that asks "what is mounted here"
// reads the model: "ID PARENT MAJ:MIN ROOT TARGET OPTIONS - TYPE SOURCE SUPER_OPTIONS".
std::string FakeKernel::mountinfo_locked() const
{
    std::string text;
    int id = 100;
    for (const auto& mount : m_mounts) {
        auto fstype = mount.fstype.empty() ? std::string("none") : mount.fstype;
        auto source = mount.source.empty() ? fstype : mount.source;
        text += std::to_string(id) + " 1 0:" + std::to_string(id) + " / " + mount.target + " rw - " + fstype + " "
            + source + " rw" + (mount.data.empty() ? "" : "," + mount.data) + "\n";
        ++id;
    }
    return text;
}

Result<void> FakeKernel::write_file(const std::string& path, std::string_view contents)
{
    if (on_host(path))
        return sys::linux_kernel().write_file(path, contents);
    std::lock_guard lock(m_mutex);
    record("write " + path + " " + std::string(contents));
    if (!m_dirs.contains(parent_of(path)))
        return Error::from_errno("open " + path, ENOENT);
    m_files[path] = std::string(contents);
    return Ok {};
}

Result<void> FakeKernel::make_dir(const std::string& path, mode_t mode)
{
    if (on_host(path))
        return sys::linux_kernel().make_dir(path, mode);
    std::lock_guard lock(m_mutex);
    record("mkdir " + path);
    if (!m_dirs.contains(parent_of(path)))
        return Error::from_errno("mkdir " + path, ENOENT);
    m_dirs.insert(path);
    return Ok {};
}

Result<void> FakeKernel::make_node(const std::string& path, mode_t mode, dev_t device)
{
    if (on_host(path))
        return sys::linux_kernel().make_node(path, mode, device);
    std::lock_guard lock(m_mutex);
    record("mknod " + path);
    m_files[path] = "";
    return Ok {};
}

Result<void> FakeKernel::make_symlink(const std::string& target, const std::string& link_path)
{
    if (on_host(link_path))
        return sys::linux_kernel().make_symlink(target, link_path);
    std::lock_guard lock(m_mutex);
    record("symlink " + link_path + " -> " + target);
    m_files[link_path] = "";
    return Ok {};
}

Result<void> FakeKernel::remove_dir(const std::string& path)
{
    if (on_host(path))
        return sys::linux_kernel().remove_dir(path);
    std::lock_guard lock(m_mutex);
    record("rmdir " + path);
    for (const auto& dir : m_dirs)
        if (dir.size() > path.size() && dir.compare(0, path.size() + 1, path + "/") == 0)
            return Error::from_errno("rmdir " + path, EBUSY);
    // The kernel's cgroupfs files vanish with their directory.
    std::erase_if(m_files, [&](const auto& entry) { return parent_of(entry.first) == path; });
    m_device_filters.erase(path);
    m_dirs.erase(path);
    return Ok {};
}

bool FakeKernel::path_exists(const std::string& path)
{
    if (on_host(path))
        return sys::linux_kernel().path_exists(path);
    std::lock_guard lock(m_mutex);
    return m_dirs.contains(path) || m_files.contains(path);
}

std::vector<std::string> FakeKernel::list_subdirs(const std::string& path)
{
    if (on_host(path))
        return sys::linux_kernel().list_subdirs(path);
    std::lock_guard lock(m_mutex);
    std::vector<std::string> names;
    for (const auto& dir : m_dirs)
        if (dir != path && parent_of(dir) == path)
            names.push_back(dir.substr(path.size() + 1));
    return names;
}

Result<void> FakeKernel::attach_device_filter(const std::string& cgroup_dir, const std::vector<sys::BpfInstruction>& program)
{
    std::lock_guard lock(m_mutex);
    record("attach device filter " + cgroup_dir + " (" + std::to_string(program.size()) + " instructions)");
    // The kernel opens the directory first, and refuses an empty program (EINVAL).
    if (!m_dirs.contains(cgroup_dir))
        return Error::from_errno("open cgroup " + cgroup_dir, ENOENT);
    if (program.empty())
        return Error::from_errno("load the device program for " + cgroup_dir, EINVAL);
    m_device_filters[cgroup_dir].push_back(program);
    return Ok {};
}

std::vector<std::vector<sys::BpfInstruction>> FakeKernel::device_filters(const std::string& path) const
{
    std::lock_guard lock(m_mutex);
    auto found = m_device_filters.find(path);
    return found == m_device_filters.end() ? std::vector<std::vector<sys::BpfInstruction>> {} : found->second;
}

void FakeKernel::put_file(const std::string& path, std::string contents)
{
    std::lock_guard lock(m_mutex);
    add_parents(path);
    m_files[path] = std::move(contents);
}

void FakeKernel::put_dir(const std::string& path)
{
    std::lock_guard lock(m_mutex);
    add_parents(path);
    m_dirs.insert(path);
}

std::vector<std::string> FakeKernel::calls() const
{
    std::lock_guard lock(m_mutex);
    return m_calls;
}

std::vector<std::string> FakeKernel::mounted() const
{
    std::lock_guard lock(m_mutex);
    std::vector<std::string> targets;
    for (const auto& mount : m_mounts)
        targets.push_back(mount.target);
    return targets;
}

std::string FakeKernel::file(const std::string& path) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_files.find(path);
    return it == m_files.end() ? std::string {} : it->second;
}

std::string FakeKernel::hostname() const
{
    std::lock_guard lock(m_mutex);
    return m_hostname;
}

} // namespace engine::sim
