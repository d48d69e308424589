// sim::SimNetwork, one kernel rule per test: veth crossing, bridge learning, flooding and ageing,
// macvlan (children meet, the parent is never reached), ipvlan L2/L3 (L3 sends no ARP), 802.1q
// tagging, routing through a forwarding namespace, ARP entries made by traffic, sockets, the
// isolation rules SimNftables hands over, and the errors the kernel gives. No root, no kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "engine/sim/net/sim_network.h"

using namespace engine;
using namespace engine::sim;
using network::LinkRequest;

namespace {

class SimNetworkRules : public ::testing::Test {
protected:
    // A namespace with one veth end called `link` facing `peer` in `other`.
    void veth(const std::string& ns, const std::string& link, const std::string& other, const std::string& peer)
    {
        ASSERT_TRUE(net.create_link(ns, { .name = link, .kind = "veth", .peer_name = peer, .peer_netns = other }).ok());
        ASSERT_TRUE(net.set_link_up(ns, link, true).ok());
        ASSERT_TRUE(net.set_link_up(other, peer, true).ok());
    }

    void address(const std::string& ns, const std::string& link, const std::string& ip, int prefix = 24)
    {
        auto added = net.add_address(ns, link, ip, prefix);
        ASSERT_TRUE(added.ok()) << added.error().describe();
    }

    // A container namespace plugged into host bridge `bridge` through host veth `host_link`.
    void container_on_bridge(const std::string& ns, const std::string& bridge, const std::string& host_link,
        const std::string& ip, const std::string& gateway)
    {
        veth("", host_link, ns, "eth0");
        ASSERT_TRUE(net.set_link_master("", host_link, bridge).ok());
        address(ns, "eth0", ip);
        ASSERT_TRUE(net.add_route(ns, "default", gateway, "eth0").ok());
    }

    void bridge(const std::string& name, const std::string& gateway)
    {
        ASSERT_TRUE(net.create_link("", { .name = name, .kind = "bridge" }).ok());
        ASSERT_TRUE(net.set_link_up("", name, true).ok());
        address("", name, gateway);
    }

    // A child of host link `parent` moved into `ns` as eth0, with `ip`.
    void child(const std::string& kind, const std::string& mode, const std::string& parent, const std::string& temp,
        const std::string& ns, const std::string& ip)
    {
        auto made = net.create_link("", { .name = temp, .kind = kind, .parent = parent, .mode = mode });
        ASSERT_TRUE(made.ok()) << made.error().describe();
        ASSERT_TRUE(net.move_link("", temp, ns, "eth0").ok());
        ASSERT_TRUE(net.set_link_up(ns, "lo", true).ok());
        address(ns, "eth0", ip);
        ASSERT_TRUE(net.set_link_up(ns, "eth0", true).ok());
    }

    static bool noted(const PacketTrace& trace, const std::string& text)
    {
        return std::any_of(trace.notes.begin(), trace.notes.end(),
            [&](const std::string& note) { return note.find(text) != std::string::npos; });
    }

    SimNetwork net;
};

} // namespace

TEST_F(SimNetworkRules, PingCrossesAVethPairBetweenNamespacesAndLeavesArpEntriesOnBothSides)
{
    veth("/run/netns/a", "v0", "/run/netns/b", "v1");
    address("/run/netns/a", "v0", "10.0.0.1");
    address("/run/netns/b", "v1", "10.0.0.2");
    auto trace = net.ping("/run/netns/a", "10.0.0.2");
    ASSERT_TRUE(trace.delivered) << trace.error;
    EXPECT_EQ(trace.trace(), "v0@a -> v1@b");
    EXPECT_EQ(trace.reached_netns, "/run/netns/b");
    EXPECT_EQ(trace.source, "10.0.0.1");
    EXPECT_EQ(trace.reply_hops, (std::vector<std::string> { "v1@b", "v0@a" }));
    auto a = net.list_neighbours("/run/netns/a").value();
    ASSERT_EQ(a.size(), 1U);
    EXPECT_EQ(a[0].address, "10.0.0.2");
    EXPECT_EQ(a[0].mac, net.get_link("/run/netns/b", "v1").value().mac);
    EXPECT_EQ(a[0].state, 0x02); // NUD_REACHABLE
    auto b = net.list_neighbours("/run/netns/b").value();
    ASSERT_EQ(b.size(), 1U);
    EXPECT_EQ(b[0].address, "10.0.0.1");
}

