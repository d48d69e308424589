// The window contents (app.h): menu bar with the source and its status, replay controls, and the
// panels as windows with a default grid layout (kept between runs in imgui.ini).
//
// [SECTION] Panel table
// [SECTION] Menu bar and status
// [SECTION] Timeline controls
// [SECTION] Panels
#include "visualizer/app.h"

#include <algorithm>
#include <cstdio>

namespace visualizer {

// [SECTION] Panel table

const std::array<PanelInfo, panel_count>& panel_infos()
{
    static const std::array<PanelInfo, panel_count> infos { {
        { PanelId::Containers, "containers", "Containers", "F1" },
        { PanelId::Processes, "processes", "Processes and namespaces", "F2" },
        { PanelId::Network, "network", "Network topology", "F3" },
        { PanelId::Images, "images", "Images and layers", "F4" },
        { PanelId::Volumes, "volumes", "Volumes and mounts", "F5" },
        { PanelId::Cgroups, "cgroups", "cgroups", "F6" },
        { PanelId::Changes, "changes", "Changes", "F7" },
        { PanelId::Build, "build", "Build", "F8" },
        { PanelId::Lesson, "lesson", "Lesson", "F9" },
    } };
    return infos;
}

const PanelInfo* find_panel(std::string_view name)
{
    for (const auto& info : panel_infos()) {
        if (name == info.name)
            return &info;
    }
    return nullptr;
}

AppState::AppState()
{
    open.fill(true);
    // The lesson panel has nothing to show until a lesson runs; keep it out of the way.
    open[static_cast<size_t>(PanelId::Lesson)] = false;
}

void focus_panel(AppState& state, PanelId id)
{
    state.open[static_cast<size_t>(id)] = true;
    state.focus = id;
    state.focus_pending = true;
}

namespace {

// [SECTION] Menu bar and status

float draw_menu_bar(const Frame& frame, AppState& state)
{
    float height = 0;
    if (!ImGui::BeginMainMenuBar())
        return height;
    if (ImGui::BeginMenu("View")) {
        for (const auto& info : panel_infos()) {
            bool& open = state.open[static_cast<size_t>(info.id)];
            if (ImGui::MenuItem(info.title, info.shortcut, open))
                open = !open;
        }
        ImGui::Separator();
        if (ImGui::MenuItem("High contrast", "F10", state.theme == Theme::HighContrast)) {
            state.theme = state.theme == Theme::HighContrast ? Theme::Dark : Theme::HighContrast;
            apply_theme(state.theme);
        }
        if (ImGui::MenuItem("Larger text", "Ctrl +"))
            state.font_scale = std::min(state.font_scale + 0.25F, 4.0F);
        if (ImGui::MenuItem("Smaller text", "Ctrl -"))
            state.font_scale = std::max(state.font_scale - 0.25F, 0.5F);
        ImGui::EndMenu();
    }
    ImGui::TextDisabled("|");
    ImGui::TextUnformatted(state.source_label.c_str());
    ImGui::TextDisabled("|");
    if (frame.connected)
        ImGui::TextColored(ImVec4(0.4F, 0.9F, 0.4F, 1), "%s", frame.status.c_str());
    else
        ImGui::TextColored(ImVec4(1, 0.35F, 0.35F, 1), "%s", frame.status.c_str());
    ImGui::TextDisabled("| generation %llu  %s", static_cast<unsigned long long>(frame.snapshot->generation),
        frame.snapshot->taken_at.c_str());
    // The snapshot says which kernel it came from; a simulated one is never mistaken for Linux.
    if (frame.snapshot->kernel.mode == "simulated") {
        ImGui::TextDisabled("|");
        ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0.85F, 0.45F, 0.05F, 1));
        ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImVec4(0.95F, 0.55F, 0.10F, 1));
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 1, 1, 1));
        ImGui::SmallButton("SIMULATED");
        ImGui::PopStyleColor(3);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Simulated kernel: %s\n(glassbox's in-memory model, not Linux namespaces; "
                              "docs/simulated-kernel.md)",
                frame.snapshot->kernel.simulated_reason.c_str());
    }
    if (!state.last_request_result.empty()) {
        ImGui::TextDisabled("|");
        ImGui::TextUnformatted(state.last_request_result.c_str());
    }
    height = ImGui::GetWindowSize().y;
    ImGui::EndMainMenuBar();
    return height;
}

// [SECTION] Timeline controls

float draw_timeline(TimelineControl& timeline, float bottom)
{
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    float height = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().WindowPadding.y * 2;
    ImGui::SetNextWindowPos(ImVec2(viewport->Pos.x, bottom - height));
    ImGui::SetNextWindowSize(ImVec2(viewport->Size.x, height));
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings
        | ImGuiWindowFlags_NoBringToFrontOnFocus;
    if (ImGui::Begin("Timeline", nullptr, flags)) {
        int position = timeline.position();
        int last = std::max(timeline.size() - 1, 0);
        if (ImGui::Button("<<"))
            timeline.seek(0);
        ImGui::SameLine();
        if (ImGui::Button("< step"))
            timeline.seek(std::max(position - 1, 0));
        ImGui::SameLine();
        if (ImGui::Button(timeline.playing() ? "pause" : "play"))
            timeline.set_playing(!timeline.playing());
        ImGui::SameLine();
        if (ImGui::Button("step >"))
            timeline.seek(std::min(position + 1, last));
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.5F);
        if (ImGui::SliderInt("##position", &position, 0, last, "entry %d"))
            timeline.seek(position);
        ImGui::SameLine();
        ImGui::Text("%d of %d: %s", timeline.position() + 1, timeline.size(), timeline.describe(timeline.position()).c_str());
    }
    ImGui::End();
    return height;
}

} // namespace

