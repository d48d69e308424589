// ImageConfig <-> JSON. Each modelled field is checked for its type once, here, with an error
// naming the field; anything not modelled is carried along untouched in `other`, so a config
// read and written again keeps every key it had.
#include "engine/image/image_config.h"

#include <chrono>

#include "engine/base/strings.h"
#include "engine/image/config.h"

namespace engine::image {

using nlohmann::json;

namespace {

// A JSON value's type as the error messages name it.
std::string type_name(const json& value)
{
    return value.is_null()   ? "null"
        : value.is_object()  ? "an object"
        : value.is_array()   ? "an array"
        : value.is_string()  ? "a string"
        : value.is_boolean() ? "a boolean"
                             : "a number";
}

Error wrong_type(const std::string& field, const char* expected, const json& value)
{
    return Error::invalid(field + " must be " + expected + ", got " + type_name(value));
}

// Reads one optional field: absent leaves `out` unset, null is kept in `other` as written.
// `read` converts a non-null value.
template<typename T, typename Read>
Result<void> read_field(const json& doc, const char* key, const std::string& where,
    std::optional<T>& out, json& other, Read read)
{
    auto it = doc.find(key);
    if (it == doc.end())
        return Ok {};
    if (it->is_null()) {
        other[key] = nullptr;
        return Ok {};
    }
    out = TRY(read(*it, where + key));
    return Ok {};
}

Result<std::string> read_string(const json& value, const std::string& field)
{
    if (!value.is_string())
        return wrong_type(field, "a string", value);
    return value.get<std::string>();
}

Result<bool> read_bool(const json& value, const std::string& field)
{
    if (!value.is_boolean())
        return wrong_type(field, "a boolean", value);
    return value.get<bool>();
}

Result<std::int64_t> read_int(const json& value, const std::string& field)
{
    if (!value.is_number_integer())
        return wrong_type(field, "an integer", value);
    return value.get<std::int64_t>();
}

Result<std::vector<std::string>> read_strings(const json& value, const std::string& field)
{
    if (!value.is_array())
        return wrong_type(field, "an array of strings", value);
    std::vector<std::string> out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string())
            return wrong_type(field + "[" + std::to_string(i) + "]", "a string", value[i]);
        out.push_back(value[i].get<std::string>());
    }
    return out;
}

// Docker's strslice: Cmd, Entrypoint and Shell may be one string, read as a one-word list.
Result<std::vector<std::string>> read_words(const json& value, const std::string& field)
{
    if (value.is_string())
        return std::vector<std::string> { value.get<std::string>() };
    return read_strings(value, field);
}

// A Go map[string]struct{}: the keys are what matter; each value must be an object (or null).
Result<std::vector<std::string>> read_key_set(const json& value, const std::string& field)
{
    if (!value.is_object())
        return wrong_type(field, "an object", value);
    std::vector<std::string> keys;
    for (const auto& [key, item] : value.items()) {
        if (!item.is_object() && !item.is_null())
            return wrong_type(field + "[\"" + key + "\"]", "an object", item);
        keys.push_back(key);
    }
    return keys;
}

Result<std::set<ExposedPort>> read_ports(const json& value, const std::string& field)
{
    std::set<ExposedPort> out;
    for (const auto& key : TRY(read_key_set(value, field))) {
        auto port = parse_exposed_port(key);
        if (!port.ok())
            return Error::invalid(field + ": " + port.error().message());
        out.insert(port.release_value());
    }
    return out;
}

Result<std::set<std::string>> read_volumes(const json& value, const std::string& field)
{
    auto keys = TRY(read_key_set(value, field));
    return std::set<std::string>(keys.begin(), keys.end());
}

Result<std::map<std::string, std::string>> read_labels(const json& value, const std::string& field)
{
    if (!value.is_object())
        return wrong_type(field, "an object of strings", value);
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value.items()) {
        if (!item.is_string())
            return wrong_type(field + "[\"" + key + "\"]", "a string", item);
        out[key] = item.get<std::string>();
    }
    return out;
}

