// Lesson panel: the place where a lesson's steps and their check results will be shown beside
// the kernel state. FIXME: engine/lesson has no plain-data step view (steps with check results)
// yet; once it has, this panel draws it (step list, current step text, each check's pass/fail
// with its message) from a LessonView the source publishes beside the snapshot.
#pragma once

#include "engine/state/snapshot.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct LessonPanelState { };

void draw_lesson_panel(const engine::state::Snapshot& snapshot, LessonPanelState& state,
    const PanelContext& context);

} // namespace visualizer
