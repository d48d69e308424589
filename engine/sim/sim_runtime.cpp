#include "engine/sim/sim_runtime.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "engine/base/strings.h"
#include "engine/runtime/cgroup.h"
#include "engine/sim/programs.h"
#include "engine/sim/sim_kernel.h"

namespace engine::sim {

namespace {

// The daemon's ends and the process's ends of its streams, as the real runtime makes them.
// A TTY is simulated as a pipe pair too: the output comes back on the pty master's fd.
Result<void> make_stdio(const runtime::ProcessSpec& process, runtime::StartedProcess& started, Stdio& io)
{
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        return Error::from_errno("pipe", errno);
    if (process.tty) {
        started.pty_master = UniqueFd(out[0]);
        io.out = out[1];
        io.err = ::fcntl(out[1], F_DUPFD_CLOEXEC, 0);
    } else {
        if (::pipe2(err, O_CLOEXEC) != 0)
            return Error::from_errno("pipe", errno);
        started.stdout_fd = UniqueFd(out[0]);
        started.stderr_fd = UniqueFd(err[0]);
        io.out = out[1];
        io.err = err[1];
    }
    if (process.open_stdin) {
        int in[2];
        if (::pipe2(in, O_CLOEXEC) != 0)
            return Error::from_errno("pipe", errno);
        started.stdin_fd = UniqueFd(in[1]);
        io.in = in[0];
    }
    return Ok {};
}

std::shared_ptr<ContainerFs> container_fs(const runtime::ContainerSpec& spec)
{
    std::vector<std::string> lowers(spec.lower_dirs.rbegin(), spec.lower_dirs.rend());
    std::vector<BindMount> binds;
    for (const auto& mount : spec.mounts)
        if (mount.type == runtime::MountEntry::Type::Bind)
            binds.push_back({ mount.source, mount.destination, mount.read_only });
    return std::make_shared<ContainerFs>(lowers, spec.upper_dir, binds);
}

int uid_of(const std::string& user)
{
    if (user.empty() || user == "root")
        return 0;
    auto id = user.substr(0, user.find(':'));
    return id.find_first_not_of("0123456789") == std::string::npos ? std::atoi(id.c_str()) : 65534;
}

Result<runtime::StartedProcess> launch(SimKernel& kernel, const runtime::ContainerSpec& spec, const runtime::ProcessSpec& process,
    SimKernel::NewProcess request, std::vector<std::string> argv, network::Netlink* netlink, const NameLookup& lookup)
{
    // The files of the mount namespace the process joins (an exec shares its container's).
    auto fs = kernel.files_of(request.namespaces["mnt"]);
    if (!fs) {
        fs = container_fs(spec);
        kernel.set_files(request.namespaces["mnt"], fs);
    }
    if (argv.empty() || !program_exists(argv[0]))
        return Error::invalid("exec: \"" + (argv.empty() ? std::string() : argv[0])
            + "\": executable file not found in $PATH (the simulated kernel runs only its own programs: see docs/simulated-kernel.md)");
    runtime::StartedProcess started;
    Stdio io;
    TRY(make_stdio(process, started, io));
    request.argv = argv;
    request.uid = uid_of(process.user);
    auto pid = kernel.spawn(request);
    if (!pid.ok()) {
        io.close_all();
        return pid.release_error();
    }
    started.pid = pid.value();
    ProgramContext ctx;
    ctx.kernel = &kernel;
    ctx.netlink = netlink;
    ctx.pid = pid.value();
    ctx.argv = std::move(argv);
    ctx.env = process.env;
    ctx.cwd = process.cwd.empty() ? "/" : process.cwd;
    ctx.fs = fs;
    ctx.io = io;
    ctx.container_id = spec.id;
    ctx.lookup = lookup;
    start_program_thread(std::move(ctx));
    return started;
}

} // namespace

Result<runtime::StartedProcess> start_simulated_container(SimKernel& kernel, const runtime::ContainerSpec& spec,
    network::Netlink* netlink, const NameLookup& lookup)
{
    auto cgroup = runtime::Cgroup::for_name(spec.cgroup_name);
    TRY_CTX(cgroup.create(kernel, spec.resources), "create cgroup " + spec.cgroup_name);

    SimKernel::NewProcess request;
    request.container_id = spec.id;
    request.cgroup = "/" + spec.cgroup_name;
    for (const char* kind : { "mnt", "ipc", "cgroup" })
        request.namespaces[kind] = kernel.new_namespace(kind);
    request.namespaces["uts"] = spec.share_host_uts ? kernel.host_namespace("uts") : kernel.new_namespace("uts");
    if (spec.share_host_ipc)
        request.namespaces["ipc"] = kernel.host_namespace("ipc");
    if (spec.netns_path == "host" || spec.netns_path.empty())
        request.namespaces["net"] = kernel.host_namespace("net");
    else if (auto inode = kernel.netns_at(spec.netns_path))
        request.namespaces["net"] = inode;
    else if (strings::starts_with(spec.netns_path, "/proc/")) {
        // --network container:<other>: /proc/<pid>/ns/net of the other container's PID 1.
        auto other = kernel.process(std::atoi(spec.netns_path.substr(6).c_str()));
        request.namespaces["net"] = other ? other->namespaces["net"] : kernel.new_namespace("net");
    } else
        request.namespaces["net"] = kernel.new_namespace("net");
    request.new_pid_namespace = !spec.share_host_pid;
    if (!spec.share_host_uts)
        kernel.set_hostname_of(request.namespaces["uts"], spec.hostname);

    // The container's mount table, as pivot_root leaves it: the overlay root, then the rest.
    std::vector<SimKernel::Mount> mounts;
    int root_id = kernel.next_mount_id();
    auto overlay = kernel.host_mount_at(spec.rootfs);
    mounts.push_back({ root_id, root_id - 1, "overlay", "/", "overlay", spec.readonly_rootfs ? "ro,relatime" : "rw,relatime",
        std::string(spec.readonly_rootfs ? "ro," : "rw,") + (overlay ? overlay->data : ""), "/" });
    auto add = [&](std::string source, std::string target, std::string fstype, std::string options, std::string root = "/") {
        mounts.push_back({ kernel.next_mount_id(), root_id, std::move(source), std::move(target), std::move(fstype), options,
            options, std::move(root) });
    };
    add("proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime");
    add("tmpfs", "/dev", "tmpfs", "rw,nosuid,size=65536k,mode=755");
    add("devpts", "/dev/pts", "devpts", "rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666");
    add("mqueue", "/dev/mqueue", "mqueue", "rw,nosuid,nodev,noexec,relatime");
    add("shm", "/dev/shm", "tmpfs", "rw,nosuid,nodev,noexec,relatime,size=65536k");
    add("sysfs", "/sys", "sysfs", "ro,nosuid,nodev,noexec,relatime");
    add("cgroup", "/sys/fs/cgroup", "cgroup2", "ro,nosuid,nodev,noexec,relatime");
    for (const auto& mount : spec.mounts) {
        if (mount.type == runtime::MountEntry::Type::Tmpfs)
            add("tmpfs", mount.destination, "tmpfs", "rw,nosuid,nodev,noexec,relatime");
        else
            add("/dev/simdisk", mount.destination, "ext4", mount.read_only ? "ro,relatime" : "rw,relatime", mount.source);
    }
    kernel.set_mounts(request.namespaces["mnt"], mounts);

    std::vector<std::string> argv = spec.process.args;
    if (spec.init)
        argv.insert(argv.begin(), { "/sbin/glassbox-init", "--" }); // As the real runtime runs it.
    auto started = launch(kernel, spec, spec.process, request, argv, netlink, lookup);
    if (!started.ok()) {
        kernel.set_mounts(request.namespaces["mnt"], {});
        kernel.set_files(request.namespaces["mnt"], nullptr);
        (void)cgroup.remove(kernel);
    }
    return started;
}

Result<runtime::StartedProcess> exec_in_simulated_container(SimKernel& kernel, const runtime::ContainerSpec& spec,
    pid_t container_pid, const runtime::ProcessSpec& process, network::Netlink* netlink, const NameLookup& lookup)
{
    auto init = kernel.process(container_pid);
    if (!init || init->state == 'Z')
        return Error::conflict("container " + spec.id + " is not running");
    SimKernel::NewProcess request;
    request.namespaces = init->namespaces;
    request.cgroup = init->cgroup;
    request.container_id = init->container_id;
    return launch(kernel, spec, process, request, process.args, netlink, lookup);
}

} // namespace engine::sim
