// Building the container's view of the filesystem, inside its fresh mount namespace and before
// exec: the rootfs bind, /proc, /dev (tmpfs with device nodes, devpts, shm, mqueue), /sys and
// /sys/fs/cgroup, the user's mounts, Docker's masked and read-only paths, pivot_root into the
// rootfs and the read-only remount. Kernel interfaces: mount(2), pivot_root(2), umount2(2),
// openat2(2) with RESOLVE_IN_ROOT, mknod(2). Lesson: lessons/01-first-container/.
#pragma once

#include <string>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/runtime/container_spec.h"
#include "engine/sys/kernel.h"
#include "engine/sys/probe.h"

namespace engine::runtime {

enum class CreateMissing { No, Directory, File };

// Opens `path` (absolute, as seen inside the container) relative to `root_fd` as an O_PATH
// descriptor, resolving symlinks as if `root_fd` were "/" so nothing escapes the rootfs. Creates
// missing components as directories (the last one as a file when asked); a dangling symlink on
// the way is followed inside the root and its target created. `depth` counts those symlinks.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, CreateMissing create, int depth = 0);

// "/proc/self/fd/<n>": a path mount(2) accepts that names exactly the file `fd` refers to.
std::string fd_path(int fd);

struct RootfsOptions {
    bool host_network { false }; // /sys is then a read-only bind of the host's.
    // Decides what goes on /sys/fs/cgroup. Filled in by the parent (the kernel probe must not
    // run between fork and exec).
    sys::CgroupLayout cgroup_layout { sys::CgroupLayout::None };
};

// Runs in the container's first process, in its new mount namespace (after unshare), before
// pivot_root: prepares everything under spec.rootfs, then pivots into it. The current directory
// is "/" of the container afterwards.
Result<void> prepare_rootfs(sys::Kernel& kernel, const ContainerSpec& spec, const RootfsOptions& options);

// After prepare_rootfs (so "/" is the container's root): creates /dev/console and binds the
// container's pty slave `slave_path` (a /dev/pts/<n> of the container's devpts) onto it.
Result<void> mount_console(sys::Kernel& kernel, const std::string& slave_path);

// After prepare_rootfs: remounts "/" read-only when spec.readonly_rootfs asks.
Result<void> finish_rootfs(sys::Kernel& kernel, const ContainerSpec& spec);

} // namespace engine::runtime
