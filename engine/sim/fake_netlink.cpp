#include "engine/sim/fake_netlink.h"

#include <cstdio>

namespace engine::sim {

namespace {

std::string fake_mac(int index)
{
    char buffer[18];
    std::snprintf(buffer, sizeof buffer, "02:00:00:00:%02x:%02x", (index >> 8) & 0xff, index & 0xff);
    return buffer;
}

} // namespace

FakeNetlink::FakeNetlink()
{
    m_namespaces[""].links.push_back({ .index = 1, .name = "lo", .kind = "", .mac = "00:00:00:00:00:00", .mtu = 65536, .up = true });
}

FakeNetlink::Namespace& FakeNetlink::ns(const std::string& netns)
{
    auto& space = m_namespaces[netns];
    if (space.links.empty() && !netns.empty())
        space.links.push_back({ .index = 1, .name = "lo", .kind = "", .mac = "00:00:00:00:00:00", .mtu = 65536 });
    return space;
}

LinkAttributes* FakeNetlink::find(const std::string& netns, const std::string& name)
{
    for (auto& link : ns(netns).links)
        if (link.name == name)
            return &link;
    return nullptr;
}

void FakeNetlink::record(std::string line)
{
    m_calls.push_back(std::move(line));
}

std::vector<std::string> FakeNetlink::calls() const
{
    std::lock_guard lock(m_mutex);
    return m_calls;
}

Result<std::vector<LinkAttributes>> FakeNetlink::list_links(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    return ns(netns).links;
}

Result<LinkAttributes> FakeNetlink::get_link(const std::string& netns, const std::string& name)
{
    std::lock_guard lock(m_mutex);
    if (auto* link = find(netns, name))
        return *link;
    return Error::not_found("link " + name + ": Object not found");
}

Result<void> FakeNetlink::create_link(const std::string& netns, const LinkRequest& request)
{
    std::lock_guard lock(m_mutex);
    record("create_link " + request.kind + " " + request.name + (request.peer_name.empty() ? "" : " peer " + request.peer_name + "@" + request.peer_netns)
        + (request.parent.empty() ? "" : " parent " + request.parent) + (request.mode.empty() ? "" : " mode " + request.mode)
        + (request.vlan_id ? " id " + std::to_string(request.vlan_id) : "") + " in " + netns);
    if (find(netns, request.name))
        return Error::exists("create " + request.kind + " link " + request.name + ": Object exists");
    LinkAttributes link { .index = m_next_index++, .name = request.name, .kind = request.kind, .mtu = request.mtu ? request.mtu : 1500, .mode = request.mode, .vlan_id = request.vlan_id };
    link.mac = request.mac.empty() ? fake_mac(link.index) : request.mac;
    if (!request.parent.empty()) {
        auto* parent = find(netns, request.parent);
        if (!parent)
            return Error::not_found("link " + request.parent + ": Object not found");
        link.parent_index = parent->index;
        if (request.kind == "ipvlan")
            link.mac = parent->mac;
    }
    if (request.kind == "veth") {
        const auto& peer_ns = request.peer_netns.empty() ? netns : request.peer_netns;
        if (find(peer_ns, request.peer_name))
            return Error::exists("create veth peer " + request.peer_name + ": Object exists");
        LinkAttributes peer { .index = m_next_index++, .name = request.peer_name, .kind = "veth", .mtu = link.mtu, .parent_index = link.index };
        peer.mac = fake_mac(peer.index);
        link.parent_index = peer.index;
        ns(peer_ns).links.push_back(peer);
    }
    ns(netns).links.push_back(link);
    return Ok {};
}

void FakeNetlink::remove_link_state(const std::string& netns, int index)
{
    auto& space = ns(netns);
    std::erase_if(space.addresses, [&](const AddressInfo& a) { return a.link_index == index; });
    std::erase_if(space.routes, [&](const RouteInfo& r) { return r.link_index == index; });
    std::erase_if(space.links, [&](const LinkAttributes& l) { return l.index == index; });
}

Result<void> FakeNetlink::delete_link(const std::string& netns, const std::string& name)
{
    std::lock_guard lock(m_mutex);
    record("delete_link " + name + " in " + netns);
    auto* link = find(netns, name);
    if (!link)
        return Error::not_found("link " + name + ": Object not found");
    int index = link->index;
    int peer = link->kind == "veth" ? link->parent_index : 0;
    remove_link_state(netns, index);
    // Deleting one end of a veth deletes the other; deleting a parent deletes its children.
    for (auto& [path, space] : m_namespaces) {
        std::vector<int> doomed;
        for (const auto& other : space.links)
            if (other.index == peer || (other.parent_index == index && other.kind != "veth"))
                doomed.push_back(other.index);
        for (int i : doomed)
            remove_link_state(path, i);
    }
    return Ok {};
}

Result<void> FakeNetlink::move_link(const std::string& netns, const std::string& name,
    const std::string& target_netns, const std::string& new_name)
{
    std::lock_guard lock(m_mutex);
    record("move_link " + name + " to " + target_netns + " as " + new_name);
    auto* link = find(netns, name);
    if (!link)
        return Error::not_found("link " + name + ": Object not found");
    LinkAttributes moved = *link;
    moved.up = false;
    moved.master_index = 0;
    if (!new_name.empty())
        moved.name = new_name;
    if (find(target_netns, moved.name))
        return Error::exists("move link " + name + ": Object exists");
    remove_link_state(netns, moved.index);
    ns(target_netns).links.push_back(moved);
    return Ok {};
}

Result<void> FakeNetlink::set_link_up(const std::string& netns, const std::string& name, bool up)
{
    std::lock_guard lock(m_mutex);
    record(std::string(up ? "link_up " : "link_down ") + name + " in " + netns);
    auto* link = find(netns, name);
    if (!link)
        return Error::not_found("link " + name + ": Object not found");
    link->up = up;
    return Ok {};
}

Result<void> FakeNetlink::set_link_master(const std::string& netns, const std::string& name, const std::string& master)
{
    std::lock_guard lock(m_mutex);
    record("set_master " + name + " " + master + " in " + netns);
    auto* link = find(netns, name);
    if (!link)
        return Error::not_found("link " + name + ": Object not found");
    int index = 0;
    if (!master.empty()) {
        auto* bridge = find(netns, master);
        if (!bridge || bridge->kind != "bridge")
            return Error::not_found("bridge " + master + ": Object not found");
        index = bridge->index;
    }
    find(netns, name)->master_index = index;
    return Ok {};
}

Result<void> FakeNetlink::set_link_mtu(const std::string& netns, const std::string& name, int mtu)
{
    std::lock_guard lock(m_mutex);
    record("set_mtu " + name + " " + std::to_string(mtu));
    auto* link = find(netns, name);
    if (!link)
        return Error::not_found("link " + name + ": Object not found");
    link->mtu = mtu;
    return Ok {};
}

Result<void> FakeNetlink::set_link_mac(const std::string& netns, const std::string& name, const std::string& mac)
{
    std::lock_guard lock(m_mutex);
    record("set_mac " + name + " " + mac);
    auto* link = find(netns, name);
    if (!link)
        return Error::not_found("link " + name + ": Object not found");
    link->mac = mac;
    return Ok {};
}

Result<std::vector<AddressInfo>> FakeNetlink::list_addresses(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    return ns(netns).addresses;
}

Result<void> FakeNetlink::add_address(const std::string& netns, const std::string& link, const std::string& address, int prefix_length)
{
    std::lock_guard lock(m_mutex);
    record("add_address " + address + "/" + std::to_string(prefix_length) + " " + link + " in " + netns);
    auto* l = find(netns, link);
    if (!l)
        return Error::not_found("link " + link + ": Object not found");
    for (const auto& existing : ns(netns).addresses)
        if (existing.link_index == l->index && existing.address == address)
            return Error::exists("add address " + address + ": Object exists");
    ns(netns).addresses.push_back({ l->index, address, prefix_length, address.find(':') == std::string::npos ? 2 : 10 });
    return Ok {};
}

Result<void> FakeNetlink::delete_address(const std::string& netns, const std::string& link, const std::string& address, int prefix_length)
{
    std::lock_guard lock(m_mutex);
    record("delete_address " + address + "/" + std::to_string(prefix_length) + " " + link);
    auto* l = find(netns, link);
    if (!l)
        return Error::not_found("link " + link + ": Object not found");
    int index = l->index;
    if (std::erase_if(ns(netns).addresses, [&](const AddressInfo& a) { return a.link_index == index && a.address == address; }) == 0)
        return Error::not_found("delete address " + address + ": Object not found");
    return Ok {};
}

Result<std::vector<RouteInfo>> FakeNetlink::list_routes(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    return ns(netns).routes;
}

Result<void> FakeNetlink::add_route(const std::string& netns, const std::string& destination, const std::string& gateway, const std::string& link)
{
    std::lock_guard lock(m_mutex);
    record("add_route " + destination + (gateway.empty() ? "" : " via " + gateway) + (link.empty() ? "" : " dev " + link) + " in " + netns);
    int index = 0;
    if (!link.empty()) {
        auto* l = find(netns, link);
        if (!l)
            return Error::not_found("link " + link + ": Object not found");
        index = l->index;
    }
    std::string dst = destination == "default" ? "0.0.0.0/0" : destination;
    ns(netns).routes.push_back({ dst, gateway, index, 254, gateway.empty() ? 253 : 0, 4 });
    return Ok {};
}

Result<void> FakeNetlink::delete_route(const std::string& netns, const std::string& destination, const std::string& gateway, const std::string& link)
{
    std::lock_guard lock(m_mutex);
    record("delete_route " + destination + " in " + netns);
    std::string dst = destination == "default" ? "0.0.0.0/0" : destination;
    (void)link;
    if (std::erase_if(ns(netns).routes, [&](const RouteInfo& r) { return r.destination == dst && r.gateway == gateway; }) == 0)
        return Error::not_found("delete route " + destination + ": Object not found");
    return Ok {};
}

Result<std::vector<NeighbourInfo>> FakeNetlink::list_neighbours(const std::string&)
{
    return std::vector<NeighbourInfo> {};
}

Result<std::vector<FdbEntry>> FakeNetlink::list_fdb(const std::string&)
{
    return std::vector<FdbEntry> {};
}

Result<NamespaceDump> FakeNetlink::dump_namespace(const std::string& netns, const std::vector<std::string>& others)
{
    std::lock_guard lock(m_mutex);
    if (!m_namespaces.contains(netns))
        return Error::not_found("open network namespace " + netns + ": No such file or directory");
    NamespaceDump dump;
    const auto& space = m_namespaces.at(netns);
    // Link indexes are unique across the whole model, so a peer is found wherever it lives.
    auto namespace_of = [&](int index) -> std::string {
        for (const auto& [path, other] : m_namespaces)
            for (const auto& link : other.links)
                if (link.index == index)
                    return path;
        return netns;
    };
    for (auto link : space.links) {
        link.oper_state = link.up ? "up" : "down";
        if (link.parent_index > 0) {
            auto where = namespace_of(link.parent_index);
            for (std::size_t i = 0; where != netns && i < others.size(); ++i) {
                if (others[i] == where) {
                    link.link_netnsid = static_cast<std::int32_t>(i);
                    dump.other_of_netnsid[link.link_netnsid] = i;
                }
            }
        }
        dump.links.push_back({ link, link.master_index > 0 ? "forwarding" : "" });
    }
    for (const auto& address : space.addresses)
        dump.addresses.push_back({ address.link_index, "inet", address.address + "/" + std::to_string(address.prefix_length),
            "universe" });
    for (const auto& route : space.routes)
        dump.routes.push_back({ "inet", "main", route.destination == "0.0.0.0/0" ? "default" : route.destination,
            route.gateway, route.link_index, "boot", route.gateway.empty() ? "link" : "universe", 0 });
    return dump;
}

namespace {

class AlwaysChanged final : public network::NamespaceWatch {
public:
    bool changed() override { return true; }
};

} // namespace

Result<std::unique_ptr<network::NamespaceWatch>> FakeNetlink::watch_namespace(const std::string& netns)
{
    (void)netns;
    return std::unique_ptr<network::NamespaceWatch>(std::make_unique<AlwaysChanged>());
}

} // namespace engine::sim
