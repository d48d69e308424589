#include "engine/network/ipv6.h"

#include <arpa/inet.h>

#include "engine/base/strings.h"

namespace engine::network {

Result<Ipv6> Ipv6::parse(std::string_view text)
{
    std::string copy(text);
    Ipv6 address;
    // inet_pton is a pure parser (no kernel call); it accepts only full IPv6 text, so an IPv4
    // address or a zone ("fe80::1%eth0") is refused here.
    if (copy.empty() || copy.size() > 45 || ::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1)
        return Error::invalid("invalid IPv6 address: " + copy);
    return address;
}

std::string Ipv6::str() const
{
    char buffer[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, bytes.data(), buffer, sizeof buffer);
    return buffer;
}

Ipv6 Ipv6::plus(std::uint64_t offset) const
{
    Ipv6 out = *this;
    unsigned carry = 0;
    for (int i = 15; i >= 0; --i) {
        unsigned sum = out.bytes[static_cast<std::size_t>(i)] + static_cast<unsigned>(offset & 0xff) + carry;
        out.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sum & 0xff);
        carry = sum >> 8;
        offset >>= 8;
    }
    return out;
}

namespace {

// The address with every bit after `prefix` cleared.
Ipv6 masked(Ipv6 address, int prefix)
{
    for (int bit = prefix; bit < 128; ++bit)
        address.bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    return address;
}

} // namespace

Result<Subnet6> Subnet6::parse(std::string_view text)
{
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return Error::invalid("invalid subnet \"" + std::string(text) + "\": expected address/prefix");
    auto address = Ipv6::parse(text.substr(0, slash));
    if (!address.ok())
        return Error::invalid("invalid subnet \"" + std::string(text) + "\": bad IPv6 address");
    std::uint64_t prefix = 0;
    if (!strings::parse_uint(text.substr(slash + 1), prefix) || prefix > 128)
        return Error::invalid("invalid subnet \"" + std::string(text) + "\": prefix must be 0..128");
    return Subnet6 { masked(address.value(), static_cast<int>(prefix)), static_cast<int>(prefix) };
}

std::string Subnet6::str() const
{
    return base.str() + "/" + std::to_string(prefix);
}

bool Subnet6::contains(const Ipv6& address) const
{
    return masked(address, prefix) == base;
}

std::uint64_t Subnet6::size() const
{
    int host_bits = 128 - prefix;
    return host_bits >= 64 ? ~std::uint64_t(0) : std::uint64_t(1) << host_bits;
}

std::uint64_t Subnet6::offset_of(const Ipv6& address) const
{
    std::uint64_t offset = 0;
    for (std::size_t i = 8; i < 16; ++i)
        offset = (offset << 8) | static_cast<std::uint8_t>(address.bytes[i] - base.bytes[i]);
    // Byte-wise differences are exact because the base's host bits are zero and the address
    // is inside the subnet: no borrow crosses a byte.
    return offset;
}

} // namespace engine::network
