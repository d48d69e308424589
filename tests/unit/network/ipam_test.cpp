#include "engine/network/ipam.h"

#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/base/fs.h"

using namespace engine;
using namespace engine::network;

namespace {

Subnet subnet(const char* text)
{
    return Subnet::parse(text).value();
}

TEST(IpamTest, DefaultPoolsFollowDocker)
{
    auto pools = default_pools("").value();

    EXPECT_EQ(pools.front().str(), "172.17.0.0/16");
    EXPECT_EQ(pools[14].str(), "172.31.0.0/16");
    EXPECT_EQ(pools[15].str(), "192.168.0.0/20");
    EXPECT_EQ(pools[16].str(), "192.168.16.0/20");
}

TEST(IpamTest, ChooseSubnetSkipsRoutedAndUsedSubnets)
{
    Ipam ipam("", default_pools("10.231.0.0/16").value());
    ASSERT_TRUE(ipam.add_pool("a", subnet("10.231.0.0/24"), "", "").ok());

    auto chosen = ipam.choose_subnet({ subnet("10.231.1.0/24"), subnet("10.231.2.128/25") });

    ASSERT_TRUE(chosen.ok());
    EXPECT_EQ(chosen.value().str(), "10.231.3.0/24");
}

TEST(IpamTest, AllocateSkipsGatewayAndReleasedAddressesAreNotReusedAtOnce)
{
    Ipam ipam("", {});
    auto pool = ipam.add_pool("n", subnet("10.9.0.0/29"), "", "").value();
    EXPECT_EQ(pool.gateway.str(), "10.9.0.1");

    auto first = ipam.allocate("n", "").value();
    auto second = ipam.allocate("n", "").value();
    ASSERT_TRUE(ipam.release("n", first).ok());
    auto third = ipam.allocate("n", "").value();

    EXPECT_EQ(first.str(), "10.9.0.2");
    EXPECT_EQ(second.str(), "10.9.0.3");
    EXPECT_EQ(third.str(), "10.9.0.4");
}

TEST(IpamTest, ExhaustedRangeIsAConflictNamingTheRange)
{
    Ipam ipam("", {});
    ASSERT_TRUE(ipam.add_pool("n", subnet("10.9.0.0/30"), "", "").ok());
    ASSERT_TRUE(ipam.allocate("n", "").ok());

    auto more = ipam.allocate("n", "");

    ASSERT_FALSE(more.ok());
    EXPECT_EQ(more.error().kind(), ErrorKind::Conflict);
    EXPECT_NE(more.error().message().find("10.9.0.0/30"), std::string::npos);
}

TEST(IpamTest, RequestedAddressMustBeFreeAndInsideTheSubnet)
{
    Ipam ipam("", {});
    ASSERT_TRUE(ipam.add_pool("n", subnet("10.9.0.0/24"), "10.9.0.254", "10.9.0.128/25").ok());

    EXPECT_TRUE(ipam.allocate("n", "10.9.0.7").ok());
    EXPECT_EQ(ipam.allocate("n", "10.9.0.7").error().kind(), ErrorKind::Conflict);
    EXPECT_EQ(ipam.allocate("n", "10.9.1.7").error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(ipam.allocate("n", "10.9.0.254").error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(ipam.allocate("n", "").value().str(), "10.9.0.128"); // The range's first address, as dockerd gives.
}

TEST(IpamTest, OverlappingSubnetsAndBadGatewaysAreRefused)
{
    Ipam ipam("", {});
    ASSERT_TRUE(ipam.add_pool("a", subnet("10.9.0.0/16"), "", "").ok());

    EXPECT_EQ(ipam.add_pool("b", subnet("10.9.4.0/24"), "", "").error().kind(), ErrorKind::PermissionDenied);
    EXPECT_EQ(ipam.add_pool("c", subnet("10.8.0.0/24"), "10.7.0.1", "").error().kind(), ErrorKind::System);
    EXPECT_EQ(ipam.add_pool("d", subnet("10.8.0.0/24"), "", "10.6.0.0/25").error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(ipam.add_pool("e", subnet("10.8.0.0/24"), "10.8.0.0", "").error().kind(), ErrorKind::InvalidArgument);
}

TEST(IpamTest, OverlapIsRefusedInDockerdsWordsWhicheverSubnetIsLarger)
{
    Ipam ipam("", {});
    ASSERT_TRUE(ipam.add_pool("a", subnet("10.77.0.0/24"), "", "").ok());

    auto wider = ipam.add_pool("b", subnet("10.77.0.0/16"), "", "");
    auto inside = ipam.add_pool("c", subnet("10.77.0.128/25"), "", "");
    auto beside = ipam.add_pool("d", subnet("10.77.1.0/24"), "", "");

    ASSERT_FALSE(wider.ok());
    EXPECT_EQ(wider.error().message(), "Pool overlaps with other one on this address space");
    ASSERT_FALSE(inside.ok());
    EXPECT_EQ(inside.error().kind(), ErrorKind::PermissionDenied);
    EXPECT_TRUE(beside.ok());
}

TEST(IpamTest, GatewayOutsideTheSubnetIsRefusedInDockerdsWords)
{
    Ipam ipam("", {});

    auto refused = ipam.add_pool("d", subnet("10.79.0.0/24"), "10.80.0.1", "");

    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message(), "failed to allocate gateway (10.80.0.1): Requested address is out of range");
}

TEST(IpamTest, ExplicitGatewayAndRangeShapeWhatIsHandedOut)
{
    Ipam ipam("", {});
    auto pool = ipam.add_pool("n", subnet("10.77.0.0/24"), "10.77.0.254", "10.77.0.252/30");
    ASSERT_TRUE(pool.ok()) << pool.error().describe();
    EXPECT_EQ(pool.value().gateway.str(), "10.77.0.254");

    auto first = ipam.allocate("n", "");
    auto second = ipam.allocate("n", "");
    auto third = ipam.allocate("n", ""); // .254 is the gateway and .255 the broadcast address.

    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first.value().str(), "10.77.0.252");
    EXPECT_EQ(second.value().str(), "10.77.0.253");
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.error().kind(), ErrorKind::Conflict);
    EXPECT_TRUE(ipam.allocate("n", "10.77.0.9").ok()); // A static address may lie outside the range.
}

TEST(IpamTest, AuxiliaryAddressesAreNeverHandedOut)
{
    Ipam ipam("", {});
    auto pool = ipam.add_pool("n", subnet("10.77.0.0/29"), "", "", { { "router", "10.77.0.2" }, { "printer", "10.77.0.4" } });
    ASSERT_TRUE(pool.ok()) << pool.error().describe();

    std::vector<std::string> handed;
    for (auto next = ipam.allocate("n", ""); next.ok(); next = ipam.allocate("n", ""))
        handed.push_back(next.value().str());
    auto taken = ipam.allocate("n", "10.77.0.2");

    EXPECT_EQ(handed, (std::vector<std::string> { "10.77.0.3", "10.77.0.5", "10.77.0.6" }));
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().kind(), ErrorKind::Conflict);
}

