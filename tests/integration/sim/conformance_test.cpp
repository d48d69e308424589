// Conformance of the simulated network stack: each scenario runs twice through the same
// network::Netlink calls, once on the real kernel (network::LibnlNetlink in namespaces this test
// creates, and busybox ping for reachability) and once on sim::SimNetwork (its own ping). The
// namespace dumps (links, addresses, routes) must be identical up to ifindex, MACs and the
// link-local addresses derived from MACs, and every probe must give the same answer on both.
//
// Nothing touches the host's own namespace: the "host" of each scenario is a namespace of its own,
// and the lab uplink is a veth into a "lab" namespace, never eth0. Every namespace is removed at
// the end, which removes every link in it. Needs root; ipvlan and 802.1q scenarios skip with the
// reason where the kernel lacks the driver (scripts/kernel-lab runs them on a kernel that has it).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <functional>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/network/libnl_netlink.h"
#include "engine/network/sandbox.h"
#include "engine/sim/net/sim_network.h"
#include "engine/sys/linux_kernel.h"
#include "engine/sys/netns.h"

using namespace engine;
using namespace engine::network;

namespace {

// The namespaces a scenario plays with, by role.
struct Roles {
    std::string host;
    std::string c1;
    std::string c2;
    std::string lab;
    std::vector<std::string> all() const { return { host, c1, c2, lab }; }
    std::string role_of(const std::string& path) const
    {
        return path == host ? "host" : path == c1 ? "c1" : path == c2 ? "c2" : path == lab ? "lab" : path;
    }
};

struct Probe {
    std::string from; // A role.
    std::string to;   // An IPv4 address.
    bool expected;    // What the kernel is known to do (documents the rule).
};

struct Scenario {
    std::function<Result<void>(Netlink&, const Roles&)> build;
    std::vector<Probe> probes;
};

// [SECTION] Scenarios: only Netlink calls, the engine's own.

Result<void> veth_pair(Netlink& nl, const std::string& ns, const std::string& name, const std::string& peer_ns,
    const std::string& peer)
{
    TRY(nl.create_link(ns, { .name = name, .kind = "veth", .peer_name = peer, .peer_netns = peer_ns }));
    TRY(nl.set_link_up(ns, name, true));
    TRY(nl.set_link_up(peer_ns, peer, true));
    return Ok {};
}

Scenario veth_scenario()
{
    return { [](Netlink& nl, const Roles& r) -> Result<void> {
                TRY(veth_pair(nl, r.c1, "eth0", r.c2, "eth0"));
                TRY(nl.add_address(r.c1, "eth0", "10.240.1.1", 24));
                TRY(nl.add_address(r.c2, "eth0", "10.240.1.2", 24));
                return Ok {};
            },
        { { "c1", "10.240.1.2", true }, { "c2", "10.240.1.1", true }, { "c1", "10.240.1.9", false },
            { "c1", "10.240.7.1", false } } };
}

// The engine's bridge driver: a bridge with the gateway in "host", one veth per container.
Scenario bridge_scenario()
{
    return { [](Netlink& nl, const Roles& r) -> Result<void> {
                TRY(nl.create_link(r.host, { .name = "br0", .kind = "bridge" }));
                TRY(nl.add_address(r.host, "br0", "10.240.2.1", 24));
                TRY(nl.set_link_up(r.host, "br0", true));
                TRY(nl.create_link(r.host, { .name = "br1", .kind = "bridge" })); // A network with no containers.
                TRY(nl.add_address(r.host, "br1", "10.240.12.1", 24));
                TRY(nl.set_link_up(r.host, "br1", true));
                int n = 0;
                for (const auto* ns : { &r.c1, &r.c2 }) {
                    ++n;
                    std::string host_link = "vc" + std::to_string(n);
                    TRY(nl.create_link(r.host, { .name = host_link, .kind = "veth", .peer_name = "eth0", .peer_netns = *ns }));
                    TRY(nl.set_link_master(r.host, host_link, "br0"));
                    TRY(nl.set_link_up(r.host, host_link, true));
                    TRY(nl.add_address(*ns, "eth0", "10.240.2." + std::to_string(n + 1), 24));
                    TRY(nl.set_link_up(*ns, "eth0", true));
                    TRY(nl.add_route(*ns, "default", "10.240.2.1", "eth0"));
                }
                return Ok {};
            },
        { { "c1", "10.240.2.3", true }, { "c1", "10.240.2.1", true }, { "host", "10.240.2.2", true },
            { "c2", "10.240.2.2", true }, { "c1", "10.240.2.9", false } } };
}

// The engine's macvlan/ipvlan drivers on the lab uplink: a veth whose far end (the lab) holds the
// gateway; children made in "host" and moved into the containers as eth0.
Scenario child_scenario(const std::string& kind, const std::string& mode, const std::string& subnet_prefix,
    std::vector<Probe> probes)
{
    return { [=](Netlink& nl, const Roles& r) -> Result<void> {
                TRY(veth_pair(nl, r.host, "up0", r.lab, "lab0"));
                TRY(nl.add_address(r.lab, "lab0", subnet_prefix + ".1", 24));
                TRY(nl.add_address(r.host, "up0", subnet_prefix + ".254", 24));
                int n = 0;
                for (const auto* ns : { &r.c1, &r.c2 }) {
                    ++n;
                    std::string temp = "tmp" + std::to_string(n);
                    TRY(nl.create_link(r.host, { .name = temp, .kind = kind, .parent = "up0", .mode = mode }));
                    TRY(nl.move_link(r.host, temp, *ns, "eth0"));
                    TRY(nl.add_address(*ns, "eth0", subnet_prefix + "." + std::to_string(10 + n), 24));
                    TRY(nl.set_link_up(*ns, "eth0", true));
                    if (kind == "ipvlan" && mode == "l3")
                        TRY(nl.add_route(*ns, "default", "", "eth0"));
                    else
                        TRY(nl.add_route(*ns, "default", subnet_prefix + ".1", "eth0"));
                }
                return Ok {};
            },
        std::move(probes) };
}

// 802.1q: a trunk veth between "host" and "lab", VLAN 10 on both ends, 20 and 30 on one each.
Scenario vlan_scenario()
{
    return { [](Netlink& nl, const Roles& r) -> Result<void> {
                TRY(veth_pair(nl, r.host, "trunk", r.lab, "trunk"));
                for (auto [ns, id] : { std::pair { r.host, 10 }, { r.lab, 10 }, { r.host, 20 }, { r.lab, 30 } }) {
                    std::string name = "trunk." + std::to_string(id);
                    TRY(nl.create_link(ns, { .name = name, .kind = "vlan", .parent = "trunk", .vlan_id = id }));
                    TRY(nl.set_link_up(ns, name, true));
                }
                TRY(nl.add_address(r.host, "trunk.10", "10.240.10.1", 24));
                TRY(nl.add_address(r.lab, "trunk.10", "10.240.10.2", 24));
                TRY(nl.add_address(r.host, "trunk.20", "10.240.20.1", 24));
                TRY(nl.add_address(r.lab, "trunk.30", "10.240.20.2", 24));
                return Ok {};
            },
        { { "host", "10.240.10.2", true }, { "host", "10.240.20.2", false } } };
}

// `none`: a container namespace with only loopback; `host`: nothing made at all.
Scenario none_scenario()
{
    return { [](Netlink&, const Roles&) -> Result<void> { return Ok {}; },
        { { "c1", "127.0.0.1", true }, { "c1", "10.240.9.9", false } } };
}

// [SECTION] Normalising a dump: indexes become names, MAC-derived values become placeholders.

std::string mask_link_local(const std::string& address)
{
    if (address.rfind("fe80::", 0) != 0 || address.rfind("fe80::/", 0) == 0)
        return address;
    auto slash = address.find('/');
    return "fe80::<eui64>" + (slash == std::string::npos ? "" : address.substr(slash));
}

std::vector<std::string> normalise(const std::string& path, const std::map<std::string, NamespaceDump>& dumps,
    const Roles& roles)
{
    const auto& dump = dumps.at(path);
    auto others = roles.all();
    auto name_in = [&](const std::string& ns, int index) -> std::string {
        if (index == 0)
            return "";
        auto it = dumps.find(ns);
        if (it != dumps.end())
            for (const auto& l : it->second.links)
                if (l.link.index == index)
                    return l.link.name;
        return "#?";
    };
    std::vector<std::string> lines;
    for (const auto& dumped : dump.links) {
        const auto& l = dumped.link;
        std::string parent_ns = path;
        if (l.link_netnsid >= 0) {
            auto it = dump.other_of_netnsid.find(l.link_netnsid);
            parent_ns = it == dump.other_of_netnsid.end() ? "?" : others[it->second];
        }
        std::string parent = name_in(parent_ns, l.parent_index);
        if (!parent.empty() && parent_ns != path)
            parent += "@" + roles.role_of(parent_ns);
        lines.push_back("link " + l.name + " kind=" + l.kind + " mtu=" + std::to_string(l.mtu) + " up="
            + std::to_string(l.up) + " oper=" + l.oper_state + " master=" + name_in(path, l.master_index)
            + " parent=" + parent + " mode=" + l.mode + " vlan=" + std::to_string(l.vlan_id) + " port="
            + dumped.bridge_port_state);
    }
    for (const auto& a : dump.addresses)
        lines.push_back("addr " + name_in(path, a.link_index) + " " + a.family + " " + mask_link_local(a.address) + " "
            + a.scope);
    for (const auto& r : dump.routes)
        lines.push_back("route " + r.family + " " + r.table + " " + mask_link_local(r.destination) + " via="
            + r.gateway + " dev=" + name_in(path, r.link_index) + " " + r.protocol + " " + r.scope + " metric="
            + std::to_string(r.metric));
    std::sort(lines.begin(), lines.end());
    return lines;
}

std::string joined(const std::vector<std::string>& lines)
{
    std::string out;
    for (const auto& line : lines)
        out += "  " + line + "\n";
    return out;
}

// [SECTION] The two kernels.

bool real_ping(const std::string& netns, const std::string& ip)
{
    std::string command = "nsenter --net=" + netns + " busybox ping -c 1 -W 1 " + ip + " >/dev/null 2>&1";
    return std::system(command.c_str()) == 0; // NOLINT(concurrency-mt-unsafe): test helper.
}

// Namespaces on the real kernel, named after this test run, removed (with all their links) when
// it ends however it ends.
class RealNamespaces {
public:
    RealNamespaces()
    {
        char pattern[] = "/tmp/gbconf-XXXXXX";
        if (::mkdtemp(pattern))
            m_dir = pattern;
    }
    ~RealNamespaces()
    {
        for (const auto& path : m_made)
            (void)remove_netns_file(sys::linux_kernel(), path);
        if (!m_dir.empty())
            std::filesystem::remove_all(m_dir);
    }
    Result<Roles> make()
    {
        if (m_dir.empty())
            return Error::system("mkdtemp failed");
        Roles roles { m_dir + "/host", m_dir + "/c1", m_dir + "/c2", m_dir + "/lab" };
        for (const auto& path : roles.all()) {
            TRY(create_netns_file(sys::linux_kernel(), path));
            m_made.push_back(path);
            // No duplicate address detection: link-local addresses are final (and get their local
            // route) at once, as in the model, instead of a second or two later.
            TRY(sys::run_in_netns(sys::linux_kernel(), path, []() -> Result<void> {
                for (const char* file : { "/proc/sys/net/ipv6/conf/default/accept_dad", "/proc/sys/net/ipv6/conf/all/accept_dad" })
                    if (fs::exists(file)) {
                        // A sysctl file is written in place; no temporary file and rename.
                        int fd = ::open(file, O_WRONLY | O_CLOEXEC);
                        if (fd < 0 || ::write(fd, "0\n", 2) != 2) {
                            int error = errno;
                            if (fd >= 0)
                                ::close(fd);
                            return Error::from_errno(std::string("write ") + file, error);
                        }
                        ::close(fd);
                    }
                return Ok {};
            }));
        }
        return roles;
    }

private:
    std::string m_dir;
    std::vector<std::string> m_made;
};

bool unsupported(const Error& error)
{
    const auto& message = error.message();
    return error.kind() == ErrorKind::Unsupported || message.find("not supported") != std::string::npos
        || message.find("Unknown device type") != std::string::npos || message.find("not found") != std::string::npos;
}

void run_conformance(const Scenario& scenario, const std::string& driver)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) to build the scenario on the real kernel";
    RealNamespaces real_namespaces;
    auto made = real_namespaces.make();
    ASSERT_TRUE(made.ok()) << made.error().describe();
    const auto roles = made.value();
    LibnlNetlink real;
    sim::SimNetwork simulated;
    for (auto* nl : { static_cast<Netlink*>(&real), static_cast<Netlink*>(&simulated) })
        for (const auto& path : roles.all())
            ASSERT_TRUE(nl->set_link_up(path, "lo", true).ok());

    auto built = scenario.build(real, roles);
    if (!built.ok() && unsupported(built.error()))
        GTEST_SKIP() << "this kernel cannot build the " << driver << " scenario (" << built.error().describe()
                     << "); scripts/kernel-lab runs it on a kernel that has the driver";
    ASSERT_TRUE(built.ok()) << "real kernel: " << built.error().describe();
    auto simulated_built = scenario.build(simulated, roles);
    ASSERT_TRUE(simulated_built.ok()) << "simulated kernel: " << simulated_built.error().describe();
    // Operational state reaches rtnetlink through linkwatch, which batches non-urgent changes
    // for up to a second.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));

    std::map<std::string, NamespaceDump> real_dumps;
    std::map<std::string, NamespaceDump> simulated_dumps;
    for (const auto& path : roles.all()) {
        auto r = real.dump_namespace(path, roles.all());
        ASSERT_TRUE(r.ok()) << r.error().describe();
        EXPECT_TRUE(r.value().warnings.empty()) << r.value().warnings.front();
        real_dumps[path] = r.release_value();
        auto s = simulated.dump_namespace(path, roles.all());
        ASSERT_TRUE(s.ok()) << s.error().describe();
        simulated_dumps[path] = s.release_value();
    }
    for (const auto& path : roles.all()) {
        auto expected = normalise(path, real_dumps, roles);
        auto actual = normalise(path, simulated_dumps, roles);
        EXPECT_EQ(actual, expected) << driver << ", namespace " << roles.role_of(path) << "\nreal kernel:\n"
                                    << joined(expected) << "simulated:\n"
                                    << joined(actual);
    }
    auto path_of = [&](const std::string& role) {
        return role == "host" ? roles.host : role == "c1" ? roles.c1 : role == "c2" ? roles.c2 : roles.lab;
    };
    for (const auto& probe : scenario.probes) {
        bool kernel = real_ping(path_of(probe.from), probe.to);
        auto model = simulated.ping(path_of(probe.from), probe.to);
        EXPECT_EQ(kernel, probe.expected) << driver << ": real ping from " << probe.from << " to " << probe.to;
        EXPECT_EQ(model.delivered, kernel) << driver << ": simulated ping from " << probe.from << " to " << probe.to
                                           << " gave " << (model.delivered ? "a reply" : model.error) << " via "
                                           << model.trace() << "; notes: " << testing::PrintToString(model.notes);
    }
}

} // namespace

