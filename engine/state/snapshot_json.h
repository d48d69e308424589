// Snapshot <-> JSON, in the schema documented in engine/state/SCHEMA.md. The API serves this
// (GET /glassbox/v1/state), recordings store it (record.h), Python and the visualizer read it.
// Every object in an array carries its identity key as "key"; readers ignore fields they do not
// know and fill in defaults for fields that are missing, so adding a field keeps the version.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/state/snapshot.h"

namespace engine::state {

// to_json/from_json for every snapshot struct (missing fields take their defaults), so
// `nlohmann::json json = process;` works anywhere.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProcessInfo, pid, ppid, start_time, nspid, comm,
    cmdline, state, state_name, uid, euid, gid, threads, signals_caught, signals_ignored,
    signals_blocked, signals_pending, cgroup, namespaces, container_id, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NamespaceInfo, type, inode, owner_pid, members,
    bind_mounts, container_id, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OverlayLower, path, layer_diff_id, image_ids,
    created_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountInfo, mount_namespace, mount_id, parent_id,
    device, root, mount_point, options, propagation, fstype, source, super_options, kind,
    lower_dirs, upper_dir, work_dir, volume_name, container_id, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CgroupInfo, hierarchy, path, directory,
    memory_current, memory_max, oom_events, oom_kills, pids_current, pids_max, cpu_usage_usec,
    cpu_quota_usec, cpu_period_usec, frozen, processes, container_id, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LinkInfo, netns, index, name, kind, mac, mtu, up,
    oper_state, master_index, master_name, bridge_port_state, peer_index, peer_name, peer_netns,
    parent_index, parent_name, parent_netns, mode, vlan_id, container_id, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AddressInfo, netns, link_index, link_name, family,
    address, scope, container_id, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RouteInfo, netns, family, table, destination,
    gateway, link_index, link_name, protocol, scope, metric, container_id, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NeighbourInfo, netns, link_index, link_name,
    address, mac, state, container_id, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FdbEntry, netns, port_index, port_name,
    bridge_index, bridge_name, mac, vlan, state, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NftRule, family, table, chain, handle, text,
    comment, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FeatureInfo, name, available, detail)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(KernelInfo, release, cgroup_layout,
    cgroup_v2_mount, features, mode, simulated_reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerInfo, id, name, image_id, image_tags,
    status, pid, namespaces, processes, rootfs, cgroup_paths, netns_path, volumes, networks)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ImageInfo, id, tags, layers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LayerInfo, diff_id, directory, size, created_by,
    image_ids, container_ids)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VolumeInfo, name, driver, mountpoint,
    container_ids)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EndpointInfo, container_id, container_name,
    ip_address, mac_address, host_link)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkInfo, id, name, driver, bridge_name, parent,
    subnet, gateway, endpoints)

// The object kinds a snapshot holds, as JSON array names: "containers", "processes", ...
const std::vector<std::string>& snapshot_kinds();

// What a client asked for: one container (id, name or unique id prefix) and/or one kind.
// Empty strings mean "everything".
struct SnapshotFilter {
    std::string container;
    std::string kind;
};

nlohmann::json snapshot_to_json(const Snapshot& snapshot);

// The snapshot narrowed to one container (its processes, namespaces, mounts, cgroups, links,
// addresses, routes, neighbours, and the image, layers, volumes and networks it uses) and/or to
// one kind. Fails with NotFound for an unknown container and InvalidArgument for an unknown kind.
Result<Snapshot> filter_snapshot(const Snapshot& snapshot, const SnapshotFilter& filter);
Result<nlohmann::json> snapshot_to_json(const Snapshot& snapshot, const SnapshotFilter& filter);

// Fails with InvalidArgument naming the field when the JSON is not a snapshot, or when its
// schema_version is newer than this build understands.
Result<Snapshot> snapshot_from_json(const nlohmann::json& json);
Result<Snapshot> parse_snapshot(std::string_view text);

} // namespace engine::state
