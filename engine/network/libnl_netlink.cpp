#include "engine/network/libnl_netlink.h"

#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "engine/base/fd.h"
#include "engine/sys/linux_kernel.h"
#include "engine/sys/netns.h"

namespace engine::network {

namespace {

struct SocketDeleter {
    void operator()(nl_sock* sock) const { nl_socket_free(sock); }
};
struct CacheDeleter {
    void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
struct LinkDeleter {
    void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
struct AddrDeleter {
    void operator()(nl_addr* addr) const { nl_addr_put(addr); }
};
struct RtnlAddrDeleter {
    void operator()(rtnl_addr* addr) const { rtnl_addr_put(addr); }
};
struct RouteDeleter {
    void operator()(rtnl_route* route) const { rtnl_route_put(route); }
};
using SocketPtr = std::unique_ptr<nl_sock, SocketDeleter>;
using CachePtr = std::unique_ptr<nl_cache, CacheDeleter>;
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using AddrPtr = std::unique_ptr<nl_addr, AddrDeleter>;
using RtnlAddrPtr = std::unique_ptr<rtnl_addr, RtnlAddrDeleter>;
using RoutePtr = std::unique_ptr<rtnl_route, RouteDeleter>;

// Turns a libnl error code into an Error whose kind callers can branch on.
Error nl_error(const std::string& what, int code)
{
    int nle = code < 0 ? -code : code;
    std::string message = what + ": " + nl_geterror(nle);
    switch (nle) {
    case NLE_EXIST:
        return Error::exists(message);
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
        return Error::not_found(message);
    case NLE_OPNOTSUPP:
        return Error::unsupported(message);
    case NLE_PERM:
        return Error::make(ErrorKind::PermissionDenied, message);
    default:
        return Error::system(message);
    }
}

Result<UniqueFd> open_netns(const std::string& netns)
{
    UniqueFd fd(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("open network namespace " + netns, errno);
    return fd;
}

// A connected rtnetlink socket in `netns` ("" = this thread's namespace). The socket keeps the
// namespace it was created in, so only its creation runs inside the namespace.
Result<SocketPtr> open_socket(const std::string& netns)
{
    auto connect = []() -> Result<SocketPtr> {
        SocketPtr sock(nl_socket_alloc());
        if (!sock)
            return Error::system("nl_socket_alloc failed");
        if (int rc = nl_connect(sock.get(), NETLINK_ROUTE); rc < 0)
            return nl_error("connect rtnetlink", rc);
        return sock;
    };
    if (netns.empty())
        return connect();
    Result<SocketPtr> result = Error::system("unreached");
    TRY(sys::run_in_netns(sys::linux_kernel(), netns, [&]() -> Result<void> {
        result = connect();
        return Ok {};
    }));
    return result;
}

Result<LinkPtr> fetch_link(nl_sock* sock, const std::string& name)
{
    rtnl_link* link = nullptr;
    int rc = rtnl_link_get_kernel(sock, 0, name.c_str(), &link);
    if (rc < 0)
        return nl_error("link " + name, rc);
    return LinkPtr(link);
}

std::string addr_string(nl_addr* addr, bool with_prefix)
{
    if (!addr)
        return "";
    char buffer[128];
    nl_addr2str(addr, buffer, sizeof buffer);
    std::string text = buffer;
    if (!with_prefix) {
        auto slash = text.find('/');
        if (slash != std::string::npos)
            text.resize(slash);
    }
    return text;
}

LinkAttributes to_info(rtnl_link* link)
{
    LinkAttributes info;
    info.index = rtnl_link_get_ifindex(link);
    info.name = rtnl_link_get_name(link) ? rtnl_link_get_name(link) : "";
    const char* type = rtnl_link_get_type(link);
    info.kind = type ? type : "";
    info.mac = addr_string(rtnl_link_get_addr(link), false);
    info.mtu = static_cast<int>(rtnl_link_get_mtu(link));
    info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    info.master_index = rtnl_link_get_master(link);
    info.parent_index = rtnl_link_get_link(link);
    char buffer[32];
    info.oper_state = rtnl_link_operstate2str(rtnl_link_get_operstate(link), buffer, sizeof buffer);
    std::int32_t netnsid = -1;
    if (rtnl_link_get_link_netnsid(link, &netnsid) == 0 && netnsid >= 0)
        info.link_netnsid = netnsid;
    info.counters.rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
    info.counters.rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
    info.counters.rx_errors = rtnl_link_get_stat(link, RTNL_LINK_RX_ERRORS);
    info.counters.rx_dropped = rtnl_link_get_stat(link, RTNL_LINK_RX_DROPPED);
    info.counters.tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
    info.counters.tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
    info.counters.tx_errors = rtnl_link_get_stat(link, RTNL_LINK_TX_ERRORS);
    info.counters.tx_dropped = rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED);
    if (info.kind == "macvlan" || info.kind == "macvtap") {
        auto mode = rtnl_link_macvlan_get_mode(link);
        info.mode = rtnl_link_macvlan_mode2str(static_cast<int>(mode), buffer, sizeof buffer);
    } else if (info.kind == "ipvlan") {
        std::uint16_t mode = 0;
        if (rtnl_link_ipvlan_get_mode(link, &mode) == 0)
            info.mode = rtnl_link_ipvlan_mode2str(mode, buffer, sizeof buffer);
    } else if (info.kind == "vlan") {
        info.vlan_id = rtnl_link_vlan_get_id(link);
    }
    return info;
}

Result<AddrPtr> parse_addr(const std::string& text, int family)
{
    nl_addr* addr = nullptr;
    if (int rc = nl_addr_parse(text.c_str(), family, &addr); rc < 0)
        return nl_error("parse address " + text, rc);
    return AddrPtr(addr);
}

// Applies `apply` to an empty change request for `name` and sends it.
template<typename Apply>
Result<void> change_link(const std::string& netns, const std::string& name, const std::string& what, Apply apply)
{
    auto sock = TRY(open_socket(netns));
    auto orig = TRY(fetch_link(sock.get(), name));
    LinkPtr change(rtnl_link_alloc());
    TRY(apply(change.get()));
    if (int rc = rtnl_link_change(sock.get(), orig.get(), change.get(), 0); rc < 0)
        return nl_error(what + " " + name, rc);
    return Ok {};
}

Result<RoutePtr> build_route(nl_sock* sock, const std::string& destination, const std::string& gateway,
    const std::string& link)
{
    // The family follows the text: "::/0", "fd42::/64" or an IPv6 gateway make an IPv6 route.
    int family = destination.find(':') != std::string::npos || gateway.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    RoutePtr route(rtnl_route_alloc());
    rtnl_route_set_family(route.get(), family);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    std::string any = family == AF_INET6 ? "::/0" : "0.0.0.0/0";
    auto dst = TRY(parse_addr(destination == "default" ? any : destination, family));
    if (int rc = rtnl_route_set_dst(route.get(), dst.get()); rc < 0)
        return nl_error("route destination " + destination, rc);
    rtnl_nexthop* hop = rtnl_route_nh_alloc();
    if (!link.empty()) {
        auto l = TRY(fetch_link(sock, link));
        rtnl_route_nh_set_ifindex(hop, rtnl_link_get_ifindex(l.get()));
    }
    if (!gateway.empty()) {
        auto gw = parse_addr(gateway, family);
        if (!gw.ok()) {
            rtnl_route_nh_free(hop);
            return gw.release_error();
        }
        rtnl_route_nh_set_gateway(hop, gw.value().get());
        rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
    } else {
        rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
    }
    rtnl_route_add_nexthop(route.get(), hop); // The route owns the hop from here.
    return route;
}

} // namespace

Result<std::vector<LinkAttributes>> LibnlNetlink::list_links(const std::string& netns)
{
    auto sock = TRY(open_socket(netns));
    nl_cache* raw = nullptr;
    if (int rc = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw); rc < 0)
        return nl_error("list links", rc);
    CachePtr cache(raw);
    std::vector<LinkAttributes> links;
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj))
        links.push_back(to_info(reinterpret_cast<rtnl_link*>(obj)));
    return links;
}

