// network::Manager over the simulated kernel (sim::FakeKernel, sim::FakeNetlink,
// sim::FakeNftables): networks, IPAM, sandboxes, endpoints on the bridge and macvlan/ipvlan
// drivers, published ports and reset, without root. What the kernel is asked is checked through
// the fakes' models; the real-kernel version of these paths is tests/integration/network.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "engine/base/fs.h"
#include "engine/network/manager.h"
#include "engine/sim/fake_kernel.h"
#include "engine/sim/fake_netlink.h"
#include "engine/sim/fake_nftables.h"

using namespace engine;
using namespace engine::network;

namespace {

sys::KernelFeatures simulated_features()
{
    sys::KernelFeatures features;
    features.kernel_release = "simulated";
    for (const char* name : { "link.macvlan", "link.ipvlan", "link.vlan" })
        features.features.push_back({ name, true, "simulated" });
    return features;
}

class ManagerOverFakes : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/glassbox-manager-unit-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_options.state_dir = m_dir + "/state";
        m_options.run_dir = m_dir + "/run";
        m_options.bridge_name = "gbt0";
        m_options.bridge_prefix = "gbt-";
        m_options.pool_prefix = "10.231.0.0/16";
        m_options.nft_table_name = "glassbox_unit";
        m_options.enable_dns = false; // The DNS server would bind the (simulated) gateway address.
        m_options.resolv_conf_source = m_dir + "/no-resolv.conf";
        m_options.features = simulated_features();
        m_kernel.put_file("/proc/sys/net/ipv4/ip_forward", "0\n");
        open();
    }

    void TearDown() override
    {
        m_manager.reset();
        std::filesystem::remove_all(m_dir);
    }

    void open()
    {
        m_manager.reset();
        auto manager = Manager::open(m_kernel, m_netlink, m_nftables, m_options);
        ASSERT_TRUE(manager.ok()) << manager.error().describe();
        m_manager = manager.release_value();
    }

    std::optional<LinkAttributes> link(const std::string& netns, const std::string& name)
    {
        auto found = m_netlink.get_link(netns, name);
        if (!found.ok())
            return std::nullopt;
        return found.value();
    }

    std::string sandbox(const std::string& id)
    {
        auto path = m_manager->create_sandbox(id);
        EXPECT_TRUE(path.ok()) << path.error().describe();
        return path.ok() ? path.value() : "";
    }

    std::string m_dir;
    Options m_options;
    sim::FakeKernel m_kernel;
    sim::FakeNetlink m_netlink;
    sim::FakeNftables m_nftables;
    std::unique_ptr<Manager> m_manager;
};

TEST_F(ManagerOverFakes, OpenCreatesTheDefaultBridgeWithItsGatewayAndTurnsOnForwarding)
{
    auto bridge = link("", "gbt0");
    ASSERT_TRUE(bridge.has_value());
    EXPECT_EQ(bridge->kind, "bridge");
    EXPECT_TRUE(bridge->up);
    auto network = m_manager->get("bridge");
    ASSERT_TRUE(network.ok());
    EXPECT_EQ(network.value().subnet.rfind("10.231.", 0), 0U) << network.value().subnet;
    auto addresses = m_netlink.list_addresses("").value();
    ASSERT_EQ(addresses.size(), 1U);
    EXPECT_EQ(addresses[0].link_index, bridge->index);
    EXPECT_EQ(addresses[0].address, network.value().gateway);
    EXPECT_EQ(m_kernel.file("/proc/sys/net/ipv4/ip_forward"), "1");
    EXPECT_TRUE(m_nftables.has_table("glassbox_unit"));
}

TEST_F(ManagerOverFakes, ListsTheThreeBuiltinNetworks)
{
    std::vector<std::string> names;
    for (const auto& network : m_manager->list())
        names.push_back(network.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string> { "bridge", "host", "none" }));
}

TEST_F(ManagerOverFakes, CreateBridgeNetworkMakesALinuxBridgeAndAnIsolationEntry)
{
    auto created = m_manager->create_network({ .name = "web", .subnet = "10.231.50.0/24" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    const auto& network = created.value();
    EXPECT_EQ(network.gateway, "10.231.50.1");
    EXPECT_EQ(network.bridge.rfind("gbt-", 0), 0U);
    auto bridge = link("", network.bridge);
    ASSERT_TRUE(bridge.has_value());
    EXPECT_EQ(bridge->kind, "bridge");
    auto ruleset = m_nftables.ruleset("glassbox_unit");
    ASSERT_EQ(ruleset.networks.size(), 2U); // The default bridge and "web".
    EXPECT_TRUE(std::any_of(ruleset.networks.begin(), ruleset.networks.end(),
        [&](const NftNetwork& n) { return n.bridge == network.bridge && n.subnet == "10.231.50.0/24"; }));
}

TEST_F(ManagerOverFakes, RefusesADuplicateNameAndABadName)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "dup" }).ok());
    auto again = m_manager->create_network({ .name = "dup" });
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind(), ErrorKind::Conflict);
    auto bad = m_manager->create_network({ .name = "bad/name" });
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_FALSE(m_manager->create_network({ .name = "" }).ok());
    EXPECT_FALSE(m_manager->create_network({ .name = "tab\there" }).ok());
}

