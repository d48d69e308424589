// The only file with raw mount(2), umount2(2), unshare(2), setns(2) and pivot_root(2) calls
// (scripts/check-seam keeps it so).
#include "engine/sys/linux_kernel.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::sys {

std::string_view namespace_file_name(NamespaceKind kind)
{
    switch (kind) {
    case NamespaceKind::Mount: return "mnt";
    case NamespaceKind::Uts: return "uts";
    case NamespaceKind::Ipc: return "ipc";
    case NamespaceKind::Pid: return "pid";
    case NamespaceKind::Network: return "net";
    case NamespaceKind::Cgroup: return "cgroup";
    case NamespaceKind::User: return "user";
    case NamespaceKind::Time: return "time";
    }
    return "";
}

int namespace_clone_flag(NamespaceKind kind)
{
    switch (kind) {
    case NamespaceKind::Mount: return CLONE_NEWNS;
    case NamespaceKind::Uts: return CLONE_NEWUTS;
    case NamespaceKind::Ipc: return CLONE_NEWIPC;
    case NamespaceKind::Pid: return CLONE_NEWPID;
    case NamespaceKind::Network: return CLONE_NEWNET;
    case NamespaceKind::Cgroup: return CLONE_NEWCGROUP;
    case NamespaceKind::User: return CLONE_NEWUSER;
    case NamespaceKind::Time: return 0x00000080; // CLONE_NEWTIME, missing from older headers.
    }
    return 0;
}

Result<void> LinuxKernel::mount(const MountRequest& request)
{
    const char* source = request.source.empty() ? nullptr : request.source.c_str();
    const char* fstype = request.fstype.empty() ? nullptr : request.fstype.c_str();
    const void* data = request.data.empty() ? nullptr : request.data.c_str();
    if (::mount(source, request.target.c_str(), fstype, request.flags, data) != 0)
        return Error::from_errno("mount " + (request.fstype.empty() ? request.source : request.fstype) + " on "
                + request.target,
            errno);
    return Ok {};
}

Result<void> LinuxKernel::umount(const std::string& target, int flags)
{
    if (::umount2(target.c_str(), flags) != 0)
        return Error::from_errno("umount " + target, errno);
    return Ok {};
}

Result<void> LinuxKernel::unshare(int clone_flags)
{
    if (::unshare(clone_flags) != 0)
        return Error::from_errno("unshare", errno);
    return Ok {};
}

Result<void> LinuxKernel::set_namespace(const UniqueFd& namespace_fd, NamespaceKind kind)
{
    if (::setns(namespace_fd.get(), namespace_clone_flag(kind)) != 0)
        return Error::from_errno("setns " + std::string(namespace_file_name(kind)), errno);
    return Ok {};
}

Result<void> LinuxKernel::pivot_root(const std::string& new_root, const std::string& put_old)
{
    if (::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) != 0)
        return Error::from_errno("pivot_root " + new_root, errno);
    return Ok {};
}

Result<void> LinuxKernel::change_dir(const std::string& path)
{
    if (::chdir(path.c_str()) != 0)
        return Error::from_errno("chdir " + path, errno);
    return Ok {};
}

Result<void> LinuxKernel::set_hostname(std::string_view hostname)
{
    if (::sethostname(hostname.data(), hostname.size()) != 0)
        return Error::from_errno("sethostname " + std::string(hostname), errno);
    return Ok {};
}

Result<std::string> LinuxKernel::read_file(const std::string& path) { return fs::read_file(path); }

Result<void> LinuxKernel::write_file(const std::string& path, std::string_view contents)
{
    // Cgroup and procfs files need one write(2) of the whole value, without O_TRUNC games.
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return Error::from_errno("open " + path, errno);
    ssize_t n = ::write(fd, contents.data(), contents.size());
    int saved = errno;
    ::close(fd);
    if (n < 0)
        return Error::from_errno("write " + path, saved);
    return Ok {};
}

Result<void> LinuxKernel::make_dir(const std::string& path, mode_t mode)
{
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
        return Error::from_errno("mkdir " + path, errno);
    return Ok {};
}

Result<void> LinuxKernel::make_node(const std::string& path, mode_t mode, dev_t device)
{
    if (::mknod(path.c_str(), mode, device) != 0 && errno != EEXIST)
        return Error::from_errno("mknod " + path, errno);
    return Ok {};
}

Result<void> LinuxKernel::make_symlink(const std::string& target, const std::string& link_path)
{
    if (::symlink(target.c_str(), link_path.c_str()) != 0 && errno != EEXIST)
        return Error::from_errno("symlink " + link_path, errno);
    return Ok {};
}

Result<void> LinuxKernel::remove_dir(const std::string& path)
{
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
        return Error::from_errno("rmdir " + path, errno);
    return Ok {};
}

bool LinuxKernel::path_exists(const std::string& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> LinuxKernel::list_subdirs(const std::string& path)
{
    std::vector<std::string> names;
    for (auto& name : fs::list_dir(path))
        if (fs::is_dir(path + "/" + name))
            names.push_back(std::move(name));
    return names;
}

Result<void> LinuxKernel::attach_device_filter(const std::string& cgroup_dir, const std::vector<BpfInstruction>& program)
{
    UniqueFd dir(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid())
        return Error::from_errno("open cgroup " + cgroup_dir, errno);

    std::vector<bpf_insn> instructions(program.size());
    for (std::size_t i = 0; i < program.size(); ++i) {
        instructions[i].code = program[i].code;
        instructions[i].dst_reg = program[i].dst & 0xf;
        instructions[i].src_reg = program[i].src & 0xf;
        instructions[i].off = program[i].offset;
        instructions[i].imm = program[i].imm;
    }
    // The program calls no helper, so any licence string is accepted; runc and crun pass one too.
    static const char license[] = "Apache";
    auto load = [&](char* log, std::uint32_t log_size) {
        bpf_attr attr {};
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = reinterpret_cast<std::uint64_t>(instructions.data());
        attr.insn_cnt = static_cast<std::uint32_t>(instructions.size());
        attr.license = reinterpret_cast<std::uint64_t>(license);
        attr.log_buf = reinterpret_cast<std::uint64_t>(log);
        attr.log_size = log_size;
        attr.log_level = log ? 1 : 0;
        return static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
    };
    UniqueFd prog(load(nullptr, 0));
    if (!prog.valid()) {
        int load_errno = errno;
        // Load again with the verifier's log, so a rejected program says why.
        std::string log(16384, '\0');
        UniqueFd retry(load(log.data(), static_cast<std::uint32_t>(log.size())));
        log.resize(std::strlen(log.c_str()));
        std::string detail = strings::trim(log).empty() ? "" : " (verifier: " + strings::trim(log) + ")";
        return Error::from_errno("load the device program for " + cgroup_dir + detail, load_errno);
    }

    bpf_attr attr {};
    attr.target_fd = static_cast<std::uint32_t>(dir.get());
    attr.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    // Several programs may sit on one cgroup and its ancestors (systemd attaches its own); with
    // ALLOW_MULTI a device must pass every one of them.
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (::syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr) != 0)
        return Error::from_errno("attach the device program to " + cgroup_dir, errno);
    return Ok {};
}

LinuxKernel& linux_kernel()
{
    static LinuxKernel kernel;
    return kernel;
}

} // namespace engine::sys