Result<LinkAttributes> LibnlNetlink::get_link(const std::string& netns, const std::string& name)
{
    auto sock = TRY(open_socket(netns));
    auto link = TRY(fetch_link(sock.get(), name));
    return to_info(link.get());
}

Result<void> LibnlNetlink::create_link(const std::string& netns, const LinkRequest& request)
{
    auto sock = TRY(open_socket(netns));
    std::string what = "create " + request.kind + " link " + request.name;
    LinkPtr link;
    UniqueFd peer_ns;
    if (request.kind == "veth") {
        link.reset(rtnl_link_veth_alloc());
        rtnl_link* peer = rtnl_link_veth_get_peer(link.get());
        rtnl_link_set_name(peer, request.peer_name.c_str());
        if (!request.peer_netns.empty()) {
            peer_ns = TRY(open_netns(request.peer_netns));
            rtnl_link_set_ns_fd(peer, peer_ns.get());
        }
        rtnl_link_put(peer);
    } else if (request.kind == "bridge") {
        link.reset(rtnl_link_alloc());
        if (int rc = rtnl_link_set_type(link.get(), "bridge"); rc < 0)
            return nl_error(what, rc);
    } else if (request.kind == "macvlan" || request.kind == "ipvlan" || request.kind == "vlan") {
        if (request.parent.empty())
            return Error::invalid(what + ": a " + request.kind + " link needs a parent");
        auto parent = TRY(fetch_link(sock.get(), request.parent));
        if (request.kind == "macvlan") {
            link.reset(rtnl_link_macvlan_alloc());
            int mode = rtnl_link_macvlan_str2mode(request.mode.empty() ? "bridge" : request.mode.c_str());
            if (mode < 0)
                return Error::invalid(what + ": unknown macvlan mode \"" + request.mode + "\"");
            rtnl_link_macvlan_set_mode(link.get(), static_cast<uint32_t>(mode));
        } else if (request.kind == "ipvlan") {
            link.reset(rtnl_link_ipvlan_alloc());
            int mode = rtnl_link_ipvlan_str2mode(request.mode.empty() ? "l2" : request.mode.c_str());
            if (mode < 0)
                return Error::invalid(what + ": unknown ipvlan mode \"" + request.mode + "\"");
            rtnl_link_ipvlan_set_mode(link.get(), static_cast<uint16_t>(mode));
        } else {
            link.reset(rtnl_link_vlan_alloc());
            if (request.vlan_id < 1 || request.vlan_id > 4094)
                return Error::invalid(what + ": VLAN id must be 1..4094");
            rtnl_link_vlan_set_id(link.get(), request.vlan_id);
        }
        rtnl_link_set_link(link.get(), rtnl_link_get_ifindex(parent.get()));
    } else {
        return Error::invalid(what + ": unknown link kind");
    }
    if (!link)
        return Error::system(what + ": allocation failed");
    rtnl_link_set_name(link.get(), request.name.c_str());
    if (request.mtu > 0)
        rtnl_link_set_mtu(link.get(), static_cast<unsigned>(request.mtu));
    if (!request.mac.empty()) {
        auto mac = TRY(parse_addr(request.mac, AF_LLC));
        rtnl_link_set_addr(link.get(), mac.get());
    }
    if (int rc = rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
        return nl_error(what, rc);
    return Ok {};
}

Result<void> LibnlNetlink::delete_link(const std::string& netns, const std::string& name)
{
    auto sock = TRY(open_socket(netns));
    auto link = TRY(fetch_link(sock.get(), name));
    if (int rc = rtnl_link_delete(sock.get(), link.get()); rc < 0)
        return nl_error("delete link " + name, rc);
    return Ok {};
}

Result<void> LibnlNetlink::move_link(const std::string& netns, const std::string& name,
    const std::string& target_netns, const std::string& new_name)
{
    auto target = TRY(open_netns(target_netns));
    return change_link(netns, name, "move link to " + target_netns, [&](rtnl_link* change) -> Result<void> {
        rtnl_link_set_ns_fd(change, target.get());
        if (!new_name.empty() && new_name != name)
            rtnl_link_set_name(change, new_name.c_str());
        return Ok {};
    });
}

Result<void> LibnlNetlink::set_link_up(const std::string& netns, const std::string& name, bool up)
{
    return change_link(netns, name, up ? "set up" : "set down", [&](rtnl_link* change) -> Result<void> {
        if (up)
            rtnl_link_set_flags(change, IFF_UP);
        else
            rtnl_link_unset_flags(change, IFF_UP);
        return Ok {};
    });
}

Result<void> LibnlNetlink::set_link_master(const std::string& netns, const std::string& name,
    const std::string& master)
{
    auto sock = TRY(open_socket(netns));
    auto slave = TRY(fetch_link(sock.get(), name));
    int rc = 0;
    if (master.empty()) {
        rc = rtnl_link_release_ifindex(sock.get(), rtnl_link_get_ifindex(slave.get()));
    } else {
        auto bridge = TRY(fetch_link(sock.get(), master));
        rc = rtnl_link_enslave_ifindex(sock.get(), rtnl_link_get_ifindex(bridge.get()),
            rtnl_link_get_ifindex(slave.get()));
    }
    if (rc < 0)
        return nl_error("set master of " + name + " to \"" + master + "\"", rc);
    return Ok {};
}

Result<void> LibnlNetlink::set_link_mtu(const std::string& netns, const std::string& name, int mtu)
{
    return change_link(netns, name, "set mtu", [&](rtnl_link* change) -> Result<void> {
        rtnl_link_set_mtu(change, static_cast<unsigned>(mtu));
        return Ok {};
    });
}

Result<void> LibnlNetlink::set_link_mac(const std::string& netns, const std::string& name, const std::string& mac)
{
    auto addr = TRY(parse_addr(mac, AF_LLC));
    return change_link(netns, name, "set mac", [&](rtnl_link* change) -> Result<void> {
        rtnl_link_set_addr(change, addr.get());
        return Ok {};
    });
}

Result<std::vector<AddressInfo>> LibnlNetlink::list_addresses(const std::string& netns)
{
    auto sock = TRY(open_socket(netns));
    nl_cache* raw = nullptr;
    if (int rc = rtnl_addr_alloc_cache(sock.get(), &raw); rc < 0)
        return nl_error("list addresses", rc);
    CachePtr cache(raw);
    std::vector<AddressInfo> addresses;
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        auto* addr = reinterpret_cast<rtnl_addr*>(obj);
        addresses.push_back({ rtnl_addr_get_ifindex(addr), addr_string(rtnl_addr_get_local(addr), false),
            rtnl_addr_get_prefixlen(addr), rtnl_addr_get_family(addr) });
    }
    return addresses;
}

