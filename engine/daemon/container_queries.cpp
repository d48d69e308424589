// Finding and describing containers: lookup by id, id prefix or name, the record written to
// disk, inspect and list (ps). These read the engine's records and change nothing but the
// record file, so they are apart from the lifecycle files that take a container's op_mutex.
#include <algorithm>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/daemon/engine_internal.h"

namespace engine::daemon {

std::string_view status_name(Status status)
{
    switch (status) {
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Paused: return "paused";
    case Status::Restarting: return "restarting";
    case Status::Removing: return "removing";
    case Status::Exited: return "exited";
    case Status::Dead: return "dead";
    }
    return "exited";
}

Result<std::shared_ptr<Container>> Engine::find_container(const std::string& ref) const
{
    std::string key = ref;
    if (!key.empty() && key[0] == '/')
        key = key.substr(1);
    std::lock_guard lock(m_impl->mutex);
    if (auto it = m_impl->containers.find(key); it != m_impl->containers.end())
        return it->second;
    if (auto it = m_impl->names.find(key); it != m_impl->names.end())
        return m_impl->containers.at(it->second);
    std::shared_ptr<Container> match;
    if (!key.empty()) {
        for (const auto& [id, container] : m_impl->containers) {
            if (strings::starts_with(id, key)) {
                if (match)
                    return Error::invalid("multiple IDs found with provided prefix: " + ref);
                match = container;
            }
        }
    }
    if (!match)
        return Error::not_found("No such container: " + ref);
    return match;
}

void Engine::persist(const Container& container) const
{
    nlohmann::json doc;
    {
        std::lock_guard lock(m_impl->mutex);
        doc = container_to_json(container.view, container.recorded_mounts, container.process);
    }
    // The first write (at create) is synced, so a created container survives a power loss;
    // later ones record a start, an exit or a rename, state that a reboot ends anyway, so they
    // replace the record atomically without the fsyncs on every run's path.
    const auto path = container.dir + "/config.v2.json";
    auto result = fs::exists(path) ? fs::write_file_replace(path, doc.dump(2)) : fs::write_file_atomic(path, doc.dump(2));
    if (!result.ok())
        log::error("persist container " + container.view.id + ": " + result.error().describe());
}

Result<ContainerView> Engine::inspect_container(const std::string& ref) const
{
    auto container = TRY(find_container(ref));
    std::lock_guard lock(m_impl->mutex);
    auto view = container->view;
    view.mounts.clear();
    for (const auto& mount : container->recorded_mounts) {
        MountPoint point;
        point.type = mount.type;
        point.name = mount.name;
        point.source = mount.source;
        point.destination = mount.destination;
        point.rw = !mount.read_only;
        point.mode = mount.type == "bind" ? mount.mode : (mount.read_only ? "ro" : "z");
        point.host_access = mount.type == "bind";
        point.propagation = mount.type == "bind" ? mount.propagation : "";
        view.mounts.push_back(point);
    }
    return view;
}

Result<std::vector<ContainerView>> Engine::list_containers(bool all, const Filters& filters, int limit) const
{
    // A status or exited filter looks at stopped containers too, as does a limit (`ps -n`).
    bool include_stopped = all || filters.contains("status") || filters.contains("exited") || limit > 0;
    std::vector<std::shared_ptr<Container>> containers;
    {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers)
            containers.push_back(container);
    }
    ImageResolver resolve_image = [this](const std::string& reference) -> std::optional<std::string> {
        auto record = m_images->resolve(reference);
        return record.ok() ? std::optional<std::string>(record.value().id) : std::nullopt;
    };
    std::vector<ContainerView> out;
    for (const auto& container : containers) {
        auto view = inspect_container(container->view.id);
        if (!view.ok())
            continue;
        auto status = view.value().state.status;
        if (!include_stopped && status != Status::Running && status != Status::Restarting && status != Status::Paused)
            continue;
        if (!TRY(container_passes_filters(view.value(), filters, resolve_image)))
            continue;
        out.push_back(view.release_value());
    }
    // With no container at all the filters are still checked, so a bad key is an error.
    if (containers.empty())
        (void)TRY(container_passes_filters(ContainerView {}, filters, resolve_image));
    std::sort(out.begin(), out.end(), [](const ContainerView& a, const ContainerView& b) { return a.created > b.created; });
    if (limit > 0 && out.size() > static_cast<std::size_t>(limit))
        out.resize(static_cast<std::size_t>(limit));
    return out;
}

} // namespace engine::daemon
