// The visualizer's window contents: which panels are open and where, the theme and font scale,
// the replay controls, the status line, and the request queue panels push user actions onto
// (docs/architecture.md). No GLFW here: main.cpp owns the window and the keyboard mapping.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "visualizer/frame.h"
#include "visualizer/panels/build_panel.h"
#include "visualizer/panels/cgroups_panel.h"
#include "visualizer/panels/changes_panel.h"
#include "visualizer/panels/containers_panel.h"
#include "visualizer/panels/images_panel.h"
#include "visualizer/panels/lesson_panel.h"
#include "visualizer/panels/network_panel.h"
#include "visualizer/panels/panel_context.h"
#include "visualizer/panels/processes_panel.h"
#include "visualizer/panels/volumes_panel.h"
#include "visualizer/widgets/theme.h"

namespace visualizer {

enum class PanelId { Containers, Processes, Network, Images, Volumes, Cgroups, Changes, Build, Lesson };
inline constexpr int panel_count = 9;

struct PanelInfo {
    PanelId id;
    const char* name;                 // For --panel: "containers", "network", ...
    const char* title;                // Window title.
    const char* shortcut;             // "F1", ...: focuses (and opens) the panel.
};
const std::array<PanelInfo, panel_count>& panel_infos();
// The panel named `name` (as --panel takes it); nullptr when there is none.
const PanelInfo* find_panel(std::string_view name);

// Timeline controls a replay source offers (play, pause, step, seek). The app draws them;
// the source implements them. Thread-safe on the source side.
class TimelineControl {
public:
    virtual ~TimelineControl() = default;
    [[nodiscard]] virtual int size() const = 0;      // Entries in the timeline.
    [[nodiscard]] virtual int position() const = 0;  // 0-based entry shown.
    virtual void seek(int position) = 0;
    [[nodiscard]] virtual bool playing() const = 0;
    virtual void set_playing(bool playing) = 0;
    // A one-line description of the entry at `position` ("snapshot 3", "build step 2/5", ...).
    [[nodiscard]] virtual std::string describe(int position) const = 0;
};

struct AppState {
    std::array<bool, panel_count> open {};
    Theme theme { Theme::Dark };
    float font_scale { 1.0F };
    bool single_panel { false };      // --panel: one panel fills the window.
    PanelId focus { PanelId::Containers };
    bool focus_pending { false };
    std::string source_label;         // Shown in the menu bar (and by main.cpp in the title).
    std::string last_request_result;  // "stop web: ok" / the daemon's error.
    bool lesson_seen { false };       // The lesson panel was opened for a lesson step once.

    ContainersPanelState containers;
    ProcessesPanelState processes;
    NetworkPanelState network;
    ImagesPanelState images;
    VolumesPanelState volumes;
    CgroupsPanelState cgroups;
    ChangesPanelState changes;
    BuildPanelState build;
    LessonPanelState lesson;

    AppState();
};

// Opens (if closed) and focuses a panel: what its keyboard shortcut does.
void focus_panel(AppState& state, PanelId id);

// Draws one frame of the whole window. `timeline` is null for live sources. Requests from
// panels are appended to `requests`; `drawn` (optional) records what the panels drew.
void draw_app(const Frame& frame, AppState& state, TimelineControl* timeline, std::vector<UiRequest>& requests,
    std::vector<DrawnItem>* drawn = nullptr, double now = monotonic_seconds());

// Draws one panel's contents (no window around it); used by draw_app and by tests.
void draw_panel_contents(PanelId id, const Frame& frame, AppState& state, const PanelContext& context);

} // namespace visualizer