// The keys of `doc` not in `known`, as written.
json remainder(const json& doc, std::initializer_list<const char*> known)
{
    json out = json::object();
    for (const auto& [key, value] : doc.items()) {
        bool modelled = false;
        for (const char* name : known)
            modelled = modelled || key == name;
        if (!modelled)
            out[key] = value;
    }
    return out;
}

Result<ImageHealthcheck> read_healthcheck(const json& value, const std::string& field)
{
    if (!value.is_object())
        return wrong_type(field, "an object", value);
    ImageHealthcheck out;
    out.other = remainder(
        value, { "Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries" });
    auto where = field + ".";
    TRY(read_field(value, "Test", where, out.test, out.other, read_strings));
    TRY(read_field(value, "Interval", where, out.interval, out.other, read_int));
    TRY(read_field(value, "Timeout", where, out.timeout, out.other, read_int));
    TRY(read_field(value, "StartPeriod", where, out.start_period, out.other, read_int));
    TRY(read_field(value, "StartInterval", where, out.start_interval, out.other, read_int));
    TRY(read_field(value, "Retries", where, out.retries, out.other, read_int));
    return out;
}

template<typename T>
void put(json& doc, const char* key, const std::optional<T>& value)
{
    if (value)
        doc[key] = *value;
}

std::int64_t seconds_of(const std::optional<std::string>& created)
{
    std::chrono::system_clock::time_point when;
    if (!created || !strings::parse_rfc3339(*created, when))
        return 0;
    return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

} // namespace

std::string ExposedPort::key() const
{
    auto text = std::to_string(first);
    if (last != first)
        text += "-" + std::to_string(last);
    return text + "/" + protocol;
}

Result<ExposedPort> parse_exposed_port(std::string_view text)
{
    std::string spec(text);
    auto slash = spec.find('/');
    auto range = spec.substr(0, slash);
    ExposedPort port;
    if (slash != std::string::npos)
        port.protocol = strings::to_lower(spec.substr(slash + 1));
    if (port.protocol != "tcp" && port.protocol != "udp" && port.protocol != "sctp")
        return Error::invalid(
            "invalid port \"" + spec + "\": the protocol must be tcp, udp or sctp");
    auto dash = range.find('-');
    auto number = [&spec](std::string_view digits, std::uint16_t& out) -> Result<void> {
        std::uint64_t value = 0;
        if (!strings::parse_uint(digits, value) || value == 0 || value > 65535)
            return Error::invalid(
                "invalid port \"" + spec + "\": a port is a number from 1 to 65535");
        out = static_cast<std::uint16_t>(value);
        return Ok {};
    };
    TRY(number(std::string_view(range).substr(0, dash), port.first));
    port.last = port.first;
    if (dash != std::string::npos) {
        TRY(number(std::string_view(range).substr(dash + 1), port.last));
        if (port.last < port.first)
            return Error::invalid("invalid port \"" + spec + "\": the range ends before it starts");
    }
    return port;
}

// [SECTION] Container defaults.

std::optional<std::string> ContainerDefaults::env_value(std::string_view name) const
{
    if (!env)
        return std::nullopt;
    std::optional<std::string> found;
    for (const auto& line : *env) {
        auto eq = line.find('=');
        if (std::string_view(line).substr(0, eq) == name)
            found = eq == std::string::npos ? "" : line.substr(eq + 1);
    }
    return found;
}

void ContainerDefaults::set_env(const std::string& name, const std::string& value)
{
    if (!env)
        env.emplace();
    for (auto& line : *env) {
        if (line.substr(0, line.find('=')) == name) {
            line = name + "=" + value;
            return;
        }
    }
    env->push_back(name + "=" + value);
}

void ContainerDefaults::set_null(std::string_view key)
{
    auto reset = [key](std::string_view name, auto& field) {
        if (key == name)
            field.reset();
    };
    reset("Cmd", cmd);
    reset("Entrypoint", entrypoint);
    reset("Env", env);
    reset("WorkingDir", working_dir);
    reset("User", user);
    reset("ExposedPorts", exposed_ports);
    reset("Volumes", volumes);
    reset("Labels", labels);
    reset("StopSignal", stop_signal);
    reset("Healthcheck", healthcheck);
    reset("OnBuild", on_build);
    reset("Shell", shell);
    reset("ArgsEscaped", args_escaped);
    other[std::string(key)] = nullptr;
}

