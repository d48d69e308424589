// LibnlNetlink: the real Netlink, on libnl-route-3. Each call opens a rtnetlink socket in the
// namespace it names (through sys::run_in_netns: a helper thread enters the netns file, opens the
// socket and exits; the socket stays bound to that namespace), so the daemon's own threads never
// change namespace.
#pragma once

#include "engine/network/netlink.h"

namespace engine::network {

class LibnlNetlink final : public Netlink {
public:
    Result<std::vector<LinkAttributes>> list_links(const std::string& netns) override;
    Result<LinkAttributes> get_link(const std::string& netns, const std::string& name) override;
    Result<void> create_link(const std::string& netns, const LinkRequest& request) override;
    Result<void> delete_link(const std::string& netns, const std::string& name) override;
    Result<void> move_link(const std::string& netns, const std::string& name,
        const std::string& target_netns, const std::string& new_name) override;
    Result<void> set_link_up(const std::string& netns, const std::string& name, bool up) override;
    Result<void> set_link_master(const std::string& netns, const std::string& name,
        const std::string& master) override;
    Result<void> set_link_mtu(const std::string& netns, const std::string& name, int mtu) override;
    Result<void> set_link_mac(const std::string& netns, const std::string& name,
        const std::string& mac) override;
    Result<std::vector<AddressInfo>> list_addresses(const std::string& netns) override;
    Result<void> add_address(const std::string& netns, const std::string& link,
        const std::string& address, int prefix_length) override;
    Result<void> delete_address(const std::string& netns, const std::string& link,
        const std::string& address, int prefix_length) override;
    Result<std::vector<RouteInfo>> list_routes(const std::string& netns) override;
    Result<void> add_route(const std::string& netns, const std::string& destination,
        const std::string& gateway, const std::string& link) override;
    Result<void> delete_route(const std::string& netns, const std::string& destination,
        const std::string& gateway, const std::string& link) override;
    Result<std::vector<NeighbourInfo>> list_neighbours(const std::string& netns) override;
    Result<std::vector<FdbEntry>> list_fdb(const std::string& netns) override;
    Result<NamespaceDump> dump_namespace(const std::string& netns, const std::vector<std::string>& others) override;
    // A watch keeps two sockets made inside the namespace: one subscribed to the groups that
    // announce changes, one that dump_watched dumps through.
    Result<std::unique_ptr<NamespaceWatch>> watch_namespace(const std::string& netns) override;
    Result<NamespaceDump> dump_watched(NamespaceWatch& watch, const std::string& netns,
        const std::vector<std::string>& others) override;
};

} // namespace engine::network
