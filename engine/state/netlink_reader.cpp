// rtnetlink for the collector, through the network::Netlink seam: links, addresses, routes,
// neighbours and the bridge FDB of every network namespace. Netlink::dump_namespace reads one
// namespace from a socket opened inside it (sys::run_in_netns), so no collector thread ever
// changes namespace. Cross-namespace links (a veth peer, a macvlan parent) carry
// IFLA_LINK_NETNSID, a number only meaningful in the namespace that reports it; the dump turns it
// into one of the other namespaces with RTM_GETNSID, and this file names the peer from that
// namespace's own dump.
//
// Between collections the facts of each namespace are kept with a watch of it (NetworkCache
// below): a namespace whose watch heard nothing is not dumped again.
#include "engine/state/collector_internal.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace engine::state::detail {

namespace {

// One namespace's dump, in the snapshot's types, plus which other namespace (by inode) each
// cross-namespace link points into. A peer's name is left for the join across namespaces.
struct NamespaceFacts {
    std::uint64_t inode { 0 };
    NetworkFacts facts;
    std::map<size_t, std::uint64_t> link_to_other; // Index in facts.links -> the other namespace.
    // A link names a netnsid no namespace of the source list answered for.
    bool unresolved { false };
    // Holds an entry whose state can change without a notification (see NetworkCache).
    bool ages { false };
    // (index, IFLA_LINK_NETNSID) of each link into another namespace, as dumped.
    std::vector<std::pair<int, std::int32_t>> cross_links;
};

void convert(const network::NamespaceDump& dump, const std::vector<NetnsSource>& sources, NamespaceFacts& out)
{
    std::map<int, std::string> names;
    for (const auto& dumped : dump.links)
        names[dumped.link.index] = dumped.link.name;
    auto name_of = [&](int index) {
        auto it = names.find(index);
        return it == names.end() ? std::string {} : it->second;
    };
    auto prefix = "net:[" + std::to_string(out.inode) + "]: ";
    for (const auto& warning : dump.warnings)
        out.facts.warnings.push_back(prefix + warning);

    for (const auto& dumped : dump.links) {
        const auto& link = dumped.link;
        LinkInfo info;
        info.netns = out.inode;
        info.index = link.index;
        info.name = link.name;
        info.kind = link.kind;
        info.mac = link.mac;
        info.mtu = link.mtu;
        info.up = link.up;
        info.oper_state = link.oper_state;
        info.master_index = link.master_index;
        if (info.master_index > 0) {
            info.master_name = name_of(info.master_index);
            info.bridge_port_state = dumped.bridge_port_state;
        }
        // IFLA_LINK: the veth peer, or the macvlan/ipvlan/vlan parent. Without
        // IFLA_LINK_NETNSID it lives in this namespace.
        if (link.parent_index > 0) {
            bool is_veth = info.kind == "veth";
            (is_veth ? info.peer_index : info.parent_index) = link.parent_index;
            if (link.link_netnsid >= 0) {
                out.cross_links.emplace_back(link.index, link.link_netnsid);
                auto it = dump.other_of_netnsid.find(link.link_netnsid);
                if (it != dump.other_of_netnsid.end() && it->second < sources.size())
                    out.link_to_other[out.facts.links.size()] = sources[it->second].inode;
                else
                    out.unresolved = true;
            } else {
                (is_veth ? info.peer_netns : info.parent_netns) = out.inode;
                (is_veth ? info.peer_name : info.parent_name) = name_of(link.parent_index);
            }
        }
        info.mode = link.mode;
        if (info.kind == "vlan")
            info.vlan_id = link.vlan_id;
        out.facts.links.push_back(std::move(info));
    }
    auto settled = [](const std::string& state) { return state == "permanent" || state == "noarp"; };
    for (const auto& address : dump.addresses)
        out.facts.addresses.push_back({ out.inode, address.link_index, name_of(address.link_index), address.family,
            address.address, address.scope, "", "" });
    for (const auto& route : dump.routes)
        out.facts.routes.push_back({ out.inode, route.family, route.table, route.destination, route.gateway,
            route.link_index, name_of(route.link_index), route.protocol, route.scope, route.metric, "", "" });
    for (const auto& neighbour : dump.neighbours) {
        out.ages = out.ages || !settled(neighbour.state);
        out.facts.neighbours.push_back({ out.inode, neighbour.link_index, name_of(neighbour.link_index),
            neighbour.address, neighbour.mac, neighbour.state, "", "" });
    }
    for (const auto& entry : dump.fdb) {
        out.ages = out.ages || !settled(entry.state);
        FdbEntry fdb;
        fdb.netns = out.inode;
        fdb.port_index = entry.port_index;
        fdb.port_name = name_of(entry.port_index);
        fdb.bridge_index = entry.bridge_index;
        fdb.bridge_name = name_of(entry.bridge_index);
        fdb.mac = entry.mac;
        fdb.vlan = entry.vlan;
        fdb.state = entry.state;
        out.facts.fdb.push_back(std::move(fdb));
    }
}

// What the file a namespace was reached through names now: that namespace, another one, nothing
// (the process exited, the bind mount went), or something that is no nsfs file (a simulated
// kernel's netns files and procfs links), which cannot tell.
enum class Names { Same, Other, Gone, Unknown };

Names what_names(const std::string& path, std::uint64_t inode)
{
    struct stat info {};
    struct statfs fs_info {};
    if (::stat(path.c_str(), &info) != 0)
        return Names::Gone;
    if (::statfs(path.c_str(), &fs_info) != 0 || fs_info.f_type != NSFS_MAGIC)
        return Names::Unknown;
    return info.st_ino == inode ? Names::Same : Names::Other;
}

// The facts of each network namespace the last collections read, with a watch of the namespace
// (network::NamespaceWatch), keyed by inode. A namespace is dumped again when its watch heard
// anything; when a link names a netnsid no namespace answered for and the list of namespaces
// changed since (the namespace it names may be among them now); and when it holds a neighbour or
// FDB entry the kernel can change silently (a REACHABLE neighbour turning DELAY, an FDB entry past
// its ageing time) and was read more than max_age ago. A dump with a warning is not kept.
//
// A watch holds its namespace alive (the real one is a socket inside it), and with it every link
// and address there (a macvlan child, a veth and its host end): each read closes the entries of
// namespaces it did not see, and release_unreachable() those whose file no longer leads to them
// (the daemon calls it when a container's processes have exited and its network is torn down).
// The entries belong to one Netlink; a read through another drops them all.
class NetworkCache {
public:
    static constexpr std::chrono::milliseconds max_age { 1000 };
    // Each entry keeps two sockets open: past this many namespaces (hundreds of containers) the
    // rest are dumped afresh each time, so the daemon's open files per container stay bounded.
    static constexpr size_t max_entries = 128;

