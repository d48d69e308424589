// The snapshot diff (see diff.h): match objects by identity key, compare the rest field by field
// through their JSON form, and say what happened in one sentence per object.
#include "engine/state/diff.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/base/strings.h"
#include "engine/state/snapshot_json.h"

namespace engine::state {

namespace {

std::string short_id(const std::string& id)
{
    auto hex = strings::starts_with(id, "sha256:") ? id.substr(7) : id;
    return hex.substr(0, 12);
}

std::string container_name(const Snapshot& snapshot, const std::string& id)
{
    for (const auto& container : snapshot.containers) {
        if (container.id == id)
            return container.name.empty() ? short_id(id) : container.name;
    }
    return short_id(id);
}

// " for container web", or "" for host objects.
std::string for_container(const Snapshot& snapshot, const std::string& container_id)
{
    return container_id.empty() ? "" : " for container " + container_name(snapshot, container_id);
}

std::string image_name(const Snapshot& snapshot, const std::string& id)
{
    for (const auto& image : snapshot.images) {
        if (image.id == id && !image.tags.empty())
            return image.tags.front();
    }
    return short_id(id);
}

std::string namespace_type_name(const std::string& type)
{
    static const std::map<std::string, std::string> names = { { "net", "network" },
        { "mnt", "mount" }, { "pid", "PID" }, { "uts", "UTS (hostname)" }, { "ipc", "IPC" },
        { "user", "user" }, { "cgroup", "cgroup" }, { "time", "time" } };
    auto it = names.find(type);
    return it == names.end() ? type : it->second;
}

std::string in_netns(const Snapshot& snapshot, std::uint64_t netns)
{
    auto where = describe_netns(snapshot, netns);
    return where == "the host" ? "on the host" : "in " + where;
}

std::string limit_text(std::int64_t value) { return value < 0 ? "none" : strings::human_size(value); }

// [SECTION] One sentence per object kind. `verb` is "new" or "removed".

std::string describe(const Snapshot& s, const ContainerInfo& c, const char* verb)
{
    return std::string(verb) + " container " + c.name + " (" + short_id(c.id) + ", image "
        + image_name(s, c.image_id) + "), " + c.status;
}

std::string describe(const Snapshot&, const ImageInfo& image, const char* verb)
{
    return std::string(verb) + " image " + (image.tags.empty() ? short_id(image.id) : strings::join(image.tags, ", "))
        + " with " + std::to_string(image.layers.size()) + (image.layers.size() == 1 ? " layer" : " layers");
}

std::string describe(const Snapshot&, const LayerInfo& layer, const char* verb)
{
    std::string text = std::string(verb) + " image layer " + short_id(layer.diff_id);
    if (!layer.created_by.empty())
        text += " made by \"" + layer.created_by + "\"";
    text += " (" + strings::human_size(layer.size) + ", shared by "
        + std::to_string(layer.image_ids.size()) + (layer.image_ids.size() == 1 ? " image)" : " images)");
    return text;
}

std::string describe(const Snapshot&, const VolumeInfo& volume, const char* verb)
{
    return std::string(verb) + " volume " + volume.name + " at " + volume.mountpoint;
}

std::string describe(const Snapshot&, const NetworkInfo& network, const char* verb)
{
    std::string text = std::string(verb) + " network " + network.name + " (" + network.driver + " driver";
    if (!network.bridge_name.empty())
        text += ", bridge " + network.bridge_name;
    if (!network.parent.empty())
        text += ", parent " + network.parent;
    if (!network.subnet.empty())
        text += ", subnet " + network.subnet;
    return text + ")";
}

std::string describe(const Snapshot& s, const ProcessInfo& p, const char* verb)
{
    std::string text = std::string(verb) + " process " + std::to_string(p.pid) + " (" + p.comm + ")";
    if (!p.container_id.empty()) {
        text += " in container " + container_name(s, p.container_id);
        if (p.nspid.size() > 1)
            text += ", PID " + std::to_string(p.nspid.back()) + " inside";
    }
    if (p.state == "Z")
        text += ", a zombie waiting for its parent " + std::to_string(p.ppid);
    return text;
}

std::string describe(const Snapshot& s, const NamespaceInfo& ns, const char* verb)
{
    std::string text = std::string(verb) + " " + namespace_type_name(ns.type) + " namespace "
        + identity_key(ns) + for_container(s, ns.container_id);
    if (!ns.bind_mounts.empty())
        text += " (kept alive by " + ns.bind_mounts.front() + ")";
    return text;
}

std::string describe(const Snapshot& s, const MountInfo& m, const char* verb)
{
    std::string where = " at " + m.mount_point + for_container(s, m.container_id);
    if (m.kind == "overlay") {
        return std::string(verb) + " overlay mount with " + std::to_string(m.lower_dirs.size())
            + (m.lower_dirs.size() == 1 ? " lower layer" : " lower layers") + where;
    }
    if (m.kind == "volume")
        return std::string(verb) + " mount of volume " + m.volume_name + where;
    if (m.kind == "bind")
        return std::string(verb) + " bind mount of " + m.root + where;
    return std::string(verb) + " " + m.fstype + " mount" + where;
}

std::string describe(const Snapshot& s, const CgroupInfo& c, const char* verb)
{
    std::string text = std::string(verb) + " cgroup " + c.hierarchy + ":" + c.path + for_container(s, c.container_id);
    std::vector<std::string> limits;
    if (c.memory_max >= 0)
        limits.push_back("memory limit " + limit_text(c.memory_max));
    if (c.pids_max >= 0)
        limits.push_back("pids limit " + std::to_string(c.pids_max));
    if (c.cpu_quota_usec >= 0 && c.cpu_period_usec > 0)
        limits.push_back("cpu quota " + std::to_string(c.cpu_quota_usec) + "us per " + std::to_string(c.cpu_period_usec) + "us");
    if (!limits.empty())
        text += " (" + strings::join(limits, ", ") + ")";
    return text;
}

std::string describe(const Snapshot& s, const LinkInfo& link, const char* verb)
{
    std::string here = link.name + " (" + (describe_netns(s, link.netns) == "the host" ? "host" : "in " + describe_netns(s, link.netns));
    if (!link.master_name.empty())
        here += ", master " + link.master_name;
    here += ")";
    if (link.kind == "veth" && link.peer_index > 0) {
        std::string peer = link.peer_name.empty() ? "ifindex " + std::to_string(link.peer_index) : link.peer_name;
        std::string where = link.peer_netns == link.netns ? "same netns" : "in " + describe_netns(s, link.peer_netns);
        if (where == "in the host")
            where = "host";
        return std::string(verb) + " veth pair " + here + " <-> " + peer + " (" + where + ")";
    }
    std::string text = std::string(verb) + " " + (link.kind.empty() ? "link" : link.kind) + " " + here;
    if (link.parent_index > 0) {
        text += " on parent " + (link.parent_name.empty() ? "ifindex " + std::to_string(link.parent_index) : link.parent_name);
        if (link.parent_netns != 0 && link.parent_netns != link.netns)
            text += " " + in_netns(s, link.parent_netns);
    }
    if (!link.mode.empty())
        text += ", mode " + link.mode;
    if (link.vlan_id >= 0)
        text += ", VLAN " + std::to_string(link.vlan_id);
    return text;
}

std::string describe(const Snapshot& s, const AddressInfo& a, const char* verb)
{
    return std::string(verb) + " address " + a.address + " on " + a.link_name + " " + in_netns(s, a.netns);
}

std::string describe(const Snapshot& s, const RouteInfo& r, const char* verb)
{
    std::string text = std::string(verb) + " route " + r.destination;
    if (!r.gateway.empty())
        text += " via " + r.gateway;
    if (!r.link_name.empty())
        text += " dev " + r.link_name;
    if (r.table != "main")
        text += " (table " + r.table + ")";
    return text + " " + in_netns(s, r.netns);
}

std::string describe(const Snapshot& s, const NeighbourInfo& n, const char* verb)
{
    return std::string(verb) + " neighbour " + n.address + " is " + n.mac + " on " + n.link_name + " "
        + in_netns(s, n.netns);
}

std::string describe(const Snapshot& s, const FdbEntry& f, const char* verb)
{
    return std::string(verb) + " bridge FDB entry: " + f.mac + " behind port " + f.port_name
        + (f.bridge_name.empty() ? "" : " of " + f.bridge_name) + " " + in_netns(s, f.netns);
}

std::string describe(const Snapshot&, const NftRule& rule, const char* verb)
{
    return std::string(verb) + " nftables rule in " + rule.family + " " + rule.table + " chain " + rule.chain
        + ": " + rule.text;
}

// Fields that move on their own; ignored unless DiffOptions::include_usage.
const std::set<std::string>& usage_fields(const std::string& kind)
{
    static const std::map<std::string, std::set<std::string>> fields = {
        { "containers", { "processes" } },
        { "processes", { "threads", "signals_pending", "state", "state_name" } },
        { "namespaces", { "members", "owner_pid" } },
        { "cgroups", { "memory_current", "cpu_usage_usec", "pids_current", "processes" } },
        { "neighbours", { "state" } },
        { "fdb", { "state" } },
        { "layers", { "container_ids" } },
    };
    static const std::set<std::string> none;
    auto it = fields.find(kind);
    return it == fields.end() ? none : it->second;
}

std::string value_text(const nlohmann::json& value)
{
    if (value.is_string())
        return value.get<std::string>().empty() ? "\"\"" : value.get<std::string>();
    return value.dump();
}

// The collection of `snapshot` that holds the same type as `items` (each type appears once).
template<typename T>
const std::vector<T>& same_collection(const Snapshot& snapshot, const std::vector<T>&)
{
    const std::vector<T>* found = nullptr;
    for_each_collection(snapshot, [&](const char*, const auto& items) {
        if constexpr (std::is_same_v<std::decay_t<decltype(items)>, std::vector<T>>)
            found = &items;
    });
    return *found;
}

template<typename T>
void diff_collection(const char* kind, const Snapshot& before, const Snapshot& after,
    const std::vector<T>& old_items, const std::vector<T>& new_items, const DiffOptions& options,
    std::vector<Change>& out)
{
    std::map<std::string, const T*> old_by_key;
    std::map<std::string, const T*> new_by_key;
    for (const auto& item : old_items)
        old_by_key.emplace(identity_key(item), &item);
    for (const auto& item : new_items)
        new_by_key.emplace(identity_key(item), &item);

    // Engine objects (containers, images, ...) have no owner field: they own themselves.
    auto owner_of = [](const T& item) -> std::string {
        if constexpr (requires { item.owner; })
            return item.owner;
        else
            return identity_key(item);
    };
    auto wanted = [&](const std::string& owner) { return !options.glassbox_only || !owner.empty(); };

    for (const auto& [key, item] : old_by_key) {
        if (new_by_key.count(key) || !wanted(owner_of(*item)))
            continue;
        out.push_back({ ChangeType::Removed, kind, key, owner_of(*item), describe(before, *item, "removed"), {} });
    }
    for (const auto& [key, item] : new_by_key) {
        if (old_by_key.count(key) || !wanted(owner_of(*item)))
            continue;
        out.push_back({ ChangeType::Added, kind, key, owner_of(*item), describe(after, *item, "new"), {} });
    }
    const auto& ignored = usage_fields(kind);
    for (const auto& [key, item] : new_by_key) {
        auto old_it = old_by_key.find(key);
        if (old_it == old_by_key.end() || !wanted(owner_of(*item)))
            continue;
        nlohmann::json old_json = *old_it->second;
        nlohmann::json new_json = *item;
        if (old_json == new_json)
            continue;
        std::vector<std::string> fields;
        for (const auto& [field, value] : new_json.items()) {
            const auto& old_value = old_json[field];
            if (old_value == value)
                continue;
            bool zombie_change = field == "state" && (value == "Z" || old_value == "Z");
            if (!options.include_usage && ignored.count(field) && !zombie_change)
                continue;
            fields.push_back(field + ": " + value_text(old_value) + " -> " + value_text(value));
        }
        if (fields.empty())
            continue;
        std::string sentence = describe(after, *item, "");
        sentence = strings::trim(sentence) + " changed: " + strings::join(fields, "; ");
        out.push_back({ ChangeType::Changed, kind, key, owner_of(*item), sentence, fields });
    }
}

} // namespace

std::string_view change_type_name(ChangeType type)
{
    switch (type) {
    case ChangeType::Added:
        return "added";
    case ChangeType::Removed:
        return "removed";
    case ChangeType::Changed:
        return "changed";
    }
    return "changed";
}

Diff diff_snapshots(const Snapshot& before, const Snapshot& after, const DiffOptions& options)
{
    Diff diff;
    diff.from_generation = before.generation;
    diff.to_generation = after.generation;
    for_each_collection(before, [&](const char* kind, const auto& old_items) {
        diff_collection(kind, before, after, old_items, same_collection(after, old_items), options,
            diff.changes);
    });
    return diff;
}

std::string render_diff(const Diff& diff)
{
    if (diff.changes.empty())
        return "no changes\n";
    std::string text;
    for (const auto& change : diff.changes) {
        char mark = change.type == ChangeType::Added ? '+' : change.type == ChangeType::Removed ? '-' : '~';
        text += mark;
        text += ' ';
        text += change.sentence;
        text += '\n';
    }
    return text;
}

std::vector<std::string> describe_objects(const Snapshot& snapshot, std::string_view kind)
{
    std::vector<std::string> sentences;
    for_each_collection(snapshot, [&](const char* name, const auto& items) {
        if (kind != name)
            return;
        for (const auto& item : items)
            sentences.push_back(strings::trim(describe(snapshot, item, "")));
    });
    return sentences;
}

nlohmann::json diff_to_json(const Diff& diff)
{
    nlohmann::json json;
    json["schema_version"] = snapshot_schema_version;
    json["from_generation"] = diff.from_generation;
    json["to_generation"] = diff.to_generation;
    json["changes"] = nlohmann::json::array();
    for (const auto& change : diff.changes) {
        json["changes"].push_back({ { "type", change_type_name(change.type) }, { "kind", change.kind },
            { "key", change.key }, { "owner", change.owner }, { "sentence", change.sentence },
            { "fields", change.fields } });
    }
    return json;
}

Result<Diff> diff_from_json(const nlohmann::json& json)
{
    if (!json.is_object() || !json.contains("changes") || !json["changes"].is_array())
        return Error::invalid("diff: expected an object with a \"changes\" array");
    Diff diff;
    std::string field = "from_generation";
    try {
        diff.from_generation = json.value("from_generation", std::uint64_t { 0 });
        field = "to_generation";
        diff.to_generation = json.value("to_generation", std::uint64_t { 0 });
        const auto& changes = json["changes"];
        for (size_t i = 0; i < changes.size(); ++i) {
            field = "changes[" + std::to_string(i) + "]";
            const auto& item = changes[i];
            Change change;
            auto type = item.at("type").get<std::string>();
            if (type == "added")
                change.type = ChangeType::Added;
            else if (type == "removed")
                change.type = ChangeType::Removed;
            else if (type == "changed")
                change.type = ChangeType::Changed;
            else
                return Error::invalid("diff field \"" + field + ".type\": unknown change type \"" + type + "\"");
            change.kind = item.value("kind", std::string {});
            change.key = item.value("key", std::string {});
            change.owner = item.value("owner", std::string {});
            change.sentence = item.value("sentence", std::string {});
            change.fields = item.value("fields", std::vector<std::string> {});
            diff.changes.push_back(std::move(change));
        }
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid("diff field \"" + field + "\": " + error.what());
    }
    return diff;
}

} // namespace engine::state
