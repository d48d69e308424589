// Images and layers panel: each image as a stack of layers (top first) with size and the
// instruction that made it; layers that several images share are marked "shared" and coloured;
// running containers' overlay mounts are drawn on top of the image whose layers they use, with
// their lowerdirs resolved to layers and their upper directory.
#pragma once

#include "engine/state/snapshot.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct ImagesPanelState {
    bool show_untagged { false }; // Build steps leave untagged intermediate images.
};

void draw_images_panel(const engine::state::Snapshot& snapshot, ImagesPanelState& state,
    const PanelContext& context);

} // namespace visualizer
