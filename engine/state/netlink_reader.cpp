// rtnetlink for the collector, through the network::Netlink seam: links, addresses, routes,
// neighbours and the bridge FDB of every network namespace. Netlink::dump_namespace reads one
// namespace from a socket opened inside it (sys::run_in_netns), so no collector thread ever
// changes namespace. Cross-namespace links (a veth peer, a macvlan parent) carry
// IFLA_LINK_NETNSID, a number only meaningful in the namespace that reports it; the dump turns it
// into one of the other namespaces with RTM_GETNSID, and this file names the peer from that
// namespace's own dump.
#include "engine/state/collector_internal.h"

#include <algorithm>
#include <map>
#include <thread>

namespace engine::state::detail {

namespace {

// One namespace's dump, in the snapshot's types, plus which other namespace (by position in the
// source list) each cross-namespace link points into.
struct NamespaceFacts {
    std::uint64_t inode { 0 };
    NetworkFacts facts;
    std::map<size_t, size_t> link_to_other; // Index in facts.links -> position in the sources.
};

void convert(const network::NamespaceDump& dump, NamespaceFacts& out)
{
    std::map<int, std::string> names;
    for (const auto& dumped : dump.links)
        names[dumped.link.index] = dumped.link.name;
    auto name_of = [&](int index) {
        auto it = names.find(index);
        return it == names.end() ? std::string {} : it->second;
    };
    auto prefix = "net:[" + std::to_string(out.inode) + "]: ";
    for (const auto& warning : dump.warnings)
        out.facts.warnings.push_back(prefix + warning);

    for (const auto& dumped : dump.links) {
        const auto& link = dumped.link;
        LinkInfo info;
        info.netns = out.inode;
        info.index = link.index;
        info.name = link.name;
        info.kind = link.kind;
        info.mac = link.mac;
        info.mtu = link.mtu;
        info.up = link.up;
        info.oper_state = link.oper_state;
        info.master_index = link.master_index;
        if (info.master_index > 0) {
            info.master_name = name_of(info.master_index);
            info.bridge_port_state = dumped.bridge_port_state;
        }
        // IFLA_LINK: the veth peer, or the macvlan/ipvlan/vlan parent. Without
        // IFLA_LINK_NETNSID it lives in this namespace.
        if (link.parent_index > 0) {
            bool is_veth = info.kind == "veth";
            (is_veth ? info.peer_index : info.parent_index) = link.parent_index;
            if (link.link_netnsid >= 0) {
                if (auto it = dump.other_of_netnsid.find(link.link_netnsid); it != dump.other_of_netnsid.end())
                    out.link_to_other[out.facts.links.size()] = it->second;
            } else {
                (is_veth ? info.peer_netns : info.parent_netns) = out.inode;
                (is_veth ? info.peer_name : info.parent_name) = name_of(link.parent_index);
            }
        }
        info.mode = link.mode;
        if (info.kind == "vlan")
            info.vlan_id = link.vlan_id;
        out.facts.links.push_back(std::move(info));
    }
    for (const auto& address : dump.addresses)
        out.facts.addresses.push_back({ out.inode, address.link_index, name_of(address.link_index), address.family,
            address.address, address.scope, "", "" });
    for (const auto& route : dump.routes)
        out.facts.routes.push_back({ out.inode, route.family, route.table, route.destination, route.gateway,
            route.link_index, name_of(route.link_index), route.protocol, route.scope, route.metric, "", "" });
    for (const auto& neighbour : dump.neighbours)
        out.facts.neighbours.push_back({ out.inode, neighbour.link_index, name_of(neighbour.link_index),
            neighbour.address, neighbour.mac, neighbour.state, "", "" });
    for (const auto& entry : dump.fdb) {
        FdbEntry fdb;
        fdb.netns = out.inode;
        fdb.port_index = entry.port_index;
        fdb.port_name = name_of(entry.port_index);
        fdb.bridge_index = entry.bridge_index;
        fdb.bridge_name = name_of(entry.bridge_index);
        fdb.mac = entry.mac;
        fdb.vlan = entry.vlan;
        fdb.state = entry.state;
        out.facts.fdb.push_back(std::move(fdb));
    }
}

} // namespace

NetworkFacts read_network_namespaces(network::Netlink& netlink, const std::vector<NetnsSource>& namespaces)
{
    std::vector<std::string> paths;
    for (const auto& source : namespaces)
        paths.push_back(source.path);

    // Namespaces are independent, so a few threads read them side by side.
    std::vector<NamespaceFacts> dumps(namespaces.size());
    std::vector<bool> read(namespaces.size(), false);
    size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
    workers = std::max<size_t>(1, std::min(workers, (namespaces.size() + 7) / 8));
    auto work = [&](size_t worker) {
        for (size_t i = worker; i < namespaces.size(); i += workers) {
            dumps[i].inode = namespaces[i].inode;
            auto dump = netlink.dump_namespace(namespaces[i].path, paths);
            if (!dump.ok()) {
                dumps[i].facts.warnings.push_back("enter net:[" + std::to_string(namespaces[i].inode) + "]: "
                    + dump.error().describe());
                continue;
            }
            convert(dump.value(), dumps[i]);
            read[i] = true;
        }
    };
    std::vector<std::thread> threads;
    for (size_t worker = 0; worker < workers; ++worker)
        threads.emplace_back(work, worker);
    for (auto& thread : threads)
        thread.join();

    // Name the peers and parents in other namespaces now that every namespace is read.
    for (auto& dump : dumps) {
        for (const auto& [position, other] : dump.link_to_other) {
            auto& link = dump.facts.links[position];
            bool is_veth = link.kind == "veth";
            int index = is_veth ? link.peer_index : link.parent_index;
            std::string name;
            if (read[other])
                for (const auto& candidate : dumps[other].facts.links)
                    if (candidate.index == index)
                        name = candidate.name;
            (is_veth ? link.peer_netns : link.parent_netns) = namespaces[other].inode;
            (is_veth ? link.peer_name : link.parent_name) = name;
        }
    }
    // Only now move the facts out: the loop above reads other namespaces' links by name.
    NetworkFacts result;
    for (auto& dump : dumps) {
        auto move_all = [](auto& from, auto& to) {
            for (auto& item : from)
                to.push_back(std::move(item));
        };
        move_all(dump.facts.links, result.links);
        move_all(dump.facts.addresses, result.addresses);
        move_all(dump.facts.routes, result.routes);
        move_all(dump.facts.neighbours, result.neighbours);
        move_all(dump.facts.fdb, result.fdb);
        move_all(dump.facts.warnings, result.warnings);
    }
    return result;
}

} // namespace engine::state::detail
