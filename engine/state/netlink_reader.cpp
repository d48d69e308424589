// rtnetlink for the collector, through libnl-route-3: links, addresses, routes, neighbours and
// the bridge FDB of every network namespace. A netlink socket talks to the namespace it was
// created in, so a dedicated thread setns(2)s into each namespace, opens a socket there, reads,
// and goes back; setns(CLONE_NEWNET) changes only the calling thread, so the rest of the daemon
// never notices. Cross-namespace links (a veth peer, a macvlan parent) carry IFLA_LINK_NETNSID,
// a number only meaningful in the namespace that reports it; RTM_GETNSID with NETNSA_FD turns it
// into the other namespace (rtnetlink(7), net/core/net_namespace.c).
#include "engine/state/collector_internal.h"

#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/net_namespace.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <system_error>
#include <thread>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "engine/base/fd.h"

namespace engine::state::detail {

namespace {

struct SocketDeleter {
    void operator()(nl_sock* sock) const { nl_socket_free(sock); }
};
using SocketPtr = std::unique_ptr<nl_sock, SocketDeleter>;
struct CacheDeleter {
    void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
using CachePtr = std::unique_ptr<nl_cache, CacheDeleter>;

std::string addr_text(nl_addr* addr, bool with_prefix)
{
    if (!addr)
        return "";
    char buffer[128];
    nl_addr2str(addr, buffer, sizeof(buffer));
    std::string text = buffer;
    if (!with_prefix) {
        auto slash = text.find('/');
        if (slash != std::string::npos)
            text.resize(slash);
    }
    return text;
}

std::string family_name(int family)
{
    switch (family) {
    case AF_INET:
        return "inet";
    case AF_INET6:
        return "inet6";
    case AF_BRIDGE:
        return "bridge";
    default:
        return std::to_string(family);
    }
}

std::string scope_name(int scope)
{
    char buffer[32];
    return rtnl_scope2str(scope, buffer, sizeof(buffer));
}

std::string neigh_state_name(int state)
{
    if (state & NUD_PERMANENT)
        return "permanent";
    if (state & NUD_NOARP)
        return "noarp";
    if (state & NUD_REACHABLE)
        return "reachable";
    if (state & NUD_STALE)
        return "stale";
    if (state & NUD_DELAY)
        return "delay";
    if (state & NUD_PROBE)
        return "probe";
    if (state & NUD_FAILED)
        return "failed";
    if (state & NUD_INCOMPLETE)
        return "incomplete";
    return "none";
}

std::string bridge_port_state_name(int state)
{
    switch (state) {
    case BR_STATE_DISABLED:
        return "disabled";
    case BR_STATE_LISTENING:
        return "listening";
    case BR_STATE_LEARNING:
        return "learning";
    case BR_STATE_FORWARDING:
        return "forwarding";
    case BR_STATE_BLOCKING:
        return "blocking";
    default:
        return "";
    }
}

// One namespace's raw dump, plus the netnsids its links refer to (netnsid -> inode, filled later).
struct NamespaceDump {
    std::uint64_t inode { 0 };
    NetworkFacts facts;
    std::map<int, std::int32_t> peer_netnsid;   // Index in facts.links -> netnsid of peer/parent.
    std::map<std::int32_t, std::uint64_t> nsid_to_inode;
};

struct NsidReply {
    std::int32_t nsid { -1 };
    bool seen { false };
};

int on_nsid_reply(nl_msg* msg, void* arg)
{
    auto* reply = static_cast<NsidReply*>(arg);
    nlattr* attrs[NETNSA_MAX + 1] = {};
    if (nlmsg_parse(nlmsg_hdr(msg), sizeof(rtgenmsg), attrs, NETNSA_MAX, nullptr) < 0)
        return NL_SKIP;
    if (attrs[NETNSA_NSID]) {
        reply->nsid = static_cast<std::int32_t>(nla_get_u32(attrs[NETNSA_NSID]));
        reply->seen = true;
    }
    return NL_OK;
}

// RTM_GETNSID: the id the socket's namespace has for the namespace behind `fd`, or -1 when it has
// none (the kernel does not assign one for a GET).
std::int32_t query_nsid(nl_sock* sock, int fd)
{
    nl_msg* msg = nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST);
    if (!msg)
        return -1;
    rtgenmsg header {};
    header.rtgen_family = AF_UNSPEC;
    NsidReply reply;
    if (nlmsg_append(msg, &header, sizeof(header), NLMSG_ALIGNTO) == 0
        && nla_put_u32(msg, NETNSA_FD, static_cast<std::uint32_t>(fd)) == 0 && nl_send_auto(sock, msg) >= 0) {
        nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, on_nsid_reply, &reply);
        nl_recvmsgs_default(sock);
    }
    nlmsg_free(msg);
    return reply.seen ? reply.nsid : -1;
}

void read_links(nl_sock* sock, NamespaceDump& dump)
{
    nl_cache* raw = nullptr;
    if (int error = rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw); error < 0) {
        dump.facts.warnings.push_back("net:[" + std::to_string(dump.inode) + "]: dump links: " + nl_geterror(error));
        return;
    }
    CachePtr cache(raw);
    // Bridge port states come with the AF_BRIDGE dump (IFLA_PROTINFO).
    std::map<int, std::string> port_states;
    nl_cache* bridge_raw = nullptr;
    if (rtnl_link_alloc_cache(sock, AF_BRIDGE, &bridge_raw) >= 0) {
        CachePtr bridge_cache(bridge_raw);
        for (auto* object = nl_cache_get_first(bridge_cache.get()); object; object = nl_cache_get_next(object)) {
            auto* link = reinterpret_cast<rtnl_link*>(object);
            if (rtnl_link_get_master(link) > 0)
                port_states[rtnl_link_get_ifindex(link)] = bridge_port_state_name(rtnl_link_bridge_get_port_state(link));
        }
    }

