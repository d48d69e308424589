// What macvlan and ipvlan share: a parent link, and one child of it per endpoint moved into the
// sandbox. The parent is the lab uplink unless -o parent names another link; "<link>.<id>"
// asks for the 802.1q VLAN <id> on <link>, a sub-interface made with the network (when it is
// not there) and removed with it. A real host interface as the parent is taken with a warning:
// containers then appear on its wire.
#pragma once

#include <string>
#include <vector>

#include "engine/network/driver.h"

namespace engine::network {

class ParentDriver : public Driver {
public:
    // What tells macvlan and ipvlan apart.
    struct Kind {
        std::string name;              // The driver, and the kind of the child links.
        std::vector<std::string> modes; // -o <name>_mode=...; the first is the default.
        std::string feature;           // sys::KernelFeatures entry, e.g. "link.macvlan".
        std::string config_option;     // The kernel option named when it is missing.
        bool own_mac { true };         // macvlan children get the endpoint's MAC; ipvlan ones share the parent's.
    };
    explicit ParentDriver(Kind kind);

    [[nodiscard]] std::string_view name() const override { return m_kind.name; }
    // -o parent=<link>[.<vlan id>] and -o <name>_mode=<mode>.
    Result<void> parse_option(const std::string& key, const std::string& value, DriverOptions& into) const override;
    void default_options(DriverOptions& opts) const override;
    // The driver's link kind, then 802.1q when the parent names a VLAN.
    Result<void> check_create(const sys::KernelFeatures& features, const DriverOptions& opts) const override;

    Result<void> create(const DriverContext& context, NetworkRecord& network, const DriverOptions& opts) const override;
    // Not fatal to the daemon's start (bridge networks work without the lab): logs and goes on.
    Result<void> restore(const DriverContext& context, NetworkRecord& network) const override;
    Result<void> remove(const DriverContext& context, const NetworkRecord& network) const override;

    Result<void> join(const DriverContext& context, const NetworkRecord& network, const DriverOptions& opts,
        Endpoint& endpoint, const std::string& host_name) const override;

private:
    Kind m_kind;
};

} // namespace engine::network
