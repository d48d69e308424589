// Evaluator of the check language over the JSON form of a snapshot (engine/state/SCHEMA.md).
// Selectors become lists of snapshot objects tagged with their kind; a selector used where one
// object is needed must match exactly one, otherwise the evaluation fails with a message naming
// it ("no container named web"), and the check fails: a missing object never makes a check
// pass. Derived fields (pid1, signals.TERM, peer, master, layers, ...) join the snapshot's arrays
// by their references (container ids, PIDs, netns inodes and ifindexes, layer diff ids).
#include <algorithm>
#include <optional>

#include "engine/lesson/check.h"
#include "engine/lesson/schema.h"

namespace engine::lesson {

namespace {

// [SECTION] Values

struct Value {
    enum class Type { Scalar, Object, List };
    Type type { Type::Scalar };
    Json data;                 // Scalar: the JSON value; Object: the snapshot object.
    std::string kind;          // Object: "container", "link", ... ("signals" for process.signals).
    std::vector<Value> items;  // List.

    static Value scalar(Json json)
    {
        Value value;
        value.data = std::move(json);
        return value;
    }
    static Value object(std::string kind, Json json)
    {
        Value value;
        value.type = Type::Object;
        value.kind = std::move(kind);
        value.data = std::move(json);
        return value;
    }
    static Value list(std::vector<Value> items = {})
    {
        Value value;
        value.type = Type::List;
        value.items = std::move(items);
        return value;
    }
    [[nodiscard]] bool is_null() const { return type == Type::Scalar && data.is_null(); }
};

Value from_json(const Json& json)
{
    if (!json.is_array())
        return Value::scalar(json);
    Value list = Value::list();
    for (auto& item : json)
        list.items.push_back(from_json(item));
    return list;
}

std::string str(const Json& json, const char* key)
{
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t num(const Json& json, const char* key)
{
    auto it = json.find(key);
    return it != json.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

// The name an object shows to a learner, and what it equals as a string.
std::string label(const Value& value)
{
    const Json& data = value.data;
    if (value.kind == "image") {
        auto tags = data.value("tags", Json::array());
        return !tags.empty() && tags[0].is_string() ? tags[0].get<std::string>() : str(data, "id");
    }
    static const std::map<std::string, const char*> fields { { "container", "name" },
        { "network", "name" }, { "volume", "name" }, { "link", "name" }, { "layer", "diff_id" },
        { "process", "comm" }, { "address", "address" }, { "route", "destination" },
        { "mount", "mount_point" }, { "nft_rule", "text" }, { "cgroup", "path" },
        { "namespace", "key" }, { "host", "hostname" } };
    auto it = fields.find(value.kind);
    return it == fields.end() ? std::string() : str(data, it->second);
}

bool label_equals(const Value& value, const std::string& text)
{
    if (value.kind == "image") {
        for (auto& tag : value.data.value("tags", Json::array())) {
            if (tag == text)
                return true;
        }
        return str(value.data, "id") == text;
    }
    return label(value) == text;
}

std::string render(const Value& value, size_t limit = 200)
{
    std::string out;
    switch (value.type) {
    case Value::Type::Scalar:
        out = value.data.dump();
        break;
    case Value::Type::Object:
        out = value.kind + "(" + label(value) + ")";
        break;
    case Value::Type::List:
        out = "[";
        for (size_t i = 0; i < value.items.size(); ++i) {
            if (out.size() > limit) {
                out += ", ... (" + std::to_string(value.items.size()) + " in all)";
                break;
            }
            out += (i ? ", " : "") + render(value.items[i], limit);
        }
        out += "]";
        break;
    }
    if (out.size() > limit + 40)
        out = out.substr(0, limit) + "...";
    return out;
}

bool same_object(const Value& a, const Value& b)
{
    auto a_key = a.data.find("key");
    auto b_key = b.data.find("key");
    if (a_key != a.data.end() && b_key != b.data.end())
        return *a_key == *b_key;
    return a.data == b.data;
}

bool equal(const Value& a, const Value& b)
{
    using T = Value::Type;
    if (a.type == T::Object && b.type == T::Object)
        return same_object(a, b);
    if (a.type == T::Object && b.type == T::Scalar)
        return b.data.is_string() && label_equals(a, b.data.get<std::string>());
    if (a.type == T::Scalar && b.type == T::Object)
        return equal(b, a);
    if (a.type == T::List && b.type == T::List) {
        if (a.items.size() != b.items.size())
            return false;
        for (size_t i = 0; i < a.items.size(); ++i) {
            if (!equal(a.items[i], b.items[i]))
                return false;
        }
        return true;
    }
    if (a.type == T::Scalar && b.type == T::Scalar) {
        if (a.data.is_number() && b.data.is_number())
            return a.data.get<double>() == b.data.get<double>();
        return a.data == b.data;
    }
    return false;
}

// [SECTION] The evaluator

class Evaluator {
public:
    explicit Evaluator(const Json& snapshot)
        : m_snapshot(snapshot)
    {
    }

    Result<bool> truth(const Node& node, std::string& found);

private:
    const Json& m_snapshot;

    const Json& array(const std::string& name) const
    {
        static const Json empty = Json::array();
        auto it = m_snapshot.find(name);
        return it != m_snapshot.end() && it->is_array() ? *it : empty;
    }

    std::vector<Value> where(const std::string& kind, const std::string& array_name,
        const std::function<bool(const Json&)>& keep) const
    {
        std::vector<Value> out;
        for (auto& item : array(array_name)) {
            if (keep(item))
                out.push_back(Value::object(kind, item));
        }
        return out;
    }

    Value first_or_null(std::vector<Value> values) const
    {
        return values.empty() ? Value::scalar(nullptr) : std::move(values.front());
    }

    Value host() const
    {
        Json data;
        data["key"] = "host";
        data["namespaces"] = m_snapshot.value("host_namespaces", Json::object());
        data["netns"] = data["namespaces"].value("net", Json());
        data["hostname"] = m_snapshot.value("hostname", "");
        Json kernel = m_snapshot.value("kernel", Json::object());
        data["kernel_release"] = kernel.value("release", "");
        data["cgroup_layout"] = kernel.value("cgroup_layout", "");
        data["features"] = Json::array();
        for (auto& feature : kernel.value("features", Json::array())) {
            if (feature.value("available", false))
                data["features"].push_back(feature.value("name", ""));
        }
        return Value::object("host", data);
    }

    Value link_at(std::uint64_t netns, std::int64_t index) const
    {
        if (index == 0)
            return Value::scalar(nullptr);
        return first_or_null(where("link", "links", [&](const Json& link) {
            return link.value("netns", std::uint64_t { 0 }) == netns && num(link, "index") == index;
        }));
    }

    Value layer_by_diff_id(const std::string& diff_id) const
    {
        auto found = where("layer", "layers", [&](const Json& layer) { return str(layer, "diff_id") == diff_id; });
        if (!found.empty())
            return found.front();
        // A layer the snapshot does not list still has an identity: its diff id.
        return Value::object("layer", Json { { "key", "layer:" + diff_id }, { "diff_id", diff_id } });
    }

    Value containers_by_ids(const Json& ids) const
    {
        Value out = Value::list();
        for (auto& id : ids) {
            auto found = where("container", "containers", [&](const Json& c) { return c.value("id", Json()) == id; });
            for (auto& value : found)
                out.items.push_back(value);
        }
        return out;
    }

    // The namespace inode of type `type` that an `in:`/`of:` argument stands for.
    Result<std::uint64_t> namespace_of(const Value& owner, const std::string& type, const std::string& text) const
    {
        if (owner.type != Value::Type::Object)
            return Error::invalid("'" + text + "' is not a container, process, namespace or host()");
        if (owner.kind == "namespace") {
            if (str(owner.data, "type") != type)
                return Error::invalid("'" + text + "' is a " + str(owner.data, "type") + " namespace, not a " + type + " namespace");
            return owner.data.value("inode", std::uint64_t { 0 });
        }
        if (owner.kind != "container" && owner.kind != "process" && owner.kind != "host")
            return Error::invalid("'" + text + "' is a " + owner.kind + "; expected a container, process, namespace or host()");
        Json namespaces = owner.data.value("namespaces", Json::object());
        auto it = namespaces.find(type);
        if (it == namespaces.end() || !it->is_number())
            return Error::not_found(owner.kind + " " + label(owner) + " has no " + type
                + " namespace (is it running?)");
        return it->get<std::uint64_t>();
    }

    Result<Value> single_selector(const Node& node)
    {
        auto matches = TRY(select(node));
        if (matches.size() == 1)
            return matches.front();
        if (matches.empty())
            return Error::not_found(describe_missing(node));
        std::string names;
        for (size_t i = 0; i < matches.size() && i < 6; ++i)
            names += (i ? ", " : "") + label(matches[i]);
        std::string kind = node.name == "bridge" ? "link" : node.name;
        return Error::invalid(node.text + " matches " + std::to_string(matches.size()) + " " + kind
            + "s (" + names + "); narrow it");
    }

    static std::string describe_missing(const Node& node)
    {
        const SelectorArg* positional = nullptr;
        for (auto& arg : node.args) {
            if (arg.key.empty())
                positional = &arg;
        }
        if (positional && node.args.size() == 1 && positional->literal.is_string()) {
            std::string name = positional->literal.get<std::string>();
            if (node.name == "image")
                return "no image tagged " + name;
            if (node.name == "layer")
                return "no layer " + name;
            if (node.name == "bridge")
                return "no bridge named " + name + " in the host";
            return "no " + node.name + " named " + name;
        }
        if (positional && node.args.size() == 1 && node.name == "process")
            return "no process with PID " + positional->literal.dump();
        if (node.args.empty())
            return "no " + node.name + " at all";
        return "no " + node.name + " matching " + node.text.substr(node.name.size());
    }

    struct Args {
        std::map<std::string, Json> literal;
        std::map<std::string, Value> objects;
        [[nodiscard]] bool has(const std::string& key) const { return literal.count(key) || objects.count(key); }
        [[nodiscard]] std::string text(const std::string& key) const
        {
            auto it = literal.find(key);
            if (it == literal.end())
                return "";
            return it->second.is_string() ? it->second.get<std::string>() : it->second.dump();
        }
    };

    Result<Args> resolve_args(const Node& node, const KindInfo& kind)
    {
        Args args;
        for (auto& arg : node.args) {
            std::string key = arg.key.empty() ? kind.positional : arg.key;
            if (arg.selector)
                args.objects[key] = TRY(single_selector(*arg.selector));
            else
                args.literal[key] = arg.literal;
        }
        return args;
    }

    Result<std::vector<Value>> select(const Node& node)
    {
        const KindInfo* kind = find_kind(node.name);
        VERIFY(kind);
        Args args = TRY(resolve_args(node, *kind));
        const std::string& name = node.name;
        auto text_matches = [&](const Json& item, const char* field, const std::string& key) {
            return !args.has(key) || str(item, field) == args.text(key);
        };

        if (name == "host")
            return std::vector<Value> { host() };
        if (name == "container") {
            std::string wanted = args.has("name") ? args.text("name") : "";
            auto by_name = where(name, "containers", [&](const Json& c) {
                return text_matches(c, "name", "name") && (!args.has("id") || str(c, "id").rfind(args.text("id"), 0) == 0);
            });
            if (!by_name.empty() || wanted.empty())
                return by_name;
            // A positional argument may also be an id prefix, as docker accepts.
            return where(name, "containers", [&](const Json& c) { return str(c, "id").rfind(wanted, 0) == 0; });
        }
        if (name == "process") {
            std::string container_id;
            if (args.objects.count("in")) {
                const Value& owner = args.objects["in"];
                if (owner.kind != "container")
                    return Error::invalid("process(in: ...) takes a container");
                container_id = str(owner.data, "id");
            }
            return where(name, "processes", [&](const Json& p) {
                if (args.literal.count("pid") && !equal(Value::scalar(p.value("pid", Json())), Value::scalar(args.literal["pid"])))
                    return false;
                if (!container_id.empty() && str(p, "container_id") != container_id)
                    return false;
                return text_matches(p, "comm", "comm");
            });
        }
        if (name == "image") {
            std::string ref = args.has("ref") ? args.text("ref") : args.text("tag");
            if (!ref.empty() && ref.find(':', ref.rfind('/') == std::string::npos ? 0 : ref.rfind('/')) == std::string::npos
                && ref.rfind("sha256", 0) != 0)
                ref += ":latest";
            std::string id = args.text("id");
            auto strip = [](std::string text) { return text.rfind("sha256:", 0) == 0 ? text.substr(7) : text; };
            return where(name, "images", [&](const Json& image) {
                std::string image_id = strip(str(image, "id"));
                if (!id.empty() && image_id.rfind(strip(id), 0) != 0)
                    return false;
                if (ref.empty())
                    return true;
                for (auto& tag : image.value("tags", Json::array())) {
                    if (tag == ref)
                        return true;
                }
                return args.has("ref") && strip(args.text("ref")).size() >= 4 && image_id.rfind(strip(args.text("ref")), 0) == 0;
            });
        }
        if (name == "layer") {
            std::string prefix = args.text("diff_id");
            auto strip = [](std::string text) { return text.rfind("sha256:", 0) == 0 ? text.substr(7) : text; };
            std::vector<Value> pool;
            if (args.objects.count("of"))
                pool = TRY(field(args.objects["of"], "layers", node)).items;
            else
                pool = where(name, "layers", [](const Json&) { return true; });
            std::vector<Value> out;
            for (auto& layer : pool) {
                if (prefix.empty() || strip(str(layer.data, "diff_id")).rfind(strip(prefix), 0) == 0)
                    out.push_back(layer);
            }
            return out;
        }
        if (name == "network") {
            return where(name, "networks", [&](const Json& n) {
                if (args.has("name") && str(n, "name") != args.text("name")
                    && !(node.args.size() == 1 && node.args[0].key.empty() && args.text("name").size() >= 6 && str(n, "id").rfind(args.text("name"), 0) == 0))
                    return false;
                return (!args.has("id") || str(n, "id").rfind(args.text("id"), 0) == 0) && text_matches(n, "driver", "driver");
            });
        }
        if (name == "volume")
            return where(name, "volumes", [&](const Json& v) { return text_matches(v, "name", "name") && text_matches(v, "driver", "driver"); });
        if (name == "nft_rule") {
            return where(name, "nft_rules", [&](const Json& rule) {
                return (!args.has("contains") || str(rule, "text").find(args.text("contains")) != std::string::npos)
                    && text_matches(rule, "chain", "chain") && text_matches(rule, "table", "table");
            });
        }
        if (name == "cgroup") {
            std::string container_id;
            if (args.objects.count("of")) {
                const Value& owner = args.objects["of"];
                if (owner.kind != "container")
                    return Error::invalid("cgroup(of: ...) takes a container");
                container_id = str(owner.data, "id");
            }
            auto found = where(name, "cgroups", [&](const Json& c) {
                return (container_id.empty() || str(c, "container_id") == container_id) && text_matches(c, "hierarchy", "hierarchy");
            });
            if (args.has("hierarchy") || found.size() <= 1 || container_id.empty())
                return found;
            return std::vector<Value> { preferred_cgroup(found) };
        }
        if (name == "namespace") {
            std::string type = args.text("type");
            if (args.objects.count("of")) {
                const Value& owner = args.objects["of"];
                std::vector<std::string> types;
                if (!type.empty())
                    types.push_back(type);
                Json namespaces = owner.data.value("namespaces", Json::object());
                if (type.empty()) {
                    for (auto& [key, _] : namespaces.items())
                        types.push_back(key);
                }
                std::vector<Value> out;
                for (auto& each : types) {
                    std::uint64_t inode = TRY(namespace_of(owner, each, owner.kind + "(" + label(owner) + ")"));
                    out.push_back(namespace_object(each, inode));
                }
                return out;
            }
            return where(name, "namespaces", [&](const Json& ns) { return type.empty() || str(ns, "type") == type; });
        }
        // The rest live in one network or mount namespace: links, bridges, addresses, routes, mounts.
        bool mounts = name == "mount";
        std::optional<std::uint64_t> ns;
        if (name == "bridge") {
            ns = TRY(namespace_of(host(), "net", "host()"));
        } else if (args.objects.count("in")) {
            ns = TRY(namespace_of(args.objects["in"], mounts ? "mnt" : "net", node.text));
        }
        const char* ns_field = mounts ? "mount_namespace" : "netns";
        auto in_ns = [&](const Json& item) { return !ns || item.value(ns_field, std::uint64_t { 0 }) == *ns; };
        if (name == "bridge") {
            return where("link", "links", [&](const Json& l) {
                return in_ns(l) && str(l, "kind") == "bridge" && str(l, "name") == args.text("name");
            });
        }
        if (name == "link") {
            return where(name, "links", [&](const Json& l) {
                if (!in_ns(l) || !text_matches(l, "name", "name") || !text_matches(l, "kind", "kind"))
                    return false;
                if (args.objects.count("master")) {
                    const Value& master = args.objects["master"];
                    return l.value("netns", std::uint64_t { 0 }) == master.data.value("netns", std::uint64_t { 0 })
                        && num(l, "master_index") == num(master.data, "index");
                }
                return text_matches(l, "master_name", "master");
            });
        }
        if (name == "address")
            return where(name, "addresses", [&](const Json& a) { return in_ns(a) && text_matches(a, "link_name", "link") && text_matches(a, "family", "family"); });
        if (name == "route") {
            return where(name, "routes", [&](const Json& r) {
                std::string table = args.has("table") ? args.text("table") : "main";
                return in_ns(r) && str(r, "table") == table && text_matches(r, "destination", "dst");
            });
        }
        if (name == "mount")
            return where(name, "mounts", [&](const Json& m) { return in_ns(m) && text_matches(m, "mount_point", "target") && text_matches(m, "kind", "kind"); });
        return Error::invalid("selector " + name + " is not supported");
    }

    Value namespace_object(const std::string& type, std::uint64_t inode) const
    {
        auto found = where("namespace", "namespaces", [&](const Json& ns) {
            return str(ns, "type") == type && ns.value("inode", std::uint64_t { 0 }) == inode;
        });
        if (!found.empty())
            return found.front();
        return Value::object("namespace", Json { { "key", type + ":[" + std::to_string(inode) + "]" },
                                                 { "type", type }, { "inode", inode } });
    }

    static Value preferred_cgroup(const std::vector<Value>& cgroups)
    {
        for (auto& cgroup : cgroups) {
            if (str(cgroup.data, "hierarchy") == "unified")
                return cgroup;
        }
        for (auto& cgroup : cgroups) {
            if (str(cgroup.data, "hierarchy").find("memory") != std::string::npos)
                return cgroup;
        }
        return cgroups.front();
    }

    // [SECTION] Fields

    std::optional<Value> derived(const Value& object, const std::string& name)
    {
        const Json& d = object.data;
        const std::string& kind = object.kind;
        auto net = [&]() -> std::optional<std::uint64_t> {
            auto namespaces = d.value("namespaces", Json::object());
            if (!namespaces.contains("net") || !namespaces["net"].is_number())
                return std::nullopt;
            return namespaces["net"].get<std::uint64_t>();
        };
        if (kind == "container") {
            std::string id = str(d, "id");
            if (name == "pid1") {
                auto found = where("process", "processes", [&](const Json& p) {
                    auto nspid = p.value("nspid", Json::array());
                    return str(p, "container_id") == id && !nspid.empty() && nspid.back() == 1;
                });
                if (found.empty() && num(d, "pid") != 0)
                    found = where("process", "processes", [&](const Json& p) { return num(p, "pid") == num(d, "pid"); });
                return first_or_null(found);
            }
            if (name == "processes") {
                auto pids = d.value("processes", Json::array());
                return Value::list(where("process", "processes", [&](const Json& p) {
                    return str(p, "container_id") == id || std::find(pids.begin(), pids.end(), p.value("pid", Json())) != pids.end();
                }));
            }
            if (name == "networks") {
                Value out = Value::list();
                for (auto& ref : d.value("networks", Json::array())) {
                    auto found = where("network", "networks", [&](const Json& n) { return n.value("id", Json()) == ref || n.value("name", Json()) == ref; });
                    if (!found.empty())
                        out.items.push_back(found.front());
                }
                return out;
            }
            if (name == "volumes") {
                Value out = Value::list();
                for (auto& ref : d.value("volumes", Json::array())) {
                    auto found = where("volume", "volumes", [&](const Json& v) { return v.value("name", Json()) == ref; });
                    out.items.push_back(found.empty() ? Value::object("volume", Json { { "key", "volume:" + ref.dump() }, { "name", ref } }) : found.front());
                }
                return out;
            }
            if (name == "image")
                return first_or_null(where("image", "images", [&](const Json& i) { return str(i, "id") == str(d, "image_id"); }));
            if (name == "links" || name == "addresses" || name == "routes") {
                auto ns = net();
                std::string element = name == "links" ? "link" : name == "addresses" ? "address" : "route";
                if (!ns)
                    return Value::list();
                return Value::list(where(element, name, [&](const Json& item) { return item.value("netns", std::uint64_t { 0 }) == *ns; }));
            }
            if (name == "mounts" || name == "root") {
                auto namespaces = d.value("namespaces", Json::object());
                auto mnt = namespaces.value("mnt", Json());
                auto found = where("mount", "mounts", [&](const Json& m) {
                    return !mnt.is_null() && m.value("mount_namespace", Json()) == mnt && (name == "mounts" || str(m, "mount_point") == "/");
                });
                if (name == "mounts")
                    return Value::list(found);
                return found.empty() ? Value::scalar(nullptr) : found.back();
            }
            if (name == "cgroup") {
                auto found = where("cgroup", "cgroups", [&](const Json& c) { return str(c, "container_id") == id; });
                return found.empty() ? Value::scalar(nullptr) : preferred_cgroup(found);
            }
            if (name == "netns") {
                auto ns = net();
                return ns ? Value::scalar(*ns) : Value::scalar(nullptr);
            }
        } else if (kind == "process") {
            if (name == "signals")
                return Value::object("signals", d);
            if (name == "zombie")
                return Value::scalar(str(d, "state") == "Z");
            if (name == "nspid_inner") {
                auto nspid = d.value("nspid", Json::array());
                return Value::scalar(nspid.empty() ? d.value("pid", Json()) : nspid.back());
            }
            if (name == "host_pid")
                return Value::scalar(d.value("pid", Json()));
            if (name == "parent")
                return first_or_null(where("process", "processes", [&](const Json& p) { return num(p, "pid") == num(d, "ppid"); }));
            if (name == "children")
                return Value::list(where("process", "processes", [&](const Json& p) { return num(p, "ppid") == num(d, "pid"); }));
            if (name == "container") {
                std::string id = str(d, "container_id");
                return first_or_null(where("container", "containers", [&](const Json& c) { return !id.empty() && str(c, "id") == id; }));
            }
        } else if (kind == "signals") {
            auto in = [&](const char* field) {
                auto names = d.value(field, Json::array());
                return std::find(names.begin(), names.end(), Json(name)) != names.end();
            };
            return Value::scalar(in("signals_ignored") ? "ignored" : in("signals_caught") ? "caught" : in("signals_blocked") ? "blocked" : "default");
        } else if (kind == "image") {
            if (name == "layers") {
                Value out = Value::list();
                for (auto& diff_id : d.value("layers", Json::array()))
                    out.items.push_back(layer_by_diff_id(diff_id.is_string() ? diff_id.get<std::string>() : diff_id.dump()));
                return out;
            }
            if (name == "containers")
                return Value::list(where("container", "containers", [&](const Json& c) { return str(c, "image_id") == str(d, "id"); }));
        } else if (kind == "layer") {
            if (name == "images") {
                auto ids = d.value("image_ids", Json::array());
                return Value::list(where("image", "images", [&](const Json& i) { return std::find(ids.begin(), ids.end(), i.value("id", Json())) != ids.end(); }));
            }
            if (name == "containers")
                return containers_by_ids(d.value("container_ids", Json::array()));
        } else if (kind == "network") {
            if (name == "bridge") {
                std::string bridge = str(d, "bridge_name");
                auto host_net = host().data.value("netns", Json());
                return first_or_null(where("link", "links", [&](const Json& l) {
                    return !bridge.empty() && str(l, "name") == bridge && l.value("netns", Json()) == host_net;
                }));
            }
            if (name == "containers") {
                Json ids = Json::array();
                for (auto& endpoint : d.value("endpoints", Json::array()))
                    ids.push_back(endpoint.value("container_id", Json()));
                std::string id = str(d, "id");
                Value out = containers_by_ids(ids);
                for (auto& c : where("container", "containers", [&](const Json& c) {
                         auto nets = c.value("networks", Json::array());
                         return std::find(nets.begin(), nets.end(), Json(id)) != nets.end();
                     })) {
                    bool known = std::any_of(out.items.begin(), out.items.end(), [&](const Value& v) { return same_object(v, c); });
                    if (!known)
                        out.items.push_back(c);
                }
                return out;
            }
        } else if (kind == "volume") {
            if (name == "containers")
                return containers_by_ids(d.value("container_ids", Json::array()));
        } else if (kind == "link") {
            auto netns = d.value("netns", std::uint64_t { 0 });
            auto other_ns = [&](const char* field) {
                auto value = d.value(field, std::uint64_t { 0 });
                return value == 0 ? netns : value;
            };
            if (name == "peer")
                return link_at(other_ns("peer_netns"), num(d, "peer_index"));
            if (name == "master")
                return link_at(netns, num(d, "master_index"));
            if (name == "parent")
                return link_at(other_ns("parent_netns"), num(d, "parent_index"));
            if (name == "addresses")
                return Value::list(where("address", "addresses", [&](const Json& a) { return a.value("netns", std::uint64_t { 0 }) == netns && num(a, "link_index") == num(d, "index"); }));
            if (name == "ports")
                return Value::list(where("link", "links", [&](const Json& l) { return l.value("netns", std::uint64_t { 0 }) == netns && num(l, "master_index") == num(d, "index"); }));
            if (name == "container") {
                std::string id = str(d, "container_id");
                return first_or_null(where("container", "containers", [&](const Json& c) { return !id.empty() && str(c, "id") == id; }));
            }
        } else if (kind == "address") {
            std::string address = str(d, "address");
            auto slash = address.find('/');
            if (name == "ip")
                return Value::scalar(address.substr(0, slash));
            if (name == "prefix")
                return slash == std::string::npos ? Value::scalar(nullptr) : Value::scalar(std::atoi(address.c_str() + slash + 1));
            if (name == "link")
                return link_at(d.value("netns", std::uint64_t { 0 }), num(d, "link_index"));
        } else if (kind == "route") {
            if (name == "link")
                return link_at(d.value("netns", std::uint64_t { 0 }), num(d, "link_index"));
        } else if (kind == "mount") {
            if (name == "layers") {
                Value out = Value::list();
                auto lowers = d.value("lower_dirs", Json::array());
                for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
                    std::string diff_id = str(*it, "layer_diff_id");
                    out.items.push_back(diff_id.empty() ? Value::object("layer", Json { { "key", "lower:" + str(*it, "path") }, { "directory", str(*it, "path") } }) : layer_by_diff_id(diff_id));
                }
                return out;
            }
            if (name == "volume") {
                std::string volume = str(d, "volume_name");
                return first_or_null(where("volume", "volumes", [&](const Json& v) { return !volume.empty() && str(v, "name") == volume; }));
            }
        } else if (kind == "namespace") {
            if (name == "processes") {
                std::string type = str(d, "type");
                auto inode = d.value("inode", Json());
                return Value::list(where("process", "processes", [&](const Json& p) { return p.value("namespaces", Json::object()).value(type, Json()) == inode; }));
            }
        }
        return std::nullopt;
    }

    Result<Value> field(const Value& base, const std::string& name, const Node& node)
    {
        const std::string& base_text = node.children.empty() ? node.text : node.children[0]->text;
        switch (base.type) {
        case Value::Type::List: {
            Value out = Value::list();
            for (auto& item : base.items)
                out.items.push_back(TRY(field(item, name, node)));
            return out;
        }
        case Value::Type::Object: {
            if (auto value = derived(base, name))
                return *value;
            auto it = base.data.find(name);
            if (it != base.data.end())
                return from_json(*it);
            if (field_type(base.kind, name))
                return Value::scalar(nullptr); // In the schema, absent from this snapshot.
            return Error::invalid(base.kind + " " + label(base) + " has no field '" + name + "'");
        }
        case Value::Type::Scalar:
            if (base.data.is_object()) {
                auto it = base.data.find(name);
                return it == base.data.end() ? Value::scalar(nullptr) : from_json(*it);
            }
            if (base.data.is_null())
                return Error::not_found("'" + base_text + "' is null: it has no field '" + name + "'");
            return Error::invalid("'" + base_text + "' is " + base.data.dump() + ", not an object: it has no field '" + name + "'");
        }
        return Value::scalar(nullptr);
    }

    // [SECTION] Expressions

public:
    Result<Value> eval(const Node& node)
    {
        switch (node.kind) {
        case NodeKind::Literal:
            return Value::scalar(node.literal);
        case NodeKind::List: {
            Value out = Value::list();
            for (auto& child : node.children)
                out.items.push_back(TRY(eval(*child)));
            return out;
        }
        case NodeKind::Selector:
            return single_selector(node);
        case NodeKind::Field:
            return field(TRY(eval(*node.children[0])), node.name, node);
        case NodeKind::Index: {
            Value base = TRY(eval(*node.children[0]));
            if (base.type != Value::Type::List)
                return Error::invalid("'" + node.children[0]->text + "' is " + render(base) + ", not a list");
            long size = static_cast<long>(base.items.size());
            long index = node.index < 0 ? size + node.index : node.index;
            if (index < 0 || index >= size)
                return Error::not_found("'" + node.children[0]->text + "' has " + std::to_string(size)
                    + " element" + (size == 1 ? "" : "s") + ": [" + std::to_string(node.index) + "] is out of range");
            return base.items[index];
        }
        case NodeKind::Count: {
            Value list = TRY(eval_list(*node.children[0]));
            if (list.type == Value::Type::List)
                return Value::scalar(list.items.size());
            if (list.data.is_string())
                return Value::scalar(list.data.get<std::string>().size());
            return Error::invalid("count() needs a list or a selector; '" + node.children[0]->text + "' is " + render(list));
        }
        default: {
            std::string found;
            return Value::scalar(TRY(truth(node, found)));
        }
        }
    }

    // A selector gives all its matches here (count, exists, in, contains); other values as usual.
    Result<Value> eval_list(const Node& node)
    {
        if (node.kind == NodeKind::Selector)
            return Value::list(TRY(select(node)));
        return eval(node);
    }

    Result<bool> compare(const Node& node, std::string& found)
    {
        const Node& left_node = *node.children[0];
        const Node& right_node = *node.children[1];
        bool left_list = node.op == CompareOp::Contains;
        bool right_list = node.op == CompareOp::In;
        Value left = TRY(left_list ? eval_list(left_node) : eval(left_node));
        found = render(left);
        Value right = TRY(right_list ? eval_list(right_node) : eval(right_node));
        switch (node.op) {
        case CompareOp::Eq:
            return equal(left, right);
        case CompareOp::Ne:
            return !equal(left, right);
        case CompareOp::Lt:
        case CompareOp::Le:
        case CompareOp::Gt:
        case CompareOp::Ge: {
            int order = 0;
            if (left.type == Value::Type::Scalar && right.type == Value::Type::Scalar && left.data.is_number() && right.data.is_number()) {
                double a = left.data.get<double>();
                double b = right.data.get<double>();
                order = a < b ? -1 : a > b ? 1 : 0;
            } else if (left.type == Value::Type::Scalar && right.type == Value::Type::Scalar && left.data.is_string() && right.data.is_string()) {
                order = left.data.get<std::string>().compare(right.data.get<std::string>());
            } else {
                return Error::invalid("cannot order " + render(left) + " and " + render(right) + ": both must be numbers or both strings");
            }
            switch (node.op) {
            case CompareOp::Lt:
                return order < 0;
            case CompareOp::Le:
                return order <= 0;
            case CompareOp::Gt:
                return order > 0;
            default:
                return order >= 0;
            }
        }
        case CompareOp::In:
            return member(left, right, right_node.text);
        case CompareOp::Contains:
            return member(right, left, left_node.text);
        case CompareOp::Matches:
            return matches(node, left, right);
        case CompareOp::SharedWith:
            return shared_with(left, right);
        }
        return false;
    }

    static Result<bool> member(const Value& item, const Value& container, const std::string& container_text)
    {
        if (container.type == Value::Type::List)
            return std::any_of(container.items.begin(), container.items.end(), [&](const Value& each) { return equal(item, each); });
        if (container.type == Value::Type::Scalar && container.data.is_string() && item.type == Value::Type::Scalar && item.data.is_string())
            return container.data.get<std::string>().find(item.data.get<std::string>()) != std::string::npos;
        return Error::invalid("'" + container_text + "' is " + render(container) + ": 'in' and 'contains' need a list (or two strings)");
    }

    static Result<bool> matches(const Node& node, const Value& left, const Value& right)
    {
        std::regex runtime_pattern;
        const std::regex* pattern = node.regex.get();
        if (!pattern) {
            if (right.type != Value::Type::Scalar || !right.data.is_string())
                return Error::invalid("'matches' needs a \"regular expression\" on its right");
            try {
                runtime_pattern = std::regex(right.data.get<std::string>(), std::regex::ECMAScript);
            } catch (const std::regex_error& error) {
                return Error::invalid("bad regular expression: " + std::string(error.what()));
            }
            pattern = &runtime_pattern;
        }
        std::function<Result<bool>(const Value&)> test = [&](const Value& value) -> Result<bool> {
            if (value.type == Value::Type::List) {
                for (auto& item : value.items) {
                    if (TRY(test(item)))
                        return true;
                }
                return false;
            }
            std::string text;
            if (value.type == Value::Type::Object)
                text = label(value);
            else if (value.data.is_string())
                text = value.data.get<std::string>();
            else if (value.data.is_number())
                text = value.data.dump();
            else
                return Error::invalid("'matches' needs a string; found " + render(value));
            return std::regex_search(text, *pattern);
        };
        return test(left);
    }

    Result<std::vector<std::string>> layer_ids(const Value& value)
    {
        std::vector<std::string> out;
        if (value.type == Value::Type::List) {
            for (auto& item : value.items) {
                auto ids = TRY(layer_ids(item));
                out.insert(out.end(), ids.begin(), ids.end());
            }
            return out;
        }
        if (value.type == Value::Type::Object && value.kind == "layer")
            return std::vector<std::string> { str(value.data, "diff_id") };
        if (value.type == Value::Type::Object && value.kind == "image") {
            for (auto& id : value.data.value("layers", Json::array()))
                out.push_back(id.is_string() ? id.get<std::string>() : id.dump());
            return out;
        }
        return Error::invalid("shared_with compares images and layers, or namespaces; found " + render(value)
            + " (for two containers write namespace(type: net, of: container(a)) shared_with namespace(type: net, of: container(b)))");
    }

    Result<bool> shared_with(const Value& left, const Value& right)
    {
        if (left.kind == "namespace" || right.kind == "namespace") {
            if (left.kind != right.kind)
                return Error::invalid("shared_with needs a namespace on both sides; found " + render(left) + " and " + render(right));
            return str(left.data, "type") == str(right.data, "type") && left.data.value("inode", Json()) == right.data.value("inode", Json());
        }
        auto mine = TRY(layer_ids(left));
        auto theirs = TRY(layer_ids(right));
        auto in_theirs = [&](const std::string& id) { return std::find(theirs.begin(), theirs.end(), id) != theirs.end(); };
        if (left.kind == "image")
            return std::any_of(mine.begin(), mine.end(), in_theirs); // Two images share a layer.
        return !mine.empty() && std::all_of(mine.begin(), mine.end(), in_theirs); // These layers are also theirs.
    }
};

Result<bool> Evaluator::truth(const Node& node, std::string& found)
{
    switch (node.kind) {
    case NodeKind::Compare:
        return compare(node, found);
    case NodeKind::Not:
        return !TRY(truth(*node.children[0], found));
    case NodeKind::And: {
        if (!TRY(truth(*node.children[0], found)))
            return false;
        return truth(*node.children[1], found);
    }
    case NodeKind::Or: {
        std::string left_found;
        if (TRY(truth(*node.children[0], left_found))) {
            found = left_found;
            return true;
        }
        std::string right_found;
        bool right = TRY(truth(*node.children[1], right_found));
        found = right ? right_found : left_found + "; " + right_found;
        return right;
    }
    case NodeKind::Exists: {
        auto value = eval_list(*node.children[0]);
        if (!value.ok()) {
            if (value.error().kind() != ErrorKind::NotFound)
                return value.release_error();
            found = value.error().message();
            return false;
        }
        const Value& v = value.value();
        bool exists = v.type == Value::Type::List ? !v.items.empty() : !v.is_null();
        if (!exists && node.children[0]->kind == NodeKind::Selector)
            found = describe_missing(*node.children[0]);
        else
            found = render(v);
        return exists;
    }
    default: {
        Value value = TRY(eval(node));
        found = render(value);
        if (value.type != Value::Type::Scalar || !value.data.is_boolean())
            return Error::invalid("'" + node.text + "' is " + found + ", not true or false: compare it with something");
        return value.data.get<bool>();
    }
    }
}

} // namespace

Evaluation evaluate(const Expression& expression, const Json& snapshot)
{
    Evaluator evaluator(snapshot);
    std::string found;
    auto result = evaluator.truth(*expression.root, found);
    if (!result.ok())
        return { false, true, result.error().message() };
    return { result.value(), false, found };
}

} // namespace engine::lesson