    std::map<int, std::string> names;
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        auto* link = reinterpret_cast<rtnl_link*>(object);
        names[rtnl_link_get_ifindex(link)] = rtnl_link_get_name(link) ? rtnl_link_get_name(link) : "";
    }
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        auto* link = reinterpret_cast<rtnl_link*>(object);
        LinkInfo info;
        info.netns = dump.inode;
        info.index = rtnl_link_get_ifindex(link);
        info.name = names[info.index];
        const char* type = rtnl_link_get_type(link);
        info.kind = type ? type : "";
        info.mac = addr_text(rtnl_link_get_addr(link), false);
        info.mtu = static_cast<int>(rtnl_link_get_mtu(link));
        info.up = rtnl_link_get_flags(link) & IFF_UP;
        char state[32];
        info.oper_state = rtnl_link_operstate2str(rtnl_link_get_operstate(link), state, sizeof(state));
        info.master_index = rtnl_link_get_master(link);
        if (info.master_index > 0) {
            info.master_name = names[info.master_index];
            if (auto it = port_states.find(info.index); it != port_states.end())
                info.bridge_port_state = it->second;
        }

        // IFLA_LINK: the veth peer, or the macvlan/ipvlan/vlan parent. Without
        // IFLA_LINK_NETNSID it lives in this namespace.
        int linked = rtnl_link_get_link(link);
        std::int32_t netnsid = -1;
        bool remote = rtnl_link_get_link_netnsid(link, &netnsid) == 0 && netnsid >= 0;
        if (linked > 0) {
            bool is_veth = info.kind == "veth";
            int& index_field = is_veth ? info.peer_index : info.parent_index;
            std::string& name_field = is_veth ? info.peer_name : info.parent_name;
            std::uint64_t& netns_field = is_veth ? info.peer_netns : info.parent_netns;
            index_field = linked;
            if (remote) {
                dump.peer_netnsid[static_cast<int>(dump.facts.links.size())] = netnsid;
            } else {
                netns_field = dump.inode;
                name_field = names[linked];
            }
        }
        if (info.kind == "macvlan" || info.kind == "macvtap") {
            char mode[32];
            info.mode = rtnl_link_macvlan_mode2str(static_cast<int>(rtnl_link_macvlan_get_mode(link)), mode, sizeof(mode));
        } else if (info.kind == "ipvlan") {
            std::uint16_t mode_value = 0;
            char mode[32];
            if (rtnl_link_ipvlan_get_mode(link, &mode_value) == 0)
                info.mode = rtnl_link_ipvlan_mode2str(mode_value, mode, sizeof(mode));
        } else if (info.kind == "vlan") {
            info.vlan_id = rtnl_link_vlan_get_id(link);
        }
        dump.facts.links.push_back(std::move(info));
    }
}

void read_addresses(nl_sock* sock, NamespaceDump& dump, const std::map<int, std::string>& names)
{
    nl_cache* raw = nullptr;
    if (int error = rtnl_addr_alloc_cache(sock, &raw); error < 0) {
        dump.facts.warnings.push_back("net:[" + std::to_string(dump.inode) + "]: dump addresses: " + nl_geterror(error));
        return;
    }
    CachePtr cache(raw);
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        auto* addr = reinterpret_cast<rtnl_addr*>(object);
        AddressInfo info;
        info.netns = dump.inode;
        info.link_index = rtnl_addr_get_ifindex(addr);
        if (auto it = names.find(info.link_index); it != names.end())
            info.link_name = it->second;
        info.family = family_name(rtnl_addr_get_family(addr));
        info.address = addr_text(rtnl_addr_get_local(addr), true);
        info.scope = scope_name(rtnl_addr_get_scope(addr));
        dump.facts.addresses.push_back(std::move(info));
    }
}

