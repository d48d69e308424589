// Network drivers on the real kernel: each test builds its own Manager (own temp dirs, own link
// prefix, own nft table, subnets from 10.231.0.0/16 that are not routed yet), makes sandboxes,
// checks kernel facts and traffic between its own namespaces only, and at the end checks that
// nothing it made is left (links, netns files, addresses, routes, the nft table).
#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/network/dns.h"
#include "engine/network/libnl_netlink.h"
#include "engine/network/manager.h"
#include "engine/network/nft.h"
#include "engine/network/sandbox.h"
#include "engine/sys/linux_kernel.h"
#include "engine/sys/netns.h"
#include "engine/sys/probe.h"

using namespace engine;
using namespace engine::network;

namespace {

bool ping(const std::string& netns, const std::string& ip)
{
    std::string command = "nsenter --net=" + netns + " busybox ping -c 1 -W 1 " + ip + " >/dev/null 2>&1";
    return std::system(command.c_str()) == 0; // NOLINT(concurrency-mt-unsafe): test helper.
}

// Listens on `ip`:`port` inside `server_ns`, connects from `client_ns`, sends a line, expects it back.
bool tcp_roundtrip(const std::string& server_ns, const std::string& client_ns, const std::string& ip, std::uint16_t port)
{
    UniqueFd listener;
    auto made = sys::run_in_netns(sys::linux_kernel(), server_ns, [&]() -> Result<void> {
        listener.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(Ipv4::parse(ip).value().value);
        if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener.get(), 4) != 0)
            return Error::from_errno("listen", errno);
        return Ok {};
    });
    if (!made.ok())
        return false;
    std::thread server([&] {
        pollfd fd { listener.get(), POLLIN, 0 };
        if (::poll(&fd, 1, 3000) <= 0)
            return;
        UniqueFd client(::accept(listener.get(), nullptr, nullptr));
        char buffer[64];
        auto count = ::read(client.get(), buffer, sizeof buffer);
        if (count > 0)
            (void)!::write(client.get(), buffer, static_cast<size_t>(count));
    });
    std::string reply;
    auto connected = [&]() -> Result<void> {
        UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        timeval timeout { 2, 0 };
        ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(Ipv4::parse(ip).value().value);
        if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            return Error::from_errno("connect", errno);
        (void)!::write(sock.get(), "hello", 5);
        char buffer[64];
        auto count = ::read(sock.get(), buffer, sizeof buffer);
        if (count > 0)
            reply.assign(buffer, static_cast<size_t>(count));
        return Ok {};
    };
    auto result = client_ns.empty() ? connected() : sys::run_in_netns(sys::linux_kernel(), client_ns, connected);
    if (!result.ok()) {
        // Unblock the server thread by connecting nowhere: it times out by itself.
    }
    server.join();
    return result.ok() && reply == "hello";
}

