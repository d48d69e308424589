#include "engine/network/ipam.h"

#include <stdlib.h>

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

} // namespace