namespace {

Result<RtnlAddrPtr> build_addr(nl_sock* sock, const std::string& link, const std::string& address, int prefix_length)
{
    auto l = TRY(fetch_link(sock, link));
    bool v6 = address.find(':') != std::string::npos;
    auto local = TRY(parse_addr(address + "/" + std::to_string(prefix_length), v6 ? AF_INET6 : AF_INET));
    RtnlAddrPtr addr(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(l.get()));
    if (int rc = rtnl_addr_set_local(addr.get(), local.get()); rc < 0)
        return nl_error("address " + address, rc);
    // IPv6 addresses glassbox hands out are unique by IPAM on segments only it uses, so duplicate
    // address detection would only keep them tentative (unusable) for a second or more after
    // each start; dockerd adds its IPv6 addresses with IFA_F_NODAD for the same reason.
    if (v6)
        rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    return addr;
}

} // namespace

Result<void> LibnlNetlink::add_address(const std::string& netns, const std::string& link,
    const std::string& address, int prefix_length)
{
    auto sock = TRY(open_socket(netns));
    auto addr = TRY(build_addr(sock.get(), link, address, prefix_length));
    if (int rc = rtnl_addr_add(sock.get(), addr.get(), 0); rc < 0)
        return nl_error("add address " + address + " to " + link, rc);
    return Ok {};
}

