// Socket set-up, the accept loop and the per-connection request loop (keep-alive: several
// requests in sequence on one connection, until the client closes it or asks to).
#include "engine/api/server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "engine/api/handlers/handlers.h"
#include "engine/base/log.h"

namespace engine::api {

Router make_router(daemon::Engine& engine)
{
    Router router;
    handlers::register_system_routes(router, engine);
    handlers::register_container_routes(router, engine);
    handlers::register_swarm_routes(router);
    handlers::register_stats_routes(router, engine);
    handlers::register_archive_routes(router, engine);
    handlers::register_exec_routes(router, engine);
    handlers::register_image_routes(router, engine);
    handlers::register_volume_routes(router, engine);
    handlers::register_network_routes(router, engine);
    handlers::register_glassbox_routes(router, engine);
    handlers::register_build_routes(router, engine);
    return router;
}

Server::Server(Router router)
    : m_router(std::move(router))
    , m_wake_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
}

Server::~Server()
{
    stop(0);
}

// True when a server accepts connections on the socket at `path`.
static bool socket_answers(const std::string& path)
{
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe.valid())
        return false;
    sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    return ::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

Result<void> Server::listen(const std::string& socket_path)
{
    sockaddr_un addr {};
    if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path)
        return Error::invalid("socket path \"" + socket_path + "\" is empty or longer than "
            + std::to_string(sizeof addr.sun_path - 1) + " bytes");

    // Replace a socket left by a crashed daemon, but never one that is alive, nor a file that is
    // not a socket.
    struct stat st { };
    if (::lstat(socket_path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return Error::invalid(socket_path + " exists and is not a socket");
        if (socket_answers(socket_path))
            return Error::conflict("another daemon is already listening on " + socket_path);
        if (::unlink(socket_path.c_str()) != 0 && errno != ENOENT)
            return Error::from_errno("remove stale socket " + socket_path, errno);
    }

    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return Error::from_errno("socket(AF_UNIX)", errno);
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Error::from_errno("bind " + socket_path, errno);
    // Owner and group only (the docker group convention); set before listen() so no one can
    // connect while the mode is still the umask's.
    if (::chmod(socket_path.c_str(), 0660) != 0) {
        int saved = errno;
        ::unlink(socket_path.c_str());
        return Error::from_errno("chmod 0660 " + socket_path, saved);
    }
    if (::listen(fd.get(), 128) != 0) {
        int saved = errno;
        ::unlink(socket_path.c_str());
        return Error::from_errno("listen " + socket_path, saved);
    }
    m_socket_path = socket_path;
    m_listen_fd = std::move(fd);
    return Ok {};
}

void Server::on_idle(std::chrono::milliseconds after, std::function<void()> hook)
{
    m_idle_after = after;
    m_idle_hook = std::move(hook);
}

int Server::idle_timeout_ms()
{
    if (!m_idle_hook || !m_busy_since_idle)
        return -1;
    std::chrono::milliseconds quiet_for { 0 };
    {
        std::lock_guard lock(m_mutex);
        // An open connection (a `wait` or `logs -f` stream, say) is not quiet; the last one to
        // close wakes serve() to start the count.
        if (!m_connections.empty())
            return -1;
        quiet_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - m_last_close);
    }
    if (quiet_for < m_idle_after)
        return static_cast<int>((m_idle_after - quiet_for).count()) + 1;
    m_busy_since_idle = false;
    m_idle_hook();
    return -1;
}

void Server::serve()
{
    while (!m_stopping.load()) {
        pollfd fds[2] = {
            { .fd = m_listen_fd.get(), .events = POLLIN, .revents = 0 },
            { .fd = m_wake_fd.get(), .events = POLLIN, .revents = 0 },
        };
        int n = ::poll(fds, 2, idle_timeout_ms());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log::error(std::string("poll on API socket: ") + std::strerror(errno));
            return;
        }
        if (fds[1].revents) {
            // stop() sets m_stopping before it writes; otherwise the last connection closed.
            std::uint64_t count = 0;
            [[maybe_unused]] auto drained = ::read(m_wake_fd.get(), &count, sizeof count);
            if (m_stopping.load())
                return;
            continue;
        }
        if (!(fds[0].revents & POLLIN))
            continue;
        int client = ::accept4(m_listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            // EMFILE and friends: back off briefly instead of spinning.
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        {
            std::lock_guard lock(m_mutex);
            m_connections.insert(client);
        }
        m_busy_since_idle = true;
        try {
            std::thread([this, client] { handle_connection(client); }).detach();
        } catch (const std::system_error&) {
            log::warn("cannot start a thread for a new API connection; closing it");
            std::lock_guard lock(m_mutex);
            m_connections.erase(client);
            ::close(client);
        }
    }
}

