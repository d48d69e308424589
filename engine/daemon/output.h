// The output hub of one container: the pump thread hands it every chunk the container writes;
// the hub appends it to the json-file log (Docker's format: one {"log","stream","time"} object
// per line) and fans it out to attached clients and `logs -f` followers. Holding the hub lock
// while a follower reads the log file and subscribes means no line is lost or seen twice.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/daemon/engine.h"

namespace engine::daemon {

class OutputHub {
public:
    explicit OutputHub(std::string log_path);
    ~OutputHub();

    struct Subscriber {
        std::shared_ptr<OutputSink> sink;
        bool want_stdout { true };
        bool want_stderr { true };
        bool failed { false };
        bool done { false };
        std::mutex mutex;
        std::condition_variable cv;
        void finish();
        void wait();
    };

    // Appends to the log (if `log` is set) and delivers to every subscriber.
    void deliver(StreamKind stream, std::string_view data, bool log = true);
    // The current run's output has ended (the process exited and the pipes are drained).
    void end_of_run();
    std::shared_ptr<Subscriber> subscribe(std::shared_ptr<OutputSink> sink, bool want_stdout, bool want_stderr);
    void unsubscribe(const std::shared_ptr<Subscriber>& subscriber);

    // Replays the log with `options` to `sink`, then (with follow and `running`) subscribes
    // under the same lock so the live stream continues exactly where the file ended.
    std::shared_ptr<Subscriber> replay(const LogOptions& options, OutputSink& sink, bool subscribe_after,
        std::shared_ptr<OutputSink> live_sink);

    [[nodiscard]] const std::string& log_path() const { return m_log_path; }

private:
    void append_log(StreamKind stream, std::string_view line, std::chrono::system_clock::time_point when);

    std::string m_log_path;
    std::FILE* m_log { nullptr };
    std::mutex m_mutex;
    std::vector<std::shared_ptr<Subscriber>> m_subscribers;
};

} // namespace engine::daemon
