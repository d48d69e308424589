// Build panel: a Dockerfile build stepped instruction by instruction. The Dockerfile with the
// current line marked; per step the cache decision (hit or miss), the layer it produced and its
// size, and what it changed (files added, changed, deleted as whiteouts). Fed by the builder's
// per-step "build" events, live or from a recording.
#pragma once

#include "visualizer/frame.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct BuildPanelState {
    int selected_step { 0 };          // 0: follow the newest step.
};

// `build` may be null (no build seen yet).
void draw_build_panel(const BuildLog* build, BuildPanelState& state, const PanelContext& context);

} // namespace visualizer