TEST_F(SimNetworkRules, AVethWhosePeerIsDownHasNoCarrierAndCarriesNothing)
{
    ASSERT_TRUE(net.create_link("/run/netns/a", { .name = "v0", .kind = "veth", .peer_name = "v1", .peer_netns = "/run/netns/b" }).ok());
    ASSERT_TRUE(net.set_link_up("/run/netns/a", "v0", true).ok());
    address("/run/netns/a", "v0", "10.0.0.1");
    address("/run/netns/b", "v1", "10.0.0.2");
    auto v0 = net.get_link("/run/netns/a", "v0").value();
    EXPECT_EQ(v0.oper_state, "down");
    EXPECT_EQ(v0.parent_index, net.get_link("/run/netns/b", "v1").value().index);
    auto trace = net.ping("/run/netns/a", "10.0.0.2");
    EXPECT_FALSE(trace.delivered);
    EXPECT_EQ(trace.error_code, EHOSTUNREACH);
    EXPECT_EQ(trace.error, "Destination Host Unreachable");
}

TEST_F(SimNetworkRules, ABridgeLearnsSourceMacsAndForwardsByItsFdb)
{
    bridge("br0", "10.1.0.1");
    container_on_bridge("/run/netns/c1", "br0", "va", "10.1.0.2", "10.1.0.1");
    container_on_bridge("/run/netns/c2", "br0", "vb", "10.1.0.3", "10.1.0.1");
    auto trace = net.ping("/run/netns/c1", "10.1.0.3");
    ASSERT_TRUE(trace.delivered) << trace.error;
    EXPECT_EQ(trace.trace(), "eth0@c1 -> va -> br0 -> vb -> eth0@c2");
    // The ARP exchange taught the bridge both MACs, so the echo itself was not flooded.
    EXPECT_FALSE(noted(trace, "flooded")) << testing::PrintToString(trace.notes);
    auto fdb = net.list_fdb("").value();
    auto va = net.get_link("", "va").value().index;
    auto vb = net.get_link("", "vb").value().index;
    auto c1_mac = net.get_link("/run/netns/c1", "eth0").value().mac;
    auto c2_mac = net.get_link("/run/netns/c2", "eth0").value().mac;
    auto learned = [&](const std::string& mac, int port) {
        return std::any_of(fdb.begin(), fdb.end(),
            [&](const network::FdbEntry& e) { return e.mac == mac && e.link_index == port && !e.local; });
    };
    EXPECT_TRUE(learned(c1_mac, va));
    EXPECT_TRUE(learned(c2_mac, vb));
    // Each port's own MAC is a permanent (local) entry.
    EXPECT_TRUE(std::any_of(fdb.begin(), fdb.end(), [&](const network::FdbEntry& e) {
        return e.local && e.link_index == va && e.mac == net.get_link("", "va").value().mac;
    }));
}