Result<void> LibnlNetlink::delete_address(const std::string& netns, const std::string& link,
    const std::string& address, int prefix_length)
{
    auto sock = TRY(open_socket(netns));
    auto addr = TRY(build_addr(sock.get(), link, address, prefix_length));
    if (int rc = rtnl_addr_delete(sock.get(), addr.get(), 0); rc < 0)
        return nl_error("delete address " + address + " from " + link, rc);
    return Ok {};
}

Result<std::vector<RouteInfo>> LibnlNetlink::list_routes(const std::string& netns)
{
    auto sock = TRY(open_socket(netns));
    nl_cache* raw = nullptr;
    if (int rc = rtnl_route_alloc_cache(sock.get(), AF_INET, 0, &raw); rc < 0)
        return nl_error("list routes", rc);
    CachePtr cache(raw);
    std::vector<RouteInfo> routes;
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        auto* route = reinterpret_cast<rtnl_route*>(obj);
        RouteInfo info;
        nl_addr* dst = rtnl_route_get_dst(route);
        info.destination = dst && nl_addr_get_prefixlen(dst) > 0 ? addr_string(dst, true) : "0.0.0.0/0";
        if (dst && nl_addr_get_prefixlen(dst) == 32 && info.destination.find('/') == std::string::npos)
            info.destination += "/32";
        info.table = static_cast<int>(rtnl_route_get_table(route));
        info.scope = rtnl_route_get_scope(route);
        info.protocol = rtnl_route_get_protocol(route);
        if (rtnl_route_get_nnexthops(route) > 0) {
            rtnl_nexthop* hop = rtnl_route_nexthop_n(route, 0);
            info.link_index = rtnl_route_nh_get_ifindex(hop);
            info.gateway = addr_string(rtnl_route_nh_get_gateway(hop), false);
        }
        routes.push_back(std::move(info));
    }
    return routes;
}