TEST_F(ManagerOverFakes, NamesWithSpacesAreValidAsOnDockerd)
{
    auto created = m_manager->create_network({ .name = "my lab net" });

    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_EQ(created.value().bridge.find(' '), std::string::npos);
    EXPECT_EQ(m_manager->get("my lab net").value().id, created.value().id);
}

TEST_F(ManagerOverFakes, SubnetsRoutedOnTheHostAreSkippedByTheDefaultBridgeAndNewNetworks)
{
    // Another daemon's bridge already routes the first two /24s of the pool.
    m_manager.reset();
    std::filesystem::remove_all(m_dir + "/state");
    ASSERT_TRUE(m_netlink.create_link("", { .name = "other0", .kind = "bridge" }).ok());
    ASSERT_TRUE(m_netlink.add_route("", "10.231.0.0/24", "", "other0").ok());
    ASSERT_TRUE(m_netlink.add_route("", "10.231.1.0/24", "", "other0").ok());
    open();

    auto created = m_manager->create_network({ .name = "next" });

    EXPECT_EQ(m_manager->get("bridge").value().subnet, "10.231.2.0/24");
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_EQ(created.value().subnet, "10.231.3.0/24");
}

TEST_F(ManagerOverFakes, AuxiliaryAddressesAreSkippedWhenConnecting)
{
    auto created = m_manager->create_network({ .name = "aux", .subnet = "10.231.60.0/24",
        .aux_addresses = { { "router", "10.231.60.2" } } });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_EQ(created.value().aux_addresses.at("router"), "10.231.60.2");

    auto endpoint = m_manager->connect("aux", "c1", "one", sandbox("c1"), {}, "");

    ASSERT_TRUE(endpoint.ok()) << endpoint.error().describe();
    EXPECT_EQ(endpoint.value().ip_address, "10.231.60.3");
}

TEST_F(ManagerOverFakes, AStaticMacIsGivenToTheContainerEnd)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "macs", .subnet = "10.231.61.0/24" }).ok());
    auto path = sandbox("c1");

    auto endpoint = m_manager->connect("macs", "c1", "one", path, {}, "10.231.61.50", "02:42:0a:e7:3d:99");

    ASSERT_TRUE(endpoint.ok()) << endpoint.error().describe();
    EXPECT_EQ(endpoint.value().ip_address, "10.231.61.50");
    EXPECT_EQ(endpoint.value().mac_address, "02:42:0a:e7:3d:99");
    auto inside = link(path, endpoint.value().sandbox_link);
    ASSERT_TRUE(inside.has_value());
    EXPECT_EQ(inside->mac, "02:42:0a:e7:3d:99");
}

TEST_F(ManagerOverFakes, RefusesASecondHostNetwork)
{
    auto host = m_manager->create_network({ .name = "myhost", .driver = "host" });
    ASSERT_FALSE(host.ok());
    EXPECT_EQ(host.error().kind(), ErrorKind::PermissionDenied);
}

TEST_F(ManagerOverFakes, SubnetsFromThePoolDoNotOverlap)
{
    auto a = m_manager->create_network({ .name = "a" });
    auto b = m_manager->create_network({ .name = "b" });
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(a.value().subnet, b.value().subnet);
    EXPECT_NE(a.value().subnet, m_manager->get("bridge").value().subnet);
}

