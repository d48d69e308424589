// FrameSlot (source.h).
#include "visualizer/sources/source.h"

namespace visualizer {

FrameSlot::FrameSlot()
{
    Frame empty;
    empty.snapshot = empty_snapshot();
    empty.status = "starting";
    m_frame = std::make_shared<const Frame>(std::move(empty));
}

std::shared_ptr<const Frame> FrameSlot::load() const
{
    std::lock_guard lock(m_mutex);
    return m_frame;
}

void FrameSlot::store(Frame frame)
{
    if (!frame.snapshot)
        frame.snapshot = empty_snapshot();
    std::lock_guard lock(m_mutex);
    frame.serial = ++m_serial;
    m_frame = std::make_shared<const Frame>(std::move(frame));
}

} // namespace visualizer
