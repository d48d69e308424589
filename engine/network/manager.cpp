#include "engine/network/manager.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <mutex>
#include <set>
#include <shared_mutex>

#include <nlohmann/json.hpp>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/network/container_files.h"
#include "engine/network/dns.h"
#include "engine/network/driver.h"
#include "engine/network/ipam.h"
#include "engine/network/lab.h"
#include "engine/network/nft.h"
#include "engine/network/options.h"
#include "engine/network/port_proxy.h"
#include "engine/network/sandbox.h"
#include "engine/sys/probe.h"

namespace engine::network {

namespace {

using json = nlohmann::json;

json endpoint_to_json(const Endpoint& e)
{
    return { { "network_id", e.network_id }, { "network_name", e.network_name }, { "endpoint_id", e.endpoint_id },
        { "container_id", e.container_id }, { "container_name", e.container_name }, { "ip_address", e.ip_address },
        { "prefix_length", e.prefix_length }, { "gateway", e.gateway }, { "ipv6_address", e.ipv6_address },
        { "ipv6_prefix_length", e.ipv6_prefix_length }, { "ipv6_gateway", e.ipv6_gateway },
        { "requested_ipv6", e.requested_ipv6 }, { "mac_address", e.mac_address },
        { "aliases", e.aliases }, { "host_link", e.host_link }, { "sandbox_link", e.sandbox_link },
        { "sandbox_path", e.sandbox_path } };
}

Endpoint endpoint_from_json(const json& j)
{
    Endpoint e;
    e.network_id = j.value("network_id", "");
    e.network_name = j.value("network_name", "");
    e.endpoint_id = j.value("endpoint_id", "");
    e.container_id = j.value("container_id", "");
    e.container_name = j.value("container_name", "");
    e.ip_address = j.value("ip_address", "");
    e.prefix_length = j.value("prefix_length", 0);
    e.gateway = j.value("gateway", "");
    e.ipv6_address = j.value("ipv6_address", "");
    e.ipv6_prefix_length = j.value("ipv6_prefix_length", 0);
    e.ipv6_gateway = j.value("ipv6_gateway", "");
    e.requested_ipv6 = j.value("requested_ipv6", "");
    e.mac_address = j.value("mac_address", "");
    e.aliases = j.value("aliases", std::vector<std::string> {});
    e.host_link = j.value("host_link", "");
    e.sandbox_link = j.value("sandbox_link", "");
    e.sandbox_path = j.value("sandbox_path", "");
    return e;
}

json network_to_json(const NetworkRecord& n)
{
    json containers = json::object();
    for (const auto& [id, endpoint] : n.containers)
        containers[id] = endpoint_to_json(endpoint);
    return { { "id", n.id }, { "name", n.name }, { "driver", n.driver }, { "created", n.created },
        { "subnet", n.subnet }, { "gateway", n.gateway }, { "gateway_given", n.gateway_given }, { "ip_range", n.ip_range }, { "aux_addresses", n.aux_addresses },
        { "enable_ipv6", n.enable_ipv6 }, { "subnet6", n.subnet6 }, { "gateway6", n.gateway6 },
        { "gateway6_given", n.gateway6_given }, { "ip_range6", n.ip_range6 }, { "aux_addresses6", n.aux_addresses6 }, { "internal", n.internal },
        { "attachable", n.attachable }, { "user_defined", n.user_defined }, { "options", n.options },
        { "labels", n.labels }, { "containers", containers }, { "bridge", n.bridge }, { "parent", n.parent },
        { "created_parent", n.created_parent }, { "lab_gateway", n.dns_address.empty() ? json(nullptr) : json(n.dns_address) } };
}

NetworkRecord network_from_json(const json& j)
{
    NetworkRecord n;
    n.id = j.at("id").get<std::string>();
    n.name = j.at("name").get<std::string>();
    n.driver = j.at("driver").get<std::string>();
    n.created = j.value("created", "");
    n.subnet = j.value("subnet", "");
    n.gateway = j.value("gateway", "");
    n.gateway_given = j.value("gateway_given", true);
    n.ip_range = j.value("ip_range", "");
    n.aux_addresses = j.value("aux_addresses", std::map<std::string, std::string> {});
    n.enable_ipv6 = j.value("enable_ipv6", false);
    n.subnet6 = j.value("subnet6", "");
    n.gateway6 = j.value("gateway6", "");
    n.gateway6_given = j.value("gateway6_given", false);
    n.ip_range6 = j.value("ip_range6", "");
    n.aux_addresses6 = j.value("aux_addresses6", std::map<std::string, std::string> {});
    n.internal = j.value("internal", false);
    n.attachable = j.value("attachable", false);
    n.user_defined = j.value("user_defined", true);
    n.options = j.value("options", std::map<std::string, std::string> {});
    n.labels = j.value("labels", std::map<std::string, std::string> {});
    auto containers = j.value("containers", json::object());
    for (const auto& [id, endpoint] : containers.items())
        n.containers[id] = endpoint_from_json(endpoint);
    n.bridge = j.value("bridge", "");
    n.parent = j.value("parent", "");
    n.created_parent = j.value("created_parent", false);
    return n;
}

std::string now_rfc3339()
{
    return strings::rfc3339_nano(std::chrono::system_clock::now());
}

bool host_bridged(const NetworkRecord& network)
{
    auto driver = find_driver(network.driver);
    return driver.ok() && driver.value()->host_bridged();
}

} // namespace

struct PortEntry {
    PublishedPort port;
    std::string container_ip;
    std::unique_ptr<PortProxy> proxy;
    UniqueFd udp_reservation;
};

struct Manager::Impl {
    Impl(sys::Kernel& kernel_, Netlink& netlink_, Nftables& nftables_, Options options_, std::vector<Subnet> pools)
        : kernel(kernel_)
        , nl(netlink_)
        , nft(nftables_)
        , options(std::move(options_))
        , ipam(options.state_dir + "/ipam.json", std::move(pools))
        , lab(kernel_, netlink_, options.run_dir, options.bridge_prefix)
    {
    }

