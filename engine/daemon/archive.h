// The container filesystem as the Docker API shows it (docker cp, diff, export, commit): the
// pure parts, kept apart from the Engine so unit tests can run them on a temp directory.
// Kernel interfaces: lstat(2) and lgetxattr(2) for the overlay's whiteouts and opaque dirs.
// Kernel docs: filesystems/overlayfs.rst ("whiteouts and opaque directories").
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/image/image_config.h"
#include "engine/image/reference.h"

namespace engine::daemon {

// Go's os.FileMode bits, which dockerd sends in the path stat as they are: the permission bits
// in the low 9 bits and the type and special bits at the top of a uint32.
namespace go_mode {
inline constexpr std::uint32_t dir = 1u << 31;
inline constexpr std::uint32_t symlink = 1u << 27;
inline constexpr std::uint32_t device = 1u << 26;
inline constexpr std::uint32_t named_pipe = 1u << 25;
inline constexpr std::uint32_t socket = 1u << 24;
inline constexpr std::uint32_t setuid = 1u << 23;
inline constexpr std::uint32_t setgid = 1u << 22;
inline constexpr std::uint32_t char_device = 1u << 21;
inline constexpr std::uint32_t sticky = 1u << 20;
} // namespace go_mode

// st_mode as Go's os.FileMode.
std::uint32_t go_file_mode(mode_t mode);

// One file's stat as `HEAD /containers/{id}/archive` reports it (types.ContainerPathStat).
struct PathStat {
    std::string name;        // The last element of the path as asked ("/" for the root).
    std::int64_t size { 0 };
    std::uint32_t mode { 0 }; // Go os.FileMode.
    std::string mtime;       // RFC 3339 with nanoseconds, as Go marshals a time.Time.
    std::string link_target; // For a symlink: its target resolved inside the container, absolute.
};

// The stat for `name` from lstat(2) data; `link_target` is filled by the caller.
PathStat path_stat_from(const std::string& name, const struct stat& st);
// The X-Docker-Container-Path-Stat header value: base64 (URL alphabet, padded, as Go's
// base64.URLEncoding) of {"name","size","mode","mtime","linkTarget"} in Go's field order.
std::string path_stat_header(const PathStat& stat);
// Go's base64.URLEncoding.
std::string base64_url(std::string_view bytes);

// One line of `docker diff`: Kind 0 modified, 1 added, 2 deleted (archive.ChangeType).
struct FileChange {
    std::string path;
    int kind { 0 };
    bool operator==(const FileChange&) const = default;
};

// What changed in a container's overlay upper directory compared with its image layers
// `lowers` (lowest first), in dockerd's order: a depth-first walk of the upper directory, names
// sorted in each directory, a directory before what it holds. A 0/0 character device is a
// deleted file; an opaque directory (trusted.overlay.opaque=y) that a lower layer has is
// modified; a directory that a lower layer has with the same mode, size and mtime is left out
// unless something below it was added or deleted, and then its parent is listed as modified
// (dockerd's rule, so `docker diff` shows "C /etc" above "A /etc/new"). Paths in `skip` (such as
// the mount points the engine creates itself) and everything under them are left out.
Result<std::vector<FileChange>> upper_dir_changes(const std::string& upper, const std::vector<std::string>& lowers,
    const std::vector<std::string>& skip = {});

// POST /commit's parameters. `config` is the body's Config, nullopt when the client sent none.
struct CommitOptions {
    std::optional<image::Reference> reference; // ?repo=&tag=, parsed by the API (image::parse_repo_tag).
    std::string comment;
    std::string author;
    bool pause { true };
    std::vector<std::string> changes; // Dockerfile instructions: "CMD [\"sh\"]", "ENV A=b", ...
    std::optional<image::ContainerDefaults> config;
};

// dockerd's merge of a committed image's config: `user` (the config the commit asked for, with
// its --change instructions applied) keeps what it sets; what it leaves empty comes from
// `container` (the container's config): User, WorkingDir, StopSignal, Cmd and Entrypoint when
// both are empty, Env and ExposedPorts and Labels and Volumes key by key.
void merge_commit_config(image::ContainerDefaults& user, const image::ContainerDefaults& container);

// The image-config keys of a container's Config (Docker's names), from a full config document.
Result<image::ContainerDefaults> image_config_subset(const nlohmann::json& container_config);

} // namespace engine::daemon