// Asks `server`:53 for `name` from inside `netns`; nullopt when nothing answers.
std::optional<DnsMessage> dns_query(const std::string& netns, const std::string& server, const std::string& name)
{
    std::optional<DnsMessage> answer;
    (void)sys::run_in_netns(sys::linux_kernel(), netns, [&]() -> Result<void> {
        UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(53);
        address.sin_addr.s_addr = htonl(Ipv4::parse(server).value().value);
        auto query = encode_query(0x1234, name, DnsTypeA);
        if (::sendto(sock.get(), query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
            return Ok {};
        pollfd fd { sock.get(), POLLIN, 0 };
        if (::poll(&fd, 1, 1500) <= 0)
            return Ok {};
        std::uint8_t buffer[512];
        auto count = ::recv(sock.get(), buffer, sizeof buffer, 0);
        if (count > 0) {
            auto decoded = decode_message(buffer, static_cast<size_t>(count));
            if (decoded.ok())
                answer = decoded.value();
        }
        return Ok {};
    });
    return answer;
}

class NetworkTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN)";
        char pattern[] = "/tmp/gbnet-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        auto tag = strings::random_hex_id(4);
        m_options.state_dir = m_dir + "/state";
        m_options.run_dir = m_dir + "/run";
        m_options.bridge_prefix = "g" + tag + "-";
        m_options.bridge_name = "g" + tag + "br0";
        m_options.pool_prefix = "10.231.0.0/16";
        m_options.nft_table_name = "glassbox_test_" + tag;
        m_options.resolv_conf_source = m_dir + "/resolv.conf"; // No upstreams: nothing leaves.
        ASSERT_TRUE(fs::write_file_atomic(m_options.resolv_conf_source, "").ok());
        auto manager = Manager::open(sys::linux_kernel(), m_netlink, libnftables(), m_options);
        ASSERT_TRUE(manager.ok()) << manager.error().describe();
        m_manager = manager.release_value();
    }

    void TearDown() override
    {
        if (!m_manager)
            return;
        for (const auto& id : m_sandboxes) {
            for (const auto& endpoint : m_manager->endpoints_of(id))
                EXPECT_TRUE(m_manager->disconnect(endpoint.network_id, id).ok());
            (void)m_manager->unpublish_ports(id);
            EXPECT_TRUE(m_manager->remove_sandbox(id).ok());
        }
        for (const auto& network : m_manager->list())
            if (network.user_defined)
                EXPECT_TRUE(m_manager->remove_network(network.id).ok()) << network.name;
        auto reset = m_manager->reset();
        EXPECT_TRUE(reset.ok()) << reset.error().describe();
        m_manager.reset();
        // Nothing glassbox made is left.
        auto links = m_netlink.list_links("");
        ASSERT_TRUE(links.ok());
        for (const auto& link : links.value()) {
            EXPECT_FALSE(strings::starts_with(link.name, m_options.bridge_prefix)) << link.name;
            EXPECT_NE(link.name, m_options.bridge_name);
        }
        auto routes = m_netlink.list_routes("").value();
        for (const auto& route : routes)
            EXPECT_FALSE(strings::starts_with(route.destination, "10.231.") && m_owned_subnets.contains(route.destination)) << route.destination;
        EXPECT_EQ(libnftables().list_table(m_options.nft_table_name).error().kind(), ErrorKind::NotFound);
        EXPECT_TRUE(fs::list_dir(m_options.run_dir + "/netns").empty());
        (void)fs::remove_tree(m_dir);
    }

    std::string sandbox(const std::string& id)
    {
        auto path = m_manager->create_sandbox(id);
        EXPECT_TRUE(path.ok()) << path.error().describe();
        m_sandboxes.push_back(id);
        return path.ok() ? path.value() : "";
    }

    Endpoint join(const std::string& network, const std::string& id, const std::string& ns, std::vector<std::string> aliases = {})
    {
        auto endpoint = m_manager->connect(network, id, id, ns, aliases, "");
        EXPECT_TRUE(endpoint.ok()) << endpoint.error().describe();
        return endpoint.ok() ? endpoint.value() : Endpoint {};
    }

    NetworkRecord make(NetworkConfig config)
    {
        auto network = m_manager->create_network(config);
        EXPECT_TRUE(network.ok()) << network.error().describe();
        if (network.ok())
            m_owned_subnets.insert(network.value().subnet);
        return network.ok() ? network.value() : NetworkRecord {};
    }

    bool has_feature(const std::string& name)
    {
        // See require_feature() in manager.cpp: the probe's VLAN-on-loopback try is refused
        // even where 802.1q exists.
        return sys::kernel_features().has(name) || (name == "link.vlan" && fs::exists("/proc/net/vlan/config"));
    }

    std::string m_dir;
    Options m_options;
    LibnlNetlink m_netlink;
    std::unique_ptr<Manager> m_manager;
    std::vector<std::string> m_sandboxes;
    std::set<std::string> m_owned_subnets;
};

