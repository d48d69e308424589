// Signalling a running container: stop (its STOPSIGNAL, the grace period, then SIGKILL), kill,
// restart, pause and unpause (the cgroup freezer), and update of its resource limits. They
// share a file because each acts on a live container's process or cgroup, and a paused one
// must be thawed before a signal can take effect (thaw_for_exit).
// Lesson: lessons/05-pid1-signals/ (why `stop` of a PID 1 without a handler waits out the grace period).
#include <signal.h>

#include <chrono>

#include "engine/base/log.h"
#include "engine/daemon/container_update.h"
#include "engine/daemon/engine_internal.h"

namespace engine::daemon {

using namespace std::chrono_literals;

Result<void> Engine::stop_container(const std::string& ref, std::optional<int> timeout_seconds)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    return do_stop(container, timeout_seconds);
}

Result<void> Engine::do_stop(const std::shared_ptr<Container>& container, std::optional<int> timeout_seconds)
{
    int pid = 0;
    bool paused = false;
    std::string stop_signal;
    int timeout = 10;
    std::uint64_t exits_before = 0;
    {
        std::lock_guard lock(m_impl->mutex);
        auto& state = container->view.state;
        state.stopped_by_user = true;
        if (state.status == Status::Restarting) {
            container->restart_cancelled = true;
            container->restart_cv.notify_all();
            state.status = Status::Exited;
        }
        if (state.status != Status::Running && state.status != Status::Paused)
            return Error::make(ErrorKind::NotModified, "container " + container->view.name + " is not running");
        paused = state.status == Status::Paused;
        pid = state.pid;
        stop_signal = container->view.config.stop_signal.empty() ? "SIGTERM" : container->view.config.stop_signal;
        timeout = timeout_seconds.value_or(container->view.config.stop_timeout.value_or(10));
    }
    persist(*container);
    {
        std::lock_guard lock(container->wait->mutex);
        exits_before = container->wait->exits;
    }
    int signal = TRY(runtime::parse_signal(stop_signal));
    auto exited_within = [&](std::chrono::milliseconds limit) {
        std::unique_lock lock(container->wait->mutex);
        return container->wait->cv.wait_for(lock, limit, [&] { return container->wait->exits > exits_before; });
    };
    // The stop signal first. A PID 1 without a handler for it ignores it (the kernel does not
    // apply default actions to a namespace's init), so the grace period then runs out.
    publish({ "container", "kill", container->view.id, { { "signal", std::to_string(signal) }, { "name", container->view.name } }, 0 });
    (void)m_kernel.send_signal(pid, signal);
    // A paused container gets its stop signal queued, then is thawed to act on it (dockerd
    // does the same, so a handler in PID 1 still runs).
    if (paused)
        thaw_for_exit(container);
    // A negative timeout waits as long as it takes, as Docker's -t -1 does.
    auto grace = timeout < 0 ? std::chrono::milliseconds(std::chrono::hours(24 * 365)) : std::chrono::milliseconds(std::chrono::seconds(timeout));
    if (!exited_within(grace)) {
        (void)m_kernel.send_signal(pid, SIGKILL);
        publish({ "container", "kill", container->view.id, { { "signal", "9" }, { "name", container->view.name } }, 0 });
        if (!exited_within(30s))
            return Error::system("container " + container->view.name + " did not exit after SIGKILL");
    }
    publish({ "container", "stop", container->view.id, { { "name", container->view.name } }, 0 });
    return Ok {};
}

Result<void> Engine::restart_container(const std::string& ref, std::optional<int> timeout_seconds)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status == Status::Removing || status == Status::Dead)
            return Error::conflict("container " + container->view.name + " is marked for removal and cannot be restarted");
        container->restarting_by_hand = true;
    }
    auto stopped = do_stop(container, timeout_seconds);
    {
        // do_stop returns once after_exit has taken the flag; a container that was not running
        // had no exit to take it.
        std::lock_guard lock(m_impl->mutex);
        container->restarting_by_hand = false;
        // An --rm container that exited on its own just before (its after_exit took no flag)
        // is being removed: it is not started again over the overlay being let go.
        auto status = container->view.state.status;
        if (status == Status::Removing || status == Status::Dead)
            return Error::conflict("container " + container->view.name + " is marked for removal and cannot be restarted");
    }
    if (!stopped.ok() && stopped.error().kind() != ErrorKind::NotModified)
        return stopped;
    {
        std::lock_guard lock(m_impl->mutex);
        container->view.state.stopped_by_user = false;
        container->restart_cancelled = false;
    }
    auto started = do_start(container);
    if (!started.ok()) {
        // Its exit skipped the --rm removal for this start; a start that fails removes it, as a
        // failed `start` of an --rm container does.
        if (container->view.config.auto_remove)
            (void)do_remove(container, true);
        return started;
    }
    publish({ "container", "restart", container->view.id, { { "name", container->view.name } }, 0 });
    return Ok {};
}

