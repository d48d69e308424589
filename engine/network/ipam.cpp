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

// What differs between an IPv4 and an IPv6 pool; the pool logic below is written once for both.
template<typename Pool>
struct Family;

template<>
struct Family<IpamPool> {
    using Address = Ipv4;
    using Net = Subnet;
    static constexpr const char* label = "IPv4";
    static constexpr const char* pool_label = "IPAM pool";
    static constexpr const char* address_field = "ip";
    static constexpr int smallest = 30;
    static Address default_gateway(const Net& subnet) { return { subnet.base.value + 1 }; }
    // The network and broadcast addresses.
    static bool subnet_reserved(const Net& subnet, Address address) { return address == subnet.first() || address == subnet.last(); }
    static std::uint32_t key(Address address) { return address.value; }
    static Address at(const Net& range, std::uint64_t offset) { return { range.base.value + static_cast<std::uint32_t>(offset) }; }
    // Where the next search starts: after the cursor, or at the range's first address when
    // nothing was handed out from it yet (an --ip-range's base is usable, unlike a subnet's).
    static std::uint64_t start(const IpamPool& pool)
    {
        return pool.range.contains(Ipv4 { pool.last }) ? pool.last - pool.range.base.value + 1 : 0;
    }
    static void set_cursor(IpamPool& pool, Address address) { pool.last = address.value; }
};

// No broadcast address in IPv6: only the subnet's own address is kept out, so the last address
// is handed out too.
template<>
struct Family<IpamPool6> {
    using Address = Ipv6;
    using Net = Subnet6;
    static constexpr const char* label = "IPv6";
    static constexpr const char* pool_label = "IPv6 IPAM pool";
    static constexpr const char* address_field = "ip6";
    static constexpr int smallest = 126;
    static Address default_gateway(const Net& subnet) { return subnet.base.plus(1); }
    static bool subnet_reserved(const Net& subnet, const Address& address) { return address == subnet.base; }
    static const Ipv6& key(const Address& address) { return address; }
    static Address at(const Net& range, std::uint64_t offset) { return range.base.plus(offset); }
    static std::uint64_t start(const IpamPool6& pool)
    {
        return pool.last && pool.range.contains(*pool.last) ? pool.range.offset_of(*pool.last) + 1 : 0;
    }
    static void set_cursor(IpamPool6& pool, const Address& address) { pool.last = address; }
};

// A pool for `subnet` with its range, gateway and auxiliary addresses.
template<typename Pool>
Result<Pool> make_pool(const typename Family<Pool>::Net& subnet, const std::string& gateway, const std::string& ip_range,
    const std::map<std::string, std::string>& auxiliary)
{
    using F = Family<Pool>;
    Pool pool;
    pool.subnet = subnet;
    pool.range = subnet;
    if (!ip_range.empty()) {
        pool.range = TRY_CTX(F::Net::parse(ip_range), "ip-range");
        if (!subnet.contains(pool.range))
            return Error::invalid("ip-range " + ip_range + " is not inside subnet " + subnet.str());
    }
    if (gateway.empty()) {
        pool.gateway = F::default_gateway(subnet);
    } else {
        pool.gateway = TRY_CTX(F::Address::parse(gateway), "gateway");
        if (!subnet.contains(pool.gateway))
            return Error::system("failed to allocate gateway (" + gateway + "): Requested address is out of range");
        if (F::subnet_reserved(subnet, pool.gateway))
            return Error::invalid("gateway " + gateway + " is not a usable address in subnet " + subnet.str());
    }
    pool.auxiliary = TRY((parse_auxiliary<typename F::Address, typename F::Net>(subnet, auxiliary)));
    return pool;
}

// Marks `requested` ("" = the next free address after the cursor) taken in `pool`; the caller
// saves. The search stops at the first free address: at most every allocated, auxiliary and
// reserved address comes before it, so a /64 is never walked.
template<typename Pool>
Result<typename Family<Pool>::Address> take_address(Pool& pool, const std::string& network_id, const std::string& requested)
{
    using F = Family<Pool>;
    auto reserved = [&](const auto& address) {
        return std::any_of(pool.auxiliary.begin(), pool.auxiliary.end(), [&](const auto& entry) { return entry.second == address; });
    };
    auto usable = [&](const auto& address) { return !F::subnet_reserved(pool.subnet, address) && address != pool.gateway; };
    typename F::Address chosen;
    if (!requested.empty()) {
        chosen = TRY_CTX(F::Address::parse(requested), F::address_field);
        if (!pool.subnet.contains(chosen) || !usable(chosen))
            return Error::invalid("address " + requested + " is not a usable address in subnet " + pool.subnet.str());
        if (pool.allocated.contains(F::key(chosen)) || reserved(chosen))
            return Error::conflict("address " + requested + " is already in use");
    } else {
        std::uint64_t count = pool.range.size();
        std::uint64_t start = F::start(pool);
        std::uint64_t limit = std::min<std::uint64_t>(count, pool.allocated.size() + pool.auxiliary.size() + 4);
        bool found = false;
        for (std::uint64_t step = 0; step < limit && !found; ++step) {
            auto candidate = F::at(pool.range, (start + step) % count);
            if (usable(candidate) && !reserved(candidate) && !pool.allocated.contains(F::key(candidate))) {
                chosen = candidate;
                found = true;
            }
        }
        if (!found)
            return Error::make(ErrorKind::Conflict, std::string("no available ") + F::label + " addresses on network "
                + network_id + " (range " + pool.range.str() + " is exhausted)");
        F::set_cursor(pool, chosen);
    }
    pool.allocated.insert(F::key(chosen));
    return chosen;
}

