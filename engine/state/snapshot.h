// state::Snapshot: everything glassbox can show about the kernel at one moment, as plain data
// (docs/architecture.md): processes, namespaces, mounts, cgroups, network namespaces with their links,
// addresses, routes, neighbours and bridge FDB, glassbox's nftables rules, the kernel feature probe,
// and the engine's own objects (containers, images, layers, volumes, networks) joined to them.
// No pointers into engine objects, no locks, no kernel handles: a Snapshot can be copied to another
// thread, written to JSON (snapshot_json.h), diffed (diff.h), recorded (record.h) or built by hand.
// Every object has an identity key (identity_key() below) so two snapshots can be compared.
// The JSON schema is documented in engine/state/SCHEMA.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace engine::state {

// Bumped whenever a field changes meaning or is removed (adding a field keeps the version).
inline constexpr int snapshot_schema_version = 1;

// "owner" fields below hold the identity key of the engine object a kernel object belongs to
// ("container:<id>", "network:<id>", "glassbox" for glassbox's nftables tables), or "" for the
// host's own objects. They let a diff or a panel keep only what glassbox made.

struct ProcessInfo {
    int pid { 0 };                    // Host PID.
    int ppid { 0 };
    std::uint64_t start_time { 0 };   // Clock ticks since boot (/proc/<pid>/stat field 22).
    std::vector<int> nspid;           // NSpid: host PID first, innermost PID namespace last.
    std::string comm;
    std::vector<std::string> cmdline;
    std::string state;                // "R", "S", "D", "Z", "T", ... (first letter of State:).
    std::string state_name;           // "running", "sleeping", "zombie", ...
    int uid { 0 };                    // Real uid.
    int euid { 0 };
    int gid { 0 };
    int threads { 0 };
    std::vector<std::string> signals_caught;  // SigCgt decoded: "TERM", "INT", "RTMIN+1", ...
    std::vector<std::string> signals_ignored; // SigIgn.
    std::vector<std::string> signals_blocked; // SigBlk (of the main thread).
    std::vector<std::string> signals_pending; // SigPnd + ShdPnd.
    std::string cgroup;               // Unified (v2) path, or the memory hierarchy path on v1.
    std::map<std::string, std::uint64_t> namespaces; // "net" -> inode, "pid" -> inode, ...
    std::string container_id;         // "" for host processes.
    std::string owner;
};

struct NamespaceInfo {
    std::string type;                 // "mnt", "uts", "ipc", "pid", "net", "cgroup", "user", "time".
    std::uint64_t inode { 0 };
    int owner_pid { 0 };              // Lowest member PID (the namespace's first process, usually).
    std::vector<int> members;         // Host PIDs of every process in it, ascending.
    std::vector<std::string> bind_mounts; // Netns files that keep it alive without a process.
    std::string container_id;
    std::string owner;
};

// One overlay lowerdir, resolved to the image layer it is.
struct OverlayLower {
    std::string path;
    std::string layer_diff_id;        // "" when it is not a known layer.
    std::vector<std::string> image_ids; // Images that include the layer.
    std::string created_by;           // The instruction that made the layer.
};

struct MountInfo {
    std::uint64_t mount_namespace { 0 };
    int mount_id { 0 };
    int parent_id { 0 };
    std::string device;               // "major:minor".
    std::string root;                 // Root of the mount within its filesystem.
    std::string mount_point;
    std::string options;              // Per-mount options ("rw,nosuid,relatime").
    std::string propagation;          // "shared:5", "master:1", "" for private.
    std::string fstype;
    std::string source;
    std::string super_options;
    std::string kind;                 // "overlay", "volume", "bind", "tmpfs", "proc", "other", ...
    std::vector<OverlayLower> lower_dirs; // Topmost first, as in the lowerdir= option.
    std::string upper_dir;
    std::string work_dir;
    std::string volume_name;          // For kind "volume".
    std::string container_id;
    std::string owner;
};

struct CgroupInfo {
    std::string hierarchy;            // "unified" for v2, the controller list on v1 ("memory").
    std::string path;                 // Path inside the hierarchy ("/glassbox/<id>").
    std::string directory;            // Absolute cgroupfs directory it was read from.
    std::int64_t memory_current { -1 }; // Bytes; -1 when not available.
    std::int64_t memory_max { -1 };   // Bytes; -1 for "max" (no limit) or not available.
    std::int64_t oom_events { -1 };   // "oom" from memory.events (v2) or failcnt-based (v1).
    std::int64_t oom_kills { -1 };
    std::int64_t pids_current { -1 };
    std::int64_t pids_max { -1 };     // -1 for "max".
    std::int64_t cpu_usage_usec { -1 };
    std::int64_t cpu_quota_usec { -1 }; // -1 for "max".
    std::int64_t cpu_period_usec { -1 };
    bool frozen { false };            // v1 freezer.state FROZEN, or "frozen 1" in v2 cgroup.events (docker pause).
    std::vector<int> processes;       // Host PIDs listed in cgroup.procs.
    std::string container_id;
    std::string owner;
};

