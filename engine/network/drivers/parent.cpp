#include "engine/network/drivers/parent.h"

#include <algorithm>

#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/network/lab.h"

namespace engine::network {

ParentDriver::ParentDriver(Kind kind)
    : m_kind(std::move(kind))
{
}

Result<void> ParentDriver::parse_option(const std::string& key, const std::string& value, DriverOptions& into) const
{
    if (key == m_kind.name + "_mode") {
        if (std::find(m_kind.modes.begin(), m_kind.modes.end(), value) == m_kind.modes.end()) {
            std::vector<std::string> head(m_kind.modes.begin(), m_kind.modes.end() - 1);
            return Error::invalid("option " + key + "=" + value + ": expected " + strings::join(head, ", ") + " or "
                + m_kind.modes.back());
        }
        into.mode = value;
        return Ok {};
    }
    if (key != "parent")
        return Driver::parse_option(key, value, into);
    if (value.empty() || value.size() > 15)
        return Error::invalid("option parent=" + value + ": not a valid interface name");
    into.parent = value;
    auto dot = value.rfind('.');
    if (dot != std::string::npos) {
        into.parent_base = value.substr(0, dot);
        into.vlan_id = TRY(parse_int_option("parent (VLAN id after the dot)", value.substr(dot + 1), 1, 4094));
    }
    return Ok {};
}

void ParentDriver::default_options(DriverOptions& opts) const
{
    if (opts.mode.empty())
        opts.mode = m_kind.modes.front();
}

Result<void> ParentDriver::check_create(const sys::KernelFeatures& features, const DriverOptions& opts) const
{
    TRY(require_feature(features, m_kind.feature, m_kind.name, m_kind.config_option));
    if (opts.vlan_id)
        TRY(require_feature(features, "link.vlan", "802.1q (VLAN parent " + opts.parent + ")", "CONFIG_VLAN_8021Q"));
    return Ok {};
}

Result<void> ParentDriver::create(const DriverContext& context, NetworkRecord& network, const DriverOptions& opts) const
{
    auto& nl = context.nl;
    std::string base = opts.vlan_id ? opts.parent_base : opts.parent;
    if (base.empty() || base == context.lab.uplink_name()) {
        base = TRY(context.lab.ensure_uplink());
    } else {
        network.warnings.push_back("parent " + base + " is a real host interface: containers on this network appear on its wire");
    }
    if (!nl.get_link("", base).ok())
        return Error::not_found("parent interface " + base + " does not exist");
    network.parent = base;
    if (opts.vlan_id) {
        network.parent = base + "." + std::to_string(opts.vlan_id);
        if (network.parent.size() > 15)
            return Error::invalid("VLAN interface name " + network.parent + " is longer than 15 characters");
        if (!nl.get_link("", network.parent).ok()) {
            TRY_CTX(nl.create_link("", { .name = network.parent, .kind = "vlan", .parent = base, .vlan_id = opts.vlan_id }),
                "create VLAN sub-interface " + network.parent);
            network.created_parent = true;
        }
    }
    TRY(nl.set_link_up("", network.parent, true));
    if (auto added = context.lab.add_gateway(network); !added.ok())
        log::warn("lab gateway " + network.gateway + ": " + added.error().describe());
    network.options["parent"] = network.parent;
    return Ok {};
}

Result<void> ParentDriver::restore(const DriverContext& context, NetworkRecord& network) const
{
    // At a start: the lab uplink again for the networks that use it (a normal stop removed it),
    // with the VLAN sub-interfaces made on it and each network's lab-side gateway.
    if (!context.lab.carries(network))
        return Ok {};
    auto restored = [&]() -> Result<void> {
        auto& nl = context.nl;
        auto uplink = TRY(context.lab.ensure_uplink());
        if (network.parent != uplink && !nl.get_link("", network.parent).ok()) {
            auto opts = TRY(parse_driver_options(std::string(name()), network.options));
            TRY_CTX(nl.create_link("", { .name = network.parent, .kind = "vlan", .parent = uplink, .vlan_id = opts.vlan_id }),
                "restore VLAN sub-interface " + network.parent + " of network " + network.name);
        }
        TRY(nl.set_link_up("", network.parent, true));
        TRY_CTX(context.lab.add_gateway(network), "restore the lab gateway of network " + network.name);
        return Ok {};
    }();
    if (!restored.ok())
        log::warn("lab uplink: " + restored.error().describe());
    return Ok {};
}

Result<void> ParentDriver::remove(const DriverContext& context, const NetworkRecord& network) const
{
    if (!network.created_parent) {
        (void)context.lab.remove_gateway(network);
        return Ok {};
    }
    auto removed = context.nl.delete_link("", network.parent);
    if (!removed.ok() && removed.error().kind() != ErrorKind::NotFound)
        return removed.release_error().with_context("remove VLAN sub-interface " + network.parent);
    return Ok {};
}

Result<void> ParentDriver::join(const DriverContext& context, const NetworkRecord& network, const DriverOptions& opts,
    Endpoint& endpoint, const std::string& host_name) const
{
    auto& nl = context.nl;
    const auto& ns = endpoint.sandbox_path;
    LinkRequest request { .name = host_name, .kind = m_kind.name, .parent = network.parent, .mode = opts.mode };
    if (m_kind.own_mac)
        request.mac = endpoint.mac_address;
    TRY(nl.create_link("", request));
    if (auto moved = nl.move_link("", host_name, ns, endpoint.sandbox_link); !moved.ok()) {
        (void)nl.delete_link("", host_name);
        return moved.release_error();
    }
    if (!m_kind.own_mac)
        endpoint.mac_address = TRY(nl.get_link(ns, endpoint.sandbox_link)).mac;
    return Ok {};
}

} // namespace engine::network
