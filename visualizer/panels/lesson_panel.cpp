// Lesson panel (lesson_panel.h).
#include "visualizer/panels/lesson_panel.h"

namespace visualizer {

void draw_lesson_panel(const LessonView* lesson, LessonPanelState& state, const PanelContext& context)
{
    (void)state;
    if (!lesson) {
        ImGui::TextDisabled("Lessons are shown for a live daemon: start one with `glassbox lesson start NAME`.");
        return;
    }
    if (!lesson->error.empty()) {
        ImGui::TextWrapped("%s", lesson->error.c_str());
        return;
    }
    ImGui::Text("%s", lesson->lesson_title.c_str());
    if (lesson->finished) {
        ImGui::TextColored(ImVec4(0.4F, 0.9F, 0.4F, 1), "Lesson complete.");
        return;
    }
    ImGui::TextColored(ImVec4(1, 0.85F, 0.3F, 1), "Step %d of %d: %s", lesson->index + 1, lesson->count, lesson->step_title.c_str());
    ImGui::Separator();
    ImGui::TextWrapped("%s", lesson->explain.c_str());
    if (!lesson->commands.empty()) {
        ImGui::Spacing();
        ImGui::TextDisabled("type:");
        for (const auto& command : lesson->commands)
            ImGui::TextColored(ImVec4(0.6F, 0.85F, 1, 1), "  $ %s", command.c_str());
    }
    if (!lesson->question.empty()) {
        ImGui::Spacing();
        ImGui::TextWrapped("Question: %s", lesson->question.c_str());
    }
    ImGui::Spacing();
    ImGui::TextDisabled("checks over the current snapshot:");
    for (const auto& check : lesson->checks) {
        context.note("lesson-check", check.that, check.passed ? "passed" : "failed");
        ImGui::TextColored(check.passed ? ImVec4(0.4F, 0.9F, 0.4F, 1) : ImVec4(1, 0.45F, 0.4F, 1), "%s  %s",
            check.passed ? "PASS" : "FAIL", check.that.c_str());
        if (!check.passed) {
            if (!check.found.empty())
                ImGui::TextDisabled("      found: %s", check.found.c_str());
            if (!check.hint.empty())
                ImGui::TextDisabled("      hint: %s", check.hint.c_str());
        }
    }
    if (lesson->all_passed && !lesson->checks.empty())
        ImGui::TextColored(ImVec4(0.4F, 0.9F, 0.4F, 1), "All checks pass: `glassbox lesson next` moves on.");
}

} // namespace visualizer