void read_routes(nl_sock* sock, NamespaceDump& dump, const std::map<int, std::string>& names)
{
    nl_cache* raw = nullptr;
    if (int error = rtnl_route_alloc_cache(sock, AF_UNSPEC, 0, &raw); error < 0) {
        dump.facts.warnings.push_back("net:[" + std::to_string(dump.inode) + "]: dump routes: " + nl_geterror(error));
        return;
    }
    CachePtr cache(raw);
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        auto* route = reinterpret_cast<rtnl_route*>(object);
        RouteInfo info;
        info.netns = dump.inode;
        info.family = family_name(rtnl_route_get_family(route));
        char buffer[64];
        info.table = rtnl_route_table2str(static_cast<int>(rtnl_route_get_table(route)), buffer, sizeof(buffer));
        auto* dst = rtnl_route_get_dst(route);
        info.destination = (!dst || nl_addr_get_prefixlen(dst) == 0) ? "default" : addr_text(dst, true);
        // A host route prints without "/32"; keep the prefix so the key is unambiguous.
        if (dst && nl_addr_get_prefixlen(dst) > 0 && info.destination.find('/') == std::string::npos)
            info.destination += "/" + std::to_string(nl_addr_get_prefixlen(dst));
        if (rtnl_route_get_nnexthops(route) > 0) {
            auto* hop = rtnl_route_nexthop_n(route, 0);
            info.gateway = addr_text(rtnl_route_nh_get_gateway(hop), false);
            info.link_index = rtnl_route_nh_get_ifindex(hop);
            if (auto it = names.find(info.link_index); it != names.end())
                info.link_name = it->second;
        }
        info.protocol = rtnl_route_proto2str(rtnl_route_get_protocol(route), buffer, sizeof(buffer));
        info.scope = scope_name(rtnl_route_get_scope(route));
        info.metric = static_cast<int>(rtnl_route_get_priority(route));
        dump.facts.routes.push_back(std::move(info));
    }
}

void read_neighbours(nl_sock* sock, NamespaceDump& dump, const std::map<int, std::string>& names)
{
    nl_cache* raw = nullptr;
    // An AF_UNSPEC dump returns every family's entries, the bridge FDB (AF_BRIDGE) included.
    if (int error = rtnl_neigh_alloc_cache(sock, &raw); error < 0) {
        dump.facts.warnings.push_back("net:[" + std::to_string(dump.inode) + "]: dump neighbours: " + nl_geterror(error));
        return;
    }
    CachePtr cache(raw);
    auto name_of = [&](int index) {
        auto it = names.find(index);
        return it == names.end() ? std::string {} : it->second;
    };
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        auto* neigh = reinterpret_cast<rtnl_neigh*>(object);
        int family = rtnl_neigh_get_family(neigh);
        if (family == AF_BRIDGE) {
            FdbEntry entry;
            entry.netns = dump.inode;
            entry.port_index = rtnl_neigh_get_ifindex(neigh);
            entry.port_name = name_of(entry.port_index);
            entry.bridge_index = rtnl_neigh_get_master(neigh);
            entry.bridge_name = name_of(entry.bridge_index);
            entry.mac = addr_text(rtnl_neigh_get_lladdr(neigh), false);
            entry.vlan = std::max(0, rtnl_neigh_get_vlan(neigh));
            entry.state = neigh_state_name(rtnl_neigh_get_state(neigh));
            dump.facts.fdb.push_back(std::move(entry));
            continue;
        }
        NeighbourInfo info;
        info.netns = dump.inode;
        info.link_index = rtnl_neigh_get_ifindex(neigh);
        info.link_name = name_of(info.link_index);
        info.address = addr_text(rtnl_neigh_get_dst(neigh), false);
        info.mac = addr_text(rtnl_neigh_get_lladdr(neigh), false);
        info.state = neigh_state_name(rtnl_neigh_get_state(neigh));
        dump.facts.neighbours.push_back(std::move(info));
    }
}

