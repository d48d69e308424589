// `wait` for a poll loop: an eventfd per waiter, written when the container exits or is
// removed (WaitState::notify_locked), instead of a thread blocked per wait. The docker CLI
// registers a next-exit wait before every start, `run -d` included, and drops it afterwards; a
// blocked thread per such wait would stay until the container exited. The blocking form
// (wait_container) is here too: it is the same registration, waited on by its caller's thread.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "engine/daemon/engine_internal.h"

namespace engine::daemon {

Result<Engine::PollableWait> Engine::wait_container_pollable(const std::string& ref, const std::string& condition)
{
    auto container = TRY(find_container(ref));
    auto state = container->wait;
    std::string mode = condition.empty() ? "not-running" : condition;
    if (mode != "not-running" && mode != "next-exit" && mode != "removed")
        return Error::invalid("invalid condition: \"" + condition + "\" (use not-running, next-exit or removed)");
    auto wake = std::make_shared<UniqueFd>(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake->valid())
        return Error::from_errno("eventfd for wait", errno);
    std::uint64_t exits_at_registration = 0;
    bool running = false;
    int last_code = 0;
    {
        std::lock_guard lock(state->mutex);
        exits_at_registration = state->exits;
        running = state->running;
        last_code = state->last_exit_code;
        state->wake_fds.push_back(wake);
    }
    {
        std::lock_guard lock(m_impl->mutex);
        if (container->view.state.status == Status::Restarting)
            running = true;
        if (!running)
            last_code = container->view.state.exit_code;
    }
    PollableWait wait;
    wait.wake = wake;
    if (mode == "not-running" && !running) {
        wait.ready = [last_code]() -> std::optional<WaitResult> { return WaitResult { last_code, "" }; };
        return wait;
    }
    wait.ready = [state, mode, exits_at_registration]() -> std::optional<WaitResult> {
        std::lock_guard lock(state->mutex);
        bool met = mode == "removed" ? state->removed : state->exits > exits_at_registration || state->removed;
        if (!met)
            return std::nullopt;
        return WaitResult { state->last_exit_code, "" };
    };
    return wait;
}

Result<std::function<WaitResult()>> Engine::wait_container(const std::string& ref, const std::string& condition)
{
    // The blocking form of wait_container_pollable (above): the same registration, then this
    // caller's thread sleeps on the waiter's eventfd instead of a poll loop.
    auto wait = TRY(wait_container_pollable(ref, condition));
    return std::function<WaitResult()>([wait] {
        for (;;) {
            if (auto result = wait.ready())
                return *result;
            pollfd ready { wait.wake->get(), POLLIN, 0 };
            if (::poll(&ready, 1, -1) > 0) {
                std::uint64_t count = 0;
                [[maybe_unused]] auto drained = ::read(wait.wake->get(), &count, sizeof count);
            }
        }
    });
}

} // namespace engine::daemon
