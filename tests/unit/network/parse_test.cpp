#include <gtest/gtest.h>

#include "engine/network/container_files.h"
#include "engine/network/manager.h"
#include "engine/network/options.h"

using namespace engine;
using namespace engine::network;

namespace {

TEST(DriverOptionsTest, MacvlanVlanParentSplitsTheTag)
{
    auto options = parse_driver_options("macvlan", { { "parent", "gb-uplink.10" }, { "macvlan_mode", "bridge" } }).value();

    EXPECT_EQ(options.parent_base, "gb-uplink");
    EXPECT_EQ(options.vlan_id, 10);
    EXPECT_EQ(options.mode, "bridge");
}

TEST(DriverOptionsTest, UnknownDriversModesAndOptionsAreRefused)
{
    EXPECT_FALSE(parse_driver_options("overlay", {}).ok());
    EXPECT_FALSE(parse_driver_options("ipvlan", { { "ipvlan_mode", "l4" } }).ok());
    EXPECT_FALSE(parse_driver_options("bridge", { { "parent", "eth0" } }).ok());
    EXPECT_FALSE(parse_driver_options("macvlan", { { "parent", "up.5000" } }).ok());
    EXPECT_EQ(parse_driver_options("ipvlan", {}).value().mode, "l2");
}

TEST(ContainerFilesTest, HostsHasLocalhostExtraHostsAndTheContainer)
{
    auto extra = parse_extra_host("db:10.0.0.9").value();

    auto text = render_hosts({ { "172.17.0.2", { "web" } } }, { extra });

    EXPECT_EQ(text.find("127.0.0.1\tlocalhost\n"), 0U);
    EXPECT_NE(text.find("10.0.0.9\tdb\n"), std::string::npos);
    EXPECT_NE(text.find("172.17.0.2\tweb\n"), std::string::npos);
    EXPECT_FALSE(parse_extra_host("nocolon").ok());
    EXPECT_FALSE(parse_extra_host("x:notanip").ok());
}

TEST(ContainerFilesTest, ResolvConfDropsLoopbackServersAndFallsBack)
{
    auto host = parse_resolv_conf("# comment\nnameserver 127.0.0.53\nsearch example.org\noptions edns0 trust-ad\n");

    auto conf = container_resolv_conf(host, {});
    auto text = render_resolv_conf(conf);

    EXPECT_EQ(conf.nameservers, (std::vector<std::string> { "8.8.8.8", "8.8.4.4" }));
    EXPECT_NE(text.find("search example.org\n"), std::string::npos);
    EXPECT_NE(text.find("options edns0 trust-ad\n"), std::string::npos);
    EXPECT_EQ(container_resolv_conf(host, { "1.1.1.1" }).nameservers, (std::vector<std::string> { "1.1.1.1" }));
}

} // namespace