Result<void> LibnlNetlink::add_route(const std::string& netns, const std::string& destination,
    const std::string& gateway, const std::string& link)
{
    auto sock = TRY(open_socket(netns));
    auto route = TRY(build_route(sock.get(), destination, gateway, link));
    if (int rc = rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
        return nl_error("add route " + destination + (gateway.empty() ? "" : " via " + gateway), rc);
    return Ok {};
}

Result<void> LibnlNetlink::delete_route(const std::string& netns, const std::string& destination,
    const std::string& gateway, const std::string& link)
{
    auto sock = TRY(open_socket(netns));
    auto route = TRY(build_route(sock.get(), destination, gateway, link));
    if (int rc = rtnl_route_delete(sock.get(), route.get(), 0); rc < 0)
        return nl_error("delete route " + destination, rc);
    return Ok {};
}

namespace {

Result<CachePtr> neighbour_cache(nl_sock* sock)
{
    nl_cache* raw = nullptr;
    if (int rc = rtnl_neigh_alloc_cache(sock, &raw); rc < 0)
        return nl_error("list neighbours", rc);
    return CachePtr(raw);
}

} // namespace

Result<std::vector<NeighbourInfo>> LibnlNetlink::list_neighbours(const std::string& netns)
{
    auto sock = TRY(open_socket(netns));
    auto cache = TRY(neighbour_cache(sock.get()));
    std::vector<NeighbourInfo> result;
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        auto* neigh = reinterpret_cast<rtnl_neigh*>(obj);
        if (rtnl_neigh_get_family(neigh) != AF_INET)
            continue;
        result.push_back({ rtnl_neigh_get_ifindex(neigh), addr_string(rtnl_neigh_get_dst(neigh), false),
            addr_string(rtnl_neigh_get_lladdr(neigh), false), rtnl_neigh_get_state(neigh) });
    }
    return result;
}

Result<std::vector<FdbEntry>> LibnlNetlink::list_fdb(const std::string& netns)
{
    auto sock = TRY(open_socket(netns));
    auto cache = TRY(neighbour_cache(sock.get()));
    std::vector<FdbEntry> result;
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        auto* neigh = reinterpret_cast<rtnl_neigh*>(obj);
        if (rtnl_neigh_get_family(neigh) != AF_BRIDGE)
            continue;
        result.push_back({ rtnl_neigh_get_ifindex(neigh), rtnl_neigh_get_master(neigh),
            addr_string(rtnl_neigh_get_lladdr(neigh), false), rtnl_neigh_get_vlan(neigh),
            (rtnl_neigh_get_state(neigh) & NUD_PERMANENT) != 0 });
    }
    return result;
}

