// One event loop for every running process's output and exit (supervisor.h).
// Kernel interfaces: epoll(7), eventfd(2), pidfd_open(2) (through sys::Kernel), pipe(7).
#include "engine/daemon/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>

#include "engine/base/log.h"

namespace engine::daemon {

namespace {

// A strand this far behind pauses reading its process's pipes; it resumes at half of it.
constexpr size_t k_backlog_limit = 1 << 20;

} // namespace

struct Supervisor::Watched {
    std::mutex mutex; // Guards everything below.
    pid_t pid { -1 };
    UniqueFd exit_fd;
    std::vector<Output> outputs; // fd is -1 once that stream ended.
    bool exited { false };
    bool finished { false };
    bool paused { false };
    std::function<void(StreamKind, std::string_view)> deliver;
    std::function<int(pid_t)> reap;
    std::function<void(int, std::chrono::steady_clock::time_point)> on_exit;
    std::chrono::steady_clock::time_point exit_seen;
    // The strand: work in order, run by one thread at a time.
    std::deque<std::pair<std::function<void()>, size_t>> queue;
    size_t queued_bytes { 0 };
    bool draining { false };
};

struct Supervisor::Source {
    std::shared_ptr<Watched> watched;
    int fd { -1 };
    bool is_exit { false };
    StreamKind stream { StreamKind::Stdout };
};

Supervisor::Supervisor(Spawn spawn)
    : m_spawn(std::move(spawn))
    , m_epoll(::epoll_create1(EPOLL_CLOEXEC))
    , m_wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
    if (!m_epoll.valid() || !m_wake.valid()) {
        log::error("supervisor: epoll or eventfd unavailable: " + std::string(std::strerror(errno)));
        return;
    }
    epoll_event event {};
    event.events = EPOLLIN;
    event.data.fd = m_wake.get();
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, m_wake.get(), &event);
    m_thread = std::thread([this] { loop(); });
}

Supervisor::~Supervisor()
{
    if (m_thread.joinable()) {
        std::uint64_t one = 1;
        (void)!::write(m_wake.get(), &one, sizeof one);
        m_thread.join();
    }
    std::lock_guard lock(m_mutex);
    for (auto& [fd, source] : m_sources) {
        if (!source->is_exit)
            ::close(fd);
    }
    m_sources.clear();
}

Result<void> Supervisor::watch(Process process)
{
    if (!m_thread.joinable())
        return Error::system("the supervisor's event loop is not running");
    if (!process.exit_fd.valid())
        return Error::invalid("supervise process " + std::to_string(process.pid) + ": no exit notification");
    auto watched = std::make_shared<Watched>();
    watched->pid = process.pid;
    watched->deliver = std::move(process.deliver);
    watched->reap = std::move(process.reap);
    watched->on_exit = std::move(process.exited);
    for (const auto& output : process.outputs) {
        if (output.fd < 0)
            continue;
        // Non-blocking, so a stale readiness report (the fd number reused after a close in
        // the same epoll batch) costs an EAGAIN, never a blocked loop.
        ::fcntl(output.fd, F_SETFL, ::fcntl(output.fd, F_GETFL) | O_NONBLOCK);
        watched->outputs.push_back(output);
    }
    int exit_fd = process.exit_fd.get();
    watched->exit_fd = std::move(process.exit_fd);

    std::lock_guard lock(m_mutex);
    auto add = [&](int fd, bool is_exit, StreamKind stream) {
        m_sources[fd] = std::make_shared<Source>(Source { watched, fd, is_exit, stream });
        epoll_event event {};
        event.events = EPOLLIN;
        event.data.fd = fd;
        if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event) != 0)
            log::error("supervisor: watch fd " + std::to_string(fd) + ": " + std::strerror(errno));
    };
    for (const auto& output : watched->outputs)
        add(output.fd, false, output.stream);
    add(exit_fd, true, StreamKind::Stdout);
    m_watched++;
    return Ok {};
}

size_t Supervisor::watched() const
{
    std::lock_guard lock(m_mutex);
    return m_watched;
}