// Reads one namespace; runs on the dedicated thread, already inside the namespace.
void dump_namespace(NamespaceDump& dump, const std::vector<std::pair<std::uint64_t, int>>& all_fds)
{
    SocketPtr sock(nl_socket_alloc());
    if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) < 0) {
        dump.facts.warnings.push_back("net:[" + std::to_string(dump.inode) + "]: cannot open an rtnetlink socket");
        return;
    }
    read_links(sock.get(), dump);
    std::map<int, std::string> names;
    for (const auto& link : dump.facts.links)
        names[link.index] = link.name;
    read_addresses(sock.get(), dump, names);
    read_routes(sock.get(), dump, names);
    read_neighbours(sock.get(), dump, names);

    // Resolve the netnsids our links mention, asking about each known namespace until all are
    // found (usually the host comes first and answers for every container veth).
    // A GET answers with one RTM_NEWNSID; an automatic ACK after it would be read as the answer to
    // the next query, so ask for none.
    nl_socket_disable_auto_ack(sock.get());
    std::map<std::int32_t, bool> wanted;
    for (const auto& [index, nsid] : dump.peer_netnsid)
        wanted[nsid] = true;
    size_t unresolved = wanted.size();
    for (const auto& [inode, fd] : all_fds) {
        if (unresolved == 0)
            break;
        if (inode == dump.inode)
            continue;
        auto nsid = query_nsid(sock.get(), fd);
        if (nsid >= 0 && wanted.count(nsid) && !dump.nsid_to_inode.count(nsid)) {
            dump.nsid_to_inode[nsid] = inode;
            --unresolved;
        }
    }
}

} // namespace

NetworkFacts read_network_namespaces(const std::vector<NetnsSource>& namespaces)
{
    NetworkFacts result;
    // Open every namespace first, so a namespace can be named from inside any other.
    std::vector<std::pair<std::uint64_t, int>> fds;
    std::vector<UniqueFd> owned;
    for (const auto& source : namespaces) {
        int fd = ::open(source.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            result.warnings.push_back("open network namespace " + source.path + ": "
                + std::system_category().message(errno));
            continue;
        }
        owned.emplace_back(fd);
        fds.emplace_back(source.inode, fd);
    }

    // Namespaces are independent, so a few threads read them side by side (each thread enters
    // one namespace at a time; all of them share the open fds, which setns(2) only reads).
    std::vector<NamespaceDump> dumps(fds.size());
    size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
    workers = std::max<size_t>(1, std::min(workers, (fds.size() + 7) / 8));
    std::vector<std::vector<std::string>> worker_warnings(workers);
    auto work = [&](size_t worker) {
        UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!home.valid()) {
            worker_warnings[worker].push_back("open /proc/thread-self/ns/net: " + std::system_category().message(errno));
            return;
        }
        for (size_t i = worker; i < fds.size(); i += workers) {
            dumps[i].inode = fds[i].first;
            if (::setns(fds[i].second, CLONE_NEWNET) != 0) {
                dumps[i].facts.warnings.push_back("enter net:[" + std::to_string(fds[i].first) + "]: "
                    + std::system_category().message(errno));
                continue;
            }
            dump_namespace(dumps[i], fds);
            // Go home after each namespace: if the next setns fails, this thread must not read
            // the previous namespace again under the next one's name.
            if (::setns(home.get(), CLONE_NEWNET) != 0) {
                dumps[i].facts.warnings.push_back("return to the collector's network namespace: "
                    + std::system_category().message(errno));
                // Without a way back the remaining namespaces cannot be read truthfully.
                break;
            }
        }
    };
    std::vector<std::thread> threads;
    for (size_t worker = 0; worker < workers; ++worker)
        threads.emplace_back(work, worker);
    for (auto& thread : threads)
        thread.join();
    for (auto& warnings : worker_warnings)
        result.warnings.insert(result.warnings.end(), warnings.begin(), warnings.end());

    // Name the peers and parents in other namespaces now that every namespace is read.
    for (auto& dump : dumps) {
        for (const auto& [position, nsid] : dump.peer_netnsid) {
            auto& link = dump.facts.links[static_cast<size_t>(position)];
            auto it = dump.nsid_to_inode.find(nsid);
            if (it == dump.nsid_to_inode.end())
                continue;
            bool is_veth = link.kind == "veth";
            int index = is_veth ? link.peer_index : link.parent_index;
            std::string name;
            for (const auto& other : dumps) {
                if (other.inode != it->second)
                    continue;
                for (const auto& candidate : other.facts.links) {
                    if (candidate.index == index)
                        name = candidate.name;
                }
            }
            (is_veth ? link.peer_netns : link.parent_netns) = it->second;
            (is_veth ? link.peer_name : link.parent_name) = name;
        }
    }
    // Only now move the facts out: the loop above reads other namespaces' links by name.
    for (auto& dump : dumps) {
        auto move_all = [](auto& from, auto& to) {
            for (auto& item : from)
                to.push_back(std::move(item));
        };
        move_all(dump.facts.links, result.links);
        move_all(dump.facts.addresses, result.addresses);
        move_all(dump.facts.routes, result.routes);
        move_all(dump.facts.neighbours, result.neighbours);
        move_all(dump.facts.fdb, result.fdb);
        move_all(dump.facts.warnings, result.warnings);
    }
    return result;
}

} // namespace engine::state::detail
