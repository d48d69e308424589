// Starting a container and watching it run: the overlay root, the network sandbox and the
// process (write_container_files, do_start), then supervision on the event loop (output pump,
// exit status, OOM kills, the restart policy, --rm) until after_exit records how it ended.
// Start and supervision share a file because after_exit undoes what do_start set up and a
// restart policy calls do_start again.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>
#include <utility>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/daemon/create_options.h"
#include "engine/daemon/background.h"
#include "engine/daemon/engine_internal.h"
#include "engine/daemon/recovery.h"
#include "engine/runtime/mount_propagation.h"
#include "engine/runtime/overlay.h"
#include "engine/state/collector.h"
#include "engine/volume/copy.h"

namespace engine::daemon {

using namespace std::chrono_literals;

Result<void> Engine::write_container_files(const std::shared_ptr<Container>& container)
{
    const auto& view = container->view;
    const auto& config = view.config;
    if (m_impl->networks) {
        network::ContainerFileOptions options;
        options.hostname = config.hostname;
        options.domainname = config.domainname;
        options.dns = config.dns;
        options.extra_hosts = config.extra_hosts;
        // Legacy links become /etc/hosts lines for the linked container's address, under the
        // alias and the name, as dockerd writes them on the default bridge.
        for (const auto& link : config.links) {
            auto colon = link.find(':');
            auto target = link.substr(0, colon);
            auto alias = colon == std::string::npos ? target : link.substr(colon + 1);
            auto linked = find_container(target);
            if (!linked.ok())
                continue;
            std::lock_guard lock(m_impl->mutex);
            const auto& endpoints = linked.value()->view.endpoints;
            if (endpoints.empty() || endpoints.front().ip_address.empty())
                continue;
            auto name = linked.value()->view.name;
            for (const auto& host : { alias, name })
                options.extra_hosts.push_back(host + ":" + endpoints.front().ip_address);
        }
        options.host_network = config.network_mode.is(NetworkMode::Kind::Host);
        auto files = TRY(m_impl->networks->write_container_files(view.id, options, container->dir));
        std::lock_guard lock(m_impl->mutex);
        container->view.hosts_path = files.hosts_path;
        container->view.resolv_conf_path = files.resolv_conf_path;
        container->view.hostname_path = files.hostname_path;
        return Ok {};
    }
    // Without a network manager: loopback names, the host's resolvers minus loopback ones.
    std::string hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    for (const auto& extra : config.extra_hosts) {
        auto colon = extra.find(':');
        if (colon != std::string::npos)
            hosts += extra.substr(colon + 1) + "\t" + extra.substr(0, colon) + "\n";
    }
    std::string resolv;
    if (!config.dns.empty()) {
        for (const auto& server : config.dns)
            resolv += "nameserver " + server + "\n";
    } else if (auto host = fs::read_file("/etc/resolv.conf"); host.ok()) {
        for (const auto& line : strings::split(host.value(), '\n'))
            if (!strings::starts_with(line, "nameserver 127.") && !line.empty())
                resolv += line + "\n";
    }
    // Written again from the record at every start, so atomic but not synced.
    TRY(fs::write_file_replace(view.hostname_path, config.hostname + "\n"));
    TRY(fs::write_file_replace(view.hosts_path, hosts));
    TRY(fs::write_file_replace(view.resolv_conf_path, resolv));
    return Ok {};
}

Result<void> Engine::start_container(const std::string& ref)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status == Status::Running)
            return Error::make(ErrorKind::NotModified, "container " + container->view.name + " is already running");
        if (status == Status::Removing || status == Status::Dead)
            return Error::conflict("container " + container->view.name + " is marked for removal and cannot be started");
        if (status == Status::Paused)
            return Error::conflict("cannot start a paused container, try unpause instead");
        container->view.state.stopped_by_user = false;
        container->restart_cancelled = false;
        container->backoff_ms = 0;
    }
    auto started = do_start(container);
    // --rm covers a container that never ran too, as Docker's daemon does.
    if (!started.ok() && container->view.config.auto_remove)
        (void)do_remove(container, true);
    return started;
}