// [SECTION] Namespace dumps

namespace {

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

// RTM_GETNSID (rtnetlink(7), net/core/net_namespace.c): the id the socket's namespace has for
// the namespace behind `fd`, or -1 when it has none (the kernel does not assign one for a GET).
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

void dump_links(nl_sock* sock, NamespaceDump& dump)
{
    nl_cache* raw = nullptr;
    if (int error = rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw); error < 0) {
        dump.warnings.push_back(std::string("dump links: ") + nl_geterror(error));
        return;
    }
    CachePtr cache(raw);
    // Bridge port states come with the AF_BRIDGE dump (IFLA_PROTINFO); only a link with a master
    // gets one, so a namespace without such a link (most containers') skips that dump.
    bool has_ports = false;
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object))
        has_ports = has_ports || rtnl_link_get_master(reinterpret_cast<rtnl_link*>(object)) > 0;
    std::map<int, std::string> port_states;
    nl_cache* bridge_raw = nullptr;
    if (has_ports && rtnl_link_alloc_cache(sock, AF_BRIDGE, &bridge_raw) >= 0) {
        CachePtr bridge_cache(bridge_raw);
        for (auto* object = nl_cache_get_first(bridge_cache.get()); object; object = nl_cache_get_next(object)) {
            auto* link = reinterpret_cast<rtnl_link*>(object);
            if (rtnl_link_get_master(link) > 0)
                port_states[rtnl_link_get_ifindex(link)] = bridge_port_state_name(rtnl_link_bridge_get_port_state(link));
        }
    }
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        DumpedLink dumped { to_info(reinterpret_cast<rtnl_link*>(object)), "" };
        if (dumped.link.master_index > 0)
            if (auto it = port_states.find(dumped.link.index); it != port_states.end())
                dumped.bridge_port_state = it->second;
        dump.links.push_back(std::move(dumped));
    }
}

void dump_addresses(nl_sock* sock, NamespaceDump& dump)
{
    nl_cache* raw = nullptr;
    if (int error = rtnl_addr_alloc_cache(sock, &raw); error < 0) {
        dump.warnings.push_back(std::string("dump addresses: ") + nl_geterror(error));
        return;
    }
    CachePtr cache(raw);
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        auto* addr = reinterpret_cast<rtnl_addr*>(object);
        dump.addresses.push_back({ rtnl_addr_get_ifindex(addr), family_name(rtnl_addr_get_family(addr)),
            addr_string(rtnl_addr_get_local(addr), true), scope_name(rtnl_addr_get_scope(addr)) });
    }
}

void dump_routes(nl_sock* sock, NamespaceDump& dump)
{
    nl_cache* raw = nullptr;
    if (int error = rtnl_route_alloc_cache(sock, AF_UNSPEC, 0, &raw); error < 0) {
        dump.warnings.push_back(std::string("dump routes: ") + nl_geterror(error));
        return;
    }
    CachePtr cache(raw);
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        auto* route = reinterpret_cast<rtnl_route*>(object);
        DumpedRoute info;
        info.family = family_name(rtnl_route_get_family(route));
        char buffer[64];
        info.table = rtnl_route_table2str(static_cast<int>(rtnl_route_get_table(route)), buffer, sizeof(buffer));
        auto* dst = rtnl_route_get_dst(route);
        info.destination = (!dst || nl_addr_get_prefixlen(dst) == 0) ? "default" : addr_string(dst, true);
        // A host route prints without "/32"; keep the prefix so the key is unambiguous.
        if (dst && nl_addr_get_prefixlen(dst) > 0 && info.destination.find('/') == std::string::npos)
            info.destination += "/" + std::to_string(nl_addr_get_prefixlen(dst));
        if (rtnl_route_get_nnexthops(route) > 0) {
            auto* hop = rtnl_route_nexthop_n(route, 0);
            info.gateway = addr_string(rtnl_route_nh_get_gateway(hop), false);
            info.link_index = rtnl_route_nh_get_ifindex(hop);
        }
        info.protocol = rtnl_route_proto2str(rtnl_route_get_protocol(route), buffer, sizeof(buffer));
        info.scope = scope_name(rtnl_route_get_scope(route));
        info.metric = static_cast<int>(rtnl_route_get_priority(route));
        dump.routes.push_back(std::move(info));
    }
}

