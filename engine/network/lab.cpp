#include "engine/network/lab.h"

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/network/ipv4.h"
#include "engine/network/ipv6.h"
#include "engine/network/sandbox.h"

namespace engine::network {

namespace {

constexpr const char* LabNetnsName = "glassbox-lab";
constexpr const char* LabLinkName = "lab0";

// The lab-side addresses of a network: its IPv4 gateway, and its IPv6 one when it has IPv6.
Result<std::vector<std::pair<std::string, int>>> gateway_addresses(const NetworkRecord& network)
{
    std::vector<std::pair<std::string, int>> addresses;
    addresses.emplace_back(network.gateway, TRY(Subnet::parse(network.subnet)).prefix);
    if (network.enable_ipv6 && !network.gateway6.empty())
        addresses.emplace_back(network.gateway6, TRY(Subnet6::parse(network.subnet6)).prefix);
    return addresses;
}

} // namespace

Lab::Lab(sys::Kernel& kernel, Netlink& netlink, std::string run_dir, std::string link_prefix)
    : m_kernel(kernel)
    , m_nl(netlink)
    , m_run_dir(std::move(run_dir))
    , m_prefix(std::move(link_prefix))
{
}

std::string Lab::netns_name()
{
    return LabNetnsName;
}

std::string Lab::netns_path() const
{
    return m_run_dir + "/netns/" + LabNetnsName;
}

Result<std::string> Lab::ensure_uplink()
{
    auto name = uplink_name();
    if (m_nl.get_link("", name).ok())
        return name;
    TRY(fs::make_dirs(m_run_dir + "/netns"));
    if (!fs::exists(netns_path()))
        TRY(create_netns_file(m_kernel, netns_path()));
    TRY_CTX(m_nl.create_link("", { .name = name, .kind = "veth", .peer_name = LabLinkName, .peer_netns = netns_path() }),
        "create lab uplink");
    TRY(m_nl.set_link_up("", name, true));
    TRY(m_nl.set_link_up(netns_path(), "lo", true));
    TRY(m_nl.set_link_up(netns_path(), LabLinkName, true));
    return name;
}

bool Lab::carries(const NetworkRecord& network) const
{
    return !network.parent.empty()
        && (network.parent == uplink_name() || strings::starts_with(network.parent, uplink_name() + "."));
}

Result<void> Lab::add_gateway(const NetworkRecord& network)
{
    if (network.parent != uplink_name())
        return Ok {};
    for (const auto& [address, prefix] : TRY(gateway_addresses(network))) {
        auto added = m_nl.add_address(netns_path(), LabLinkName, address, prefix);
        if (!added.ok() && added.error().kind() != ErrorKind::AlreadyExists) // Kept from before a crash.
            return added;
    }
    return Ok {};
}

Result<void> Lab::remove_gateway(const NetworkRecord& network)
{
    if (network.parent != uplink_name())
        return Ok {};
    for (const auto& [address, prefix] : TRY(gateway_addresses(network))) {
        auto removed = m_nl.delete_address(netns_path(), LabLinkName, address, prefix);
        if (!removed.ok() && removed.error().kind() != ErrorKind::NotFound)
            return removed;
    }
    return Ok {};
}

Result<std::vector<std::string>> Lab::release()
{
    std::vector<std::string> removed;
    // Deleting the host end of the veth deletes its peer in the lab namespace and the VLAN
    // sub-interfaces made on it; the namespace itself goes when its bind mount does.
    auto uplink = uplink_name();
    if (m_nl.get_link("", uplink).ok()) {
        TRY_CTX(m_nl.delete_link("", uplink), "remove lab uplink");
        removed.push_back("link " + uplink);
    }
    if (fs::exists(netns_path())) {
        TRY(remove_netns_file(m_kernel, netns_path()));
        removed.push_back("netns " + netns_path());
    }
    return removed;
}

} // namespace engine::network
