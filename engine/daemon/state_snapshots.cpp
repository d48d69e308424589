// The daemon's side of the kernel-state views: it hands its own objects to the state collector
// (which joins them to what procfs, cgroupfs, netlink and nftables say) and keeps the last
// snapshots by generation (kept_snapshots.h), so `state diff` can compare two of them.
#include <algorithm>

#include "engine/base/strings.h"
#include "engine/daemon/engine_internal.h"
#include "engine/state/collector.h"

namespace engine::daemon {

state::EngineObjects Engine::engine_objects() const
{
    state::EngineObjects objects;
    for (const auto& id : m_impl->container_ids()) {
        auto view = inspect_container(id);
        if (!view.ok())
            continue;
        const auto& v = view.value();
        state::ContainerObject object;
        object.id = v.id;
        object.name = v.name;
        object.image_id = v.image_id;
        object.status = std::string(status_name(v.state.status));
        object.pid = v.state.pid;
        object.rootfs = v.rootfs;
        object.upper_dir = v.upper_dir;
        object.work_dir = v.work_dir;
        // The collector wants them in lowerdir= order: topmost layer first.
        object.lower_dirs.assign(v.lower_dirs.rbegin(), v.lower_dirs.rend());
        object.cgroup_paths = v.cgroup_paths;
        object.netns_path = v.netns_path;
        for (const auto& mount : v.mounts)
            object.mounts.push_back({ mount.type, mount.name, mount.source, mount.destination, !mount.rw });
        objects.containers.push_back(std::move(object));
    }
    for (const auto& record : m_images->list()) {
        state::ImageObject image;
        image.id = record.id;
        image.tags = record.repo_tags;
        // History entries that made a layer, in order, name the instruction behind each layer.
        std::vector<std::string> creators;
        if (record.config.history)
            for (const auto& entry : *record.config.history)
                if (entry.makes_layer())
                    creators.push_back(entry.created_by.value_or(""));
        for (size_t i = 0; i < record.layers.size(); ++i)
            image.layers.push_back({ record.layers[i].diff_id, record.layers[i].directory, record.layers[i].size,
                i < creators.size() ? creators[i] : "" });
        objects.images.push_back(std::move(image));
    }
    for (const auto& vol : m_volumes->list())
        objects.volumes.push_back({ vol.name, vol.driver, vol.mountpoint });
    if (m_impl->networks) {
        for (const auto& record : m_impl->networks->list()) {
            state::NetworkObject network;
            network.id = record.id;
            network.name = record.name;
            network.driver = record.driver;
            network.bridge_name = record.bridge;
            network.parent = record.parent;
            network.subnet = record.subnet;
            network.gateway = record.gateway;
            for (const auto& [container_id, ep] : record.containers)
                network.endpoints.push_back({ container_id, ep.ip_address, ep.mac_address, ep.host_link });
            objects.networks.push_back(std::move(network));
        }
    }
    objects.netns_dir = m_options.run_root + "/network/netns";
    return objects;
}

Result<std::shared_ptr<const state::Snapshot>> Engine::take_snapshot()
{
    auto objects = engine_objects();
    std::lock_guard lock(m_impl->snapshots_mutex);
    state::CollectOptions options;
    options.generation = m_impl->next_generation;
    options.nft_table_prefix = m_options.nft_table_name;
    options.netlink_backend = m_impl->netlink;
    options.nftables_backend = m_impl->nftables;
    // The simulated kernel writes its model as a procfs (and cgroupfs) tree the collector reads.
    m_kernel.refresh_procfs();
    options.proc_root = m_kernel.procfs_root();
    options.pseudo_fs_root = m_kernel.pseudo_fs_root();
    if (m_kernel.simulated()) {
        options.features = &m_features;
        options.kernel_mode = "simulated";
        options.simulated_reason = m_kernel.simulated_reason();
    }
    auto snapshot = TRY_CTX(state::collect_snapshot(objects, options), "collect kernel state");
    m_impl->next_generation++;
    auto shared = std::make_shared<const state::Snapshot>(std::move(snapshot));
    m_impl->kept_snapshots.add(shared);
    return shared;
}

void Engine::pack_kept_snapshots() { m_impl->kept_snapshots.pack(); }

Result<std::shared_ptr<const state::Snapshot>> Engine::kept_snapshot(std::uint64_t generation) const
{
    return m_impl->kept_snapshots.find(generation);
}

Result<std::shared_ptr<const state::Snapshot>> Engine::kept_snapshot_before(std::chrono::system_clock::time_point time) const
{
    return m_impl->kept_snapshots.newest_before(time);
}

} // namespace engine::daemon
