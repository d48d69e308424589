// File operations for COPY and ADD that never leave a root: every path is resolved with
// openat2(RESOLVE_IN_ROOT), so ".." and symlinks (absolute or relative) in the build context or
// in the image are interpreted inside that root, as they would be inside the container.
// Also the content hash that keys the build cache for COPY/ADD, and local-archive detection for
// ADD. Kernel interfaces: openat2(2), mkdirat(2), fchownat(2), fchmodat(2), symlinkat(2),
// copy_file_range(2), utimensat(2).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/build/dockerignore.h"

namespace engine::build {

// Opens `path` below `root_fd` with `root_fd` acting as "/". NotFound when missing.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags, mode_t mode = 0);

// Opens the directory `path` inside the root, creating missing elements with mode 0755 and
// owner uid:gid (as COPY does for its destination). Fails if an element exists and is not a
// directory.
Result<UniqueFd> make_dirs_in_root(int root_fd, const std::string& path, uid_t uid, gid_t gid);

// One entry found below a COPY source, in walk order (a directory before its contents).
struct TreeEntry {
    std::string rel;         // Relative to the source ("" for the source itself).
    std::string full;        // Path inside the source root.
    struct stat st { };
    std::string link_target; // For symlinks.
};

// Walks `path` inside the root. The source itself may be reached through symlinks (resolved
// inside the root); below it, symlinks are entries, not followed. Entries whose context path
// `ignore` excludes are left out (an excluded directory is still walked when the ignore file
// re-includes something).
Result<std::vector<TreeEntry>> list_tree(int root_fd, const std::string& path, const DockerIgnore* ignore);

// Resolves COPY/ADD sources against the root: cleans each path and expands '*', '?' and '[...]'
// in the last element. Errors: a source outside the context that does not exist names it as
// Docker does ("COPY failed: file not found in build context or excluded by .dockerignore: stat
// x: file does not exist"); a pattern with no match.
Result<std::vector<std::string>> expand_sources(int root_fd, const std::vector<std::string>& sources,
    const DockerIgnore* ignore, const std::string& instruction);

// A sha256 over the names, types, modes, sizes and contents of the entries (the cache key part
// for the files COPY/ADD read).
Result<std::string> hash_entries(int root_fd, const std::vector<TreeEntry>& entries);

struct CopyOwnership {
    uid_t uid { 0 };
    gid_t gid { 0 };
    std::optional<mode_t> chmod; // --chmod: replaces the mode of every copied entry.
};

// Copies the entries of one source into `dest` inside the destination root: a directory source
// copies its contents into `dest`, anything else becomes `dest` itself. Owners become
// `ownership` (root:root by default), modes are kept unless --chmod, file mtimes are kept.
Result<void> copy_entries(int src_root, const std::vector<TreeEntry>& entries, int dst_root,
    const std::string& dest, const CopyOwnership& ownership);

// True if the file at `fd` is a tar archive (plain, gzip, bzip2 or xz): ADD unpacks those.
bool is_local_archive(int fd);

} // namespace engine::build