TEST_F(ManagerOverFakes, RemoveNetworkDeletesItsBridgeAndFreesTheName)
{
    auto created = m_manager->create_network({ .name = "gone" });
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(m_manager->remove_network("gone").ok());
    EXPECT_FALSE(link("", created.value().bridge).has_value());
    EXPECT_EQ(m_manager->get("gone").error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(m_nftables.ruleset("glassbox_unit").networks.size(), 1U);
    EXPECT_TRUE(m_manager->create_network({ .name = "gone" }).ok());
}

TEST_F(ManagerOverFakes, BuiltinNetworksCannotBeRemoved)
{
    auto removed = m_manager->remove_network("bridge");
    ASSERT_FALSE(removed.ok());
    EXPECT_EQ(removed.error().kind(), ErrorKind::PermissionDenied);
}

TEST_F(ManagerOverFakes, SandboxIsANetnsFileBindMountedFromANewNamespace)
{
    auto path = sandbox("c1");
    EXPECT_EQ(path, m_options.run_dir + "/netns/c1");
    EXPECT_TRUE(fs::exists(path));
    auto mounted = m_kernel.mounted();
    EXPECT_NE(std::find(mounted.begin(), mounted.end(), path), mounted.end());
    auto calls = m_kernel.calls();
    EXPECT_NE(std::find(calls.begin(), calls.end(), "unshare net"), calls.end());
    ASSERT_TRUE(m_manager->remove_sandbox("c1").ok());
    EXPECT_FALSE(fs::exists(path));
    mounted = m_kernel.mounted();
    EXPECT_EQ(std::find(mounted.begin(), mounted.end(), path), mounted.end());
}

TEST_F(ManagerOverFakes, ConnectToTheDefaultBridgeMakesAVethPairWithAddressAndDefaultRoute)
{
    auto ns = sandbox("c1");
    auto endpoint = m_manager->connect("bridge", "c1", "one", ns, {}, "");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().describe();
    const auto& ep = endpoint.value();
    EXPECT_EQ(ep.sandbox_link, "eth0");
    auto bridge_network = m_manager->get("bridge").value();
    EXPECT_EQ(ep.gateway, bridge_network.gateway);
    // The host end is a port of the bridge; the sandbox end is eth0 with the address.
    auto host_end = link("", ep.host_link);
    ASSERT_TRUE(host_end.has_value());
    EXPECT_EQ(host_end->master_index, link("", "gbt0")->index);
    EXPECT_TRUE(host_end->up);
    auto eth0 = link(ns, "eth0");
    ASSERT_TRUE(eth0.has_value());
    EXPECT_EQ(eth0->mac, ep.mac_address);
    EXPECT_TRUE(eth0->up);
    EXPECT_TRUE(link(ns, "lo")->up);
    auto addresses = m_netlink.list_addresses(ns).value();
    ASSERT_EQ(addresses.size(), 1U);
    EXPECT_EQ(addresses[0].address, ep.ip_address);
    auto routes = m_netlink.list_routes(ns).value();
    ASSERT_EQ(routes.size(), 1U);
    EXPECT_EQ(routes[0].destination, "0.0.0.0/0");
    EXPECT_EQ(routes[0].gateway, bridge_network.gateway);
}

TEST_F(ManagerOverFakes, ConnectGivesTheNextFreeAddressAndHonoursARequestedOne)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "lan", .subnet = "10.231.60.0/24" }).ok());
    auto first = m_manager->connect("lan", "c1", "one", sandbox("c1"), {}, "");
    auto second = m_manager->connect("lan", "c2", "two", sandbox("c2"), {}, "10.231.60.77");
    auto third = m_manager->connect("lan", "c3", "three", sandbox("c3"), {}, "");
    ASSERT_TRUE(first.ok() && second.ok() && third.ok());
    EXPECT_EQ(first.value().ip_address, "10.231.60.2");
    EXPECT_EQ(second.value().ip_address, "10.231.60.77");
    EXPECT_EQ(third.value().ip_address, "10.231.60.3");
    auto taken = m_manager->connect("lan", "c4", "four", sandbox("c4"), {}, "10.231.60.77");
    ASSERT_FALSE(taken.ok());
}

TEST_F(ManagerOverFakes, ASecondNetworkBecomesEth1)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "back" }).ok());
    auto ns = sandbox("c1");
    ASSERT_TRUE(m_manager->connect("bridge", "c1", "one", ns, {}, "").ok());
    auto second = m_manager->connect("back", "c1", "one", ns, {}, "");
    ASSERT_TRUE(second.ok()) << second.error().describe();
    EXPECT_EQ(second.value().sandbox_link, "eth1");
    EXPECT_TRUE(link(ns, "eth1").has_value());
    // One default route: the first network's.
    EXPECT_EQ(m_netlink.list_routes(ns).value().size(), 1U);
    EXPECT_EQ(m_manager->endpoints_of("c1").size(), 2U);
}

TEST_F(ManagerOverFakes, ConnectingTwiceToOneNetworkIsAConflict)
{
    auto ns = sandbox("c1");
    ASSERT_TRUE(m_manager->connect("bridge", "c1", "one", ns, {}, "").ok());
    auto again = m_manager->connect("bridge", "c1", "one", ns, {}, "");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind(), ErrorKind::Conflict);
}

TEST_F(ManagerOverFakes, AliasesAreRefusedOnTheDefaultBridge)
{
    auto endpoint = m_manager->connect("bridge", "c1", "one", sandbox("c1"), { "db" }, "");
    ASSERT_FALSE(endpoint.ok());
    EXPECT_EQ(endpoint.error().kind(), ErrorKind::InvalidArgument);
}

TEST_F(ManagerOverFakes, InternalNetworkGetsNoDefaultRoute)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "private", .internal = true }).ok());
    auto ns = sandbox("c1");
    auto endpoint = m_manager->connect("private", "c1", "one", ns, {}, "");
    ASSERT_TRUE(endpoint.ok());
    EXPECT_EQ(endpoint.value().gateway, "");
    EXPECT_TRUE(m_netlink.list_routes(ns).value().empty());
}