TEST(IpamTest, AuxiliaryAddressOutsideTheSubnetIsRefusedInDockerdsWords)
{
    Ipam ipam("", {});

    auto refused = ipam.add_pool("f", subnet("10.82.0.0/24"), "", "", { { "x", "10.83.0.1" } });
    auto malformed = ipam.add_pool("g", subnet("10.82.0.0/24"), "", "", { { "x", "10.82.0.300" } });

    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), ErrorKind::PermissionDenied);
    EXPECT_EQ(refused.error().message(), "auxiliary address: (x:10.83.0.1) must belong to the master pool: 10.82.0.0/24");
    ASSERT_FALSE(malformed.ok());
    EXPECT_EQ(malformed.error().kind(), ErrorKind::InvalidArgument);
}

TEST(IpamTest, AuxiliaryAddressesSurviveARestart)
{
    char pattern[] = "/tmp/gbipam-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string path = std::string(pattern) + "/ipam.json";
    {
        Ipam ipam(path, {});
        ASSERT_TRUE(ipam.add_pool("n", subnet("10.9.0.0/24"), "", "", { { "router", "10.9.0.2" } }).ok());
    }
    Ipam restarted(path, {});
    ASSERT_TRUE(restarted.load().ok());

    auto next = restarted.allocate("n", "");

    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next.value().str(), "10.9.0.3");
    (void)fs::remove_tree(pattern);
}

TEST(IpamTest, PersistedStateHandsOutNoAddressTwice)
{
    char pattern[] = "/tmp/gbipam-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string path = std::string(pattern) + "/ipam.json";
    {
        Ipam ipam(path, {});
        ASSERT_TRUE(ipam.add_pool("n", subnet("10.9.0.0/24"), "", "").ok());
        ASSERT_TRUE(ipam.allocate("n", "").ok());
        ASSERT_TRUE(ipam.allocate("n", "").ok());
    }
    Ipam restarted(path, {});
    ASSERT_TRUE(restarted.load().ok());

    auto next = restarted.allocate("n", "");

    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next.value().str(), "10.9.0.4");
    EXPECT_EQ(restarted.pool("n")->allocated.size(), 3U);
    (void)fs::remove_tree(pattern);
}

