// glassbox's nftables rules, through libnftables' JSON API. glassbox owns one table (family ip,
// named by Options::nft_table_name) and rewrites it whole, in one atomic batch, whenever a
// network or a published port changes (while a network has IPv6, a table of family ip6 with the
// same name holds the same forward rules for IPv6 traffic, in the same batch):
//   forward     (filter)  drop traffic between two different bridge networks, and in/out of
//                         `internal` ones (isolation);
//   prerouting  (nat)     DNAT host-addressed traffic on published ports to the container;
//   postrouting (nat)     masquerade traffic leaving a bridge network's subnet for elsewhere.
// build_ruleset() is pure (unit tested); the Nftables seam hands it to the kernel: LibNftables
// through libnftables, sim::FakeNftables into an in-memory table for tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"

namespace engine::network {

struct NftNetwork {
    std::string bridge;   // Linux bridge name.
    std::string subnet;   // "10.231.3.0/24"
    bool internal { false };
    std::string subnet6;  // "fd42::/64" when the network has IPv6, else "".
};

struct NftPort {
    std::string protocol { "tcp" };
    std::string host_ip;  // "" = any local address.
    std::uint16_t host_port { 0 };
    std::string container_ip;
    std::uint16_t container_port { 0 };
};

struct NftRuleset {
    std::string table { "glassbox" };
    std::vector<NftNetwork> networks;
    std::vector<NftPort> ports;
    bool masquerade { true };
};

// The JSON batch that replaces the table with `ruleset`.
nlohmann::json build_ruleset(const NftRuleset& ruleset);

// The nftables seam: everything glassbox asks of nftables, in the caller's network namespace.
class Nftables {
public:
    virtual ~Nftables() = default;

    // Replaces table `ruleset.table` (family ip) with `ruleset`, in one atomic batch.
    virtual Result<void> apply_ruleset(const NftRuleset& ruleset) = 0;
    // Removes the table (and its ip6 twin) if present.
    virtual Result<void> delete_table(const std::string& table) = 0;
    // `nft -j list table ip <table>` as JSON; NotFound when there is no such table.
    virtual Result<nlohmann::json> list_table(const std::string& table) = 0;
    // Runs an nft listing command ("list tables", "list table ip glassbox") with rule handles
    // (`nft -a`), and returns what it printed: JSON when `json`, else the text `nft` prints.
    virtual Result<std::string> list(const std::string& command, bool json) = 0;
};

// The real nftables, through libnftables. Thread-safe.
class LibNftables final : public Nftables {
public:
    Result<void> apply_ruleset(const NftRuleset& ruleset) override;
    Result<void> delete_table(const std::string& table) override;
    Result<nlohmann::json> list_table(const std::string& table) override;
    Result<std::string> list(const std::string& command, bool json) override;
};

// One process-wide instance; libnftables keeps no state glassbox depends on between calls.
LibNftables& libnftables();

} // namespace engine::network
