// The netlink seam: everything the network module asks of rtnetlink (links of kind veth, bridge,
// macvlan, ipvlan and vlan; moving links between network namespaces; addresses; routes;
// neighbours; bridge ports and the bridge FDB). LibnlNetlink makes the real calls through
// libnl-route-3; FakeNetlink keeps an in-memory model and records each call for tests.
//
// Every call names the network namespace it acts in by a file (a bind-mounted netns such as
// /run/glassbox/network/netns/<id>, or /proc/<pid>/ns/net). An empty `netns` means the daemon's
// own (the host's) namespace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.h"

namespace engine::network {

// A link's traffic counters (IFLA_STATS64), as `ip -s link` prints them. GET
// /containers/{id}/stats reports them per interface of the container's namespace.
struct LinkCounters {
    std::uint64_t rx_bytes { 0 };
    std::uint64_t rx_packets { 0 };
    std::uint64_t rx_errors { 0 };
    std::uint64_t rx_dropped { 0 };
    std::uint64_t tx_bytes { 0 };
    std::uint64_t tx_packets { 0 };
    std::uint64_t tx_errors { 0 };
    std::uint64_t tx_dropped { 0 };
};

// A link's attributes as rtnetlink reports them, in its own namespace. Plain data; the state
// snapshot's view of a link, joined across namespaces, is state::LinkInfo.
struct LinkAttributes {
    int index { 0 };
    std::string name {};
    std::string kind {};          // "veth", "bridge", "macvlan", "ipvlan", "vlan"; "" for lo / NICs.
    std::string mac {};           // "02:42:ac:11:00:02"
    int mtu { 0 };
    bool up { false };
    int master_index { 0 };    // Bridge this link is a port of; 0 when none.
    int parent_index { 0 };    // IFLA_LINK: veth peer, macvlan/ipvlan/vlan parent; 0 when none.
    std::string mode {};          // macvlan "bridge"/"private"/..., ipvlan "l2"/"l3"/"l3s".
    int vlan_id { 0 };         // For kind "vlan".
    std::string oper_state {};    // RFC 2863 operational state as libnl names it ("up", "down", ...).
    // IFLA_LINK_NETNSID: the namespace `parent_index` lives in, as an id only meaningful in this
    // namespace; -1 when the peer or parent is in the same namespace.
    std::int32_t link_netnsid { -1 };
    LinkCounters counters {};  // Zero where the implementation keeps none (the fake).
};

// What to create. Fields beyond name/kind apply to the kinds noted.
struct LinkRequest {
    std::string name {};
    std::string kind {};          // "veth", "bridge", "macvlan", "ipvlan", "vlan"
    std::string peer_name {};     // veth: the other end.
    std::string peer_netns {};    // veth: create the peer directly in this namespace ("" = same).
    std::string parent {};        // macvlan/ipvlan/vlan: the parent link's name (in the same netns).
    std::string mode {};          // macvlan: "bridge" (default), "private", "vepa", "passthru";
                               // ipvlan: "l2" (default), "l3", "l3s".
    int vlan_id { 0 };         // vlan: the 802.1q tag.
    std::string mac {};           // "" = kernel picks.
    int mtu { 0 };             // 0 = kernel default.
};

struct AddressInfo {
    int link_index { 0 };
    std::string address;       // "172.17.0.2"
    int prefix_length { 0 };
    int family { 0 };          // AF_INET / AF_INET6
};

struct RouteInfo {
    std::string destination;   // "0.0.0.0/0" for default, else "a.b.c.d/len".
    std::string gateway;       // "" when directly connected.
    int link_index { 0 };
    int table { 0 };           // 254 = main.
    int scope { 0 };           // RT_SCOPE_*
    int protocol { 0 };        // RTPROT_*
};

struct NeighbourInfo {
    int link_index { 0 };
    std::string address;       // IP
    std::string mac;
    int state { 0 };           // NUD_*
};

struct FdbEntry {
    int link_index { 0 };      // The bridge port.
    int master_index { 0 };    // The bridge.
    std::string mac;
    int vlan { 0 };
    bool local { false };      // NUD_PERMANENT: the bridge's own port address.
};

// [SECTION] Whole-namespace dumps, for the state collector: every address family, with the names
// libnl gives numbers (scope "link", table "main", protocol "kernel"), so the snapshot reads as
// `ip` prints it.
struct DumpedLink {
    LinkAttributes link;
    std::string bridge_port_state; // "forwarding", "learning", ... for a bridge port; "" otherwise.
};

struct DumpedAddress {
    int link_index { 0 };
    std::string family;            // "inet", "inet6", or the number.
    std::string address;           // "172.17.0.2/16" ("/32" and "/128" left out, as libnl prints them).
    std::string scope;             // "universe", "link", "host", ...
};

struct DumpedRoute {
    std::string family;
    std::string table;             // "main", "local", or the number.
    std::string destination;       // "default" or "a.b.c.d/len".
    std::string gateway;
    int link_index { 0 };
    std::string protocol;          // "kernel", "boot", "static", ...
    std::string scope;
    int metric { 0 };
};

struct DumpedNeighbour {
    int link_index { 0 };
    std::string address;
    std::string mac;
    std::string state;             // "reachable", "stale", "permanent", ...
};

struct DumpedFdbEntry {
    int port_index { 0 };
    int bridge_index { 0 };
    std::string mac;
    int vlan { 0 };
    std::string state;
};

struct NamespaceDump {
    std::vector<DumpedLink> links;
    std::vector<DumpedAddress> addresses;
    std::vector<DumpedRoute> routes;
    std::vector<DumpedNeighbour> neighbours;
    std::vector<DumpedFdbEntry> fdb;
    // What could not be read (one part of the dump failing leaves the rest).
    std::vector<std::string> warnings;
    // The link_netnsid values the links mention, resolved to an index into the `others` list
    // dump_namespace was given. Ids no candidate answered for are missing.
    std::map<std::int32_t, std::size_t> other_of_netnsid;
};

// [SECTION] Watching a namespace, for the state collector's cache of dumps.
// A watch listens to the rtnetlink multicast groups that cover everything dump_namespace reports
// about one namespace (links and bridge port states, IPv4 and IPv6 addresses and routes,
// neighbours and the bridge FDB, netnsids), so a namespace whose watch says nothing arrived need
// not be dumped again. The kernel does not announce every neighbour state a dump can show: a
// REACHABLE entry that turns DELAY (and a STALE one that is used again) changes silently, as does
// an FDB entry past its ageing time until the bridge removes it; the collector bounds those with
// a maximum age. The real watch holds a socket opened inside the namespace, and with it the
// namespace: whoever keeps one must close it when the namespace's owner is gone.
class NamespaceWatch {
public:
    virtual ~NamespaceWatch() = default;
    // Whether anything arrived since the last call (since the watch was made, for the first):
    // reads everything queued, so the next call reports only what comes after. A lost
    // notification (the socket's queue overflowed) counts as a change.
    virtual bool changed() = 0;
};

class Netlink {
public:
    virtual ~Netlink() = default;

