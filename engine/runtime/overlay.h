// The container's root filesystem: an overlay mount of the image layers (read-only lowerdirs)
// under the container's own upperdir, with the kernel's workdir beside it.
// Kernel docs: filesystems/overlayfs.rst. Lesson: lessons/03-layer-sharing/.
#pragma once

#include <string>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/runtime/container_spec.h"
#include "engine/sys/kernel.h"

namespace engine::runtime {

// The mount data for `spec`: "lowerdir=<top>:...:<bottom>,upperdir=...,workdir=...".
// spec.lower_dirs is lowest first, overlayfs wants the top-most first, so the order is reversed.
// Fails naming the field when a directory is missing from the spec or contains ',' or ':'
// (the option separators), and when the string is longer than one page, the kernel's limit
// for mount data.
Result<std::string> overlay_mount_options(const ContainerSpec& spec);

// For a root about to be deleted: detaches the overlay at spec.rootfs from the mount table, as
// unmount_rootfs does, but returns a descriptor of its root that keeps the overlay alive until it
// is closed. Shutting an overlay down syncs its whole upper filesystem (overlayfs's sync_fs: the
// daemon's filesystem, with every dirty page of every program on it), which costs milliseconds
// and more under write load; the caller closes the descriptor where nobody waits for it. The
// descriptor is empty when nothing was mounted there or the root could not be opened (the
// detach then shut the overlay down itself).
Result<UniqueFd> detach_rootfs(sys::Kernel& kernel, const ContainerSpec& spec);

} // namespace engine::runtime