Result<void> Engine::do_start(const std::shared_ptr<Container>& container)
{
    const auto id = container->view.id;
    auto fail = [&](Error error) -> Result<void> {
        {
            std::lock_guard lock(m_impl->mutex);
            container->view.state.error = error.describe();
            container->view.state.status = container->view.state.started_at == "0001-01-01T00:00:00Z" ? Status::Created : Status::Exited;
            container->view.state.exit_code = runtime::start_error_exit_code(error);
        }
        teardown_network(container);
        (void)runtime::unmount_rootfs(m_kernel, make_spec(*container, m_options));
        persist(*container);
        // Clients attached before start (docker run) get their stream closed, as dockerd does.
        container->hub->end_of_run();
        return error;
    };

    // The overlay root: the image's layers below, the container's own upper directory on top.
    if (!container->trace)
        container->trace = m_impl->traces.open(id);
    const auto& trace = container->trace;
    auto phase_began = PhaseTrace::Clock::now();
    auto spec = make_spec(*container, m_options);
    auto mounted = runtime::mount_rootfs(m_kernel, spec);
    if (!mounted.ok())
        return fail(mounted.release_error().with_context("mount the container's root filesystem"));
    phase_began = record_phase(trace, "overlay mount", phase_began);

    // A new empty volume is first filled from the image's content at its path, as Docker does;
    // the path is resolved inside the rootfs, where the image's symlinks cannot reach the host.
    for (auto& mount : container->recorded_mounts) {
        if (!mount.copy_up_pending)
            continue;
        auto copied = volume::copy_tree_in_root(spec.rootfs, mount.destination, mount.source);
        if (!copied.ok())
            log::warn("fill volume " + mount.name + " from the image: " + copied.error().describe());
        mount.copy_up_pending = false;
    }

    auto networked = setup_network(container);
    if (!networked.ok())
        return fail(networked.release_error());
    phase_began = record_phase(trace, "network namespace setup", phase_began);
    auto files = write_container_files(container);
    if (!files.ok())
        return fail(files.release_error().with_context("write /etc/hosts, /etc/resolv.conf, /etc/hostname"));
    phase_began = record_phase(trace, "hosts, resolv.conf, hostname", phase_began);

    spec = make_spec(*container, m_options);
    // PidMode container:<id>: that container's PID namespace exists only while it runs.
    if (container->view.config.pid_mode.is(PidMode::Kind::Container)) {
        auto target = container->view.config.pid_mode.container;
        auto other = find_container(target);
        if (!other.ok())
            return fail(Error::not_found("cannot join the PID namespace of container " + target + ": " + other.error().message()));
        Status status = Status::Created;
        int pid = 0;
        {
            std::lock_guard lock(m_impl->mutex);
            status = other.value()->view.state.status;
            pid = other.value()->view.state.pid;
        }
        // dockerd answers this with a 500 too.
        if ((status != Status::Running && status != Status::Paused) || pid <= 0)
            return fail(Error::system("cannot join the PID namespace of container " + target + ": container " + target + " is not running"));
        spec.pidns_path = "/proc/" + std::to_string(pid) + "/ns/pid";
    }
    // A shared or slave bind can only pass on what its source's host mount passes on.
    for (const auto& mount : spec.mounts) {
        auto checked = runtime::check_propagation_source(m_kernel, mount.source, mount.propagation);
        if (!checked.ok())
            return fail(checked.release_error());
    }
    auto started_result = m_options.start_process ? m_options.start_process(m_kernel, spec)
                                                  : runtime::start_container(m_kernel, spec);
    if (!started_result.ok())
        return fail(started_result.release_error());
    auto started = started_result.release_value();
    if (const auto& t = started.timings; trace && t.exec_seen.time_since_epoch().count() != 0) {
        auto cgroup_done = t.cgroup_created.time_since_epoch().count() != 0 ? t.cgroup_created : phase_began;
        trace->add("cgroup create", phase_began, cgroup_done);
        auto joined = t.namespaces_joined.time_since_epoch().count() != 0 ? t.namespaces_joined : cgroup_done;
        trace->add("fork, join cgroup and namespaces", cgroup_done, joined);
        trace->add("rootfs (pivot_root, /proc, /dev) and exec", joined, t.exec_seen);
        phase_began = t.exec_seen;
    } else {
        phase_began = record_phase(trace, "start process", phase_began);
    }

    int stdout_fd = started.stdout_fd.release();
    int stderr_fd = started.stderr_fd.release();
    int pty_fd = started.pty_master.valid() ? ::fcntl(started.pty_master.get(), F_DUPFD_CLOEXEC, 0) : -1;
    // Recorded so that a daemon restarted after a crash can re-adopt this very process and its
    // output pipes (recovery.h). A pty cannot be re-adopted: its master dies with the daemon.
    ProcessIdentity identity { process_start_time(m_kernel, started.pid).value_or(0), pipe_inode(stdout_fd),
        pipe_inode(stderr_fd) };
    {
        std::lock_guard lock(m_impl->mutex);
        auto& state = container->view.state;
        state.status = Status::Running;
        state.pid = started.pid;
        container->process = identity;
        state.exit_code = 0;
        state.oom_killed = false;
        state.error.clear();
        state.started_at = now_rfc3339();
        container->stdin_fd = started.stdin_fd.release();
        container->pty_master = started.pty_master.release();
        container->started_steady = std::chrono::steady_clock::now();
        container->view.cgroup_paths = runtime::Cgroup::for_name(spec.cgroup_name).paths();
        // Stdin that arrived before start (docker run -i sends it right after attach).
        int in = container->pty_master >= 0 ? container->pty_master : container->stdin_fd;
        if (in >= 0 && !container->pending_stdin.empty()) {
            auto data = std::move(container->pending_stdin);
            container->pending_stdin.clear();
            (void)fs::write_all(in, data, "container stdin");
        }
        if (container->pending_stdin_close && container->stdin_fd >= 0) {
            ::close(container->stdin_fd);
            container->stdin_fd = -1;
        }
        container->pending_stdin_close = false;
    }
    {
        std::lock_guard lock(container->wait->mutex);
        container->wait->running = true;
    }
    persist(*container);
    record_phase(trace, "record start", phase_began);
    publish({ "container", "start", id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    int pid = started.pid;
    if (!supervise_on_loop(container, pid, stdout_fd, stderr_fd, pty_fd, started.timings.exec_seen))
        spawn_thread([this, container, pid, stdout_fd, stderr_fd, pty_fd] { supervise(container, pid, stdout_fd, stderr_fd, pty_fd); });
    start_health_monitor(container);
    return Ok {};
}

// Hands the container's output and exit to the daemon's one event loop (supervisor.h): no
// thread waits for a running container. False if the kernel gives no exit notification (no
// pidfd), and the caller supervises on a thread of its own instead.
bool Engine::supervise_on_loop(const std::shared_ptr<Container>& container, int pid, int stdout_fd, int stderr_fd,
    int pty_fd, PhaseTrace::Clock::time_point exec_seen)
{
    auto exit_fd = m_kernel.exit_notification(pid);
    if (!exit_fd.ok())
        return false;
    auto* supervisor = &m_impl->supervisor_loop([this](std::function<void()> body) { spawn_thread(std::move(body)); });
    Supervisor::Process process;
    process.pid = pid;
    process.exit_fd = exit_fd.release_value();
    for (auto [fd, stream] : { std::pair { pty_fd, StreamKind::Stdout }, std::pair { stdout_fd, StreamKind::Stdout },
             std::pair { stderr_fd, StreamKind::Stderr } })
        if (fd >= 0)
            process.outputs.push_back({ fd, stream });
    process.deliver = [container](StreamKind stream, std::string_view data) { container->hub->deliver(stream, data); };
    process.reap = [this](pid_t exited) { return m_kernel.reap_exit(exited); };
    process.exited = [this, container, exec_seen](int exit_code, PhaseTrace::Clock::time_point exit_seen) {
        if (container->trace && exec_seen.time_since_epoch().count() != 0)
            container->trace->add("process runs (until the pidfd reports its exit)", exec_seen, exit_seen);
        record_phase(container->trace, "exit notification to teardown", exit_seen);
        after_exit(container, exit_code);
    };
    auto watched = supervisor->watch(std::move(process));
    if (!watched.ok()) {
        log::warn("supervise " + container->view.id + " on the event loop: " + watched.error().describe());
        return false;
    }
    return true;
}

void Engine::spawn_thread(std::function<void()> body)
{
    m_impl->threads++;
    std::thread([this, body = std::move(body)] {
        body();
        std::lock_guard lock(m_impl->threads_mutex);
        m_impl->threads--;
        m_impl->threads_cv.notify_all();
    }).detach();
}

// Reads the process's output until every stream has ended, handing each chunk to `deliver`.
// A pty master reports EIO once the last slave is closed, which is its end of file.
void pump_output(int stdout_fd, int stderr_fd, int pty_fd, const std::function<void(StreamKind, std::string_view)>& deliver)
{
    struct Source {
        int fd;
        StreamKind stream;
    };
    std::vector<Source> sources;
    if (pty_fd >= 0)
        sources.push_back({ pty_fd, StreamKind::Stdout });
    if (stdout_fd >= 0)
        sources.push_back({ stdout_fd, StreamKind::Stdout });
    if (stderr_fd >= 0)
        sources.push_back({ stderr_fd, StreamKind::Stderr });
    char buf[32768];
    while (!sources.empty()) {
        std::vector<pollfd> fds;
        for (const auto& source : sources)
            fds.push_back({ source.fd, POLLIN, 0 });
        int ready = ::poll(fds.data(), fds.size(), -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t i = fds.size(); i-- > 0;) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            auto n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                deliver(sources[i].stream, std::string_view(buf, static_cast<size_t>(n)));
                continue;
            }
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            ::close(sources[i].fd);
            sources.erase(sources.begin() + static_cast<long>(i));
        }
    }
}

