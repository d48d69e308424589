// network::Manager, unchanged, over sim::SimNetwork and SimNftables: the networks it builds on
// the simulated kernel carry packets where the real kernel's would (containers on one bridge meet,
// two user bridges are isolated, macvlan children reach the lab's gateway but not the host, ipvlan
// L3 endpoints route without ARP, a VLAN network sits on its tagged parent). No root.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "engine/network/manager.h"
#include "engine/sim/fake_kernel.h"
#include "engine/sim/net/sim_network.h"

using namespace engine;
using namespace engine::network;

namespace {

class ManagerOverSimNetwork : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/glassbox-simnet-unit-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_options.state_dir = m_dir + "/state";
        m_options.run_dir = m_dir + "/run";
        m_options.bridge_name = "gbs0";
        m_options.bridge_prefix = "gbs-";
        m_options.pool_prefix = "10.232.0.0/16";
        m_options.nft_table_name = "glassbox_sim";
        m_options.enable_dns = false;
        m_options.resolv_conf_source = m_dir + "/no-resolv.conf";
        sys::KernelFeatures features;
        features.kernel_release = "simulated";
        for (const char* name : { "link.macvlan", "link.ipvlan", "link.vlan" })
            features.features.push_back({ name, true, "simulated" });
        m_options.features = features;
        m_kernel.put_file("/proc/sys/net/ipv4/ip_forward", "0\n");
        auto manager = Manager::open(m_kernel, m_net, m_nft, m_options);
        ASSERT_TRUE(manager.ok()) << manager.error().describe();
        m_manager = manager.release_value();
    }

    void TearDown() override
    {
        m_manager.reset();
        std::filesystem::remove_all(m_dir);
    }

    // A container with its own sandbox, connected to `network`; returns its namespace and IP.
    std::pair<std::string, std::string> container(const std::string& id, const std::string& network)
    {
        auto ns = m_manager->create_sandbox(id);
        EXPECT_TRUE(ns.ok()) << ns.error().describe();
        if (!ns.ok())
            return {};
        auto endpoint = m_manager->connect(network, id, id, ns.value(), {}, "");
        EXPECT_TRUE(endpoint.ok()) << endpoint.error().describe();
        return { ns.value(), endpoint.ok() ? endpoint.value().ip_address : "" };
    }

    std::string m_dir;
    Options m_options;
    sim::FakeKernel m_kernel;
    sim::SimNetwork m_net;
    sim::SimNftables m_nft { m_net };
    std::unique_ptr<Manager> m_manager;
};

} // namespace

TEST_F(ManagerOverSimNetwork, ContainersOnOneBridgeNetworkPingEachOtherThroughTheBridge)
{
    auto created = m_manager->create_network({ .name = "web", .subnet = "10.232.10.0/24" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    const auto bridge = created.value().bridge;
    auto [ns1, ip1] = container("c1", "web");
    auto [ns2, ip2] = container("c2", "web");
    auto trace = m_net.ping(ns1, ip2);
    ASSERT_TRUE(trace.delivered) << trace.error;
    ASSERT_EQ(trace.hops.size(), 5U) << trace.trace();
    EXPECT_EQ(trace.hops[0], "eth0@c1");
    EXPECT_EQ(trace.hops[2], bridge);
    EXPECT_EQ(trace.hops[4], "eth0@c2");
    EXPECT_EQ(trace.reached_netns, ns2);
    auto gateway = m_net.ping(ns1, created.value().gateway);
    EXPECT_TRUE(gateway.delivered) << gateway.error;
    EXPECT_EQ(gateway.reached_netns, "");
    ASSERT_TRUE(m_manager->disconnect("web", "c2").ok());
    EXPECT_FALSE(m_net.ping(ns1, ip2).delivered);
}

TEST_F(ManagerOverSimNetwork, TwoUserBridgeNetworksAreIsolatedByTheEnginesRuleset)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "a", .subnet = "10.232.20.0/24" }).ok());
    ASSERT_TRUE(m_manager->create_network({ .name = "b", .subnet = "10.232.21.0/24" }).ok());
    auto [ns1, ip1] = container("c1", "a");
    auto [ns2, ip2] = container("c2", "b");
    auto trace = m_net.ping(ns1, ip2);
    EXPECT_FALSE(trace.delivered);
    bool dropped = false;
    for (const auto& note : trace.notes)
        dropped = dropped || note.find("dropped by nft forward") != std::string::npos;
    EXPECT_TRUE(dropped) << testing::PrintToString(trace.notes);
    // One container joined to both networks reaches either side.
    auto endpoint = m_manager->connect("b", "c1", "c1", ns1, {}, "");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().describe();
    EXPECT_TRUE(m_net.ping(ns1, ip2).delivered);
}