struct LinkInfo {
    std::uint64_t netns { 0 };        // Inode of the network namespace the link lives in.
    int index { 0 };
    std::string name;
    std::string kind;                 // "veth", "bridge", "macvlan", ... ("" for lo and NICs).
    std::string mac;
    int mtu { 0 };
    bool up { false };                // IFF_UP (administratively up).
    std::string oper_state;           // "up", "down", "unknown", "lowerlayerdown", ...
    int master_index { 0 };           // Bridge (or bond) master in the same netns; 0 if none.
    std::string master_name;
    std::string bridge_port_state;    // "forwarding", "blocking", ... for bridge ports.
    int peer_index { 0 };             // veth peer ifindex, in peer_netns.
    std::string peer_name;
    std::uint64_t peer_netns { 0 };   // 0 when unknown.
    int parent_index { 0 };           // macvlan/ipvlan/vlan parent ifindex, in parent_netns.
    std::string parent_name;
    std::uint64_t parent_netns { 0 };
    std::string mode;                 // macvlan "bridge"/"private"/..., ipvlan "l2"/"l3"/"l3s".
    int vlan_id { -1 };               // -1 unless a VLAN link.
    std::string container_id;         // Container whose network namespace holds the link.
    std::string owner;
};

struct AddressInfo {
    std::uint64_t netns { 0 };
    int link_index { 0 };
    std::string link_name;
    std::string family;               // "inet" or "inet6".
    std::string address;              // "172.18.0.2/16".
    std::string scope;                // "global", "link", "host".
    std::string container_id;
    std::string owner;
};

struct RouteInfo {
    std::uint64_t netns { 0 };
    std::string family;
    std::string table;                // "main", "local", or a number.
    std::string destination;          // "default" or "172.18.0.0/16".
    std::string gateway;              // "" for directly connected routes.
    int link_index { 0 };
    std::string link_name;
    std::string protocol;             // "kernel", "boot", "static", ...
    std::string scope;
    int metric { 0 };
    std::string container_id;
    std::string owner;
};

struct NeighbourInfo {
    std::uint64_t netns { 0 };
    int link_index { 0 };
    std::string link_name;
    std::string address;              // IP.
    std::string mac;
    std::string state;                // "reachable", "stale", "permanent", ...
    std::string container_id;
    std::string owner;
};

struct FdbEntry {
    std::uint64_t netns { 0 };
    int port_index { 0 };             // The bridge port (or the bridge itself) the MAC is on.
    std::string port_name;
    int bridge_index { 0 };
    std::string bridge_name;
    std::string mac;
    int vlan { 0 };
    std::string state;                // "permanent", "reachable", "stale", ...
    std::string owner;
};

struct NftRule {
    std::string family;               // "ip", "ip6", "inet", ...
    std::string table;
    std::string chain;
    std::uint64_t handle { 0 };
    std::string text;                 // As `nft list` prints it: "tcp dport 8080 dnat to 172.18.0.2:80".
    std::string comment;
    std::string owner;
};

struct FeatureInfo {
    std::string name;
    bool available { false };
    std::string detail;
};

struct KernelInfo {
    std::string release;
    std::string cgroup_layout;        // "v1", "v2", "hybrid", "none".
    std::string cgroup_v2_mount;
    std::vector<FeatureInfo> features;
    // "real", or "simulated" when glassboxd runs on the simulated kernel (engine/sim), with the
    // reason it does ("glassboxd --kernel=sim", "not root: ...").
    std::string mode { "real" };
    std::string simulated_reason;
};

struct ContainerInfo {
    std::string id;
    std::string name;
    std::string image_id;
    std::vector<std::string> image_tags;
    std::string status;
    int pid { 0 };                    // Host PID of PID 1; 0 when not running.
    std::map<std::string, std::uint64_t> namespaces; // Namespaces of PID 1, by type.
    std::vector<int> processes;       // Host PIDs of every process in the container.
    std::string rootfs;
    std::vector<std::string> cgroup_paths;
    std::string netns_path;
    std::vector<std::string> volumes; // Volume names it mounts.
    std::vector<std::string> networks; // Network ids it is attached to.
};

struct ImageInfo {
    std::string id;
    std::vector<std::string> tags;
    std::vector<std::string> layers;  // diff ids, lowest first.
};

struct LayerInfo {
    std::string diff_id;
    std::string directory;
    std::uint64_t size { 0 };
    std::string created_by;
    std::vector<std::string> image_ids;     // Images that share this layer.
    std::vector<std::string> container_ids; // Containers whose overlay uses it as a lowerdir.
};

struct VolumeInfo {
    std::string name;
    std::string driver;
    std::string mountpoint;
    std::vector<std::string> container_ids; // Containers that mount it.
};

struct EndpointInfo {
    std::string container_id;
    std::string container_name;
    std::string ip_address;
    std::string mac_address;
    std::string host_link;
};