TEST(SimNetworkConformance, VethPairBetweenTwoNamespaces)
{
    run_conformance(veth_scenario(), "veth");
}

TEST(SimNetworkConformance, BridgeNetworkWithTwoContainers)
{
    run_conformance(bridge_scenario(), "bridge");
}

TEST(SimNetworkConformance, MacvlanBridgeModeOnTheLabUplink)
{
    run_conformance(child_scenario("macvlan", "bridge", "10.240.3",
                        { { "c1", "10.240.3.12", true }, { "c1", "10.240.3.1", true }, { "c1", "10.240.3.254", false },
                            { "host", "10.240.3.11", false } }),
        "macvlan");
}

TEST(SimNetworkConformance, NoneIsLoopbackOnly)
{
    run_conformance(none_scenario(), "none/host");
}

TEST(SimNetworkConformance, IpvlanL2OnTheLabUplink)
{
    run_conformance(child_scenario("ipvlan", "l2", "10.240.4",
                        { { "c1", "10.240.4.12", true }, { "c1", "10.240.4.1", true }, { "c1", "10.240.4.254", false } }),
        "ipvlan l2");
}

TEST(SimNetworkConformance, IpvlanL3OnTheLabUplink)
{
    run_conformance(child_scenario("ipvlan", "l3", "10.240.5", { { "c1", "10.240.5.12", true } }), "ipvlan l3");
}

