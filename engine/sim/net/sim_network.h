// sim::SimNetwork: the simulated kernel's network stack. An in-memory model of rtnetlink
// (network::Netlink) faithful enough that network::Manager runs on it unchanged: namespaces,
// links of every kind (loopback, veth pairs across namespaces, bridges with MAC learning and an
// ageing FDB, macvlan, ipvlan L2/L3, 802.1q VLAN sub-interfaces, dummy), addresses with the
// routes the kernel adds for them, static routes, and ARP neighbours created by traffic.
//
// On top of the model sits a packet model: ping(), connect() and listen() send a frame or packet
// hop by hop through it (route lookup, ARP, bridge forwarding by FDB or flooding, veth crossing,
// macvlan/ipvlan/VLAN rules, the nftables isolation rules SimNftables hands over) and return what
// happened with the path taken, so a simulated ping goes where the real kernel's would and a
// macvlan child cannot reach its parent.
//
// Namespaces are keyed by the same strings the engine passes to Netlink ("" = the host, else a
// netns file path). A namespace comes to exist on first use, as a netns file made through the
// kernel seam would; add_namespace/remove_namespace make and destroy one explicitly.
//
// Thread-safe: one mutex guards the model. Time is a simulated clock moved by advance(), so
// FDB and neighbour ageing is deterministic in tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/network/netlink.h"
#include "engine/network/nft.h"

namespace engine::sim {

// What one ping or connection attempt did.
struct PacketTrace {
    // ping: an echo reply came back; connect: the handshake completed (TCP) or the datagram
    // reached a listener (UDP).
    bool delivered { false };
    // When not delivered, the error as a program would see it: "Network is unreachable",
    // "Destination Host Unreachable", "Connection refused", "Connection timed out".
    std::string error;
    int error_code { 0 };              // ENETUNREACH, EHOSTUNREACH, ECONNREFUSED, ETIMEDOUT; 0 when delivered.
    std::string source;                // The source address the route lookup chose.
    std::string reached_netns;         // The namespace the packet was delivered to ("" = host).
    std::vector<std::string> hops;     // Request path, one entry per link crossed: "eth0@c1", "gb-1a2b", "br0".
    std::vector<std::string> reply_hops; // The reply's path back, when there was one.
    std::vector<std::string> notes;    // Why a frame stopped: "br0: no FDB entry, flooded", "dropped by nft forward".

    // "eth0@c1 -> gb-1a2b -> br0 -> gb-3c4d -> eth0@c2".
    std::string trace() const;
};

enum class Protocol { Tcp, Udp };

struct SimNetworkOptions {
    int fdb_ageing_seconds { 300 };     // A bridge's ageing_time.
    int neighbour_reachable_seconds { 30 }; // REACHABLE turns STALE after this.
    // IPv6 enabled: links get fe80:: link-local addresses and the kernel's IPv6 routes when they
    // come up, and lo gets ::1, as on a kernel with IPv6 on.
    bool ipv6 { true };
    // Mixed into the generated MACs, so two models can be told apart; MACs are deterministic.
    std::uint32_t mac_seed { 0 };
};

class SimNetwork final : public network::Netlink {
public:
    explicit SimNetwork(SimNetworkOptions options = {});
    ~SimNetwork() override;

