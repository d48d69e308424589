// The kinds of the check language and their fields. Snapshot fields come from the JSON of
// default-built engine::state structs, so a field renamed in engine/state/snapshot_json.h shows up
// here (and a lesson naming the old field fails to load) without a second list to update.
#include "engine/lesson/schema.h"

#include "engine/state/snapshot_json.h"

namespace engine::lesson {

namespace {

using Cat = Type::Cat;

// Snapshot fields of one struct, typed by their default JSON value: arrays are lists (their
// elements are checked when evaluated), objects are maps, the rest scalars.
template<typename T>
std::map<std::string, Type> snapshot_fields()
{
    std::map<std::string, Type> fields;
    nlohmann::json json = T {};
    for (auto& [key, value] : json.items()) {
        if (value.is_array())
            fields[key] = Type::list_of(Cat::Unknown);
        else if (value.is_object())
            fields[key] = Type::map();
        else
            fields[key] = Type::scalar();
    }
    fields["key"] = Type::scalar();
    fields["owner"] = Type::scalar();
    return fields;
}

KindInfo make_kind(std::string name, std::string array, std::string positional,
    std::vector<std::string> keys, std::map<std::string, Type> fields,
    const std::map<std::string, Type>& derived)
{
    for (auto& [field, type] : derived)
        fields[field] = type; // Derived fields replace the reference they resolve.
    return { std::move(name), std::move(array), std::move(positional), std::move(keys),
        std::move(fields) };
}

std::vector<KindInfo> build_kinds()
{
    using namespace engine::state;
    auto object = Type::object;
    auto objects = [](const char* kind) { return Type::list_of(std::string(kind)); };
    auto scalar = Type::scalar();
    std::vector<KindInfo> kinds;
    kinds.push_back(make_kind("container", "containers", "name", { "name", "id" },
        snapshot_fields<ContainerInfo>(),
        { { "pid1", object("process") }, { "processes", objects("process") },
            { "networks", objects("network") }, { "volumes", objects("volume") },
            { "image", object("image") }, { "links", objects("link") },
            { "addresses", objects("address") }, { "routes", objects("route") },
            { "mounts", objects("mount") }, { "root", object("mount") },
            { "cgroup", object("cgroup") }, { "netns", scalar } }));
    kinds.push_back(make_kind("process", "processes", "pid", { "pid", "in", "comm" },
        snapshot_fields<ProcessInfo>(),
        { { "signals", Type::map() }, { "zombie", scalar }, { "nspid_inner", scalar },
            { "host_pid", scalar }, { "parent", object("process") },
            { "children", objects("process") }, { "container", object("container") } }));
    kinds.push_back(make_kind("image", "images", "ref", { "tag", "id" }, snapshot_fields<ImageInfo>(),
        { { "layers", objects("layer") }, { "containers", objects("container") } }));
    kinds.push_back(make_kind("layer", "layers", "diff_id", { "diff_id", "of" },
        snapshot_fields<LayerInfo>(),
        { { "images", objects("image") }, { "containers", objects("container") } }));
    kinds.push_back(make_kind("network", "networks", "name", { "name", "id", "driver" },
        snapshot_fields<NetworkInfo>(),
        { { "bridge", object("link") }, { "containers", objects("container") } }));
    kinds.push_back(make_kind("volume", "volumes", "name", { "name", "driver" },
        snapshot_fields<VolumeInfo>(), { { "containers", objects("container") } }));
    std::map<std::string, Type> link_derived { { "peer", object("link") },
        { "master", object("link") }, { "parent", object("link") },
        { "addresses", objects("address") }, { "ports", objects("link") },
        { "container", object("container") } };
    kinds.push_back(make_kind("link", "links", "name", { "in", "name", "kind", "master" },
        snapshot_fields<LinkInfo>(), link_derived));
    kinds.push_back(make_kind("bridge", "links", "name", {}, snapshot_fields<LinkInfo>(), link_derived));
    kinds.push_back(make_kind("address", "addresses", "", { "in", "link", "family" },
        snapshot_fields<AddressInfo>(),
        { { "ip", scalar }, { "prefix", scalar }, { "link", object("link") } }));
    kinds.push_back(make_kind("route", "routes", "", { "in", "dst", "table" },
        snapshot_fields<RouteInfo>(), { { "link", object("link") } }));
    kinds.push_back(make_kind("mount", "mounts", "", { "in", "target", "kind" },
        snapshot_fields<MountInfo>(), { { "layers", objects("layer") }, { "volume", object("volume") } }));
    kinds.push_back(make_kind("namespace", "namespaces", "", { "type", "of" },
        snapshot_fields<NamespaceInfo>(), { { "processes", objects("process") } }));
    kinds.push_back(make_kind("cgroup", "cgroups", "", { "of", "hierarchy" },
        snapshot_fields<CgroupInfo>(), {}));
    kinds.push_back(make_kind("nft_rule", "nft_rules", "", { "contains", "chain", "table" },
        snapshot_fields<NftRule>(), {}));
    kinds.push_back(make_kind("host", "", "", {}, {},
        { { "namespaces", Type::map() }, { "netns", scalar }, { "hostname", scalar },
            { "kernel_release", scalar }, { "cgroup_layout", scalar },
            { "features", Type::list_of(Cat::Scalar) } }));
    return kinds;
}

} // namespace

const std::vector<KindInfo>& all_kinds()
{
    static const std::vector<KindInfo> kinds = build_kinds();
    return kinds;
}

const KindInfo* find_kind(const std::string& name)
{
    for (auto& kind : all_kinds()) {
        if (kind.name == name)
            return &kind;
    }
    return nullptr;
}

const Type* field_type(const std::string& kind, const std::string& field)
{
    const KindInfo* info = find_kind(kind);
    if (!info)
        return nullptr;
    auto it = info->fields.find(field);
    return it == info->fields.end() ? nullptr : &it->second;
}

} // namespace engine::lesson
