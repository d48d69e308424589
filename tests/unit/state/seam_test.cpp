// The collector's network readers over the simulated kernel: rtnetlink facts through
// network::Netlink and nftables rules through network::Nftables, without root.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/network/nft.h"
#include "engine/sim/fake_netlink.h"
#include "engine/sim/fake_nftables.h"
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
