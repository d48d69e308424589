// sim::NamespacePathNetlink: the simulated network stack as the engine above the seam uses it.
// SimNetwork keys a namespace by the string the network manager made it with ("" for the host,
// else its netns file). The real rtnetlink client accepts any file that refers to a namespace,
// and the state collector passes such files: <procfs>/self/ns/net for the host's and
// <procfs>/<pid>/ns/net for a process's. In the simulated procfs those are symlinks to
// "net:[<inode>]", so this adapter turns them into SimNetwork's key through the simulated
// kernel (SimKernel::netns_name) and forwards every call.
#pragma once

#include <string>
#include <vector>

#include "engine/network/netlink.h"

namespace engine::sim {

class SimKernel;
class SimNetwork;

class NamespacePathNetlink final : public network::Netlink {
public:
    NamespacePathNetlink(SimKernel& kernel, SimNetwork& network);

    // SimNetwork's key for what `netns` names: itself when SimNetwork knows it or it is no
    // namespace link; the bound netns file (or "" for the host) of the inode a
    // "net:[<inode>]" symlink points to.
    std::string key_of(const std::string& netns) const;

    Result<std::vector<network::LinkAttributes>> list_links(const std::string& netns) override;
    Result<network::LinkAttributes> get_link(const std::string& netns, const std::string& name) override;
    Result<void> create_link(const std::string& netns, const network::LinkRequest& request) override;
    Result<void> delete_link(const std::string& netns, const std::string& name) override;
    Result<void> move_link(const std::string& netns, const std::string& name, const std::string& target_netns,
        const std::string& new_name) override;
    Result<void> set_link_up(const std::string& netns, const std::string& name, bool up) override;
    Result<void> set_link_master(const std::string& netns, const std::string& name, const std::string& master) override;
    Result<void> set_link_mtu(const std::string& netns, const std::string& name, int mtu) override;
    Result<void> set_link_mac(const std::string& netns, const std::string& name, const std::string& mac) override;
    Result<std::vector<network::AddressInfo>> list_addresses(const std::string& netns) override;
    Result<void> add_address(const std::string& netns, const std::string& link, const std::string& address,
        int prefix_length) override;
    Result<void> delete_address(const std::string& netns, const std::string& link, const std::string& address,
        int prefix_length) override;
    Result<std::vector<network::RouteInfo>> list_routes(const std::string& netns) override;
    Result<void> add_route(const std::string& netns, const std::string& destination, const std::string& gateway,
        const std::string& link) override;
    Result<void> delete_route(const std::string& netns, const std::string& destination, const std::string& gateway,
        const std::string& link) override;
    Result<std::vector<network::NeighbourInfo>> list_neighbours(const std::string& netns) override;
    Result<std::vector<network::FdbEntry>> list_fdb(const std::string& netns) override;
    Result<network::NamespaceDump> dump_namespace(const std::string& netns,
        const std::vector<std::string>& others) override;
    Result<std::unique_ptr<network::NamespaceWatch>> watch_namespace(const std::string& netns) override;

private:
    SimKernel& m_kernel;
    SimNetwork& m_network;
};

} // namespace engine::sim
