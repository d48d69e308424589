// sim::FakeNetlink: an in-memory rtnetlink for unit tests and the simulated kernel. Each namespace
// (keyed by its file path, "" = host) holds links, addresses and routes; every call is recorded
// as a line ("create_link  veth gb-1234 peer eth0@/run/.../netns/c1") that tests assert on.
// It checks what the kernel would: names unique per namespace, parents and masters exist.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/network/netlink.h"

namespace engine::sim {

using network::AddressInfo;
using network::FdbEntry;
using network::LinkAttributes;
using network::LinkRequest;
using network::NamespaceDump;
using network::NeighbourInfo;
using network::RouteInfo;

class FakeNetlink final : public network::Netlink {
public:
    FakeNetlink();

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
    // The model as a dump; netnsids are the positions in `others` of the peer's namespace.
    Result<NamespaceDump> dump_namespace(const std::string& netns, const std::vector<std::string>& others) override;
    // Its watches report a change on every call, so a collection through FakeNetlink dumps every
    // namespace, caches or not: the calls a test sees do not depend on what came before.
    Result<std::unique_ptr<network::NamespaceWatch>> watch_namespace(const std::string& netns) override;

    // Every call so far, one line each.
    std::vector<std::string> calls() const;

private:
    struct Namespace {
        std::vector<LinkAttributes> links;
        std::vector<AddressInfo> addresses;
        std::vector<RouteInfo> routes;
    };
    Namespace& ns(const std::string& netns);
    LinkAttributes* find(const std::string& netns, const std::string& name);
    void record(std::string line);
    void remove_link_state(const std::string& netns, int index);

    mutable std::mutex m_mutex;
    std::map<std::string, Namespace> m_namespaces;
    std::vector<std::string> m_calls;
    int m_next_index { 2 };
};

} // namespace engine::sim
