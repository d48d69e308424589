// network::Driver: what one network driver does, so network::Manager never asks for a driver by
// name. The manager owns everything every driver shares (the records, IPAM, the embedded DNS,
// the nft ruleset, interface names in the sandbox, addresses and routes inside it); a driver
// owns the kernel objects that make its kind of network: the Linux bridge and veth pairs of
// `bridge`, the parent link (lab uplink or 802.1q sub-interface) and macvlan/ipvlan children
// of `macvlan` and `ipvlan`, nothing at all for `host` and `none`.
//
// Drivers are stateless singletons looked up by name (find_driver). To add one: a file in
// engine/network/drivers/ that subclasses Driver, its factory in drivers/drivers.h, one line in
// the registry in driver.cpp, and the file in engine/network/CMakeLists.txt.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/network/manager.h"
#include "engine/network/options.h"

namespace engine::network {

class Lab;

// What a driver may use: the kernel seams, the manager's options and the lab uplink.
struct DriverContext {
    sys::Kernel& kernel;
    Netlink& nl;
    const Options& options;
    Lab& lab;
};

class Driver {
public:
    virtual ~Driver() = default;
    [[nodiscard]] virtual std::string_view name() const = 0;

    // [SECTION] Options and checks, before anything is made.
    // One -o option other than the MTU (which every driver takes): stores it in `into`, or fails
    // naming the option. The default refuses every option.
    virtual Result<void> parse_option(const std::string& key, const std::string& value, DriverOptions& into) const;
    // Fills what the user left out (the macvlan/ipvlan mode).
    virtual void default_options(DriverOptions&) const { }
    // Refuses a `network create` this driver or this kernel cannot do, naming why.
    virtual Result<void> check_create(const sys::KernelFeatures&, const DriverOptions&) const { return Ok {}; }

    // [SECTION] What the driver is.
    // false (host, none): an endpoint is only recorded, with no interface and no address.
    [[nodiscard]] virtual bool has_endpoints() const { return true; }
    // The network is a Linux bridge the host routes: it gets the isolation, NAT and published-
    // port rules in nft, and user-defined ones get the embedded DNS.
    [[nodiscard]] virtual bool host_bridged() const { return false; }
    // EnableIPv6 is accepted (endpoints then get an IPv6 address on their interface).
    [[nodiscard]] virtual bool supports_ipv6() const { return false; }
    // Said by inspect (host: no isolation).
    [[nodiscard]] virtual std::vector<std::string> warnings() const { return {}; }

    // [SECTION] Networks. create fills the record's kernel-object fields (bridge, parent,
    // created_parent, options["parent"], warnings) and leaves nothing behind when it fails.
    virtual Result<void> create(const DriverContext&, NetworkRecord&, const DriverOptions&) const { return Ok {}; }
    // At every daemon start: makes again what a reboot or a daemon stop removed.
    virtual Result<void> restore(const DriverContext&, NetworkRecord&) const { return Ok {}; }
    virtual Result<void> remove(const DriverContext&, const NetworkRecord&) const { return Ok {}; }

    // [SECTION] Endpoints. join puts the interface endpoint.sandbox_link into the sandbox
    // endpoint.sandbox_path (named `host_name` while it is on the host, a free name with the
    // prefix), and sets endpoint.host_link when a host-side link stays, and endpoint.mac_address
    // when the kernel chose it. The manager then adds the addresses and routes.
    virtual Result<void> join(const DriverContext&, const NetworkRecord&, const DriverOptions&, Endpoint&,
        const std::string& host_name) const;
    // Where the IPv4 default route of an endpoint goes: the gateway, or "" for a route through
    // the interface itself.
    [[nodiscard]] virtual std::string default_gateway(const NetworkRecord& network, const DriverOptions&) const
    {
        return network.gateway;
    }
    // Removes the endpoint's interface: the host-side link when there is one (its peer goes with
    // it), else the interface in the sandbox. A link already gone is no error.
    virtual Result<void> leave(const DriverContext&, const Endpoint&) const;
};

// The driver named `name`, or InvalidArgument listing the drivers glassbox has.
Result<const Driver*> find_driver(const std::string& name);

// Fails at once (Unsupported) when the kernel lacks what a driver needs, naming the kernel
// option and pointing at the simulated kernel.
Result<void> require_feature(const sys::KernelFeatures& features, const std::string& feature, const std::string& what,
    const std::string& config_option);

} // namespace engine::network
