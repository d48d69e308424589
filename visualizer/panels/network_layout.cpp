// Network topology graph and its Graphviz layout (network_layout.h). Graphviz works in points
// with y pointing up; we feed it label sizes in pixels as points and flip y on the way out.
#include "visualizer/panels/network_layout.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

namespace visualizer {

using engine::state::LinkInfo;
using engine::state::Snapshot;

namespace {

using LinkId = std::pair<std::uint64_t, int>; // (netns, ifindex)

std::uint64_t host_netns(const Snapshot& snapshot)
{
    auto found = snapshot.host_namespaces.find("net");
    return found == snapshot.host_namespaces.end() ? 0 : found->second;
}

// The host link carrying the default route: the lab uplink.
int uplink_index(const Snapshot& snapshot, std::uint64_t host)
{
    for (const auto& route : snapshot.routes) {
        if (route.netns == host && route.destination == "default" && route.family == "inet")
            return route.link_index;
    }
    return 0;
}

// Which links the graph shows, in snapshot order.
std::vector<size_t> chosen_links(const Snapshot& snapshot, const TopologyOptions& options)
{
    std::uint64_t host = host_netns(snapshot);
    int uplink = uplink_index(snapshot, host);
    std::set<LinkId> wanted;
    auto is_loopback = [](const LinkInfo& link) { return link.name == "lo"; };
    // A host link is shown when it belongs to one of this snapshot's containers or networks:
    // other daemons on the same host (test daemons, say) have links of their own.
    auto ours = [&](const LinkInfo& link) {
        const std::string& owner = link.owner;
        if (owner.rfind("container:", 0) == 0)
            return engine::state::find_container(snapshot, owner.substr(10)) != nullptr;
        if (owner.rfind("network:", 0) == 0) {
            for (const auto& network : snapshot.networks) {
                if (network.id == owner.substr(8))
                    return true;
            }
        }
        return false;
    };
    // Outside the host's namespace: the namespaces of this snapshot's containers. Other
    // daemons' containers on the same host are visible to the collector too, with no owner, so
    // ownership alone cannot tell them apart. A snapshot with no containers at all (a kernel-lab
    // recording of plain namespaces) shows every namespace.
    std::set<std::uint64_t> container_netns;
    for (const auto& container : snapshot.containers) {
        auto net = container.namespaces.find("net");
        if (net != container.namespaces.end())
            container_netns.insert(net->second);
    }
    bool every_namespace = options.show_all_host_links || snapshot.containers.empty();
    for (const auto& link : snapshot.links) {
        if (is_loopback(link) && !options.show_loopback)
            continue;
        bool in_host = link.netns == host && host != 0;
        bool show = in_host ? ours(link) || link.index == uplink || options.show_all_host_links
                            : every_namespace || container_netns.count(link.netns) || ours(link);
        if (show)
            wanted.insert({ link.netns, link.index });
    }
    // Pull in what those links hang off: bridges, veth peers, parents (possibly host links).
    for (int round = 0; round < 3; ++round) {
        for (const auto& link : snapshot.links) {
            if (!wanted.count({ link.netns, link.index }))
                continue;
            if (link.master_index)
                wanted.insert({ link.netns, link.master_index });
            if (link.peer_index && link.peer_netns)
                wanted.insert({ link.peer_netns, link.peer_index });
            if (link.parent_index)
                wanted.insert({ link.parent_netns ? link.parent_netns : link.netns, link.parent_index });
        }
    }
    std::vector<size_t> chosen;
    for (size_t i = 0; i < snapshot.links.size(); ++i) {
        const auto& link = snapshot.links[i];
        if (wanted.count({ link.netns, link.index }))
            chosen.push_back(i);
    }
    return chosen;
}

std::vector<std::string> label_for(const Snapshot& snapshot, const LinkInfo& link, bool uplink)
{
    std::vector<std::string> lines;
    lines.push_back(link.name + (uplink ? "  (uplink)" : ""));
    std::string kind = link.kind.empty() ? (link.name == "lo" ? "loopback" : "device") : link.kind;
    if (link.vlan_id >= 0)
        kind += " vlan " + std::to_string(link.vlan_id);
    if (!link.mode.empty())
        kind += " " + link.mode;
    if (!link.up)
        kind += ", down";
    lines.push_back(kind);
    if (!link.mac.empty())
        lines.push_back(link.mac);
    for (const auto& address : snapshot.addresses) {
        if (address.netns == link.netns && address.link_index == link.index && address.family == "inet")
            lines.push_back(address.address);
    }
    return lines;
}

GVC_t* graphviz()
{
    // One context for the process: it loads Graphviz's plugin list once. UI thread only.
    static GVC_t* context = gvContext();
    return context;
}

void set(void* object, const char* name, const std::string& value)
{
    agsafeset(object, const_cast<char*>(name), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}

void grid_layout(Topology& topology)
{
    float x = 0;
    float y = 0;
    float row_height = 0;
    for (auto& node : topology.nodes) {
        if (x > 1200) {
            x = 0;
            y += row_height + 20;
            row_height = 0;
        }
        node.center = ImVec2(x + node.size.x / 2, y + node.size.y / 2);
        x += node.size.x + 20;
        row_height = std::max(row_height, node.size.y);
    }
    topology.extent = ImVec2(1400, y + row_height + 20);
    for (auto& box : topology.boxes) {
        box.min = ImVec2(1e9F, 1e9F);
        box.max = ImVec2(-1e9F, -1e9F);
    }
}

} // namespace

std::uint64_t topology_signature(const Snapshot& snapshot, const TopologyOptions& options)
{
    std::hash<std::string> hash_text;
    std::uint64_t hash = 1469598103934665603ULL ^ (options.show_loopback ? 1 : 0) ^ (options.show_all_host_links ? 2 : 0);
    auto mix = [&](std::uint64_t value) { hash = (hash ^ value) * 1099511628211ULL; };
    for (const auto& link : snapshot.links) {
        mix(link.netns);
        mix(static_cast<std::uint64_t>(link.index));
        mix(hash_text(link.name));
        mix(hash_text(link.kind));
        mix(hash_text(link.mac));
        mix(static_cast<std::uint64_t>(link.master_index));
        mix(static_cast<std::uint64_t>(link.peer_index) ^ link.peer_netns);
        mix(static_cast<std::uint64_t>(link.parent_index) ^ (link.parent_netns << 1));
        mix(static_cast<std::uint64_t>(link.vlan_id + 7));
        mix(link.up ? 3 : 5);
        mix(hash_text(link.owner));
    }
    for (const auto& address : snapshot.addresses) {
        mix(address.netns);
        mix(static_cast<std::uint64_t>(address.link_index));
        mix(hash_text(address.address));
    }
    for (const auto& route : snapshot.routes) {
        if (route.destination == "default")
            mix(route.netns ^ static_cast<std::uint64_t>(route.link_index));
    }
    for (const auto& [type, inode] : snapshot.host_namespaces)
        mix(inode);
    return hash;
}

Topology build_topology(const Snapshot& snapshot, const TopologyOptions& options)
{
    Topology topology;
    topology.signature = topology_signature(snapshot, options);
    std::uint64_t host = host_netns(snapshot);
    int uplink = uplink_index(snapshot, host);
    std::map<LinkId, size_t> node_of;
    std::map<std::uint64_t, size_t> box_of;
    float line_height = ImGui::GetTextLineHeight();
    for (size_t index : chosen_links(snapshot, options)) {
        const auto& link = snapshot.links[index];
        TopologyNode node;
        node.link = index;
        node.key = engine::state::identity_key(link);
        node.uplink = link.netns == host && link.index == uplink && uplink != 0;
        node.label = label_for(snapshot, link, node.uplink);
        float width = 0;
        for (const auto& line : node.label)
            width = std::max(width, ImGui::CalcTextSize(line.c_str()).x);
        node.size = ImVec2(width + 12, line_height * static_cast<float>(node.label.size()) + 8);
        if (!box_of.count(link.netns)) {
            box_of[link.netns] = topology.boxes.size();
            TopologyBox box;
            box.netns = link.netns;
            box.host = link.netns == host;
            box.label = engine::state::describe_netns(snapshot, link.netns);
            topology.boxes.push_back(std::move(box));
        }
        node.box = box_of[link.netns];
        node_of[{ link.netns, link.index }] = topology.nodes.size();
        topology.nodes.push_back(std::move(node));
    }
    auto find = [&](std::uint64_t netns, int index) -> const size_t* {
        auto found = node_of.find({ netns, index });
        return found == node_of.end() ? nullptr : &found->second;
    };
    for (size_t n = 0; n < topology.nodes.size(); ++n) {
        const auto& link = snapshot.links[topology.nodes[n].link];
        // A veth pair is one edge: drawn from the side with the smaller (netns, index).
        if (link.peer_index && link.peer_netns) {
            if (const auto* peer = find(link.peer_netns, link.peer_index)) {
                if (std::make_pair(link.netns, link.index) < std::make_pair(link.peer_netns, link.peer_index))
                    topology.edges.push_back({ n, *peer, EdgeKind::VethPair, {} });
            }
        }
        if (link.master_index) {
            if (const auto* bridge = find(link.netns, link.master_index))
                topology.edges.push_back({ n, *bridge, EdgeKind::BridgePort, {} });
        }
        if (link.parent_index) {
            if (const auto* parent = find(link.parent_netns ? link.parent_netns : link.netns, link.parent_index))
                topology.edges.push_back({ n, *parent, EdgeKind::Parent, {} });
        }
    }
    return topology;
}

void layout_topology(Topology& topology)
{
    if (topology.nodes.empty()) {
        topology.extent = ImVec2(0, 0);
        return;
    }
    Agraph_t* graph = agopen(const_cast<char*>("topology"), Agundirected, nullptr);
    set(graph, "rankdir", "LR");
    set(graph, "nodesep", "0.2");
    set(graph, "ranksep", "0.5");
    set(graph, "fontsize", "14");
    std::vector<Agraph_t*> clusters;
    for (size_t b = 0; b < topology.boxes.size(); ++b) {
        std::string name = "cluster_" + std::to_string(b);
        Agraph_t* cluster = agsubg(graph, name.data(), 1);
        // The label sits inside the box; Graphviz reserves room for it at the top.
        set(cluster, "label", topology.boxes[b].label);
        set(cluster, "labeljust", "l");
        set(cluster, "margin", "10");
        clusters.push_back(cluster);
    }
    std::vector<Agnode_t*> nodes;
    for (size_t n = 0; n < topology.nodes.size(); ++n) {
        const auto& node = topology.nodes[n];
        std::string name = "n" + std::to_string(n);
        Agnode_t* agnode_ptr = agnode(clusters[node.box], name.data(), 1);
        set(agnode_ptr, "shape", "box");
        set(agnode_ptr, "fixedsize", "true");
        set(agnode_ptr, "label", "");
        set(agnode_ptr, "width", std::to_string(node.size.x / 72.0));
        set(agnode_ptr, "height", std::to_string(node.size.y / 72.0));
        nodes.push_back(agnode_ptr);
    }
    std::vector<Agedge_t*> edges;
    for (const auto& edge : topology.edges)
        edges.push_back(agedge(graph, nodes[edge.from], nodes[edge.to], nullptr, 1));

    if (gvLayout(graphviz(), graph, "dot") != 0) {
        topology.layout_error = "Graphviz dot layout failed; links shown in a grid";
        agclose(graph);
        grid_layout(topology);
        return;
    }
    boxf bounds = GD_bb(graph);
    auto flip = [&](double x, double y) {
        return ImVec2(static_cast<float>(x - bounds.LL.x), static_cast<float>(bounds.UR.y - y));
    };
    for (size_t n = 0; n < topology.nodes.size(); ++n)
        topology.nodes[n].center = flip(ND_coord(nodes[n]).x, ND_coord(nodes[n]).y);
    // Edge routes: Graphviz keeps them off other nodes, so lines do not cross link boxes.
    for (size_t e = 0; e < edges.size(); ++e) {
        const splines* route = edges[e] ? ED_spl(edges[e]) : nullptr;
        if (!route || route->size < 1 || route->list[0].size < 4)
            continue;
        const bezier& curve = route->list[0];
        for (int i = 0; i < curve.size; ++i)
            topology.edges[e].route.push_back(flip(curve.list[i].x, curve.list[i].y));
    }
    for (size_t b = 0; b < topology.boxes.size(); ++b) {
        boxf box = GD_bb(clusters[b]);
        topology.boxes[b].min = flip(box.LL.x, box.UR.y);
        topology.boxes[b].max = flip(box.UR.x, box.LL.y);
    }
    topology.extent = ImVec2(static_cast<float>(bounds.UR.x - bounds.LL.x), static_cast<float>(bounds.UR.y - bounds.LL.y));
    gvFreeLayout(graphviz(), graph);
    agclose(graph);
}

} // namespace visualizer
