#include <gtest/gtest.h>

#include "engine/daemon/create_options.h"

using engine::daemon::ContainerPort;
using engine::daemon::NetworkMode;
using engine::daemon::PidMode;
using engine::daemon::VolumesFrom;
using engine::daemon::PortBinding;

TEST(NetworkModeTest, EachKindReadsBackAsItsOwnText)
{
    for (const char* text : { "default", "host", "none", "container:web", "bridge", "appnet" }) {
        auto mode = NetworkMode::parse(text);
        ASSERT_TRUE(mode.ok()) << text << ": " << mode.error().describe();
        EXPECT_EQ(mode.value().text(), text);
    }
    EXPECT_EQ(NetworkMode::parse("").value().text(), "default");
}

TEST(NetworkModeTest, TheNetworkAModeJoins)
{
    EXPECT_EQ(NetworkMode::parse("default").value().network(), "bridge");
    EXPECT_EQ(NetworkMode::parse("bridge").value().network(), "bridge");
    EXPECT_EQ(NetworkMode::parse("appnet").value().network(), "appnet");
    EXPECT_EQ(NetworkMode::parse("host").value().network(), "host");
    EXPECT_EQ(NetworkMode::parse("none").value().network(), "none");
    EXPECT_EQ(NetworkMode::parse("container:web").value().network(), "");
    auto joined = NetworkMode::parse("container:3f2a").value();
    EXPECT_TRUE(joined.is(NetworkMode::Kind::Container));
    EXPECT_EQ(joined.name, "3f2a");
}

TEST(NetworkModeTest, ContainerWithoutANameIsRefused)
{
    auto mode = NetworkMode::parse("container:");

    ASSERT_FALSE(mode.ok());
    EXPECT_EQ(mode.error().message(), "invalid network mode \"container:\": invalid container format container:<name|id>");
}

TEST(PidModeTest, EachKindReadsBackAsItsOwnText)
{
    for (const char* text : { "", "host", "container:web" }) {
        auto mode = PidMode::parse(text);
        ASSERT_TRUE(mode.ok()) << text << ": " << mode.error().describe();
        EXPECT_EQ(mode.value().text(), text);
    }
    EXPECT_TRUE(PidMode::parse("").value().is(PidMode::Kind::Private));
    EXPECT_TRUE(PidMode::parse("host").value().is(PidMode::Kind::Host));
    auto joined = PidMode::parse("container:3f2a").value();
    EXPECT_TRUE(joined.is(PidMode::Kind::Container));
    EXPECT_EQ(joined.container, "3f2a");
}

TEST(PidModeTest, AnythingElseIsRefusedNamingTheValue)
{
    for (const char* text : { "private", "container:", "Host" }) {
        auto mode = PidMode::parse(text);
        ASSERT_FALSE(mode.ok()) << text;
        EXPECT_EQ(mode.error().message(), "invalid PID mode: \"" + std::string(text) + "\" (use host or container:<name|id>)");
    }
}

TEST(VolumesFromTest, ReadsBackAsGivenWithOrWithoutAMode)
{
    for (const char* text : { "data", "data:ro", "data:rw" }) {
        auto entry = VolumesFrom::parse(text);
        ASSERT_TRUE(entry.ok()) << text << ": " << entry.error().describe();
        EXPECT_EQ(entry.value().container, "data");
        EXPECT_EQ(entry.value().text(), text);
    }
    EXPECT_TRUE(VolumesFrom::parse("data:ro").value().read_only());
    EXPECT_FALSE(VolumesFrom::parse("data:rw").value().read_only());
    EXPECT_FALSE(VolumesFrom::parse("data").value().read_only());
}

TEST(VolumesFromTest, BadModeOrNoContainerIsRefusedNamingTheValue)
{
    auto bad_mode = VolumesFrom::parse("data:xx");
    ASSERT_FALSE(bad_mode.ok());
    EXPECT_EQ(bad_mode.error().message(), "invalid mode: xx");
    auto no_name = VolumesFrom::parse(":ro");
    ASSERT_FALSE(no_name.ok());
    EXPECT_EQ(no_name.error().message(), "invalid volumes-from \":ro\": no container named");
}

TEST(ContainerPortTest, KeyReadsPortAndProtocol)
{
    EXPECT_EQ(ContainerPort::parse("80/tcp").value(), (ContainerPort { 80, "tcp" }));
    EXPECT_EQ(ContainerPort::parse("53/udp").value(), (ContainerPort { 53, "udp" }));
    EXPECT_EQ(ContainerPort::parse("8080").value(), (ContainerPort { 8080, "tcp" }));
    EXPECT_EQ(ContainerPort::parse("53/UDP").value().key(), "53/udp");
}

TEST(ContainerPortTest, BadKeysNameThePart)
{
    EXPECT_EQ(ContainerPort::parse("80/sctp").error().message(), "port \"80/sctp\": the protocol must be tcp or udp");
    EXPECT_EQ(ContainerPort::parse("99999/tcp").error().message(),
        "port \"99999/tcp\": the container port \"99999\" is not a port number (1..65535)");
    EXPECT_FALSE(ContainerPort::parse("").ok());
    EXPECT_FALSE(ContainerPort::parse("0/tcp").ok());
    EXPECT_FALSE(ContainerPort::parse("http/tcp").ok());
}

TEST(PortBindingTest, HostSideIsTypedAndShownAsDockerShowsIt)
{
    auto any = PortBinding::parse("", "").value();
    auto loopback = PortBinding::parse("127.0.0.1", "8080").value();

    EXPECT_EQ(any, (PortBinding { "", 0 }));
    EXPECT_EQ(any.host_port_text(), "");
    EXPECT_EQ(loopback, (PortBinding { "127.0.0.1", 8080 }));
    EXPECT_EQ(loopback.host_port_text(), "8080");
}

// Ports are published on IPv4 only (network/port_proxy.cpp, the DNAT rules), so create refuses
// what every start would: the docker CLI sends HostIp "::1" for -p [::1]:8080:80.
TEST(PortBindingTest, Ipv6HostIpIsRefusedAtCreateNamingIt)
{
    for (const char* ip : { "::1", "::", "fd00::1" }) {
        auto binding = PortBinding::parse(ip, "8080");
        ASSERT_FALSE(binding.ok()) << ip;
        EXPECT_EQ(binding.error().kind(), engine::ErrorKind::InvalidArgument);
        EXPECT_EQ(binding.error().message(), "HostIp \"" + std::string(ip)
                + "\" is an IPv6 address: glassbox publishes ports on IPv4 host addresses only (use an IPv4 address "
                  "such as 127.0.0.1, or none for every address)");
    }
    EXPECT_EQ(PortBinding::parse("[::1]", "8080").error().message(), "HostIp \"[::1]\" is not an IP address");
}

TEST(PortBindingTest, BadHostSideNamesTheField)
{
    EXPECT_EQ(PortBinding::parse("", "8000-8010").error().message(), "HostPort \"8000-8010\" is not a port number (1..65535)");
    EXPECT_EQ(PortBinding::parse("", "0").error().message(), "HostPort \"0\" is not a port number (1..65535)");
    EXPECT_EQ(PortBinding::parse("my-host", "80").error().message(), "HostIp \"my-host\" is not an IP address");
}
