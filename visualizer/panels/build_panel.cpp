// Build panel (build_panel.h).
#include "visualizer/panels/build_panel.h"

#include <sstream>
#include <string>
#include <vector>

#include "visualizer/widgets/badges.h"

namespace visualizer {

void draw_build_panel(const BuildLog* build, BuildPanelState& state, const PanelContext& context)
{
    if (!build) {
        ImGui::TextDisabled("No build seen yet. Run: glassbox build -t demo DIR (or docker build) while this window is open.");
        return;
    }
    const BuildStep* current = nullptr;
    for (const auto& step : build->steps) {
        if (state.selected_step == 0 || step.step == state.selected_step)
            current = &step;
    }
    if (build->finished)
        ImGui::TextColored(build->failed ? ImVec4(1, 0.4F, 0.4F, 1) : ImVec4(0.4F, 0.9F, 0.4F, 1), "%s: %s",
            build->failed ? "failed" : "built", build->result.c_str());
    else
        ImGui::TextColored(ImVec4(0.9F, 0.8F, 0.3F, 1), "building... %zu steps done", build->steps.size());
    ImGui::SameLine();
    if (ImGui::SmallButton("follow newest"))
        state.selected_step = 0;

    // [SECTION] The Dockerfile, current line marked.
    float half = ImGui::GetContentRegionAvail().x * 0.45F;
    ImGui::BeginChild("dockerfile", ImVec2(half, 0), true, ImGuiWindowFlags_HorizontalScrollbar);
    std::istringstream lines(build->dockerfile);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        bool marked = current && current->line == number;
        context.note("dockerfile-line", std::to_string(number), marked ? "current" : "");
        if (marked)
            ImGui::TextColored(ImVec4(1, 0.9F, 0.2F, 1), "%3d > %s", number, line.c_str());
        else
            ImGui::Text("%3d   %s", number, line.c_str());
        if (marked && state.selected_step != 0)
            ImGui::SetScrollHereY(0.5F);
    }
    ImGui::EndChild();
    ImGui::SameLine();

    // [SECTION] Steps and the selected step's changes.
    ImGui::BeginChild("steps", ImVec2(0, 0), true);
    if (ImGui::BeginTable("steps", 5, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchProp | ImGuiTableFlags_RowBg)) {
        ImGui::TableSetupColumn("step", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 3);
        ImGui::TableSetupColumn("instruction");
        ImGui::TableSetupColumn("cache", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 3);
        ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 7);
        ImGui::TableSetupColumn("size", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 5);
        ImGui::TableHeadersRow();
        for (const auto& step : build->steps) {
            context.note("build-step", std::to_string(step.step), step.cache);
            ImGui::TableNextRow();
            if (&step == current)
                ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(120, 110, 20, 120));
            ImGui::TableNextColumn();
            char label[32];
            std::snprintf(label, sizeof label, "%d/%d", step.step, step.total);
            if (ImGui::Selectable(label, &step == current, ImGuiSelectableFlags_SpanAllColumns))
                state.selected_step = step.step;
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(step.instruction.c_str());
            ImGui::TableNextColumn();
            if (step.cache == "hit")
                ImGui::TextColored(ImVec4(0.4F, 0.9F, 0.4F, 1), "hit");
            else if (step.cache == "miss")
                ImGui::TextColored(ImVec4(1, 0.6F, 0.3F, 1), "miss");
            else
                ImGui::TextDisabled("-");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(step.layer_id.empty() ? "(no layer)" : short_id(step.layer_id).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(step.layer_id.empty() ? "" : format_bytes(step.size).c_str());
        }
        ImGui::EndTable();
    }
    if (current) {
        ImGui::Separator();
        ImGui::Text("Step %d: %s", current->step, current->instruction.c_str());
        if (current->changes.empty()) {
            ImGui::TextDisabled(current->layer_id.empty() ? "config only: no files changed" : "no file changes recorded");
        } else {
            for (const auto& change : current->changes) {
                context.note("build-file-change", change);
                char kind = change.empty() ? '?' : change[0];
                ImVec4 colour = kind == 'A' ? ImVec4(0.4F, 0.9F, 0.4F, 1) : kind == 'D' ? ImVec4(1, 0.4F, 0.4F, 1) : ImVec4(0.95F, 0.8F, 0.3F, 1);
                ImGui::TextColored(colour, "%s", change.c_str());
            }
            if (current->changes_total > static_cast<int>(current->changes.size()))
                ImGui::TextDisabled("... and %d more", current->changes_total - static_cast<int>(current->changes.size()));
        }
    }
    ImGui::EndChild();
}

} // namespace visualizer
