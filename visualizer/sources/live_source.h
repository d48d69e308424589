// Live source: a background thread on the daemon's event stream
// (GET /glassbox/v1/events?snapshots=1 over the Unix socket, through api::Client). Each snapshot
// line is parsed and diffed against the previous one on that thread, build events extend the
// build log, and a new Frame is published; the UI redraws on change. When the daemon goes away
// the frame says "disconnected" and the thread retries every second until it is back. Never
// needs root and never touches the kernel: it only reads the socket.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "visualizer/sources/lesson_watch.h"
#include "visualizer/sources/source.h"

namespace visualizer {

class LiveSource final : public Source {
public:
    explicit LiveSource(std::string socket_path);
    ~LiveSource() override;
    LiveSource(const LiveSource&) = delete;
    LiveSource& operator=(const LiveSource&) = delete;

    // Starts the background thread.
    void start();
    // Stops it (within about a second: the daemon sends a tick each second while idle).
    void stop();

    [[nodiscard]] std::shared_ptr<const Frame> latest() const override { return m_slot.load(); }
    [[nodiscard]] std::string label() const override { return "live: " + m_socket_path; }

    // Feeds one events-stream line (already parsed). Public so tests can drive the source
    // without a daemon.
    void handle_line(const nlohmann::json& line);
    // Marks the source disconnected with `reason`.
    void set_disconnected(const std::string& reason);

private:
    void run();
    void publish();

    std::string m_socket_path;
    FrameSlot m_slot;
    std::thread m_thread;
    std::atomic<bool> m_stop { false };
    std::mutex m_wait_mutex;
    std::condition_variable m_wait;

    // Owned by the source thread (or the test calling handle_line).
    Frame m_frame;
    LessonWatch m_lessons;
};

} // namespace visualizer
