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

Result<PortRequest> parse_port_spec(const std::string& spec)
{
    PortRequest request;
    std::string body = spec;
    auto slash = body.find('/');
    if (slash != std::string::npos) {
        request.protocol = strings::to_lower(body.substr(slash + 1));
        body.resize(slash);
        if (request.protocol != "tcp" && request.protocol != "udp")
            return Error::invalid("port spec \"" + spec + "\": protocol must be tcp or udp");
    }
    auto parts = strings::split(body, ':');
    auto port = [&](const std::string& text, const char* which) -> Result<std::uint16_t> {
        std::uint64_t number = 0;
        if (!strings::parse_uint(text, number) || number == 0 || number > 65535)
            return Error::invalid("port spec \"" + spec + "\": " + which + " port \"" + text + "\" is not 1..65535");
        return static_cast<std::uint16_t>(number);
    };
    if (parts.size() == 1) {
        request.container_port = TRY(port(parts[0], "container"));
    } else if (parts.size() == 2) {
        if (!parts[0].empty())
            request.host_port = TRY(port(parts[0], "host"));
        request.container_port = TRY(port(parts[1], "container"));
    } else if (parts.size() == 3) {
        request.host_ip = parts[0];
        if (!parts[1].empty())
            request.host_port = TRY(port(parts[1], "host"));
        request.container_port = TRY(port(parts[2], "container"));
    } else {
        return Error::invalid("port spec \"" + spec + "\": expected [ip:][host:]container[/proto]");
    }
    return request;
}

} // namespace engine::network
