// The bridge driver: a Linux bridge per network (glassbox0 for the default `bridge`,
// "<prefix><id>" or com.docker.network.bridge.name for the others) holding the network's
// gateway addresses, and a veth pair per endpoint: the host end enslaved to the bridge, the
// other end in the sandbox. The manager adds the nft isolation, NAT and port rules and the
// embedded DNS for these networks (host_bridged).
#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/network/drivers/drivers.h"
#include "engine/network/ipv4.h"
#include "engine/network/ipv6.h"

namespace engine::network {

namespace {

class BridgeDriver final : public Driver {
public:
    [[nodiscard]] std::string_view name() const override { return "bridge"; }

    Result<void> parse_option(const std::string& key, const std::string& value, DriverOptions& into) const override
    {
        if (key == "com.docker.network.bridge.name") {
            if (value.empty() || value.size() > 15 || value.find('/') != std::string::npos)
                return Error::invalid("option " + key + "=" + value + ": not a valid interface name (1-15 characters)");
            into.bridge_name = value;
            return Ok {};
        }
        // Docker's other bridge flags (enable_icc, enable_ip_masquerade, ...) are accepted and
        // kept for inspect; glassbox's defaults match Docker's.
        if (strings::starts_with(key, "com.docker.network.bridge."))
            return Ok {};
        // dockerd's bridge driver keeps options it does not know and echoes them in inspect
        // (tools store their own keys there); glassbox does the same. Options of the other
        // drivers stay refused: on a bridge they are a mistake worth naming.
        if (!strings::starts_with(key, "com.docker.network.") && key != "parent" && key != "macvlan_mode"
            && key != "ipvlan_mode")
            return Ok {};
        return Driver::parse_option(key, value, into);
    }

    [[nodiscard]] bool host_bridged() const override { return true; }
    [[nodiscard]] bool supports_ipv6() const override { return true; }

    Result<void> create(const DriverContext& context, NetworkRecord& network, const DriverOptions& opts) const override
    {
        const auto& prefix = context.options.bridge_prefix;
        network.bridge = opts.bridge_name.empty()
            ? prefix + network.id.substr(0, 15 - std::min<std::size_t>(prefix.size(), 11))
            : opts.bridge_name;
        if (network.bridge.size() > 15)
            return Error::invalid("bridge name " + network.bridge + " is longer than 15 characters (shorten the prefix)");
        if (context.nl.get_link("", network.bridge).ok())
            return Error::conflict("a link named " + network.bridge + " already exists on the host");
        if (auto made = ensure_bridge(context, network, opts.mtu); !made.ok()) {
            (void)context.nl.delete_link("", network.bridge);
            return made.release_error().with_context("create network " + network.name);
        }
        return Ok {};
    }

    Result<void> restore(const DriverContext& context, NetworkRecord& network) const override
    {
        auto opts = TRY(parse_driver_options(std::string(name()), network.options));
        TRY_CTX(ensure_bridge(context, network, opts.mtu), "restore network " + network.name);
        return Ok {};
    }

    Result<void> remove(const DriverContext& context, const NetworkRecord& network) const override
    {
        if (network.bridge.empty())
            return Ok {};
        auto removed = context.nl.delete_link("", network.bridge);
        if (!removed.ok() && removed.error().kind() != ErrorKind::NotFound)
            return removed.release_error().with_context("remove network " + network.name);
        return Ok {};
    }

    Result<void> join(const DriverContext& context, const NetworkRecord& network, const DriverOptions& opts,
        Endpoint& endpoint, const std::string& host_name) const override
    {
        auto& nl = context.nl;
        const auto& ns = endpoint.sandbox_path;
        endpoint.host_link = host_name;
        TRY(nl.create_link("", { .name = host_name, .kind = "veth", .peer_name = endpoint.sandbox_link, .peer_netns = ns, .mtu = opts.mtu }));
        TRY(nl.set_link_mac(ns, endpoint.sandbox_link, endpoint.mac_address));
        TRY(nl.set_link_master("", host_name, network.bridge));
        TRY(nl.set_link_up("", host_name, true));
        return Ok {};
    }

private:
    // Creates (or re-adopts after a restart) the Linux bridge with the network's gateways.
    static Result<void> ensure_bridge(const DriverContext& context, const NetworkRecord& network, int mtu)
    {
        auto& nl = context.nl;
        auto existing = nl.get_link("", network.bridge);
        if (!existing.ok()) {
            if (existing.error().kind() != ErrorKind::NotFound)
                return existing.release_error();
            TRY(nl.create_link("", { .name = network.bridge, .kind = "bridge", .mtu = mtu }));
        } else if (existing.value().kind != "bridge") {
            return Error::conflict("link " + network.bridge + " exists and is not a bridge");
        }
        auto subnet = TRY(Subnet::parse(network.subnet));
        auto addresses = TRY(nl.list_addresses(""));
        auto link = TRY(nl.get_link("", network.bridge));
        bool has = false;
        for (const auto& address : addresses)
            has = has || (address.link_index == link.index && address.address == network.gateway);
        if (!has)
            TRY(nl.add_address("", network.bridge, network.gateway, subnet.prefix));
        if (network.enable_ipv6 && !network.gateway6.empty()) {
            auto subnet6 = TRY(Subnet6::parse(network.subnet6));
            auto gateway6 = TRY(Ipv6::parse(network.gateway6));
            bool has6 = false;
            for (const auto& address : addresses)
                has6 = has6 || (address.link_index == link.index && Ipv6::parse(address.address).ok()
                    && Ipv6::parse(address.address).value() == gateway6);
            if (!has6)
                TRY(nl.add_address("", network.bridge, network.gateway6, subnet6.prefix));
            // Routing between IPv6 networks (which the isolation rules then refuse, as for IPv4)
            // is turned on for glassbox's own bridges only: net.ipv6.conf.all.forwarding would make
            // every host interface a router (and stop it taking router advertisements).
            // force_forwarding is per interface (Linux 6.17); without it IPv6 stays inside each
            // network, which is the safe side.
            auto knob = "/proc/sys/net/ipv6/conf/" + network.bridge + "/force_forwarding";
            if (auto set = context.kernel.write_file(knob, "1"); !set.ok())
                log::info("IPv6 forwarding for " + network.bridge + " not turned on: " + set.error().describe());
        }
        TRY(nl.set_link_up("", network.bridge, true));
        return Ok {};
    }
};

} // namespace

std::unique_ptr<Driver> make_bridge_driver()
{
    return std::make_unique<BridgeDriver>();
}

} // namespace engine::network