TEST_F(ManagerOverFakes, DisconnectDeletesTheVethAndReleasesTheAddress)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "lan", .subnet = "10.231.61.0/24" }).ok());
    auto ns = sandbox("c1");
    auto endpoint = m_manager->connect("lan", "c1", "one", ns, {}, "");
    ASSERT_TRUE(endpoint.ok());
    ASSERT_TRUE(m_manager->disconnect("lan", "c1").ok());
    EXPECT_FALSE(link("", endpoint.value().host_link).has_value());
    EXPECT_FALSE(link(ns, "eth0").has_value()); // The peer goes with its veth.
    EXPECT_TRUE(m_manager->endpoints_of("c1").empty());
    // The released address can be given again.
    auto again = m_manager->connect("lan", "c2", "two", sandbox("c2"), {}, endpoint.value().ip_address);
    ASSERT_TRUE(again.ok()) << again.error().describe();
}

TEST_F(ManagerOverFakes, DisconnectOfAContainerNotConnectedIsNotFound)
{
    auto result = m_manager->disconnect("bridge", "nobody");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind(), ErrorKind::NotFound);
}

TEST_F(ManagerOverFakes, ANetworkWithEndpointsCannotBeRemoved)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "busy" }).ok());
    ASSERT_TRUE(m_manager->connect("busy", "c1", "one", sandbox("c1"), {}, "").ok());
    auto removed = m_manager->remove_network("busy");
    ASSERT_FALSE(removed.ok());
    EXPECT_EQ(removed.error().kind(), ErrorKind::Conflict);
}

TEST_F(ManagerOverFakes, HostAndNoneOnlyRecordTheEndpoint)
{
    auto ns = sandbox("c1");
    auto before = m_netlink.calls().size();
    auto endpoint = m_manager->connect("none", "c1", "one", ns, {}, "");
    ASSERT_TRUE(endpoint.ok());
    EXPECT_EQ(endpoint.value().ip_address, "");
    EXPECT_EQ(m_netlink.calls().size(), before);
}

TEST_F(ManagerOverFakes, MacvlanNetworkDefaultsToTheLabUplink)
{
    auto created = m_manager->create_network({ .name = "mv", .driver = "macvlan", .subnet = "10.231.70.0/24" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_EQ(created.value().parent, "gbt-uplink");
    auto uplink = link("", "gbt-uplink");
    ASSERT_TRUE(uplink.has_value());
    EXPECT_EQ(uplink->kind, "veth");
    // The lab side answers as the network's gateway.
    auto lab = m_options.run_dir + "/netns/glassbox-lab";
    bool gateway = false;
    auto lab_addresses = m_netlink.list_addresses(lab).value();
    for (const auto& address : lab_addresses)
        gateway = gateway || address.address == "10.231.70.1";
    EXPECT_TRUE(gateway);
}

// A normal daemon stop releases the lab (nothing of it stays mounted under run_dir); the next
// open makes it again with the lab-side gateway of each network on it.
TEST_F(ManagerOverFakes, ReleaseLabRemovesTheUplinkAndTheNextOpenMakesItAgain)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "mv", .driver = "macvlan", .subnet = "10.231.73.0/24" }).ok());
    auto lab = m_options.run_dir + "/netns/glassbox-lab";
    ASSERT_TRUE(link("", "gbt-uplink").has_value());
    auto released = m_manager->release_lab();
    ASSERT_TRUE(released.ok()) << released.error().describe();
    EXPECT_EQ(released.value(), (std::vector<std::string> { "link gbt-uplink", "netns " + lab }));
    EXPECT_FALSE(link("", "gbt-uplink").has_value());
    EXPECT_FALSE(fs::exists(lab));
    EXPECT_TRUE(m_manager->release_lab().value().empty()); // Nothing left to release.

    open();
    ASSERT_TRUE(link("", "gbt-uplink").has_value());
    auto has_gateway = [&] {
        auto addresses = m_netlink.list_addresses(lab);
        return addresses.ok() && std::any_of(addresses.value().begin(), addresses.value().end(),
                   [](const auto& address) { return address.address == "10.231.73.1"; });
    };
    EXPECT_TRUE(has_gateway());
    // Removing the network takes its gateway off the lab side.
    ASSERT_TRUE(m_manager->remove_network("mv").ok());
    EXPECT_FALSE(has_gateway());
}

TEST_F(ManagerOverFakes, MacvlanEndpointIsAChildOfTheParentMovedIntoTheSandbox)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "mv", .driver = "macvlan", .subnet = "10.231.71.0/24" }).ok());
    auto ns = sandbox("c1");
    auto endpoint = m_manager->connect("mv", "c1", "one", ns, {}, "");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().describe();
    EXPECT_EQ(endpoint.value().host_link, "");
    auto eth0 = link(ns, "eth0");
    ASSERT_TRUE(eth0.has_value());
    EXPECT_EQ(eth0->kind, "macvlan");
    EXPECT_EQ(eth0->mode, "bridge");
    EXPECT_EQ(eth0->mac, endpoint.value().mac_address);
    EXPECT_EQ(eth0->parent_index, link("", "gbt-uplink")->index);
    ASSERT_TRUE(m_manager->disconnect("mv", "c1").ok());
    EXPECT_FALSE(link(ns, "eth0").has_value());
}