TEST_F(SimNetworkRules, LearnedFdbEntriesAgeOutAndAnUnknownDestinationIsFloodedToEveryOtherPort)
{
    bridge("br0", "10.1.0.1");
    container_on_bridge("/run/netns/c1", "br0", "va", "10.1.0.2", "10.1.0.1");
    container_on_bridge("/run/netns/c2", "br0", "vb", "10.1.0.3", "10.1.0.1");
    container_on_bridge("/run/netns/c3", "br0", "vc", "10.1.0.4", "10.1.0.1");
    ASSERT_TRUE(net.ping("/run/netns/c1", "10.1.0.3").delivered);
    auto learned = [&] {
        int count = 0;
        for (const auto& entry : net.list_fdb("").value())
            count += entry.local ? 0 : 1;
        return count;
    };
    EXPECT_EQ(learned(), 2);
    net.advance(std::chrono::seconds(299));
    EXPECT_EQ(learned(), 2);
    net.advance(std::chrono::seconds(2));
    EXPECT_EQ(learned(), 0);
    // c1 still has c2's MAC in its (now stale) ARP cache, so it sends at once to a MAC the
    // bridge has forgotten: the frame is flooded, and c3's stack ignores its copy.
    auto neighbours = net.list_neighbours("/run/netns/c1").value();
    ASSERT_EQ(neighbours.size(), 1U);
    EXPECT_EQ(neighbours[0].state, 0x04); // NUD_STALE
    auto trace = net.ping("/run/netns/c1", "10.1.0.3");
    ASSERT_TRUE(trace.delivered) << trace.error;
    EXPECT_TRUE(noted(trace, "not in the FDB, flooded")) << testing::PrintToString(trace.notes);
    EXPECT_TRUE(noted(trace, "eth0@c3: frame for another host")) << testing::PrintToString(trace.notes);
    EXPECT_EQ(trace.trace(), "eth0@c1 -> va -> br0 -> vb -> eth0@c2");
}

TEST_F(SimNetworkRules, MacvlanChildrenInBridgeModeReachEachOtherButNeverTheirParent)
{
    ASSERT_TRUE(net.create_link("", { .name = "uplink0", .kind = "dummy" }).ok());
    ASSERT_TRUE(net.set_link_up("", "uplink0", true).ok());
    address("", "uplink0", "10.2.0.254");
    child("macvlan", "bridge", "uplink0", "mv1", "/run/netns/c1", "10.2.0.11");
    child("macvlan", "bridge", "uplink0", "mv2", "/run/netns/c2", "10.2.0.12");
    auto siblings = net.ping("/run/netns/c1", "10.2.0.12");
    ASSERT_TRUE(siblings.delivered) << siblings.error;
    EXPECT_EQ(siblings.trace(), "eth0@c1 -> eth0@c2");
    auto to_parent = net.ping("/run/netns/c1", "10.2.0.254");
    EXPECT_FALSE(to_parent.delivered);
    EXPECT_EQ(to_parent.error_code, EHOSTUNREACH);
    EXPECT_TRUE(noted(to_parent, "no ARP reply for 10.2.0.254")) << testing::PrintToString(to_parent.notes);
    auto from_parent = net.ping("", "10.2.0.11");
    EXPECT_FALSE(from_parent.delivered);
    EXPECT_EQ(from_parent.error_code, EHOSTUNREACH);
}

TEST_F(SimNetworkRules, MacvlanChildrenInPrivateModeDoNotMeet)
{
    ASSERT_TRUE(net.create_link("", { .name = "uplink0", .kind = "dummy" }).ok());
    ASSERT_TRUE(net.set_link_up("", "uplink0", true).ok());
    child("macvlan", "private", "uplink0", "mv1", "/run/netns/c1", "10.2.0.11");
    child("macvlan", "private", "uplink0", "mv2", "/run/netns/c2", "10.2.0.12");
    auto trace = net.ping("/run/netns/c1", "10.2.0.12");
    EXPECT_FALSE(trace.delivered);
    EXPECT_TRUE(noted(trace, "uplink0: a dummy link drops what it sends")) << testing::PrintToString(trace.notes);
}

TEST_F(SimNetworkRules, AMacvlanChildReachesTheLabBehindAVethParent)
{
    veth("", "uplink", "/run/netns/lab", "lab0");
    address("/run/netns/lab", "lab0", "10.2.0.1");
    child("macvlan", "bridge", "uplink", "mv1", "/run/netns/c1", "10.2.0.11");
    ASSERT_TRUE(net.add_route("/run/netns/c1", "default", "10.2.0.1", "eth0").ok());
    auto trace = net.ping("/run/netns/c1", "10.2.0.1");
    ASSERT_TRUE(trace.delivered) << trace.error << testing::PrintToString(trace.notes);
    EXPECT_EQ(trace.trace(), "eth0@c1 -> uplink -> lab0@lab");
    EXPECT_EQ(trace.reply_hops, (std::vector<std::string> { "lab0@lab", "uplink", "eth0@c1" }));
}