    sys::Kernel& kernel;
    Netlink& nl;
    Nftables& nft;
    Options options;
    Ipam ipam;
    Lab lab;
    mutable std::mutex mutex;
    std::map<std::string, NetworkRecord> networks;
    std::map<std::string, std::unique_ptr<DnsServer>> dns;
    std::map<std::string, std::vector<PortEntry>> ports;
    std::vector<std::string> upstreams;
    // The DNS threads read names through this, never through `mutex`, so a server can be
    // stopped (joined) while `mutex` is held.
    mutable std::shared_mutex names_mutex;
    std::map<std::string, std::map<std::string, DnsAddresses>> names; // network id -> name -> ips

    std::string netns_dir() const { return options.run_dir + "/netns"; }
    DriverContext context() { return { kernel, nl, options, lab }; }

    // Synced: write, fsync, rename (a network created or removed outlives a reboot). Replaced:
    // write and rename without the two fsyncs, which cost milliseconds each on every `run` on a
    // network, for what only connects or disconnects a container: a reader still sees the old
    // file or the new one, and an endpoint a power loss could bring back or lose belongs to a
    // container the reboot stopped: a lost one is an orphan address open() releases, one brought
    // back is what a daemon killed while its container ran leaves too. Ipam does the same.
    enum class Durability { Synced, Replaced };
    Result<void> save(Durability durability = Durability::Synced) const
    {
        json list = json::array();
        for (const auto& [id, network] : networks)
            list.push_back(network_to_json(network));
        auto path = options.state_dir + "/networks.json";
        auto text = json { { "networks", list } }.dump(2) + "\n";
        if (durability == Durability::Replaced)
            return fs::write_file_replace(path, text, 0600);
        return fs::write_file_atomic(path, text, 0600);
    }

    Result<void> load()
    {
        auto path = options.state_dir + "/networks.json";
        if (!fs::exists(path))
            return Ok {};
        auto text = TRY(fs::read_file(path));
        try {
            auto document = json::parse(text);
            for (const auto& entry : document.at("networks")) {
                auto network = network_from_json(entry);
                networks[network.id] = std::move(network);
            }
        } catch (const json::exception& error) {
            return Error::invalid("network state " + path + " is malformed: " + error.what());
        }
        return Ok {};
    }

    Result<NetworkRecord*> find(const std::string& ref)
    {
        if (auto it = networks.find(ref); it != networks.end())
            return &it->second;
        for (auto& [id, network] : networks)
            if (network.name == ref)
                return &network;
        NetworkRecord* match = nullptr;
        for (auto& [id, network] : networks) {
            if (!ref.empty() && strings::starts_with(id, ref)) {
                if (match)
                    return Error::make(ErrorKind::InvalidArgument, "network " + ref + " is ambiguous (more than one id starts with it)");
                match = &network;
            }
        }
        if (!match)
            return Error::not_found("network " + ref + " not found");
        return match;
    }

    // Subnets routed on the host (other than through glassbox's own bridges).
    std::vector<Subnet> routed_subnets()
    {
        std::vector<Subnet> taken;
        auto routes = nl.list_routes("");
        auto links = nl.list_links("");
        if (!routes.ok() || !links.ok())
            return taken;
        std::map<int, std::string> names_by_index;
        for (const auto& link : links.value())
            names_by_index[link.index] = link.name;
        for (const auto& route : routes.value()) {
            auto subnet = Subnet::parse(route.destination);
            if (!subnet.ok() || subnet.value().prefix == 0 || route.table != 254)
                continue;
            bool ours = false;
            for (const auto& [id, network] : networks)
                ours = ours || (!network.bridge.empty() && names_by_index[route.link_index] == network.bridge);
            if (!ours)
                taken.push_back(subnet.value());
        }
        for (const auto& [id, network] : networks)
            if (auto subnet = Subnet::parse(network.subnet); subnet.ok())
                taken.push_back(subnet.value());
        return taken;
    }

    // IPv6 prefixes the host routes other than through glassbox's bridges (its uplink's subnet,
    // say), each with the link it goes through. A network on one of them would put the host's
    // own router or neighbours behind a glassbox bridge, so it is refused (dockerd would take it).
    std::vector<std::pair<Subnet6, std::string>> routed_subnets6()
    {
        std::vector<std::pair<Subnet6, std::string>> taken;
        auto dump = nl.dump_namespace("", {});
        if (!dump.ok())
            return taken;
        std::map<int, std::string> names_by_index;
        for (const auto& link : dump.value().links)
            names_by_index[link.link.index] = link.link.name;
        for (const auto& route : dump.value().routes) {
            if (route.table != "main" || route.destination == "default" || !is_ipv6_text(route.destination))
                continue;
            auto destination = route.destination.find('/') == std::string::npos ? route.destination + "/128" : route.destination;
            auto subnet = Subnet6::parse(destination);
            if (!subnet.ok() || subnet.value().prefix == 0 || Subnet6::parse("fe80::/10").value().contains(subnet.value()))
                continue;
            const auto& link = names_by_index[route.link_index];
            bool ours = false;
            for (const auto& [id, network] : networks)
                ours = ours || (!network.bridge.empty() && link == network.bridge);
            if (!ours)
                taken.emplace_back(subnet.value(), link);
        }
        return taken;
    }

