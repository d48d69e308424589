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

// The MTU for every driver, the rest through the driver's own parse_option (driver.h); an
// unknown driver or an option the driver does not take is refused, naming it.
Result<DriverOptions> parse_driver_options(const std::string& driver,
    const std::map<std::string, std::string>& options);

// `value` as a number low..high, or an error naming `key` and the range.
Result<int> parse_int_option(const std::string& key, const std::string& value, int low, int high);

} // namespace engine::network