TEST_F(SimNetworkRules, IpvlanL3ChildrenTalkWithoutArpWhileL2ChildrenArp)
{
    ASSERT_TRUE(net.create_link("", { .name = "uplink0", .kind = "dummy" }).ok());
    ASSERT_TRUE(net.set_link_up("", "uplink0", true).ok());
    child("ipvlan", "l3", "uplink0", "iv1", "/run/netns/c1", "10.3.0.11");
    child("ipvlan", "l3", "uplink0", "iv2", "/run/netns/c2", "10.3.0.12");
    ASSERT_TRUE(net.add_route("/run/netns/c1", "default", "", "eth0").ok());
    auto uplink_mac = net.get_link("", "uplink0").value().mac;
    EXPECT_EQ(net.get_link("/run/netns/c1", "eth0").value().mac, uplink_mac);
    auto trace = net.ping("/run/netns/c1", "10.3.0.12");
    ASSERT_TRUE(trace.delivered) << trace.error;
    EXPECT_EQ(trace.trace(), "eth0@c1 -> eth0@c2");
    EXPECT_TRUE(net.list_neighbours("/run/netns/c1").value().empty());
    EXPECT_TRUE(net.list_neighbours("/run/netns/c2").value().empty());

    child("ipvlan", "l2", "uplink0", "iv3", "/run/netns/c3", "10.4.0.13");
    child("ipvlan", "l2", "uplink0", "iv4", "/run/netns/c4", "10.4.0.14");
    auto l2 = net.ping("/run/netns/c3", "10.4.0.14");
    ASSERT_TRUE(l2.delivered) << l2.error << testing::PrintToString(l2.notes);
    auto arp = net.list_neighbours("/run/netns/c3").value();
    ASSERT_EQ(arp.size(), 1U);
    EXPECT_EQ(arp[0].mac, uplink_mac); // Every slave answers with the shared MAC.
}

TEST_F(SimNetworkRules, OnlyTheSameVlanIdMeetsAcrossATrunk)
{
    veth("/run/netns/a", "trunk", "/run/netns/b", "trunk");
    for (auto [ns, id, name] : { std::tuple { "/run/netns/a", 10, "t.10" }, { "/run/netns/b", 10, "t.10" },
             { "/run/netns/a", 20, "t.20" }, { "/run/netns/b", 30, "t.30" } }) {
        auto made = net.create_link(ns, { .name = name, .kind = "vlan", .parent = "trunk", .vlan_id = id });
        ASSERT_TRUE(made.ok()) << made.error().describe();
        ASSERT_TRUE(net.set_link_up(ns, name, true).ok());
    }
    address("/run/netns/a", "t.10", "10.10.0.1");
    address("/run/netns/b", "t.10", "10.10.0.2");
    address("/run/netns/a", "t.20", "10.20.0.1");
    address("/run/netns/b", "t.30", "10.20.0.2"); // Same subnet, other tag.
    auto same = net.ping("/run/netns/a", "10.10.0.2");
    ASSERT_TRUE(same.delivered) << same.error;
    EXPECT_EQ(same.trace(), "t.10@a -> trunk@a -> trunk@b -> t.10@b");
    auto other = net.ping("/run/netns/a", "10.20.0.2");
    EXPECT_FALSE(other.delivered);
    EXPECT_TRUE(noted(other, "trunk@b: no VLAN 20 sub-interface")) << testing::PrintToString(other.notes);
    EXPECT_EQ(net.get_link("/run/netns/a", "t.10").value().vlan_id, 10);
}

