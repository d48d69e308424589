// The interface every snapshot source offers the UI: the newest Frame as
// an immutable shared pointer, taken once at the start of a frame, and a callback the source calls
// from its own thread when a new Frame is published, so the window redraws on change instead of
// polling. Sources do their parsing and diffing on their own threads.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "visualizer/app.h"
#include "visualizer/frame.h"

namespace visualizer {

class Source {
public:
    virtual ~Source() = default;
    // The newest frame; never null.
    [[nodiscard]] virtual std::shared_ptr<const Frame> latest() const = 0;
    // What the title bar shows: "live: /run/glassbox.sock", "replay: build.timeline".
    [[nodiscard]] virtual std::string label() const = 0;
    // Replay controls, or null for a live source.
    virtual TimelineControl* timeline() { return nullptr; }
    // Called (from any thread) after each publish. Set before start().
    void set_on_change(std::function<void()> on_change) { m_on_change = std::move(on_change); }

protected:
    void notify() const
    {
        if (m_on_change)
            m_on_change();
    }

private:
    std::function<void()> m_on_change;
};

// The latest-frame slot a source publishes into: a short lock around a pointer swap.
class FrameSlot {
public:
    FrameSlot();
    [[nodiscard]] std::shared_ptr<const Frame> load() const;
    // Stores `frame` with the next serial number.
    void store(Frame frame);

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const Frame> m_frame;
    std::uint64_t m_serial { 0 };
};

} // namespace visualizer
