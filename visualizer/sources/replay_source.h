// Replay source: a timeline file from `glassbox record` (engine/state/record.h), read and turned
// into one Frame per entry when it is opened (parsing and diffing happen once, up front), then
// played, paused, stepped forward and back, or sought with the slider. Each snapshot entry
// shows the diff from the previous snapshot; build events advance the build log, so a recorded
// build steps instruction by instruction. No daemon, no root.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/result.h"
#include "visualizer/sources/source.h"

namespace visualizer {

class ReplaySource final
    : public Source
    , public TimelineControl {
public:
    // Reads `path`. Fails with one message naming the file and what is wrong: missing, empty,
    // not JSON, not a timeline, another schema_version, truncated (last line cut off), or no
    // snapshot in it.
    static engine::Result<std::unique_ptr<ReplaySource>> open(const std::string& path);
    ~ReplaySource() override;
    ReplaySource(const ReplaySource&) = delete;
    ReplaySource& operator=(const ReplaySource&) = delete;

    // Starts the playback thread (stepping once per `interval_seconds` while playing).
    void start(double interval_seconds = 1.0);
    void stop();

    [[nodiscard]] std::shared_ptr<const Frame> latest() const override { return m_slot.load(); }
    [[nodiscard]] std::string label() const override { return "replay: " + m_path; }
    TimelineControl* timeline() override { return this; }

    [[nodiscard]] int size() const override { return static_cast<int>(m_frames.size()); }
    [[nodiscard]] int position() const override { return m_position.load(); }
    void seek(int position) override;
    [[nodiscard]] bool playing() const override { return m_playing.load(); }
    void set_playing(bool playing) override;
    [[nodiscard]] std::string describe(int position) const override;

    // The first entry at which the recorded build has finished step `step` (1-based), or -1.
    [[nodiscard]] int position_of_build_step(int step) const;

private:
    ReplaySource(std::string path, std::vector<Frame> frames, std::vector<std::string> descriptions);
    void run(double interval_seconds);

    std::string m_path;
    std::vector<Frame> m_frames;
    std::vector<std::string> m_descriptions;
    FrameSlot m_slot;
    std::atomic<int> m_position { 0 };
    std::atomic<bool> m_playing { false };
    std::atomic<bool> m_stop { false };
    std::mutex m_wait_mutex;
    std::condition_variable m_wait;
    std::thread m_thread;
};

} // namespace visualizer