TEST_F(ManagerOverFakes, IpvlanEndpointSharesTheParentMac)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "iv", .driver = "ipvlan", .subnet = "10.231.72.0/24" }).ok());
    auto ns = sandbox("c1");
    auto endpoint = m_manager->connect("iv", "c1", "one", ns, {}, "");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().describe();
    EXPECT_EQ(endpoint.value().mac_address, link("", "gbt-uplink")->mac);
    EXPECT_EQ(link(ns, "eth0")->kind, "ipvlan");
}

TEST_F(ManagerOverFakes, VlanParentIsCreatedWithTheNetworkAndRemovedWithIt)
{
    ASSERT_TRUE(m_netlink.create_link("", { .name = "gbt-trunk", .kind = "bridge" }).ok());
    auto created = m_manager->create_network({ .name = "v10", .driver = "macvlan",
        .options = { { "parent", "gbt-trunk.10" } }, .subnet = "10.231.73.0/24" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_TRUE(created.value().created_parent);
    auto vlan = link("", "gbt-trunk.10");
    ASSERT_TRUE(vlan.has_value());
    EXPECT_EQ(vlan->kind, "vlan");
    EXPECT_EQ(vlan->vlan_id, 10);
    ASSERT_TRUE(m_manager->remove_network("v10").ok());
    EXPECT_FALSE(link("", "gbt-trunk.10").has_value());
}

TEST_F(ManagerOverFakes, MacvlanIsRefusedWhenTheKernelLacksIt)
{
    m_options.features = sys::KernelFeatures { .kernel_release = "simulated" };
    open();
    auto created = m_manager->create_network({ .name = "mv", .driver = "macvlan" });
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind(), ErrorKind::Unsupported);
    EXPECT_NE(created.error().message().find("CONFIG_MACVLAN"), std::string::npos);
}

TEST_F(ManagerOverFakes, Ipv6OnIpvlanIsRefusedAsABadRequestThatSaysWhy)
{
    auto created = m_manager->create_network({ .name = "six-ipvlan", .driver = "ipvlan",
        .subnet = "10.231.74.0/24", .enable_ipv6 = true, .subnet6 = "fd42:74::/64" });
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind(), ErrorKind::InvalidArgument) << created.error().describe();
    EXPECT_NE(created.error().message().find("bridge and macvlan networks only"), std::string::npos) << created.error().message();
    // Nothing was kept: the IPv4 subnet is free for the next network.
    EXPECT_TRUE(m_manager->create_network({ .name = "after", .subnet = "10.231.74.0/24" }).ok());
}

