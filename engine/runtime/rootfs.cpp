// The container's filesystem view (see rootfs.h). Runs between fork and exec in the container's
// first process, which is single-threaded, so allocating here is safe (glibc fork).
#include "engine/runtime/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>

#include "engine/base/safe_path.h"
#include "engine/base/strings.h"
#include "engine/runtime/mount_propagation.h"

namespace engine::runtime {

namespace {

constexpr unsigned long k_proc_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

Result<UniqueFd> openat2_in_root(int root_fd, const std::string& relative, std::uint64_t extra_resolve)
{
    auto fd = safe_path::open_in_root(root_fd, relative, O_PATH, extra_resolve);
    if (!fd.ok())
        return Error::from_errno("open " + (relative.empty() ? std::string("/") : "/" + relative) + " in the rootfs",
            fd.error().code());
    return fd;
}

bool is_directory(int fd)
{
    struct stat st { };
    return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

// What a bind gets unless it asks for more: a slave (mount_namespaces(7)) receives the host's
// mounts and unmounts under its source but sends nothing back. Under a shared "/" (see
// prepare_rootfs) a bind of a shared host mount would otherwise be the host's peer.
constexpr unsigned long k_slave = MS_REC | MS_SLAVE;

// Bind `source` onto `destination` (source may be a /proc/self/fd path), make it read-only if
// asked, and give it `propagation` (mount(2) flags). A bind mount only becomes read-only with a
// second, remount call (mount(2), "MS_BIND").
Result<void> bind_mount(sys::Kernel& kernel, int root_fd, const std::string& source, const std::string& destination,
    bool read_only, unsigned long extra_flags, unsigned long propagation = k_slave)
{
    auto target = TRY(open_in_root(root_fd, destination, CreateMissing::No));
    TRY(kernel.mount({ .source = source, .target = fd_path(target.get()), .fstype = "", .flags = MS_BIND | MS_REC, .data = "" }));
    // Re-open: the old descriptor names the covered directory, not the new mount on top.
    auto mounted = TRY(open_in_root(root_fd, destination, CreateMissing::No));
    if (read_only) {
        TRY(kernel.mount({ .source = "",
            .target = fd_path(mounted.get()),
            .fstype = "",
            .flags = MS_REMOUNT | MS_BIND | MS_RDONLY | extra_flags,
            .data = "" }));
    }
    if (propagation != 0)
        TRY_CTX(kernel.mount({ .source = "", .target = fd_path(mounted.get()), .fstype = "", .flags = propagation, .data = "" }),
            "set the propagation of " + destination);
    return Ok {};
}

// /proc, /dev and /sys must be real directories in the image: following a symlink there would
// let an image point the container's /proc at something else (CVE-2019-16884 and friends).
Result<std::string> system_dir(const std::string& rootfs, int root_fd, const std::string& name)
{
    auto relative = name.substr(1);
    auto fd = openat2_in_root(root_fd, relative, safe_path::NoSymlinks);
    if (!fd.ok() && fd.error().code() == ENOENT) {
        if (::mkdirat(root_fd, relative.c_str(), 0755) != 0 && errno != EEXIST)
            return Error::from_errno("create " + name + " in the rootfs", errno);
        fd = openat2_in_root(root_fd, relative, safe_path::NoSymlinks);
    }
    if (!fd.ok()) {
        if (fd.error().code() == ELOOP)
            return Error::invalid("the image's " + name + " is a symlink, which a container root may not have");
        return fd.release_error();
    }
    if (!is_directory(fd.value().get()))
        return Error::invalid("the image's " + name + " is not a directory");
    return rootfs + name;
}

// The mount that holds the rootfs must not be shared: the bind of the rootfs onto itself would
// show up in the host's copy of it, and pivot_root(2) refuses a new root whose parent mount is
// shared. Only a shared "/" can leave it so (runc's rootfsParentMountPrivate).
Result<void> make_rootfs_parent_private(sys::Kernel& kernel, const std::string& rootfs)
{
    char resolved[PATH_MAX];
    if (::realpath(rootfs.c_str(), resolved) == nullptr)
        return Error::from_errno("resolve rootfs " + rootfs, errno);
    auto table = TRY_CTX(kernel.read_file("/proc/self/mountinfo"), "find the mount that holds the rootfs");
    auto parent = holding_mount(table, resolved);
    if (parent && parent->shared)
        TRY_CTX(kernel.mount({ .source = "", .target = parent->point, .fstype = "", .flags = MS_PRIVATE, .data = "" }),
            "make the rootfs's mount " + parent->point + " private");
    return Ok {};
}

Result<void> mount_dev(sys::Kernel& kernel, const std::string& rootfs, int root_fd)
{
    auto dev = TRY(system_dir(rootfs, root_fd, "/dev"));
    TRY(kernel.mount({ .source = "tmpfs", .target = dev, .fstype = "tmpfs", .flags = MS_NOSUID | MS_STRICTATIME,
        .data = "mode=755,size=65536k" }));

    // The nodes every program expects, with Docker's modes. Inside our own fresh tmpfs, so plain
    // paths are safe from here on.
    struct Node {
        const char* name;
        unsigned major;
        unsigned minor;
    };
    for (const Node& node : { Node { "null", 1, 3 }, Node { "zero", 1, 5 }, Node { "full", 1, 7 },
             Node { "random", 1, 8 }, Node { "urandom", 1, 9 }, Node { "tty", 5, 0 } }) {
        TRY(kernel.make_node(dev + "/" + node.name, S_IFCHR | 0666, makedev(node.major, node.minor)));
    }

    TRY(kernel.make_dir(dev + "/pts", 0755));
    TRY(kernel.mount({ .source = "devpts", .target = dev + "/pts", .fstype = "devpts", .flags = MS_NOSUID | MS_NOEXEC,
        .data = "newinstance,ptmxmode=0666,mode=0620,gid=5" }));
    TRY(kernel.make_symlink("pts/ptmx", dev + "/ptmx"));

    TRY(kernel.make_dir(dev + "/shm", 01777));
    TRY(kernel.mount({ .source = "shm", .target = dev + "/shm", .fstype = "tmpfs", .flags = k_proc_flags,
        .data = "mode=1777,size=65536k" }));

    TRY(kernel.make_dir(dev + "/mqueue", 0755));
    TRY(kernel.mount({ .source = "mqueue", .target = dev + "/mqueue", .fstype = "mqueue", .flags = k_proc_flags, .data = "" }));

    TRY(kernel.make_symlink("/proc/self/fd", dev + "/fd"));
    TRY(kernel.make_symlink("/proc/self/fd/0", dev + "/stdin"));
    TRY(kernel.make_symlink("/proc/self/fd/1", dev + "/stdout"));
    TRY(kernel.make_symlink("/proc/self/fd/2", dev + "/stderr"));
    return Ok {};
}

Result<void> mount_sys(sys::Kernel& kernel, const std::string& rootfs, int root_fd, const RootfsOptions& options)
{
    auto sys_dir = TRY(system_dir(rootfs, root_fd, "/sys"));
    if (options.host_network) {
        // sysfs shows the network namespace of whoever mounts it; a container sharing the host's
        // network namespace gets the host's /sys, read-only, instead.
        TRY(kernel.mount({ .source = "/sys", .target = sys_dir, .fstype = "", .flags = MS_BIND | MS_REC, .data = "" }));
        TRY(kernel.mount({ .source = "", .target = sys_dir, .fstype = "",
            .flags = MS_REMOUNT | MS_BIND | MS_RDONLY | k_proc_flags, .data = "" }));
        TRY(kernel.mount({ .source = "", .target = sys_dir, .fstype = "", .flags = k_slave, .data = "" }));
    } else {
        TRY(kernel.mount({ .source = "sysfs", .target = sys_dir, .fstype = "sysfs", .flags = k_proc_flags | MS_RDONLY, .data = "" }));
    }

    // /sys/fs/cgroup: the cgroup2 hierarchy (the container's own cgroup is its root, thanks to the
    // cgroup namespace), read-only. A v1-only host gets an empty read-only tmpfs.
    std::string cgroup_dir = sys_dir + "/fs/cgroup";
    if (!kernel.path_exists(cgroup_dir))
        return Ok {};
    auto layout = options.cgroup_layout;
    if (layout == sys::CgroupLayout::V2 || layout == sys::CgroupLayout::Hybrid) {
        TRY(kernel.mount({ .source = "cgroup2", .target = cgroup_dir, .fstype = "cgroup2", .flags = k_proc_flags | MS_RDONLY, .data = "" }));
    } else {
        TRY(kernel.mount({ .source = "tmpfs", .target = cgroup_dir, .fstype = "tmpfs", .flags = k_proc_flags | MS_RDONLY,
            .data = "mode=755" }));
    }
    return Ok {};
}

Result<void> mount_user_mounts(sys::Kernel& kernel, const ContainerSpec& spec, int root_fd)
{
    for (const auto& mount : spec.mounts) {
        if (mount.destination.empty() || mount.destination.front() != '/')
            return Error::invalid("mount destination \"" + mount.destination + "\" is not an absolute path");
        if (mount.type == MountEntry::Type::Tmpfs) {
            auto target = TRY_CTX(open_in_root(root_fd, mount.destination, CreateMissing::Directory), "mount tmpfs on " + mount.destination);
            unsigned long flags = MS_NOSUID | MS_NODEV | (mount.read_only ? MS_RDONLY : 0);
            TRY_CTX(kernel.mount({ .source = "tmpfs", .target = fd_path(target.get()), .fstype = "tmpfs", .flags = flags, .data = mount.options }),
                "mount tmpfs on " + mount.destination);
            continue;
        }
        struct stat st { };
        if (::stat(mount.source.c_str(), &st) != 0)
            return Error::from_errno("bind mount source " + mount.source, errno);
        auto create = S_ISDIR(st.st_mode) ? CreateMissing::Directory : CreateMissing::File;
        TRY_CTX(open_in_root(root_fd, mount.destination, create), "bind " + mount.source + " on " + mount.destination);
        // The propagation asked for (Docker's default for a bind is rprivate: nothing flows in
        // or out after the start); a mount without one (a volume, /etc/hosts) is a slave.
        auto flags = mount.propagation.empty() ? k_slave : propagation_flags(mount.propagation);
        TRY_CTX(bind_mount(kernel, root_fd, mount.source, mount.destination, mount.read_only, 0, flags),
            "bind " + mount.source + " on " + mount.destination);
    }
    return Ok {};
}

Result<void> mask_paths(sys::Kernel& kernel, const ContainerSpec& spec, int root_fd)
{
    std::string dev_null = spec.rootfs + "/dev/null";
    for (const auto& path : spec.masked_paths) {
        auto target = open_in_root(root_fd, path, CreateMissing::No);
        if (!target.ok()) {
            if (target.error().code() == ENOENT)
                continue; // Nothing to hide on this kernel.
            return target.release_error().with_context("mask " + path);
        }
        int fd = target.value().get();
        if (is_directory(fd)) {
            TRY_CTX(kernel.mount({ .source = "tmpfs", .target = fd_path(fd), .fstype = "tmpfs", .flags = MS_RDONLY, .data = "size=0" }),
                "mask " + path);
        } else {
            TRY_CTX(kernel.mount({ .source = dev_null, .target = fd_path(fd), .fstype = "", .flags = MS_BIND, .data = "" }), "mask " + path);
        }
    }
    for (const auto& path : spec.readonly_paths) {
        auto target = open_in_root(root_fd, path, CreateMissing::No);
        if (!target.ok()) {
            if (target.error().code() == ENOENT)
                continue;
            return target.release_error().with_context("make " + path + " read-only");
        }
        TRY_CTX(bind_mount(kernel, root_fd, fd_path(target.value().get()), path, true, k_proc_flags),
            "make " + path + " read-only");
    }
    return Ok {};
}

} // namespace

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, CreateMissing create, int depth)
{
    std::vector<std::string> parts;
    for (const auto& part : strings::split(path, '/')) {
        if (!part.empty() && part != ".")
            parts.push_back(part);
    }
    std::string relative = strings::join(parts, "/");
    auto fd = openat2_in_root(root_fd, relative, 0);
    if (fd.ok() || fd.error().code() != ENOENT || create == CreateMissing::No)
        return fd;

    // Create what is missing one component at a time, each relative to its parent as resolved
    // inside the root, so a symlink in the image cannot redirect the creation to the host.
    UniqueFd parent = TRY(openat2_in_root(root_fd, "", 0));
    std::string prefix;
    for (size_t i = 0; i < parts.size(); ++i) {
        prefix += (i == 0 ? "" : "/") + parts[i];
        auto next = openat2_in_root(root_fd, prefix, 0);
        if (!next.ok()) {
            if (next.error().code() != ENOENT)
                return next.release_error();
            if (parts[i] == "..")
                return Error::invalid("cannot create \"..\" in " + path);
            bool last = i + 1 == parts.size();
            if (last && create == CreateMissing::File) {
                int file = ::openat(parent.get(), parts[i].c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (file < 0 && errno != EEXIST)
                    return Error::from_errno("create /" + prefix + " in the rootfs", errno);
                if (file >= 0)
                    ::close(file);
            } else if (::mkdirat(parent.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
                return Error::from_errno("create /" + prefix + " in the rootfs", errno);
            }
            // A dangling symlink: create what it points at, still inside the root (an absolute
            // target counts from the rootfs, as it will for the container).
            std::array<char, 4096> link {};
            ssize_t length = ::readlinkat(parent.get(), parts[i].c_str(), link.data(), link.size() - 1);
            if (length > 0) {
                if (depth >= 40)
                    return Error::from_errno("resolve " + path + " in the rootfs", ELOOP);
                std::string target(link.data(), static_cast<size_t>(length));
                std::string rest;
                for (size_t j = i + 1; j < parts.size(); ++j)
                    rest += "/" + parts[j];
                std::string dir_of_link;
                for (size_t j = 0; j < i; ++j)
                    dir_of_link += "/" + parts[j];
                std::string rewritten = target.front() == '/' ? target + rest : dir_of_link + "/" + target + rest;
                return open_in_root(root_fd, rewritten, create, depth + 1);
            }
            next = openat2_in_root(root_fd, prefix, 0);
            if (!next.ok())
                return next.release_error();
        }
        parent = next.release_value();
    }
    return parent;
}

Result<void> prepare_rootfs(sys::Kernel& kernel, const ContainerSpec& spec, const RootfsOptions& options)
{
    const std::string& rootfs = spec.rootfs;

    // Nothing we mount may propagate back to the host, but host unmounts (of a volume, say)
    // should still reach us: make every mount a slave (mount_namespaces(7)), runc's default. A
    // bind that asks to share (rshared) must stay a peer of its source's host mount, which a
    // slave no longer is, so then only "/" is made shared and every other mount keeps the
    // propagation the namespace copied (dockerd asks runc for RootfsPropagation "shared"); each
    // bind gets its own propagation below, and the host's peers are cut off again before the
    // old root is let go.
    bool sharing = std::any_of(spec.mounts.begin(), spec.mounts.end(), [](const MountEntry& m) { return is_shared_mode(m.propagation); });
    TRY(kernel.mount({ .source = "", .target = "/", .fstype = "", .flags = sharing ? static_cast<unsigned long>(MS_SHARED) : k_slave, .data = "" }));
    // Under an rslave "/" no mount is shared, so only a shared one needs the mount table read.
    if (sharing)
        TRY(make_rootfs_parent_private(kernel, rootfs));

    // pivot_root needs the new root to be a mount point of its own; a bind of the overlay onto
    // itself is one even when the rootfs is a plain directory.
    TRY(kernel.mount({ .source = rootfs, .target = rootfs, .fstype = "", .flags = MS_BIND | MS_REC, .data = "" }));

    int raw_root = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (raw_root < 0)
        return Error::from_errno("open rootfs " + rootfs, errno);
    UniqueFd root_fd(raw_root);

    // /proc of the new PID namespace.
    auto proc = TRY(system_dir(rootfs, root_fd.get(), "/proc"));
    TRY(kernel.mount({ .source = "proc", .target = proc, .fstype = "proc", .flags = k_proc_flags, .data = "" }));

    TRY(mount_dev(kernel, rootfs, root_fd.get()));
    TRY(mount_sys(kernel, rootfs, root_fd.get(), options));
    TRY(mount_user_mounts(kernel, spec, root_fd.get()));
    if (!spec.privileged)
        TRY(mask_paths(kernel, spec, root_fd.get()));

    // --init: the engine's init binary, read-only, at a fixed path inside.
    if (spec.init) {
        TRY_CTX(open_in_root(root_fd.get(), "/sbin/glassbox-init", CreateMissing::File), "install glassbox-init");
        TRY_CTX(bind_mount(kernel, root_fd.get(), spec.init_path, "/sbin/glassbox-init", true, 0), "install glassbox-init");
    }

    if (!spec.share_host_uts) {
        if (!spec.hostname.empty())
            TRY(kernel.set_hostname(spec.hostname));
        if (!spec.domainname.empty() && ::setdomainname(spec.domainname.c_str(), spec.domainname.size()) != 0)
            return Error::from_errno("setdomainname " + spec.domainname, errno);
    }

    // Swap roots: the rootfs becomes "/" and the host's root is stacked on top of it, where it
    // is detached at once. pivot_root(".", ".") (pivot_root(2), runc) needs no directory for the
    // old root: a mkdir and rmdir of one in the container's upper layer cost an inode allocation
    // and a removal on the daemon's filesystem at every start.
    UniqueFd old_root(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!old_root.valid())
        return Error::from_errno("open the old root", errno);
    TRY(kernel.change_dir(rootfs));
    TRY(kernel.pivot_root(".", "."));
    // The old root is now mounted over the new one, but the working directory is still the new
    // root's: "." must name the old root before it is made a slave and detached, or the rslave
    // would reach every mount of the container (an rshared bind among them). So, as runc does,
    // back into the old root first. Unmounting it must not reach the host through mounts still
    // its peers; unmounting it uncovers the new root at "/".
    if (::fchdir(old_root.get()) != 0)
        return Error::from_errno("fchdir to the old root", errno);
    old_root.reset();
    TRY(kernel.mount({ .source = "", .target = ".", .fstype = "", .flags = k_slave, .data = "" }));
    TRY(kernel.umount(".", MNT_DETACH));
    TRY(kernel.change_dir("/"));

    // Create the working directory now, while "/" is still writable.
    if (!spec.process.cwd.empty() && spec.process.cwd != "/") {
        auto slash = UniqueFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        TRY_CTX(open_in_root(slash.get(), spec.process.cwd, CreateMissing::Directory), "create working directory");
    }
    return Ok {};
}

Result<void> mount_console(sys::Kernel& kernel, const std::string& slave_path)
{
    // /dev is the tmpfs mount_dev made, so nothing of the image is in the way; O_EXCL because
    // only this process has seen it yet.
    int fd = ::open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return Error::from_errno("create /dev/console", errno);
    ::close(fd);
    TRY_CTX(kernel.mount({ .source = slave_path, .target = "/dev/console", .fstype = "", .flags = MS_BIND, .data = "" }),
        "bind the pty slave " + slave_path + " on /dev/console");
    return Ok {};
}

Result<void> finish_rootfs(sys::Kernel& kernel, const ContainerSpec& spec)
{
    if (spec.readonly_rootfs)
        TRY(kernel.mount({ .source = "", .target = "/", .fstype = "", .flags = MS_REMOUNT | MS_BIND | MS_RDONLY, .data = "" }));
    return Ok {};
}

} // namespace engine::runtime
