// Lesson panel: the learner's current lesson step beside the kernel state: its title and
// explanation, the commands to type, and each check over the current snapshot, passed or failed
// with what was found and a hint. The step view comes from engine/lesson's runner (the same one
// `glassbox lesson` uses), evaluated by the source on every new snapshot.
#pragma once

#include "visualizer/frame.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct LessonPanelState {
    bool show_answer { false };
};

// `lesson` may be null (lessons not available in this source).
void draw_lesson_panel(const LessonView* lesson, LessonPanelState& state, const PanelContext& context);

} // namespace visualizer
