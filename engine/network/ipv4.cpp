#include "engine/network/ipv4.h"

#include <cstdio>

#include "engine/base/strings.h"

namespace engine::network {

Result<Ipv4> Ipv4::parse(std::string_view text)
{
    auto parts = strings::split(text, '.');
    if (parts.size() != 4)
        return Error::invalid("invalid IPv4 address \"" + std::string(text) + "\"");
    std::uint32_t value = 0;
    for (const auto& part : parts) {
        std::uint64_t octet = 0;
        if (part.empty() || part.size() > 3 || !strings::parse_uint(part, octet) || octet > 255)
            return Error::invalid("invalid IPv4 address \"" + std::string(text) + "\"");
        value = (value << 8) | static_cast<std::uint32_t>(octet);
    }
    return Ipv4 { value };
}

std::string Ipv4::str() const
{
    return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "."
        + std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

Result<Subnet> Subnet::parse(std::string_view text)
{
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return Error::invalid("invalid subnet \"" + std::string(text) + "\": expected address/prefix");
    auto address = Ipv4::parse(text.substr(0, slash));
    if (!address.ok())
        return Error::invalid("invalid subnet \"" + std::string(text) + "\": bad address");
    std::uint64_t prefix = 0;
    if (!strings::parse_uint(text.substr(slash + 1), prefix) || prefix > 32)
        return Error::invalid("invalid subnet \"" + std::string(text) + "\": prefix must be 0..32");
    Subnet subnet { address.value(), static_cast<int>(prefix) };
    if ((subnet.base.value & subnet.mask()) != subnet.base.value)
        return Error::invalid("invalid subnet \"" + std::string(text) + "\": host bits are set (did you mean "
            + Subnet { { subnet.base.value & subnet.mask() }, subnet.prefix }.str() + "?)");
    return subnet;
}

std::string Subnet::str() const
{
    return base.str() + "/" + std::to_string(prefix);
}

std::string mac_for_address(Ipv4 address)
{
    char buffer[18];
    std::snprintf(buffer, sizeof buffer, "02:42:%02x:%02x:%02x:%02x", address.value >> 24,
        (address.value >> 16) & 0xff, (address.value >> 8) & 0xff, address.value & 0xff);
    return buffer;
}

} // namespace engine::network
