// Human-readable views of a snapshot and of timeline entries (see summary.h).
#include "engine/state/summary.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "engine/base/strings.h"
#include "engine/state/diff.h"

namespace engine::state {

namespace {

std::string short_id(const std::string& id)
{
    auto hex = strings::starts_with(id, "sha256:") ? id.substr(7) : id;
    return hex.substr(0, 12);
}

// "1 link", "3 links"; nouns ending in "s" take "es" ("2 processes").
std::string count_text(size_t count, std::string_view noun)
{
    std::string text = std::to_string(count) + " " + std::string(noun);
    if (count != 1)
        text += noun.back() == 's' ? "es" : "s";
    return text;
}

std::string join_ints(const std::vector<int>& values, const char* separator)
{
    std::vector<std::string> parts;
    parts.reserve(values.size());
    for (int value : values)
        parts.push_back(std::to_string(value));
    return strings::join(parts, separator);
}

std::string bytes_or_none(std::int64_t value) { return value < 0 ? "no limit" : strings::human_size(static_cast<std::uint64_t>(value)); }

void line(std::string& out, int indent, const std::string& text)
{
    out.append(static_cast<size_t>(indent) * 2, ' ');
    out += text;
    out += '\n';
}

// [SECTION] Container parts

// The snapshot's items grouped once by container (and links, addresses and routes by network
// namespace), each group in the snapshot's order, so rendering 50 containers reads each
// collection once instead of once per container.
struct Grouped {
    std::unordered_map<int, const ProcessInfo*> process_by_pid;
    std::unordered_map<std::string, std::vector<const ProcessInfo*>> processes;
    std::unordered_map<std::string, std::vector<const MountInfo*>> mounts;
    std::unordered_map<std::string, std::vector<const CgroupInfo*>> cgroups;
    std::unordered_map<std::uint64_t, std::vector<const LinkInfo*>> links;
    std::unordered_map<std::uint64_t, std::vector<const AddressInfo*>> addresses;
    std::unordered_map<std::uint64_t, std::vector<const RouteInfo*>> routes;
    std::unordered_map<std::string, std::uint64_t> netns_of_container; // The last "net" namespace naming it.

    explicit Grouped(const Snapshot& snapshot)
    {
        for (const auto& process : snapshot.processes) {
            process_by_pid.emplace(process.pid, &process); // The first with a PID, as find_process.
            processes[process.container_id].push_back(&process);
        }
        for (const auto& mount : snapshot.mounts)
            mounts[mount.container_id].push_back(&mount);
        for (const auto& cgroup : snapshot.cgroups)
            cgroups[cgroup.container_id].push_back(&cgroup);
        for (const auto& link : snapshot.links)
            links[link.netns].push_back(&link);
        for (const auto& address : snapshot.addresses)
            addresses[address.netns].push_back(&address);
        for (const auto& route : snapshot.routes)
            routes[route.netns].push_back(&route);
        for (const auto& ns : snapshot.namespaces)
            if (ns.type == "net")
                netns_of_container[ns.container_id] = ns.inode;
    }

