// Snapshot <-> JSON (see snapshot_json.h and SCHEMA.md). Field names in JSON are the C++ field
// names; each array element also gets its identity key as "key".
#include "engine/state/snapshot_json.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <functional>
#include <set>

#include "engine/base/json_depth.h"
#include "engine/base/strings.h"

namespace engine::state {

namespace {

bool contains(const std::vector<std::string>& values, const std::string& value)
{
    return std::find(values.begin(), values.end(), value) != values.end();
}

// Keeps the elements of `items` for which `keep` says yes.
template<typename T, typename Keep>
void keep_if(std::vector<T>& items, Keep keep)
{
    items.erase(std::remove_if(items.begin(), items.end(), [&](const T& item) { return !keep(item); }),
        items.end());
}

Snapshot narrow_to_container(const Snapshot& snapshot, const ContainerInfo& container)
{
    Snapshot result = snapshot;
    const std::string owner = "container:" + container.id;
    auto belongs = [&](const auto& item) {
        return item.container_id == container.id || item.owner == owner;
    };

    keep_if(result.containers, [&](const ContainerInfo& c) { return c.id == container.id; });
    keep_if(result.images, [&](const ImageInfo& image) { return image.id == container.image_id; });
    keep_if(result.layers, [&](const LayerInfo& layer) {
        return contains(layer.container_ids, container.id) || contains(layer.image_ids, container.image_id);
    });
    keep_if(result.volumes, [&](const VolumeInfo& volume) { return contains(volume.container_ids, container.id); });
    keep_if(result.networks, [&](const NetworkInfo& network) { return contains(container.networks, network.id); });
    keep_if(result.processes, belongs);
    keep_if(result.namespaces, belongs);
    keep_if(result.mounts, belongs);
    keep_if(result.cgroups, belongs);
    keep_if(result.links, belongs);
    keep_if(result.addresses, belongs);
    keep_if(result.routes, belongs);
    keep_if(result.neighbours, belongs);
    keep_if(result.fdb, [&](const FdbEntry& entry) { return entry.owner == owner; });
    // nftables rules belong to glassbox as a whole; keep those that name the container's
    // addresses (a published port's DNAT, for example).
    std::set<std::string> ips;
    for (const auto& network : result.networks) {
        for (const auto& endpoint : network.endpoints) {
            if (endpoint.container_id == container.id && !endpoint.ip_address.empty())
                ips.insert(endpoint.ip_address);
        }
    }
    keep_if(result.nft_rules, [&](const NftRule& rule) {
        return std::any_of(ips.begin(), ips.end(), [&](const std::string& ip) {
            return rule.text.find(ip) != std::string::npos;
        });
    });
    return result;
}

template<typename T>
nlohmann::json array_with_keys(const std::vector<T>& items)
{
    auto array = nlohmann::json::array();
    for (const auto& item : items) {
        nlohmann::json object = item;
        object["key"] = identity_key(item);
        array.push_back(std::move(object));
    }
    return array;
}


// The direct encoder behind snapshot_to_json_text. nlohmann::json keeps object keys in a
// std::map, so every object here is written with its keys in sorted order; each struct's sorted
// field table is built once from for_each_json_field.
namespace text {

void write(std::string& out, const std::string& value)
{
    // Printable ASCII without quote or backslash is copied; anything else (escapes, UTF-8,
    // invalid bytes) goes through nlohmann so the escaping and U+FFFD replacement match exactly.
    bool plain = std::all_of(value.begin(), value.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\';
    });
    if (plain) {
        out += '"';
        out += value;
        out += '"';
    } else {
        out += nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
}

void write(std::string& out, bool value) { out += value ? "true" : "false"; }

template<typename T>
    requires std::is_integral_v<T>
void write(std::string& out, T value)
{
    char buffer[24];
    auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    out.append(buffer, end);
}

template<typename T>
void write(std::string& out, const std::vector<T>& values);
template<typename T>
void write(std::string& out, const std::map<std::string, T>& values);
template<typename T>
    requires std::is_class_v<T>
void write(std::string& out, const T& object, const std::string* key = nullptr);

template<typename T, typename WriteItem>
void write_array(std::string& out, const std::vector<T>& items, WriteItem write_item)
{
    out += '[';
    for (size_t i = 0; i < items.size(); ++i) {
        if (i)
            out += ',';
        write_item(items[i]);
    }
    out += ']';
}

template<typename T>
void write(std::string& out, const std::vector<T>& values)
{
    write_array(out, values, [&](const T& value) { write(out, value); });
}

template<typename T>
void write(std::string& out, const std::map<std::string, T>& values)
{
    out += '{';
    bool first = true;
    for (const auto& [name, value] : values) {
        if (!first)
            out += ',';
        first = false;
        write(out, name);
        out += ':';
        write(out, value);
    }
    out += '}';
}

// One field of T: its quoted name with the colon, and how to write its value.
template<typename T>
struct Field {
    std::string name;
    std::string prefix;
    void (*write)(std::string&, const T&);
};

template<typename T>
const std::vector<Field<T>>& sorted_fields()
{
    static const std::vector<Field<T>> fields = [] {
        std::vector<Field<T>> result;
        for_each_json_field(static_cast<const T*>(nullptr), [&]<typename Get>(const char* name, Get) {
            result.push_back({ name, "\"" + std::string(name) + "\":",
                [](std::string& out, const T& object) { text::write(out, Get {}(object)); } });
        });
        std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        return result;
    }();
    return fields;
}

// An object of T; `key`, when given, is the element's identity key, written as "key" in its
// sorted place as array_with_keys adds it.
template<typename T>
    requires std::is_class_v<T>
void write(std::string& out, const T& object, const std::string* key)
{
    out += '{';
    bool first = true;
    bool key_pending = key != nullptr;
    auto write_key = [&] {
        if (!first)
            out += ',';
        first = false;
        out += "\"key\":";
        write(out, *key);
        key_pending = false;
    };
    for (const auto& field : sorted_fields<T>()) {
        if (key_pending && field.name > "key")
            write_key();
        if (!first)
            out += ',';
        first = false;
        out += field.prefix;
        field.write(out, object);
    }
    if (key_pending)
        write_key();
    out += '}';
}

template<typename T>
void write_with_keys(std::string& out, const std::vector<T>& items)
{
    write_array(out, items, [&](const T& item) {
        std::string key = identity_key(item);
        write(out, item, &key);
    });
}

} // namespace text

} // namespace

const std::vector<std::string>& snapshot_kinds()
{
    static const std::vector<std::string> kinds = [] {
        std::vector<std::string> names;
        Snapshot empty;
        for_each_collection(empty, [&](const char* name, auto&) { names.emplace_back(name); });
        return names;
    }();
    return kinds;
}

nlohmann::json snapshot_to_json(const Snapshot& snapshot)
{
    nlohmann::json json;
    json["schema_version"] = snapshot.schema_version;
    json["generation"] = snapshot.generation;
    json["taken_at"] = snapshot.taken_at;
    json["hostname"] = snapshot.hostname;
    json["kernel"] = snapshot.kernel;
    json["host_namespaces"] = snapshot.host_namespaces;
    for_each_collection(snapshot, [&](const char* name, const auto& items) { json[name] = array_with_keys(items); });
    json["warnings"] = snapshot.warnings;
    return json;
}

std::string snapshot_to_json_text(const Snapshot& snapshot)
{
    // The top-level members in sorted order, as the DOM's std::map keeps them.
    std::vector<std::pair<std::string_view, std::function<void(std::string&)>>> members {
        { "schema_version", [&](std::string& out) { text::write(out, snapshot.schema_version); } },
        { "generation", [&](std::string& out) { text::write(out, snapshot.generation); } },
        { "taken_at", [&](std::string& out) { text::write(out, snapshot.taken_at); } },
        { "hostname", [&](std::string& out) { text::write(out, snapshot.hostname); } },
        { "kernel", [&](std::string& out) { text::write(out, snapshot.kernel); } },
        { "host_namespaces", [&](std::string& out) { text::write(out, snapshot.host_namespaces); } },
        { "warnings", [&](std::string& out) { text::write(out, snapshot.warnings); } },
    };
    size_t items = 0;
    for_each_collection(snapshot, [&](const char* name, const auto& collection) {
        items += collection.size();
        members.emplace_back(name, [&collection](std::string& out) { text::write_with_keys(out, collection); });
    });
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    // Room for the whole text at once (and a newline a caller may add): a snapshot is about as
    // big as the one before it, and each doubling of a megabyte string copies it and faults in
    // fresh pages.
    static std::atomic<size_t> last_size { 0 };
    std::string out;
    out.reserve(std::max<size_t>(4096 + items * 512, last_size.load(std::memory_order_relaxed) * 9 / 8) + 1);
    out += '{';
    for (size_t i = 0; i < members.size(); ++i) {
        if (i)
            out += ',';
        out += '"';
        out += members[i].first;
        out += "\":";
        members[i].second(out);
    }
    out += '}';
    last_size.store(out.size(), std::memory_order_relaxed);
    return out;
}

Result<Snapshot> filter_snapshot(const Snapshot& snapshot, const SnapshotFilter& filter)
{
    Snapshot result;
    if (filter.container.empty()) {
        result = snapshot;
    } else {
        const auto* container = find_container(snapshot, filter.container);
        if (!container)
            return Error::not_found("no such container in the snapshot: " + filter.container);
        result = narrow_to_container(snapshot, *container);
    }
    if (filter.kind.empty())
        return result;
    if (!contains(snapshot_kinds(), filter.kind)) {
        return Error::invalid("unknown state kind \"" + filter.kind + "\" (expected one of: "
            + [] {
                  std::string list;
                  for (const auto& kind : snapshot_kinds())
                      list += (list.empty() ? "" : ", ") + kind;
                  return list;
              }()
            + ")");
    }
    for_each_collection(result, [&](const char* name, auto& items) {
        if (filter.kind != name)
            items.clear();
    });
    return result;
}

Result<nlohmann::json> snapshot_to_json(const Snapshot& snapshot, const SnapshotFilter& filter)
{
    auto filtered = TRY(filter_snapshot(snapshot, filter));
    auto json = snapshot_to_json(filtered);
    if (!filter.kind.empty()) {
        // A kind filter returns only that array plus the header fields.
        for (const auto& kind : snapshot_kinds()) {
            if (kind != filter.kind)
                json.erase(kind);
        }
    }
    return json;
}

Result<Snapshot> snapshot_from_json(const nlohmann::json& json)
{
    if (!json.is_object())
        return Error::invalid("snapshot: expected a JSON object, got " + std::string(json.type_name()));
    if (!json.contains("schema_version") || !json["schema_version"].is_number_integer())
        return Error::invalid("snapshot: missing integer field \"schema_version\"");
    int version = json["schema_version"].get<int>();
    if (version > snapshot_schema_version || version < 1) {
        return Error::invalid("snapshot: schema_version " + std::to_string(version)
            + " is not supported (this build reads 1 to " + std::to_string(snapshot_schema_version) + ")");
    }

    Snapshot snapshot;
    snapshot.schema_version = version;
    // Read field by field so an error names the field that was wrong.
    std::string field = "generation";
    try {
        snapshot.generation = json.value("generation", std::uint64_t { 0 });
        field = "taken_at";
        snapshot.taken_at = json.value("taken_at", std::string {});
        field = "hostname";
        snapshot.hostname = json.value("hostname", std::string {});
        field = "host_namespaces";
        if (json.contains("host_namespaces"))
            snapshot.host_namespaces = json["host_namespaces"].get<std::map<std::string, std::uint64_t>>();
        field = "kernel";
        if (json.contains("kernel"))
            snapshot.kernel = json["kernel"].get<KernelInfo>();
        for_each_collection(snapshot, [&](const char* name, auto& items) {
            field = name;
            if (!json.contains(name))
                return;
            const auto& array = json[name];
            if (!array.is_array())
                throw nlohmann::json::type_error::create(302, std::string("expected an array"), &array);
            for (size_t i = 0; i < array.size(); ++i) {
                field = std::string(name) + "[" + std::to_string(i) + "]";
                items.push_back(array[i].template get<typename std::decay_t<decltype(items)>::value_type>());
            }
        });
        field = "warnings";
        if (json.contains("warnings"))
            snapshot.warnings = json["warnings"].get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid("snapshot field \"" + field + "\": " + error.what());
    }
    return snapshot;
}

Result<Snapshot> parse_snapshot(std::string_view text)
{
    // Snapshots come from files and other daemons: the nesting is checked before parsing (a
    // value nested 100000 deep overflows the stack when nlohmann copies or destroys it), and
    // errors quote at most 200 bytes of the text.
    TRY_CTX(json_depth::check(text), "snapshot");
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid(std::string("snapshot is not valid JSON: ") + strings::shorten(error.what(), 400));
    }
    return snapshot_from_json(json);
}

} // namespace engine::state