TEST_F(NetworkTest, DefaultBridgeConnectsByIpButHasNoNameResolution)
{
    auto bridge = m_manager->get("bridge").value();
    m_owned_subnets.insert(bridge.subnet);
    auto a = sandbox("c1"), b = sandbox("c2");

    auto ea = join("bridge", "c1", a), eb = join("bridge", "c2", b);

    auto subnet = Subnet::parse(bridge.subnet).value();
    EXPECT_TRUE(subnet.contains(Ipv4::parse(ea.ip_address).value()));
    EXPECT_TRUE(subnet.contains(Ipv4::parse(eb.ip_address).value()));
    auto link = m_netlink.get_link("", m_options.bridge_name);
    ASSERT_TRUE(link.ok());
    EXPECT_EQ(link.value().kind, "bridge");
    EXPECT_EQ(m_netlink.get_link("", ea.host_link).value().master_index, link.value().index);
    EXPECT_EQ(m_netlink.get_link(a, "eth0").value().mac, ea.mac_address);
    EXPECT_TRUE(ping(a, eb.ip_address));
    EXPECT_TRUE(tcp_roundtrip(b, a, eb.ip_address, 7001));
    EXPECT_FALSE(dns_query(a, bridge.gateway, "c2").has_value()); // No DNS on the default bridge.
}

TEST_F(NetworkTest, UserDefinedBridgeResolvesNamesAndAliasesThroughEmbeddedDns)
{
    auto network = make({ .name = "front" });
    auto a = sandbox("web"), b = sandbox("db");
    auto ea = join("front", "web", a), eb = join("front", "db", b, { "database" });

    EXPECT_TRUE(ping(a, eb.ip_address));
    EXPECT_TRUE(tcp_roundtrip(b, a, eb.ip_address, 7002));
    auto answer = dns_query(a, network.gateway, "db");
    ASSERT_TRUE(answer.has_value());
    ASSERT_EQ(answer->answers.size(), 1U);
    EXPECT_EQ(answer->answers[0].str(), eb.ip_address);
    auto alias = dns_query(a, network.gateway, "database");
    ASSERT_TRUE(alias.has_value());
    ASSERT_EQ(alias->answers.size(), 1U);
    EXPECT_EQ(alias->answers[0].str(), eb.ip_address);
    auto files = m_manager->write_container_files("web", { .hostname = "web" }, m_dir + "/files-web");
    ASSERT_TRUE(files.ok());
    EXPECT_NE(fs::read_file(files.value().resolv_conf_path).value().find("nameserver " + network.gateway), std::string::npos);
    EXPECT_NE(fs::read_file(files.value().hosts_path).value().find(ea.ip_address + "\tweb"), std::string::npos);
}

TEST_F(NetworkTest, TwoUserDefinedNetworksCannotReachEachOther)
{
    make({ .name = "red" });
    make({ .name = "blue" });
    auto a = sandbox("r1"), b = sandbox("b1");
    join("red", "r1", a);
    auto eb = join("blue", "b1", b);

    EXPECT_FALSE(ping(a, eb.ip_address));
    EXPECT_FALSE(tcp_roundtrip(b, a, eb.ip_address, 7003));
    auto table = libnftables().list_table(m_options.nft_table_name);
    ASSERT_TRUE(table.ok());
    EXPECT_NE(table.value().dump().find("isolate"), std::string::npos);
}

TEST_F(NetworkTest, HostNetworkSeesHostInterfacesAndWarns)
{
    auto endpoint = m_manager->connect("host", "h1", "h1", "", {}, "");
    ASSERT_TRUE(endpoint.ok());

    auto host = m_manager->get("host").value();
    EXPECT_FALSE(host.warnings.empty());
    auto links = m_netlink.list_links("/proc/self/ns/net").value();
    EXPECT_GT(links.size(), 1U); // lo plus the host's own interfaces.
    EXPECT_TRUE(m_manager->disconnect("host", "h1").ok());
}

TEST_F(NetworkTest, NoneNetworkHasOnlyLoopback)
{
    auto ns = sandbox("n1");

    ASSERT_TRUE(m_manager->connect("none", "n1", "n1", ns, {}, "").ok());

    auto links = m_netlink.list_links(ns).value();
    ASSERT_EQ(links.size(), 1U);
    EXPECT_EQ(links[0].name, "lo");
    EXPECT_TRUE(links[0].up);
}

