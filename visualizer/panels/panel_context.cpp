// PanelContext helpers: change highlights that fade, drawn-item notes, removed ghosts.
#include "visualizer/panels/panel_context.h"

#include <algorithm>

namespace visualizer {

std::string_view request_kind_name(UiRequest::Kind kind)
{
    switch (kind) {
    case UiRequest::Kind::Stop:
        return "stop";
    case UiRequest::Kind::Kill:
        return "kill";
    case UiRequest::Kind::Remove:
        return "remove";
    case UiRequest::Kind::Restart:
        return "restart";
    }
    return "?";
}

void PanelContext::note(std::string_view kind, std::string_view key, std::string_view flags) const
{
    if (drawn)
        drawn->push_back({ std::string(kind), std::string(key), std::string(flags) });
}

ImU32 PanelContext::highlight(const std::string& key) const
{
    if (!marks || highlight_age >= highlight_seconds || marks->empty())
        return 0;
    auto found = marks->find(key);
    if (found == marks->end())
        return 0;
    // Full strength for the first half, then fade, so a student looking away briefly still sees it.
    double strength = highlight_age < highlight_seconds / 2 ? 1.0 : 2.0 * (1.0 - highlight_age / highlight_seconds);
    int alpha = static_cast<int>(std::clamp(strength, 0.0, 1.0) * 100);
    switch (found->second) {
    case engine::state::ChangeType::Added:
        return IM_COL32(40, 200, 60, alpha);
    case engine::state::ChangeType::Removed:
        return IM_COL32(220, 50, 50, alpha);
    case engine::state::ChangeType::Changed:
        return IM_COL32(230, 170, 30, alpha);
    }
    return 0;
}

void PanelContext::request(UiRequest request) const
{
    if (requests)
        requests->push_back(std::move(request));
}

PanelContext context_for(const Frame& frame, double now)
{
    PanelContext context;
    context.marks = frame.marks.get();
    context.diff = frame.diff.get();
    context.highlight_age = frame.marks ? now - frame.changed_at : 1e9;
    return context;
}

void draw_removed_ghosts(const PanelContext& context, std::string_view kind)
{
    if (!context.diff || context.highlight_age >= highlight_seconds)
        return;
    for (const auto& change : context.diff->changes) {
        if (change.type != engine::state::ChangeType::Removed || change.kind != kind)
            continue;
        ImGui::TextColored(ImVec4(0.95F, 0.3F, 0.3F, 1.0F), "- %s", change.sentence.c_str());
        context.note("removed-ghost", change.key);
    }
}

void highlight_last_item(ImU32 colour)
{
    if (colour == 0)
        return;
    ImGui::GetWindowDrawList()->AddRectFilled(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(), colour, 3.0F);
}

} // namespace visualizer
