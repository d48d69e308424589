#include "engine/sim/net/sim_network.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "engine/network/ipv4.h"
#include "engine/network/ipv6.h"
#include "engine/sim/fake_nftables.h"

namespace engine::sim {

using network::AddressInfo;
using network::FdbEntry;
using network::Ipv4;
using network::Ipv6;
using network::LinkAttributes;
using network::LinkRequest;
using network::NamespaceDump;
using network::NeighbourInfo;
using network::RouteInfo;
using network::Subnet;
using network::Subnet6;

namespace {

// rtnetlink's numbers, as the real seam reports them (linux/rtnetlink.h, linux/neighbour.h).
constexpr int AfInet = 2;
constexpr int AfInet6 = 10;
constexpr int ScopeUniverse = 0;
constexpr int ScopeLink = 253;
constexpr int ScopeHost = 254;
constexpr int ProtoKernel = 2;
constexpr int ProtoStatic = 4;
constexpr int TableMain = 254;
constexpr int TableLocal = 255;
constexpr int NudReachable = 0x02;
constexpr int NudStale = 0x04;
constexpr int NudFailed = 0x20;
constexpr int NudPermanent = 0x80;
constexpr const char* Broadcast = "ff:ff:ff:ff:ff:ff";
constexpr int MaxDepth = 64;

// The messages libnl's nl_geterror gives for the errors the kernel returns, so an error from the
// model reads as LibnlNetlink's would.
Error link_not_found(const std::string& name)
{
    return Error::not_found("link " + name + ": No such device");
}
Error object_exists(const std::string& what)
{
    return Error::exists(what + ": Object exists");
}
Error invalid_input(const std::string& what)
{
    return Error::system(what + ": Invalid input data or parameter");
}
// What libnl makes of the errnos it has no name for (ENETDOWN, ENETUNREACH).
Error unspecific(const std::string& what)
{
    return Error::system(what + ": Unspecific failure");
}

std::string format_mac(std::uint64_t value)
{
    char buffer[18];
    std::snprintf(buffer, sizeof buffer, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned((value >> 40) & 0xff),
        unsigned((value >> 32) & 0xff), unsigned((value >> 24) & 0xff), unsigned((value >> 16) & 0xff),
        unsigned((value >> 8) & 0xff), unsigned(value & 0xff));
    return buffer;
}

bool valid_mac(const std::string& mac)
{
    if (mac.size() != 17)
        return false;
    for (std::size_t i = 0; i < mac.size(); ++i) {
        bool colon = i % 3 == 2;
        if (colon != (mac[i] == ':') || (!colon && !std::isxdigit(static_cast<unsigned char>(mac[i]))))
            return false;
    }
    return true;
}

// fe80::/64 plus the modified EUI-64 of the MAC (RFC 4291 appendix A), as the kernel makes the
// link-local address of a link that comes up with addrgenmode eui64.
std::string link_local_of(const std::string& mac)
{
    unsigned b[6] = {};
    std::sscanf(mac.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "fe80::%x:%x:%x:%x", ((b[0] ^ 0x02) << 8) | b[1], (b[2] << 8) | 0xff,
        (0xfe << 8) | b[3], (b[4] << 8) | b[5]);
    return buffer;
}

// Label of a link in a trace: bare in the host namespace, "name@label" elsewhere.
std::string hop_label(const std::string& name, const std::string& netns)
{
    return netns.empty() ? name : name + "@" + SimNetwork::namespace_label(netns);
}

} // namespace

std::string PacketTrace::trace() const
{
    std::string out;
    for (const auto& hop : hops)
        out += (out.empty() ? "" : " -> ") + hop;
    return out;
}

std::string SimNetwork::namespace_label(const std::string& netns)
{
    if (netns.empty())
        return "host";
    auto slash = netns.find_last_of('/');
    return slash == std::string::npos ? netns : netns.substr(slash + 1);
}

// [SECTION] The model.

struct SimNetwork::Model {
    struct Link {
        int id { 0 };              // Unique in the model; never reused.
        int ifindex { 0 };         // As the namespace numbers it.
        std::string netns {};
        std::string name {};
        std::string kind {};
        std::string mac {};
        int mtu { 1500 };
        bool up { false };
        bool mtu_set { false };    // A bridge follows its ports' MTU until one is set.
        bool mac_set { false };    // A bridge takes its first port's MAC until one is set.
        int master { 0 };          // Model id of the bridge.
        int parent { 0 };          // Model id of the veth peer or the lower link.
        std::string mode {};
        int vlan_id { 0 };
        // The IPv6 link-local address, made from the MAC the link had when it first came up with
        // carrier (a later MAC change, as a bridge's on its first port, leaves it); "" for none.
        std::string link_local {};
        // Whether linkwatch has computed the link's operational state. macvlan_common_newlink fires
        // a linkwatch event; ipvlan_link_new does not, and its netif_stacked_transfer_operstate
        // only fires one when it changes the carrier bit, which a new device already has. So an
        // ipvlan link made on a lower device with carrier reports IF_OPER_UNKNOWN ("unknown")
        // while up, until the lower device loses carrier while it is up (NETDEV_CHANGE); Debian's
        // 6.1 kernel under scripts/kernel-lab shows it.
        bool linkwatch { true };
    };
    struct Address {
        int link { 0 };
        Ipv4 address {};
        int prefix { 0 };
    };
    struct StaticRoute {
        Subnet destination {};
        std::string gateway {};
        int link { 0 };
        int scope { 0 };
    };
    // Global IPv6 addresses and routes, as the engine adds them for networks with IPv6: kept and
    // listed (with the kernel's connected and local routes), not carried by the packet model.
    struct Address6 {
        int link { 0 };
        Ipv6 address {};
        int prefix { 0 };
    };
    struct StaticRoute6 {
        Subnet6 destination {};
        std::string gateway {};
        int link { 0 };
    };
    struct Neighbour {
        std::string mac {};
        double updated { 0 };
        bool failed { false };
    };
    struct Namespace {
        int next_ifindex { 1 };
        std::vector<Address> addresses;
        std::vector<StaticRoute> routes;
        std::vector<Address6> addresses6;
        std::vector<StaticRoute6> routes6;
        std::map<std::pair<int, std::uint32_t>, Neighbour> neighbours; // (link id, IP)
        bool forwarding { false };
        std::set<std::tuple<int, std::uint32_t, std::uint16_t>> listeners; // (protocol, IP, port)
        // Masquerade: (translated source, peer) -> original source, so replies find their way back.
        std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> conntrack;
    };
    struct Learned {
        int port { 0 };
        double updated { 0 };
    };

    SimNetworkOptions options;
    std::map<std::string, Namespace> spaces;
    std::map<int, Link> links;
    std::map<int, std::map<std::string, Learned>> fdb; // bridge id -> MAC -> port
    // Indexes over `links`, kept by add_index/drop_index/set_master, so lookups stay cheap with
    // thousands of links.
    std::map<std::pair<std::string, std::string>, int> by_name; // (netns, name) -> id
    std::map<std::string, std::set<int>> in_space;             // netns -> ids
    std::map<int, std::set<int>> ports_of;                      // bridge id -> port ids
    std::map<int, std::set<int>> uppers_of;                     // lower id -> macvlan/ipvlan/vlan ids
    int next_id { 1 };
    std::uint64_t next_mac { 1 };
    double now { 0 };
    bool has_ruleset { false };
    network::NftRuleset ruleset;

    // [SECTION] Lookups.

    Namespace& space(const std::string& netns)
    {
        auto [it, made] = spaces.try_emplace(netns);
        if (made) {
            it->second.forwarding = netns.empty();
            Link lo { .id = next_id++, .ifindex = it->second.next_ifindex++, .netns = netns, .name = "lo", .kind = "",
                .mac = "00:00:00:00:00:00", .mtu = 65536, .up = netns.empty() };
            add_link(lo);
            if (netns.empty())
                refresh(lo.id);
        }
        return it->second;
    }

    Link* find(const std::string& netns, const std::string& name)
    {
        space(netns);
        auto it = by_name.find({ netns, name });
        return it == by_name.end() ? nullptr : by_id(it->second);
    }

    void add_link(const Link& link)
    {
        links[link.id] = link;
        by_name[{ link.netns, link.name }] = link.id;
        in_space[link.netns].insert(link.id);
        if (link.parent && link.kind != "veth")
            uppers_of[link.parent].insert(link.id);
    }

    // Makes `id` a port of `bridge` (0: of none).
    void set_master(Link& link, int bridge)
    {
        if (link.master)
            ports_of[link.master].erase(link.id);
        link.master = bridge;
        if (bridge)
            ports_of[bridge].insert(link.id);
    }

    void rename(Link& link, const std::string& netns, const std::string& name)
    {
        by_name.erase({ link.netns, link.name });
        in_space[link.netns].erase(link.id);
        link.netns = netns;
        link.name = name;
        by_name[{ netns, name }] = link.id;
        in_space[netns].insert(link.id);
    }

    Link* by_id(int id)
    {
        auto it = links.find(id);
        return it == links.end() ? nullptr : &it->second;
    }

    int ifindex_of(int id)
    {
        auto* link = by_id(id);
        return link ? link->ifindex : 0;
    }

    std::vector<Link*> in(const std::string& netns)
    {
        std::vector<Link*> out;
        for (int id : in_space[netns])
            out.push_back(by_id(id));
        std::sort(out.begin(), out.end(), [](Link* a, Link* b) { return a->ifindex < b->ifindex; });
        return out;
    }