TEST(Ipv4Test, ParseRejectsMalformedInputAndHostBits)
{
    EXPECT_FALSE(Ipv4::parse("1.2.3").ok());
    EXPECT_FALSE(Ipv4::parse("1.2.3.256").ok());
    EXPECT_FALSE(Ipv4::parse("a.b.c.d").ok());
    EXPECT_FALSE(Subnet::parse("10.0.0.1/24").ok());
    EXPECT_FALSE(Subnet::parse("10.0.0.0/33").ok());
    EXPECT_EQ(Subnet::parse("10.0.0.0/8").value().last().str(), "10.255.255.255");
    EXPECT_EQ(mac_for_address(Ipv4::parse("172.17.0.2").value()), "02:42:ac:11:00:02");
}

// [SECTION] IPv6

TEST(Ipv6Test, ParsesAndPrintsTheShortForm)
{
    EXPECT_EQ(Ipv6::parse("FD42:0:0:0:0:0:0:2").value().str(), "fd42::2");
    EXPECT_EQ(Ipv6::parse("fd42::1:0:0:1").value().str(), "fd42::1:0:0:1");
    EXPECT_EQ(Ipv6::parse("fd42::").value().plus(0x1ff).str(), "fd42::1ff");
    EXPECT_EQ(Ipv6::parse("fd42::ffff:ffff:ffff:ffff").value().plus(1).str(), "fd42:0:0:1::");
    auto bad = Ipv6::parse("10.0.0.1");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message(), "invalid IPv6 address: 10.0.0.1");
    EXPECT_FALSE(Ipv6::parse("fd42::1::2").ok());
    EXPECT_FALSE(Ipv6::parse("").ok());
}

TEST(Ipv6Test, SubnetsClearHostBitsAndKnowContainmentAndOverlap)
{
    auto subnet = Subnet6::parse("fd42:1::1/64").value();
    EXPECT_EQ(subnet.str(), "fd42:1::/64");
    EXPECT_TRUE(subnet.contains(Ipv6::parse("fd42:1::ffff:1").value()));
    EXPECT_FALSE(subnet.contains(Ipv6::parse("fd42:2::1").value()));
    EXPECT_TRUE(subnet.overlaps(Subnet6::parse("fd42:1:0:0:8000::/65").value()));
    EXPECT_TRUE(Subnet6::parse("fd42::/16").value().overlaps(subnet));
    EXPECT_FALSE(subnet.overlaps(Subnet6::parse("fd42:2::/64").value()));
    EXPECT_EQ(Subnet6::parse("fd42::/120").value().size(), 256U);
    EXPECT_EQ(subnet.offset_of(Ipv6::parse("fd42:1::1:2").value()), 0x10002U);
    EXPECT_FALSE(Subnet6::parse("fd42::/129").ok());
    EXPECT_FALSE(Subnet6::parse("fd42::").ok());
    EXPECT_FALSE(Subnet6::parse("10.0.0.0/8").ok());
}

