// Volumes and mounts panel: the engine's volumes, then, per container, what it mounts where,
// with named volumes, anonymous volumes, bind mounts (flagged: they give the container access to
// the host's files) and tmpfs told apart.
#pragma once

#include <string>

#include "engine/state/snapshot.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct VolumesPanelState {
    bool show_system_mounts { false }; // proc, sysfs, devpts, mqueue, ... and the root overlay.
};

void draw_volumes_panel(const engine::state::Snapshot& snapshot, VolumesPanelState& state,
    const PanelContext& context);

// "named volume", "anonymous volume", "bind (host access)", "tmpfs", or the mount's kind.
std::string mount_category(const engine::state::MountInfo& mount);

} // namespace visualizer
