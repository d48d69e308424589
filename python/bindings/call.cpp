// The worker/supervisor pair behind every blocking call (see call.h). Why shutdown(2) and not
// close(2): closing an fd another thread is blocked on does not wake it on Linux, and the number
// could be reused at once; shutdown on our own dup of the socket ends the recv with EOF and the fd
// stays ours until the token is destroyed.
#include "python/bindings/call.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cmath>
#include <sstream>

namespace glassbox_py {

namespace {

thread_local CancelToken* t_token = nullptr;

constexpr auto k_slice = std::chrono::milliseconds(50);

} // namespace

void CancelToken::adopt(int fd)
{
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0)
        return;
    std::lock_guard lock(m_mutex);
    if (m_cancelled)
        ::shutdown(copy, SHUT_RDWR);
    m_fds.emplace_back(copy);
}

void CancelToken::cancel()
{
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
    for (const auto& fd : m_fds)
        ::shutdown(fd.get(), SHUT_RDWR);
}

bool CancelToken::cancelled() const
{
    std::lock_guard lock(m_mutex);
    return m_cancelled;
}

void run_with_token(CancelToken& token, const std::function<void()>& body)
{
    CancelToken* previous = std::exchange(t_token, &token);
    body();
    t_token = previous;
}

void install_connect_hook(engine::api::Client& client)
{
    client.set_connect_hook([](int fd) {
        if (t_token != nullptr)
            t_token->adopt(fd);
    });
}

Worker::Worker(CallState& state, std::function<void()> body)
    : m_thread([&state, body = std::move(body)] {
        run_with_token(state.token, body);
        {
            std::lock_guard lock(state.m_mutex);
            state.m_done = true;
        }
        state.m_changed.notify_all();
    })
{
}

namespace {

void cancel_and_join(CancelToken& token, std::thread& worker)
{
    token.cancel();
    py::gil_scoped_release release;
    if (worker.joinable())
        worker.join();
}

std::string seconds_text(double seconds)
{
    std::ostringstream out;
    out << seconds;
    return out.str();
}

} // namespace

void supervise(
    CallState& state, std::thread& worker, std::optional<double> timeout, const std::string& what)
{
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (timeout) {
        if (std::isnan(*timeout) || *timeout < 0) {
            cancel_and_join(state.token, worker);
            raise_error("InvalidArgument",
                "timeout must be a number of seconds >= 0 or None, got " + seconds_text(*timeout));
        }
        deadline = std::chrono::steady_clock::now()
            + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(*timeout));
    }
    for (;;) {
        bool done = false;
        {
            py::gil_scoped_release release;
            std::unique_lock lock(state.m_mutex);
            state.m_changed.wait_for(lock, k_slice, [&] { return state.m_done; });
            done = state.m_done;
        }
        if (done) {
            py::gil_scoped_release release;
            worker.join();
            return;
        }
        if (PyErr_CheckSignals() != 0) {
            cancel_and_join(state.token, worker);
            throw py::error_already_set();
        }
        if (deadline && std::chrono::steady_clock::now() >= *deadline) {
            cancel_and_join(state.token, worker);
            raise_error(
                "Timeout", what + " did not finish within " + seconds_text(*timeout) + " s");
        }
    }
}

} // namespace glassbox_py
