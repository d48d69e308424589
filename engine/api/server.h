// The API server: listens on a Unix socket and serves each connection on its own thread, so long
// streams (attach, wait, logs -f, events) run beside short requests. Kernel interfaces: socket(2),
// bind(2) and listen(2) on AF_UNIX, accept4(2), poll(2), an eventfd(2) to stop the accept loop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "engine/api/router.h"
#include "engine/base/fd.h"
#include "engine/base/result.h"

namespace engine::daemon {
class Engine;
}

namespace engine::api {

// Every Docker API route (and glassbox's own) bound to `engine`.
Router make_router(daemon::Engine& engine);

class Server {
public:
    explicit Server(Router router);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Creates the socket at `socket_path` with mode 0660. An existing socket is replaced only
    // when nothing answers on it (a stale one from a crashed daemon); Conflict if a server is
    // listening there, InvalidArgument if the path is some other kind of file.
    Result<void> listen(const std::string& socket_path);
    // Accepts connections until stop() is called. Returns once the listening socket is closed.
    void serve();
    // Has serve() call `hook` on its own thread once the server has been quiet for `after`: no
    // connection open for that long, and at least one connection served since the last call.
    // glassboxd hands the memory its requests freed back to the kernel then. Set before serve().
    void on_idle(std::chrono::milliseconds after, std::function<void()> hook);
    // Stops accepting, shuts down open connections and waits up to `grace_ms` for their threads
    // to finish; returns how many were still running. Safe to call from any thread; the
    // signal-safe way is notify_stop().
    std::size_t stop(int grace_ms = 3000);
    // Async-signal-safe: wakes serve() so it returns. Call stop() afterwards.
    void notify_stop();
    [[nodiscard]] const std::string& socket_path() const { return m_socket_path; }
    [[nodiscard]] std::size_t active_connections() const;

private:
    void handle_connection(int fd);
    // serve()'s poll timeout: until the idle hook is due, or -1 (none due). Runs the hook when
    // it is due and the server is quiet.
    int idle_timeout_ms();

    Router m_router;
    std::string m_socket_path;
    UniqueFd m_listen_fd;
    UniqueFd m_wake_fd;
    mutable std::mutex m_mutex;
    std::condition_variable m_idle;
    std::set<int> m_connections;
    // When the last connection closed (under m_mutex).
    std::chrono::steady_clock::time_point m_last_close {};
    std::function<void()> m_idle_hook;
    std::chrono::milliseconds m_idle_after { 0 };
    // serve()'s thread only: a connection was accepted since the idle hook last ran.
    bool m_busy_since_idle { false };
    std::atomic<bool> m_stopping { false };
};

} // namespace engine::api
