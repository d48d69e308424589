// The macvlan driver: each endpoint is a macvlan child of the network's parent link (parent.h)
// with its own MAC address, in mode bridge (the default), private, vepa or passthru.
#include "engine/network/drivers/drivers.h"
#include "engine/network/drivers/parent.h"

namespace engine::network {

std::unique_ptr<Driver> make_macvlan_driver()
{
    return std::make_unique<ParentDriver>(ParentDriver::Kind {
        .name = "macvlan",
        .modes = { "bridge", "private", "vepa", "passthru" },
        .feature = "link.macvlan",
        .config_option = "CONFIG_MACVLAN",
        .own_mac = true,
    });
}

} // namespace engine::network