    // [SECTION] Links.
    virtual Result<std::vector<LinkAttributes>> list_links(const std::string& netns) = 0;
    // NotFound when there is no such link.
    virtual Result<LinkAttributes> get_link(const std::string& netns, const std::string& name) = 0;
    virtual Result<void> create_link(const std::string& netns, const LinkRequest& request) = 0;
    virtual Result<void> delete_link(const std::string& netns, const std::string& name) = 0;
    // Moves a link into the namespace `target_netns` (a netns file), optionally renaming it there.
    virtual Result<void> move_link(const std::string& netns, const std::string& name,
        const std::string& target_netns, const std::string& new_name)
        = 0;
    virtual Result<void> set_link_up(const std::string& netns, const std::string& name, bool up) = 0;
    // Makes `name` a port of bridge `master` ("" removes it from its bridge).
    virtual Result<void> set_link_master(const std::string& netns, const std::string& name,
        const std::string& master)
        = 0;
    virtual Result<void> set_link_mtu(const std::string& netns, const std::string& name, int mtu) = 0;
    virtual Result<void> set_link_mac(const std::string& netns, const std::string& name,
        const std::string& mac)
        = 0;

    // [SECTION] Addresses.
    virtual Result<std::vector<AddressInfo>> list_addresses(const std::string& netns) = 0;
    virtual Result<void> add_address(const std::string& netns, const std::string& link,
        const std::string& address, int prefix_length)
        = 0;
    virtual Result<void> delete_address(const std::string& netns, const std::string& link,
        const std::string& address, int prefix_length)
        = 0;

    // [SECTION] Routes (IPv4, main table).
    virtual Result<std::vector<RouteInfo>> list_routes(const std::string& netns) = 0;
    // `destination` "default" or "a.b.c.d/len"; `gateway` "" for an on-link route via `link`.
    virtual Result<void> add_route(const std::string& netns, const std::string& destination,
        const std::string& gateway, const std::string& link)
        = 0;
    virtual Result<void> delete_route(const std::string& netns, const std::string& destination,
        const std::string& gateway, const std::string& link)
        = 0;

    // [SECTION] Neighbours and bridge FDB.
    virtual Result<std::vector<NeighbourInfo>> list_neighbours(const std::string& netns) = 0;
    virtual Result<std::vector<FdbEntry>> list_fdb(const std::string& netns) = 0;

    // [SECTION] Dumps.
    // Everything about `netns` in one pass (one socket), for the state collector. The netnsids
    // its links carry are looked up among `others` (netns files; an entry equal to `netns` is
    // skipped) with RTM_GETNSID, in order, until all are found. Fails only when the namespace
    // cannot be entered; a part that cannot be read becomes a warning.
    virtual Result<NamespaceDump> dump_namespace(const std::string& netns, const std::vector<std::string>& others) = 0;

    // [SECTION] Watches.
    // Starts watching `netns` for changes to what dump_namespace reports. Make the watch before
    // the dump it guards, so a change during that dump shows at the next changed().
    virtual Result<std::unique_ptr<NamespaceWatch>> watch_namespace(const std::string& netns) = 0;
    // dump_namespace of the namespace `watch` (made by this Netlink for `netns`) watches. The
    // real one dumps through a socket the watch keeps inside the namespace, so no thread has to
    // enter it again; an implementation with nothing to reuse dumps as dump_namespace does.
    virtual Result<NamespaceDump> dump_watched(NamespaceWatch& watch, const std::string& netns,
        const std::vector<std::string>& others)
    {
        (void)watch;
        return dump_namespace(netns, others);
    }
};

} // namespace engine::network