struct NetworkInfo {
    std::string id;
    std::string name;
    std::string driver;
    std::string bridge_name;
    std::string parent;
    std::string subnet;
    std::string gateway;
    std::vector<EndpointInfo> endpoints;
};

struct Snapshot {
    int schema_version { snapshot_schema_version };
    std::uint64_t generation { 0 };
    std::string taken_at;             // RFC 3339 (UTC, nanoseconds).
    std::string hostname;
    KernelInfo kernel;
    // The namespaces the collector itself runs in (the daemon's: "the host"), by type.
    std::map<std::string, std::uint64_t> host_namespaces;

    std::vector<ContainerInfo> containers;
    std::vector<ImageInfo> images;
    std::vector<LayerInfo> layers;
    std::vector<VolumeInfo> volumes;
    std::vector<NetworkInfo> networks;

    std::vector<ProcessInfo> processes;
    std::vector<NamespaceInfo> namespaces;
    std::vector<MountInfo> mounts;
    std::vector<CgroupInfo> cgroups;
    std::vector<LinkInfo> links;
    std::vector<AddressInfo> addresses;
    std::vector<RouteInfo> routes;
    std::vector<NeighbourInfo> neighbours;
    std::vector<FdbEntry> fdb;
    std::vector<NftRule> nft_rules;

    // What could not be read (a process that exited mid-read is not an error; a netns that could
    // not be entered is). The snapshot is still usable; these say what is missing and why.
    std::vector<std::string> warnings;
};

// Calls `visit(name, vector)` for every object array of a snapshot, in schema order ("containers",
// "images", ..., "nft_rules"). The one place that lists them, so the JSON form, filters, kinds and
// the diff cannot drift apart. Works on const and non-const snapshots.
template<typename SnapshotRef, typename Visit>
void for_each_collection(SnapshotRef& snapshot, Visit&& visit)
{
    visit("containers", snapshot.containers);
    visit("images", snapshot.images);
    visit("layers", snapshot.layers);
    visit("volumes", snapshot.volumes);
    visit("networks", snapshot.networks);
    visit("processes", snapshot.processes);
    visit("namespaces", snapshot.namespaces);
    visit("mounts", snapshot.mounts);
    visit("cgroups", snapshot.cgroups);
    visit("links", snapshot.links);
    visit("addresses", snapshot.addresses);
    visit("routes", snapshot.routes);
    visit("neighbours", snapshot.neighbours);
    visit("fdb", snapshot.fdb);
    visit("nft_rules", snapshot.nft_rules);
}

// Identity keys: stable names for an object across snapshots, as the diff and the JSON use them.
// "container:<id>", "image:<id>", "layer:<diff_id>", "volume:<name>", "network:<id>",
// "process:<pid>@<start_time>", "<type>:[<inode>]" (as /proc/<pid>/ns shows), "mount:<ns>:<id>",
// "cgroup:<hierarchy>:<path>", "link:<netns>:<index>", "address:<netns>:<index>:<address>",
// "route:<netns>:<table>:<destination>:<link>:<metric>", "neighbour:<netns>:<index>:<address>",
// "fdb:<netns>:<port>:<mac>:<vlan>", "nft:<family>:<table>:<chain>:<handle>".
std::string identity_key(const ContainerInfo& container);
std::string identity_key(const ImageInfo& image);
std::string identity_key(const LayerInfo& layer);
std::string identity_key(const VolumeInfo& volume);
std::string identity_key(const NetworkInfo& network);
std::string identity_key(const ProcessInfo& process);
std::string identity_key(const NamespaceInfo& ns);
std::string identity_key(const MountInfo& mount);
std::string identity_key(const CgroupInfo& cgroup);
std::string identity_key(const LinkInfo& link);
std::string identity_key(const AddressInfo& address);
std::string identity_key(const RouteInfo& route);
std::string identity_key(const NeighbourInfo& neighbour);
std::string identity_key(const FdbEntry& entry);
std::string identity_key(const NftRule& rule);

// Lookups by identity; nullptr when absent.
const ContainerInfo* find_container(const Snapshot& snapshot, std::string_view id_or_name);
const ProcessInfo* find_process(const Snapshot& snapshot, int pid);
const LinkInfo* find_link(const Snapshot& snapshot, std::uint64_t netns, int index);
const NamespaceInfo* find_namespace(const Snapshot& snapshot, std::string_view type, std::uint64_t inode);

// A short name for a network namespace a student can read: "the host", "container web's netns",
// or "net:[4026532xyz]".
std::string describe_netns(const Snapshot& snapshot, std::uint64_t inode);

// Signal names for a hex mask from /proc/<pid>/status ("0000000000004002" -> {"INT", "TERM"}).
// Bit n-1 stands for signal n; real-time signals are "RTMIN", "RTMIN+1", ... "RTMAX".
std::vector<std::string> decode_signal_mask(std::string_view hex_mask);

// "R" -> "running", "Z" -> "zombie", ...
std::string process_state_name(std::string_view state_letter);

} // namespace engine::state
