// Supervision of running processes on one event loop: a single thread epoll-waits on every
// container's output pipes (or pty) and on its exit notification (a pidfd), instead of a thread
// per container blocked in poll() and then waitpid(). The daemon's thread count then stays flat
// however many containers run.
//
// Output and the exit are handed to a per-process strand: a thread that exists only while
// there is something to deliver, so a slow attached client (a full socket) holds up its own
// container and never the loop. A strand that falls 1 MiB behind pauses reading that
// container's pipes until it catches up, so a container writing faster than its client reads
// blocks on its pipe, as it did with a thread of its own. `exited` runs on the same strand
// after the last byte of output, once every output has ended and the process was reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/daemon/output.h"

namespace engine::daemon {

class Supervisor {
public:
    struct Output {
        int fd { -1 }; // Taken over: closed at end of file.
        StreamKind stream { StreamKind::Stdout };
    };
    struct Process {
        pid_t pid { -1 };
        UniqueFd exit_fd;                 // Readable once the process has exited (a pidfd).
        std::vector<Output> outputs;
        std::function<void(StreamKind, std::string_view)> deliver;
        std::function<int(pid_t)> reap;   // Reaps the exited process; returns its exit code.
        // The exit code, and when the exit notification fired (for the phase trace).
        std::function<void(int exit_code, std::chrono::steady_clock::time_point exit_seen)> exited;
    };
    // Runs a strand's work on a thread (the Engine's spawn_thread, which counts its threads for
    // shutdown).
    using Spawn = std::function<void(std::function<void()>)>;

    explicit Supervisor(Spawn spawn);
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    Result<void> watch(Process process);
    // How many processes are watched now (for tests and the scale bound).
    size_t watched() const;

private:
    struct Watched;
    struct Source;

    void loop();
    void on_ready(const std::shared_ptr<Source>& source);
    void finish_if_done(const std::shared_ptr<Watched>& watched);
    void enqueue(const std::shared_ptr<Watched>& watched, std::function<void()> work, size_t bytes);
    void drain(const std::shared_ptr<Watched>& watched);
    void set_reading(Watched& watched, bool reading);

    Spawn m_spawn;
    UniqueFd m_epoll;
    UniqueFd m_wake;
    mutable std::mutex m_mutex;
    std::map<int, std::shared_ptr<Source>> m_sources; // fd -> what it belongs to
    size_t m_watched { 0 };
    std::thread m_thread;
};

} // namespace engine::daemon
