// Lesson panel placeholder (lesson_panel.h).
#include "visualizer/panels/lesson_panel.h"

namespace visualizer {

void draw_lesson_panel(const engine::state::Snapshot& snapshot, LessonPanelState& state, const PanelContext& context)
{
    (void)state;
    (void)context;
    ImGui::TextWrapped("Lessons are run with `glassbox lesson` in a terminal; this panel will show the "
                       "current step and its checks once the lesson runner publishes a step view.");
    ImGui::TextDisabled("Snapshot generation %llu.", static_cast<unsigned long long>(snapshot.generation));
}

} // namespace visualizer
