// Containers panel: one row per container (status, image, networks, published ports, volumes,
// PID 1) with actions (stop, kill with a chosen signal, remove, restart) that become UiRequests.
#pragma once

#include "engine/state/snapshot.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct ContainersPanelState {
    int kill_signal { 0 };            // Index into the signal list the panel offers.
    bool force_remove { false };
};

void draw_containers_panel(const engine::state::Snapshot& snapshot, ContainersPanelState& state,
    const PanelContext& context);

// "8080->80/tcp" for each DNAT rule glassbox holds towards one of the container's addresses
// (snapshot.nft_rules text: "tcp dport 8080 dnat to 172.18.0.2:80").
std::vector<std::string> published_ports(const engine::state::Snapshot& snapshot,
    const engine::state::ContainerInfo& container);

} // namespace visualizer
