// What every panel receives besides the snapshot and its own state: the change marks (to
// highlight what the last diff touched), the queue user actions go to (requests, never calls:
// see docs/architecture.md), and an optional list of what was drawn, which the headless tests read
// so they can assert exactly which nodes, edges, rows and badges a snapshot produced.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <imgui.h>

#include "engine/state/diff.h"
#include "visualizer/frame.h"

namespace visualizer {

// A user action for the daemon. main.cpp drains these after ImGui::Render() and sends each one
// through api::Client; the next snapshot shows the result.
struct UiRequest {
    enum class Kind { Stop, Kill, Remove, Restart };
    Kind kind { Kind::Stop };
    std::string container_id;
    std::string signal;               // For Kill: "TERM", "KILL", "INT", "HUP", ...
    bool force { false };             // For Remove.
};
std::string_view request_kind_name(UiRequest::Kind kind); // "stop", "kill", "remove", "restart"

// One thing a panel drew: `kind` names what ("link-node", "veth-edge", "layer-row", ...),
// `key` which object (an identity key or a name), `flags` extra facts ("shared", "zombie").
struct DrawnItem {
    std::string kind;
    std::string key;
    std::string flags;
};

struct PanelContext {
    const ChangeMarks* marks { nullptr };   // Null: nothing to highlight.
    double highlight_age { 1e9 };           // Seconds since the marks arrived.
    std::vector<UiRequest>* requests { nullptr }; // Null: actions are shown disabled.
    std::vector<DrawnItem>* drawn { nullptr };    // Null outside tests and benchmarks.
    const engine::state::Diff* diff { nullptr };  // For "removed" ghosts.

    // Records one drawn item when a list is attached.
    void note(std::string_view kind, std::string_view key, std::string_view flags = {}) const;
    // The highlight colour for an object (green added, red removed, amber changed), fading out
    // over `highlight_seconds`; 0 (no colour) when the object was not touched or the marks are old.
    [[nodiscard]] ImU32 highlight(const std::string& key) const;
    // Pushes a request when a queue is attached.
    void request(UiRequest request) const;
};

inline constexpr double highlight_seconds = 4.0;

// The frame's context for drawing at `now` (seconds on the monotonic clock).
PanelContext context_for(const Frame& frame, double now);

// Draws, in red, one line per object of `kind` ("containers", "links", ...) the last diff removed,
// while its highlight lasts: removed objects are no longer in the snapshot, so this is how they
// stay visible for a moment.
void draw_removed_ghosts(const PanelContext& context, std::string_view kind);

// Fills the rectangle of the last item with a highlight colour (no-op for 0).
void highlight_last_item(ImU32 colour);

} // namespace visualizer