    std::vector<Link*> children(int id, const std::string& kind = "")
    {
        std::vector<Link*> out;
        auto it = uppers_of.find(id);
        if (it == uppers_of.end())
            return out;
        for (int upper : it->second)
            if (auto* link = by_id(upper); link && (kind.empty() || link->kind == kind))
                out.push_back(link);
        return out;
    }

    std::vector<Link*> ports(int bridge)
    {
        std::vector<Link*> out;
        auto it = ports_of.find(bridge);
        if (it == ports_of.end())
            return out;
        for (int port : it->second)
            out.push_back(by_id(port));
        return out;
    }

    std::string new_mac()
    {
        // Locally administered, unicast, deterministic: 02:<seed>:<counter>.
        std::uint64_t value = (std::uint64_t(0x02) << 40) | (std::uint64_t(options.mac_seed & 0xff) << 32)
            | (next_mac++ & 0xffffffff);
        return format_mac(value);
    }

    // [SECTION] Carrier: the operational state the kernel derives from admin state and lower links.

    bool carrier(const Link& link)
    {
        if (!link.up)
            return false;
        if (link.kind == "veth") {
            auto* peer = by_id(link.parent);
            return peer && peer->up;
        }
        if (link.kind == "bridge") {
            // A bridge without ports keeps its carrier; with ports it has one while a port has.
            auto members = ports(link.id);
            for (auto* port : members)
                if (carrier(*port))
                    return true;
            return members.empty();
        }
        if (link.kind == "macvlan" || link.kind == "ipvlan" || link.kind == "vlan") {
            auto* lower = by_id(link.parent);
            return lower && carrier(*lower);
        }
        return true; // lo, dummy.
    }

    std::string oper_state(const Link& link)
    {
        if (!link.up)
            return "down";
        if (link.kind.empty() || link.kind == "dummy" || (link.kind == "bridge" && ports(link.id).empty()))
            return "unknown";
        if (!link.linkwatch)
            return "unknown";
        if ((link.kind == "macvlan" || link.kind == "ipvlan" || link.kind == "vlan") && !carrier(link))
            return "lowerlayerdown";
        return carrier(link) ? "up" : "down";
    }

    // Assigns or drops the IPv6 link-local address of `id` and of every link whose carrier
    // depends on it, as addrconf does on NETDEV_UP / NETDEV_CHANGE / NETDEV_DOWN.
    void refresh(int id, int depth = 0)
    {
        auto* link = by_id(id);
        if (!link || depth > 8)
            return;
        if (!link->up)
            link->link_local.clear();
        else if (carrier(*link))
            if (link->link_local.empty())
                link->link_local = link_local_of(link->mac);
        if (!link->linkwatch) {
            // ipvlan_device_event passes the lower device's lost carrier on (a NETDEV_CHANGE comes
            // only while the lower device is up), which fires the linkwatch event.
            auto* lower = by_id(link->parent);
            if (lower && lower->up && !carrier(*lower))
                link->linkwatch = true;
        }
        if (depth > 0)
            return;
        std::vector<int> related;
        if (link->kind == "veth" && link->parent)
            related.push_back(link->parent);
        if (link->master)
            related.push_back(link->master);
        for (auto* child : children(id))
            related.push_back(child->id);
        for (int other : related)
            refresh(other, depth + 1);
        for (int other : related)
            for (auto* child : children(other))
                refresh(child->id, depth + 1);
    }

    // A bridge without an MTU of its own takes the smallest of its ports'; without a MAC of its
    // own, the smallest port MAC (br_stp_recalculate_bridge_id and br_mtu_auto_adjust).
    void adjust_bridge(int bridge_id)
    {
        auto* bridge = by_id(bridge_id);
        if (!bridge)
            return;
        auto members = ports(bridge_id);
        if (!bridge->mtu_set && !members.empty()) {
            int mtu = 65535;
            for (auto* port : members)
                mtu = std::min(mtu, port->mtu);
            bridge->mtu = mtu;
        }
        if (!bridge->mac_set && !members.empty()) {
            std::string lowest = members.front()->mac;
            for (auto* port : members)
                lowest = std::min(lowest, port->mac);
            bridge->mac = lowest;
        }
    }

    void remove_link(int id)
    {
        auto* link = by_id(id);
        if (!link)
            return;
        auto& ns = space(link->netns);
        std::erase_if(ns.addresses, [&](const Address& a) { return a.link == id; });
        std::erase_if(ns.routes, [&](const StaticRoute& r) { return r.link == id; });
        std::erase_if(ns.addresses6, [&](const Address6& a) { return a.link == id; });
        std::erase_if(ns.routes6, [&](const StaticRoute6& r) { return r.link == id; });
        std::erase_if(ns.neighbours, [&](const auto& entry) { return entry.first.first == id; });
        fdb.erase(id);
        for (auto& [bridge, table] : fdb)
            std::erase_if(table, [&](const auto& entry) { return entry.second.port == id; });
        int master = link->master;
        std::vector<int> doomed;
        if (link->kind == "veth" && link->parent)
            doomed.push_back(link->parent);
        for (auto* child : children(id))
            doomed.push_back(child->id);
        for (auto* port : ports(id))
            port->master = 0;
        ports_of.erase(id);
        if (link->master)
            ports_of[link->master].erase(id);
        if (link->parent && link->kind != "veth")
            uppers_of[link->parent].erase(id);
        uppers_of.erase(id);
        by_name.erase({ link->netns, link->name });
        in_space[link->netns].erase(id);
        links.erase(id);
        for (int other : doomed)
            remove_link(other);
        if (master) {
            adjust_bridge(master);
            refresh(master);
        }
    }

    // [SECTION] Addresses and routes.

    std::vector<Address> addresses_on(int id)
    {
        std::vector<Address> out;
        auto* link = by_id(id);
        if (!link)
            return out;
        for (const auto& address : space(link->netns).addresses)
            if (address.link == id)
                out.push_back(address);
        return out;
    }

    // Is `ip` one of the namespace's own addresses (the local table)?
    bool is_local(const std::string& netns, Ipv4 ip)
    {
        for (const auto& address : space(netns).addresses) {
            auto* link = by_id(address.link);
            if (link && link->up && address.address == ip)
                return true;
        }
        if ((ip.value >> 24) == 127)
            if (auto* lo = find(netns, "lo"); lo && lo->up)
                return true;
        return false;
    }

    struct Route {
        bool found { false };
        bool local { false };
        int link { 0 };
        Ipv4 next_hop {};
        Ipv4 source {};
    };

    Ipv4 source_for(const std::string& netns, int link, Ipv4 next_hop)
    {
        auto on_link = addresses_on(link);
        for (const auto& address : on_link)
            if (Subnet { { address.address.value & Subnet { {}, address.prefix }.mask() }, address.prefix }.contains(next_hop))
                return address.address;
        if (!on_link.empty())
            return on_link.front().address;
        for (const auto& address : space(netns).addresses)
            if (auto* l = by_id(address.link); l && l->up && l->kind != "")
                return address.address;
        return {};
    }

    // fib_lookup: the local table first, then the main table by longest prefix.
    Route lookup(const std::string& netns, Ipv4 destination)
    {
        Route route;
        if (is_local(netns, destination)) {
            route.found = true;
            route.local = true;
            route.source = destination;
            route.link = find(netns, "lo")->id;
            return route;
        }
        int best = -1;
        auto& ns = space(netns);
        for (const auto& address : ns.addresses) {
            auto* link = by_id(address.link);
            Subnet subnet { { address.address.value & Subnet { {}, address.prefix }.mask() }, address.prefix };
            if (link && link->up && subnet.contains(destination) && address.prefix > best) {
                best = address.prefix;
                route = { true, false, link->id, destination, address.address };
            }
        }
        for (const auto& r : ns.routes) {
            auto* link = by_id(r.link);
            if (link && link->up && r.destination.contains(destination) && r.destination.prefix > best) {
                best = r.destination.prefix;
                Ipv4 hop = r.gateway.empty() ? destination : Ipv4::parse(r.gateway).value();
                route = { true, false, link->id, hop, source_for(netns, link->id, hop) };
            }
        }
        return route;
    }

