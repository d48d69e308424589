// Removing containers: remove (a force stop first when asked), rename and prune. They share a
// file because each changes the name table and the records on disk, which do_remove and
// rename keep consistent under the engine lock.
#include <cstdio>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/daemon/background.h"
#include "engine/daemon/engine_internal.h"

namespace engine::daemon {

Result<void> Engine::remove_container(const std::string& ref, bool force, bool remove_volumes)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    bool running = false;
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status == Status::Removing)
            return Error::conflict("removal of container " + container->view.name + " is already in progress");
        running = status == Status::Running || status == Status::Paused;
        if (status == Status::Paused && !force)
            return Error::conflict("You cannot remove a paused container " + container->view.id
                + ". Unpause and then stop the container before attempting removal or force remove");
        if (running && !force)
            return Error::conflict("You cannot remove a running container " + container->view.id
                + ". Stop the container before attempting removal or force remove");
        if (status == Status::Restarting) {
            container->restart_cancelled = true;
            container->restart_cv.notify_all();
        }
    }
    if (running) {
        auto stopped = do_stop(container, 0);
        if (!stopped.ok() && stopped.error().kind() != ErrorKind::NotModified)
            return stopped;
    }
    return do_remove(container, remove_volumes);
}

Result<void> Engine::do_remove(const std::shared_ptr<Container>& container, bool remove_volumes)
{
    const auto id = container->view.id;
    const auto removal_began = PhaseTrace::Clock::now();
    {
        std::lock_guard lock(m_impl->mutex);
        if (!m_impl->containers.contains(id))
            return Ok {}; // Already removed (by --rm racing a user's rm).
        container->view.state.status = Status::Removing;
    }
    auto spec = make_spec(*container, m_options);
    auto unmounted = runtime::unmount_rootfs(m_kernel, spec);
    teardown_network(container);
    if (m_impl->networks)
        (void)m_impl->networks->remove_sandbox(id);
    // Unlinking a container's files costs milliseconds its caller need not wait for (run --rm
    // waits for the removal). With nothing mounted in it any more, the directory is renamed into
    // <root>/tmp, which is gone from the containers at once, and deleted there in the background
    // (background.h); should the daemon stop first, its next start empties <root>/tmp
    // (reclaim_interrupted_work). Anything else is deleted in place, so a failure is reported.
    Result<void> removed = Ok {};
    auto aside = m_options.root + "/tmp/removed-" + id;
    if (unmounted.ok() && fs::make_dirs(m_options.root + "/tmp", 0700).ok()
        && ::rename(container->dir.c_str(), aside.c_str()) == 0) {
        run_in_background([aside] {
            if (auto gone = fs::remove_tree(aside); !gone.ok())
                log::warn("remove " + aside + ": " + gone.error().describe());
        });
    } else {
        removed = fs::remove_tree(container->dir);
    }
    if (!removed.ok()) {
        std::lock_guard lock(m_impl->mutex);
        container->view.state.status = Status::Dead;
        return removed.release_error().with_context("remove container " + container->view.name);
    }
    std::vector<std::string> exec_ids;
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->containers.erase(id);
        if (auto it = m_impl->names.find(container->view.name); it != m_impl->names.end() && it->second == id)
            m_impl->names.erase(it);
        for (const auto& exec_id : container->exec_ids)
            m_impl->execs.erase(exec_id);
    }
    if (remove_volumes) {
        // Anonymous volumes go with their container; named volumes are kept (Docker does the same).
        for (const auto& mount : container->recorded_mounts) {
            if (mount.type == "volume" && mount.anonymous) {
                if (volume_users(mount.name).empty() && m_volumes->remove(mount.name, true, "").ok())
                    publish({ "volume", "destroy", mount.name, { { "driver", "local" } }, 0 });
            }
        }
    }
    record_phase(container->trace, "removal", removal_began);
    publish({ "container", "destroy", id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    {
        std::lock_guard lock(container->wait->mutex);
        container->wait->removed = true;
        container->wait->notify_locked();
    }
    return Ok {};
}

Result<void> Engine::rename_container(const std::string& ref, const std::string& new_name_in)
{
    auto container = TRY(find_container(ref));
    auto new_name = new_name_in;
    if (!new_name.empty() && new_name[0] == '/')
        new_name = new_name.substr(1);
    if (!valid_container_name(new_name))
        return Error::invalid("Invalid container name (" + new_name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    std::string old_name;
    {
        std::lock_guard lock(m_impl->mutex);
        if (m_impl->names.contains(new_name))
            return Error::conflict("Conflict. The container name \"/" + new_name + "\" is already in use by container \""
                + m_impl->names[new_name] + "\". You have to remove (or rename) that container to be able to reuse that name.");
        old_name = container->view.name;
        m_impl->names.erase(old_name);
        m_impl->names[new_name] = container->view.id;
        container->view.name = new_name;
    }
    if (m_impl->networks)
        m_impl->networks->rename_container(container->view.id, new_name);
    persist(*container);
    publish({ "container", "rename", container->view.id, { { "oldName", "/" + old_name }, { "name", new_name } }, 0 });
    return Ok {};
}

Result<std::vector<std::string>> Engine::prune_containers(std::uint64_t& reclaimed)
{
    std::vector<std::shared_ptr<Container>> candidates;
    {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers)
            if (container->view.state.status == Status::Exited || container->view.state.status == Status::Created
                || container->view.state.status == Status::Dead)
                candidates.push_back(container);
    }
    std::vector<std::string> removed;
    reclaimed = 0;
    for (const auto& container : candidates) {
        auto size = fs::disk_usage(container->view.upper_dir);
        std::lock_guard op(container->op_mutex);
        if (do_remove(container, false).ok()) {
            removed.push_back(container->view.id);
            reclaimed += size;
        }
    }
    return removed;
}

} // namespace engine::daemon
