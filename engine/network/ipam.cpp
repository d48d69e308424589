#include "engine/network/ipam.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/base/fs.h"

namespace engine::network {

Result<std::vector<Subnet>> default_pools(const std::string& pool_prefix)
{
    std::vector<Subnet> pools;
    if (pool_prefix.empty()) {
        // Docker's defaults: 172.17-31.0.0/16, then 192.168.0.0/16 in /20 steps.
        for (std::uint32_t second = 17; second <= 31; ++second)
            pools.push_back({ { (172U << 24) | (second << 16) }, 16 });
        for (std::uint32_t third = 0; third < 256; third += 16)
            pools.push_back({ { (192U << 24) | (168U << 16) | (third << 8) }, 20 });
        return pools;
    }
    auto prefix = TRY_CTX(Subnet::parse(pool_prefix), "pool prefix");
    if (prefix.prefix > 24)
        return Error::invalid("pool prefix " + pool_prefix + " is smaller than a /24");
    for (std::uint64_t i = 0; i < (std::uint64_t(1) << (24 - prefix.prefix)); ++i)
        pools.push_back({ { prefix.base.value + static_cast<std::uint32_t>(i << 8) }, 24 });
    return pools;
}

namespace {

// IPAM.Config AuxiliaryAddresses of either family, each inside `subnet` (dockerd's 403 and
// words otherwise).
template<typename Address, typename Net>
Result<std::map<std::string, Address>> parse_auxiliary(const Net& subnet, const std::map<std::string, std::string>& auxiliary)
{
    std::map<std::string, Address> parsed;
    for (const auto& [name, text] : auxiliary) {
        auto address = TRY_CTX(Address::parse(text), "auxiliary address " + name);
        if (!subnet.contains(address))
            return Error::make(ErrorKind::PermissionDenied, "auxiliary address: (" + name + ":" + text
                + ") must belong to the master pool: " + subnet.str());
        parsed[name] = address;
    }
    return parsed;
}

} // namespace

Ipam::Ipam(std::string state_path, std::vector<Subnet> pools)
    : m_state_path(std::move(state_path))
    , m_pools(std::move(pools))
{
}

Result<void> Ipam::load()
{
    if (m_state_path.empty() || !fs::exists(m_state_path))
        return Ok {};
    auto text = TRY(fs::read_file(m_state_path));
    try {
        auto document = nlohmann::json::parse(text);
        auto& networks = document.at("networks");
        for (const auto& [id, entry] : networks.items()) {
            IpamPool pool;
            pool.subnet = TRY_CTX(Subnet::parse(entry.at("subnet").get<std::string>()), m_state_path);
            pool.gateway = TRY_CTX(Ipv4::parse(entry.at("gateway").get<std::string>()), m_state_path);
            pool.range = TRY_CTX(Subnet::parse(entry.at("range").get<std::string>()), m_state_path);
            pool.last = entry.value("last", 0U);
            for (const auto& address : entry.at("allocated"))
                pool.allocated.insert(TRY_CTX(Ipv4::parse(address.get<std::string>()), m_state_path).value);
            if (entry.contains("auxiliary"))
                for (const auto& [name, address] : entry.at("auxiliary").items())
                    pool.auxiliary[name] = TRY_CTX(Ipv4::parse(address.get<std::string>()), m_state_path + ": auxiliary " + name);
            m_networks[id] = std::move(pool);
        }
        auto networks6 = document.value("networks6", nlohmann::json::object());
        for (const auto& [id, entry] : networks6.items()) {
            IpamPool6 pool;
            pool.subnet = TRY_CTX(Subnet6::parse(entry.at("subnet").get<std::string>()), m_state_path);
            pool.gateway = TRY_CTX(Ipv6::parse(entry.at("gateway").get<std::string>()), m_state_path);
            pool.range = TRY_CTX(Subnet6::parse(entry.at("range").get<std::string>()), m_state_path);
            if (entry.contains("last"))
                pool.last = TRY_CTX(Ipv6::parse(entry.at("last").get<std::string>()), m_state_path);
            for (const auto& address : entry.at("allocated"))
                pool.allocated.insert(TRY_CTX(Ipv6::parse(address.get<std::string>()), m_state_path));
            auto auxiliary = entry.value("auxiliary", nlohmann::json::object());
            for (const auto& [name, address] : auxiliary.items())
                pool.auxiliary[name] = TRY_CTX(Ipv6::parse(address.get<std::string>()), m_state_path + ": auxiliary " + name);
            m_networks6[id] = std::move(pool);
        }
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid("IPAM state " + m_state_path + " is malformed: " + error.what());
    }
    return Ok {};
}

Result<void> Ipam::save(Durability durability) const
{
    if (m_state_path.empty())
        return Ok {};
    nlohmann::json networks = nlohmann::json::object();
    for (const auto& [id, pool] : m_networks) {
        nlohmann::json allocated = nlohmann::json::array();
        for (auto value : pool.allocated)
            allocated.push_back(Ipv4 { value }.str());
        nlohmann::json auxiliary = nlohmann::json::object();
        for (const auto& [name, address] : pool.auxiliary)
            auxiliary[name] = address.str();
        networks[id] = { { "subnet", pool.subnet.str() }, { "gateway", pool.gateway.str() },
            { "range", pool.range.str() }, { "last", pool.last }, { "allocated", allocated },
            { "auxiliary", auxiliary } };
    }
    nlohmann::json networks6 = nlohmann::json::object();
    for (const auto& [id, pool] : m_networks6) {
        nlohmann::json allocated = nlohmann::json::array();
        for (const auto& address : pool.allocated)
            allocated.push_back(address.str());
        nlohmann::json auxiliary = nlohmann::json::object();
        for (const auto& [name, address] : pool.auxiliary)
            auxiliary[name] = address.str();
        networks6[id] = { { "subnet", pool.subnet.str() }, { "gateway", pool.gateway.str() },
            { "range", pool.range.str() }, { "allocated", allocated }, { "auxiliary", auxiliary } };
        if (pool.last)
            networks6[id]["last"] = pool.last->str();
    }
    nlohmann::json json = { { "networks", networks }, { "networks6", networks6 } };
    auto text = json.dump(2) + "\n";
    if (durability == Durability::Replaced)
        return fs::write_file_replace(m_state_path, text, 0600);
    return fs::write_file_atomic(m_state_path, text, 0600);
}

Result<Subnet> Ipam::choose_subnet(const std::vector<Subnet>& taken) const
{
    for (const auto& candidate : m_pools) {
        bool used = false;
        for (const auto& [id, pool] : m_networks)
            used = used || pool.subnet.overlaps(candidate);
        for (const auto& other : taken)
            used = used || (other.prefix > 0 && other.overlaps(candidate));
        if (!used)
            return candidate;
    }
    std::string first = m_pools.empty() ? "(none)" : m_pools.front().str();
    return Error::make(ErrorKind::Conflict,
        "all predefined address pools have been fully subnetted (pools start at " + first + ")");
}

Result<IpamPool> Ipam::add_pool(const std::string& network_id, const Subnet& subnet,
    const std::string& gateway, const std::string& ip_range, const std::map<std::string, std::string>& auxiliary)
{
    if (m_networks.contains(network_id))
        return Error::exists("IPAM pool for network " + network_id + " already exists");
    if (subnet.prefix > 30)
        return Error::invalid("subnet " + subnet.str() + " is too small: need at least a /30");
    for (const auto& [id, pool] : m_networks)
        if (pool.subnet.overlaps(subnet))
            // dockerd's words and status (libnetwork's ErrPoolOverlap is a 403).
            return Error::make(ErrorKind::PermissionDenied, "Pool overlaps with other one on this address space");
    IpamPool pool;
    pool.subnet = subnet;
    pool.range = subnet;
    if (!ip_range.empty()) {
        pool.range = TRY_CTX(Subnet::parse(ip_range), "ip-range");
        if (!subnet.contains(pool.range))
            return Error::invalid("ip-range " + ip_range + " is not inside subnet " + subnet.str());
    }
    if (gateway.empty()) {
        pool.gateway = { subnet.base.value + 1 };
    } else {
        pool.gateway = TRY_CTX(Ipv4::parse(gateway), "gateway");
        if (!subnet.contains(pool.gateway))
            return Error::system("failed to allocate gateway (" + gateway + "): Requested address is out of range");
        if (pool.gateway == subnet.first() || pool.gateway == subnet.last())
            return Error::invalid("gateway " + gateway + " is not a usable address in subnet " + subnet.str());
    }
    pool.auxiliary = TRY((parse_auxiliary<Ipv4, Subnet>(subnet, auxiliary)));
    m_networks[network_id] = pool;
    if (auto saved = save(); !saved.ok()) {
        m_networks.erase(network_id);
        return saved.release_error();
    }
    return pool;
}

Result<void> Ipam::remove_pool(const std::string& network_id)
{
    if (m_networks.erase(network_id) + m_networks6.erase(network_id) == 0)
        return Ok {};
    return save();
}

const IpamPool* Ipam::pool(const std::string& network_id) const
{
    auto it = m_networks.find(network_id);
    return it == m_networks.end() ? nullptr : &it->second;
}

Result<Ipv4> Ipam::allocate(const std::string& network_id, const std::string& requested)
{
    auto it = m_networks.find(network_id);
    if (it == m_networks.end())
        return Error::not_found("no IPAM pool for network " + network_id);
    auto& pool = it->second;
    auto reserved = [&](std::uint32_t value) {
        return std::any_of(pool.auxiliary.begin(), pool.auxiliary.end(),
            [&](const auto& entry) { return entry.second.value == value; });
    };
    auto usable = [&](std::uint32_t value) {
        return value != pool.subnet.first().value && value != pool.subnet.last().value
            && value != pool.gateway.value;
    };
    Ipv4 chosen;
    if (!requested.empty()) {
        chosen = TRY_CTX(Ipv4::parse(requested), "ip");
        if (!pool.subnet.contains(chosen) || !usable(chosen.value))
            return Error::invalid("address " + requested + " is not a usable address in subnet "
                + pool.subnet.str());
        if (pool.allocated.contains(chosen.value) || reserved(chosen.value))
            return Error::conflict("address " + requested + " is already in use");
    } else {
        std::uint64_t count = pool.range.size();
        // The search starts after the cursor, or at the range's first address when nothing was
        // handed out from it yet (an --ip-range's base is a usable address, unlike a subnet's).
        std::uint64_t start = pool.range.contains(Ipv4 { pool.last }) ? pool.last - pool.range.base.value + 1 : 0;
        bool found = false;
        for (std::uint64_t step = 0; step < count && !found; ++step) {
            std::uint32_t value = pool.range.base.value + static_cast<std::uint32_t>((start + step) % count);
            if (usable(value) && !reserved(value) && !pool.allocated.contains(value)) {
                chosen = { value };
                found = true;
            }
        }
        if (!found)
            return Error::make(ErrorKind::Conflict, "no available IPv4 addresses on network " + network_id
                + " (range " + pool.range.str() + " is exhausted)");
        pool.last = chosen.value;
    }
    pool.allocated.insert(chosen.value);
    if (auto saved = save(Durability::Replaced); !saved.ok()) {
        pool.allocated.erase(chosen.value);
        return saved.release_error();
    }
    return chosen;
}

Result<void> Ipam::release(const std::string& network_id, Ipv4 address)
{
    auto it = m_networks.find(network_id);
    if (it == m_networks.end() || it->second.allocated.erase(address.value) == 0)
        return Ok {};
    return save(Durability::Replaced);
}

// [SECTION] IPv6

Result<IpamPool6> Ipam::add_pool6(const std::string& network_id, const Subnet6& subnet, const std::string& gateway,
    const std::string& ip_range, const std::map<std::string, std::string>& auxiliary)
{
    if (m_networks6.contains(network_id))
        return Error::exists("IPv6 IPAM pool for network " + network_id + " already exists");
    if (subnet.prefix > 126)
        return Error::invalid("subnet " + subnet.str() + " is too small: need at least a /126");
    for (const auto& [id, pool] : m_networks6)
        if (pool.subnet.overlaps(subnet))
            return Error::make(ErrorKind::PermissionDenied, "Pool overlaps with other one on this address space");
    IpamPool6 pool;
    pool.subnet = subnet;
    pool.range = subnet;
    if (!ip_range.empty()) {
        pool.range = TRY_CTX(Subnet6::parse(ip_range), "ip-range");
        if (!subnet.contains(pool.range))
            return Error::invalid("ip-range " + ip_range + " is not inside subnet " + subnet.str());
    }
    if (gateway.empty()) {
        pool.gateway = subnet.base.plus(1);
    } else {
        pool.gateway = TRY_CTX(Ipv6::parse(gateway), "gateway");
        if (!subnet.contains(pool.gateway))
            return Error::system("failed to allocate gateway (" + gateway + "): Requested address is out of range");
        if (pool.gateway == subnet.base)
            return Error::invalid("gateway " + gateway + " is not a usable address in subnet " + subnet.str());
    }
    pool.auxiliary = TRY((parse_auxiliary<Ipv6, Subnet6>(subnet, auxiliary)));
    m_networks6[network_id] = pool;
    if (auto saved = save(); !saved.ok()) {
        m_networks6.erase(network_id);
        return saved.release_error();
    }
    return pool;
}

const IpamPool6* Ipam::pool6(const std::string& network_id) const
{
    auto it = m_networks6.find(network_id);
    return it == m_networks6.end() ? nullptr : &it->second;
}

Result<Ipv6> Ipam::allocate6(const std::string& network_id, const std::string& requested)
{
    auto it = m_networks6.find(network_id);
    if (it == m_networks6.end())
        return Error::not_found("no IPv6 IPAM pool for network " + network_id);
    auto& pool = it->second;
    auto reserved = [&](const Ipv6& address) {
        return std::any_of(pool.auxiliary.begin(), pool.auxiliary.end(),
            [&](const auto& entry) { return entry.second == address; });
    };
    auto usable = [&](const Ipv6& address) { return address != pool.subnet.base && address != pool.gateway; };
    Ipv6 chosen;
    if (!requested.empty()) {
        chosen = TRY_CTX(Ipv6::parse(requested), "ip6");
        if (!pool.subnet.contains(chosen) || !usable(chosen))
            return Error::invalid("address " + requested + " is not a usable address in subnet " + pool.subnet.str());
        if (pool.allocated.contains(chosen) || reserved(chosen))
            return Error::conflict("address " + requested + " is already in use");
    } else {
        // As for IPv4: after the cursor, or from the range's first address. A /64 has more
        // addresses than can be walked, but the walk stops at the first free one, and only as
        // many are taken as there are endpoints.
        std::uint64_t count = pool.range.size();
        std::uint64_t start = pool.last && pool.range.contains(*pool.last) ? pool.range.offset_of(*pool.last) + 1 : 0;
        bool found = false;
        std::uint64_t limit = std::min<std::uint64_t>(count, pool.allocated.size() + pool.auxiliary.size() + 3);
        for (std::uint64_t step = 0; step < limit && !found; ++step) {
            Ipv6 candidate = pool.range.base.plus((start + step) % count);
            if (usable(candidate) && !reserved(candidate) && !pool.allocated.contains(candidate)) {
                chosen = candidate;
                found = true;
            }
        }
        if (!found)
            return Error::make(ErrorKind::Conflict, "no available IPv6 addresses on network " + network_id
                + " (range " + pool.range.str() + " is exhausted)");
        pool.last = chosen;
    }
    pool.allocated.insert(chosen);
    if (auto saved = save(Durability::Replaced); !saved.ok()) {
        pool.allocated.erase(chosen);
        return saved.release_error();
    }
    return chosen;
}

Result<void> Ipam::release6(const std::string& network_id, const Ipv6& address)
{
    auto it = m_networks6.find(network_id);
    if (it == m_networks6.end() || it->second.allocated.erase(address) == 0)
        return Ok {};
    return save(Durability::Replaced);
}

} // namespace engine::network