void dump_neighbours(nl_sock* sock, NamespaceDump& dump)
{
    nl_cache* raw = nullptr;
    // An AF_UNSPEC dump returns every family's entries, the bridge FDB (AF_BRIDGE) included.
    if (int error = rtnl_neigh_alloc_cache(sock, &raw); error < 0) {
        dump.warnings.push_back(std::string("dump neighbours: ") + nl_geterror(error));
        return;
    }
    CachePtr cache(raw);
    for (auto* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
        auto* neigh = reinterpret_cast<rtnl_neigh*>(object);
        if (rtnl_neigh_get_family(neigh) == AF_BRIDGE) {
            dump.fdb.push_back({ rtnl_neigh_get_ifindex(neigh), rtnl_neigh_get_master(neigh),
                addr_string(rtnl_neigh_get_lladdr(neigh), false), std::max(0, rtnl_neigh_get_vlan(neigh)),
                neigh_state_name(rtnl_neigh_get_state(neigh)) });
            continue;
        }
        dump.neighbours.push_back({ rtnl_neigh_get_ifindex(neigh), addr_string(rtnl_neigh_get_dst(neigh), false),
            addr_string(rtnl_neigh_get_lladdr(neigh), false), neigh_state_name(rtnl_neigh_get_state(neigh)) });
    }
}

// Asks about each candidate namespace in turn until every netnsid the links mention is known
// (usually the host comes first and answers for every container veth).
void resolve_netnsids(nl_sock* sock, const std::string& netns, const std::vector<std::string>& others,
    NamespaceDump& dump)
{
    std::map<std::int32_t, bool> wanted;
    for (const auto& dumped : dump.links)
        if (dumped.link.link_netnsid >= 0)
            wanted[dumped.link.link_netnsid] = true;
    size_t unresolved = wanted.size();
    if (unresolved == 0)
        return;
    // A GET answers with one RTM_NEWNSID; an automatic ACK after it would be read as the answer
    // to the next query, so ask for none.
    nl_socket_disable_auto_ack(sock);
    for (size_t i = 0; i < others.size() && unresolved > 0; ++i) {
        if (others[i] == netns)
            continue;
        UniqueFd fd(::open(others[i].c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd.valid())
            continue;
        auto nsid = query_nsid(sock, fd.get());
        if (nsid >= 0 && wanted.count(nsid) && !dump.other_of_netnsid.count(nsid)) {
            dump.other_of_netnsid[nsid] = i;
            --unresolved;
        }
    }
    // A watch's dump socket is used again: leave it as the caches' dumps expect it (acks on, and
    // no handler pointing at this frame's reply).
    nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_DEFAULT, nullptr, nullptr);
    nl_socket_enable_auto_ack(sock);
}

NamespaceDump dump_through(nl_sock* sock, const std::string& netns, const std::vector<std::string>& others)
{
    NamespaceDump dump;
    dump_links(sock, dump);
    dump_addresses(sock, dump);
    dump_routes(sock, dump);
    dump_neighbours(sock, dump);
    resolve_netnsids(sock, netns, others, dump);
    return dump;
}

// The multicast groups whose messages report a change to something a dump shows: RTM_NEWLINK
// and RTM_DELLINK (a bridge port's STP state comes as an AF_BRIDGE RTM_NEWLINK on the same group,
// br_ifinfo_notify; an operational state change through linkwatch as well), addresses and routes
// of both families, RTM_NEWNEIGH and RTM_DELNEIGH (ARP and NDP entries, and the bridge FDB,
// fdb_notify), and RTM_NEWNSID and RTM_DELNSID (the ids IFLA_LINK_NETNSID refers by).
constexpr int watched_groups[] = { RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
    RTNLGRP_IPV6_ROUTE, RTNLGRP_NEIGH, RTNLGRP_NSID };

