// The network topology as a graph, and its automatic layout: network namespaces are clusters
// (boxes), links are nodes inside them, and edges join veth peers, bridge ports to their bridge,
// and macvlan/ipvlan/802.1q children to their parent. Graphviz's "dot" engine (libgvc/libcgraph)
// places everything; the panel draws the result with ImGui draw lists. Layout is the expensive
// part, so it is computed only when the topology's signature changes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <imgui.h>

#include "engine/state/snapshot.h"

namespace visualizer {

struct TopologyOptions {
    bool show_loopback { false };
    bool show_all_host_links { false }; // Every link. Otherwise: this snapshot's containers'
                                        // namespaces, the host links they use, and the uplink.
};

enum class EdgeKind { VethPair, BridgePort, Parent };

struct TopologyNode {
    size_t link { 0 };                // Index into snapshot.links.
    size_t box { 0 };                 // Index into Topology::boxes (its netns).
    std::string key;                  // identity_key of the link.
    std::vector<std::string> label;   // Lines: name, kind details, MAC, addresses.
    bool uplink { false };            // The host's default-route link (the lab uplink).
    ImVec2 center { 0, 0 };           // Laid out, in pixels, y down.
    ImVec2 size { 0, 0 };
};

struct TopologyEdge {
    size_t from { 0 };                // Node indices.
    size_t to { 0 };
    EdgeKind kind { EdgeKind::VethPair };
    // Graphviz's route for the edge: cubic Bezier segments, 1 + 3n points, in pixels, y down.
    // Empty when there is none (then a straight line joins the two centres).
    std::vector<ImVec2> route;
};

struct TopologyBox {
    std::uint64_t netns { 0 };
    std::string label;                // "the host", "container web's netns", ...
    bool host { false };
    ImVec2 min { 0, 0 };
    ImVec2 max { 0, 0 };
};

struct Topology {
    std::uint64_t signature { 0 };
    std::vector<TopologyBox> boxes;
    std::vector<TopologyNode> nodes;
    std::vector<TopologyEdge> edges;
    ImVec2 extent { 0, 0 };
    std::string layout_error;         // Set when Graphviz failed; nodes then sit in a grid.
};

// A hash of everything the layout depends on (links, their relations and labels).
std::uint64_t topology_signature(const engine::state::Snapshot& snapshot, const TopologyOptions& options);

// Builds the graph of `snapshot` (no positions yet). Uses ImGui's current font to size labels.
Topology build_topology(const engine::state::Snapshot& snapshot, const TopologyOptions& options);

// Places nodes and boxes with Graphviz dot (falls back to a grid, with layout_error set).
void layout_topology(Topology& topology);

} // namespace visualizer
