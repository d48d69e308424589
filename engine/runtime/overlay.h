// The container's root filesystem: an overlay mount of the image layers (read-only lowerdirs)
// under the container's own upperdir, with the kernel's workdir beside it.
// Kernel docs: filesystems/overlayfs.rst. Lesson: lessons/03-layer-sharing/.
#pragma once

#include <string>

#include "engine/base/result.h"
#include "engine/runtime/container_spec.h"

namespace engine::runtime {

// The mount data for `spec`: "lowerdir=<top>:...:<bottom>,upperdir=...,workdir=...".
// spec.lower_dirs is lowest first, overlayfs wants the top-most first, so the order is reversed.
// Fails naming the field when a directory is missing from the spec or contains ',' or ':'
// (the option separators), and when the string is longer than one page, the kernel's limit
// for mount data.
Result<std::string> overlay_mount_options(const ContainerSpec& spec);

} // namespace engine::runtime
