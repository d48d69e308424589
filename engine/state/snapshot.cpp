// Identity keys, lookups and small decoders for state::Snapshot (see snapshot.h).
#include "engine/state/snapshot.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace engine::state {

std::string identity_key(const ContainerInfo& container) { return "container:" + container.id; }
std::string identity_key(const ImageInfo& image) { return "image:" + image.id; }
std::string identity_key(const LayerInfo& layer) { return "layer:" + layer.diff_id; }
std::string identity_key(const VolumeInfo& volume) { return "volume:" + volume.name; }
std::string identity_key(const NetworkInfo& network) { return "network:" + network.id; }

std::string identity_key(const ProcessInfo& process)
{
    return "process:" + std::to_string(process.pid) + "@" + std::to_string(process.start_time);
}

std::string identity_key(const NamespaceInfo& ns)
{
    return ns.type + ":[" + std::to_string(ns.inode) + "]";
}

std::string identity_key(const MountInfo& mount)
{
    return "mount:" + std::to_string(mount.mount_namespace) + ":" + std::to_string(mount.mount_id);
}

std::string identity_key(const CgroupInfo& cgroup)
{
    return "cgroup:" + cgroup.hierarchy + ":" + cgroup.path;
}

std::string identity_key(const LinkInfo& link)
{
    return "link:" + std::to_string(link.netns) + ":" + std::to_string(link.index);
}

std::string identity_key(const AddressInfo& address)
{
    return "address:" + std::to_string(address.netns) + ":" + std::to_string(address.link_index)
        + ":" + address.address;
}

std::string identity_key(const RouteInfo& route)
{
    return "route:" + std::to_string(route.netns) + ":" + route.table + ":" + route.destination
        + ":" + std::to_string(route.link_index) + ":" + std::to_string(route.metric);
}

std::string identity_key(const NeighbourInfo& neighbour)
{
    return "neighbour:" + std::to_string(neighbour.netns) + ":"
        + std::to_string(neighbour.link_index) + ":" + neighbour.address;
}

std::string identity_key(const FdbEntry& entry)
{
    return "fdb:" + std::to_string(entry.netns) + ":" + std::to_string(entry.port_index) + ":"
        + entry.mac + ":" + std::to_string(entry.vlan);
}

std::string identity_key(const NftRule& rule)
{
    return "nft:" + rule.family + ":" + rule.table + ":" + rule.chain + ":"
        + std::to_string(rule.handle);
}

const ContainerInfo* find_container(const Snapshot& snapshot, std::string_view id_or_name)
{
    if (id_or_name.empty())
        return nullptr;
    for (const auto& container : snapshot.containers) {
        if (container.id == id_or_name || container.name == id_or_name)
            return &container;
    }
    // A unique id prefix, as docker accepts.
    const ContainerInfo* match = nullptr;
    for (const auto& container : snapshot.containers) {
        if (container.id.compare(0, id_or_name.size(), id_or_name) == 0) {
            if (match)
                return nullptr;
            match = &container;
        }
    }
    return match;
}

const ProcessInfo* find_process(const Snapshot& snapshot, int pid)
{
    for (const auto& process : snapshot.processes) {
        if (process.pid == pid)
            return &process;
    }
    return nullptr;
}

const LinkInfo* find_link(const Snapshot& snapshot, std::uint64_t netns, int index)
{
    for (const auto& link : snapshot.links) {
        if (link.netns == netns && link.index == index)
            return &link;
    }
    return nullptr;
}

const NamespaceInfo* find_namespace(const Snapshot& snapshot, std::string_view type, std::uint64_t inode)
{
    for (const auto& ns : snapshot.namespaces) {
        if (ns.inode == inode && ns.type == type)
            return &ns;
    }
    return nullptr;
}

std::string describe_netns(const Snapshot& snapshot, std::uint64_t inode)
{
    if (inode == 0)
        return "an unknown network namespace";
    if (auto it = snapshot.host_namespaces.find("net"); it != snapshot.host_namespaces.end() && it->second == inode)
        return "the host";
    for (const auto& container : snapshot.containers) {
        auto it = container.namespaces.find("net");
        if (it != container.namespaces.end() && it->second == inode)
            return "container " + container.name + "'s netns";
    }
    if (const auto* ns = find_namespace(snapshot, "net", inode)) {
        for (const auto& container : snapshot.containers) {
            if (!ns->container_id.empty() && container.id == ns->container_id)
                return "container " + container.name + "'s netns";
        }
    }
    return "net:[" + std::to_string(inode) + "]";
}

std::vector<std::string> decode_signal_mask(std::string_view hex_mask)
{
    // Names of signals 1..31 as signal(7) lists them for x86 and arm (SIG prefix dropped).
    static constexpr std::array<std::string_view, 32> names = { "", "HUP", "INT", "QUIT", "ILL",
        "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
        "PROF", "WINCH", "IO", "PWR", "SYS" };
    // The kernel's SIGRTMIN is 32 and SIGRTMAX is 64; glibc reserves 32 and 33 for itself.
    constexpr int rt_min = 32;
    constexpr int rt_max = 64;

    std::vector<std::string> result;
    int number = 1;
    // The mask is printed most significant nibble first; walk it from the end.
    for (auto it = hex_mask.rbegin(); it != hex_mask.rend(); ++it) {
        char c = *it;
        int nibble = 0;
        if (c >= '0' && c <= '9')
            nibble = c - '0';
        else if (c >= 'a' && c <= 'f')
            nibble = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            nibble = c - 'A' + 10;
        else
            return {}; // Not a mask: say nothing rather than something wrong.
        for (int bit = 0; bit < 4; ++bit, ++number) {
            if (!(nibble & (1 << bit)))
                continue;
            if (number < rt_min)
                result.emplace_back(names.at(number));
            else if (number == rt_min)
                result.emplace_back("RTMIN");
            else if (number == rt_max)
                result.emplace_back("RTMAX");
            else if (number < rt_max)
                result.emplace_back("RTMIN+" + std::to_string(number - rt_min));
            else
                result.emplace_back(std::to_string(number));
        }
    }
    // Lowest signal number first.
    return result;
}

std::string process_state_name(std::string_view state_letter)
{
    if (state_letter.empty())
        return "unknown";
    switch (state_letter.front()) {
    case 'R':
        return "running";
    case 'S':
        return "sleeping";
    case 'D':
        return "disk sleep";
    case 'Z':
        return "zombie";
    case 'T':
        return "stopped";
    case 't':
        return "tracing stop";
    case 'X':
        return "dead";
    case 'I':
        return "idle";
    case 'P':
        return "parked";
    default:
        return "unknown";
    }
}

} // namespace engine::state
