// Filling a new volume from the image, with the image's path resolved inside the container's root.
#pragma once

#include <string>

#include "engine/base/result.h"

namespace engine::volume {

// Copies the tree at `path` as the container sees it, resolved inside `root` (the container's
// mounted rootfs) with openat2(RESOLVE_IN_ROOT), into `destination`, as copy_tree does. A symlink
// on the way, absolute or with "..", counts from `root`, so an image whose VOLUME lies below a
// symlink to a host directory copies from the image, never from the host (CVE-2022-23648). A
// missing path, or one that is not a directory, leaves the volume empty.
Result<void> copy_tree_in_root(const std::string& root, const std::string& path, const std::string& destination);

} // namespace engine::volume