    // [SECTION] network::Netlink.
    Result<std::vector<network::LinkAttributes>> list_links(const std::string& netns) override;
    Result<network::LinkAttributes> get_link(const std::string& netns, const std::string& name) override;
    Result<void> create_link(const std::string& netns, const network::LinkRequest& request) override;
    Result<void> delete_link(const std::string& netns, const std::string& name) override;
    Result<void> move_link(const std::string& netns, const std::string& name, const std::string& target_netns,
        const std::string& new_name) override;
    Result<void> set_link_up(const std::string& netns, const std::string& name, bool up) override;
    Result<void> set_link_master(const std::string& netns, const std::string& name, const std::string& master) override;
    Result<void> set_link_mtu(const std::string& netns, const std::string& name, int mtu) override;
    Result<void> set_link_mac(const std::string& netns, const std::string& name, const std::string& mac) override;
    Result<std::vector<network::AddressInfo>> list_addresses(const std::string& netns) override;
    Result<void> add_address(const std::string& netns, const std::string& link, const std::string& address,
        int prefix_length) override;
    Result<void> delete_address(const std::string& netns, const std::string& link, const std::string& address,
        int prefix_length) override;
    Result<std::vector<network::RouteInfo>> list_routes(const std::string& netns) override;
    Result<void> add_route(const std::string& netns, const std::string& destination, const std::string& gateway,
        const std::string& link) override;
    Result<void> delete_route(const std::string& netns, const std::string& destination, const std::string& gateway,
        const std::string& link) override;
    Result<std::vector<network::NeighbourInfo>> list_neighbours(const std::string& netns) override;
    Result<std::vector<network::FdbEntry>> list_fdb(const std::string& netns) override;
    Result<network::NamespaceDump> dump_namespace(const std::string& netns,
        const std::vector<std::string>& others) override;
    // A watch reports every change to the model since its last changed(), in any namespace: one
    // namespace's change often changes another's facts too (a veth's operational state follows
    // its peer's, a namespace's end takes its veths' peers with it), which the kernel announces
    // in each namespace and the model does not trace. Time moved on by advance() counts as a
    // change (entries age), and a packet (ping, connect) as well (ARP entries, FDB learning).
    // A watch outliving its SimNetwork reports a change on every call.
    Result<std::unique_ptr<network::NamespaceWatch>> watch_namespace(const std::string& netns) override;

    // [SECTION] Namespaces.
    // Makes an empty namespace (lo, down). AlreadyExists when it exists.
    Result<void> add_namespace(const std::string& netns);
    // Destroys a namespace as the kernel does when its last reference goes: its links go, a veth
    // whose peer lives elsewhere takes the peer with it. NotFound when there is none.
    Result<void> remove_namespace(const std::string& netns);
    bool has_namespace(const std::string& netns) const;
    std::vector<std::string> namespaces() const;
    // net.ipv4.ip_forward of a namespace: on for the host (the engine needs it), off for others.
    Result<void> set_forwarding(const std::string& netns, bool on);

    // [SECTION] Packets.
    // An ICMP echo from `netns` to `destination` (an IPv4 address) and its reply.
    PacketTrace ping(const std::string& netns, const std::string& destination);
    // A TCP handshake (or one UDP datagram) from `netns` to ip:port.
    PacketTrace connect(const std::string& netns, const std::string& ip, std::uint16_t port,
        Protocol protocol = Protocol::Tcp);
    // A socket bound to ip:port in `netns` ("0.0.0.0" = every local address). AlreadyExists
    // (EADDRINUSE) when taken; InvalidArgument (EADDRNOTAVAIL) when `ip` is not local there.
    Result<void> listen(const std::string& netns, const std::string& ip, std::uint16_t port,
        Protocol protocol = Protocol::Tcp);
    Result<void> unlisten(const std::string& netns, const std::string& ip, std::uint16_t port,
        Protocol protocol = Protocol::Tcp);

    // [SECTION] Firewall: the host namespace's glassbox table, as SimNftables applies it.
    void set_ruleset(const network::NftRuleset& ruleset);
    void clear_ruleset();

    // [SECTION] Time.
    // Moves the simulated clock on: learned FDB entries older than the ageing time disappear,
    // REACHABLE neighbours turn STALE.
    void advance(std::chrono::seconds seconds);

    // How traces name a namespace: "host" for "", else the last component of the path.
    static std::string namespace_label(const std::string& netns);

    struct Model;

private:
    struct Changes;

    mutable std::mutex m_mutex;
    std::unique_ptr<Model> m_model;
    // Shared with the watches, which may outlive the network.
    std::shared_ptr<Changes> m_changes;
};

// The nftables seam over a SimNetwork: keeps and lists the ruleset as sim::FakeNftables does,
// and hands it to the network so the isolation rules decide what the packet model forwards.
class SimNftables final : public network::Nftables {
public:
    explicit SimNftables(SimNetwork& network);
    ~SimNftables() override;

    Result<void> apply_ruleset(const network::NftRuleset& ruleset) override;
    Result<void> delete_table(const std::string& table) override;
    Result<nlohmann::json> list_table(const std::string& table) override;
    Result<std::string> list(const std::string& command, bool json) override;

private:
    SimNetwork& m_network;
    struct Tables;
    std::unique_ptr<Tables> m_tables;
};

} // namespace engine::sim