    void rebuild_names(const std::string& network_id)
    {
        std::map<std::string, DnsAddresses> table;
        auto it = networks.find(network_id);
        if (it != networks.end()) {
            for (const auto& [cid, endpoint] : it->second.containers) {
                auto ip = Ipv4::parse(endpoint.ip_address);
                if (!ip.ok())
                    continue;
                auto ip6 = Ipv6::parse(endpoint.ipv6_address);
                std::vector<std::string> keys = endpoint.aliases;
                keys.push_back(endpoint.container_name);
                keys.push_back(cid.substr(0, 12));
                for (auto key : keys) {
                    key = strings::to_lower(key);
                    if (!key.empty() && key[0] == '/')
                        key.erase(0, 1);
                    if (key.empty())
                        continue;
                    auto& ips = table[key];
                    if (std::find(ips.v4.begin(), ips.v4.end(), ip.value()) == ips.v4.end())
                        ips.v4.push_back(ip.value());
                    if (ip6.ok() && std::find(ips.v6.begin(), ips.v6.end(), ip6.value()) == ips.v6.end())
                        ips.v6.push_back(ip6.value());
                }
            }
        }
        std::unique_lock lock(names_mutex);
        names[network_id] = std::move(table);
    }

    DnsAddresses lookup(const std::string& network_id, const std::string& name) const
    {
        std::shared_lock lock(names_mutex);
        auto network = names.find(network_id);
        if (network == names.end())
            return {};
        auto it = network->second.find(name);
        return it == network->second.end() ? DnsAddresses {} : it->second;
    }

    Result<void> sync_nft()
    {
        NftRuleset ruleset;
        ruleset.table = options.nft_table_name;
        ruleset.masquerade = options.enable_nat;
        for (const auto& [id, network] : networks)
            if (host_bridged(network) && !network.bridge.empty())
                ruleset.networks.push_back({ network.bridge, network.subnet, network.internal,
                    network.enable_ipv6 ? network.subnet6 : "" });
        for (const auto& [cid, entries] : ports)
            for (const auto& entry : entries)
                ruleset.ports.push_back({ entry.port.protocol, entry.port.host_ip == "0.0.0.0" ? "" : entry.port.host_ip,
                    entry.port.host_port, entry.container_ip, entry.port.container_port });
        return nft.apply_ruleset(ruleset);
    }

    Result<void> start_dns(NetworkRecord& network)
    {
        if (!options.enable_dns || !network.user_defined || !host_bridged(network) || dns.contains(network.id))
            return Ok {};
        auto id = network.id;
        auto server = TRY_CTX(DnsServer::start(network.gateway, 53,
                                  [this, id](const std::string& name) { return lookup(id, name); }, upstreams),
            "start DNS for network " + network.name);
        network.dns_address = network.gateway;
        dns[network.id] = std::move(server);
        rebuild_names(network.id);
        return Ok {};
    }

    // The default bridge of a root that has none recorded yet. A link that already has the
    // built-in name belongs to another daemon (running, or stopped and keeping it as dockerd
    // keeps docker0): sharing it would give the bridge a second gateway address and both
    // daemons' containers the same addresses, so this daemon takes the next free glassbox<N>,
    // and keeps it (the record names it). A name given with --bridge is used as given.
    Result<std::string> unclaimed_default_bridge()
    {
        if (options.bridge_name != Options {}.bridge_name)
            return options.bridge_name;
        auto stem = options.bridge_name.substr(0, options.bridge_name.find_last_not_of("0123456789") + 1);
        for (int n = 0; n < 100; ++n) {
            auto name = stem + std::to_string(n);
            auto found = nl.get_link("", name);
            if (!found.ok() && found.error().kind() == ErrorKind::NotFound)
                return name;
            if (!found.ok())
                return found.release_error().with_context("default bridge " + name);
            log::info("default bridge: " + name + " belongs to another daemon, trying the next name");
        }
        return Error::conflict("default bridge: " + stem + "0 to " + stem + "99 all exist; give this daemon its own --bridge");
    }

    Result<void> ensure_builtin(const std::string& name, const std::string& driver)
    {
        for (auto& [id, network] : networks)
            if (network.name == name && !network.user_defined)
                return Ok {};
        NetworkRecord network;
        network.id = strings::random_hex_id();
        network.name = name;
        network.driver = driver;
        network.created = now_rfc3339();
        network.user_defined = false;
        // The default `bridge` is the one built-in network with addresses.
        if (TRY(find_driver(driver))->has_endpoints()) {
            Subnet subnet = options.default_subnet.empty()
                ? TRY(ipam.choose_subnet(routed_subnets()))
                : TRY_CTX(Subnet::parse(options.default_subnet), "default subnet");
            auto pool = TRY(ipam.add_pool(network.id, subnet, "", ""));
            network.subnet = subnet.str();
            network.gateway = pool.gateway.str();
            network.bridge = TRY(unclaimed_default_bridge());
            network.options["com.docker.network.bridge.name"] = network.bridge;
            network.options["com.docker.network.bridge.default_bridge"] = "true";
        }
        networks[network.id] = network;
        return save();
    }