void Engine::supervise(std::shared_ptr<Container> container, int pid, int stdout_fd, int stderr_fd, int pty_fd)
{
    pump_output(stdout_fd, stderr_fd, pty_fd,
        [&](StreamKind stream, std::string_view data) { container->hub->deliver(stream, data); });
    int exit_code = m_kernel.reap_exit(pid);
    after_exit(container, exit_code);
}

void Engine::after_exit(const std::shared_ptr<Container>& container, int exit_code)
{
    const auto id = container->view.id;
    auto teardown_began = PhaseTrace::Clock::now();
    auto spec = make_spec(*container, m_options);
    auto cgroup = runtime::Cgroup::for_name(spec.cgroup_name);
    bool oom = cgroup.stats(m_kernel).oom_kills > container->oom_kills_at_start;
    // An --rm container stopped by `restart` is started again, not removed (as dockerd does).
    bool restarting_by_hand = false;
    {
        std::lock_guard lock(m_impl->mutex);
        restarting_by_hand = std::exchange(container->restarting_by_hand, false);
    }
    const bool auto_remove = container->view.config.auto_remove && !restarting_by_hand;
    // PID 1 is gone, so the kernel has killed the rest of its PID namespace; make sure, then
    // remove the cgroup and the overlay mount.
    cgroup.kill_all(m_kernel);
    if (auto removed = cgroup.remove(m_kernel); !removed.ok())
        log::warn("remove cgroup of " + id + ": " + removed.error().describe());
    // The state collector keeps the mount and network namespaces it read open between snapshots;
    // with the container's processes gone, close its namespaces there too, so nothing holds its
    // mounts, links or addresses; once more after the network teardown, for a network namespace
    // it reached through the netns file teardown_network unmounts.
    state::release_unreachable_namespaces();
    teardown_network(container);
    state::release_unreachable_namespaces();
    if (auto_remove) {
        // Removed next: the overlay is detached and shut down in the background (background.h),
        // where its sync of the daemon's filesystem delays nobody (runtime::detach_rootfs).
        auto held = runtime::detach_rootfs(m_kernel, spec);
        if (!held.ok())
            log::warn("unmount root of " + id + ": " + held.error().describe());
        else if (held.value().valid())
            run_in_background([fd = held.value().release()] { ::close(fd); });
    } else if (auto unmounted = runtime::unmount_rootfs(m_kernel, spec); !unmounted.ok()) {
        log::warn("unmount root of " + id + ": " + unmounted.error().describe());
    }
    teardown_began = record_phase(container->trace, "teardown (cgroup, network, overlay)", teardown_began);

    // A container removed right below (--rm, which no restart policy accompanies) is marked for
    // removal at once, as dockerd does: a start between here and the removal would mount a new
    // overlay on the upper directory the detached one still uses.
    const auto& restart_policy = container->view.config.restart_policy.name;
    bool removed_next = auto_remove && (restart_policy.empty() || restart_policy == "no");
    bool stopped_by_user = false;
    {
        std::lock_guard lock(m_impl->mutex);
        auto& state = container->view.state;
        state.status = removed_next ? Status::Removing : Status::Exited;
        state.exit_code = exit_code;
        state.oom_killed = oom;
        state.pid = 0;
        state.finished_at = now_rfc3339();
        container->process = {};
        stopped_by_user = state.stopped_by_user;
        if (container->stdin_fd >= 0)
            ::close(container->stdin_fd);
        if (container->pty_master >= 0)
            ::close(container->pty_master);
        container->stdin_fd = -1;
        container->pty_master = -1;
    }
    // A container removed right below needs no record of its exit, only to have the record
    // deleted; should the removal fail, the record is written there.
    if (!removed_next)
        persist(*container);
    container->hub->end_of_run();
    if (oom)
        publish({ "container", "oom", id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    publish({ "container", "die", id,
        { { "exitCode", std::to_string(exit_code) }, { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    {
        std::lock_guard lock(container->wait->mutex);
        container->wait->exits++;
        container->wait->last_exit_code = exit_code;
        container->wait->running = false;
        container->wait->notify_locked();
    }
    record_phase(container->trace, "record exit, notify waiters", teardown_began);

    // Restart policy, with a back-off that doubles from 100 ms (reset after 10 s of running).
    const auto& policy = container->view.config.restart_policy;
    bool restart = false;
    if (!stopped_by_user && !m_impl->shutting_down) {
        if (policy.name == "always" || policy.name == "unless-stopped")
            restart = true;
        else if (policy.name == "on-failure")
            restart = exit_code != 0 && (policy.maximum_retry_count == 0 || container->view.state.restart_count < policy.maximum_retry_count);
    }
    if (restart) {
        auto ran = std::chrono::steady_clock::now() - container->started_steady;
        container->backoff_ms = ran > 10s ? 100 : std::min(std::max(100, container->backoff_ms * 2), 60000);
        {
            std::unique_lock lock(m_impl->mutex);
            container->view.state.status = Status::Restarting;
            container->restart_cv.wait_for(lock, std::chrono::milliseconds(container->backoff_ms),
                [&] { return container->restart_cancelled || m_impl->shutting_down.load(); });
            if (container->restart_cancelled || m_impl->shutting_down) {
                if (container->view.state.status == Status::Restarting)
                    container->view.state.status = Status::Exited;
                return;
            }
        }
        std::lock_guard op(container->op_mutex);
        {
            std::lock_guard lock(m_impl->mutex);
            if (container->restart_cancelled || container->view.state.status != Status::Restarting)
                return;
            container->view.state.restart_count++;
        }
        publish({ "container", "restart", id, { { "name", container->view.name } }, 0 });
        if (auto started = do_start(container); !started.ok())
            log::warn("restart " + container->view.name + ": " + started.error().describe());
        return;
    }
    if (auto_remove) {
        std::lock_guard op(container->op_mutex);
        if (auto removed = do_remove(container, true); !removed.ok()) {
            log::warn("auto-remove " + container->view.name + ": " + removed.error().describe());
            persist(*container);
        }
    }
}

} // namespace engine::daemon