void Supervisor::loop()
{
    std::array<epoll_event, 64> events {};
    for (;;) {
        int ready = ::epoll_wait(m_epoll.get(), events.data(), static_cast<int>(events.size()), -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            log::error("supervisor: epoll_wait: " + std::string(std::strerror(errno)));
            return;
        }
        for (int i = 0; i < ready; ++i) {
            int fd = events[static_cast<size_t>(i)].data.fd;
            if (fd == m_wake.get())
                return;
            std::shared_ptr<Source> source;
            {
                std::lock_guard lock(m_mutex);
                auto it = m_sources.find(fd);
                if (it == m_sources.end())
                    continue; // Closed earlier in this batch.
                source = it->second;
            }
            on_ready(source);
        }
    }
}

void Supervisor::on_ready(const std::shared_ptr<Source>& source)
{
    auto& watched = source->watched;
    auto forget = [&] {
        ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, source->fd, nullptr);
        std::lock_guard lock(m_mutex);
        m_sources.erase(source->fd);
    };
    if (source->is_exit) {
        // Only a real exit counts: this may be a stale report for a reused fd number.
        pollfd pfd { source->fd, POLLIN, 0 };
        if (::poll(&pfd, 1, 0) != 1)
            return;
        forget();
        {
            std::lock_guard lock(watched->mutex);
            watched->exited = true;
            watched->exit_seen = std::chrono::steady_clock::now();
            watched->exit_fd.reset();
        }
        finish_if_done(watched);
        return;
    }
    char buffer[32768];
    ssize_t got = ::read(source->fd, buffer, sizeof buffer);
    if (got > 0) {
        enqueue(watched,
            [watched, stream = source->stream, data = std::string(buffer, static_cast<size_t>(got))] {
                if (watched->deliver)
                    watched->deliver(stream, data);
            },
            static_cast<size_t>(got));
        return;
    }
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    // End of file (a pty master reports EIO once the last slave closed).
    forget();
    {
        std::lock_guard lock(watched->mutex);
        for (auto& output : watched->outputs) {
            if (output.fd == source->fd)
                output.fd = -1;
        }
        ::close(source->fd);
    }
    finish_if_done(watched);
}

void Supervisor::finish_if_done(const std::shared_ptr<Watched>& watched)
{
    {
        std::lock_guard lock(watched->mutex);
        if (watched->finished || !watched->exited)
            return;
        for (const auto& output : watched->outputs) {
            if (output.fd >= 0)
                return;
        }
        watched->finished = true;
    }
    // The process has exited, so reaping it does not block.
    int exit_code = watched->reap ? watched->reap(watched->pid) : -1;
    {
        std::lock_guard lock(m_mutex);
        m_watched--;
    }
    enqueue(watched, [watched, exit_code] {
        if (watched->on_exit)
            watched->on_exit(exit_code, watched->exit_seen);
    }, 0);
}

void Supervisor::enqueue(const std::shared_ptr<Watched>& watched, std::function<void()> work, size_t bytes)
{
    std::lock_guard lock(watched->mutex);
    watched->queue.emplace_back(std::move(work), bytes);
    watched->queued_bytes += bytes;
    if (watched->queued_bytes > k_backlog_limit && !watched->paused)
        set_reading(*watched, false);
    if (watched->draining)
        return;
    watched->draining = true;
    m_spawn([this, watched] { drain(watched); });
}

void Supervisor::drain(const std::shared_ptr<Watched>& watched)
{
    for (;;) {
        std::pair<std::function<void()>, size_t> item;
        {
            std::lock_guard lock(watched->mutex);
            if (watched->queue.empty()) {
                watched->draining = false;
                return;
            }
            item = std::move(watched->queue.front());
            watched->queue.pop_front();
        }
        item.first();
        std::lock_guard lock(watched->mutex);
        watched->queued_bytes -= item.second;
        if (watched->paused && watched->queued_bytes < k_backlog_limit / 2)
            set_reading(*watched, true);
    }
}

// With watched.mutex held, so no fd it names is closed meanwhile.
void Supervisor::set_reading(Watched& watched, bool reading)
{
    watched.paused = !reading;
    for (const auto& output : watched.outputs) {
        if (output.fd < 0)
            continue;
        epoll_event event {};
        event.events = reading ? std::uint32_t { EPOLLIN } : 0U;
        event.data.fd = output.fd;
        ::epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, output.fd, &event);
    }
}

} // namespace engine::daemon