TEST_F(ManagerOverSimNetwork, MacvlanChildrenReachTheLabGatewayAndEachOtherButNotTheHost)
{
    auto created = m_manager->create_network({ .name = "mv", .driver = "macvlan", .subnet = "10.232.30.0/24" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    auto [ns1, ip1] = container("c1", "mv");
    auto [ns2, ip2] = container("c2", "mv");
    auto sibling = m_net.ping(ns1, ip2);
    ASSERT_TRUE(sibling.delivered) << sibling.error;
    EXPECT_EQ(sibling.trace(), "eth0@c1 -> eth0@c2");
    auto lab = m_net.ping(ns1, created.value().gateway);
    ASSERT_TRUE(lab.delivered) << lab.error << testing::PrintToString(lab.notes);
    EXPECT_EQ(lab.reached_netns, m_options.run_dir + "/netns/glassbox-lab");
    // The host end of the uplink is the parent: the host cannot reach its children.
    ASSERT_TRUE(m_net.add_address("", created.value().parent, "10.232.30.250", 24).ok());
    EXPECT_EQ(m_net.ping("", ip1).error_code, EHOSTUNREACH);
    EXPECT_EQ(m_net.ping(ns1, "10.232.30.250").error_code, EHOSTUNREACH);
}

TEST_F(ManagerOverSimNetwork, IpvlanL3EndpointsRouteWithoutArp)
{
    auto created = m_manager->create_network({ .name = "iv", .driver = "ipvlan",
        .options = { { "ipvlan_mode", "l3" } }, .subnet = "10.232.40.0/24" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    auto [ns1, ip1] = container("c1", "iv");
    auto [ns2, ip2] = container("c2", "iv");
    auto trace = m_net.ping(ns1, ip2);
    ASSERT_TRUE(trace.delivered) << trace.error;
    EXPECT_EQ(trace.trace(), "eth0@c1 -> eth0@c2");
    EXPECT_TRUE(m_net.list_neighbours(ns1).value().empty());
}

TEST_F(ManagerOverSimNetwork, AVlanNetworkSitsOnATaggedSubInterfaceOfItsParent)
{
    ASSERT_TRUE(m_net.create_link("", { .name = "gbs-trunk", .kind = "dummy" }).ok());
    ASSERT_TRUE(m_net.set_link_up("", "gbs-trunk", true).ok());
    auto created = m_manager->create_network({ .name = "v10", .driver = "macvlan",
        .options = { { "parent", "gbs-trunk.10" } }, .subnet = "10.232.50.0/24" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    auto vlan = m_net.get_link("", "gbs-trunk.10");
    ASSERT_TRUE(vlan.ok());
    EXPECT_EQ(vlan.value().vlan_id, 10);
    EXPECT_EQ(vlan.value().oper_state, "up");
    auto [ns1, ip1] = container("c1", "v10");
    auto [ns2, ip2] = container("c2", "v10");
    auto trace = m_net.ping(ns1, ip2);
    ASSERT_TRUE(trace.delivered) << trace.error;
    auto eth0 = m_net.get_link(ns1, "eth0").value();
    EXPECT_EQ(eth0.parent_index, vlan.value().index);
}
