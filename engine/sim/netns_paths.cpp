#include "engine/sim/netns_paths.h"

#include <filesystem>

#include "engine/base/strings.h"
#include "engine/sim/net/sim_network.h"
#include "engine/sim/sim_kernel.h"

namespace engine::sim {

NamespacePathNetlink::NamespacePathNetlink(SimKernel& kernel, SimNetwork& network)
    : m_kernel(kernel)
    , m_network(network)
{
}

std::string NamespacePathNetlink::key_of(const std::string& netns) const
{
    if (netns.empty() || m_network.has_namespace(netns))
        return netns;
    std::error_code error;
    auto target = std::filesystem::read_symlink(netns, error).string();
    if (error || !strings::starts_with(target, "net:[") || !strings::ends_with(target, "]"))
        return netns;
    auto inode = std::strtoull(target.substr(5, target.size() - 6).c_str(), nullptr, 10);
    return inode == m_kernel.host_namespace("net") ? std::string() : m_kernel.netns_name(inode);
}

Result<std::vector<network::LinkAttributes>> NamespacePathNetlink::list_links(const std::string& netns)
{
    return m_network.list_links(key_of(netns));
}

Result<network::LinkAttributes> NamespacePathNetlink::get_link(const std::string& netns, const std::string& name)
{
    return m_network.get_link(key_of(netns), name);
}

Result<void> NamespacePathNetlink::create_link(const std::string& netns, const network::LinkRequest& request)
{
    return m_network.create_link(key_of(netns), request);
}

Result<void> NamespacePathNetlink::delete_link(const std::string& netns, const std::string& name)
{
    return m_network.delete_link(key_of(netns), name);
}

Result<void> NamespacePathNetlink::move_link(const std::string& netns, const std::string& name,
    const std::string& target_netns, const std::string& new_name)
{
    return m_network.move_link(key_of(netns), name, key_of(target_netns), new_name);
}

Result<void> NamespacePathNetlink::set_link_up(const std::string& netns, const std::string& name, bool up)
{
    return m_network.set_link_up(key_of(netns), name, up);
}

Result<void> NamespacePathNetlink::set_link_master(const std::string& netns, const std::string& name,
    const std::string& master)
{
    return m_network.set_link_master(key_of(netns), name, master);
}

Result<void> NamespacePathNetlink::set_link_mtu(const std::string& netns, const std::string& name, int mtu)
{
    return m_network.set_link_mtu(key_of(netns), name, mtu);
}

Result<void> NamespacePathNetlink::set_link_mac(const std::string& netns, const std::string& name, const std::string& mac)
{
    return m_network.set_link_mac(key_of(netns), name, mac);
}

Result<std::vector<network::AddressInfo>> NamespacePathNetlink::list_addresses(const std::string& netns)
{
    return m_network.list_addresses(key_of(netns));
}

Result<void> NamespacePathNetlink::add_address(const std::string& netns, const std::string& link,
    const std::string& address, int prefix_length)
{
    return m_network.add_address(key_of(netns), link, address, prefix_length);
}

Result<void> NamespacePathNetlink::delete_address(const std::string& netns, const std::string& link,
    const std::string& address, int prefix_length)
{
    return m_network.delete_address(key_of(netns), link, address, prefix_length);
}

Result<std::vector<network::RouteInfo>> NamespacePathNetlink::list_routes(const std::string& netns)
{
    return m_network.list_routes(key_of(netns));
}

Result<void> NamespacePathNetlink::add_route(const std::string& netns, const std::string& destination,
    const std::string& gateway, const std::string& link)
{
    return m_network.add_route(key_of(netns), destination, gateway, link);
}

Result<void> NamespacePathNetlink::delete_route(const std::string& netns, const std::string& destination,
    const std::string& gateway, const std::string& link)
{
    return m_network.delete_route(key_of(netns), destination, gateway, link);
}

Result<std::vector<network::NeighbourInfo>> NamespacePathNetlink::list_neighbours(const std::string& netns)
{
    return m_network.list_neighbours(key_of(netns));
}

Result<std::vector<network::FdbEntry>> NamespacePathNetlink::list_fdb(const std::string& netns)
{
    return m_network.list_fdb(key_of(netns));
}

Result<network::NamespaceDump> NamespacePathNetlink::dump_namespace(const std::string& netns,
    const std::vector<std::string>& others)
{
    // The netnsids of the dump index `others`, so each keeps its position.
    std::vector<std::string> keys;
    keys.reserve(others.size());
    for (const auto& other : others)
        keys.push_back(key_of(other));
    return m_network.dump_namespace(key_of(netns), keys);
}

Result<std::unique_ptr<network::NamespaceWatch>> NamespacePathNetlink::watch_namespace(const std::string& netns)
{
    return m_network.watch_namespace(key_of(netns));
}

} // namespace engine::sim
