// Create options with their own syntax (see create_options.h).
#include "engine/daemon/create_options.h"

#include "engine/base/strings.h"
#include "engine/network/ipv4.h"
#include "engine/network/ipv6.h"

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

Result<VolumesFrom> VolumesFrom::parse(const std::string& spec)
{
    VolumesFrom out;
    auto colon = spec.rfind(':');
    out.container = spec.substr(0, colon);
    if (colon != std::string::npos) {
        auto mode = spec.substr(colon + 1);
        if (mode == "ro")
            out.mode = Mode::ReadOnly;
        else if (mode == "rw")
            out.mode = Mode::ReadWrite;
        else
            return Error::invalid("invalid mode: " + mode);
    }
    if (out.container.empty())
        return Error::invalid("invalid volumes-from \"" + spec + "\": no container named");
    return out;
}

std::string VolumesFrom::text() const
{
    switch (mode) {
    case Mode::ReadOnly:
        return container + ":ro";
    case Mode::ReadWrite:
        return container + ":rw";
    case Mode::Unset:
        break;
    }
    return container;
}

Result<PidMode> PidMode::parse(const std::string& text)
{
    PidMode out;
    if (text.empty())
        return out;
    if (text == "host") {
        out.kind = Kind::Host;
        return out;
    }
    if (strings::starts_with(text, "container:")) {
        out.kind = Kind::Container;
        out.container = text.substr(10);
        if (!out.container.empty())
            return out;
    }
    return Error::invalid("invalid PID mode: \"" + text + "\" (use host or container:<name|id>)");
}

std::string PidMode::text() const
{
    switch (kind) {
    case Kind::Host:
        return "host";
    case Kind::Container:
        return "container:" + container;
    case Kind::Private:
        break;
    }
    return "";
}

Result<NetworkMode> NetworkMode::parse(const std::string& text)
{
    NetworkMode mode;
    if (text.empty() || text == "default")
        return mode;
    if (text == "host") {
        mode.kind = Kind::Host;
    } else if (text == "none") {
        mode.kind = Kind::None;
    } else if (strings::starts_with(text, "container:")) {
        mode.kind = Kind::Container;
        mode.name = text.substr(10);
        if (mode.name.empty())
            return Error::invalid("invalid network mode \"" + text + "\": invalid container format container:<name|id>");
    } else {
        mode.kind = Kind::Network;
        mode.name = text;
    }
    return mode;
}

std::string NetworkMode::text() const
{
    switch (kind) {
    case Kind::Host:
        return "host";
    case Kind::None:
        return "none";
    case Kind::Container:
        return "container:" + name;
    case Kind::Network:
        return name;
    case Kind::Default:
        break;
    }
    return "default";
}

std::string NetworkMode::network() const
{
    switch (kind) {
    case Kind::Default:
        return "bridge";
    case Kind::Host:
    case Kind::None:
        return text();
    case Kind::Network:
        return name;
    case Kind::Container:
        break;
    }
    return "";
}

// "1".."65535" as a port number; `what` names the field in the error.
static Result<std::uint16_t> port_number(const std::string& text, const std::string& what)
{
    std::uint64_t number = 0;
    if (!strings::parse_uint(text, number) || number == 0 || number > 65535)
        return Error::invalid(what + " \"" + text + "\" is not a port number (1..65535)");
    return static_cast<std::uint16_t>(number);
}

Result<ContainerPort> ContainerPort::parse(const std::string& key)
{
    ContainerPort port;
    auto slash = key.find('/');
    if (slash != std::string::npos) {
        port.protocol = strings::to_lower(key.substr(slash + 1));
        if (port.protocol != "tcp" && port.protocol != "udp")
            return Error::invalid("port \"" + key + "\": the protocol must be tcp or udp");
    }
    port.number = TRY(port_number(key.substr(0, slash), "port \"" + key + "\": the container port"));
    return port;
}

std::string ContainerPort::key() const
{
    return std::to_string(number) + "/" + protocol;
}

Result<PortBinding> PortBinding::parse(const std::string& host_ip, const std::string& host_port)
{
    PortBinding binding;
    if (!host_ip.empty()) {
        // The port proxy and the DNAT rules that publish a port are IPv4 only, so an IPv6 address
        // (the docker CLI sends "::1" for -p [::1]:8080:80) is refused here, at create, rather
        // than accepted and failing at every start.
        if (!network::Ipv4::parse(host_ip).ok()) {
            if (network::Ipv6::parse(host_ip).ok())
                return Error::invalid("HostIp \"" + host_ip
                    + "\" is an IPv6 address: glassbox publishes ports on IPv4 host addresses only (use an IPv4 address such as "
                      "127.0.0.1, or none for every address)");
            return Error::invalid("HostIp \"" + host_ip + "\" is not an IP address");
        }
        binding.host_ip = host_ip;
    }
    if (!host_port.empty())
        binding.host_port = TRY(port_number(host_port, "HostPort"));
    return binding;
}

std::string PortBinding::host_port_text() const
{
    return host_port == 0 ? std::string() : std::to_string(host_port);
}

} // namespace engine::daemon
