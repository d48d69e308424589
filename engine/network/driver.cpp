#include "engine/network/driver.h"

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/network/drivers/drivers.h"

namespace engine::network {

namespace {

// In the order the unknown-driver error lists them.
const std::vector<std::unique_ptr<Driver>>& registry()
{
    static const auto drivers = [] {
        std::vector<std::unique_ptr<Driver>> list;
        list.push_back(make_bridge_driver());
        list.push_back(make_host_driver());
        list.push_back(make_none_driver());
        list.push_back(make_macvlan_driver());
        list.push_back(make_ipvlan_driver());
        return list;
    }();
    return drivers;
}

} // namespace

Result<const Driver*> find_driver(const std::string& name)
{
    std::vector<std::string> names;
    for (const auto& driver : registry()) {
        if (driver->name() == name)
            return driver.get();
        names.emplace_back(driver->name());
    }
    return Error::invalid("unknown network driver \"" + name + "\" (glassbox knows " + strings::join(names, ", ") + ")");
}

Result<void> Driver::parse_option(const std::string& key, const std::string&, DriverOptions&) const
{
    return Error::invalid("option " + key + " is not supported by the " + std::string(name()) + " driver");
}

Result<void> Driver::join(const DriverContext&, const NetworkRecord& network, const DriverOptions&, Endpoint&,
    const std::string&) const
{
    return Error::unsupported("the " + std::string(name()) + " driver gives network " + network.name + " no interfaces");
}

Result<void> Driver::leave(const DriverContext& context, const Endpoint& endpoint) const
{
    Result<void> removed = Ok {};
    if (!endpoint.host_link.empty())
        removed = context.nl.delete_link("", endpoint.host_link);
    else if (!endpoint.sandbox_link.empty() && fs::exists(endpoint.sandbox_path))
        removed = context.nl.delete_link(endpoint.sandbox_path, endpoint.sandbox_link);
    if (!removed.ok() && removed.error().kind() != ErrorKind::NotFound)
        return removed;
    return Ok {};
}

Result<void> require_feature(const sys::KernelFeatures& features, const std::string& feature, const std::string& what,
    const std::string& config_option)
{
    const auto* found = features.find(feature);
    if (found && found->available)
        return Ok {};
    // The probe tries a VLAN on loopback, which refuses VLANs with EOPNOTSUPP even where 802.1q
    // exists; /proc/net/vlan/config appears once the 8021q module is present, so trust it too.
    if (feature == "link.vlan" && fs::exists("/proc/net/vlan/config"))
        return Ok {};
    std::string detail = found ? found->detail : "not probed";
    return Error::unsupported("the " + what + " driver needs " + config_option + ", which this kernel ("
        + features.kernel_release + ") lacks: " + detail
        + ". To see this driver anyway, use the simulated kernel (its own mode), or run scripts/kernel-lab,"
          " which proves it on Debian's stock kernel under qemu");
}

} // namespace engine::network
