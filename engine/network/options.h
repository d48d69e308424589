// Parsing what users type: driver options (-o parent=..., macvlan_mode, ipvlan_mode, the bridge
// name and MTU options Docker accepts) into a checked DriverOptions value. Errors name the
// option and the accepted values.
#pragma once

#include <map>
#include <string>

#include "engine/base/result.h"

namespace engine::network {

struct DriverOptions {
    std::string parent;      // macvlan/ipvlan: "" = the lab uplink. "uplink.10" = VLAN 10 on it.
    std::string parent_base; // The part before ".<vlan>" ("" when no VLAN).
    int vlan_id { 0 };
    std::string mode;        // macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3|l3s.
    std::string bridge_name; // com.docker.network.bridge.name
    int mtu { 0 };           // com.docker.network.driver.mtu
};

// Known drivers: "bridge", "host", "none", "macvlan", "ipvlan". Unknown options are refused.
Result<DriverOptions> parse_driver_options(const std::string& driver,
    const std::map<std::string, std::string>& options);

} // namespace engine::network