TEST_F(SimNetworkRules, PacketsAreRoutedThroughAForwardingNamespaceByGatewayRoutes)
{
    veth("/run/netns/c1", "eth0", "/run/netns/r", "left");
    veth("/run/netns/c2", "eth0", "/run/netns/r", "right");
    address("/run/netns/c1", "eth0", "10.5.1.2");
    address("/run/netns/r", "left", "10.5.1.1");
    address("/run/netns/r", "right", "10.5.2.1");
    address("/run/netns/c2", "eth0", "10.5.2.2");
    auto unrouted = net.ping("/run/netns/c1", "10.5.2.2");
    EXPECT_EQ(unrouted.error_code, ENETUNREACH);
    EXPECT_EQ(unrouted.error, "Network is unreachable");
    ASSERT_TRUE(net.add_route("/run/netns/c1", "default", "10.5.1.1", "eth0").ok());
    ASSERT_TRUE(net.add_route("/run/netns/c2", "default", "10.5.2.1", "eth0").ok());
    auto off = net.ping("/run/netns/c1", "10.5.2.2");
    EXPECT_FALSE(off.delivered);
    EXPECT_TRUE(noted(off, "r: not forwarding")) << testing::PrintToString(off.notes);
    ASSERT_TRUE(net.set_forwarding("/run/netns/r", true).ok());
    auto on = net.ping("/run/netns/c1", "10.5.2.2");
    ASSERT_TRUE(on.delivered) << on.error;
    EXPECT_EQ(on.trace(), "eth0@c1 -> left@r -> right@r -> eth0@c2");
    // The first hop's ARP entry is for the gateway, not the destination.
    auto arp = net.list_neighbours("/run/netns/c1").value();
    ASSERT_EQ(arp.size(), 1U);
    EXPECT_EQ(arp[0].address, "10.5.1.1");
    // A link going down takes its routes with it, as the kernel flushes them.
    ASSERT_TRUE(net.set_link_up("/run/netns/c1", "eth0", false).ok());
    ASSERT_TRUE(net.set_link_up("/run/netns/c1", "eth0", true).ok());
    EXPECT_EQ(net.ping("/run/netns/c1", "10.5.2.2").error_code, ENETUNREACH);
}

TEST_F(SimNetworkRules, ConnectFindsAListenerOrIsRefused)
{
    veth("/run/netns/a", "v0", "/run/netns/b", "v1");
    address("/run/netns/a", "v0", "10.0.0.1");
    address("/run/netns/b", "v1", "10.0.0.2");
    ASSERT_TRUE(net.listen("/run/netns/b", "0.0.0.0", 80).ok());
    auto taken = net.listen("/run/netns/b", "10.0.0.2", 80);
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().kind(), ErrorKind::AlreadyExists);
    EXPECT_FALSE(net.listen("/run/netns/b", "10.9.9.9", 81).ok()); // Not a local address.
    auto ok = net.connect("/run/netns/a", "10.0.0.2", 80);
    EXPECT_TRUE(ok.delivered) << ok.error;
    EXPECT_EQ(ok.reached_netns, "/run/netns/b");
    auto refused = net.connect("/run/netns/a", "10.0.0.2", 81);
    EXPECT_FALSE(refused.delivered);
    EXPECT_EQ(refused.error_code, ECONNREFUSED);
    ASSERT_TRUE(net.listen("/run/netns/b", "10.0.0.2", 53, Protocol::Udp).ok());
    EXPECT_TRUE(net.connect("/run/netns/a", "10.0.0.2", 53, Protocol::Udp).delivered);
    EXPECT_EQ(net.connect("/run/netns/a", "10.0.0.2", 54, Protocol::Udp).error_code, ECONNREFUSED);
    ASSERT_TRUE(net.unlisten("/run/netns/b", "0.0.0.0", 80).ok());
    EXPECT_EQ(net.connect("/run/netns/a", "10.0.0.2", 80).error_code, ECONNREFUSED);
}