Result<ContainerDefaults> ContainerDefaults::from_json(const json& doc, const std::string& where)
{
    if (!doc.is_object())
        return wrong_type(where, "an object", doc);
    ContainerDefaults out;
    out.other = remainder(doc,
        { "Cmd", "Entrypoint", "Env", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels",
            "StopSignal", "Healthcheck", "OnBuild", "Shell", "ArgsEscaped" });
    auto prefix = where + ".";
    TRY(read_field(doc, "Cmd", prefix, out.cmd, out.other, read_words));
    TRY(read_field(doc, "Entrypoint", prefix, out.entrypoint, out.other, read_words));
    TRY(read_field(doc, "Env", prefix, out.env, out.other, read_strings));
    TRY(read_field(doc, "WorkingDir", prefix, out.working_dir, out.other, read_string));
    TRY(read_field(doc, "User", prefix, out.user, out.other, read_string));
    TRY(read_field(doc, "ExposedPorts", prefix, out.exposed_ports, out.other, read_ports));
    TRY(read_field(doc, "Volumes", prefix, out.volumes, out.other, read_volumes));
    TRY(read_field(doc, "Labels", prefix, out.labels, out.other, read_labels));
    TRY(read_field(doc, "StopSignal", prefix, out.stop_signal, out.other, read_string));
    TRY(read_field(doc, "Healthcheck", prefix, out.healthcheck, out.other, read_healthcheck));
    TRY(read_field(doc, "OnBuild", prefix, out.on_build, out.other, read_strings));
    TRY(read_field(doc, "Shell", prefix, out.shell, out.other, read_words));
    TRY(read_field(doc, "ArgsEscaped", prefix, out.args_escaped, out.other, read_bool));
    return out;
}

json ContainerDefaults::to_json() const
{
    json doc = other.is_object() ? other : json::object();
    put(doc, "Cmd", cmd);
    put(doc, "Entrypoint", entrypoint);
    put(doc, "Env", env);
    put(doc, "WorkingDir", working_dir);
    put(doc, "User", user);
    if (exposed_ports) {
        json ports = json::object();
        for (const auto& port : *exposed_ports)
            ports[port.key()] = json::object();
        doc["ExposedPorts"] = ports;
    }
    if (volumes) {
        json paths = json::object();
        for (const auto& path : *volumes)
            paths[path] = json::object();
        doc["Volumes"] = paths;
    }
    put(doc, "Labels", labels);
    put(doc, "StopSignal", stop_signal);
    if (healthcheck) {
        json check = healthcheck->other.is_object() ? healthcheck->other : json::object();
        put(check, "Test", healthcheck->test);
        put(check, "Interval", healthcheck->interval);
        put(check, "Timeout", healthcheck->timeout);
        put(check, "StartPeriod", healthcheck->start_period);
        put(check, "StartInterval", healthcheck->start_interval);
        put(check, "Retries", healthcheck->retries);
        doc["Healthcheck"] = check;
    }
    put(doc, "OnBuild", on_build);
    put(doc, "Shell", shell);
    put(doc, "ArgsEscaped", args_escaped);
    return doc;
}

// [SECTION] The image config.

std::int64_t HistoryItem::created_seconds() const
{
    return seconds_of(created);
}

Result<ImageConfig> ImageConfig::parse(std::string_view bytes, const std::string& what)
{
    auto doc = TRY(parse_json_strict(bytes, what));
    return from_json(doc, what);
}