    // The routes `ip route show table all` lists for IPv4: the kernel's connected, local and
    // broadcast routes for each address on an up link, then the static ones.
    std::vector<network::DumpedRoute> routes_of(const std::string& netns, bool with_ipv6)
    {
        std::vector<network::DumpedRoute> out;
        auto& ns = space(netns);
        auto add = [&](std::string family, std::string table, std::string dst, std::string gw, int link,
                       std::string proto, std::string scope, int metric) {
            out.push_back({ std::move(family), std::move(table), std::move(dst), std::move(gw), ifindex_of(link),
                std::move(proto), std::move(scope), metric });
        };
        for (const auto& r : ns.routes)
            add("inet", "main", r.destination.prefix == 0 ? "default" : r.destination.str(), r.gateway, r.link,
                "static", r.scope == ScopeLink ? "link" : "global", 0);
        if (auto* lo = find(netns, "lo"); lo && lo->up) {
            add("inet", "local", "127.0.0.0/8", "", lo->id, "kernel", "host", 0);
            add("inet", "local", "127.0.0.1/32", "", lo->id, "kernel", "host", 0);
            add("inet", "local", "127.255.255.255/32", "", lo->id, "kernel", "link", 0);
        }
        for (const auto& address : ns.addresses) {
            auto* link = by_id(address.link);
            if (!link || !link->up)
                continue;
            Subnet subnet { { address.address.value & Subnet { {}, address.prefix }.mask() }, address.prefix };
            if (address.prefix < 32 && link->kind != "")
                add("inet", "main", subnet.str(), "", link->id, "kernel", "link", 0);
            if (link->kind == "" && address.prefix < 32)
                add("inet", "local", subnet.str(), "", link->id, "kernel", "host", 0);
            add("inet", "local", address.address.str() + "/32", "", link->id, "kernel", "host", 0);
            if (address.prefix < 31)
                add("inet", "local", subnet.last().str() + "/32", "", link->id, "kernel", "link", 0);
        }
        if (!with_ipv6)
            return out;
        for (auto* link : in(netns)) {
            if (!link->up)
                continue;
            if (link->kind.empty()) {
                add("inet6", "local", "::1/128", "", link->id, "kernel", "global", 0);
                continue;
            }
            if (link->link_local.empty())
                continue;
            add("inet6", "main", "fe80::/64", "", link->id, "kernel", "global", 256);
            add("inet6", "local", link->link_local + "/128", "", link->id, "kernel", "global", 0);
            add("inet6", "local", "ff00::/8", "", link->id, "kernel", "global", 256);
        }
        for (const auto& address : ns.addresses6) {
            auto* link = by_id(address.link);
            if (!link || !link->up)
                continue;
            if (address.prefix < 128)
                add("inet6", "main", Subnet6::parse(address.address.str() + "/" + std::to_string(address.prefix)).value().str(),
                    "", link->id, "kernel", "global", 256);
            add("inet6", "local", address.address.str() + "/128", "", link->id, "kernel", "global", 0);
        }
        for (const auto& r : ns.routes6)
            add("inet6", "main", r.destination.prefix == 0 ? "default" : r.destination.str(), r.gateway, r.link,
                "static", "global", 1024);
        return out;
    }

    // [SECTION] The packet model.
    struct Packet {
        enum Kind { EchoRequest, EchoReply, Syn, SynAck, Reset, Datagram, PortUnreachable };
        Kind kind { EchoRequest };
        Ipv4 source {};
        Ipv4 destination {};
        std::uint16_t port { 0 };
        int protocol { 0 };
        int ttl { 64 };
    };
    struct Frame {
        enum Kind { ArpRequest, ArpReply, Ip };
        Kind kind { Ip };
        std::string source_mac {};
        std::string destination_mac {};
        int vlan { 0 };
        Ipv4 arp_sender {};
        Ipv4 arp_target {};
        Packet packet {};
    };
    // A frame that reached a link's IP stack, with the path it took there.
    struct Arrival {
        int link { 0 };
        Frame frame;
        std::vector<std::string> path;
    };
    struct Walk {
        std::vector<Arrival> arrivals;
        std::vector<std::string>* notes { nullptr };
        std::set<std::pair<int, int>> seen; // (link, direction) a frame already crossed: stops loops.
        void note(std::string text)
        {
            if (notes)
                notes->push_back(std::move(text));
        }
    };

    std::string label(const Link& link) { return hop_label(link.name, link.netns); }

    static void push_hop(std::vector<std::string>& path, const std::string& hop)
    {
        if (path.empty() || path.back() != hop)
            path.push_back(hop);
    }

    // A frame leaves through `id` (sent by its stack, or forwarded to it).
    void transmit(int id, Frame frame, std::vector<std::string> path, Walk& walk, int depth)
    {
        auto* link = by_id(id);
        if (!link || depth > MaxDepth || !walk.seen.insert({ id, 0 }).second)
            return;
        push_hop(path, label(*link));
        if (!link->up) {
            walk.note(label(*link) + " is down: frame dropped");
            return;
        }
        if (link->kind == "veth") {
            auto* peer = by_id(link->parent);
            if (!peer || !peer->up) {
                walk.note(label(*link) + ": peer is down, no carrier");
                return;
            }
            receive(peer->id, frame, path, walk, depth + 1);
        } else if (link->kind == "bridge") {
            bridge_forward(*link, 0, frame, path, walk, depth + 1);
        } else if (link->kind == "macvlan") {
            macvlan_transmit(*link, frame, path, walk, depth + 1);
        } else if (link->kind == "ipvlan") {
            ipvlan_transmit(*link, frame, path, walk, depth + 1);
        } else if (link->kind == "vlan") {
            frame.vlan = link->vlan_id;
            transmit(link->parent, frame, path, walk, depth + 1);
        } else if (link->kind == "dummy") {
            walk.note(label(*link) + ": a dummy link drops what it sends");
        } else {
            walk.arrivals.push_back({ id, frame, path });
        }
    }

    bool for_link(const Link& link, const Frame& frame)
    {
        return frame.destination_mac == link.mac || frame.destination_mac == Broadcast || link.kind.empty();
    }

    // A frame arrives on `id` from its wire (a veth peer, a lower device).
    void receive(int id, Frame frame, std::vector<std::string> path, Walk& walk, int depth)
    {
        auto* link = by_id(id);
        if (!link || depth > MaxDepth || !walk.seen.insert({ id, 1 }).second)
            return;
        push_hop(path, label(*link));
        if (!link->up) {
            walk.note(label(*link) + " is down: frame dropped");
            return;
        }
        if (frame.vlan != 0) {
            // 802.1q: a tagged frame goes only to the sub-interface with that id.
            for (auto* child : children(id, "vlan")) {
                if (child->vlan_id == frame.vlan) {
                    Frame untagged = frame;
                    untagged.vlan = 0;
                    receive(child->id, untagged, path, walk, depth + 1);
                    return;
                }
            }
            walk.note(label(*link) + ": no VLAN " + std::to_string(frame.vlan) + " sub-interface, tagged frame dropped");
            return;
        }
        if (link->master) {
            bridge_input(link->master, id, frame, path, walk, depth + 1);
            return;
        }
        // macvlan: the lower device hands a frame to the child that owns its MAC; a broadcast to
        // every child and the lower device itself.
        auto macvlans = children(id, "macvlan");
        if (!macvlans.empty()) {
            bool broadcast = frame.destination_mac == Broadcast;
            for (auto* child : macvlans) {
                if (child->up && (broadcast || child->mac == frame.destination_mac)) {
                    auto child_path = path;
                    push_hop(child_path, label(*child));
                    walk.arrivals.push_back({ child->id, frame, child_path });
                    if (!broadcast)
                        return;
                }
            }
        }
        // ipvlan: slaves share the lower device's MAC; the destination IP picks the slave.
        auto ipvlans = children(id, "ipvlan");
        if (!ipvlans.empty()) {
            for (auto* child : ipvlans) {
                if (!child->up)
                    continue;
                bool l2 = child->mode.empty() || child->mode == "l2";
                Ipv4 target = frame.kind == Frame::Ip ? frame.packet.destination : frame.arp_target;
                bool owns = false;
                for (const auto& address : addresses_on(child->id))
                    owns = owns || address.address == target;
                bool broadcast_arp = frame.kind == Frame::ArpRequest && l2;
                bool arp_ok = frame.kind == Frame::Ip || l2;
                if ((owns && arp_ok) || broadcast_arp) {
                    auto child_path = path;
                    push_hop(child_path, label(*child));
                    walk.arrivals.push_back({ child->id, frame, child_path });
                    if (owns)
                        return;
                }
            }
        }
        if (for_link(*link, frame))
            walk.arrivals.push_back({ id, frame, path });
        else
            walk.note(label(*link) + ": frame for another host (" + frame.destination_mac + ") ignored");
    }

    bool local_to_bridge(const Link& bridge, const std::string& mac)
    {
        if (bridge.mac == mac)
            return true;
        for (auto* port : ports(bridge.id))
            if (port->mac == mac)
                return true;
        return false;
    }

    // A frame entering a bridge through port `port`: learn, then deliver up or forward.
    void bridge_input(int bridge_id, int port, Frame frame, std::vector<std::string> path, Walk& walk, int depth)
    {
        auto* bridge = by_id(bridge_id);
        if (!bridge || !bridge->up) {
            walk.note("bridge is down: frame dropped");
            return;
        }
        push_hop(path, label(*bridge));
        if (!local_to_bridge(*bridge, frame.source_mac))
            fdb[bridge_id][frame.source_mac] = { port, now };
        if (frame.destination_mac == Broadcast) {
            walk.arrivals.push_back({ bridge_id, frame, path });
            bridge_forward(*bridge, port, frame, path, walk, depth);
            return;
        }
        if (local_to_bridge(*bridge, frame.destination_mac)) {
            walk.arrivals.push_back({ bridge_id, frame, path });
            return;
        }
        bridge_forward(*bridge, port, frame, path, walk, depth);
    }

    // Forwards by the FDB, or floods to every port but the one the frame came in on.
    void bridge_forward(Link& bridge, int in_port, const Frame& frame, const std::vector<std::string>& path, Walk& walk,
        int depth)
    {
        auto table = fdb.find(bridge.id);
        if (frame.destination_mac != Broadcast && table != fdb.end()) {
            auto entry = table->second.find(frame.destination_mac);
            if (entry != table->second.end() && now - entry->second.updated <= options.fdb_ageing_seconds) {
                if (entry->second.port == in_port)
                    return; // The destination is behind the port it came from (no hairpin).
                transmit(entry->second.port, frame, path, walk, depth + 1);
                return;
            }
        }
        if (frame.destination_mac != Broadcast)
            walk.note(label(bridge) + ": " + frame.destination_mac + " not in the FDB, flooded");
        for (auto* port : ports(bridge.id))
            if (port->id != in_port && carrier(*port))
                transmit(port->id, frame, path, walk, depth + 1);
    }

