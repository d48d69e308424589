// Small file helpers used across the engine. Metadata is always written atomically:
// write to a temporary file in the same directory, fsync it, rename it over the target,
// then fsync the directory, so a crash leaves either the old or the new file, never half of one.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace engine::fs {

Result<std::string> read_file(const std::string& path);

// [SECTION] Descriptor I/O: the one read-to-the-end and write-everything loop (EINTR retried,
// short writes continued). `what` names the file in errors ("read <what>", "write <what>").
Result<void> read_chunks(int fd, const std::string& what, const std::function<void(std::string_view)>& consume);
Result<void> write_all(int fd, std::string_view data, const std::string& what);
// Copies `in` from its offset to its end into `out`.
Result<void> copy_fd(int in, int out, const std::string& what);
// Writes `contents` to `path` atomically (write, fsync, rename, fsync dir).
Result<void> write_file_atomic(const std::string& path, std::string_view contents, int mode = 0644);
// Replaces `path` atomically (write, rename) without the fsyncs: a reader sees the old file or
// the new one, never a mix, but a power loss may leave the old one. For files rewritten from
// memory that describe what does not outlive a reboot anyway (a running container's state, its
// /etc/hosts); each fsync costs milliseconds on the path of every `docker run`.
Result<void> write_file_replace(const std::string& path, std::string_view contents, int mode = 0644);
// Creates `path` and any missing parents (like mkdir -p). Succeeds if it already exists.
Result<void> make_dirs(const std::string& path, int mode = 0755);
// Removes a tree without following symlinks and without crossing into other mounts.
// Succeeds if the path does not exist.
Result<void> remove_tree(const std::string& path);
bool exists(const std::string& path);
bool is_dir(const std::string& path);
// Names in a directory (no "." or ".."); empty if it does not exist.
std::vector<std::string> list_dir(const std::string& path);
// Bytes used by the regular files under a tree (st_blocks based, like du).
std::uint64_t disk_usage(const std::string& path);

} // namespace engine::fs