TEST(SimNetworkConformance, VlanSubInterfacesMeetOnlyOnTheSameId)
{
    run_conformance(vlan_scenario(), "802.1q");
}

// The errors the kernel gives for bad requests, as the engine sees them through Netlink.
TEST(SimNetworkConformance, KernelErrorsAreTheSame)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) to provoke the real kernel's errors";
    RealNamespaces real_namespaces;
    auto made = real_namespaces.make();
    ASSERT_TRUE(made.ok()) << made.error().describe();
    const auto ns = made.value().host;
    const auto other = made.value().c1;
    LibnlNetlink real;
    sim::SimNetwork simulated;
    using Call = std::function<Result<void>(Netlink&)>;
    std::vector<std::pair<std::string, Call>> calls {
        { "bridge", [&](Netlink& nl) { return nl.create_link(ns, { .name = "e0", .kind = "bridge" }); } },
        { "bridge again", [&](Netlink& nl) { return nl.create_link(ns, { .name = "e0", .kind = "bridge" }); } },
        { "veth", [&](Netlink& nl) { return nl.create_link(ns, { .name = "v0", .kind = "veth", .peer_name = "v1" }); } },
        { "veth peer taken", [&](Netlink& nl) { return nl.create_link(ns, { .name = "v2", .kind = "veth", .peer_name = "e0" }); } },
        { "delete missing", [&](Netlink& nl) { return nl.delete_link(ns, "nope0"); } },
        { "mtu too big", [&](Netlink& nl) { return nl.set_link_mtu(ns, "e0", 70000); } },
        { "mtu too small", [&](Netlink& nl) { return nl.set_link_mtu(ns, "v0", 20); } },
        { "master not a bridge", [&](Netlink& nl) { return nl.set_link_master(ns, "v0", "v1"); } },
        { "move bridge", [&](Netlink& nl) { return nl.move_link(ns, "e0", other, ""); } },
        { "macvlan on missing", [&](Netlink& nl) { return nl.create_link(ns, { .name = "m0", .kind = "macvlan", .parent = "nope0" }); } },
        { "macvlan on lo", [&](Netlink& nl) { return nl.create_link(ns, { .name = "m0", .kind = "macvlan", .parent = "lo" }); } },
        { "macvlan", [&](Netlink& nl) { return nl.create_link(ns, { .name = "m1", .kind = "macvlan", .parent = "v0" }); } },
        { "macvlan up, lower down", [&](Netlink& nl) { return nl.set_link_up(ns, "m1", true); } },
        { "route on a down link", [&](Netlink& nl) { return nl.add_route(ns, "10.241.0.0/24", "", "v0"); } },
        { "up", [&](Netlink& nl) { return nl.set_link_up(ns, "e0", true); } },
        { "address", [&](Netlink& nl) { return nl.add_address(ns, "e0", "10.241.1.1", 24); } },
        { "address again", [&](Netlink& nl) { return nl.add_address(ns, "e0", "10.241.1.1", 24); } },
        { "delete missing address", [&](Netlink& nl) { return nl.delete_address(ns, "e0", "10.241.1.2", 24); } },
        { "gateway off-link", [&](Netlink& nl) { return nl.add_route(ns, "10.241.2.0/24", "10.241.3.1", "e0"); } },
        { "route", [&](Netlink& nl) { return nl.add_route(ns, "10.241.2.0/24", "10.241.1.9", "e0"); } },
        { "route again", [&](Netlink& nl) { return nl.add_route(ns, "10.241.2.0/24", "10.241.1.9", "e0"); } },
        { "delete missing route", [&](Netlink& nl) { return nl.delete_route(ns, "10.241.9.0/24", "", "e0"); } },
        { "delete lo", [&](Netlink& nl) { return nl.delete_link(ns, "lo"); } },
    };
    for (const auto& [what, call] : calls) {
        auto r = call(real);
        auto s = call(simulated);
        std::string real_text = r.ok() ? "ok" : std::to_string(static_cast<int>(r.error().kind())) + " " + r.error().message();
        std::string sim_text = s.ok() ? "ok" : std::to_string(static_cast<int>(s.error().kind())) + " " + s.error().message();
        EXPECT_EQ(sim_text, real_text) << what;
    }
}