TEST_F(ManagerOverFakes, Ipv6MacvlanEndpointsGetTheirAddressOnTheChildAndTheLabAnswersAsTheGateway)
{
    auto created = m_manager->create_network({ .name = "mv6", .driver = "macvlan", .subnet = "10.231.75.0/24",
        .enable_ipv6 = true, .subnet6 = "fd42:75::/64" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_EQ(created.value().gateway6, "fd42:75::1");
    auto lab = m_options.run_dir + "/netns/glassbox-lab";
    auto lab_has = [&](const std::string& wanted) {
        auto addresses = m_netlink.list_addresses(lab).value();
        return std::any_of(addresses.begin(), addresses.end(), [&](const auto& a) { return a.address == wanted; });
    };
    EXPECT_TRUE(lab_has("fd42:75::1"));
    auto ns = sandbox("c1");
    auto joined = m_manager->connect("mv6", "c1", "one", ns, {}, "");
    ASSERT_TRUE(joined.ok()) << joined.error().describe();
    EXPECT_EQ(joined.value().ipv6_address, "fd42:75::2");
    auto eth0 = link(ns, "eth0");
    ASSERT_TRUE(eth0.has_value());
    EXPECT_EQ(eth0->kind, "macvlan");
    auto addresses = m_netlink.list_addresses(ns).value();
    EXPECT_TRUE(std::any_of(addresses.begin(), addresses.end(),
        [](const auto& a) { return a.address == "fd42:75::2" && a.prefix_length == 64; }));
    auto calls = m_netlink.calls();
    EXPECT_NE(std::find(calls.begin(), calls.end(), "add_route ::/0 via fd42:75::1 dev eth0 in " + ns), calls.end());
    ASSERT_TRUE(m_manager->disconnect("mv6", "c1").ok());
    ASSERT_TRUE(m_manager->remove_network("mv6").ok());
    EXPECT_FALSE(lab_has("fd42:75::1"));
}

TEST_F(ManagerOverFakes, Ipv6AuxiliaryAddressesAreNeverHandedOutAndSurviveAReopen)
{
    auto created = m_manager->create_network({ .name = "aux6", .subnet = "10.231.76.0/24", .enable_ipv6 = true,
        .subnet6 = "fd42:76::/64", .aux_addresses6 = { { "router", "fd42:76::2" } } });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_EQ(created.value().aux_addresses6, (std::map<std::string, std::string> { { "router", "fd42:76::2" } }));
    open();
    EXPECT_EQ(m_manager->get("aux6").value().aux_addresses6.at("router"), "fd42:76::2");
    auto joined = m_manager->connect("aux6", "c1", "one", sandbox("c1"), {}, "");
    ASSERT_TRUE(joined.ok()) << joined.error().describe();
    EXPECT_EQ(joined.value().ipv6_address, "fd42:76::3");
    auto taken = m_manager->connect("aux6", "c2", "two", sandbox("c2"), {}, "", "", "fd42:76::2");
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().kind(), ErrorKind::Conflict);
}

TEST_F(ManagerOverFakes, TheIpv4GatewayIsMarkedShownOnlyWhenChosenOrGivenAsDockerdShowsIt)
{
    auto chosen = m_manager->create_network({ .name = "chosen" });
    auto subnet_only = m_manager->create_network({ .name = "subnet-only", .subnet = "10.231.75.0/24" });
    auto given = m_manager->create_network({ .name = "given", .subnet = "10.231.76.0/24", .gateway = "10.231.76.9" });
    ASSERT_TRUE(chosen.ok() && subnet_only.ok() && given.ok());
    EXPECT_TRUE(chosen.value().gateway_given);
    EXPECT_FALSE(subnet_only.value().gateway_given);
    EXPECT_EQ(subnet_only.value().gateway, "10.231.75.1"); // Still the bridge's address.
    EXPECT_TRUE(given.value().gateway_given);
    EXPECT_EQ(given.value().gateway, "10.231.76.9");
}

TEST_F(ManagerOverFakes, PublishedPortsBecomeDnatRulesAndGoAwayOnUnpublish)
{
    auto published = m_manager->publish_ports("c1", "10.231.0.9", { { .container_port = 53, .protocol = "udp", .host_ip = "127.0.0.1" } });
    ASSERT_TRUE(published.ok()) << published.error().describe();
    ASSERT_EQ(published.value().size(), 1U);
    EXPECT_NE(published.value()[0].host_port, 0);
    auto ruleset = m_nftables.ruleset("glassbox_unit");
    ASSERT_EQ(ruleset.ports.size(), 1U);
    EXPECT_EQ(ruleset.ports[0].container_ip, "10.231.0.9");
    EXPECT_EQ(ruleset.ports[0].container_port, 53);
    EXPECT_EQ(ruleset.ports[0].host_port, published.value()[0].host_port);
    ASSERT_TRUE(m_manager->unpublish_ports("c1").ok());
    EXPECT_TRUE(m_nftables.ruleset("glassbox_unit").ports.empty());
}

TEST_F(ManagerOverFakes, NetworksAndEndpointsSurviveAReopen)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "kept", .subnet = "10.231.80.0/24" }).ok());
    auto ns = sandbox("c1");
    ASSERT_TRUE(m_manager->connect("kept", "c1", "one", ns, {}, "").ok());
    auto bridge_id = m_manager->get("bridge").value().id;
    open();
    auto kept = m_manager->get("kept");
    ASSERT_TRUE(kept.ok());
    EXPECT_EQ(kept.value().containers.size(), 1U);
    EXPECT_EQ(m_manager->get("bridge").value().id, bridge_id);
    // The address stays allocated: the next container gets another.
    auto next = m_manager->connect("kept", "c2", "two", sandbox("c2"), {}, "");
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next.value().ip_address, "10.231.80.3");
}

TEST_F(ManagerOverFakes, ResetRemovesEveryLinkNetnsFileAndTheTable)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "temp" }).ok());
    auto ns = sandbox("c1");
    ASSERT_TRUE(m_manager->connect("temp", "c1", "one", ns, {}, "").ok());
    auto removed = m_manager->reset();
    ASSERT_TRUE(removed.ok()) << removed.error().describe();
    auto links = m_netlink.list_links("").value();
    for (const auto& link : links)
        EXPECT_TRUE(link.name.rfind("gbt", 0) != 0) << link.name << " left behind";
    EXPECT_FALSE(fs::exists(ns));
    EXPECT_FALSE(m_nftables.has_table("glassbox_unit"));
    EXPECT_TRUE(m_kernel.mounted().empty());
}

TEST_F(ManagerOverFakes, ResetWithTheDefaultPrefixLeavesLinksItDidNotMake)
{
    // Another daemon with the default link prefix "gb-" (every daemon started without
    // --link-prefix shares it): its bridge is not this daemon's to delete.
    ASSERT_TRUE(m_netlink.create_link("", { .name = "gb-other", .kind = "bridge" }).ok());
    m_options.state_dir = m_dir + "/state2";
    m_options.run_dir = m_dir + "/run2";
    m_options.bridge_prefix = Options {}.bridge_prefix;
    open();
    ASSERT_TRUE(m_manager->create_network({ .name = "mine" }).ok());
    auto mine = m_manager->get("mine").value().bridge;
    ASSERT_TRUE(link("", mine));
    auto removed = m_manager->reset();
    ASSERT_TRUE(removed.ok()) << removed.error().describe();
    EXPECT_TRUE(link("", "gb-other"));
    EXPECT_FALSE(link("", mine));
    EXPECT_FALSE(link("", "gbt0"));
}

