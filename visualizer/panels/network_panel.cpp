// Network topology panel (network_panel.h).
#include "visualizer/panels/network_panel.h"

#include <algorithm>

#include "visualizer/widgets/badges.h"

namespace visualizer {

using engine::state::LinkInfo;
using engine::state::Snapshot;

namespace {

const char* edge_kind_name(EdgeKind kind)
{
    switch (kind) {
    case EdgeKind::VethPair:
        return "veth-edge";
    case EdgeKind::BridgePort:
        return "bridge-port-edge";
    case EdgeKind::Parent:
        return "parent-edge";
    }
    return "edge";
}

// Lays the topology out again only when something it depends on changed.
void refresh_layout(const Snapshot& snapshot, NetworkPanelState& state)
{
    if (state.has_layout && state.laid_out_snapshot == &snapshot && state.laid_out_generation == snapshot.generation)
        return;
    state.laid_out_snapshot = &snapshot;
    state.laid_out_generation = snapshot.generation;
    auto signature = topology_signature(snapshot, state.options);
    if (state.has_layout && signature == state.layout.signature)
        return;
    state.layout = build_topology(snapshot, state.options);
    layout_topology(state.layout);
    state.has_layout = true;
}

void draw_details(const Snapshot& snapshot, const LinkInfo& link)
{
    ImGui::Text("%s (%s) in %s, ifindex %d, mtu %d, %s", link.name.c_str(), link.kind.empty() ? "device" : link.kind.c_str(),
        engine::state::describe_netns(snapshot, link.netns).c_str(), link.index, link.mtu, link.oper_state.c_str());
    if (!link.master_name.empty())
        ImGui::Text("bridge port of %s (%s)", link.master_name.c_str(), link.bridge_port_state.c_str());
    if (link.peer_index)
        ImGui::Text("veth peer %s in %s", link.peer_name.c_str(), engine::state::describe_netns(snapshot, link.peer_netns).c_str());
    if (link.parent_index)
        ImGui::Text("parent %s%s%s", link.parent_name.c_str(), link.mode.empty() ? "" : ", mode ", link.mode.c_str());
    if (link.vlan_id >= 0)
        ImGui::Text("802.1q VLAN id %d", link.vlan_id);
    if (ImGui::BeginTable("details", 2, ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp)) {
        ImGui::TableNextColumn();
        ImGui::TextDisabled("addresses");
        for (const auto& address : snapshot.addresses) {
            if (address.netns == link.netns && address.link_index == link.index)
                ImGui::Text("%s (%s)", address.address.c_str(), address.scope.c_str());
        }
        ImGui::TextDisabled("routes");
        for (const auto& route : snapshot.routes) {
            if (route.netns == link.netns && route.link_index == link.index && route.table == "main")
                ImGui::Text("%s%s%s", route.destination.c_str(), route.gateway.empty() ? "" : " via ", route.gateway.c_str());
        }
        ImGui::TableNextColumn();
        ImGui::TextDisabled("neighbours");
        for (const auto& neighbour : snapshot.neighbours) {
            if (neighbour.netns == link.netns && neighbour.link_index == link.index)
                ImGui::Text("%s at %s (%s)", neighbour.address.c_str(), neighbour.mac.c_str(), neighbour.state.c_str());
        }
        ImGui::TextDisabled("FDB");
        for (const auto& entry : snapshot.fdb) {
            if (entry.netns == link.netns && (entry.port_index == link.index || entry.bridge_index == link.index))
                ImGui::Text("%s on %s vlan %d (%s)", entry.mac.c_str(), entry.port_name.c_str(), entry.vlan, entry.state.c_str());
        }
        ImGui::EndTable();
    }
}

} // namespace

void draw_network_panel(const Snapshot& snapshot, NetworkPanelState& state, const PanelContext& context)
{
    bool changed = ImGui::Checkbox("loopback", &state.options.show_loopback);
    ImGui::SameLine();
    changed |= ImGui::Checkbox("all links", &state.options.show_all_host_links);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    ImGui::SliderFloat("zoom", &state.zoom, 0.3F, 2.0F, "%.1f");
    if (changed)
        state.has_layout = false;
    draw_removed_ghosts(context, "links");
    refresh_layout(snapshot, state);
    const Topology& topology = state.layout;
    if (!topology.layout_error.empty())
        ImGui::TextColored(ImVec4(1, 0.6F, 0.2F, 1), "%s", topology.layout_error.c_str());
    if (topology.nodes.empty()) {
        ImGui::TextDisabled("No links to show.");
        return;
    }

    const LinkInfo* selected = nullptr;
    for (const auto& node : topology.nodes) {
        if (node.key == state.selected_link)
            selected = &snapshot.links[node.link];
    }
    float details_height = selected ? ImGui::GetTextLineHeightWithSpacing() * 9 : 0;
    ImGui::BeginChild("graph", ImVec2(0, -details_height), true, ImGuiWindowFlags_HorizontalScrollbar);
    const float zoom = state.zoom;
    ImVec2 origin = ImGui::GetCursorScreenPos();
    origin.x += 8;
    origin.y += 8;
    auto at = [&](ImVec2 point) { return ImVec2(origin.x + point.x * zoom, origin.y + point.y * zoom); };
    ImDrawList* draw = ImGui::GetWindowDrawList();
    ImVec2 mouse = ImGui::GetIO().MousePos;
    bool window_hovered = ImGui::IsWindowHovered();

    // Which node the mouse is over, and the ones it relates to (veth peer, bridge).
    int hovered = -1;
    for (size_t n = 0; n < topology.nodes.size() && window_hovered; ++n) {
        const auto& node = topology.nodes[n];
        ImVec2 min = at(ImVec2(node.center.x - node.size.x / 2, node.center.y - node.size.y / 2));
        ImVec2 max = at(ImVec2(node.center.x + node.size.x / 2, node.center.y + node.size.y / 2));
        if (mouse.x >= min.x && mouse.x <= max.x && mouse.y >= min.y && mouse.y <= max.y)
            hovered = static_cast<int>(n);
    }
    std::vector<char> related(topology.nodes.size(), 0);
    if (hovered >= 0) {
        for (const auto& edge : topology.edges) {
            if (edge.kind == EdgeKind::Parent)
                continue;
            if (static_cast<int>(edge.from) == hovered)
                related[edge.to] = 1;
            if (static_cast<int>(edge.to) == hovered && edge.kind == EdgeKind::VethPair)
                related[edge.from] = 1;
        }
        // The bridge of the peer too: hovering a container's eth0 lights up the host bridge.
        for (const auto& edge : topology.edges) {
            if (edge.kind == EdgeKind::BridgePort && related[edge.from])
                related[edge.to] = 1;
        }
    }

    ImU32 text_colour = ImGui::GetColorU32(ImGuiCol_Text);
    for (const auto& box : topology.boxes) {
        context.note("netns-box", std::to_string(box.netns), box.host ? "host" : "");
        if (box.max.x < box.min.x)
            continue; // Grid fallback: no boxes.
        ImU32 fill = box.host ? IM_COL32(70, 80, 110, 60) : IM_COL32(60, 110, 80, 60);
        draw->AddRectFilled(at(box.min), at(box.max), fill, 6.0F);
        draw->AddRect(at(box.min), at(box.max), box.host ? IM_COL32(120, 140, 200, 255) : IM_COL32(90, 180, 120, 255), 6.0F, 0, 1.5F);
        draw->AddText(ImVec2(at(box.min).x + 6, at(box.min).y + 4), text_colour, box.label.c_str());
    }
    for (const auto& edge : topology.edges) {
        const auto& from = topology.nodes[edge.from];
        const auto& to = topology.nodes[edge.to];
        context.note(edge_kind_name(edge.kind), from.key + " " + to.key);
        bool lit = hovered >= 0 && (static_cast<int>(edge.from) == hovered || static_cast<int>(edge.to) == hovered);
        ImU32 colour = edge.kind == EdgeKind::VethPair ? IM_COL32(240, 200, 80, 255)
            : edge.kind == EdgeKind::BridgePort        ? IM_COL32(120, 170, 255, 255)
                                                       : IM_COL32(220, 120, 220, 255);
        float thickness = (lit ? 4.0F : 2.0F) * std::max(zoom, 0.5F);
        if (edge.route.size() >= 4) {
            for (size_t i = 0; i + 3 < edge.route.size(); i += 3)
                draw->AddBezierCubic(at(edge.route[i]), at(edge.route[i + 1]), at(edge.route[i + 2]), at(edge.route[i + 3]),
                    colour, thickness, 12);
        } else {
            draw->AddLine(at(from.center), at(to.center), colour, thickness);
        }
    }
    for (size_t n = 0; n < topology.nodes.size(); ++n) {
        const auto& node = topology.nodes[n];
        const auto& link = snapshot.links[node.link];
        std::string flags = link.kind;
        if (link.vlan_id >= 0)
            flags += " vlan=" + std::to_string(link.vlan_id);
        if (node.uplink)
            flags += " uplink";
        context.note("link-node", node.key, flags);
        ImVec2 min = at(ImVec2(node.center.x - node.size.x / 2, node.center.y - node.size.y / 2));
        ImVec2 max = at(ImVec2(node.center.x + node.size.x / 2, node.center.y + node.size.y / 2));
        ImU32 fill = link.kind == "bridge" ? IM_COL32(40, 70, 140, 255)
            : link.kind == "veth"          ? IM_COL32(50, 50, 60, 255)
            : node.uplink                  ? IM_COL32(110, 60, 30, 255)
                                           : IM_COL32(60, 60, 60, 255);
        draw->AddRectFilled(min, max, fill, 4.0F);
        if (auto colour = context.highlight(node.key))
            draw->AddRectFilled(min, max, colour, 4.0F);
        bool lit = static_cast<int>(n) == hovered || related[n];
        bool chosen = node.key == state.selected_link;
        draw->AddRect(min, max, lit ? IM_COL32(255, 255, 0, 255) : chosen ? IM_COL32(255, 255, 255, 255) : IM_COL32(160, 160, 160, 255),
            4.0F, 0, lit || chosen ? 3.0F : 1.0F);
        if (zoom >= 0.4F) {
            float y = min.y + 4 * zoom;
            for (const auto& line : node.label) {
                draw->AddText(ImGui::GetFont(), ImGui::GetFontSize() * zoom, ImVec2(min.x + 6 * zoom, y),
                    IM_COL32(235, 235, 235, 255), line.c_str());
                y += ImGui::GetTextLineHeight() * zoom;
                if (y > max.y - 4)
                    break;
            }
        }
    }
    if (hovered >= 0) {
        ImGui::SetTooltip("%s", topology.nodes[static_cast<size_t>(hovered)].label.front().c_str());
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left))
            state.selected_link = topology.nodes[static_cast<size_t>(hovered)].key;
    }
    // Reserve the graph's area so the child scrolls over all of it.
    ImGui::Dummy(ImVec2(topology.extent.x * zoom + 16, topology.extent.y * zoom + 16));
    ImGui::EndChild();

    if (selected) {
        ImGui::BeginChild("details", ImVec2(0, 0), true);
        draw_details(snapshot, *selected);
        ImGui::EndChild();
    }
}

} // namespace visualizer
