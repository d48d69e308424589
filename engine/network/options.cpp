#include "engine/network/options.h"

#include "engine/base/strings.h"
#include "engine/network/driver.h"
#include "engine/network/manager.h"

namespace engine::network {

Result<int> parse_int_option(const std::string& key, const std::string& value, int low, int high)
{
    std::uint64_t number = 0;
    if (!strings::parse_uint(value, number) || number < std::uint64_t(low) || number > std::uint64_t(high))
        return Error::invalid("option " + key + "=" + value + ": expected a number " + std::to_string(low)
            + ".." + std::to_string(high));
    return static_cast<int>(number);
}

Result<DriverOptions> parse_driver_options(const std::string& driver_name,
    const std::map<std::string, std::string>& options)
{
    const auto* driver = TRY(find_driver(driver_name));
    DriverOptions result;
    for (const auto& [key, value] : options) {
        if (key == "com.docker.network.driver.mtu" || key == "mtu")
            result.mtu = TRY(parse_int_option(key, value, 68, 65535));
        else
            TRY(driver->parse_option(key, value, result));
    }
    driver->default_options(result);
    return result;
}

} // namespace engine::network
