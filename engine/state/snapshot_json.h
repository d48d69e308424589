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
// `nlohmann::json json = process;` works anywhere. The same field list also gives
// for_each_json_field(const T*, visit), which calls visit("name", getter) per field, so the
// direct encoder (snapshot_to_json_text) cannot drift from the DOM's fields.
#define GLASSBOX_STATE_JSON_FIELD(field) \
    visit(#field, [](const auto& object) -> const auto& { return object.field; });
#define GLASSBOX_STATE_JSON(Type, ...)                                        \
    NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Type, __VA_ARGS__)        \
    inline void for_each_json_field(const Type*, auto&& visit)               \
    {                                                                         \
        NLOHMANN_JSON_PASTE(GLASSBOX_STATE_JSON_FIELD, __VA_ARGS__)           \
    }
GLASSBOX_STATE_JSON(ProcessInfo, pid, ppid, start_time, nspid, comm,
    cmdline, state, state_name, uid, euid, gid, threads, signals_caught, signals_ignored,
    signals_blocked, signals_pending, cgroup, namespaces, container_id, owner)
GLASSBOX_STATE_JSON(NamespaceInfo, type, inode, owner_pid, members,
    bind_mounts, container_id, owner)
GLASSBOX_STATE_JSON(OverlayLower, path, layer_diff_id, image_ids,
    created_by)
GLASSBOX_STATE_JSON(MountInfo, mount_namespace, mount_id, parent_id,
    device, root, mount_point, options, propagation, fstype, source, super_options, kind,
    lower_dirs, upper_dir, work_dir, volume_name, container_id, owner)
GLASSBOX_STATE_JSON(CgroupInfo, hierarchy, path, directory,
    memory_current, memory_max, oom_events, oom_kills, pids_current, pids_max, cpu_usage_usec,
    cpu_quota_usec, cpu_period_usec, frozen, processes, container_id, owner)
GLASSBOX_STATE_JSON(LinkInfo, netns, index, name, kind, mac, mtu, up,
    oper_state, master_index, master_name, bridge_port_state, peer_index, peer_name, peer_netns,
    parent_index, parent_name, parent_netns, mode, vlan_id, container_id, owner)
GLASSBOX_STATE_JSON(AddressInfo, netns, link_index, link_name, family,
    address, scope, container_id, owner)
GLASSBOX_STATE_JSON(RouteInfo, netns, family, table, destination,
    gateway, link_index, link_name, protocol, scope, metric, container_id, owner)
GLASSBOX_STATE_JSON(NeighbourInfo, netns, link_index, link_name,
    address, mac, state, container_id, owner)
GLASSBOX_STATE_JSON(FdbEntry, netns, port_index, port_name,
    bridge_index, bridge_name, mac, vlan, state, owner)
GLASSBOX_STATE_JSON(NftRule, family, table, chain, handle, text,
    comment, owner)
GLASSBOX_STATE_JSON(FeatureInfo, name, available, detail)
GLASSBOX_STATE_JSON(KernelInfo, release, cgroup_layout,
    cgroup_v2_mount, features, mode, simulated_reason)
GLASSBOX_STATE_JSON(ContainerInfo, id, name, image_id, image_tags,
    status, pid, namespaces, processes, rootfs, cgroup_paths, netns_path, volumes, networks)
GLASSBOX_STATE_JSON(ImageInfo, id, tags, layers)
GLASSBOX_STATE_JSON(LayerInfo, diff_id, directory, size, created_by,
    image_ids, container_ids)
GLASSBOX_STATE_JSON(VolumeInfo, name, driver, mountpoint,
    container_ids)
GLASSBOX_STATE_JSON(EndpointInfo, container_id, container_name,
    ip_address, mac_address, host_link)
GLASSBOX_STATE_JSON(NetworkInfo, id, name, driver, bridge_name, parent,
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

// The same JSON as snapshot_to_json(snapshot).dump(-1, ' ', false, error_handler_t::replace),
// byte for byte (keys sorted, invalid UTF-8 replaced by U+FFFD), written straight into one
// string without building the DOM: GET /glassbox/v1/state serves whole snapshots this way.
std::string snapshot_to_json_text(const Snapshot& snapshot);

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