// A watch: a socket subscribed to watched_groups and a second one for dumps, both opened inside
// the namespace once. The subscribed socket never sends, so everything it receives is news.
class LibnlWatch final : public NamespaceWatch {
public:
    LibnlWatch(SocketPtr events, SocketPtr dump)
        : m_events(std::move(events))
        , m_dump(std::move(dump))
    {
    }

    bool changed() override
    {
        bool arrived = false;
        int fd = nl_socket_get_fd(m_events.get());
        char buffer[8192];
        for (;;) {
            // MSG_TRUNC: only whether something came matters, so a longer message is cut short.
            auto length = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT | MSG_TRUNC);
            if (length >= 0) {
                arrived = true;
                continue;
            }
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return arrived;
            // ENOBUFS: the queue overflowed and notifications were lost; anything else leaves
            // the socket unusable. Either way the namespace may have changed.
            if (errno == ENOBUFS)
                arrived = true;
            else
                return true;
        }
    }

    nl_sock* dump_socket() { return m_dump.get(); }

private:
    SocketPtr m_events;
    SocketPtr m_dump;
};

Result<SocketPtr> subscribe()
{
    SocketPtr sock(nl_socket_alloc());
    if (!sock)
        return Error::system("nl_socket_alloc failed");
    nl_socket_disable_seq_check(sock.get());
    if (int rc = nl_connect(sock.get(), NETLINK_ROUTE); rc < 0)
        return nl_error("connect rtnetlink", rc);
    for (int group : watched_groups)
        if (int rc = nl_socket_add_membership(sock.get(), group); rc < 0)
            return nl_error("join rtnetlink group " + std::to_string(group), rc);
    if (int rc = nl_socket_set_nonblocking(sock.get()); rc < 0)
        return nl_error("make rtnetlink socket non-blocking", rc);
    return sock;
}

} // namespace

Result<NamespaceDump> LibnlNetlink::dump_namespace(const std::string& netns, const std::vector<std::string>& others)
{
    auto sock = TRY(open_socket(netns));
    return dump_through(sock.get(), netns, others);
}

Result<std::unique_ptr<NamespaceWatch>> LibnlNetlink::watch_namespace(const std::string& netns)
{
    // Both sockets are made on one visit to the namespace (one thread, one setns).
    Result<SocketPtr> events = Error::system("unreached");
    Result<SocketPtr> dump = Error::system("unreached");
    auto open_both = [&]() -> Result<void> {
        events = subscribe();
        if (events.ok())
            dump = open_socket("");
        // The dump socket serves many dumps. RTM_GETNSID queries (resolve_netnsids) are sent
        // without acks, so libnl counts their sequence numbers as sent but never as answered,
        // and its strict check would refuse every later dump's reply as out of order; each
        // request on this socket is read to its end before the next is sent, so nothing stray
        // is left for a check to catch.
        if (dump.ok())
            nl_socket_disable_seq_check(dump.value().get());
        return Ok {};
    };
    if (netns.empty())
        TRY(open_both());
    else
        TRY(sys::run_in_netns(sys::linux_kernel(), netns, open_both));
    if (!events.ok())
        return events.release_error().with_context("watch network namespace " + (netns.empty() ? "of the host" : netns));
    if (!dump.ok())
        return dump.release_error().with_context("watch network namespace " + (netns.empty() ? "of the host" : netns));
    return std::unique_ptr<NamespaceWatch>(std::make_unique<LibnlWatch>(events.release_value(), dump.release_value()));
}

Result<NamespaceDump> LibnlNetlink::dump_watched(NamespaceWatch& watch, const std::string& netns,
    const std::vector<std::string>& others)
{
    auto* own = dynamic_cast<LibnlWatch*>(&watch);
    if (!own)
        return dump_namespace(netns, others);
    return dump_through(own->dump_socket(), netns, others);
}

} // namespace engine::network