TEST_F(SimNetworkRules, TheNftablesRulesetIsolatesTwoBridgesOnTheHost)
{
    bridge("br1", "10.6.1.1");
    bridge("br2", "10.6.2.1");
    container_on_bridge("/run/netns/c1", "br1", "va", "10.6.1.2", "10.6.1.1");
    container_on_bridge("/run/netns/c2", "br2", "vb", "10.6.2.2", "10.6.2.1");
    auto open = net.ping("/run/netns/c1", "10.6.2.2");
    ASSERT_TRUE(open.delivered) << open.error;
    EXPECT_EQ(open.trace(), "eth0@c1 -> va -> br1 -> br2 -> vb -> eth0@c2");
    SimNftables nft(net);
    ASSERT_TRUE(nft.apply_ruleset({ .table = "glassbox",
                                      .networks = { { "br1", "10.6.1.0/24", false }, { "br2", "10.6.2.0/24", false } } })
                    .ok());
    auto isolated = net.ping("/run/netns/c1", "10.6.2.2");
    EXPECT_FALSE(isolated.delivered);
    EXPECT_TRUE(noted(isolated, "dropped by nft forward")) << testing::PrintToString(isolated.notes);
    EXPECT_TRUE(net.ping("/run/netns/c1", "10.6.1.1").delivered); // Its own gateway stays reachable.
    EXPECT_TRUE(nft.list_table("glassbox").ok());
    ASSERT_TRUE(nft.delete_table("glassbox").ok());
    EXPECT_TRUE(net.ping("/run/netns/c1", "10.6.2.2").delivered);
}

