// The collector's network readers over the simulated kernel: rtnetlink facts through
// network::Netlink and nftables rules through network::Nftables, without root.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "engine/network/nft.h"
#include "engine/sim/fake_netlink.h"
#include "engine/sim/fake_nftables.h"
#include "engine/sim/net/sim_network.h"
#include "engine/state/snapshot_json.h"
#include "engine/state/collector_internal.h"

using namespace engine;
using namespace engine::state;

namespace {

const LinkInfo* find_link(const detail::NetworkFacts& facts, std::uint64_t netns, const std::string& name)
{
    for (const auto& link : facts.links)
        if (link.netns == netns && link.name == name)
            return &link;
    return nullptr;
}

TEST(NetworkReaderOverFakes, NamesAVethPeerInAnotherNamespace)
{
    sim::FakeNetlink netlink;
    ASSERT_TRUE(netlink.create_link("", { .name = "br0", .kind = "bridge" }).ok());
    ASSERT_TRUE(netlink.create_link("", { .name = "veth1", .kind = "veth", .peer_name = "eth0", .peer_netns = "/ns/c1" }).ok());
    ASSERT_TRUE(netlink.set_link_master("", "veth1", "br0").ok());
    ASSERT_TRUE(netlink.add_address("/ns/c1", "eth0", "10.0.0.2", 24).ok());
    ASSERT_TRUE(netlink.add_route("/ns/c1", "default", "10.0.0.1", "eth0").ok());

    auto facts = detail::read_network_namespaces(netlink, { { 100, "" }, { 200, "/ns/c1" } });
    EXPECT_TRUE(facts.warnings.empty());
    const auto* host_end = find_link(facts, 100, "veth1");
    const auto* container_end = find_link(facts, 200, "eth0");
    ASSERT_NE(host_end, nullptr);
    ASSERT_NE(container_end, nullptr);
    EXPECT_EQ(host_end->peer_name, "eth0");
    EXPECT_EQ(host_end->peer_netns, 200U);
    EXPECT_EQ(host_end->master_name, "br0");
    EXPECT_EQ(host_end->bridge_port_state, "forwarding");
    EXPECT_EQ(container_end->peer_name, "veth1");
    EXPECT_EQ(container_end->peer_netns, 100U);
    EXPECT_EQ(container_end->vlan_id, -1);

    auto address = std::find_if(facts.addresses.begin(), facts.addresses.end(),
        [](const AddressInfo& a) { return a.netns == 200; });
    ASSERT_NE(address, facts.addresses.end());
    EXPECT_EQ(address->address, "10.0.0.2/24");
    EXPECT_EQ(address->link_name, "eth0");
    auto route = std::find_if(facts.routes.begin(), facts.routes.end(), [](const RouteInfo& r) { return r.netns == 200; });
    ASSERT_NE(route, facts.routes.end());
    EXPECT_EQ(route->destination, "default");
    EXPECT_EQ(route->gateway, "10.0.0.1");
    EXPECT_EQ(route->link_name, "eth0");
}

TEST(NetworkReaderOverFakes, ANamespaceThatCannotBeReadBecomesAWarning)
{
    sim::FakeNetlink netlink;
    auto facts = detail::read_network_namespaces(netlink, { { 100, "" }, { 300, "/ns/missing" } });
    ASSERT_EQ(facts.warnings.size(), 1U);
    EXPECT_NE(facts.warnings[0].find("net:[300]"), std::string::npos) << facts.warnings[0];
    EXPECT_NE(find_link(facts, 100, "lo"), nullptr);
}

// [SECTION] The network cache over the simulated kernel.

// SimNetwork, counting the dumps the reader asks for.
class CountingNetlink final : public network::Netlink {
public:
    sim::SimNetwork net;
    int dumps { 0 };