    struct Entry {
        std::string path;                                  // The file it was last reached through.
        std::unique_ptr<network::NamespaceWatch> watch;
        NamespaceFacts facts;
        std::vector<std::uint64_t> namespaces_at_read;     // The source inodes when it was read.
        std::chrono::steady_clock::time_point read_at;
    };

    std::mutex mutex;
    const network::Netlink* netlink { nullptr };
    std::map<std::uint64_t, Entry> entries;

    // Closes every entry whose namespace its file no longer names (the file is gone, or names
    // another namespace now). A simulated kernel's files tell nothing; its watches hold nothing.
    void release_unreachable()
    {
        std::lock_guard lock(mutex);
        std::erase_if(entries, [](const auto& item) {
            auto names = what_names(item.second.path, item.first);
            return names == Names::Gone || names == Names::Other;
        });
    }
};

NetworkCache& network_cache()
{
    // Never destroyed: a thread may still be collecting while the process exits.
    static auto* cache = new NetworkCache;
    return *cache;
}

// Runs `work(i)` for i in [0, count): inline when there is little to do, else on a few threads
// (the namespaces are independent, and most of the time goes waiting for the kernel).
template <typename Work>
void run_spread(size_t count, Work&& work)
{
    size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
    workers = std::min(workers, (count + 7) / 8);
    if (workers <= 1) {
        for (size_t i = 0; i < count; ++i)
            work(i);
        return;
    }
    std::vector<std::jthread> threads;
    for (size_t worker = 0; worker < workers; ++worker)
        threads.emplace_back([&, worker] {
            for (size_t i = worker; i < count; i += workers)
                work(i);
        });
}

std::string enter_warning(std::uint64_t inode, const Error& error)
{
    return "enter net:[" + std::to_string(inode) + "]: " + error.describe();
}

} // namespace

