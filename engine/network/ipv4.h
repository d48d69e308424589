// IPv4 addresses and subnets as plain values: parsing "172.17.0.2" and "172.17.0.0/16",
// containment, overlap and arithmetic. No kernel calls; IPAM, the option parser and the DNS
// server build on these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace engine::network {

struct Ipv4 {
    std::uint32_t value { 0 }; // Host byte order: 172.17.0.1 = 0xAC110001.

    static Result<Ipv4> parse(std::string_view text);
    [[nodiscard]] std::string str() const;
    bool operator==(const Ipv4&) const = default;
    auto operator<=>(const Ipv4&) const = default;
};

struct Subnet {
    Ipv4 base;       // Network address (host bits zero).
    int prefix { 0 }; // 0..32

    // "10.0.0.0/24". Host bits set in the base are an error (Docker says the same).
    static Result<Subnet> parse(std::string_view text);
    [[nodiscard]] std::string str() const;
    [[nodiscard]] std::uint32_t mask() const { return prefix == 0 ? 0 : ~std::uint32_t(0) << (32 - prefix); }
    [[nodiscard]] std::uint64_t size() const { return std::uint64_t(1) << (32 - prefix); }
    [[nodiscard]] Ipv4 first() const { return base; }
    [[nodiscard]] Ipv4 last() const { return { base.value | ~mask() }; }
    [[nodiscard]] bool contains(Ipv4 address) const { return (address.value & mask()) == base.value; }
    [[nodiscard]] bool contains(const Subnet& other) const
    {
        return other.prefix >= prefix && contains(other.base);
    }
    [[nodiscard]] bool overlaps(const Subnet& other) const
    {
        return contains(other.base) || other.contains(base);
    }
    bool operator==(const Subnet&) const = default;
};

// A MAC derived from an address the way Docker does: 02:42:<the four address bytes>.
std::string mac_for_address(Ipv4 address);

} // namespace engine::network