    // A macvlan child sends: in bridge mode a sibling with the destination MAC gets the frame
    // directly; everything else goes out on the lower device's wire, never up its own stack, so
    // the parent never hears its children.
    void macvlan_transmit(Link& child, const Frame& frame, const std::vector<std::string>& path, Walk& walk, int depth)
    {
        bool bridge_mode = child.mode.empty() || child.mode == "bridge";
        bool broadcast = frame.destination_mac == Broadcast;
        if (bridge_mode) {
            for (auto* sibling : children(child.parent, "macvlan")) {
                if (sibling->id == child.id || !sibling->up || !(sibling->mode.empty() || sibling->mode == "bridge"))
                    continue;
                if (broadcast || sibling->mac == frame.destination_mac) {
                    auto sibling_path = path;
                    push_hop(sibling_path, label(*sibling));
                    walk.arrivals.push_back({ sibling->id, frame, sibling_path });
                    if (!broadcast)
                        return;
                }
            }
        }
        wire_out(child.parent, frame, path, walk, depth);
    }

    void ipvlan_transmit(Link& child, const Frame& frame, const std::vector<std::string>& path, Walk& walk, int depth)
    {
        bool broadcast = frame.destination_mac == Broadcast;
        for (auto* sibling : children(child.parent, "ipvlan")) {
            if (sibling->id == child.id || !sibling->up)
                continue;
            Ipv4 target = frame.kind == Frame::Ip ? frame.packet.destination : frame.arp_target;
            bool owns = false;
            for (const auto& address : addresses_on(sibling->id))
                owns = owns || address.address == target;
            if (owns || broadcast) {
                auto sibling_path = path;
                push_hop(sibling_path, label(*sibling));
                walk.arrivals.push_back({ sibling->id, frame, sibling_path });
                if (owns && !broadcast)
                    return;
            }
        }
        wire_out(child.parent, frame, path, walk, depth);
    }

    // Out of a lower device onto its wire: what its own stack would transmit, minus the stack.
    void wire_out(int lower_id, const Frame& frame, const std::vector<std::string>& path, Walk& walk, int depth)
    {
        auto* lower = by_id(lower_id);
        if (!lower)
            return;
        if (!carrier(*lower)) {
            walk.note(label(*lower) + ": lower device has no carrier");
            return;
        }
        transmit(lower_id, frame, path, walk, depth + 1);
    }

    // [SECTION] IP.
    enum class Outcome { Delivered, NetUnreachable, HostUnreachable, Dropped };
    struct Sent {
        Outcome outcome { Outcome::Dropped };
        std::string netns {};   // Where it was delivered.
        Packet packet {};       // As delivered (after NAT).
    };

    // ARP for `next_hop` out of `link`; the MAC, or "" when nobody answered.
    std::string resolve(Link& link, Ipv4 source, Ipv4 next_hop, std::vector<std::string>* notes)
    {
        auto& ns = space(link.netns);
        auto key = std::make_pair(link.id, next_hop.value);
        if (auto it = ns.neighbours.find(key); it != ns.neighbours.end() && !it->second.failed) {
            return it->second.mac;
        }
        Frame request { .kind = Frame::ArpRequest, .source_mac = link.mac, .destination_mac = Broadcast,
            .arp_sender = source, .arp_target = next_hop };
        Walk walk;
        walk.notes = notes;
        transmit(link.id, request, {}, walk, 0);
        for (const auto& arrival : walk.arrivals) {
            auto* answerer = by_id(arrival.link);
            if (!answerer || answerer->id == link.id || !is_local(answerer->netns, next_hop))
                continue;
            // An ipvlan L3 slave answers no ARP (IFF_NOARP).
            if (answerer->kind == "ipvlan" && answerer->mode != "" && answerer->mode != "l2")
                continue;
            auto& there = space(answerer->netns);
            there.neighbours[{ answerer->id, source.value }] = { link.mac, now - options.neighbour_reachable_seconds - 1, false };
            Frame reply { .kind = Frame::ArpReply, .source_mac = answerer->mac, .destination_mac = link.mac,
                .arp_sender = next_hop, .arp_target = source };
            Walk back;
            back.notes = notes;
            transmit(answerer->id, reply, {}, back, 0);
            for (const auto& returned : back.arrivals) {
                if (returned.link == link.id) {
                    ns.neighbours[key] = { answerer->mac, now, false };
                    return answerer->mac;
                }
            }
        }
        ns.neighbours[key] = { "", now, true };
        if (notes)
            notes->push_back(label(link) + ": no ARP reply for " + next_hop.str());
        return "";
    }

    // Is this packet, forwarded by the host from `in` to `out`, dropped by the isolation rules?
    bool forward_dropped(const std::string& netns, const Link& in, const Link& out)
    {
        if (!netns.empty() || !has_ruleset)
            return false;
        const network::NftNetwork* from = nullptr;
        const network::NftNetwork* to = nullptr;
        for (const auto& n : ruleset.networks) {
            if (n.bridge == in.name)
                from = &n;
            if (n.bridge == out.name)
                to = &n;
        }
        if (from && to && from != to)
            return true;
        if ((from && from->internal && from != to) || (to && to->internal && from != to))
            return true;
        return false;
    }

    // Sends `packet` from the stack of namespace `netns`; follows it to the stack that takes it.
    Sent send(const std::string& netns, Packet packet, std::vector<std::string>& hops, std::vector<std::string>* notes,
        int depth, int in_link = 0)
    {
        Sent sent;
        if (depth > MaxDepth || --packet.ttl <= 0) {
            if (notes)
                notes->push_back("TTL exceeded");
            return sent;
        }
        auto route = lookup(netns, packet.destination);
        if (!route.found) {
            if (notes)
                notes->push_back(SimNetwork::namespace_label(netns) + ": no route to " + packet.destination.str());
            sent.outcome = depth == 0 ? Outcome::NetUnreachable : Outcome::HostUnreachable;
            return sent;
        }
        if (packet.source.value == 0)
            packet.source = route.source;
        auto* out = by_id(route.link);
        if (route.local) {
            push_hop(hops, label(*out));
            return arrive(netns, packet, hops, notes, depth);
        }
        if (in_link) {
            if (auto* in = by_id(in_link); in && forward_dropped(netns, *in, *out)) {
                if (notes)
                    notes->push_back("dropped by nft forward (isolation between " + in->name + " and " + out->name + ")");
                return sent;
            }
            masquerade(netns, *by_id(in_link), *out, packet);
        }
        // ipvlan L3: no ARP; a sibling owning the address gets the packet, anything else is
        // routed by the lower device's namespace.
        if (out->kind == "ipvlan" && !out->mode.empty() && out->mode != "l2") {
            push_hop(hops, label(*out));
            for (auto* sibling : children(out->parent, "ipvlan")) {
                if (sibling->id == out->id || !sibling->up)
                    continue;
                for (const auto& address : addresses_on(sibling->id)) {
                    if (address.address == packet.destination) {
                        push_hop(hops, label(*sibling));
                        return arrive(sibling->netns, packet, hops, notes, depth);
                    }
                }
            }
            auto* lower = by_id(out->parent);
            if (!lower || !carrier(*lower)) {
                sent.outcome = Outcome::HostUnreachable;
                return sent;
            }
            return send(lower->netns, packet, hops, notes, depth + 1, 0);
        }
        auto mac = resolve(*out, packet.source, route.next_hop, notes);
        if (mac.empty()) {
            push_hop(hops, label(*out));
            sent.outcome = Outcome::HostUnreachable;
            return sent;
        }
        Frame frame { .kind = Frame::Ip, .source_mac = out->mac, .destination_mac = mac, .packet = packet };
        Walk walk;
        walk.notes = notes;
        transmit(out->id, frame, {}, walk, 0);
        for (const auto& arrival : walk.arrivals) {
            auto* at = by_id(arrival.link);
            if (!at || at->id == out->id)
                continue;
            for (const auto& hop : arrival.path)
                push_hop(hops, hop);
            if (is_local(at->netns, packet.destination) || is_reply_to_nat(at->netns, packet))
                return arrive(at->netns, packet, hops, notes, depth);
            if (!space(at->netns).forwarding) {
                if (notes)
                    notes->push_back(SimNetwork::namespace_label(at->netns) + ": not forwarding (ip_forward=0), dropped");
                return sent;
            }
            return send(at->netns, packet, hops, notes, depth + 1, at->id);
        }
        push_hop(hops, label(*out));
        if (notes)
            notes->push_back("frame to " + mac + " reached no stack");
        return sent;
    }

    bool is_reply_to_nat(const std::string& netns, const Packet& packet)
    {
        return space(netns).conntrack.contains({ packet.destination.value, packet.source.value });
    }

    // postrouting masquerade: traffic leaving a glassbox network's subnet for elsewhere leaves
    // with the outgoing link's address.
    void masquerade(const std::string& netns, const Link& in, const Link& out, Packet& packet)
    {
        if (!netns.empty() || !has_ruleset || !ruleset.masquerade)
            return;
        for (const auto& n : ruleset.networks) {
            auto subnet = Subnet::parse(n.subnet);
            if (!subnet.ok() || !subnet.value().contains(packet.source) || n.bridge == out.name)
                continue;
            (void)in;
            auto on_out = addresses_on(out.id);
            if (on_out.empty())
                return;
            space(netns).conntrack[{ on_out.front().address.value, packet.destination.value }] = packet.source.value;
            packet.source = on_out.front().address;
            return;
        }
    }

