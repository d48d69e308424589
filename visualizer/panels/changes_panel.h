// Changes panel: the last diff between two snapshots (added, removed, changed objects, one
// readable sentence each, changed fields listed). The same change marks light the objects up in
// every other panel for a few seconds.
#pragma once

#include "engine/state/snapshot.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct ChangesPanelState {
    bool show_fields { true };
};

void draw_changes_panel(const engine::state::Snapshot& snapshot, ChangesPanelState& state,
    const PanelContext& context);

} // namespace visualizer