NetworkFacts read_network_namespaces(network::Netlink& netlink, const std::vector<NetnsSource>& namespaces,
    bool use_caches)
{
    std::vector<std::string> paths;
    for (const auto& source : namespaces)
        paths.push_back(source.path);
    std::vector<std::uint64_t> inodes;
    for (const auto& source : namespaces)
        inodes.push_back(source.inode);
    std::sort(inodes.begin(), inodes.end());

    std::vector<NamespaceFacts> dumps(namespaces.size());
    std::vector<bool> read(namespaces.size(), false);
    auto& cache = network_cache();
    std::unique_lock<std::mutex> lock;
    if (use_caches) {
        lock = std::unique_lock(cache.mutex);
        if (cache.netlink != &netlink) {
            cache.entries.clear();
            cache.netlink = &netlink;
        }
        // Entries of namespaces this read does not see are closed now: nothing may keep them.
        std::erase_if(cache.entries, [&](const auto& item) {
            return !std::binary_search(inodes.begin(), inodes.end(), item.first);
        });
    }

    // Which namespaces need a dump: every one without caches; with them, a new one, or one whose
    // entry is out of date. An entry is only touched by the worker of its namespace.
    auto now = std::chrono::steady_clock::now();
    std::vector<size_t> stale;
    std::vector<NetworkCache::Entry*> entry_of(namespaces.size(), nullptr);
    // Read again only because its neighbours may have aged: the kernel announced nothing, so its
    // links and the netnsids they carry are as they were, and the earlier answers still hold.
    std::vector<bool> aged_only(namespaces.size(), false);
    for (size_t i = 0; i < namespaces.size(); ++i) {
        dumps[i].inode = namespaces[i].inode;
        if (use_caches) {
            // Another program's namespace, or one past the cap: dumped without an entry, as a
            // cold read does.
            bool known = cache.entries.count(namespaces[i].inode) != 0;
            if (!namespaces[i].cacheable || (!known && cache.entries.size() >= NetworkCache::max_entries)) {
                cache.entries.erase(namespaces[i].inode);
                stale.push_back(i);
                continue;
            }
            auto [it, made] = cache.entries.try_emplace(namespaces[i].inode);
            auto& entry = it->second;
            entry_of[i] = &entry;
            entry.path = namespaces[i].path;
            bool current = !made && entry.watch && !entry.watch->changed()
                && !(entry.facts.unresolved && entry.namespaces_at_read != inodes);
            if (current && !(entry.facts.ages && now - entry.read_at >= NetworkCache::max_age)) {
                dumps[i] = entry.facts;
                read[i] = true;
                continue;
            }
            aged_only[i] = current;
        }
        stale.push_back(i);
    }

    run_spread(stale.size(), [&](size_t k) {
        size_t i = stale[k];
        const auto& source = namespaces[i];
        auto* entry = entry_of[i];
        if (entry && !entry->watch) {
            // The watch first, so a change during the dump below shows at the next read.
            // The file was checked to name this namespace before; a watch is kept only when
            // it still does (a PID reused in between would lead into another namespace).
            auto watch = netlink.watch_namespace(source.path);
            if (watch.ok() && what_names(source.path, source.inode) != Names::Other)
                entry->watch = watch.release_value();
        }
        auto read_through = [&](const std::vector<std::string>& candidates) {
            return entry && entry->watch ? netlink.dump_watched(*entry->watch, source.path, candidates)
                                         : netlink.dump_namespace(source.path, candidates);
        };
        // An aged namespace is dumped without candidates (no RTM_GETNSID round trip per
        // namespace, which a host with many veths would pay each time), and keeps the earlier
        // answers when its links carry the same netnsids; otherwise it is read in full.
        if (aged_only[i]) {
            auto dump = read_through({});
            if (dump.ok()) {
                NamespaceFacts refreshed;
                refreshed.inode = source.inode;
                convert(dump.value(), namespaces, refreshed);
                if (refreshed.cross_links == entry->facts.cross_links && refreshed.facts.warnings.empty()) {
                    refreshed.link_to_other = entry->facts.link_to_other;
                    refreshed.unresolved = entry->facts.unresolved;
                    dumps[i] = refreshed;
                    read[i] = true;
                    entry->facts = std::move(refreshed);
                    entry->read_at = now;
                    return;
                }
            }
        }
        auto dump = read_through(paths);
        if (!dump.ok()) {
            dumps[i].facts.warnings.push_back(enter_warning(source.inode, dump.error()));
            if (entry)
                entry->watch.reset(); // Dropped below.
            return;
        }
        convert(dump.value(), namespaces, dumps[i]);
        read[i] = true;
        if (entry && entry->watch) {
            entry->facts = dumps[i];
            entry->namespaces_at_read = inodes;
            entry->read_at = now;
        }
    });
    if (use_caches)
        std::erase_if(cache.entries, [](const auto& item) {
            return !item.second.watch || !item.second.facts.facts.warnings.empty();
        });

    // Name the peers and parents in other namespaces now that every namespace is read. A
    // namespace not in this read's list is not named, as a dump without that candidate would not.
    std::map<std::uint64_t, size_t> position_of;
    for (size_t i = 0; i < namespaces.size(); ++i)
        position_of.emplace(namespaces[i].inode, i);
    for (auto& dump : dumps) {
        for (const auto& [position, other_inode] : dump.link_to_other) {
            auto other = position_of.find(other_inode);
            if (other == position_of.end())
                continue;
            auto& link = dump.facts.links[position];
            bool is_veth = link.kind == "veth";
            int index = is_veth ? link.peer_index : link.parent_index;
            std::string name;
            if (read[other->second])
                for (const auto& candidate : dumps[other->second].facts.links)
                    if (candidate.index == index)
                        name = candidate.name;
            (is_veth ? link.peer_netns : link.parent_netns) = other_inode;
            (is_veth ? link.peer_name : link.parent_name) = name;
        }
    }
    // Only now move the facts out: the loop above reads other namespaces' links by name.
    NetworkFacts result;
    for (auto& dump : dumps) {
        auto move_all = [](auto& from, auto& to) {
            for (auto& item : from)
                to.push_back(std::move(item));
        };
        move_all(dump.facts.links, result.links);
        move_all(dump.facts.addresses, result.addresses);
        move_all(dump.facts.routes, result.routes);
        move_all(dump.facts.neighbours, result.neighbours);
        move_all(dump.facts.fdb, result.fdb);
        move_all(dump.facts.warnings, result.warnings);
    }
    return result;
}

void release_unreachable_network_namespaces() { network_cache().release_unreachable(); }

std::vector<std::uint64_t> cached_network_namespaces()
{
    auto& cache = network_cache();
    std::lock_guard lock(cache.mutex);
    std::vector<std::uint64_t> inodes;
    for (const auto& [inode, entry] : cache.entries)
        inodes.push_back(inode);
    return inodes;
}

void clear_network_cache()
{
    auto& cache = network_cache();
    std::lock_guard lock(cache.mutex);
    cache.entries.clear();
    cache.netlink = nullptr;
}

} // namespace engine::state::detail