    // A packet reached the stack of `netns`: un-NAT a reply, or answer it.
    Sent arrive(const std::string& netns, Packet packet, std::vector<std::string>& hops, std::vector<std::string>* notes,
        int depth)
    {
        auto& ns = space(netns);
        if (auto it = ns.conntrack.find({ packet.destination.value, packet.source.value }); it != ns.conntrack.end()
            && !is_local(netns, Ipv4 { it->second })) {
            packet.destination = Ipv4 { it->second };
            return send(netns, packet, hops, notes, depth + 1, 0);
        }
        return { Outcome::Delivered, netns, packet };
    }
};

// [SECTION] SimNetwork: construction and Netlink.

// Every change to the model counts one; a watch compares the count with the one it last saw.
struct SimNetwork::Changes {
    std::atomic<std::uint64_t> count { 0 };
    std::atomic<bool> network_gone { false };
};

SimNetwork::SimNetwork(SimNetworkOptions options)
    : m_model(std::make_unique<Model>())
    , m_changes(std::make_shared<Changes>())
{
    m_model->options = options;
    m_model->space("");
}

SimNetwork::~SimNetwork() { m_changes->network_gone = true; }

namespace {

LinkAttributes info_of(SimNetwork::Model& model, const SimNetwork::Model::Link& link)
{
    LinkAttributes info;
    info.index = link.ifindex;
    info.name = link.name;
    info.kind = link.kind;
    info.mac = link.mac;
    info.mtu = link.mtu;
    info.up = link.up;
    info.master_index = model.ifindex_of(link.master);
    info.parent_index = model.ifindex_of(link.parent);
    info.mode = link.mode.empty() && link.kind == "macvlan" ? "bridge" : (link.mode.empty() && link.kind == "ipvlan" ? "l2" : link.mode);
    info.vlan_id = link.vlan_id;
    info.oper_state = model.oper_state(link);
    return info;
}

} // namespace

Result<std::vector<LinkAttributes>> SimNetwork::list_links(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    std::vector<LinkAttributes> out;
    for (auto* link : m_model->in(netns))
        out.push_back(info_of(*m_model, *link));
    return out;
}

Result<LinkAttributes> SimNetwork::get_link(const std::string& netns, const std::string& name)
{
    std::lock_guard lock(m_mutex);
    auto* link = m_model->find(netns, name);
    if (!link)
        return link_not_found(name);
    return info_of(*m_model, *link);
}

Result<void> SimNetwork::create_link(const std::string& netns, const LinkRequest& request)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    std::string what = "create " + request.kind + " link " + request.name;
    static const std::set<std::string> kinds { "veth", "bridge", "macvlan", "ipvlan", "vlan", "dummy" };
    if (!kinds.contains(request.kind))
        return Error::invalid(what + ": unknown link kind");
    if (request.name.empty() || request.name.size() > 15 || request.name.find_first_of("/ :") != std::string::npos)
        return invalid_input(what);
    if (!request.mac.empty() && !valid_mac(request.mac))
        return Error::system("parse address " + request.mac + ": Invalid address for specified address family");
    Model::Link* parent = nullptr;
    if (request.kind == "macvlan" || request.kind == "ipvlan" || request.kind == "vlan") {
        if (request.parent.empty())
            return Error::invalid(what + ": a " + request.kind + " link needs a parent");
        parent = model.find(netns, request.parent);
        if (!parent)
            return link_not_found(request.parent);
        if (request.kind == "macvlan") {
            static const std::set<std::string> modes { "", "bridge", "private", "vepa", "passthru", "source" };
            if (!modes.contains(request.mode))
                return Error::invalid(what + ": unknown macvlan mode \"" + request.mode + "\"");
        } else if (request.kind == "ipvlan") {
            if (request.mode != "" && request.mode != "l2" && request.mode != "l3" && request.mode != "l3s")
                return Error::invalid(what + ": unknown ipvlan mode \"" + request.mode + "\"");
        } else if (request.vlan_id < 1 || request.vlan_id > 4094) {
            return Error::invalid(what + ": VLAN id must be 1..4094");
        }
        // The kernel refuses these on loopback (EOPNOTSUPP / EINVAL), and two VLANs with one id
        // on one parent (EEXIST).
        if (parent->kind.empty())
            return request.kind == "macvlan" ? invalid_input(what) : Error::unsupported(what + ": Operation not supported");
        if (request.kind == "vlan")
            for (auto* other : model.children(parent->id, "vlan"))
                if (other->vlan_id == request.vlan_id)
                    return object_exists(what);
        if (request.kind != "vlan" && (parent->kind == "macvlan" || parent->kind == "ipvlan") && parent->kind != request.kind)
            return invalid_input(what);
        if (request.mtu > parent->mtu)
            return invalid_input(what);
    }
    if (model.find(netns, request.name))
        return object_exists(what);
    std::string peer_ns = request.peer_netns.empty() ? netns : request.peer_netns;
    if (request.kind == "veth") {
        if (request.peer_name.empty() || request.peer_name.size() > 15)
            return invalid_input(what);
        if (model.find(peer_ns, request.peer_name) || (peer_ns == netns && request.peer_name == request.name))
            return object_exists(what);
    }
    if (request.mtu != 0 && (request.mtu < 68 || request.mtu > 65535))
        return invalid_input(what);

    auto& ns = model.space(netns);
    Model::Link link { .id = model.next_id++, .ifindex = ns.next_ifindex++, .netns = netns, .name = request.name,
        .kind = request.kind, .mtu = request.mtu ? request.mtu : 1500, .mtu_set = request.mtu != 0,
        .mac_set = !request.mac.empty(), .mode = request.mode, .vlan_id = request.vlan_id };
    if (parent) {
        link.parent = parent->id;
        if (!request.mtu)
            link.mtu = parent->mtu;
        // Made on a lower device without carrier, the transfer clears the carrier bit: an event.
        if (request.kind == "ipvlan")
            link.linkwatch = !model.carrier(*parent);
    }
    link.mac = !request.mac.empty() ? request.mac
        : (request.kind == "ipvlan" || request.kind == "vlan") && parent ? parent->mac
                                                                          : model.new_mac();
    if (request.kind == "veth") {
        auto& other = model.space(peer_ns);
        Model::Link peer { .id = model.next_id++, .ifindex = other.next_ifindex++, .netns = peer_ns,
            .name = request.peer_name, .kind = "veth", .mac = model.new_mac(), .mtu = link.mtu, .parent = link.id };
        link.parent = peer.id;
        model.add_link(peer);
    }
    model.add_link(link);
    return Ok {};
}

Result<void> SimNetwork::delete_link(const std::string& netns, const std::string& name)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto* link = m_model->find(netns, name);
    if (!link)
        return link_not_found(name);
    if (link->kind.empty())
        return Error::unsupported("delete link " + name + ": Operation not supported");
    m_model->remove_link(link->id);
    return Ok {};
}

Result<void> SimNetwork::move_link(const std::string& netns, const std::string& name, const std::string& target_netns,
    const std::string& new_name)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    auto* link = model.find(netns, name);
    if (!link)
        return link_not_found(name);
    std::string what = "move link to " + target_netns + " " + name;
    if (link->kind.empty() || link->kind == "bridge")
        return invalid_input(what); // NETIF_F_NETNS_LOCAL.
    std::string final_name = new_name.empty() ? name : new_name;
    if (model.find(target_netns, final_name))
        return object_exists(what);
    link = model.find(netns, name);
    // Leaving a namespace takes a link down, out of its bridge, and drops its addresses and routes.
    auto& from = model.space(netns);
    int id = link->id;
    std::erase_if(from.addresses, [&](const Model::Address& a) { return a.link == id; });
    std::erase_if(from.routes, [&](const Model::StaticRoute& r) { return r.link == id; });
    std::erase_if(from.addresses6, [&](const Model::Address6& a) { return a.link == id; });
    std::erase_if(from.routes6, [&](const Model::StaticRoute6& r) { return r.link == id; });
    std::erase_if(from.neighbours, [&](const auto& entry) { return entry.first.first == id; });
    int master = link->master;
    model.set_master(*link, 0);
    link->up = false;
    link->link_local.clear();
    auto& to = model.space(target_netns);
    link = model.by_id(id);
    bool taken = false;
    for (auto* other : model.in(target_netns))
        taken = taken || other->ifindex == link->ifindex;
    if (taken)
        link->ifindex = to.next_ifindex;
    to.next_ifindex = std::max(to.next_ifindex, link->ifindex) + 1;
    model.rename(*link, target_netns, final_name);
    if (master) {
        model.adjust_bridge(master);
        model.refresh(master);
    }
    model.refresh(id);
    return Ok {};
}