    template <typename T, typename Key>
    static const std::vector<const T*>& of(const std::unordered_map<Key, std::vector<const T*>>& groups, const Key& key)
    {
        static const std::vector<const T*> none;
        auto it = groups.find(key);
        return it == groups.end() ? none : it->second;
    }
};

void render_pid1(std::string& out, const Grouped& grouped, const ContainerInfo& container)
{
    if (container.pid <= 0) {
        line(out, 1, "not running (no PID 1)");
        return;
    }
    auto found = grouped.process_by_pid.find(container.pid);
    const auto* pid1 = found == grouped.process_by_pid.end() ? nullptr : found->second;
    std::string text = "PID 1: host PID " + std::to_string(container.pid);
    if (pid1) {
        text += ", NSpid [" + join_ints(pid1->nspid, ", ") + "]";
        text += ", " + (pid1->cmdline.empty() ? pid1->comm : strings::join(pid1->cmdline, " "));
        text += " (" + pid1->state_name + ")";
        if (!pid1->signals_caught.empty())
            text += ", catches " + strings::join(pid1->signals_caught, " ");
    }
    line(out, 1, text);
    std::vector<std::string> others;
    for (const auto* process : Grouped::of(grouped.processes, container.id)) {
        if (process->pid != container.pid) {
            std::string text_one = std::to_string(process->pid) + " " + process->comm;
            if (process->nspid.size() > 1)
                text_one += " (PID " + std::to_string(process->nspid.back()) + " inside)";
            if (process->state == "Z")
                text_one += " zombie";
            others.push_back(text_one);
        }
    }
    if (!others.empty())
        line(out, 1, "other processes: " + strings::join(others, ", "));
}

void render_namespaces(std::string& out, const Snapshot& snapshot, const ContainerInfo& container)
{
    if (container.namespaces.empty())
        return;
    std::vector<std::string> own;
    std::vector<std::string> shared;
    for (const auto& [type, inode] : container.namespaces) {
        auto host = snapshot.host_namespaces.find(type);
        if (host != snapshot.host_namespaces.end() && host->second == inode)
            shared.push_back(type);
        else
            own.push_back(type + ":[" + std::to_string(inode) + "]");
    }
    std::string text = "namespaces: " + (own.empty() ? std::string("none of its own") : strings::join(own, " "));
    if (!shared.empty())
        text += "; shared with the host: " + strings::join(shared, " ");
    line(out, 1, text);
}

// The overlay root: the mount at "/" inside the container's mount namespace, else the host's
// view of it at the rootfs path.
const MountInfo* root_overlay(const Grouped& grouped, const ContainerInfo& container)
{
    const MountInfo* found = nullptr;
    for (const auto* mount : Grouped::of(grouped.mounts, container.id)) {
        if (mount->kind != "overlay")
            continue;
        if (mount->mount_point == "/")
            return mount;
        if (!found)
            found = mount;
    }
    return found;
}

void render_mounts(std::string& out, const Grouped& grouped, const ContainerInfo& container)
{
    if (const auto* root = root_overlay(grouped, container)) {
        line(out, 1, "root: overlay with " + count_text(root->lower_dirs.size(), "lower layer") + " (topmost first), upper "
            + root->upper_dir);
        for (size_t i = 0; i < root->lower_dirs.size(); ++i) {
            const auto& lower = root->lower_dirs[i];
            std::string text = std::to_string(i + 1) + ". ";
            text += lower.layer_diff_id.empty() ? lower.path + " (not an image layer)" : "layer " + short_id(lower.layer_diff_id);
            if (!lower.created_by.empty())
                text += " made by \"" + lower.created_by + "\"";
            line(out, 2, text);
        }
    } else if (!container.rootfs.empty()) {
        line(out, 1, "root: " + container.rootfs + " (no overlay mount seen)");
    }
    auto mnt = container.namespaces.find("mnt");
    std::vector<std::string> extra;
    for (const auto* mount : Grouped::of(grouped.mounts, container.id)) {
        if (mnt == container.namespaces.end() || mount->mount_namespace != mnt->second)
            continue;
        if (mount->kind == "volume")
            extra.push_back("volume " + mount->volume_name + " at " + mount->mount_point);
        else if (mount->kind == "bind")
            extra.push_back("bind " + mount->root + " at " + mount->mount_point);
        else if (mount->kind == "tmpfs" && mount->mount_point != "/dev")
            extra.push_back("tmpfs at " + mount->mount_point);
    }
    if (!extra.empty())
        line(out, 1, "mounts: " + strings::join(extra, "; "));
}

void render_cgroups(std::string& out, const Grouped& grouped, const ContainerInfo& container)
{
    for (const auto* entry : Grouped::of(grouped.cgroups, container.id)) {
        const auto& cgroup = *entry;
        std::vector<std::string> facts;
        if (cgroup.memory_current >= 0 || cgroup.memory_max >= 0)
            facts.push_back("memory " + bytes_or_none(cgroup.memory_current) + " used of " + bytes_or_none(cgroup.memory_max));
        if (cgroup.oom_kills > 0)
            facts.push_back("OOM kills " + std::to_string(cgroup.oom_kills));
        if (cgroup.pids_current >= 0 || cgroup.pids_max >= 0)
            facts.push_back("pids " + std::to_string(std::max<std::int64_t>(cgroup.pids_current, 0)) + " of "
                + (cgroup.pids_max < 0 ? std::string("no limit") : std::to_string(cgroup.pids_max)));
        if (cgroup.cpu_usage_usec >= 0)
            facts.push_back("cpu " + std::to_string(cgroup.cpu_usage_usec / 1000) + " ms used");
        if (cgroup.cpu_quota_usec >= 0 && cgroup.cpu_period_usec > 0)
            facts.push_back("cpu quota " + std::to_string(cgroup.cpu_quota_usec) + " us per " + std::to_string(cgroup.cpu_period_usec) + " us");
        line(out, 1, "cgroup " + cgroup.hierarchy + ":" + cgroup.path + (facts.empty() ? "" : ": " + strings::join(facts, ", ")));
    }
}

void render_network(std::string& out, const Snapshot& snapshot, const Grouped& grouped, const ContainerInfo& container)
{
    auto net = container.namespaces.find("net");
    std::uint64_t netns = 0;
    if (net != container.namespaces.end()) {
        netns = net->second;
    } else if (auto it = grouped.netns_of_container.find(container.id); it != grouped.netns_of_container.end()) {
        netns = it->second;
    }
    if (netns == 0)
        return;
    auto host = snapshot.host_namespaces.find("net");
    if (host != snapshot.host_namespaces.end() && host->second == netns) {
        line(out, 1, "network: the host's network namespace (no isolation)");
        return;
    }
    line(out, 1, "network namespace net:[" + std::to_string(netns) + "]");
    for (const auto* entry : Grouped::of(grouped.links, netns)) {
        const auto& link = *entry;
        std::string text = link.name + " " + (link.kind.empty() ? std::string("link") : link.kind);
        if (link.kind == "veth" && link.peer_index > 0) {
            text += " <-> " + (link.peer_name.empty() ? "ifindex " + std::to_string(link.peer_index) : link.peer_name) + " ("
                + describe_netns(snapshot, link.peer_netns);
            if (const auto* peer = find_link(snapshot, link.peer_netns, link.peer_index); peer && !peer->master_name.empty())
                text += ", master " + peer->master_name;
            text += ")";
        }
        if (link.parent_index > 0)
            text += " on parent " + link.parent_name + (link.mode.empty() ? "" : ", mode " + link.mode);
        if (!link.mac.empty())
            text += ", mac " + link.mac;
        text += ", mtu " + std::to_string(link.mtu) + (link.up ? ", up" : ", down");
        line(out, 2, text);
        for (const auto* address : Grouped::of(grouped.addresses, netns)) {
            if (address->link_index == link.index)
                line(out, 3, address->family + " " + address->address);
        }
    }
    std::vector<std::string> routes;
    for (const auto* route : Grouped::of(grouped.routes, netns)) {
        if (route->table != "main")
            continue;
        routes.push_back(route->destination + (route->gateway.empty() ? "" : " via " + route->gateway)
            + (route->link_name.empty() ? "" : " dev " + route->link_name));
    }
    if (!routes.empty())
        line(out, 2, "routes: " + strings::join(routes, "; "));
}

} // namespace

std::string render_summary(const Snapshot& snapshot)
{
    std::string out;
    line(out, 0, "snapshot " + std::to_string(snapshot.generation) + " taken " + snapshot.taken_at
        + (snapshot.hostname.empty() ? "" : " on " + snapshot.hostname) + "; kernel " + snapshot.kernel.release
        + ", cgroup layout " + snapshot.kernel.cgroup_layout);
    line(out, 0, count_text(snapshot.containers.size(), "container") + ", " + count_text(snapshot.processes.size(), "process")
        + ", " + count_text(snapshot.namespaces.size(), "namespace") + ", " + count_text(snapshot.mounts.size(), "mount")
        + ", " + count_text(snapshot.cgroups.size(), "cgroup") + ", " + count_text(snapshot.links.size(), "link")
        + ", " + count_text(snapshot.nft_rules.size(), "nftables rule"));
    Grouped grouped(snapshot);
    for (const auto& container : snapshot.containers) {
        out += '\n';
        std::string image = container.image_tags.empty() ? short_id(container.image_id) : container.image_tags.front();
        line(out, 0, "container " + container.name + " (" + short_id(container.id) + "), " + container.status + ", image " + image);
        render_pid1(out, grouped, container);
        render_namespaces(out, snapshot, container);
        render_mounts(out, grouped, container);
        render_cgroups(out, grouped, container);
        render_network(out, snapshot, grouped, container);
    }
    if (!snapshot.networks.empty()) {
        out += '\n';
        for (const auto& network : snapshot.networks) {
            std::vector<std::string> endpoints;
            for (const auto& endpoint : network.endpoints)
                endpoints.push_back((endpoint.container_name.empty() ? short_id(endpoint.container_id) : endpoint.container_name)
                    + (endpoint.ip_address.empty() ? "" : " " + endpoint.ip_address));
            line(out, 0, "network " + network.name + " (" + network.driver + (network.bridge_name.empty() ? "" : ", bridge " + network.bridge_name)
                + (network.subnet.empty() ? "" : ", subnet " + network.subnet) + ")"
                + (endpoints.empty() ? "" : ": " + strings::join(endpoints, ", ")));
        }
    }
    if (!snapshot.nft_rules.empty()) {
        out += '\n';
        line(out, 0, "nftables rules:");
        for (const auto& rule : snapshot.nft_rules)
            line(out, 1, rule.family + " " + rule.table + " " + rule.chain + ": " + rule.text);
    }
    if (!snapshot.warnings.empty()) {
        out += '\n';
        for (const auto& warning : snapshot.warnings)
            line(out, 0, "warning: " + warning);
    }
    return out;
}

std::string render_kind(const Snapshot& snapshot, std::string_view kind)
{
    auto sentences = describe_objects(snapshot, kind);
    if (sentences.empty())
        return "no " + std::string(kind) + "\n";
    std::string out;
    for (const auto& sentence : sentences)
        line(out, 0, sentence);
    return out;
}

std::string render_timeline_entry(const TimelineEntry& entry)
{
    if (entry.type == TimelineEntry::Type::Snapshot) {
        const auto& s = entry.snapshot;
        std::vector<std::string> names;
        for (const auto& container : s.containers)
            names.push_back(container.name + " " + container.status);
        return entry.time + " snapshot " + std::to_string(s.generation) + ": " + count_text(s.containers.size(), "container")
            + (names.empty() ? "" : " (" + strings::join(names, ", ") + ")") + ", " + count_text(s.processes.size(), "process")
            + ", " + count_text(s.mounts.size(), "mount") + ", " + count_text(s.links.size(), "link") + "\n";
    }
    const auto& event = entry.event;
    auto type = event.is_object() ? event.value("type", "") : std::string();
    if (type == "change") {
        std::string out = entry.time + " kernel changes:\n";
        for (const auto& text_line : strings::split(strings::trim(event.value("text", "")), '\n'))
            line(out, 1, text_line);
        return out;
    }
    if (type == "event" && event.contains("event") && event["event"].is_object()) {
        const auto& docker = event["event"];
        std::string actor;
        if (docker.contains("Actor") && docker["Actor"].is_object()) {
            const auto& attributes = docker["Actor"].value("Attributes", nlohmann::json::object());
            actor = attributes.is_object() && attributes.contains("name") && attributes["name"].is_string()
                ? attributes["name"].get<std::string>()
                : short_id(docker["Actor"].value("ID", ""));
        }
        return entry.time + " event: " + docker.value("Type", "") + " " + docker.value("Action", "") + " " + actor + "\n";
    }
    return entry.time + " " + (type.empty() ? "entry" : type) + ": " + event.dump() + "\n";
}

} // namespace engine::state