TEST_F(SimNetworkRules, LinksThatComeUpGetTheKernelsAddressesAndRoutes)
{
    ASSERT_TRUE(net.set_link_up("/run/netns/a", "lo", true).ok());
    veth("/run/netns/a", "v0", "/run/netns/b", "v1");
    address("/run/netns/a", "v0", "10.0.0.1");
    auto dump = net.dump_namespace("/run/netns/a", { "/run/netns/a", "/run/netns/b" }).value();
    std::vector<std::string> addresses;
    for (const auto& a : dump.addresses)
        addresses.push_back(a.family + " " + a.address + " " + a.scope);
    auto v0 = net.get_link("/run/netns/a", "v0").value();
    auto link_local = [](const std::string& mac) {
        unsigned b[6];
        std::sscanf(mac.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
        char text[64];
        std::snprintf(text, sizeof text, "fe80::%x:%x:%x:%x", ((b[0] ^ 2) << 8) | b[1], (b[2] << 8) | 0xff,
            0xfe00 | b[3], (b[4] << 8) | b[5]);
        return std::string(text);
    };
    EXPECT_EQ(addresses, (std::vector<std::string> { "inet 127.0.0.1/8 host", "inet 10.0.0.1/24 global", "inet6 ::1 host",
                             "inet6 " + link_local(v0.mac) + "/64 link" }));
    std::vector<std::string> routes;
    for (const auto& r : dump.routes)
        if (r.family == "inet")
            routes.push_back(r.table + " " + r.destination + " " + r.protocol + " " + r.scope);
    std::sort(routes.begin(), routes.end());
    EXPECT_EQ(routes, (std::vector<std::string> { "local 10.0.0.1/32 kernel host", "local 10.0.0.255/32 kernel link",
                          "local 127.0.0.0/8 kernel host", "local 127.0.0.1/32 kernel host",
                          "local 127.255.255.255/32 kernel link", "main 10.0.0.0/24 kernel link" }));
    // The veth's peer lives in the second candidate namespace.
    ASSERT_EQ(dump.links.size(), 2U);
    EXPECT_EQ(dump.links[1].link.link_netnsid, 1);
    EXPECT_EQ(dump.other_of_netnsid.at(1), 1U);
    EXPECT_EQ(dump.links[0].link.oper_state, "unknown"); // lo
    EXPECT_EQ(dump.links[1].link.oper_state, "up");
}

TEST_F(SimNetworkRules, RemovingANamespaceTakesTheVethPeerWithIt)
{
    veth("", "vhost", "/run/netns/c1", "eth0");
    ASSERT_TRUE(net.remove_namespace("/run/netns/c1").ok());
    EXPECT_EQ(net.get_link("", "vhost").error().kind(), ErrorKind::NotFound);
    EXPECT_FALSE(net.has_namespace("/run/netns/c1"));
    EXPECT_EQ(net.dump_namespace("/run/netns/c1", {}).error().kind(), ErrorKind::NotFound);
}

TEST_F(SimNetworkRules, KernelErrorsMatchWhatTheKernelSays)
{
    ASSERT_TRUE(net.create_link("", { .name = "d0", .kind = "dummy" }).ok());
    auto again = net.create_link("", { .name = "d0", .kind = "dummy" });
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind(), ErrorKind::AlreadyExists);
    EXPECT_EQ(again.error().message(), "create dummy link d0: Object exists");
    auto missing = net.delete_link("", "nope0");
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(missing.error().message(), "link nope0: No such device");
    auto orphan = net.create_link("", { .name = "mv0", .kind = "macvlan", .parent = "nope0" });
    EXPECT_EQ(orphan.error().kind(), ErrorKind::NotFound);
    auto mtu = net.set_link_mtu("", "d0", 70000);
    ASSERT_FALSE(mtu.ok());
    EXPECT_EQ(mtu.error().message(), "set mtu d0: Invalid input data or parameter");
    ASSERT_TRUE(net.set_link_mtu("", "d0", 9000).ok());
    ASSERT_TRUE(net.create_link("", { .name = "d0.5", .kind = "vlan", .parent = "d0", .vlan_id = 5 }).ok());
    EXPECT_EQ(net.get_link("", "d0.5").value().mtu, 9000); // Inherits the parent's.
    auto dup_vid = net.create_link("", { .name = "d0.x", .kind = "vlan", .parent = "d0", .vlan_id = 5 });
    EXPECT_EQ(dup_vid.error().kind(), ErrorKind::AlreadyExists);
    EXPECT_EQ(net.create_link("", { .name = "d0.0", .kind = "vlan", .parent = "d0", .vlan_id = 0 }).error().kind(),
        ErrorKind::InvalidArgument);
    EXPECT_FALSE(net.set_link_mtu("", "d0.5", 9001).ok()); // Above its lower device.
    auto lower_down = net.set_link_up("", "d0.5", true);
    ASSERT_FALSE(lower_down.ok());
    EXPECT_EQ(lower_down.error().message(), "set up d0.5: Unspecific failure");
    EXPECT_EQ(net.delete_link("", "lo").error().kind(), ErrorKind::Unsupported);
    ASSERT_TRUE(net.set_link_up("", "d0", true).ok());
    ASSERT_TRUE(net.add_address("", "d0", "10.7.0.1", 24).ok());
    EXPECT_EQ(net.add_address("", "d0", "10.7.0.1", 24).error().kind(), ErrorKind::AlreadyExists);
    auto far = net.add_route("", "10.8.0.0/24", "10.9.0.1", "d0");
    ASSERT_FALSE(far.ok()); // The gateway is not on a connected subnet.
    EXPECT_EQ(far.error().message(), "add route 10.8.0.0/24 via 10.9.0.1: Unspecific failure");
    ASSERT_TRUE(net.add_route("", "10.8.0.0/24", "10.7.0.9", "d0").ok());
    EXPECT_EQ(net.add_route("", "10.8.0.0/24", "10.7.0.9", "d0").error().kind(), ErrorKind::AlreadyExists);
    EXPECT_FALSE(net.delete_route("", "10.99.0.0/24", "", "").ok());
    auto bridge_move = net.create_link("", { .name = "br0", .kind = "bridge" });
    ASSERT_TRUE(bridge_move.ok());
    EXPECT_FALSE(net.move_link("", "br0", "/run/netns/a", "").ok()); // Bridges are netns-local.
    // Deleting a parent deletes its children; deleting a veth end deletes its peer.
    ASSERT_TRUE(net.delete_link("", "d0").ok());
    EXPECT_EQ(net.get_link("", "d0.5").error().kind(), ErrorKind::NotFound);
}

TEST_F(SimNetworkRules, MacsAreGeneratedDeterministically)
{
    SimNetwork other;
    ASSERT_TRUE(net.create_link("", { .name = "d0", .kind = "dummy" }).ok());
    ASSERT_TRUE(other.create_link("", { .name = "d0", .kind = "dummy" }).ok());
    auto mac = net.get_link("", "d0").value().mac;
    EXPECT_EQ(mac, other.get_link("", "d0").value().mac);
    EXPECT_EQ(mac.substr(0, 3), "02:"); // Locally administered, unicast.
}