Result<void> SimNetwork::set_link_up(const std::string& netns, const std::string& name, bool up)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    auto* link = model.find(netns, name);
    if (!link)
        return link_not_found(name);
    // vlan_dev_open refuses while the lower device is down; macvlan and ipvlan come up anyway,
    // without carrier (lowerlayerdown).
    if (up && link->kind == "vlan") {
        auto* lower = model.by_id(link->parent);
        if (!lower || !lower->up)
            return unspecific("set up " + name); // ENETDOWN from the lower device.
    }
    link->up = up;
    if (!up) {
        // The kernel flushes routes through a link that goes down.
        auto id = link->id;
        std::erase_if(model.space(netns).routes, [&](const Model::StaticRoute& r) { return r.link == id; });
        std::erase_if(model.space(netns).routes6, [&](const Model::StaticRoute6& r) { return r.link == id; });
        std::erase_if(model.space(netns).neighbours, [&](const auto& entry) { return entry.first.first == id; });
    }
    model.refresh(link->id);
    return Ok {};
}

Result<void> SimNetwork::set_link_master(const std::string& netns, const std::string& name, const std::string& master)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    auto* link = model.find(netns, name);
    if (!link)
        return link_not_found(name);
    std::string what = "set master of " + name + " to \"" + master + "\"";
    int old_master = link->master;
    if (master.empty()) {
        model.set_master(*link, 0);
    } else {
        auto* bridge = model.find(netns, master);
        if (!bridge)
            return link_not_found(master);
        link = model.find(netns, name);
        if (bridge->kind != "bridge")
            return Error::unsupported(what + ": Operation not supported");
        if (bridge->id == link->id || link->kind.empty() || link->kind == "bridge")
            return invalid_input(what);
        model.set_master(*link, bridge->id);
        model.adjust_bridge(bridge->id);
        model.refresh(bridge->id);
    }
    if (old_master && old_master != link->master) {
        model.fdb[old_master].clear();
        model.adjust_bridge(old_master);
        model.refresh(old_master);
    }
    model.refresh(link->id);
    return Ok {};
}

Result<void> SimNetwork::set_link_mtu(const std::string& netns, const std::string& name, int mtu)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    auto* link = model.find(netns, name);
    if (!link)
        return link_not_found(name);
    // dev_validate_mtu: EINVAL outside the device's [min_mtu, max_mtu]; an upper device cannot
    // exceed its lower one.
    int min = link->kind.empty() ? 0 : 68;
    int max = link->kind.empty() ? 2147483647 : (link->kind == "dummy" || link->kind == "veth" || link->kind == "bridge") ? 65535 : 65535;
    if (auto* lower = model.by_id(link->parent); lower && link->kind != "veth")
        max = lower->mtu;
    if (mtu < min || mtu > max)
        return invalid_input("set mtu " + name);
    link->mtu = mtu;
    if (link->kind == "bridge")
        link->mtu_set = true;
    if (link->master)
        model.adjust_bridge(link->master);
    return Ok {};
}

Result<void> SimNetwork::set_link_mac(const std::string& netns, const std::string& name, const std::string& mac)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    if (!valid_mac(mac))
        return Error::system("parse address " + mac + ": Invalid address for specified address family");
    auto& model = *m_model;
    auto* link = model.find(netns, name);
    if (!link)
        return link_not_found(name);
    // Multicast MACs are refused (EADDRNOTAVAIL), as is changing an ipvlan slave's.
    if (std::stoi(mac.substr(0, 2), nullptr, 16) & 1)
        return Error::system("set mac " + name + ": Cannot assign requested address");
    link->mac = mac;
    if (link->kind == "bridge")
        link->mac_set = true;
    if (link->master)
        model.adjust_bridge(link->master);
    return Ok {};
}

Result<std::vector<AddressInfo>> SimNetwork::list_addresses(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    auto& model = *m_model;
    std::vector<AddressInfo> out;
    if (auto* lo = model.find(netns, "lo"); lo && lo->up)
        out.push_back({ lo->ifindex, "127.0.0.1", 8, AfInet });
    for (const auto& address : model.space(netns).addresses)
        out.push_back({ model.ifindex_of(address.link), address.address.str(), address.prefix, AfInet });
    if (model.options.ipv6)
        for (auto* link : model.in(netns)) {
            if (link->kind.empty() && link->up)
                out.push_back({ link->ifindex, "::1", 128, AfInet6 });
            else if (!link->link_local.empty())
                out.push_back({ link->ifindex, link->link_local, 64, AfInet6 });
        }
    for (const auto& address : model.space(netns).addresses6)
        out.push_back({ model.ifindex_of(address.link), address.address.str(), address.prefix, AfInet6 });
    return out;
}

Result<void> SimNetwork::add_address(const std::string& netns, const std::string& link, const std::string& address,
    int prefix_length)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    auto* l = model.find(netns, link);
    if (!l)
        return link_not_found(link);
    if (network::is_ipv6_text(address)) {
        auto ip6 = Ipv6::parse(address);
        if (!ip6.ok() || prefix_length < 0 || prefix_length > 128 || !model.options.ipv6)
            return Error::system("parse address " + address + "/" + std::to_string(prefix_length) + ": Invalid address for specified address family");
        auto& ns6 = model.space(netns);
        for (const auto& existing : ns6.addresses6)
            if (existing.link == l->id && existing.address == ip6.value())
                return object_exists("add address " + address + " to " + link);
        ns6.addresses6.push_back({ l->id, ip6.value(), prefix_length });
        return Ok {};
    }
    auto ip = Ipv4::parse(address);
    if (!ip.ok() || prefix_length < 0 || prefix_length > 32)
        return Error::system("parse address " + address + "/" + std::to_string(prefix_length) + ": Invalid address for specified address family");
    auto& ns = model.space(netns);
    for (const auto& existing : ns.addresses)
        if (existing.link == l->id && existing.address == ip.value())
            return object_exists("add address " + address + " to " + link);
    if (l->kind.empty() && ip.value().value == 0x7f000001)
        return object_exists("add address " + address + " to " + link);
    ns.addresses.push_back({ l->id, ip.value(), prefix_length });
    return Ok {};
}

Result<void> SimNetwork::delete_address(const std::string& netns, const std::string& link, const std::string& address,
    int prefix_length)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    auto* l = model.find(netns, link);
    if (!l)
        return link_not_found(link);
    if (network::is_ipv6_text(address)) {
        auto ip6 = Ipv6::parse(address);
        int link_id = l->id;
        if (!ip6.ok() || std::erase_if(model.space(netns).addresses6, [&](const Model::Address6& a) {
                return a.link == link_id && a.address == ip6.value() && a.prefix == prefix_length;
            }) == 0)
            return Error::system("delete address " + address + " from " + link + ": Invalid address for specified address family");
        return Ok {};
    }
    auto ip = Ipv4::parse(address);
    if (!ip.ok())
        return Error::system("parse address " + address + ": Invalid address for specified address family");
    int id = l->id;
    auto& ns = model.space(netns);
    if (std::erase_if(ns.addresses, [&](const Model::Address& a) { return a.link == id && a.address == ip.value() && a.prefix == prefix_length; }) == 0)
        return Error::system("delete address " + address + " from " + link + ": Invalid address for specified address family");
    // Routes whose gateway is no longer reachable go with the address.
    std::erase_if(ns.routes, [&](const Model::StaticRoute& r) {
        if (r.gateway.empty() || r.link != id)
            return false;
        auto gateway = Ipv4::parse(r.gateway).value();
        for (const auto& a : ns.addresses)
            if (a.link == id && Subnet { { a.address.value & Subnet { {}, a.prefix }.mask() }, a.prefix }.contains(gateway))
                return false;
        return true;
    });
    return Ok {};
}

Result<std::vector<RouteInfo>> SimNetwork::list_routes(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    std::vector<RouteInfo> out;
    for (const auto& route : m_model->routes_of(netns, false)) {
        RouteInfo info;
        info.destination = route.destination == "default" ? "0.0.0.0/0" : route.destination;
        info.gateway = route.gateway;
        info.link_index = route.link_index;
        info.table = route.table == "local" ? TableLocal : TableMain;
        info.scope = route.scope == "link" ? ScopeLink : route.scope == "host" ? ScopeHost : ScopeUniverse; // "global"
        info.protocol = route.protocol == "kernel" ? ProtoKernel : ProtoStatic;
        out.push_back(info);
    }
    return out;
}

namespace {

// An IPv6 route, checked as the kernel checks one: the gateway on a connected IPv6 subnet of the
// link (its own addresses or fe80::/64), the link up, no second route to the same destination.
Result<void> add_route6(SimNetwork::Model& model, const std::string& netns, const std::string& destination,
    const std::string& gateway, const std::string& link)
{
    std::string what = "add route " + destination + (gateway.empty() ? "" : " via " + gateway);
    auto dst = Subnet6::parse(destination == "default" ? "::/0" : destination);
    if (!dst.ok() || !model.options.ipv6)
        return Error::system("parse address " + destination + ": Invalid address for specified address family");
    auto* l = link.empty() ? nullptr : model.find(netns, link);
    if (!link.empty() && !l)
        return link_not_found(link);
    auto& ns = model.space(netns);
    if (!gateway.empty()) {
        auto gw = Ipv6::parse(gateway);
        if (!gw.ok())
            return Error::system("parse address " + gateway + ": Invalid address for specified address family");
        bool reachable = Subnet6::parse("fe80::/64").value().contains(gw.value()) && l;
        for (const auto& a : ns.addresses6) {
            auto* on = model.by_id(a.link);
            auto connected = Subnet6::parse(a.address.str() + "/" + std::to_string(a.prefix)).value();
            if (on && on->up && (!l || on->id == l->id) && connected.contains(gw.value())) {
                reachable = true;
                if (!l)
                    l = on;
            }
        }
        if (!reachable)
            return unspecific(what);
    }
    if (!l)
        return invalid_input(what);
    if (!l->up)
        return unspecific(what);
    for (const auto& r : ns.routes6)
        if (r.destination == dst.value())
            return object_exists(what);
    ns.routes6.push_back({ dst.value(), gateway, l->id });
    return Ok {};
}

} // namespace