Result<ImageConfig> ImageConfig::from_json(const json& doc, const std::string& what)
{
    if (!doc.is_object())
        return Error::invalid(what + " must be a JSON object, got " + type_name(doc));
    ImageConfig out;
    out.other = remainder(doc,
        { "architecture", "os", "created", "author", "comment", "container", "config",
            "container_config", "history", "rootfs" });
    auto defaults = [](const json& value, const std::string& name) {
        return ContainerDefaults::from_json(value, name);
    };
    auto history
        = [](const json& value, const std::string& name) -> Result<std::vector<HistoryItem>> {
        if (!value.is_array())
            return wrong_type(name, "an array", value);
        std::vector<HistoryItem> items;
        items.reserve(value.size());
        for (std::size_t i = 0; i < value.size(); ++i) {
            const auto& entry = value[i];
            auto where = name + "[" + std::to_string(i) + "].";
            if (!entry.is_object())
                return wrong_type(name + "[" + std::to_string(i) + "]", "an object", entry);
            HistoryItem item;
            item.other
                = remainder(entry, { "created", "created_by", "author", "comment", "empty_layer" });
            TRY(read_field(entry, "created", where, item.created, item.other, read_string));
            TRY(read_field(entry, "created_by", where, item.created_by, item.other, read_string));
            TRY(read_field(entry, "author", where, item.author, item.other, read_string));
            TRY(read_field(entry, "comment", where, item.comment, item.other, read_string));
            TRY(read_field(entry, "empty_layer", where, item.empty_layer, item.other, read_bool));
            items.push_back(std::move(item));
        }
        return items;
    };
    auto prefix = what + ": ";
    TRY(read_field(doc, "architecture", prefix, out.architecture, out.other, read_string));
    TRY(read_field(doc, "os", prefix, out.os, out.other, read_string));
    TRY(read_field(doc, "created", prefix, out.created, out.other, read_string));
    TRY(read_field(doc, "author", prefix, out.author, out.other, read_string));
    TRY(read_field(doc, "comment", prefix, out.comment, out.other, read_string));
    TRY(read_field(doc, "container", prefix, out.container, out.other, read_string));
    TRY(read_field(doc, "config", prefix, out.config, out.other, defaults));
    TRY(read_field(doc, "container_config", prefix, out.container_config, out.other, defaults));
    TRY(read_field(doc, "history", prefix, out.history, out.other, history));
    if (auto rootfs = doc.find("rootfs"); rootfs != doc.end() && rootfs->is_null()) {
        out.other["rootfs"] = nullptr;
    } else if (rootfs != doc.end()) {
        if (!rootfs->is_object())
            return wrong_type(prefix + "rootfs", "an object", *rootfs);
        json rest = remainder(*rootfs, { "type", "diff_ids" });
        TRY(read_field(*rootfs, "type", prefix + "rootfs.", out.rootfs_type, rest, read_string));
        TRY(read_field(*rootfs, "diff_ids", prefix + "rootfs.", out.diff_ids, rest, read_strings));
        out.other["rootfs"] = rest;
    }
    return out;
}

json ImageConfig::to_json() const
{
    json doc = other.is_object() ? other : json::object();
    put(doc, "architecture", architecture);
    put(doc, "os", os);
    put(doc, "created", created);
    put(doc, "author", author);
    put(doc, "comment", comment);
    put(doc, "container", container);
    if (config)
        doc["config"] = config->to_json();
    if (container_config)
        doc["container_config"] = container_config->to_json();
    if (history) {
        json items = json::array();
        for (const auto& item : *history) {
            json entry = item.other.is_object() ? item.other : json::object();
            put(entry, "created", item.created);
            put(entry, "created_by", item.created_by);
            put(entry, "author", item.author);
            put(entry, "comment", item.comment);
            put(entry, "empty_layer", item.empty_layer);
            items.push_back(std::move(entry));
        }
        doc["history"] = items;
    }
    if (rootfs_type || diff_ids) {
        if (!doc["rootfs"].is_object())
            doc["rootfs"] = json::object();
        put(doc["rootfs"], "type", rootfs_type);
        put(doc["rootfs"], "diff_ids", diff_ids);
    }
    return doc;
}

std::int64_t ImageConfig::created_seconds() const
{
    return seconds_of(created);
}

const ContainerDefaults& ImageConfig::defaults() const
{
    static const ContainerDefaults empty;
    return config ? *config : empty;
}

ContainerDefaults& ImageConfig::mutable_defaults()
{
    if (!config) {
        config.emplace();
        other.erase("config");
    }
    return *config;
}

} // namespace engine::image