    Result<std::vector<network::LinkAttributes>> list_links(const std::string& n) override { return net.list_links(n); }
    Result<network::LinkAttributes> get_link(const std::string& n, const std::string& l) override { return net.get_link(n, l); }
    Result<void> create_link(const std::string& n, const network::LinkRequest& r) override { return net.create_link(n, r); }
    Result<void> delete_link(const std::string& n, const std::string& l) override { return net.delete_link(n, l); }
    Result<void> move_link(const std::string& n, const std::string& l, const std::string& t, const std::string& m) override
    {
        return net.move_link(n, l, t, m);
    }
    Result<void> set_link_up(const std::string& n, const std::string& l, bool up) override { return net.set_link_up(n, l, up); }
    Result<void> set_link_master(const std::string& n, const std::string& l, const std::string& m) override
    {
        return net.set_link_master(n, l, m);
    }
    Result<void> set_link_mtu(const std::string& n, const std::string& l, int mtu) override { return net.set_link_mtu(n, l, mtu); }
    Result<void> set_link_mac(const std::string& n, const std::string& l, const std::string& m) override
    {
        return net.set_link_mac(n, l, m);
    }
    Result<std::vector<network::AddressInfo>> list_addresses(const std::string& n) override { return net.list_addresses(n); }
    Result<void> add_address(const std::string& n, const std::string& l, const std::string& a, int p) override
    {
        return net.add_address(n, l, a, p);
    }
    Result<void> delete_address(const std::string& n, const std::string& l, const std::string& a, int p) override
    {
        return net.delete_address(n, l, a, p);
    }
    Result<std::vector<network::RouteInfo>> list_routes(const std::string& n) override { return net.list_routes(n); }
    Result<void> add_route(const std::string& n, const std::string& d, const std::string& g, const std::string& l) override
    {
        return net.add_route(n, d, g, l);
    }
    Result<void> delete_route(const std::string& n, const std::string& d, const std::string& g, const std::string& l) override
    {
        return net.delete_route(n, d, g, l);
    }
    Result<std::vector<network::NeighbourInfo>> list_neighbours(const std::string& n) override { return net.list_neighbours(n); }
    Result<std::vector<network::FdbEntry>> list_fdb(const std::string& n) override { return net.list_fdb(n); }
    Result<network::NamespaceDump> dump_namespace(const std::string& n, const std::vector<std::string>& others) override
    {
        ++dumps;
        return net.dump_namespace(n, others);
    }
    Result<std::unique_ptr<network::NamespaceWatch>> watch_namespace(const std::string& n) override
    {
        return net.watch_namespace(n);
    }
};

// Every network fact as JSON, to compare two reads at once.
std::string facts_json(detail::NetworkFacts facts)
{
    Snapshot snapshot;
    snapshot.links = std::move(facts.links);
    snapshot.addresses = std::move(facts.addresses);
    snapshot.routes = std::move(facts.routes);
    snapshot.neighbours = std::move(facts.neighbours);
    snapshot.fdb = std::move(facts.fdb);
    snapshot.warnings = std::move(facts.warnings);
    return snapshot_to_json(snapshot).dump();
}

class NetworkCacheOverSim : public ::testing::Test {
protected:
    void SetUp() override
    {
        detail::clear_network_cache();
        auto& net = netlink.net;
        ASSERT_TRUE(net.create_link("", { .name = "br0", .kind = "bridge" }).ok());
        ASSERT_TRUE(net.set_link_up("", "br0", true).ok());
        ASSERT_TRUE(net.add_address("", "br0", "10.0.0.1", 24).ok());
        ASSERT_TRUE(net.create_link("", { .name = "veth1", .kind = "veth", .peer_name = "eth0", .peer_netns = "/ns/c1" }).ok());
        ASSERT_TRUE(net.set_link_master("", "veth1", "br0").ok());
        ASSERT_TRUE(net.set_link_up("", "veth1", true).ok());
        ASSERT_TRUE(net.set_link_up("/ns/c1", "eth0", true).ok());
        ASSERT_TRUE(net.add_address("/ns/c1", "eth0", "10.0.0.2", 24).ok());
    }
    void TearDown() override { detail::clear_network_cache(); }

    detail::NetworkFacts read(bool use_caches = true) { return detail::read_network_namespaces(netlink, sources, use_caches); }