Result<void> SimNetwork::add_route(const std::string& netns, const std::string& destination, const std::string& gateway,
    const std::string& link)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    if (network::is_ipv6_text(destination) || network::is_ipv6_text(gateway))
        return add_route6(model, netns, destination, gateway, link);
    auto dst = Subnet::parse(destination == "default" ? "0.0.0.0/0" : destination);
    if (!dst.ok())
        return Error::system("parse address " + destination + ": Invalid address for specified address family");
    Model::Link* l = nullptr;
    if (!link.empty()) {
        l = model.find(netns, link);
        if (!l)
            return link_not_found(link);
    }
    std::string what = "add route " + destination + (gateway.empty() ? "" : " via " + gateway);
    auto& ns = model.space(netns);
    if (!gateway.empty()) {
        auto gw = Ipv4::parse(gateway);
        if (!gw.ok())
            return Error::system("parse address " + gateway + ": Invalid address for specified address family");
        // The gateway must be on a connected subnet of the link (else "Nexthop has invalid gateway").
        bool reachable = false;
        for (const auto& a : ns.addresses) {
            auto* on = model.by_id(a.link);
            if (on && on->up && (!l || on->id == l->id)
                && Subnet { { a.address.value & Subnet { {}, a.prefix }.mask() }, a.prefix }.contains(gw.value())) {
                reachable = true;
                if (!l)
                    l = on;
            }
        }
        if (!reachable)
            return unspecific(what); // "Nexthop has invalid gateway".
    }
    if (!l)
        return invalid_input(what);
    if (!l->up)
        return unspecific(what); // ENETDOWN: "Nexthop device is not up".
    for (const auto& r : ns.routes)
        if (r.destination == dst.value())
            return object_exists(what);
    ns.routes.push_back({ dst.value(), gateway, l->id, gateway.empty() ? ScopeLink : ScopeUniverse });
    return Ok {};
}

Result<void> SimNetwork::delete_route(const std::string& netns, const std::string& destination, const std::string& gateway,
    const std::string& link)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    if (network::is_ipv6_text(destination) || network::is_ipv6_text(gateway)) {
        auto dst6 = Subnet6::parse(destination == "default" ? "::/0" : destination);
        auto* l6 = link.empty() ? nullptr : model.find(netns, link);
        if (!dst6.ok() || (!link.empty() && !l6))
            return Error::not_found("delete route " + destination + ": Object not found");
        if (std::erase_if(model.space(netns).routes6, [&](const Model::StaticRoute6& r) {
                return r.destination == dst6.value() && (gateway.empty() || r.gateway == gateway) && (!l6 || r.link == l6->id);
            }) == 0)
            return Error::not_found("delete route " + destination + ": Object not found");
        return Ok {};
    }
    auto dst = Subnet::parse(destination == "default" ? "0.0.0.0/0" : destination);
    if (!dst.ok())
        return Error::system("parse address " + destination + ": Invalid address for specified address family");
    int id = 0;
    if (!link.empty()) {
        auto* l = model.find(netns, link);
        if (!l)
            return link_not_found(link);
        id = l->id;
    }
    auto erased = std::erase_if(model.space(netns).routes, [&](const Model::StaticRoute& r) {
        return r.destination == dst.value() && (gateway.empty() || r.gateway == gateway) && (id == 0 || r.link == id);
    });
    if (erased == 0)
        return Error::not_found("delete route " + destination + ": Object not found"); // ESRCH.
    return Ok {};
}

Result<std::vector<NeighbourInfo>> SimNetwork::list_neighbours(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    auto& model = *m_model;
    std::vector<NeighbourInfo> out;
    for (const auto& [key, neighbour] : model.space(netns).neighbours) {
        int state = neighbour.failed ? NudFailed
            : model.now - neighbour.updated > model.options.neighbour_reachable_seconds ? NudStale
                                                                                         : NudReachable;
        out.push_back({ model.ifindex_of(key.first), Ipv4 { key.second }.str(), neighbour.mac, state });
    }
    return out;
}

Result<std::vector<FdbEntry>> SimNetwork::list_fdb(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    auto& model = *m_model;
    std::vector<FdbEntry> out;
    for (auto* bridge : model.in(netns)) {
        if (bridge->kind != "bridge")
            continue;
        // The permanent entries for each port's own MAC, then what the bridge learned.
        for (auto* port : model.ports(bridge->id))
            out.push_back({ port->ifindex, bridge->ifindex, port->mac, 0, true });
        for (const auto& [mac, learned] : model.fdb[bridge->id])
            if (model.now - learned.updated <= model.options.fdb_ageing_seconds)
                out.push_back({ model.ifindex_of(learned.port), bridge->ifindex, mac, 0, false });
    }
    return out;
}

Result<NamespaceDump> SimNetwork::dump_namespace(const std::string& netns, const std::vector<std::string>& others)
{
    std::lock_guard lock(m_mutex);
    auto& model = *m_model;
    if (!model.spaces.contains(netns))
        return Error::from_errno("open network namespace " + netns, ENOENT);
    NamespaceDump dump;
    for (auto* link : model.in(netns)) {
        network::DumpedLink dumped { info_of(model, *link), "" };
        if (auto* other = model.by_id(link->parent); other && other->netns != netns) {
            for (std::size_t i = 0; i < others.size(); ++i) {
                if (others[i] == other->netns && others[i] != netns) {
                    dumped.link.link_netnsid = static_cast<std::int32_t>(i);
                    dump.other_of_netnsid[dumped.link.link_netnsid] = i;
                }
            }
            if (dumped.link.link_netnsid < 0)
                dumped.link.link_netnsid = 1000 + other->ifindex; // An id no candidate answers for.
        }
        if (link->master)
            dumped.bridge_port_state = model.carrier(*link) ? "forwarding" : "disabled";
        dump.links.push_back(std::move(dumped));
    }
    if (auto* lo = model.find(netns, "lo"); lo && lo->up)
        dump.addresses.push_back({ lo->ifindex, "inet", "127.0.0.1/8", "host" });
    for (const auto& address : model.space(netns).addresses)
        dump.addresses.push_back({ model.ifindex_of(address.link), "inet",
            address.address.str() + (address.prefix == 32 ? "" : "/" + std::to_string(address.prefix)), "global" });
    if (model.options.ipv6)
        for (auto* link : model.in(netns)) {
            if (link->kind.empty() && link->up)
                dump.addresses.push_back({ link->ifindex, "inet6", "::1", "host" });
            else if (!link->link_local.empty())
                dump.addresses.push_back({ link->ifindex, "inet6", link->link_local + "/64", "link" });
        }
    for (const auto& address : model.space(netns).addresses6)
        dump.addresses.push_back({ model.ifindex_of(address.link), "inet6",
            address.address.str() + (address.prefix == 128 ? "" : "/" + std::to_string(address.prefix)), "global" });
    // libnl's route cache keys a route by family, table, destination and metric, not by device,
    // so LibnlNetlink's dump keeps only the first of the same route on several links (each
    // link's fe80::/64, for one): the dump does the same.
    std::set<std::tuple<std::string, std::string, std::string, int>> seen;
    for (auto& route : model.routes_of(netns, model.options.ipv6))
        if (seen.insert({ route.family, route.table, route.destination, route.metric }).second)
            dump.routes.push_back(std::move(route));
    for (const auto& [key, neighbour] : model.space(netns).neighbours) {
        std::string state = neighbour.failed ? "failed"
            : model.now - neighbour.updated > model.options.neighbour_reachable_seconds ? "stale"
                                                                                         : "reachable";
        dump.neighbours.push_back({ model.ifindex_of(key.first), Ipv4 { key.second }.str(), neighbour.mac, state });
    }
    for (auto* bridge : model.in(netns)) {
        if (bridge->kind != "bridge")
            continue;
        for (auto* port : model.ports(bridge->id))
            dump.fdb.push_back({ port->ifindex, bridge->ifindex, port->mac, 0, "permanent" });
        for (const auto& [mac, learned] : model.fdb[bridge->id])
            if (model.now - learned.updated <= model.options.fdb_ageing_seconds)
                dump.fdb.push_back({ model.ifindex_of(learned.port), bridge->ifindex, mac, 0, "reachable" });
    }
    return dump;
}

namespace {

class SimWatch final : public network::NamespaceWatch {
public:
    SimWatch(std::shared_ptr<const std::atomic<std::uint64_t>> count, std::shared_ptr<const std::atomic<bool>> gone)
        : m_count(std::move(count))
        , m_gone(std::move(gone))
        , m_seen(m_count->load())
    {
    }

    bool changed() override
    {
        auto now = m_count->load();
        bool changed = now != m_seen || m_gone->load();
        m_seen = now;
        return changed;
    }

private:
    std::shared_ptr<const std::atomic<std::uint64_t>> m_count;
    std::shared_ptr<const std::atomic<bool>> m_gone;
    std::uint64_t m_seen;
};

} // namespace

