// Network topology panel: the graph of network_layout.h drawn with ImGui draw lists. Namespaces
// are boxes, links are nodes inside them (name, kind, VLAN id, MAC, addresses), veth pairs are
// edges between boxes, bridge ports join their bridge, macvlan/ipvlan/802.1q children join their
// parent. Hovering a link highlights its veth peer and its bridge; a click shows its details
// (addresses, routes, neighbours, FDB entries).
#pragma once

#include <cstdint>
#include <string>

#include "engine/state/snapshot.h"
#include "visualizer/panels/network_layout.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct NetworkPanelState {
    TopologyOptions options;
    float zoom { 1.0F };
    std::string selected_link;        // identity_key of the clicked link, "" for none.
    // The layout of the last topology seen: derived from the snapshot, recomputed only when its
    // signature changes (layout is the one expensive step), never edited by hand.
    Topology layout;
    bool has_layout { false };
    const void* laid_out_snapshot { nullptr };
    std::uint64_t laid_out_generation { 0 };
};

void draw_network_panel(const engine::state::Snapshot& snapshot, NetworkPanelState& state,
    const PanelContext& context);

} // namespace visualizer
