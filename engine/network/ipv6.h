// IPv6 addresses and subnets as plain values, beside ipv4.h: parsing "fd42::2" and
// "fd42::/64", containment, overlap, and the offset arithmetic IPAM needs to hand addresses out
// in order. No kernel calls. Text is written in the RFC 5952 form dockerd prints (lower case,
// the longest run of two or more zero groups shortened to "::").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace engine::network {

struct Ipv6 {
    std::array<std::uint8_t, 16> bytes {}; // Network byte order.

    // Any textual IPv6 form; IPv4 text ("10.0.0.1") is an error, as dockerd's
    // "invalid IPv6 address" is.
    static Result<Ipv6> parse(std::string_view text);
    [[nodiscard]] std::string str() const;
    // The address `offset` further on (wrapping at the top of the space).
    [[nodiscard]] Ipv6 plus(std::uint64_t offset) const;
    bool operator==(const Ipv6&) const = default;
    auto operator<=>(const Ipv6&) const = default;
};

// True when `text` looks like IPv6 (has a ':'), so callers can pick the family of a string
// before parsing it.
inline bool is_ipv6_text(std::string_view text)
{
    return text.find(':') != std::string_view::npos;
}

struct Subnet6 {
    Ipv6 base;        // Network address (host bits zero).
    int prefix { 0 }; // 0..128

    // "fd42::/64". Host bits in the address are cleared: dockerd takes "fd42::1/64" for an IPv6
    // subnet (where it refuses host bits in an IPv4 one) and allocates from its network.
    static Result<Subnet6> parse(std::string_view text);
    [[nodiscard]] std::string str() const;
    [[nodiscard]] bool contains(const Ipv6& address) const;
    [[nodiscard]] bool contains(const Subnet6& other) const { return other.prefix >= prefix && contains(other.base); }
    [[nodiscard]] bool overlaps(const Subnet6& other) const { return contains(other.base) || other.contains(base); }
    // The number of addresses, capped at 2^64 - 1 (a /64 and anything larger).
    [[nodiscard]] std::uint64_t size() const;
    // How far `address` (inside the subnet) is from the base, in its low 64 bits.
    [[nodiscard]] std::uint64_t offset_of(const Ipv6& address) const;
    bool operator==(const Subnet6&) const = default;
};

} // namespace engine::network