Result<std::unique_ptr<network::NamespaceWatch>> SimNetwork::watch_namespace(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    if (!m_model->spaces.contains(netns))
        return Error::from_errno("open network namespace " + netns, ENOENT);
    // Aliases of the shared record, so the watch keeps it alive without knowing its type.
    return std::unique_ptr<network::NamespaceWatch>(std::make_unique<SimWatch>(
        std::shared_ptr<const std::atomic<std::uint64_t>>(m_changes, &m_changes->count),
        std::shared_ptr<const std::atomic<bool>>(m_changes, &m_changes->network_gone)));
}

// [SECTION] Namespaces.

Result<void> SimNetwork::add_namespace(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    if (m_model->spaces.contains(netns))
        return Error::exists("network namespace " + netns + " exists");
    m_model->space(netns);
    return Ok {};
}

Result<void> SimNetwork::remove_namespace(const std::string& netns)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    if (netns.empty() || !model.spaces.contains(netns))
        return Error::not_found("network namespace " + netns + ": No such file or directory");
    std::vector<int> doomed;
    for (auto* link : model.in(netns))
        doomed.push_back(link->id);
    for (int id : doomed)
        model.remove_link(id);
    model.spaces.erase(netns);
    model.in_space.erase(netns);
    return Ok {};
}

bool SimNetwork::has_namespace(const std::string& netns) const
{
    std::lock_guard lock(m_mutex);
    return m_model->spaces.contains(netns);
}

std::vector<std::string> SimNetwork::namespaces() const
{
    std::lock_guard lock(m_mutex);
    std::vector<std::string> out;
    for (const auto& [name, space] : m_model->spaces)
        out.push_back(name);
    return out;
}

Result<void> SimNetwork::set_forwarding(const std::string& netns, bool on)
{
    std::lock_guard lock(m_mutex);
    m_model->space(netns).forwarding = on;
    return Ok {};
}

// [SECTION] Packets.

namespace {

void fail(PacketTrace& trace, int code, std::string error)
{
    trace.delivered = false;
    trace.error_code = code;
    trace.error = std::move(error);
}

// What one packet exchange needs to know besides the packet: how the far end answers (given the
// packet as it arrived there, and its namespace), and the texts a program prints.
struct Exchange {
    std::function<std::optional<SimNetwork::Model::Packet>(const SimNetwork::Model::Packet&, const std::string&)> answer;
    std::string host_unreachable;
    std::string timed_out;
};

// Sends `request` from `netns`, lets the far end answer, and carries the answer back. Leaves
// `trace.delivered` true when the request arrived and its answer (if any) came back.
void exchange(SimNetwork::Model& model, const std::string& netns, const SimNetwork::Model::Packet& request,
    const Exchange& how, PacketTrace& trace)
{
    using Model = SimNetwork::Model;
    model.space(netns);
    auto sent = model.send(netns, request, trace.hops, &trace.notes, 0);
    if (auto route = model.lookup(netns, request.destination); route.found)
        trace.source = route.source.str();
    if (sent.outcome == Model::Outcome::NetUnreachable)
        return fail(trace, ENETUNREACH, "Network is unreachable");
    if (sent.outcome == Model::Outcome::HostUnreachable)
        return fail(trace, EHOSTUNREACH, how.host_unreachable);
    if (sent.outcome != Model::Outcome::Delivered)
        return fail(trace, ETIMEDOUT, how.timed_out);
    trace.reached_netns = sent.netns;
    auto reply = how.answer(sent.packet, sent.netns);
    if (!reply) {
        trace.delivered = true;
        return;
    }
    reply->source = sent.packet.destination;
    reply->destination = sent.packet.source;
    auto back = model.send(sent.netns, *reply, trace.reply_hops, &trace.notes, 0);
    if (back.outcome != Model::Outcome::Delivered || back.netns != netns)
        return fail(trace, ETIMEDOUT, how.timed_out);
    trace.delivered = true;
}

} // namespace

PacketTrace SimNetwork::ping(const std::string& netns, const std::string& destination)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    PacketTrace trace;
    auto ip = Ipv4::parse(destination);
    if (!ip.ok()) {
        fail(trace, EINVAL, "ping: " + destination + ": Name or service not known");
        return trace;
    }
    Model::Packet request { .kind = Model::Packet::EchoRequest, .destination = ip.value(), .protocol = 1 };
    Exchange how { [](const Model::Packet&, const std::string&) -> std::optional<Model::Packet> {
                      return Model::Packet { .kind = Model::Packet::EchoReply, .protocol = 1 };
                  },
        "Destination Host Unreachable", "Request timed out" };
    exchange(*m_model, netns, request, how, trace);
    return trace;
}

PacketTrace SimNetwork::connect(const std::string& netns, const std::string& ip, std::uint16_t port, Protocol protocol)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    auto& model = *m_model;
    PacketTrace trace;
    auto address = Ipv4::parse(ip);
    if (!address.ok()) {
        fail(trace, EINVAL, "Invalid argument");
        return trace;
    }
    int proto = protocol == Protocol::Tcp ? 6 : 17;
    bool listening = false;
    Model::Packet request { .kind = protocol == Protocol::Tcp ? Model::Packet::Syn : Model::Packet::Datagram,
        .destination = address.value(), .port = port, .protocol = proto };
    Exchange how { [&](const Model::Packet& arrived, const std::string& there) -> std::optional<Model::Packet> {
                      const auto& listeners = model.space(there).listeners;
                      listening = listeners.contains({ proto, arrived.destination.value, port })
                          || listeners.contains({ proto, 0, port });
                      if (listening && protocol == Protocol::Udp)
                          return std::nullopt;
                      auto kind = listening ? Model::Packet::SynAck
                          : protocol == Protocol::Tcp ? Model::Packet::Reset
                                                      : Model::Packet::PortUnreachable;
                      return Model::Packet { .kind = kind, .port = port, .protocol = proto };
                  },
        "No route to host", "Connection timed out" };
    exchange(model, netns, request, how, trace);
    if (trace.delivered && !listening)
        fail(trace, ECONNREFUSED, "Connection refused");
    return trace;
}

Result<void> SimNetwork::listen(const std::string& netns, const std::string& ip, std::uint16_t port, Protocol protocol)
{
    std::lock_guard lock(m_mutex);
    auto& model = *m_model;
    auto address = Ipv4::parse(ip);
    if (!address.ok())
        return Error::invalid("bind " + ip + ":" + std::to_string(port) + ": Invalid argument");
    if (address.value().value != 0 && !model.is_local(netns, address.value()))
        return Error::invalid("bind " + ip + ":" + std::to_string(port) + ": Cannot assign requested address");
    int proto = protocol == Protocol::Tcp ? 6 : 17;
    auto& listeners = model.space(netns).listeners;
    if (listeners.contains({ proto, address.value().value, port }) || listeners.contains({ proto, 0, port })
        || (address.value().value == 0 && std::any_of(listeners.begin(), listeners.end(), [&](const auto& l) {
               return std::get<0>(l) == proto && std::get<2>(l) == port;
           })))
        return Error::exists("bind " + ip + ":" + std::to_string(port) + ": Address already in use");
    listeners.insert({ proto, address.value().value, port });
    return Ok {};
}

Result<void> SimNetwork::unlisten(const std::string& netns, const std::string& ip, std::uint16_t port, Protocol protocol)
{
    std::lock_guard lock(m_mutex);
    auto address = Ipv4::parse(ip);
    if (!address.ok())
        return Error::invalid("close " + ip + ": Invalid argument");
    int proto = protocol == Protocol::Tcp ? 6 : 17;
    if (m_model->space(netns).listeners.erase({ proto, address.value().value, port }) == 0)
        return Error::not_found("no socket bound to " + ip + ":" + std::to_string(port));
    return Ok {};
}

void SimNetwork::set_ruleset(const network::NftRuleset& ruleset)
{
    std::lock_guard lock(m_mutex);
    m_model->ruleset = ruleset;
    m_model->has_ruleset = true;
}

void SimNetwork::clear_ruleset()
{
    std::lock_guard lock(m_mutex);
    m_model->has_ruleset = false;
    m_model->ruleset = {};
}

void SimNetwork::advance(std::chrono::seconds seconds)
{
    std::lock_guard lock(m_mutex);
    ++m_changes->count;
    m_model->now += static_cast<double>(seconds.count());
    for (auto& [bridge, table] : m_model->fdb)
        std::erase_if(table, [&](const auto& entry) {
            return m_model->now - entry.second.updated > m_model->options.fdb_ageing_seconds;
        });
}

// [SECTION] SimNftables.

struct SimNftables::Tables {
    FakeNftables tables;
};

SimNftables::SimNftables(SimNetwork& network)
    : m_network(network)
    , m_tables(std::make_unique<Tables>())
{
}

SimNftables::~SimNftables() = default;

Result<void> SimNftables::apply_ruleset(const network::NftRuleset& ruleset)
{
    TRY(m_tables->tables.apply_ruleset(ruleset));
    m_network.set_ruleset(ruleset);
    return Ok {};
}

Result<void> SimNftables::delete_table(const std::string& table)
{
    bool had = m_tables->tables.has_table(table);
    TRY(m_tables->tables.delete_table(table));
    if (had)
        m_network.clear_ruleset();
    return Ok {};
}

Result<nlohmann::json> SimNftables::list_table(const std::string& table)
{
    return m_tables->tables.list_table(table);
}

Result<std::string> SimNftables::list(const std::string& command, bool json)
{
    return m_tables->tables.list(command, json);
}

} // namespace engine::sim