// [SECTION] Panels

void draw_panel_contents(PanelId id, const Frame& frame, AppState& state, const PanelContext& context)
{
    const auto& snapshot = *frame.snapshot;
    switch (id) {
    case PanelId::Containers:
        draw_containers_panel(snapshot, state.containers, context);
        break;
    case PanelId::Processes:
        draw_processes_panel(snapshot, state.processes, context);
        break;
    case PanelId::Network:
        draw_network_panel(snapshot, state.network, context);
        break;
    case PanelId::Images:
        draw_images_panel(snapshot, state.images, context);
        break;
    case PanelId::Volumes:
        draw_volumes_panel(snapshot, state.volumes, context);
        break;
    case PanelId::Cgroups:
        draw_cgroups_panel(snapshot, state.cgroups, context);
        break;
    case PanelId::Changes:
        draw_changes_panel(snapshot, state.changes, context);
        break;
    case PanelId::Build:
        draw_build_panel(frame.build.get(), state.build, context);
        break;
    case PanelId::Lesson:
        draw_lesson_panel(frame.lesson.get(), state.lesson, context);
        break;
    }
}

void draw_app(const Frame& frame, AppState& state, TimelineControl* timeline, std::vector<UiRequest>& requests,
    std::vector<DrawnItem>* drawn, double now)
{
    ImGui::GetIO().FontGlobalScale = state.font_scale;
    // The lesson panel opens by itself the first time a lesson step is there to show.
    if (frame.lesson && frame.lesson->error.empty() && !state.lesson_seen) {
        state.lesson_seen = true;
        state.open[static_cast<size_t>(PanelId::Lesson)] = true;
    }
    PanelContext context = context_for(frame, now);
    context.requests = &requests;
    context.drawn = drawn;

    float top = draw_menu_bar(frame, state);
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    float bottom = viewport->Pos.y + viewport->Size.y;
    if (timeline)
        bottom -= draw_timeline(*timeline, bottom);
    ImVec2 area_min(viewport->Pos.x, viewport->Pos.y + top);
    ImVec2 area_size(viewport->Size.x, bottom - area_min.y);

    if (state.single_panel) {
        const auto& info = panel_infos()[static_cast<size_t>(state.focus)];
        ImGui::SetNextWindowPos(area_min);
        ImGui::SetNextWindowSize(area_size);
        ImGuiWindowFlags flags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse
            | ImGuiWindowFlags_NoSavedSettings;
        if (ImGui::Begin(info.title, nullptr, flags))
            draw_panel_contents(info.id, frame, state, context);
        ImGui::End();
        return;
    }

    // Default grid, three by three; the network graph takes two cells of the middle column.
    // Users move and resize windows; imgui.ini keeps that between runs.
    float column = area_size.x / 3;
    float row = area_size.y / 3;
    auto cell = [&](int x, int y) { return ImVec2(area_min.x + column * static_cast<float>(x), area_min.y + row * static_cast<float>(y)); };
    struct Placement {
        ImVec2 pos;
        ImVec2 size;
    };
    std::array<Placement, panel_count> placements { {
        { cell(0, 0), ImVec2(column, row) },          // Containers
        { cell(0, 1), ImVec2(column, row) },          // Processes
        { cell(1, 0), ImVec2(column, row * 2) },      // Network
        { cell(2, 0), ImVec2(column, row) },          // Images
        { cell(0, 2), ImVec2(column, row) },          // Volumes
        { cell(1, 2), ImVec2(column, row) },          // cgroups
        { cell(2, 1), ImVec2(column, row) },          // Changes
        { cell(2, 2), ImVec2(column, row) },          // Build
        { cell(1, 1), ImVec2(column, row) },          // Lesson (closed by default)
    } };
    for (const auto& info : panel_infos()) {
        auto index = static_cast<size_t>(info.id);
        if (!state.open[index])
            continue;
        ImGui::SetNextWindowPos(placements[index].pos, ImGuiCond_FirstUseEver);
        ImGui::SetNextWindowSize(placements[index].size, ImGuiCond_FirstUseEver);
        if (state.focus_pending && state.focus == info.id) {
            ImGui::SetNextWindowFocus();
            ImGui::SetNextWindowCollapsed(false);
            state.focus_pending = false;
        }
        char title[96];
        std::snprintf(title, sizeof title, "%s  [%s]###%s", info.title, info.shortcut, info.name);
        if (ImGui::Begin(title, &state.open[index]))
            draw_panel_contents(info.id, frame, state, context);
        ImGui::End();
    }
}

} // namespace visualizer
