// The ipvlan driver: each endpoint is an ipvlan child of the network's parent link (parent.h),
// sharing the parent's MAC address, in mode l2 (the default), l3 or l3s.
#include "engine/network/drivers/drivers.h"
#include "engine/network/drivers/parent.h"

namespace engine::network {

namespace {

class IpvlanDriver final : public ParentDriver {
public:
    IpvlanDriver()
        : ParentDriver({
              .name = "ipvlan",
              .modes = { "l2", "l3", "l3s" },
              .feature = "link.ipvlan",
              .config_option = "CONFIG_IPVLAN",
              .own_mac = false,
          })
    {
    }

    // In the l3 modes the parent routes rather than bridges, so the default route goes through
    // the interface itself, not through a gateway on the segment.
    [[nodiscard]] std::string default_gateway(const NetworkRecord& network, const DriverOptions& opts) const override
    {
        return opts.mode == "l2" ? network.gateway : "";
    }
};

} // namespace

std::unique_ptr<Driver> make_ipvlan_driver()
{
    return std::make_unique<IpvlanDriver>();
}

} // namespace engine::network