Result<void> Engine::kill_container(const std::string& ref, const std::string& signal_name)
{
    auto container = TRY(find_container(ref));
    int signal = TRY(runtime::parse_signal(signal_name.empty() ? "SIGKILL" : signal_name));
    bool paused = false;
    std::uint64_t exits_before = 0;
    {
        std::lock_guard wait_lock(container->wait->mutex);
        exits_before = container->wait->exits;
    }
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status != Status::Running && status != Status::Paused)
            return Error::conflict("Cannot kill container: " + ref + ": Container " + container->view.id + " is not running");
        paused = status == Status::Paused;
        TRY_CTX(m_kernel.send_signal(container->view.state.pid, signal), "kill container " + container->view.name);
    }
    publish({ "container", "kill", container->view.id, { { "signal", std::to_string(signal) }, { "name", container->view.name } }, 0 });
    if (signal != SIGKILL)
        return Ok {};
    // SIGKILL: a paused container is thawed so the signal lands, and the answer waits until the
    // container is recorded as exited, as dockerd's does, so an inspect right after sees it.
    if (paused)
        thaw_for_exit(container);
    std::unique_lock wait_lock(container->wait->mutex);
    container->wait->cv.wait_for(wait_lock, 10s, [&] { return container->wait->exits > exits_before; });
    return Ok {};
}

void Engine::thaw_for_exit(const std::shared_ptr<Container>& container)
{
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + container->view.id);
    if (auto thawed = cgroup.thaw(m_kernel); !thawed.ok())
        log::warn("thaw " + container->view.name + " so it can exit: " + thawed.error().describe());
    std::lock_guard lock(m_impl->mutex);
    if (container->view.state.status == Status::Paused)
        container->view.state.status = Status::Running;
}

Result<void> Engine::pause_container(const std::string& ref)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status == Status::Paused)
            return Error::conflict("Container " + container->view.id + " is already paused");
        if (status != Status::Running)
            return Error::conflict("Container " + container->view.id + " is not running");
    }
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + container->view.id);
    TRY_CTX(cgroup.freeze(m_kernel), "pause container " + container->view.name);
    {
        std::lock_guard lock(m_impl->mutex);
        if (container->view.state.status == Status::Running)
            container->view.state.status = Status::Paused;
    }
    persist(*container);
    publish({ "container", "pause", container->view.id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    return Ok {};
}

Result<void> Engine::unpause_container(const std::string& ref)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    {
        std::lock_guard lock(m_impl->mutex);
        // dockerd answers this one with a 500 (a plain error, not a conflict); so does glassbox,
        // so clients that handle dockerd's answer handle this one.
        if (container->view.state.status != Status::Paused)
            return Error::system("Container " + container->view.id + " is not paused");
    }
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + container->view.id);
    TRY_CTX(cgroup.thaw(m_kernel), "unpause container " + container->view.name);
    {
        std::lock_guard lock(m_impl->mutex);
        if (container->view.state.status == Status::Paused)
            container->view.state.status = Status::Running;
    }
    persist(*container);
    publish({ "container", "unpause", container->view.id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    return Ok {};
}

Result<std::vector<std::string>> Engine::update_container(const std::string& ref, const ResourceUpdate& update)
{
    TRY(validate_update(update));
    if (update.cpuset_cpus && !update.cpuset_cpus->empty())
        TRY(check_cpuset(*update.cpuset_cpus));
    if (update.cpuset_mems && !update.cpuset_mems->empty())
        TRY(check_cpuset_mems(*update.cpuset_mems));
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + container->view.id);
    Container scratch; // The spec builder reads a Container; this one holds the candidate config.
    bool live = false;
    {
        std::lock_guard lock(m_impl->mutex);
        scratch.view = container->view;
        scratch.recorded_mounts = container->recorded_mounts;
        auto status = container->view.state.status;
        live = status == Status::Running || status == Status::Paused;
    }
    const ContainerConfig current = scratch.view.config;
    std::vector<std::string> warnings;
    auto next = TRY(merge_update(current, scratch.view.id, update, cgroup.has_blkio_weight(m_kernel), warnings));
    // The live cgroup first: if the kernel refuses a value, the old values are written back and
    // the record is left alone, so the cgroup and the stored HostConfig never disagree.
    if (live) {
        scratch.view.config = next;
        auto written = cgroup.update(m_kernel, make_spec(scratch, m_options).resources);
        if (!written.ok()) {
            scratch.view.config = current;
            (void)cgroup.update(m_kernel, make_spec(scratch, m_options).resources);
            return Error::system("Cannot update container " + scratch.view.id + ": " + written.error().describe());
        }
    }
    {
        std::lock_guard lock(m_impl->mutex);
        container->view.config = next;
    }
    persist(*container);
    publish({ "container", "update", scratch.view.id, { { "image", current.image.text }, { "name", scratch.view.name } }, 0 });
    return warnings;
}

} // namespace engine::daemon