    Result<NetworkRecord> create(NetworkConfig config);
    Result<void> remove(NetworkRecord& network);
    Result<Endpoint> connect(NetworkRecord& network, const std::string& container_id, const std::string& container_name,
        const std::string& sandbox_path, const std::vector<std::string>& aliases, const std::string& requested_ipv4,
        const std::string& mac, const std::string& requested_ipv6);
    Result<void> disconnect(NetworkRecord& network, const std::string& container_id);
};

namespace {

// dockerd takes any name ("my net" included): the name is only a label, kernel objects are
// named from the id. Control characters and '/' (which would split the API path) are refused.
bool valid_network_name(const std::string& name)
{
    if (name.empty() || name.size() > 128 || name.find('/') != std::string::npos)
        return false;
    return std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

} // namespace

Result<NetworkRecord> Manager::Impl::create(NetworkConfig config)
{
    if (!valid_network_name(config.name))
        return Error::invalid("invalid network name \"" + config.name + "\": it must be 1 to 128 characters, without '/' or control characters");
    for (const auto& [id, network] : networks)
        if (network.name == config.name)
            return Error::conflict("network with name " + config.name + " already exists");
    if (config.driver.empty())
        config.driver = "bridge";
    const auto* driver = TRY(find_driver(config.driver));
    auto opts = TRY(parse_driver_options(config.driver, config.options));
    TRY(driver->check_create(options.features ? *options.features : sys::kernel_features(), opts));

    NetworkRecord network;
    network.id = strings::random_hex_id();
    network.name = config.name;
    network.driver = config.driver;
    network.created = now_rfc3339();
    network.internal = config.internal;
    network.attachable = config.attachable;
    network.options = config.options;
    network.labels = config.labels;
    network.ip_range = config.ip_range;
    network.aux_addresses = config.aux_addresses;

    Subnet subnet = config.subnet.empty() ? TRY(ipam.choose_subnet(routed_subnets()))
                                          : TRY_CTX(Subnet::parse(config.subnet), "subnet");
    auto pool = TRY(ipam.add_pool(network.id, subnet, config.gateway, config.ip_range, config.aux_addresses));
    network.subnet = subnet.str();
    network.gateway = pool.gateway.str();
    network.gateway_given = config.subnet.empty() || !config.gateway.empty();

    auto undo = [&](Error error) -> Error {
        (void)ipam.remove_pool(network.id);
        return error;
    };

    network.enable_ipv6 = config.enable_ipv6;
    network.subnet6 = config.subnet6;
    network.ip_range6 = config.ip_range6;
    network.aux_addresses6 = config.aux_addresses6;
    network.gateway6_given = !config.gateway6.empty();
    if (config.enable_ipv6 && config.subnet6.empty())
        // dockerd's words: without --ipv6 on the daemon it has no default IPv6 pool to take from.
        return undo(Error::not_found(
            "could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network"));
    if (!config.subnet6.empty()) {
        auto subnet6 = Subnet6::parse(config.subnet6);
        if (!subnet6.ok())
            return undo(subnet6.release_error().with_context("IPv6 subnet"));
        if (!driver->supports_ipv6() && config.enable_ipv6)
            // A refusal on purpose, so a 400 that says why (a 501 reads as a missing endpoint).
            return undo(Error::invalid("EnableIPv6 on a " + network.driver + " network is not supported by glassbox: "
                + "its IPv6 addressing is for bridge and macvlan networks only (create the network without --ipv6, or use one of those drivers)"));
        if (config.enable_ipv6) {
            for (const auto& [routed, link] : routed_subnets6())
                if (routed.overlaps(subnet6.value()))
                    return undo(Error::make(ErrorKind::PermissionDenied, "IPv6 subnet " + config.subnet6 + " overlaps "
                        + routed.str() + ", which the host routes through " + (link.empty() ? "another link" : link)
                        + ": glassbox does not take a subnet the host already uses"));
            auto pool6 = ipam.add_pool6(network.id, subnet6.value(), config.gateway6, config.ip_range6, config.aux_addresses6);
            if (!pool6.ok())
                return undo(pool6.release_error());
            network.gateway6 = pool6.value().gateway.str();
        } else if (!config.gateway6.empty()) {
            network.gateway6 = config.gateway6;
        }
    }

    auto context = this->context();
    if (auto made = driver->create(context, network, opts); !made.ok())
        return undo(made.release_error());
    if (auto started = start_dns(network); !started.ok()) {
        (void)driver->remove(context, network);
        return undo(started.release_error());
    }
    networks[network.id] = network;
    TRY(save());
    if (driver->host_bridged())
        TRY(sync_nft());
    return network;
}

Result<void> Manager::Impl::remove(NetworkRecord& network)
{
    if (!network.containers.empty())
        return Error::conflict("error while removing network: network " + network.name + " id " + network.id
            + " has active endpoints");
    if (!network.user_defined)
        return Error::make(ErrorKind::PermissionDenied, network.name + " is a pre-defined network and cannot be removed");
    dns.erase(network.id); // Joins the server thread.
    {
        std::unique_lock lock(names_mutex);
        names.erase(network.id);
    }
    const auto* driver = TRY(find_driver(network.driver));
    TRY(driver->remove(context(), network));
    TRY(ipam.remove_pool(network.id));
    networks.erase(network.id);
    TRY(save());
    if (driver->host_bridged())
        TRY(sync_nft());
    return Ok {};
}

Result<Endpoint> Manager::Impl::connect(NetworkRecord& network, const std::string& container_id,
    const std::string& container_name, const std::string& sandbox_path, const std::vector<std::string>& aliases,
    const std::string& requested_ipv4, const std::string& mac, const std::string& requested_ipv6)
{
    if (network.containers.contains(container_id))
        return Error::conflict("endpoint with name " + container_name + " already exists in network " + network.name);
    Endpoint endpoint;
    endpoint.network_id = network.id;
    endpoint.network_name = network.name;
    endpoint.endpoint_id = strings::random_hex_id();
    endpoint.container_id = container_id;
    endpoint.container_name = container_name;
    endpoint.aliases = aliases;
    endpoint.sandbox_path = sandbox_path;
    endpoint.requested_ipv6 = requested_ipv6;
    if (!requested_ipv6.empty() && network.subnet6.empty())
        // dockerd's check and words (runconfig.ErrUnsupportedNetworkNoSubnetAndIP).
        return Error::invalid("user specified IP address is supported only when connecting to networks with user configured subnets");
    const auto* driver = TRY(find_driver(network.driver));
    if (!driver->has_endpoints()) {
        network.containers[container_id] = endpoint;
        TRY(save());
        return endpoint;
    }
    // The default `bridge` is the one built-in network with endpoints.
    if (!network.user_defined && !aliases.empty())
        return Error::invalid("network-scoped aliases are only supported for user-defined networks");
    if (sandbox_path.empty())
        return Error::invalid("connect " + container_name + " to " + network.name + ": no network namespace (sandbox) given");

    // Interface name inside the sandbox: eth0, eth1, ... in connection order.
    int slot = 0;
    for (const auto& [id, other] : networks)
        if (other.containers.contains(container_id) && !other.containers.at(container_id).sandbox_link.empty())
            ++slot;
    endpoint.sandbox_link = "eth" + std::to_string(slot);

    auto ip = TRY_CTX(ipam.allocate(network.id, requested_ipv4), "connect " + container_name + " to " + network.name);
    auto subnet = TRY(Subnet::parse(network.subnet));
    endpoint.ip_address = ip.str();
    endpoint.prefix_length = subnet.prefix;
    endpoint.gateway = network.internal ? "" : network.gateway;
    endpoint.mac_address = mac.empty() ? mac_for_address(ip) : mac;
    if (ipam.pool6(network.id) != nullptr) {
        auto ip6 = ipam.allocate6(network.id, requested_ipv6);
        if (!ip6.ok()) {
            (void)ipam.release(network.id, ip);
            return ip6.release_error().with_context("connect " + container_name + " to " + network.name);
        }
        endpoint.ipv6_address = ip6.value().str();
        endpoint.ipv6_prefix_length = TRY(Subnet6::parse(network.subnet6)).prefix;
        endpoint.ipv6_gateway = network.internal ? "" : network.gateway6;
    }
    auto release_addresses = [&] {
        (void)ipam.release(network.id, ip);
        if (auto ip6 = Ipv6::parse(endpoint.ipv6_address); ip6.ok())
            (void)ipam.release6(network.id, ip6.value());
    };
    auto opts_parsed = parse_driver_options(network.driver, network.options);
    if (!opts_parsed.ok()) {
        release_addresses();
        return opts_parsed.release_error();
    }
    auto opts = opts_parsed.release_value();

    // Host-side names: the prefix plus random hex, within IFNAMSIZ (15 characters).
    std::string temp = options.bridge_prefix + strings::random_hex_id(15 - std::min<std::size_t>(options.bridge_prefix.size(), 11));
    const auto& ns = sandbox_path;
    auto context = this->context();
    auto build = [&]() -> Result<void> {
        TRY(driver->join(context, network, opts, endpoint, temp));
        TRY(nl.set_link_up(ns, "lo", true));
        TRY(nl.add_address(ns, endpoint.sandbox_link, endpoint.ip_address, endpoint.prefix_length));
        if (!endpoint.ipv6_address.empty())
            TRY(nl.add_address(ns, endpoint.sandbox_link, endpoint.ipv6_address, endpoint.ipv6_prefix_length));
        TRY(nl.set_link_up(ns, endpoint.sandbox_link, true));
        if (!endpoint.ipv6_gateway.empty()) {
            // The first network with an IPv6 gateway gives the IPv6 default route, as the first
            // with an IPv4 one gives the IPv4 default (list_routes lists IPv4 only, so the
            // records say whether one is there).
            bool has_default6 = false;
            for (const auto& [id, other] : networks)
                if (auto it = other.containers.find(container_id); it != other.containers.end())
                    has_default6 = has_default6 || !it->second.ipv6_gateway.empty();
            if (!has_default6)
                TRY(nl.add_route(ns, "::/0", endpoint.ipv6_gateway, endpoint.sandbox_link));
        }
        if (!network.internal) {
            bool has_default = false;
            for (const auto& route : TRY(nl.list_routes(ns)))
                has_default = has_default || route.destination == "0.0.0.0/0";
            if (!has_default)
                TRY(nl.add_route(ns, "default", driver->default_gateway(network, opts), endpoint.sandbox_link));
        }
        return Ok {};
    };
    if (auto built = build(); !built.ok()) {
        (void)driver->leave(context, endpoint);
        release_addresses();
        return built.release_error().with_context("connect " + container_name + " to network " + network.name);
    }
    network.containers[container_id] = endpoint;
    rebuild_names(network.id);
    TRY(save(Durability::Replaced));
    return endpoint;
}

Result<void> Manager::Impl::disconnect(NetworkRecord& network, const std::string& container_id)
{
    auto it = network.containers.find(container_id);
    if (it == network.containers.end())
        return Error::not_found("container " + container_id + " is not connected to network " + network.name);
    auto endpoint = it->second;
    const auto* driver = TRY(find_driver(network.driver));
    TRY_CTX(driver->leave(context(), endpoint), "disconnect from " + network.name);
    if (auto ip = Ipv4::parse(endpoint.ip_address); ip.ok())
        TRY(ipam.release(network.id, ip.value()));
    if (auto ip6 = Ipv6::parse(endpoint.ipv6_address); ip6.ok())
        TRY(ipam.release6(network.id, ip6.value()));
    network.containers.erase(it);
    rebuild_names(network.id);
    return save(Durability::Replaced);
}

// [SECTION] Manager

Manager::Manager(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{
}

Manager::~Manager()
{
    std::lock_guard lock(m_impl->mutex);
    m_impl->dns.clear();
    m_impl->ports.clear();
}

Result<std::unique_ptr<Manager>> Manager::open(sys::Kernel& kernel, Netlink& netlink, Nftables& nftables, Options options)
{
    if (options.state_dir.empty() || options.run_dir.empty())
        return Error::invalid("network manager needs a state dir and a run dir");
    auto pools = TRY(default_pools(options.pool_prefix));
    TRY(fs::make_dirs(options.state_dir, 0700));
    TRY(fs::make_dirs(options.run_dir + "/netns", 0755));
    auto impl = std::make_unique<Impl>(kernel, netlink, nftables, options, std::move(pools));
    TRY(impl->ipam.load());
    TRY(impl->load());
    // A daemon killed between handing out an address and recording its endpoint left the
    // address allocated to nobody: give it back.
    for (const auto& [id, network] : impl->networks) {
        const auto* pool = impl->ipam.pool(id);
        if (pool == nullptr)
            continue;
        std::set<std::uint32_t> orphans = pool->allocated;
        for (const auto& [container_id, endpoint] : network.containers) {
            if (auto ip = Ipv4::parse(endpoint.ip_address); ip.ok())
                orphans.erase(ip.value().value);
        }
        for (auto address : orphans)
            (void)impl->ipam.release(id, Ipv4 { address });
        if (const auto* pool6 = impl->ipam.pool6(id)) {
            std::set<Ipv6> orphans6 = pool6->allocated;
            for (const auto& [container_id, endpoint] : network.containers)
                if (auto ip6 = Ipv6::parse(endpoint.ipv6_address); ip6.ok())
                    orphans6.erase(ip6.value());
            for (const auto& address : orphans6)
                (void)impl->ipam.release6(id, address);
        }
    }
    if (auto host = fs::read_file(options.resolv_conf_source); host.ok())
        impl->upstreams = parse_resolv_conf(host.value()).nameservers;
    TRY(impl->ensure_builtin("bridge", "bridge"));
    // A table holds one daemon's rules (sync_nft replaces it whole), so a daemon whose default
    // bridge is glassbox<N> because another daemon has glassbox0 keeps its rules in a table of
    // the same name; one with glassbox0 keeps the table `glassbox`, as before.
    if (impl->options.nft_table_name == Options {}.nft_table_name && impl->options.bridge_name == Options {}.bridge_name)
        for (const auto& [id, network] : impl->networks)
            if (network.name == "bridge" && !network.user_defined && network.bridge != Options {}.bridge_name)
                impl->options.nft_table_name = network.bridge;
    TRY(impl->ensure_builtin("host", "host"));
    TRY(impl->ensure_builtin("none", "none"));
    auto context = impl->context();
    for (auto& [id, network] : impl->networks) {
        auto driver = find_driver(network.driver);
        if (!driver.ok()) {
            log::warn("network " + network.name + ": " + driver.error().describe());
            continue;
        }
        TRY(driver.value()->restore(context, network));
        if (driver.value()->host_bridged()) {
            TRY(impl->start_dns(network));
            impl->rebuild_names(id);
        }
    }
    TRY(impl->save());
    TRY(impl->sync_nft());
    if (options.enable_nat) {
        // Outbound NAT and published ports need the host to route, as Docker sets it.
        auto forward = kernel.read_file("/proc/sys/net/ipv4/ip_forward");
        if (forward.ok() && strings::trim(forward.value()) != "1")
            TRY(kernel.write_file("/proc/sys/net/ipv4/ip_forward", "1"));
    }
    return std::unique_ptr<Manager>(new Manager(std::move(impl)));
}

Result<NetworkRecord> Manager::create_network(NetworkConfig config)
{
    std::lock_guard lock(m_impl->mutex);
    return m_impl->create(std::move(config));
}

Result<void> Manager::remove_network(const std::string& ref)
{
    std::lock_guard lock(m_impl->mutex);
    auto* network = TRY(m_impl->find(ref));
    return m_impl->remove(*network);
}

Result<NetworkRecord> Manager::get(const std::string& ref) const
{
    std::lock_guard lock(m_impl->mutex);
    auto* network = TRY(m_impl->find(ref));
    auto copy = *network;
    if (auto driver = find_driver(copy.driver); driver.ok())
        for (auto& warning : driver.value()->warnings())
            copy.warnings.push_back(std::move(warning));
    return copy;
}

std::vector<NetworkRecord> Manager::list() const
{
    std::lock_guard lock(m_impl->mutex);
    std::vector<NetworkRecord> result;
    for (const auto& [id, network] : m_impl->networks)
        result.push_back(network);
    return result;
}

Result<std::vector<std::string>> Manager::prune()
{
    std::lock_guard lock(m_impl->mutex);
    std::vector<std::string> ids;
    for (const auto& [id, network] : m_impl->networks)
        if (network.user_defined && network.containers.empty())
            ids.push_back(id);
    std::vector<std::string> removed;
    for (const auto& id : ids) {
        auto name = m_impl->networks.at(id).name;
        TRY(m_impl->remove(m_impl->networks.at(id)));
        removed.push_back(name);
    }
    return removed;
}

Result<std::string> Manager::create_sandbox(const std::string& container_id)
{
    if (container_id.empty() || container_id.find('/') != std::string::npos || container_id == Lab::netns_name())
        return Error::invalid("invalid container id for a sandbox: \"" + container_id + "\"");
    std::lock_guard lock(m_impl->mutex);
    auto path = m_impl->netns_dir() + "/" + container_id;
    TRY(create_netns_file(m_impl->kernel, path));
    if (auto up = m_impl->nl.set_link_up(path, "lo", true); !up.ok()) {
        (void)remove_netns_file(m_impl->kernel, path);
        return up.release_error().with_context("sandbox " + container_id);
    }
    return path;
}

Result<void> Manager::remove_sandbox(const std::string& container_id)
{
    std::lock_guard lock(m_impl->mutex);
    return remove_netns_file(m_impl->kernel, m_impl->netns_dir() + "/" + container_id);
}

Result<Endpoint> Manager::connect(const std::string& network_ref, const std::string& container_id,
    const std::string& container_name, const std::string& sandbox_path, const std::vector<std::string>& aliases,
    const std::string& requested_ipv4, const std::string& mac, const std::string& requested_ipv6)
{
    std::lock_guard lock(m_impl->mutex);
    auto* network = TRY(m_impl->find(network_ref));
    return m_impl->connect(*network, container_id, container_name, sandbox_path, aliases, requested_ipv4, mac,
        requested_ipv6);
}

Result<void> Manager::disconnect(const std::string& network_ref, const std::string& container_id)
{
    std::lock_guard lock(m_impl->mutex);
    auto* network = TRY(m_impl->find(network_ref));
    return m_impl->disconnect(*network, container_id);
}

std::vector<Endpoint> Manager::endpoints_of(const std::string& container_id) const
{
    std::lock_guard lock(m_impl->mutex);
    std::vector<Endpoint> result;
    for (const auto& [id, network] : m_impl->networks)
        if (auto it = network.containers.find(container_id); it != network.containers.end())
            result.push_back(it->second);
    std::sort(result.begin(), result.end(), [](const Endpoint& a, const Endpoint& b) { return a.sandbox_link < b.sandbox_link; });
    return result;
}

void Manager::rename_container(const std::string& container_id, const std::string& new_name)
{
    std::lock_guard lock(m_impl->mutex);
    for (auto& [id, network] : m_impl->networks) {
        if (auto it = network.containers.find(container_id); it != network.containers.end()) {
            it->second.container_name = new_name;
            m_impl->rebuild_names(id);
        }
    }
    (void)m_impl->save();
}

Result<std::vector<PublishedPort>> Manager::publish_ports(const std::string& container_id,
    const std::string& container_ip, const std::vector<PortRequest>& requests)
{
    std::lock_guard lock(m_impl->mutex);
    TRY_CTX(Ipv4::parse(container_ip), "publish ports: container address");
    std::vector<PortEntry> entries;
    for (const auto& request : requests) {
        PortEntry entry;
        entry.container_ip = container_ip;
        entry.port = { request.container_port, request.protocol, request.host_ip.empty() ? "0.0.0.0" : request.host_ip, request.host_port };
        if (!request.host_ip.empty())
            TRY_CTX(Ipv4::parse(request.host_ip), "publish port " + std::to_string(request.container_port) + ": host ip");
        if (request.protocol == "tcp") {
            entry.proxy = TRY(PortProxy::start(request.host_ip, request.host_port, container_ip, request.container_port));
            entry.port.host_port = entry.proxy->port();
        } else {
            // UDP: a bound socket reserves the port; the DNAT rule carries the traffic.
            entry.udp_reservation.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            sockaddr_in address {};
            address.sin_family = AF_INET;
            address.sin_port = htons(request.host_port);
            address.sin_addr.s_addr = htonl(request.host_ip.empty() ? 0 : Ipv4::parse(request.host_ip).value().value);
            if (::bind(entry.udp_reservation.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
                return Error::from_errno("reserve UDP port " + std::to_string(request.host_port), errno);
            socklen_t length = sizeof address;
            ::getsockname(entry.udp_reservation.get(), reinterpret_cast<sockaddr*>(&address), &length);
            entry.port.host_port = ntohs(address.sin_port);
        }
        entries.push_back(std::move(entry));
    }
    std::vector<PublishedPort> result;
    auto& slot = m_impl->ports[container_id];
    for (auto& entry : entries) {
        result.push_back(entry.port);
        slot.push_back(std::move(entry));
    }
    if (auto synced = m_impl->sync_nft(); !synced.ok()) {
        m_impl->ports.erase(container_id);
        (void)m_impl->sync_nft();
        return synced.release_error();
    }
    return result;
}

Result<void> Manager::unpublish_ports(const std::string& container_id)
{
    std::lock_guard lock(m_impl->mutex);
    if (m_impl->ports.erase(container_id) == 0)
        return Ok {};
    return m_impl->sync_nft();
}

Result<ContainerFiles> Manager::write_container_files(const std::string& container_id,
    const ContainerFileOptions& file_options, const std::string& dir)
{
    std::vector<Endpoint> endpoints = endpoints_of(container_id);
    std::lock_guard lock(m_impl->mutex);
    TRY(fs::make_dirs(dir));
    ContainerFiles files { dir + "/hosts", dir + "/resolv.conf", dir + "/hostname" };
    std::string host_resolv = fs::read_file(m_impl->options.resolv_conf_source).ok()
        ? fs::read_file(m_impl->options.resolv_conf_source).value() : "";
    auto host_conf = parse_resolv_conf(host_resolv);

    std::vector<HostsLine> extra;
    for (const auto& spec : file_options.extra_hosts)
        extra.push_back(TRY(parse_extra_host(spec)));
    std::string hosts;
    ResolvConf resolv;
    if (file_options.host_network) {
        hosts = fs::read_file("/etc/hosts").ok() ? fs::read_file("/etc/hosts").value() : render_hosts({}, {});
        for (const auto& line : extra)
            hosts += line.address + "\t" + strings::join(line.names, " ") + "\n";
        resolv = file_options.dns.empty() ? host_conf : container_resolv_conf(host_conf, file_options.dns);
    } else {
        std::vector<HostsLine> own;
        std::string dns_address;
        for (const auto& endpoint : endpoints) {
            if (endpoint.ip_address.empty())
                continue;
            std::vector<std::string> names { file_options.hostname };
            if (!file_options.domainname.empty())
                names.insert(names.begin(), file_options.hostname + "." + file_options.domainname);
            own.push_back({ endpoint.ip_address, names });
            auto it = m_impl->networks.find(endpoint.network_id);
            if (dns_address.empty() && it != m_impl->networks.end() && !it->second.dns_address.empty())
                dns_address = it->second.dns_address;
        }
        hosts = render_hosts(own, extra);
        if (!dns_address.empty() && file_options.dns.empty()) {
            resolv = host_conf;
            resolv.nameservers = { dns_address };
        } else {
            resolv = container_resolv_conf(host_conf, file_options.dns);
        }
    }
    // Rendered again from the records at every start and connect: atomic, but not worth an
    // fsync each on the path of every run.
    TRY(fs::write_file_replace(files.hosts_path, hosts, 0644));
    TRY(fs::write_file_replace(files.resolv_conf_path, render_resolv_conf(resolv), 0644));
    TRY(fs::write_file_replace(files.hostname_path, file_options.hostname + "\n", 0644));
    return files;
}

Result<std::string> Manager::ensure_lab_uplink()
{
    std::lock_guard lock(m_impl->mutex);
    return m_impl->lab.ensure_uplink();
}

Result<std::vector<std::string>> Manager::release_lab()
{
    std::lock_guard lock(m_impl->mutex);
    return m_impl->lab.release();
}

Result<std::vector<std::string>> Manager::reset()
{
    std::lock_guard lock(m_impl->mutex);
    std::vector<std::string> removed;
    m_impl->ports.clear();
    m_impl->dns.clear();
    auto& nl = m_impl->nl;
    // Only the links this daemon's records name: its networks' bridges and the VLAN parents it
    // made, the host sides of its endpoints (container sides go with their namespaces), and the
    // lab uplink (its peer and the VLANs on it go with it) when one of its networks uses it. Several daemons may share the link
    // prefix (it defaults to "gb-"), so a name that merely starts with it may be another's.
    std::set<std::string> owned;
    for (const auto& [id, network] : m_impl->networks) {
        if (!network.bridge.empty())
            owned.insert(network.bridge);
        for (const auto& [container_id, endpoint] : network.containers)
            if (!endpoint.host_link.empty())
                owned.insert(endpoint.host_link);
        if (network.created_parent && !network.parent.empty())
            owned.insert(network.parent);
        if (m_impl->lab.carries(network))
            owned.insert(m_impl->lab.uplink_name());
    }
    // A prefix given with --link-prefix is this daemon's alone, so every link with it is its own,
    // also one a crash left unrecorded (a veth made before its endpoint was written down).
    if (m_impl->options.bridge_prefix != Options {}.bridge_prefix)
        if (auto links = nl.list_links(""); links.ok())
            for (const auto& link : links.value())
                if (strings::starts_with(link.name, m_impl->options.bridge_prefix))
                    owned.insert(link.name);
    for (const auto& name : owned)
        if (nl.delete_link("", name).ok())
            removed.push_back("link " + name);
    for (const auto& name : fs::list_dir(m_impl->netns_dir())) {
        auto path = m_impl->netns_dir() + "/" + name;
        if (remove_netns_file(m_impl->kernel, path).ok())
            removed.push_back("netns " + path);
    }
    if (m_impl->nft.list_table(m_impl->options.nft_table_name).ok()) {
        TRY(m_impl->nft.delete_table(m_impl->options.nft_table_name));
        removed.push_back("nft table ip " + m_impl->options.nft_table_name);
    }
    for (const auto& [id, network] : m_impl->networks)
        (void)m_impl->ipam.remove_pool(id);
    m_impl->networks.clear();
    {
        std::unique_lock names_lock(m_impl->names_mutex);
        m_impl->names.clear();
    }
    TRY(m_impl->save());
    return removed;
}

} // namespace engine::network