// Registers a pool for `subnet` with its range, gateway and auxiliary addresses, checked as
// dockerd checks them (an overlap is its 403, a gateway outside the subnet its 500), and saves.
template<typename Pool, typename Save>
Result<Pool> add_to(std::map<std::string, Pool>& pools, const std::string& network_id, const Save& save,
    const typename Family<Pool>::Net& subnet, const std::string& gateway, const std::string& ip_range,
    const std::map<std::string, std::string>& auxiliary)
{
    using F = Family<Pool>;
    if (pools.contains(network_id))
        return Error::exists(std::string(F::pool_label) + " for network " + network_id + " already exists");
    if (subnet.prefix > F::smallest)
        return Error::invalid("subnet " + subnet.str() + " is too small: need at least a /" + std::to_string(F::smallest));
    for (const auto& [id, other] : pools)
        if (other.subnet.overlaps(subnet))
            // dockerd's words and status (libnetwork's ErrPoolOverlap is a 403).
            return Error::make(ErrorKind::PermissionDenied, "Pool overlaps with other one on this address space");
    auto pool = TRY(make_pool<Pool>(subnet, gateway, ip_range, auxiliary));
    pools[network_id] = pool;
    if (auto saved = save(); !saved.ok()) {
        pools.erase(network_id);
        return saved.release_error();
    }
    return pool;
}

// Hands out an address of the network's pool and saves; see take_address.
template<typename Pool, typename Save>
Result<typename Family<Pool>::Address> allocate_in(std::map<std::string, Pool>& pools, const std::string& network_id,
    const Save& save, const std::string& requested)
{
    using F = Family<Pool>;
    auto it = pools.find(network_id);
    if (it == pools.end())
        return Error::not_found(std::string("no ") + F::pool_label + " for network " + network_id);
    auto chosen = TRY(take_address(it->second, network_id, requested));
    if (auto saved = save(); !saved.ok()) {
        it->second.allocated.erase(F::key(chosen));
        return saved.release_error();
    }
    return chosen;
}

template<typename Pool, typename Save>
Result<void> release_in(std::map<std::string, Pool>& pools, const std::string& network_id, const Save& save,
    const typename Family<Pool>::Address& address)
{
    auto it = pools.find(network_id);
    if (it == pools.end() || it->second.allocated.erase(Family<Pool>::key(address)) == 0)
        return Ok {};
    return save();
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
    return add_to(m_networks, network_id, [this] { return save(); }, subnet, gateway, ip_range, auxiliary);
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
    return allocate_in(m_networks, network_id, [this] { return save(Durability::Replaced); }, requested);
}

Result<void> Ipam::release(const std::string& network_id, Ipv4 address)
{
    return release_in(m_networks, network_id, [this] { return save(Durability::Replaced); }, address);
}

// [SECTION] IPv6

Result<IpamPool6> Ipam::add_pool6(const std::string& network_id, const Subnet6& subnet, const std::string& gateway,
    const std::string& ip_range, const std::map<std::string, std::string>& auxiliary)
{
    return add_to(m_networks6, network_id, [this] { return save(); }, subnet, gateway, ip_range, auxiliary);
}

const IpamPool6* Ipam::pool6(const std::string& network_id) const
{
    auto it = m_networks6.find(network_id);
    return it == m_networks6.end() ? nullptr : &it->second;
}

Result<Ipv6> Ipam::allocate6(const std::string& network_id, const std::string& requested)
{
    return allocate_in(m_networks6, network_id, [this] { return save(Durability::Replaced); }, requested);
}

Result<void> Ipam::release6(const std::string& network_id, const Ipv6& address)
{
    return release_in(m_networks6, network_id, [this] { return save(Durability::Replaced); }, address);
}

} // namespace engine::network
