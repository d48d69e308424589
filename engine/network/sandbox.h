// Sandboxes: a network namespace per container, kept alive by bind-mounting its nsfs file to
// <run_dir>/netns/<id> (as `ip netns add` does under /run/netns), so the namespace exists before
// the container's process and outlives it. A short-lived thread unshare()s CLONE_NEWNET, so the
// daemon's own threads never leave the host namespace.
#pragma once

#include <string>

#include "engine/base/result.h"
#include "engine/sys/kernel.h"

namespace engine::network {

// Creates a new network namespace and bind-mounts it at `path` (created as an empty file).
Result<void> create_netns_file(sys::Kernel& kernel, const std::string& path);
// Unmounts and deletes `path`; the namespace goes away once nothing else holds it.
Result<void> remove_netns_file(sys::Kernel& kernel, const std::string& path);
// To act inside a sandbox, use sys::run_in_netns (engine/sys/netns.h).

} // namespace engine::network
