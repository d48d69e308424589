// How a Python call waits for the daemon without freezing the notebook. The blocking work (HTTP on
// the daemon's socket through api::Client) runs on a worker thread with no GIL; the Python thread
// waits for it in 50 ms slices, and between slices it takes the GIL to check for Ctrl-C / the
// notebook's interrupt (PyErr_CheckSignals) and the deadline. (Progress is not reported from here:
// builds and loads read their progress through a Stream, on the caller's own thread.) To give up,
// it cancels: every socket the worker opened (seen through Client's connect hook) is shut down,
// which wakes the worker's blocked recv(2), and the worker is joined before the call returns. No
// thread outlives its call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pybind11/pybind11.h>

#include "engine/api/client.h"
#include "engine/base/fd.h"
#include "python/bindings/errors.h"

namespace glassbox_py {

namespace py = pybind11;

// The sockets of one call, so another thread can cancel it.
class CancelToken {
public:
    // Keeps a dup of `fd` (the Client owns the original); shuts it down at once if already
    // cancelled.
    void adopt(int fd);
    // Shuts down every adopted socket (both directions). Later adoptions are shut down too.
    void cancel();
    [[nodiscard]] bool cancelled() const;

private:
    mutable std::mutex m_mutex;
    std::vector<engine::UniqueFd> m_fds;
    bool m_cancelled { false };
};

// Runs `body` on this thread with `token` as the thread's cancel token.
void run_with_token(CancelToken& token, const std::function<void()>& body);

// Makes `client` report each new connection to the token of the call running on that thread.
void install_connect_hook(engine::api::Client& client);

// What a worker shares with the Python thread that waits for it.
class CallState {
public:
    CancelToken token;

private:
    friend void supervise(CallState& state, std::thread& worker, std::optional<double> timeout,
        const std::string& what);
    friend class Worker;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_done { false };
};

// Runs `body` on a new thread with `state.token` as that thread's cancel token, then marks the
// state done.
class Worker {
public:
    Worker(CallState& state, std::function<void()> body);
    std::thread& thread() { return m_thread; }

private:
    std::thread m_thread;
};

// Waits (GIL released in slices) until the worker is done. Cancels and joins the worker, then
// raises, on Ctrl-C (KeyboardInterrupt, or whatever a Python signal handler raises) or when
// `timeout` seconds pass (glassbox.Timeout naming `what`). Needs the GIL.
void supervise(
    CallState& state, std::thread& worker, std::optional<double> timeout, const std::string& what);

// Runs `work` off the GIL under supervise() and unwraps its Result. Needs the GIL.
template<typename T, typename Work>
T run_blocking(const std::string& what, std::optional<double> timeout, Work&& work)
{
    CallState state;
    std::optional<engine::Result<T>> result;
    Worker worker(state, [&] { result.emplace(work(state)); });
    supervise(state, worker.thread(), timeout, what);
    return unwrap(std::move(*result));
}

} // namespace glassbox_py
