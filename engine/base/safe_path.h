// Paths inside a root directory that the root's contents cannot escape: the one place glassbox
// resolves a path named by an image, a build context, an archive or a mount destination. The
// kernel does the resolution (openat2(2) with RESOLVE_IN_ROOT), so ".." stops at the root and an
// absolute symlink counts from the root, never from the host's "/", and /proc magic links are
// refused; no string check stands between a hostile tar and the host.
//
// Used by the image layer unpacker (image/layer.cpp), `docker load` (image/archive.cpp), the
// builder's COPY (build/copy.cpp) and the container root filesystem (runtime/rootfs.cpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"

namespace engine::safe_path {

// Extra openat2 RESOLVE_* flags on top of RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS.
enum Resolve : std::uint64_t {
    InRoot = 0,
    NoSymlinks = 0x04,    // RESOLVE_NO_SYMLINKS: fail with ELOOP at any symlink.
};

// Opens `relative` ("" or "." is the root itself; a leading "/" counts from the root) under the
// directory `root_fd` with `flags` (O_CLOEXEC is added) and, with O_CREAT, `mode`. The error keeps
// errno (Error::code()): ENOENT when missing, ELOOP for a symlink under NoSymlinks, EXDEV when the
// kernel saw an escape attempt it could not contain.
Result<UniqueFd> open_in_root(int root_fd, std::string_view relative, int flags, std::uint64_t resolve = InRoot,
    mode_t mode = 0);

// The components of `path` without "", "." and "..": ".." pops a component but never climbs
// above the root ("/../victim" -> {"victim"}, "a/../b" -> {"b"}).
std::vector<std::string> clean_components(std::string_view path);
// The same, joined with "/" ("" for the root itself).
std::string clean_relative(std::string_view path);

// Called after the walk below creates a directory: `parent_fd` is the directory it was made in,
// `name` its name there, `shown` its path from the root ("/a/b").
using OnCreated = std::function<Result<void>(int parent_fd, const std::string& name, const std::string& shown)>;

// Opens directory `path` under `root_fd`, creating what is missing (mode `mode`) one component at
// a time with mkdirat(2) in the parent as already resolved inside the root, so a symlink in the
// tree cannot redirect a creation outside it. `path` is cleaned as clean_relative does.
Result<UniqueFd> make_dirs_in_root(int root_fd, std::string_view path, mode_t mode = 0755,
    const OnCreated& on_created = {});

} // namespace engine::safe_path
