// A client connected to a container's streams: attach (stdin, stdout, stderr, with or without
// a TTY), logs (the stored output, then live output with -f) and TTY resize. They read the
// output hub the supervisor fills, which is why they are apart from start and stop.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/daemon/engine_internal.h"

namespace engine::daemon {

Result<Engine::Attachment> Engine::attach_container(const std::string& ref, bool stdin_stream, bool stdout_stream,
    bool stderr_stream, bool logs, std::shared_ptr<OutputSink> sink)
{
    auto container = TRY(find_container(ref));
    bool tty = false;
    {
        std::lock_guard lock(m_impl->mutex);
        tty = container->view.config.tty;
    }
    if (logs) {
        LogOptions options;
        options.stdout_stream = stdout_stream;
        options.stderr_stream = stderr_stream;
        container->hub->replay(options, *sink, false, nullptr);
    }
    auto subscriber = container->hub->subscribe(sink, stdout_stream, stderr_stream);
    Attachment attachment;
    attachment.tty = tty;
    Impl* impl = m_impl.get();
    attachment.write_stdin = [impl, container, stdin_stream](std::string_view data) {
        if (!stdin_stream)
            return;
        int fd = -1;
        {
            std::lock_guard lock(impl->mutex);
            int target = container->pty_master >= 0 ? container->pty_master : container->stdin_fd;
            if (container->view.state.status != Status::Running) {
                container->pending_stdin.append(data);
                return;
            }
            if (target < 0)
                return;
            fd = ::fcntl(target, F_DUPFD_CLOEXEC, 0);
        }
        if (fd < 0)
            return;
        // A failed write (the container closed its stdin) drops the rest of the data.
        (void)fs::write_all(fd, data, "container stdin");
        ::close(fd);
    };
    attachment.close_stdin = [impl, container, stdin_stream] {
        if (!stdin_stream)
            return;
        std::lock_guard lock(impl->mutex);
        // Without StdinOnce the container's stdin outlives the client (dockerd closes it only
        // for StdinOnce, so `docker run -di` then attach and leave keeps `cat` reading).
        if (!container->view.config.stdin_once)
            return;
        if (container->view.state.status != Status::Running) {
            container->pending_stdin_close = true;
            return;
        }
        if (container->stdin_fd >= 0) {
            ::close(container->stdin_fd);
            container->stdin_fd = -1;
        } else if (container->pty_master >= 0) {
            // With a TTY, end of input is the terminal's EOF character.
            char eot = 4;
            (void)!::write(container->pty_master, &eot, 1);
        }
    };
    attachment.wait_done = [subscriber] { subscriber->wait(); };
    attachment.detach = [container, subscriber] { container->hub->unsubscribe(subscriber); };
    return attachment;
}

namespace {
// Adds Docker's timestamp prefix to live output when `logs -t -f` asks for it.
class LiveLogSink final : public OutputSink {
public:
    LiveLogSink(OutputSink& target, bool timestamps)
        : m_target(target)
        , m_timestamps(timestamps)
    {
    }
    bool write(StreamKind stream, std::string_view data) override
    {
        if (!m_timestamps)
            return m_target.write(stream, data);
        auto prefix = strings::rfc3339_nano(std::chrono::system_clock::now()) + " ";
        return m_target.write(stream, prefix + std::string(data));
    }

private:
    OutputSink& m_target;
    bool m_timestamps;
};
}

Result<void> Engine::container_logs(const std::string& ref, const LogOptions& options, OutputSink& sink)
{
    auto container = TRY(find_container(ref));
    bool follow = false;
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        follow = options.follow && (status == Status::Running || status == Status::Restarting);
    }
    auto live = std::make_shared<LiveLogSink>(sink, options.timestamps);
    auto subscriber = container->hub->replay(options, sink, follow, live);
    if (subscriber) {
        // The container may have exited between the status check and the subscription; the
        // wait state tells, and end_of_run has then already passed us by.
        bool still_running = false;
        {
            std::lock_guard lock(container->wait->mutex);
            still_running = container->wait->running;
        }
        if (still_running)
            subscriber->wait();
        container->hub->unsubscribe(subscriber);
    }
    return Ok {};
}

Result<bool> Engine::container_is_tty(const std::string& ref) const
{
    auto container = TRY(find_container(ref));
    std::lock_guard lock(m_impl->mutex);
    return container->view.config.tty;
}

Result<void> Engine::resize_container(const std::string& ref, int height, int width)
{
    auto container = TRY(find_container(ref));
    std::lock_guard lock(m_impl->mutex);
    auto status = container->view.state.status;
    if (status != Status::Running && status != Status::Paused) // dockerd resizes a paused one too.
        return Error::conflict("Container " + container->view.id + " is not running");
    if (container->pty_master < 0)
        return Ok {};
    return runtime::resize_pty(container->pty_master, static_cast<std::uint16_t>(height), static_cast<std::uint16_t>(width));
}

} // namespace engine::daemon
