// Create options with their own syntax (see create_options.h).
#include "engine/daemon/create_options.h"

#include "engine/base/strings.h"

namespace engine::daemon {

Result<void> check_mac_address(const std::string& mac)
{
    auto bad = [&] { return Error::invalid("invalid MAC address: \"" + mac + "\" (expected six hex octets, like 02:42:ac:11:00:02)"); };
    if (mac.size() != 17)
        return bad();
    char separator = mac[2];
    if (separator != ':' && separator != '-')
        return bad();
    for (std::size_t i = 0; i < mac.size(); ++i) {
        char c = mac[i];
        if (i % 3 == 2) {
            if (c != separator)
                return bad();
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return bad();
        }
    }
    // The low bit of the first octet marks a multicast address, which no interface may own.
    auto first = std::stoi(mac.substr(0, 2), nullptr, 16);
    if (first & 1)
        return Error::invalid("invalid MAC address: \"" + mac + "\" is a multicast address");
    return Ok {};
}

Result<VolumesFrom> parse_volumes_from(const std::string& spec)
{
    VolumesFrom out;
    auto colon = spec.rfind(':');
    out.container = spec.substr(0, colon);
    if (colon != std::string::npos) {
        auto mode = spec.substr(colon + 1);
        if (mode == "ro")
            out.read_only = true;
        else if (mode != "rw")
            return Error::invalid("invalid mode: " + mode);
    }
    if (out.container.empty())
        return Error::invalid("invalid volumes-from \"" + spec + "\": no container named");
    return out;
}

Result<PidMode> parse_pid_mode(const std::string& mode)
{
    PidMode out;
    if (mode.empty())
        return out;
    if (mode == "host") {
        out.host = true;
        return out;
    }
    if (strings::starts_with(mode, "container:")) {
        out.container = mode.substr(10);
        if (!out.container.empty())
            return out;
    }
    return Error::invalid("invalid PID mode: \"" + mode + "\" (use host or container:<name|id>)");
}

} // namespace engine::daemon