TEST(IpamTest, Ipv6PoolGivesTheFirstAddressToTheGatewayAndThenHandsOutInOrder)
{
    Ipam ipam("", {});
    auto pool = ipam.add_pool6("n", Subnet6::parse("fd42:7::/64").value(), "", "");
    ASSERT_TRUE(pool.ok()) << pool.error().describe();
    EXPECT_EQ(pool.value().gateway.str(), "fd42:7::1");

    auto first = ipam.allocate6("n", "").value();
    auto fixed = ipam.allocate6("n", "fd42:7::99").value();
    auto second = ipam.allocate6("n", "").value();
    ASSERT_TRUE(ipam.release6("n", first).ok());
    auto third = ipam.allocate6("n", "").value();

    EXPECT_EQ(first.str(), "fd42:7::2");
    EXPECT_EQ(fixed.str(), "fd42:7::99");
    EXPECT_EQ(second.str(), "fd42:7::3");
    EXPECT_EQ(third.str(), "fd42:7::4"); // A released address is not reused at once.
    EXPECT_EQ(ipam.allocate6("n", "fd42:7::99").error().kind(), ErrorKind::Conflict);
    EXPECT_EQ(ipam.allocate6("n", "fd42:7::1").error().kind(), ErrorKind::InvalidArgument); // The gateway.
    EXPECT_EQ(ipam.allocate6("n", "fd42:8::5").error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(ipam.allocate6("n", "10.0.0.5").error().kind(), ErrorKind::InvalidArgument);
}

TEST(IpamTest, Ipv6RangeGatewayAndTheLastAddressAreUsable)
{
    Ipam ipam("", {});
    auto pool = ipam.add_pool6("n", Subnet6::parse("fd42:9::/126").value(), "fd42:9::3", "").value();
    EXPECT_EQ(pool.gateway.str(), "fd42:9::3");
    EXPECT_EQ(ipam.allocate6("n", "").value().str(), "fd42:9::1");
    EXPECT_EQ(ipam.allocate6("n", "").value().str(), "fd42:9::2");
    auto exhausted = ipam.allocate6("n", "");
    ASSERT_FALSE(exhausted.ok());
    EXPECT_EQ(exhausted.error().kind(), ErrorKind::Conflict);

    ASSERT_TRUE(ipam.add_pool6("r", Subnet6::parse("fd42:a::/64").value(), "", "fd42:a::100/120").ok());
    EXPECT_EQ(ipam.allocate6("r", "").value().str(), "fd42:a::100");
}

TEST(IpamTest, Ipv6AuxiliaryAddressesAreSkippedAndMustBeInsideTheSubnet)
{
    Ipam ipam("", {});
    auto pool = ipam.add_pool6("n", Subnet6::parse("fd42:7::/64").value(), "", "", { { "a", "fd42:7::2" }, { "b", "fd42:7::3" } });
    ASSERT_TRUE(pool.ok()) << pool.error().describe();
    EXPECT_EQ(ipam.allocate6("n", "").value().str(), "fd42:7::4");
    EXPECT_EQ(ipam.allocate6("n", "fd42:7::3").error().kind(), ErrorKind::Conflict);
    auto outside = ipam.add_pool6("o", Subnet6::parse("fd42:8::/64").value(), "", "", { { "x", "fd42:9::1" } });
    ASSERT_FALSE(outside.ok());
    EXPECT_EQ(outside.error().kind(), ErrorKind::PermissionDenied);
    EXPECT_EQ(outside.error().message(), "auxiliary address: (x:fd42:9::1) must belong to the master pool: fd42:8::/64");
    auto not_v6 = ipam.add_pool6("p", Subnet6::parse("fd42:a::/64").value(), "", "", { { "y", "10.0.0.1" } });
    ASSERT_FALSE(not_v6.ok());
    EXPECT_NE(not_v6.error().describe().find("auxiliary address y"), std::string::npos) << not_v6.error().describe();
}

TEST(IpamTest, Ipv6OverlapIsDockerdsForbiddenAndAGatewayOutsideIsItsServerError)
{
    Ipam ipam("", {});
    ASSERT_TRUE(ipam.add_pool6("a", Subnet6::parse("fd42:b::/64").value(), "", "").ok());
    auto overlap = ipam.add_pool6("b", Subnet6::parse("fd42:b:0:0:8000::/65").value(), "", "");
    ASSERT_FALSE(overlap.ok());
    EXPECT_EQ(overlap.error().kind(), ErrorKind::PermissionDenied);
    EXPECT_EQ(overlap.error().message(), "Pool overlaps with other one on this address space");
    auto outside = ipam.add_pool6("c", Subnet6::parse("fd42:c::/64").value(), "fd42:d::1", "");
    ASSERT_FALSE(outside.ok());
    EXPECT_EQ(outside.error().kind(), ErrorKind::System);
    EXPECT_FALSE(ipam.add_pool6("d", Subnet6::parse("fd42:e::/64").value(), "", "fd42:f::/120").ok());
    // An IPv4 pool and an IPv6 pool of one network live side by side; remove_pool drops both.
    ASSERT_TRUE(ipam.add_pool("a", subnet("10.9.0.0/24"), "", "").ok());
    ASSERT_TRUE(ipam.remove_pool("a").ok());
    EXPECT_EQ(ipam.pool6("a"), nullptr);
    EXPECT_TRUE(ipam.add_pool6("b", Subnet6::parse("fd42:b::/64").value(), "", "").ok());
}

TEST(IpamTest, Ipv6AllocationsSurviveAReload)
{
    char pattern[] = "/tmp/glassbox-ipam6-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string path = std::string(pattern) + "/ipam.json";
    {
        Ipam ipam(path, {});
        ASSERT_TRUE(ipam.add_pool6("n", Subnet6::parse("fd42:c::/64").value(), "fd42:c::fe", "").ok());
        ASSERT_TRUE(ipam.allocate6("n", "").ok());
    }
    Ipam reloaded(path, {});
    ASSERT_TRUE(reloaded.load().ok());
    ASSERT_NE(reloaded.pool6("n"), nullptr);
    EXPECT_EQ(reloaded.pool6("n")->gateway.str(), "fd42:c::fe");
    EXPECT_EQ(reloaded.allocate6("n", "").value().str(), "fd42:c::2"); // ::1 was handed out before.
    ::unlink(path.c_str());
    ::rmdir(pattern);
}

} // namespace