void Server::notify_stop()
{
    m_stopping.store(true);
    std::uint64_t one = 1;
    if (m_wake_fd.valid())
        [[maybe_unused]] auto ignored = ::write(m_wake_fd.get(), &one, sizeof one);
}

std::size_t Server::stop(int grace_ms)
{
    notify_stop();
    m_listen_fd.reset();
    std::unique_lock lock(m_mutex);
    // Wake every connection thread blocked in recv() or send(); they then close their fds.
    for (int fd : m_connections)
        ::shutdown(fd, SHUT_RDWR);
    m_idle.wait_for(lock, std::chrono::milliseconds(grace_ms), [this] { return m_connections.empty(); });
    return m_connections.size();
}

std::size_t Server::active_connections() const
{
    std::lock_guard lock(m_mutex);
    return m_connections.size();
}

void Server::handle_connection(int fd)
{
    std::string buffer;
    for (;;) {
        // Read until a whole request head is buffered. The head is parsed again only when a
        // blank line may have arrived, so a client sending one byte at a time costs linear
        // time, not quadratic; and it must finish the head within k_head_timeout_ms.
        Request request;
        std::size_t used = 0;
        bool closed = false;
        std::size_t searched = 0;
        auto head_started = std::chrono::steady_clock::now();
        bool head_begun = !buffer.empty();
        for (;;) {
            bool may_be_complete = buffer.find("\r\n\r\n", searched >= 3 ? searched - 3 : 0) != std::string::npos;
            if (may_be_complete || buffer.size() > k_max_head_bytes) {
                auto parsed = parse_request_head(buffer, request);
                if (!parsed.ok()) {
                    Exchange bad(fd, request, buffer);
                    request.headers["connection"] = "close";
                    bad.respond_json(400, { { "message", parsed.error().message() } });
                    closed = true;
                    break;
                }
                used = parsed.value();
                if (used > 0)
                    break;
            }
            searched = buffer.size();
            int wait_ms = k_idle_timeout_ms;
            if (head_begun) {
                auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - head_started);
                wait_ms = std::max<int>(0, k_head_timeout_ms - static_cast<int>(spent.count()));
            }
            pollfd pfd { .fd = fd, .events = POLLIN, .revents = 0 };
            int ready = ::poll(&pfd, 1, wait_ms);
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready == 0) {
                if (head_begun) {
                    Exchange slow(fd, request, buffer);
                    request.headers["connection"] = "close";
                    slow.respond_json(408, { { "message", "request head not complete after "
                        + std::to_string(k_head_timeout_ms / 1000) + " s" } });
                }
                closed = true; // An idle kept-alive connection just closes.
                break;
            }
            char chunk[16384];
            ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || m_stopping.load()) {
                closed = true;
                break;
            }
            if (!head_begun) {
                head_begun = true;
                head_started = std::chrono::steady_clock::now();
            }
            buffer.append(chunk, static_cast<size_t>(n));
        }
        if (closed)
            break;
        buffer.erase(0, used);

        Exchange exchange(fd, request, buffer);
        m_router.dispatch(exchange);
        if (exchange.streaming())
            exchange.end_stream();
        if (exchange.hijacked() || exchange.client_gone() || !request.keep_alive() || m_stopping.load())
            break;
        // A handler that ignored the body leaves it unread; skip it so the next request parses.
        if (!exchange.drain_body().ok())
            break;
    }
    // Erase and close under the lock, so a new connection that reuses the number is not erased
    // by mistake and stop() never shuts down a number that is already closed.
    std::lock_guard lock(m_mutex);
    m_connections.erase(fd);
    ::close(fd);
    m_last_close = std::chrono::steady_clock::now();
    if (m_connections.empty() && m_idle_hook) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto ignored = ::write(m_wake_fd.get(), &one, sizeof one);
    }
    m_idle.notify_all();
}

} // namespace engine::api