TEST_F(NetworkTest, PublishedPortAnswersOnHostLoopback)
{
    auto ns = sandbox("p1");
    auto endpoint = join("bridge", "p1", ns);
    m_owned_subnets.insert(m_manager->get("bridge").value().subnet);

    auto ports = m_manager->publish_ports("p1", endpoint.ip_address, { { .container_port = 7004, .protocol = "tcp", .host_ip = "127.0.0.1", .host_port = 0 } });
    ASSERT_TRUE(ports.ok()) << ports.error().describe();
    ASSERT_EQ(ports.value().size(), 1U);

    // The server runs in the container namespace; the client is the host itself on 127.0.0.1.
    UniqueFd listener;
    ASSERT_TRUE(sys::run_in_netns(sys::linux_kernel(), ns, [&]() -> Result<void> {
        listener.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(7004);
        if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener.get(), 4) != 0)
            return Error::from_errno("listen", errno);
        return Ok {};
    }).ok());
    std::thread server([&] {
        pollfd fd { listener.get(), POLLIN, 0 };
        if (::poll(&fd, 1, 3000) <= 0)
            return;
        UniqueFd client(::accept(listener.get(), nullptr, nullptr));
        (void)!::write(client.get(), "pong", 4);
    });
    UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(ports.value()[0].host_port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout { 3, 0 };
    ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ASSERT_EQ(::connect(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    char buffer[8] = {};
    auto count = ::read(sock.get(), buffer, sizeof buffer);
    server.join();
    EXPECT_EQ(std::string(buffer, count > 0 ? static_cast<size_t>(count) : 0), "pong");
    auto table = libnftables().list_table(m_options.nft_table_name);
    ASSERT_TRUE(table.ok());
    EXPECT_NE(table.value().dump().find("dnat"), std::string::npos);
    EXPECT_TRUE(m_manager->unpublish_ports("p1").ok());
}

TEST_F(NetworkTest, MacvlanChildrenHaveDistinctMacsReachEachOtherButNotTheParent)
{
    if (!has_feature("link.macvlan"))
        GTEST_SKIP() << "kernel lacks macvlan (CONFIG_MACVLAN)";
    auto network = make({ .name = "lan", .driver = "macvlan", .options = { { "macvlan_mode", "bridge" } } });
    auto a = sandbox("m1"), b = sandbox("m2");
    auto ea = join("lan", "m1", a), eb = join("lan", "m2", b);

    auto la = m_netlink.get_link(a, "eth0").value(), lb = m_netlink.get_link(b, "eth0").value();
    EXPECT_EQ(la.kind, "macvlan");
    EXPECT_EQ(la.mode, "bridge");
    EXPECT_NE(la.mac, lb.mac);
    EXPECT_TRUE(ping(a, eb.ip_address));
    EXPECT_TRUE(ping(a, network.gateway)); // The lab router on the far end of the uplink.
    // The parent's own address is unreachable from its macvlan children.
    auto subnet = Subnet::parse(network.subnet).value();
    std::string parent_ip = Ipv4 { subnet.last().value - 1 }.str();
    ASSERT_TRUE(m_netlink.add_address("", network.parent, parent_ip, subnet.prefix).ok());
    EXPECT_FALSE(ping(a, parent_ip));
    EXPECT_TRUE(m_netlink.delete_address("", network.parent, parent_ip, subnet.prefix).ok());
}

TEST_F(NetworkTest, IpvlanNeedsKernelSupportOrSharesTheParentMac)
{
    if (!has_feature("link.ipvlan")) {
        auto refused = m_manager->create_network({ .name = "ipv", .driver = "ipvlan" });
        ASSERT_FALSE(refused.ok());
        EXPECT_EQ(refused.error().kind(), ErrorKind::Unsupported);
        EXPECT_NE(refused.error().message().find("CONFIG_IPVLAN"), std::string::npos);
        EXPECT_NE(refused.error().message().find("simulated kernel"), std::string::npos);
        GTEST_SKIP() << "kernel lacks ipvlan (CONFIG_IPVLAN); checked the refusal only";
    }
    for (const char* mode : { "l2", "l3" }) {
        std::string name = std::string("ipv") + mode;
        auto network = make({ .name = name, .driver = "ipvlan", .options = { { "ipvlan_mode", mode } } });
        auto a = sandbox(name + "a"), b = sandbox(name + "b");
        auto ea = join(name, name + "a", a), eb = join(name, name + "b", b);
        auto parent = m_netlink.get_link("", network.parent).value();
        auto la = m_netlink.get_link(a, "eth0").value();
        EXPECT_EQ(la.kind, "ipvlan");
        EXPECT_EQ(la.mode, mode);
        EXPECT_EQ(la.mac, parent.mac);
        EXPECT_TRUE(ping(a, eb.ip_address)) << mode;
        if (std::string(mode) == "l3") {
            // No ARP between L3 children: any neighbour entry is NOARP, never a learned one.
            auto neighbours = m_netlink.list_neighbours(a).value();
            for (const auto& neighbour : neighbours)
                if (neighbour.address == eb.ip_address)
                    EXPECT_EQ(neighbour.state, NUD_NOARP) << "state " << neighbour.state;
        }
        for (const auto& id : { name + "a", name + "b" }) {
            EXPECT_TRUE(m_manager->disconnect(name, id).ok());
            EXPECT_TRUE(m_manager->remove_sandbox(id).ok());
            std::erase(m_sandboxes, id);
        }
        EXPECT_TRUE(m_manager->remove_network(name).ok());
        // ipvlan mode belongs to the parent port: the next mode needs a fresh uplink.
        EXPECT_TRUE(m_netlink.delete_link("", network.parent).ok());
    }
}

TEST_F(NetworkTest, VlanParentCreatesTaggedSubInterfaceAndRemovesItWithTheNetwork)
{
    std::string parent = m_options.bridge_prefix + "uplink.10";
    if (!has_feature("link.vlan")) {
        auto refused = m_manager->create_network({ .name = "v10", .driver = "macvlan", .options = { { "parent", parent } } });
        ASSERT_FALSE(refused.ok());
        EXPECT_EQ(refused.error().kind(), ErrorKind::Unsupported);
        EXPECT_NE(refused.error().message().find("CONFIG_VLAN_8021Q"), std::string::npos);
        GTEST_SKIP() << "kernel lacks 802.1q (CONFIG_VLAN_8021Q); checked the refusal only";
    }
    ASSERT_TRUE(m_manager->ensure_lab_uplink().ok());
    auto network = make({ .name = "v10", .driver = "macvlan", .options = { { "parent", parent } } });
    auto vlan = m_netlink.get_link("", parent);
    ASSERT_TRUE(vlan.ok());
    EXPECT_EQ(vlan.value().kind, "vlan");
    EXPECT_EQ(vlan.value().vlan_id, 10);
    auto a = sandbox("va"), b = sandbox("vb");
    auto ea = join("v10", "va", a), eb = join("v10", "vb", b);
    EXPECT_EQ(m_netlink.get_link(a, "eth0").value().kind, "macvlan");
    EXPECT_TRUE(ping(a, eb.ip_address)); // macvlan on a VLAN sub-interface.
    for (const auto& id : { "va", "vb" }) {
        EXPECT_TRUE(m_manager->disconnect("v10", id).ok());
        EXPECT_TRUE(m_manager->remove_sandbox(id).ok());
        std::erase(m_sandboxes, std::string(id));
    }
    EXPECT_TRUE(m_manager->remove_network("v10").ok());
    EXPECT_EQ(m_netlink.get_link("", parent).error().kind(), ErrorKind::NotFound);
}

TEST_F(NetworkTest, RestartHandsOutNoAddressTwice)
{
    make({ .name = "persist" });
    auto a = sandbox("s1");
    auto first = join("persist", "s1", a);
    m_manager.reset(); // Daemon "restart": the kernel objects stay, the records are reloaded.
    auto reopened = Manager::open(sys::linux_kernel(), m_netlink, libnftables(), m_options);
    ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
    m_manager = reopened.release_value();
    auto b = sandbox("s2");

    auto second = join("persist", "s2", b);

    EXPECT_NE(first.ip_address, second.ip_address);
    EXPECT_TRUE(ping(b, first.ip_address));
}

} // namespace
