// EngineObjects: the engine's own bookkeeping, handed to the state collector as plain data so the
// collector can join kernel facts (an overlay lowerdir, a PID namespace inode, a veth in some
// network namespace) to the objects a student knows by name (container "web", image "nginx:1.25",
// volume "data", network "backend"). daemon::Engine fills this in; the collector never includes a
// daemon header, so the dependency points one way only (docs/architecture.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace engine::state {

// A mount the engine set up for a container, besides its overlay root.
struct ObjectMount {
    std::string type;        // "volume", "bind" or "tmpfs".
    std::string name;        // Volume name for type "volume", "" otherwise.
    std::string source;      // Host path (the volume's _data directory for volumes).
    std::string destination; // Path inside the container.
    bool read_only { false };
};

struct ContainerObject {
    std::string id;
    std::string name;        // Without the leading "/".
    std::string image_id;    // "sha256:<hex>".
    std::string status;      // "created", "running", "exited", ...
    int pid { 0 };           // Host PID of the container's PID 1; 0 when not running.
    std::string rootfs;      // Where the overlay is mounted (the merged directory).
    std::string upper_dir;
    std::string work_dir;
    // Overlay lowerdirs in the order of the overlay's lowerdir= option: topmost layer first.
    std::vector<std::string> lower_dirs;
    // Absolute cgroupfs directories of the container (one on v2, one per hierarchy on v1).
    std::vector<std::string> cgroup_paths;
    std::string netns_path;  // Bind-mounted netns file, "" for host networking or none yet.
    std::vector<ObjectMount> mounts;
};

struct LayerObject {
    std::string diff_id;     // "sha256:<hex>" of the uncompressed tar.
    std::string directory;   // Absolute path of the unpacked tree (an overlay lowerdir).
    std::uint64_t size { 0 };
    std::string created_by;  // The history instruction that made the layer ("" if unknown).
};

struct ImageObject {
    std::string id;                  // "sha256:<hex>" of the config.
    std::vector<std::string> tags;   // "busybox:1.36", ...
    std::vector<LayerObject> layers; // Lowest first, as in rootfs.diff_ids.
};

struct VolumeObject {
    std::string name;
    std::string driver { "local" };
    std::string mountpoint;          // <root>/volumes/<name>/_data.
};

struct EndpointObject {
    std::string container_id;
    std::string ip_address;          // "172.18.0.2" (no prefix).
    std::string mac_address;
    std::string host_link;           // Host-side veth name ("" if the driver has none).
};

struct NetworkObject {
    std::string id;
    std::string name;
    std::string driver;              // "bridge", "macvlan", "ipvlan", "host", "null".
    std::string bridge_name;         // "glassbox0", "gb-<id12>"; "" when there is no bridge.
    std::string parent;              // macvlan/ipvlan parent link name ("" otherwise).
    std::string subnet;              // "172.18.0.0/16".
    std::string gateway;
    std::vector<EndpointObject> endpoints;
};

struct EngineObjects {
    std::vector<ContainerObject> containers;
    std::vector<ImageObject> images;
    std::vector<VolumeObject> volumes;
    std::vector<NetworkObject> networks;
    // Directory of glassbox's bind-mounted netns files (<run-root>/netns); every file in it is a
    // network namespace the collector reads even if no process lives in it. "" to skip.
    std::string netns_dir;
};

} // namespace engine::state