TEST_F(ManagerOverFakes, ResetWithItsOwnPrefixAlsoRemovesLinksItNeverRecorded)
{
    // A veth a crash left between its creation and the endpoint record: only the prefix says
    // whose it is, and --link-prefix made the prefix this daemon's.
    ASSERT_TRUE(m_netlink.create_link("", { .name = "gbt-leaked", .kind = "bridge" }).ok());
    auto removed = m_manager->reset();
    ASSERT_TRUE(removed.ok()) << removed.error().describe();
    EXPECT_FALSE(link("", "gbt-leaked"));
}

TEST_F(ManagerOverFakes, ADefaultBridgeTakenByAnotherDaemonGivesTheNextNameAndItsOwnTable)
{
    // A second root on a host where another daemon already has glassbox0, with the built-in names.
    ASSERT_TRUE(m_netlink.create_link("", { .name = "glassbox0", .kind = "bridge" }).ok());
    m_options.state_dir = m_dir + "/state2";
    m_options.run_dir = m_dir + "/run2";
    m_options.bridge_name = Options {}.bridge_name;
    m_options.nft_table_name = Options {}.nft_table_name;
    open();
    EXPECT_EQ(m_manager->get("bridge").value().bridge, "glassbox1");
    EXPECT_TRUE(link("", "glassbox1"));
    EXPECT_TRUE(m_nftables.has_table("glassbox1"));
    EXPECT_FALSE(m_nftables.has_table("glassbox"));
    // The choice is recorded: the next start keeps it although glassbox1 exists now.
    open();
    EXPECT_EQ(m_manager->get("bridge").value().bridge, "glassbox1");
    auto removed = m_manager->reset();
    ASSERT_TRUE(removed.ok()) << removed.error().describe();
    EXPECT_TRUE(link("", "glassbox0"));
    EXPECT_FALSE(link("", "glassbox1"));
    EXPECT_FALSE(m_nftables.has_table("glassbox1"));
}

TEST_F(ManagerOverFakes, ContainerFilesNameTheContainerAndItsAddress)
{
    ASSERT_TRUE(m_manager->connect("bridge", "c1", "one", sandbox("c1"), {}, "").ok());
    auto files = m_manager->write_container_files("c1", { .hostname = "c1host" }, m_dir + "/files");
    ASSERT_TRUE(files.ok()) << files.error().describe();
    auto hosts = fs::read_file(files.value().hosts_path);
    ASSERT_TRUE(hosts.ok());
    auto ip = m_manager->endpoints_of("c1")[0].ip_address;
    EXPECT_NE(hosts.value().find(ip + "\tc1host"), std::string::npos) << hosts.value();
    EXPECT_EQ(fs::read_file(files.value().hostname_path).value(), "c1host\n");
}

// [SECTION] IPv6

TEST_F(ManagerOverFakes, Ipv6NetworkPutsItsGatewayOnTheBridgeAndIsolatesItInIp6)
{
    auto created = m_manager->create_network({ .name = "six", .subnet = "10.231.70.0/24", .enable_ipv6 = true, .subnet6 = "fd42:70::/64" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    const auto& network = created.value();
    EXPECT_TRUE(network.enable_ipv6);
    EXPECT_EQ(network.gateway6, "fd42:70::1");
    EXPECT_FALSE(network.gateway6_given);
    auto bridge = link("", network.bridge);
    ASSERT_TRUE(bridge.has_value());
    bool has_gateway6 = false;
    auto host_addresses = m_netlink.list_addresses("").value();
    for (const auto& address : host_addresses)
        has_gateway6 = has_gateway6 || (address.link_index == bridge->index && address.address == "fd42:70::1" && address.prefix_length == 64);
    EXPECT_TRUE(has_gateway6);
    auto ruleset = m_nftables.ruleset("glassbox_unit");
    EXPECT_TRUE(std::any_of(ruleset.networks.begin(), ruleset.networks.end(),
        [&](const NftNetwork& n) { return n.bridge == network.bridge && n.subnet6 == "fd42:70::/64"; }));
}

TEST_F(ManagerOverFakes, Ipv6EndpointsGetTheNextAddressTheDefaultRouteAndGiveItBack)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "six", .enable_ipv6 = true, .subnet6 = "fd42:71::/64", .gateway6 = "fd42:71::fe" }).ok());
    auto ns = sandbox("c1");
    auto first = m_manager->connect("six", "c1", "one", ns, {}, "");
    ASSERT_TRUE(first.ok()) << first.error().describe();
    EXPECT_EQ(first.value().ipv6_address, "fd42:71::1");
    EXPECT_EQ(first.value().ipv6_prefix_length, 64);
    EXPECT_EQ(first.value().ipv6_gateway, "fd42:71::fe");
    bool has_address6 = false;
    auto addresses = m_netlink.list_addresses(ns).value();
    for (const auto& address : addresses)
        has_address6 = has_address6 || (address.address == "fd42:71::1" && address.family == 10);
    EXPECT_TRUE(has_address6);
    auto calls = m_netlink.calls();
    EXPECT_NE(std::find(calls.begin(), calls.end(), "add_route ::/0 via fd42:71::fe dev eth0 in " + ns), calls.end());
    auto fixed = m_manager->connect("six", "c2", "two", sandbox("c2"), {}, "", "", "fd42:71::42");
    ASSERT_TRUE(fixed.ok()) << fixed.error().describe();
    EXPECT_EQ(fixed.value().ipv6_address, "fd42:71::42");
    EXPECT_EQ(fixed.value().requested_ipv6, "fd42:71::42");
    auto taken = m_manager->connect("six", "c3", "three", sandbox("c3"), {}, "", "", "fd42:71::42");
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().kind(), ErrorKind::Conflict);
    EXPECT_TRUE(m_manager->endpoints_of("c3").empty());
    // Disconnecting gives the address back.
    ASSERT_TRUE(m_manager->disconnect("six", "c2").ok());
    auto again = m_manager->connect("six", "c4", "four", sandbox("c4"), {}, "", "", "fd42:71::42");
    ASSERT_TRUE(again.ok()) << again.error().describe();
}

