// IPAM: which subnet each network gets and which addresses in it are taken. Subnets come from
// Docker's default pools (172.17.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/20 steps) or, for
// tests, from a configured prefix split into /24s; subnets already routed on the host are
// skipped. Addresses are handed out in order after the last one given (as Docker's allocator
// does, so a released address is not reused at once). Every change is written atomically to
// one JSON file, so a daemon restart hands out no address twice.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/network/ipv4.h"
#include "engine/network/ipv6.h"

namespace engine::network {

struct IpamPool {
    Subnet subnet;
    Ipv4 gateway;          // Reserved: never handed to a container.
    Subnet range;          // Addresses come from here (== subnet when no --ip-range).
    std::set<std::uint32_t> allocated;
    // IPAM.Config AuxiliaryAddresses: name -> address, kept out of every allocation (a host or
    // router already using that address on the segment).
    std::map<std::string, Ipv4> auxiliary;
    std::uint32_t last { 0 }; // Last address handed out (the cursor).
};

// The IPv6 pool of a network created with EnableIPv6 and an IPv6 subnet. dockerd has no default
// IPv6 pools, so there is no choosing: the subnet is always the caller's. The subnet's first
// address is the gateway unless one is given; unlike IPv4 there is no broadcast address, so the
// last address is handed out too.
struct IpamPool6 {
    Subnet6 subnet;
    Ipv6 gateway;
    Subnet6 range;
    std::set<Ipv6> allocated;
    std::map<std::string, Ipv6> auxiliary; // As IpamPool's, in the IPv6 entry of IPAM.Config.
    std::optional<Ipv6> last; // Last address handed out (the cursor).
};

// Candidate subnets in order: Docker's defaults when `pool_prefix` is empty, else /24s of it.
Result<std::vector<Subnet>> default_pools(const std::string& pool_prefix);

class Ipam {
public:
    // `state_path` "" keeps everything in memory (unit tests of the pure logic).
    Ipam(std::string state_path, std::vector<Subnet> pools);

    // Reads the state file if it exists.
    Result<void> load();

    // The first candidate that overlaps neither a registered pool nor any of `taken`
    // (routes on the host, other users' subnets). Fails naming the pools when all are used.
    Result<Subnet> choose_subnet(const std::vector<Subnet>& taken) const;

    // Registers a network's pool. `gateway`/`ip_range` "" = the first usable address / the whole
    // subnet; `auxiliary` (name -> address) are reserved. Errors as dockerd words them:
    // PermissionDenied (403) "Pool overlaps with other one on this address space" when the subnet
    // overlaps another network's, and for an auxiliary address outside the subnet; System (500)
    // for a gateway outside it.
    Result<IpamPool> add_pool(const std::string& network_id, const Subnet& subnet,
        const std::string& gateway, const std::string& ip_range,
        const std::map<std::string, std::string>& auxiliary = {});
    Result<void> remove_pool(const std::string& network_id);
    [[nodiscard]] const IpamPool* pool(const std::string& network_id) const;

    // Hands out `requested` ("" = the next free address in the range).
    Result<Ipv4> allocate(const std::string& network_id, const std::string& requested);
    Result<void> release(const std::string& network_id, Ipv4 address);

    // The same for a network's IPv6 pool, with the same errors: 403 for a subnet overlapping
    // another network's IPv6 subnet and for an auxiliary address outside it, 500 for a gateway
    // outside it. remove_pool removes both.
    Result<IpamPool6> add_pool6(const std::string& network_id, const Subnet6& subnet, const std::string& gateway,
        const std::string& ip_range, const std::map<std::string, std::string>& auxiliary = {});
    [[nodiscard]] const IpamPool6* pool6(const std::string& network_id) const;
    Result<Ipv6> allocate6(const std::string& network_id, const std::string& requested);
    Result<void> release6(const std::string& network_id, const Ipv6& address);

private:
    // Synced: write, fsync, rename (pools, which outlive a reboot). Replaced: write and rename
    // without the fsyncs (address allocations, on the path of every `run`): a reader still sees
    // the old file or the new one, and what a power loss could undo describes endpoints that do
    // not outlive the reboot anyway; on restart the network manager releases every address no
    // endpoint holds.
    enum class Durability { Synced, Replaced };
    Result<void> save(Durability durability = Durability::Synced) const;

    std::string m_state_path;
    std::vector<Subnet> m_pools;
    std::map<std::string, IpamPool> m_networks;
    std::map<std::string, IpamPool6> m_networks6;
};

} // namespace engine::network
