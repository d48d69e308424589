// The macvlan driver: each endpoint is a macvlan child of the network's parent link (parent.h)
// with its own MAC address, in mode bridge (the default), private, vepa or passthru.
#include "engine/network/drivers/drivers.h"
#include "engine/network/drivers/parent.h"

namespace engine::network {

namespace {

class MacvlanDriver final : public ParentDriver {
public:
    MacvlanDriver()
        : ParentDriver({
              .name = "macvlan",
              .modes = { "bridge", "private", "vepa", "passthru" },
              .feature = "link.macvlan",
              .config_option = "CONFIG_MACVLAN",
              .own_mac = true,
          })
    {
    }

    // As on dockerd: with --ipv6 and an IPv6 subnet each child also gets an IPv6 address (and
    // the IPv6 default route through the network's IPv6 gateway, which the lab answers on the
    // lab uplink).
    [[nodiscard]] bool supports_ipv6() const override { return true; }
};

} // namespace

std::unique_ptr<Driver> make_macvlan_driver()
{
    return std::make_unique<MacvlanDriver>();
}

} // namespace engine::network