TEST_F(ManagerOverFakes, Ipv6ErrorsAreDockerds)
{
    // EnableIPv6 without an IPv6 subnet: dockerd has no default IPv6 pool.
    auto no_subnet = m_manager->create_network({ .name = "nosub", .enable_ipv6 = true });
    ASSERT_FALSE(no_subnet.ok());
    EXPECT_EQ(no_subnet.error().kind(), ErrorKind::NotFound);
    EXPECT_NE(no_subnet.error().message().find("non-overlapping IPv6 address pool"), std::string::npos);
    EXPECT_FALSE(m_manager->get("nosub").ok());
    // Overlapping IPv6 subnets.
    ASSERT_TRUE(m_manager->create_network({ .name = "a", .enable_ipv6 = true, .subnet6 = "fd42:72::/64" }).ok());
    auto overlap = m_manager->create_network({ .name = "b", .enable_ipv6 = true, .subnet6 = "fd42:72::/48" });
    ASSERT_FALSE(overlap.ok());
    EXPECT_EQ(overlap.error().kind(), ErrorKind::PermissionDenied);
    // A static IPv6 address on a network without an IPv6 subnet.
    ASSERT_TRUE(m_manager->create_network({ .name = "v4", .subnet = "10.231.73.0/24" }).ok());
    auto static6 = m_manager->connect("v4", "c1", "one", sandbox("c1"), {}, "", "", "fd42:73::5");
    ASSERT_FALSE(static6.ok());
    EXPECT_EQ(static6.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(static6.error().message(), "user specified IP address is supported only when connecting to networks with user configured subnets");
}

TEST_F(ManagerOverFakes, AnIpv6SubnetWithoutEnableIpv6IsOnlyRecorded)
{
    auto created = m_manager->create_network({ .name = "quiet", .subnet6 = "fd42:74::/64" });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_FALSE(created.value().enable_ipv6);
    EXPECT_EQ(created.value().subnet6, "fd42:74::/64");
    auto endpoint = m_manager->connect("quiet", "c1", "one", sandbox("c1"), {}, "");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().describe();
    EXPECT_EQ(endpoint.value().ipv6_address, "");
}

TEST_F(ManagerOverFakes, Ipv6RecordsSurviveAReopen)
{
    ASSERT_TRUE(m_manager->create_network({ .name = "six", .enable_ipv6 = true, .subnet6 = "fd42:75::/64" }).ok());
    ASSERT_TRUE(m_manager->connect("six", "c1", "one", sandbox("c1"), {}, "").ok());
    open();
    auto network = m_manager->get("six").value();
    EXPECT_TRUE(network.enable_ipv6);
    EXPECT_EQ(network.gateway6, "fd42:75::1");
    EXPECT_EQ(network.containers.at("c1").ipv6_address, "fd42:75::2");
    auto next = m_manager->connect("six", "c2", "two", sandbox("c2"), {}, "");
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next.value().ipv6_address, "fd42:75::3");
}

TEST_F(ManagerOverFakes, AnIpv6SubnetTheHostAlreadyRoutesIsRefused)
{
    ASSERT_TRUE(m_netlink.create_link("", { .name = "uplink0", .kind = "dummy" }).ok());
    ASSERT_TRUE(m_netlink.add_route("", "fd42:76::/64", "", "uplink0").ok());
    auto refused = m_manager->create_network({ .name = "clash", .enable_ipv6 = true, .subnet6 = "fd42:76::/64" });
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), ErrorKind::PermissionDenied);
    EXPECT_NE(refused.error().message().find("uplink0"), std::string::npos) << refused.error().message();
    EXPECT_FALSE(m_manager->get("clash").ok());
    // Beside it is fine.
    ASSERT_TRUE(m_manager->create_network({ .name = "beside", .enable_ipv6 = true, .subnet6 = "fd42:77::/64" }).ok());
}

} // namespace
