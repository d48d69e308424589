// How the owner of a thread that waits in poll(2) tells it to end: an eventfd, polled next to the
// thread's own descriptors, that the owner writes once before it joins the thread. PollThread
// is the pair (the thread and its signal). Used by the embedded DNS server and the userland port
// proxy.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <thread>

#include "engine/base/fd.h"
#include "engine/base/result.h"

namespace engine {

class StopSignal {
public:
    Result<void> open()
    {
        m_fd.reset(::eventfd(0, EFD_CLOEXEC));
        if (!m_fd.valid())
            return Error::from_errno("eventfd", errno);
        return Ok {};
    }
    // Wakes every poll on fd() for good. Harmless when open() was never called or failed.
    void fire()
    {
        std::uint64_t one = 1;
        if (m_fd.valid())
            (void)!::write(m_fd.get(), &one, sizeof one);
    }
    // The descriptor to poll for POLLIN.
    [[nodiscard]] int fd() const { return m_fd.get(); }

private:
    UniqueFd m_fd;
};

// A thread running a poll loop that also polls stop_fd(); stop() (and the destructor) fires the
// signal and joins the thread.
class PollThread {
public:
    PollThread() = default;
    PollThread(const PollThread&) = delete;
    PollThread& operator=(const PollThread&) = delete;
    ~PollThread() { stop(); }

    Result<void> start(std::function<void()> body)
    {
        TRY(m_signal.open());
        m_thread = std::thread(std::move(body));
        return Ok {};
    }
    void stop()
    {
        m_signal.fire();
        if (m_thread.joinable())
            m_thread.join();
    }
    [[nodiscard]] int stop_fd() const { return m_signal.fd(); }

private:
    StopSignal m_signal;
    std::thread m_thread;
};

} // namespace engine
