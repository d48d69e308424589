// `exec`: a second process in a running container's namespaces and cgroup, with its own
// stdio (pipes, or a pty with -t) streamed to the client that started it.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/daemon/engine_internal.h"
#include "engine/runtime/seccomp.h"

namespace engine::daemon {

void pump_output(int stdout_fd, int stderr_fd, int pty_fd, const std::function<void(StreamKind, std::string_view)>& deliver);

Result<std::string> Engine::exec_create(const std::string& container_ref, ExecConfig config)
{
    auto container = TRY(find_container(container_ref));
    if (config.cmd.empty())
        return Error::invalid("No exec command specified");
    auto record = std::make_shared<ExecRecord>();
    record->view.id = strings::random_hex_id();
    record->view.container_id = container->view.id;
    record->view.config = std::move(config);
    std::lock_guard lock(m_impl->mutex);
    if (container->view.state.status == Status::Paused)
        return Error::conflict("Container " + container_ref + " is paused, unpause the container before exec");
    if (container->view.state.status != Status::Running)
        return Error::conflict("Container " + container->view.id + " is not running");
    m_impl->execs[record->view.id] = record;
    container->exec_ids.insert(record->view.id);
    return record->view.id;
}

Result<Engine::Attachment> Engine::exec_start(const std::string& exec_id, bool detach, std::shared_ptr<OutputSink> sink)
{
    std::shared_ptr<ExecRecord> record;
    {
        std::lock_guard lock(m_impl->mutex);
        auto it = m_impl->execs.find(exec_id);
        if (it == m_impl->execs.end())
            return Error::not_found("No such exec instance: " + exec_id);
        record = it->second;
    }
    auto container = TRY(find_container(record->view.container_id));
    runtime::ProcessSpec process;
    int container_pid = 0;
    runtime::ContainerSpec spec;
    {
        std::lock_guard lock(m_impl->mutex);
        if (record->view.running || record->view.exited)
            return Error::conflict("exec " + exec_id + " has already been started");
        if (container->view.state.status != Status::Running)
            return Error::conflict("Container " + container->view.id + " is not running");
        container_pid = container->view.state.pid;
        const auto& config = record->view.config;
        const auto& cconfig = container->view.config;
        process.args = config.cmd;
        process.env = cconfig.env;
        if (std::none_of(process.env.begin(), process.env.end(), [](const std::string& e) { return strings::starts_with(e, "PATH="); }))
            process.env.insert(process.env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (const auto& entry : config.env) {
            auto key = entry.substr(0, entry.find('='));
            std::erase_if(process.env, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
            process.env.push_back(entry);
        }
        if (config.tty && std::none_of(process.env.begin(), process.env.end(), [](const std::string& e) { return strings::starts_with(e, "TERM="); }))
            process.env.push_back("TERM=xterm");
        process.cwd = !config.working_dir.empty() ? config.working_dir : (cconfig.working_dir.empty() ? "/" : cconfig.working_dir);
        process.user = config.user.empty() ? cconfig.user : config.user;
        process.tty = config.tty;
        process.open_stdin = config.attach_stdin;
        if (config.console_size.size() == 2) {
            process.console_rows = config.console_size[0];
            process.console_cols = config.console_size[1];
        }
        // The container's own set (its --cap-add/--cap-drop apply to exec too); exec --privileged widens it.
        process.capabilities = config.privileged ? runtime::all_capabilities() : effective_capabilities(cconfig);
        spec.id = container->view.id;
        spec.cgroup_name = "glassbox/" + container->view.id;
        spec.rootfs = container->view.rootfs;
        spec.privileged = cconfig.privileged;
        // The container's filter, unless this exec is --privileged (as under Docker).
        spec.seccomp_profile_json = runtime::seccomp_profile_for(cconfig.privileged || config.privileged, cconfig.security_opt);
        spec.process = process;
        // glassbox-init forks every exec'd process (runtime::exec_in_container).
        spec.init_path = m_options.init_path;
    }
    auto started = TRY(m_options.exec_process ? m_options.exec_process(m_kernel, spec, container_pid, process)
                                              : runtime::exec_in_container(m_kernel, spec, container_pid, process));
    {
        std::lock_guard lock(m_impl->mutex);
        record->view.running = true;
        record->view.pid = started.pid;
        record->stdin_fd = started.stdin_fd.release();
        record->pty_master = started.pty_master.valid() ? started.pty_master.release() : -1;
        record->sink = sink;
    }
    publish({ "container", "exec_start: " + strings::join(record->view.config.cmd, " "), container->view.id,
        { { "execID", exec_id }, { "name", container->view.name } }, 0 });

    // `done` once the process has exited; `left` once the client detached (the process runs on
    // and its output is drained and dropped).
    struct Done {
        std::mutex mutex;
        std::condition_variable cv;
        bool done { false };
        bool left { false };
    };
    auto done = std::make_shared<Done>();
    int stdout_fd = started.stdout_fd.release();
    int stderr_fd = started.stderr_fd.release();
    int pty_fd = record->pty_master >= 0 ? ::fcntl(record->pty_master, F_DUPFD_CLOEXEC, 0) : -1;
    int pid = started.pid;
    Impl* impl = m_impl.get();
    // Only the streams the exec was created to attach go to the client, as dockerd does (a TTY
    // has one stream, reported as stdout).
    bool want_stdout = record->view.config.attach_stdout || record->view.config.tty;
    bool want_stderr = record->view.config.attach_stderr;
    spawn_thread([this, impl, record, container, sink, detach, stdout_fd, stderr_fd, pty_fd, pid, done, exec_id,
                     want_stdout, want_stderr] {
        bool sink_ok = true;
        pump_output(stdout_fd, stderr_fd, pty_fd, [&](StreamKind stream, std::string_view data) {
            if (detach || !sink || !sink_ok)
                return;
            if ((stream == StreamKind::Stdout && !want_stdout) || (stream == StreamKind::Stderr && !want_stderr))
                return;
            sink_ok = sink->write(stream, data);
        });
        int exit_code = m_kernel.reap_exit(pid);
        {
            std::lock_guard lock(impl->mutex);
            record->view.running = false;
            record->view.exited = true;
            record->view.exit_code = exit_code;
            if (record->stdin_fd >= 0)
                ::close(record->stdin_fd);
            if (record->pty_master >= 0)
                ::close(record->pty_master);
            record->stdin_fd = -1;
            record->pty_master = -1;
        }
        publish({ "container", "exec_die", container->view.id,
            { { "execID", exec_id }, { "exitCode", std::to_string(exit_code) }, { "name", container->view.name } }, 0 });
        std::lock_guard lock(done->mutex);
        done->done = true;
        done->cv.notify_all();
    });

    Attachment attachment;
    attachment.tty = record->view.config.tty;
    attachment.write_stdin = [impl, record](std::string_view data) {
        int fd = -1;
        {
            std::lock_guard lock(impl->mutex);
            int target = record->pty_master >= 0 ? record->pty_master : record->stdin_fd;
            if (target < 0)
                return;
            fd = ::fcntl(target, F_DUPFD_CLOEXEC, 0);
        }
        if (fd < 0)
            return;
        // A failed write (the process closed its stdin) drops the rest of the data.
        (void)fs::write_all(fd, data, "exec stdin");
        ::close(fd);
    };
    attachment.close_stdin = [impl, record] {
        std::lock_guard lock(impl->mutex);
        if (record->stdin_fd >= 0) {
            ::close(record->stdin_fd);
            record->stdin_fd = -1;
        } else if (record->pty_master >= 0) {
            char eot = 4;
            (void)!::write(record->pty_master, &eot, 1);
        }
    };
    attachment.wait_done = [done] {
        std::unique_lock lock(done->mutex);
        done->cv.wait(lock, [&] { return done->done || done->left; });
    };
    attachment.detach = [this, done, container, exec_id] {
        {
            std::lock_guard lock(done->mutex);
            if (done->done)
                return;
            done->left = true;
            done->cv.notify_all();
        }
        publish({ "container", "exec_detach", container->view.id, { { "execID", exec_id }, { "name", container->view.name } }, 0 });
    };
    return attachment;
}

Result<ExecView> Engine::exec_inspect(const std::string& exec_id) const
{
    std::lock_guard lock(m_impl->mutex);
    auto it = m_impl->execs.find(exec_id);
    if (it == m_impl->execs.end())
        return Error::not_found("No such exec instance: " + exec_id);
    return it->second->view;
}

Result<void> Engine::exec_resize(const std::string& exec_id, int height, int width)
{
    // dockerd waits up to 10 s for an exec that was created but not started yet, then answers
    // 500; an exec that has ended is a 404 "no such exec" (the runtime no longer has the process).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        {
            std::lock_guard lock(m_impl->mutex);
            auto it = m_impl->execs.find(exec_id);
            if (it == m_impl->execs.end())
                return Error::not_found("No such exec instance: " + exec_id);
            const auto& record = *it->second;
            if (record.view.exited)
                return Error::not_found("no such exec");
            if (record.view.running) {
                if (record.pty_master < 0)
                    return Ok {};
                return runtime::resize_pty(record.pty_master, static_cast<std::uint16_t>(height), static_cast<std::uint16_t>(width));
            }
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return Error::system("timeout waiting for exec session ready");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace engine::daemon
