// Small helpers for Frame (frame.h).
#include "visualizer/frame.h"

#include <chrono>

namespace visualizer {

double monotonic_seconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::shared_ptr<const ChangeMarks> marks_for(const engine::state::Diff& diff)
{
    auto marks = std::make_shared<ChangeMarks>();
    marks->reserve(diff.changes.size());
    for (const auto& change : diff.changes)
        (*marks)[change.key] = change.type;
    return marks;
}

std::shared_ptr<const engine::state::Snapshot> empty_snapshot()
{
    static const auto empty = std::make_shared<const engine::state::Snapshot>();
    return empty;
}

} // namespace visualizer
