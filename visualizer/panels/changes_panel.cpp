// Changes panel (changes_panel.h).
#include "visualizer/panels/changes_panel.h"

namespace visualizer {

using engine::state::ChangeType;

void draw_changes_panel(const engine::state::Snapshot& snapshot, ChangesPanelState& state, const PanelContext& context)
{
    ImGui::Checkbox("changed fields", &state.show_fields);
    if (!context.diff) {
        ImGui::TextDisabled("Generation %llu. No diff yet: changes appear after the next snapshot.",
            static_cast<unsigned long long>(snapshot.generation));
        return;
    }
    const auto& diff = *context.diff;
    ImGui::TextDisabled("generation %llu -> %llu, %zu changes", static_cast<unsigned long long>(diff.from_generation),
        static_cast<unsigned long long>(diff.to_generation), diff.changes.size());
    if (diff.changes.empty())
        ImGui::TextDisabled("no changes");
    for (const auto& change : diff.changes) {
        context.note("change-row", change.key, engine::state::change_type_name(change.type));
        ImVec4 colour = change.type == ChangeType::Added ? ImVec4(0.35F, 0.9F, 0.4F, 1)
            : change.type == ChangeType::Removed         ? ImVec4(0.95F, 0.35F, 0.35F, 1)
                                                         : ImVec4(0.95F, 0.75F, 0.3F, 1);
        char sign = change.type == ChangeType::Added ? '+' : change.type == ChangeType::Removed ? '-' : '~';
        ImGui::TextColored(colour, "%c %s", sign, change.sentence.c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%s (%s)", change.key.c_str(), change.kind.c_str());
        if (state.show_fields) {
            for (const auto& field : change.fields)
                ImGui::TextDisabled("      %s", field.c_str());
        }
    }
}

} // namespace visualizer
