// Volumes: named volumes under <root>/volumes/<name>/_data (they outlive containers),
// anonymous volumes (a random 64-hex name, removed with `rm -v` and `--rm`), and the parser for
// `-v` and `--mount` specifications. Metadata in <root>/volumes/<name>/volume.json.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace engine::volume {

struct Volume {
    std::string name;
    std::string driver { "local" };
    std::string mountpoint;                    // <root>/volumes/<name>/_data
    std::string created_at;                    // RFC 3339
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;
    bool anonymous { false };
};

// One -v / --mount / HostConfig.Mounts request, parsed but not yet resolved. The API layer
// parses each request once into this and the daemon passes it on; nothing parses it again.
struct MountSpec {
    enum class Type { Volume, Bind, Tmpfs };
    Type type { Type::Volume };
    std::string source;        // Volume name ("" for anonymous) or host path (Bind).
    std::string target;        // Absolute path in the container.
    bool read_only { false };
    std::string tmpfs_options; // "size=64m,mode=1777"
    bool no_copy { false };    // volume-nocopy: do not fill a new volume from the image.
    std::string propagation;   // Bind only: "rprivate", "rshared", "rslave", "private", "shared", "slave"; "" = default.
    std::string mode;          // The options of a -v spec as written ("ro,rslave"); inspect's Mounts[].Mode.
    // A -v bind makes its missing host directory, as Docker's does; --mount and
    // HostConfig.Mounts refuse a missing source.
    bool create_missing_source { false };

    bool operator==(const MountSpec&) const = default;
};

// True for the six mount propagation modes Docker accepts on a bind mount.
bool is_propagation_mode(const std::string& mode);

// "volume", "bind", "tmpfs" -> the type; anything else is InvalidArgument naming the value.
Result<MountSpec::Type> parse_mount_type(const std::string& name);
std::string_view mount_type_name(MountSpec::Type type);

// The rules every mount keeps, whichever syntax it came in, in dockerd's words where dockerd
// has them, each naming the field at fault: `invalid mount config for type "bind": field Source
// must not be empty`. A target that is absolute, a bind source that is an absolute path, no
// source on a tmpfs, a valid volume name, propagation only on a bind.
Result<void> check_mount_spec(const MountSpec& mount);

// "name:/data", "/host:/in:ro", "/anon" -> MountSpec. Errors name the spec and the bad part:
// `invalid volume specification: "a:b:c:d": too many colons`.
Result<MountSpec> parse_volume_spec(const std::string& spec);
// "type=bind,source=/x,target=/y,readonly" -> MountSpec; errors quote the spec.
Result<MountSpec> parse_mount_spec(const std::string& spec);
// The --mount text parse_mount_spec reads back to the same MountSpec. It is the form in which
// a container's record on disk keeps its HostConfig.Mounts ("MountSpecs"), and nothing else.
std::string format_mount_spec(const MountSpec& mount);

class Store {
public:
    static Result<std::unique_ptr<Store>> open(const std::string& root);

    // Creates a named volume; returns the existing one if it is already there (as Docker does).
    Result<Volume> create(const std::string& name, const std::map<std::string, std::string>& labels = {},
        const std::map<std::string, std::string>& options = {});
    Result<Volume> create_anonymous();
    Result<Volume> get(const std::string& name) const;
    std::vector<Volume> list() const;
    // Conflict when `in_use(name)` names a container that mounts it, unless `force`.
    Result<void> remove(const std::string& name, bool force, const std::string& in_use_by);
    std::uint64_t size_of(const std::string& name) const;
    // True if the volume's _data directory is empty (a new volume is filled from the image).
    bool is_empty(const std::string& name) const;

    explicit Store(std::string root)
        : m_root(std::move(root))
    {
    }

private:
    Result<Volume> read_volume(const std::string& name) const;
    // Makes the volume's directory and record under a staging name and renames it into place
    // (m_mutex held); sets created_at and mountpoint.
    Result<Volume> publish(Volume volume);

    std::string m_root; // <engine root>/volumes
    mutable std::mutex m_mutex;
};

// Copies the tree at `source` (an image path inside a mounted rootfs) into `destination`,
// keeping owners, modes and symlinks (never following them). Used to fill a new volume.
Result<void> copy_tree(const std::string& source, const std::string& destination);

} // namespace engine::volume