    CountingNetlink netlink;
    std::vector<detail::NetnsSource> sources { { 100, "" }, { 200, "/ns/c1" } };
};

TEST_F(NetworkCacheOverSim, UnchangedNamespacesAreNotDumpedAgain)
{
    auto first = read();
    EXPECT_EQ(netlink.dumps, 2);
    EXPECT_EQ(detail::cached_network_namespaces(), (std::vector<std::uint64_t> { 100, 200 }));

    auto second = read();
    EXPECT_EQ(netlink.dumps, 2);
    EXPECT_EQ(facts_json(second), facts_json(first));
    ASSERT_NE(find_link(second, 100, "veth1"), nullptr);
    EXPECT_EQ(find_link(second, 100, "veth1")->peer_name, "eth0");
    EXPECT_EQ(find_link(second, 100, "veth1")->peer_netns, 200U);

    ASSERT_TRUE(netlink.net.set_link_mtu("/ns/c1", "eth0", 1400).ok());
    read();
    EXPECT_GT(netlink.dumps, 2);
}

TEST_F(NetworkCacheOverSim, WarmReadEqualsColdOneWhenTheListOfNamespacesShifts)
{
    // c0 sorts before c1 by inode, so c1's position in the list (which netnsids resolve to) moves.
    ASSERT_TRUE(netlink.net.add_namespace("/ns/c0").ok());
    read();
    sources = { { 100, "" }, { 150, "/ns/c0" }, { 200, "/ns/c1" } };
    int before = netlink.dumps;
    auto warm = read();
    EXPECT_EQ(netlink.dumps, before + 1); // Only c0 is new.
    auto cold = read(false);
    EXPECT_EQ(facts_json(warm), facts_json(cold));
    ASSERT_NE(find_link(warm, 100, "veth1"), nullptr);
    EXPECT_EQ(find_link(warm, 100, "veth1")->peer_netns, 200U);
    EXPECT_EQ(find_link(warm, 200, "eth0")->peer_name, "veth1");
}

TEST_F(NetworkCacheOverSim, NamespacesAReadDoesNotSeeAreClosed)
{
    read();
    sources = { { 100, "" } };
    read();
    EXPECT_EQ(detail::cached_network_namespaces(), (std::vector<std::uint64_t> { 100 }));
    detail::clear_network_cache();
    EXPECT_TRUE(detail::cached_network_namespaces().empty());
}

TEST_F(NetworkCacheOverSim, PastTheCapNamespacesAreReadWithoutAWatchAndStillShow)
{
    // Each watch holds sockets open; hundreds of containers must not mean hundreds more files.
    for (int i = 0; i < 140; ++i) {
        auto path = "/ns/many" + std::to_string(i);
        ASSERT_TRUE(netlink.net.add_namespace(path).ok());
        sources.push_back({ 1000 + static_cast<std::uint64_t>(i), path });
    }
    auto warm = read();
    EXPECT_LE(detail::cached_network_namespaces().size(), 128U);
    auto again = read();
    EXPECT_LE(detail::cached_network_namespaces().size(), 128U);
    EXPECT_EQ(facts_json(again), facts_json(read(false)));
    // Every namespace's loopback is there, cached or not.
    for (const auto& source : sources)
        EXPECT_NE(find_link(again, source.inode, "lo"), nullptr) << source.path;
}

TEST_F(NetworkCacheOverSim, EachChangeInACachedNamespaceShowsInTheNextRead)
{
    auto& net = netlink.net;
    auto any = [](const auto& items, auto match) { return std::any_of(items.begin(), items.end(), match); };
    read();

    ASSERT_TRUE(net.create_link("/ns/c1", { .name = "a0", .kind = "veth", .peer_name = "b0" }).ok());
    auto added = read();
    ASSERT_NE(find_link(added, 200, "a0"), nullptr);
    EXPECT_FALSE(find_link(added, 200, "a0")->up);

    ASSERT_TRUE(net.add_address("/ns/c1", "a0", "10.96.0.1", 24).ok());
    EXPECT_TRUE(any(read().addresses, [](const AddressInfo& a) { return a.netns == 200 && a.address == "10.96.0.1/24"; }));

    ASSERT_TRUE(net.set_link_up("/ns/c1", "a0", true).ok());
    ASSERT_TRUE(net.set_link_up("/ns/c1", "b0", true).ok());
    EXPECT_TRUE(find_link(read(), 200, "a0")->up);

    ASSERT_TRUE(net.add_route("/ns/c1", "10.95.0.0/24", "", "a0").ok());
    EXPECT_TRUE(any(read().routes, [](const RouteInfo& r) { return r.netns == 200 && r.destination == "10.95.0.0/24"; }));

    ASSERT_TRUE(net.ping("/ns/c1", "10.0.0.1").delivered);
    EXPECT_TRUE(any(read().neighbours, [](const NeighbourInfo& n) { return n.netns == 200 && n.address == "10.0.0.1"; }));

    ASSERT_TRUE(net.set_link_up("/ns/c1", "a0", false).ok());
    EXPECT_FALSE(find_link(read(), 200, "a0")->up);

    ASSERT_TRUE(net.delete_link("/ns/c1", "a0").ok());
    auto deleted = read();
    EXPECT_EQ(find_link(deleted, 200, "a0"), nullptr);
    EXPECT_EQ(find_link(deleted, 200, "b0"), nullptr);
    EXPECT_FALSE(any(deleted.addresses, [](const AddressInfo& a) { return a.address == "10.96.0.1/24"; }));

    // Time alone ages entries (the neighbour turns stale), which the model counts as a change.
    net.advance(std::chrono::seconds(60));
    EXPECT_TRUE(any(read().neighbours, [](const NeighbourInfo& n) { return n.netns == 200 && n.state == "stale"; }));
}

TEST(NftReaderOverFakes, ListsTheRulesOfTablesWithThePrefixOnly)
{
    sim::FakeNftables nftables;
    network::NftRuleset ours;
    ours.table = "glassbox_x";
    ours.networks.push_back({ "gb-1", "10.1.0.0/24", false });
    ASSERT_TRUE(nftables.apply_ruleset(ours).ok());
    network::NftRuleset theirs;
    theirs.table = "other";
    theirs.networks.push_back({ "br9", "10.9.0.0/24", false });
    ASSERT_TRUE(nftables.apply_ruleset(theirs).ok());

    auto rules = detail::read_nft_rules(nftables, "glassbox");
    ASSERT_TRUE(rules.ok()) << rules.error().describe();
    ASSERT_FALSE(rules.value().empty());
    for (const auto& rule : rules.value()) {
        EXPECT_EQ(rule.table, "glassbox_x");
        EXPECT_NE(rule.handle, 0U);
        EXPECT_FALSE(rule.text.empty());
    }
    EXPECT_TRUE(std::any_of(rules.value().begin(), rules.value().end(),
        [](const NftRule& rule) { return rule.comment == "outbound NAT gb-1"; }));
}

} // namespace
