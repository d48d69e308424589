#include "engine/network/options.h"

#include <set>

#include "engine/base/strings.h"
#include "engine/network/manager.h"

namespace engine::network {

namespace {

Result<int> parse_int_option(const std::string& key, const std::string& value, int low, int high)
{
    std::uint64_t number = 0;
    if (!strings::parse_uint(value, number) || number < std::uint64_t(low) || number > std::uint64_t(high))
        return Error::invalid("option " + key + "=" + value + ": expected a number " + std::to_string(low)
            + ".." + std::to_string(high));
    return static_cast<int>(number);
}

} // namespace

Result<DriverOptions> parse_driver_options(const std::string& driver,
    const std::map<std::string, std::string>& options)
{
    static const std::set<std::string> drivers { "bridge", "host", "none", "macvlan", "ipvlan" };
    if (!drivers.contains(driver))
        return Error::invalid("unknown network driver \"" + driver
            + "\" (glassbox knows bridge, host, none, macvlan, ipvlan)");
    DriverOptions result;
    for (const auto& [key, value] : options) {
        if (key == "com.docker.network.driver.mtu" || key == "mtu") {
            result.mtu = TRY(parse_int_option(key, value, 68, 65535));
        } else if (driver == "bridge" && key == "com.docker.network.bridge.name") {
            if (value.empty() || value.size() > 15 || value.find('/') != std::string::npos)
                return Error::invalid("option " + key + "=" + value + ": not a valid interface name (1-15 characters)");
            result.bridge_name = value;
        } else if (driver == "bridge" && strings::starts_with(key, "com.docker.network.bridge.")) {
            // Docker's other bridge flags (enable_icc, enable_ip_masquerade, ...) are accepted
            // and kept for inspect; glassbox's defaults match Docker's.
        } else if ((driver == "macvlan" || driver == "ipvlan") && key == "parent") {
            if (value.empty() || value.size() > 15)
                return Error::invalid("option parent=" + value + ": not a valid interface name");
            result.parent = value;
            auto dot = value.rfind('.');
            if (dot != std::string::npos) {
                result.parent_base = value.substr(0, dot);
                result.vlan_id = TRY(parse_int_option("parent (VLAN id after the dot)", value.substr(dot + 1), 1, 4094));
            }
        } else if (driver == "macvlan" && key == "macvlan_mode") {
            static const std::set<std::string> modes { "bridge", "private", "vepa", "passthru" };
            if (!modes.contains(value))
                return Error::invalid("option macvlan_mode=" + value + ": expected bridge, private, vepa or passthru");
            result.mode = value;
        } else if (driver == "ipvlan" && key == "ipvlan_mode") {
            static const std::set<std::string> modes { "l2", "l3", "l3s" };
            if (!modes.contains(value))
                return Error::invalid("option ipvlan_mode=" + value + ": expected l2, l3 or l3s");
            result.mode = value;
        } else if (driver == "bridge" && !strings::starts_with(key, "com.docker.network.") && key != "parent"
            && key != "macvlan_mode" && key != "ipvlan_mode") {
            // dockerd's bridge driver keeps options it does not know and echoes them in inspect
            // (tools store their own keys there); glassbox does the same. Options of the other
            // drivers stay refused: on a bridge they are a mistake worth naming.
        } else {
            return Error::invalid("option " + key + " is not supported by the " + driver + " driver");
        }
    }
    if (result.mode.empty())
        result.mode = driver == "macvlan" ? "bridge" : driver == "ipvlan" ? "l2" : "";
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
