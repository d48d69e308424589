// compose.yaml -> compose::Project. yaml-cpp gives an untyped tree with positions (Mark); this
// file walks it with the key path in hand, so every message can say "file:line: path: what".
// yaml-cpp throws on malformed YAML; that is caught once, at the parse call, and becomes an
// error with the parser's own line. Values are interpolated as they are read (keys are not,
// as in Compose).
#include "engine/compose/parse.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>

#include <yaml-cpp/yaml.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::compose {

namespace stdfs = std::filesystem;

// [SECTION] Project lookups.

template<typename T>
static const T* find_by(
    const std::vector<T>& items, const std::string& wanted, std::string T::*field)
{
    auto it = std::find_if(
        items.begin(), items.end(), [&](const T& item) { return item.*field == wanted; });
    return it == items.end() ? nullptr : &*it;
}

const Service* Project::service(const std::string& wanted) const
{
    return find_by(services, wanted, &Service::name);
}
const Network* Project::network(const std::string& key) const
{
    return find_by(networks, key, &Network::key);
}
const Volume* Project::volume(const std::string& key) const
{
    return find_by(volumes, key, &Volume::key);
}
const Secret* Project::secret(const std::string& key) const
{
    return find_by(secrets, key, &Secret::key);
}

// [SECTION] Small value parsers.

std::string normalize_project_name(std::string_view name)
{
    std::string out;
    for (char c : name) {
        char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '_'
            || lower == '-')
            out += lower;
    }
    auto first = out.find_first_not_of("_-");
    return first == std::string::npos ? std::string() : out.substr(first);
}

Result<std::vector<std::string>> split_command(std::string_view text)
{
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\\' && i + 1 < text.size()) {
            word += text[++i];
        } else if (c == '\'') {
            auto close = text.find('\'', i + 1);
            if (close == std::string_view::npos)
                return Error::invalid("unterminated single quote in \"" + std::string(text) + "\"");
            word += text.substr(i + 1, close - i - 1);
            i = close;
        } else if (c == '"') {
            size_t j = i + 1;
            for (; j < text.size() && text[j] != '"'; ++j) {
                if (text[j] == '\\' && j + 1 < text.size()
                    && (text[j + 1] == '"' || text[j + 1] == '\\'))
                    ++j;
                word += text[j];
            }
            if (j >= text.size())
                return Error::invalid("unterminated double quote in \"" + std::string(text) + "\"");
            i = j;
        } else {
            word += c;
        }
    }
    if (in_word)
        words.push_back(std::move(word));
    return words;
}

// Durations and sizes must fit an int64; a double at or past 2^63 does not convert.
constexpr std::int64_t k_max_int64_value = std::numeric_limits<std::int64_t>::max();
constexpr double k_max_int64_double = 9223372036854775808.0;

Result<std::int64_t> parse_duration_ns(std::string_view text)
{
    auto bad = [&] {
        return Error::invalid(
            "invalid duration \"" + strings::shorten(text) + "\" (use e.g. 10s, 1m30s, 500ms)");
    };
    if (text.empty())
        return bad();
    // A bare number is seconds for the old file format; Compose accepts it too.
    if (std::all_of(text.begin(), text.end(),
            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        std::uint64_t seconds = 0;
        if (!strings::parse_uint(text, seconds) || seconds > k_max_int64_value / 1000000000)
            return bad();
        return static_cast<std::int64_t>(seconds) * 1000000000LL;
    }
    double total = 0;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        while (i < text.size()
            && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
            ++i;
        if (start == i)
            return bad();
        double number = 0;
        try {
            number = std::stod(std::string(text.substr(start, i - start)));
        } catch (...) {
            return bad();
        }
        size_t unit_start = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
            ++i;
        auto unit = text.substr(unit_start, i - unit_start);
        double scale = 0;
        if (unit == "ns")
            scale = 1;
        else if (unit == "us" || unit == "µs")
            scale = 1e3;
        else if (unit == "ms")
            scale = 1e6;
        else if (unit == "s")
            scale = 1e9;
        else if (unit == "m")
            scale = 60e9;
        else if (unit == "h")
            scale = 3600e9;
        else
            return bad();
        total += number * scale;
    }
    // Past int64 the conversion is undefined (found by the compose fuzzer: "4e62s").
    if (!(total < k_max_int64_double))
        return bad();
    return static_cast<std::int64_t>(std::llround(total));
}

Result<std::int64_t> parse_bytes(std::string_view text)
{
    auto bad = [&] {
        return Error::invalid(
            "invalid size \"" + strings::shorten(text) + "\" (use e.g. 512m, 1g, 1048576)");
    };
    std::string lower = strings::to_lower(strings::trim(text));
    size_t i = 0;
    while (
        i < lower.size() && (std::isdigit(static_cast<unsigned char>(lower[i])) || lower[i] == '.'))
        ++i;
    if (i == 0)
        return bad();
    double number = 0;
    try {
        number = std::stod(lower.substr(0, i));
    } catch (...) {
        return bad();
    }
    auto unit = lower.substr(i);
    double scale = 0;
    if (unit.empty() || unit == "b")
        scale = 1;
    else if (unit == "k" || unit == "kb")
        scale = 1024.0;
    else if (unit == "m" || unit == "mb")
        scale = 1024.0 * 1024;
    else if (unit == "g" || unit == "gb")
        scale = 1024.0 * 1024 * 1024;
    else
        return bad();
    if (!(number * scale < k_max_int64_double))
        return bad();
    return static_cast<std::int64_t>(number * scale);
}

namespace {

// [SECTION] The walker: typed reads with file:line:path errors.

const char* kind_name(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Map:
        return "a mapping";
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Scalar:
        return "a string";
    case YAML::NodeType::Null:
        return "nothing (null)";
    default:
        return "an undefined value";
    }
}

// Counts nodes as a full walk would visit them (aliases expanded), stopping past `limit` visits.
// Returns false past k_max_node_depth levels: an alias inside its own anchor ("&a [*a]") makes a
// cycle, and following it recursed until the stack overflowed (found by the compose fuzzer).
bool count_visits(const YAML::Node& node, int& visits, int limit, int depth = 0)
{
    if (++visits > limit)
        return true;
    if (depth > k_max_node_depth)
        return false;
    if (node.IsMap()) {
        for (auto it = node.begin(); it != node.end() && visits <= limit; ++it) {
            if (!count_visits(it->first, visits, limit, depth + 1) || !count_visits(it->second, visits, limit, depth + 1))
                return false;
        }
    } else if (node.IsSequence()) {
        for (auto it = node.begin(); it != node.end() && visits <= limit; ++it) {
            if (!count_visits(*it, visits, limit, depth + 1))
                return false;
        }
    }
    return true;
}

class Walker {
public:
    Walker(std::string file, std::string dir, const Environment& env)
        : m_file(std::move(file))
        , m_dir(std::move(dir))
        , m_env(env)
    {
    }

    [[nodiscard]] Location at(const YAML::Node& node) const
    {
        return { m_file, node.Mark().line + 1 };
    }

    [[nodiscard]] Error fail(
        const YAML::Node& node, const std::string& path, const std::string& message) const
    {
        int line = node.Mark().line + 1;
        return Error::invalid(m_file + ":" + (line > 0 ? std::to_string(line) : std::string("?"))
            + ": " + path + ": " + message);
    }

    Result<void> expect_map(const YAML::Node& node, const std::string& path) const
    {
        if (!node.IsMap())
            return fail(node, path, std::string("expected a mapping, got ") + kind_name(node));
        return Ok {};
    }

    // Checks every key of a mapping against `known` (x- extension keys are always allowed).
    Result<void> check_keys(
        const YAML::Node& node, const std::string& path, const std::set<std::string>& known) const
    {
        TRY(expect_map(node, path));
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (!it->first.IsScalar())
                return fail(it->first, path, "keys must be strings");
            auto key = it->first.Scalar();
            if (strings::starts_with(key, "x-"))
                continue;
            if (!known.contains(key)) {
                std::vector<std::string> names(known.begin(), known.end());
                return fail(it->first, path + "." + key,
                    "unknown key (known here: " + strings::join(names, ", ") + ")");
            }
        }
        return Ok {};
    }

    Result<std::string> string(const YAML::Node& node, const std::string& path) const
    {
        if (node.IsNull())
            return std::string();
        if (!node.IsScalar())
            return fail(node, path, std::string("expected a string, got ") + kind_name(node));
        auto value = interpolate(node.Scalar(), m_env);
        if (!value.ok())
            return fail(node, path, value.error().message());
        return value.release_value();
    }

    Result<bool> boolean(const YAML::Node& node, const std::string& path) const
    {
        auto text = strings::to_lower(TRY(string(node, path)));
        if (text == "true" || text == "yes" || text == "on")
            return true;
        if (text == "false" || text == "no" || text == "off")
            return false;
        return fail(node, path, "expected true or false, got \"" + text + "\"");
    }

    Result<std::int64_t> integer(const YAML::Node& node, const std::string& path) const
    {
        auto text = TRY(string(node, path));
        std::uint64_t value = 0;
        if (!strings::parse_uint(text, value) || value > static_cast<std::uint64_t>(INT64_MAX))
            return fail(node, path, "expected a whole number, got \"" + text + "\"");
        return static_cast<std::int64_t>(value);
    }

    Result<std::int64_t> duration(const YAML::Node& node, const std::string& path) const
    {
        auto parsed = parse_duration_ns(TRY(string(node, path)));
        if (!parsed.ok())
            return fail(node, path, parsed.error().message());
        return parsed.value();
    }

    // A list of strings; a single string is accepted where Compose accepts one (`split`: shell
    // words for command/entrypoint, else one item).
    enum class Single { Reject, OneItem, ShellWords };
    Result<std::vector<std::string>> strings_list(
        const YAML::Node& node, const std::string& path, Single single) const
    {
        std::vector<std::string> out;
        if (node.IsScalar() && single != Single::Reject) {
            auto text = TRY(string(node, path));
            if (single == Single::OneItem)
                return std::vector<std::string> { text };
            auto words = split_command(text);
            if (!words.ok())
                return fail(node, path, words.error().message());
            return words.release_value();
        }
        if (node.IsNull())
            return out;
        if (!node.IsSequence())
            return fail(node, path, std::string("expected a list, got ") + kind_name(node));
        for (size_t i = 0; i < node.size(); ++i)
            out.push_back(TRY(string(node[i], path + "[" + std::to_string(i) + "]")));
        return out;
    }

    // `labels`, `driver_opts`, build `args`: a mapping, or a list of KEY=VALUE.
    Result<std::map<std::string, std::string>> string_map(
        const YAML::Node& node, const std::string& path) const
    {
        std::map<std::string, std::string> out;
        if (node.IsNull())
            return out;
        if (node.IsSequence()) {
            for (auto& entry : TRY(strings_list(node, path, Single::Reject))) {
                auto eq = entry.find('=');
                out[entry.substr(0, eq)]
                    = eq == std::string::npos ? std::string() : entry.substr(eq + 1);
            }
            return out;
        }
        TRY(expect_map(node, path));
        for (auto it = node.begin(); it != node.end(); ++it) {
            auto key = it->first.Scalar();
            out[key] = TRY(string(it->second, path + "." + key));
        }
        return out;
    }

    // A path in the file, made absolute against the project directory ("~" is $HOME).
    [[nodiscard]] std::string resolve_path(const std::string& path) const
    {
        if (path.empty())
            return m_dir;
        std::string expanded = path;
        if (path[0] == '~') {
            auto home = m_env.find("HOME");
            expanded = (home != m_env.end() ? home->second : std::string("/root")) + path.substr(1);
        }
        if (expanded[0] == '/')
            return stdfs::path(expanded).lexically_normal().string();
        auto joined = (stdfs::path(m_dir) / expanded).lexically_normal().string();
        if (joined.size() > 1 && joined.back() == '/')
            joined.pop_back();
        return joined;
    }

    [[nodiscard]] const std::string& file() const { return m_file; }

private:
    std::string m_file;
    std::string m_dir;
    const Environment& m_env;
};

using Single = Walker::Single;

// [SECTION] Services.

Result<BuildSpec> parse_build(const Walker& w, const YAML::Node& node, const std::string& path)
{
    BuildSpec build;
    build.dockerfile = "Dockerfile";
    if (node.IsScalar()) {
        build.context = w.resolve_path(TRY(w.string(node, path)));
        return build;
    }
    TRY(w.check_keys(node, path,
        { "context", "dockerfile", "args", "target", "labels", "network", "shm_size",
            "cache_from" }));
    if (node["context"])
        build.context = w.resolve_path(TRY(w.string(node["context"], path + ".context")));
    else
        build.context = w.resolve_path(".");
    if (node["dockerfile"])
        build.dockerfile = TRY(w.string(node["dockerfile"], path + ".dockerfile"));
    if (node["args"])
        build.args = TRY(w.string_map(node["args"], path + ".args"));
    if (node["target"])
        build.target = TRY(w.string(node["target"], path + ".target"));
    return build;
}

Result<PortSpec> parse_short_port(const Walker& w, const YAML::Node& node, const std::string& path)
{
    auto text = TRY(w.string(node, path));
    PortSpec port;
    auto slash = text.find('/');
    if (slash != std::string::npos) {
        port.protocol = text.substr(slash + 1);
        text = text.substr(0, slash);
    }
    if (port.protocol != "tcp" && port.protocol != "udp")
        return w.fail(node, path, "unsupported protocol \"" + port.protocol + "\" (tcp or udp)");
    // Split from the right: [[host_ip:]published:]target; an IPv6 host is written in brackets.
    auto last = text.rfind(':');
    std::string target = last == std::string::npos ? text : text.substr(last + 1);
    if (last != std::string::npos) {
        auto front = text.substr(0, last);
        auto second = front.rfind(':');
        if (second != std::string::npos && front.find(']') == std::string::npos) {
            port.host_ip = front.substr(0, second);
            port.published = front.substr(second + 1);
        } else if (!front.empty() && front[0] == '[') {
            auto close = front.find(']');
            port.host_ip = front.substr(1, close - 1);
            if (close + 1 < front.size() && front[close + 1] == ':')
                port.published = front.substr(close + 2);
        } else {
            port.published = front;
        }
    }
    std::uint64_t number = 0;
    if (!strings::parse_uint(target, number) || number == 0 || number > 65535)
        return w.fail(node, path,
            "invalid container port \"" + target + "\" in \"" + TRY(w.string(node, path)) + "\"");
    port.target = static_cast<int>(number);
    if (!port.published.empty() && (!strings::parse_uint(port.published, number) || number > 65535))
        return w.fail(node, path,
            "invalid published port \"" + port.published + "\" (ranges are not supported)");
    return port;
}

Result<PortSpec> parse_port(const Walker& w, const YAML::Node& node, const std::string& path)
{
    if (!node.IsMap())
        return parse_short_port(w, node, path);
    TRY(w.check_keys(node, path,
        { "target", "published", "host_ip", "protocol", "mode", "name", "app_protocol" }));
    PortSpec port;
    if (!node["target"])
        return w.fail(node, path, "a port needs a target");
    port.target = static_cast<int>(TRY(w.integer(node["target"], path + ".target")));
    if (port.target <= 0 || port.target > 65535)
        return w.fail(node["target"], path + ".target", "out of range (1-65535)");
    if (node["published"])
        port.published = TRY(w.string(node["published"], path + ".published"));
    if (node["host_ip"])
        port.host_ip = TRY(w.string(node["host_ip"], path + ".host_ip"));
    if (node["protocol"])
        port.protocol = TRY(w.string(node["protocol"], path + ".protocol"));
    return port;
}

Result<ServiceVolume> parse_service_volume(
    const Walker& w, const YAML::Node& node, const std::string& path)
{
    ServiceVolume volume;
    auto is_path = [](const std::string& s) {
        return !s.empty() && (s[0] == '/' || s[0] == '.' || s[0] == '~');
    };
    if (!node.IsMap()) {
        auto text = TRY(w.string(node, path));
        auto parts = strings::split(text, ':');
        if (parts.empty() || parts.size() > 3 || text.empty())
            return w.fail(node, path, "expected [SOURCE:]TARGET[:MODE], got \"" + text + "\"");
        if (parts.size() == 1) {
            volume.type = "volume";
            volume.target = parts[0];
        } else {
            volume.source = parts[0];
            volume.target = parts[1];
            volume.type = is_path(volume.source) ? "bind" : "volume";
            if (parts.size() == 3) {
                for (auto& mode : strings::split(parts[2], ',')) {
                    if (mode == "ro")
                        volume.read_only = true;
                    else if (mode == "nocopy")
                        volume.no_copy = true;
                    else if (mode != "rw" && mode != "z" && mode != "Z" && mode != "cached"
                        && mode != "delegated")
                        return w.fail(
                            node, path, "unknown mount mode \"" + mode + "\" (ro, rw, nocopy)");
                }
            }
        }
    } else {
        TRY(w.check_keys(node, path,
            { "type", "source", "target", "read_only", "volume", "bind", "tmpfs", "consistency" }));
        volume.type
            = node["type"] ? TRY(w.string(node["type"], path + ".type")) : std::string("volume");
        if (volume.type != "volume" && volume.type != "bind" && volume.type != "tmpfs")
            return w.fail(node["type"], path + ".type",
                "unsupported mount type \"" + volume.type + "\" (volume, bind, tmpfs)");
        if (node["source"])
            volume.source = TRY(w.string(node["source"], path + ".source"));
        if (node["target"])
            volume.target = TRY(w.string(node["target"], path + ".target"));
        if (node["read_only"])
            volume.read_only = TRY(w.boolean(node["read_only"], path + ".read_only"));
        if (const auto options = node["volume"]) {
            TRY(w.check_keys(options, path + ".volume", { "nocopy", "subpath" }));
            if (options["nocopy"])
                volume.no_copy = TRY(w.boolean(options["nocopy"], path + ".volume.nocopy"));
        }
        if (const auto options = node["bind"])
            TRY(w.check_keys(
                options, path + ".bind", { "propagation", "create_host_path", "selinux" }));
        if (const auto options = node["tmpfs"]) {
            TRY(w.check_keys(options, path + ".tmpfs", { "size", "mode" }));
            if (options["size"]) {
                auto size = parse_bytes(TRY(w.string(options["size"], path + ".tmpfs.size")));
                if (!size.ok())
                    return w.fail(options["size"], path + ".tmpfs.size", size.error().message());
                volume.tmpfs_size = size.value();
            }
        }
    }
    if (volume.target.empty() || volume.target[0] != '/')
        return w.fail(
            node, path, "the mount target must be an absolute path, got \"" + volume.target + "\"");
    if (volume.type == "bind") {
        if (volume.source.empty())
            return w.fail(node, path, "a bind mount needs a source path");
        volume.source = w.resolve_path(volume.source);
    }
    return volume;
}

Result<Healthcheck> parse_healthcheck(
    const Walker& w, const YAML::Node& node, const std::string& path)
{
    TRY(w.check_keys(node, path,
        { "test", "interval", "timeout", "retries", "start_period", "start_interval", "disable" }));
    Healthcheck check;
    if (node["disable"])
        check.disable = TRY(w.boolean(node["disable"], path + ".disable"));
    if (const auto test = node["test"]) {
        if (test.IsScalar()) {
            check.test = { "CMD-SHELL", TRY(w.string(test, path + ".test")) };
        } else {
            check.test = TRY(w.strings_list(test, path + ".test", Single::Reject));
            if (check.test.empty()
                || (check.test[0] != "CMD" && check.test[0] != "CMD-SHELL"
                    && check.test[0] != "NONE"))
                return w.fail(
                    test, path + ".test", "a test list starts with CMD, CMD-SHELL or NONE");
        }
        if (!check.test.empty() && check.test[0] == "NONE")
            check.disable = true;
    }
    if (node["interval"])
        check.interval_ns = TRY(w.duration(node["interval"], path + ".interval"));
    if (node["timeout"])
        check.timeout_ns = TRY(w.duration(node["timeout"], path + ".timeout"));
    if (node["start_period"])
        check.start_period_ns = TRY(w.duration(node["start_period"], path + ".start_period"));
    if (node["retries"])
        check.retries = static_cast<int>(TRY(w.integer(node["retries"], path + ".retries")));
    if (check.disable)
        check.test = { "NONE" };
    return check;
}

Result<void> parse_deploy(
    const Walker& w, const YAML::Node& node, const std::string& path, Service& service)
{
    TRY(w.check_keys(node, path, { "resources", "restart_policy", "replicas", "labels" }));
    if (node["replicas"]) {
        auto replicas = TRY(w.integer(node["replicas"], path + ".replicas"));
        if (replicas != 1)
            return w.fail(node["replicas"], path + ".replicas",
                "glassbox runs one container per service (replicas: 1)");
    }
    const auto resources = node["resources"];
    if (!resources)
        return Ok {};
    TRY(w.check_keys(resources, path + ".resources", { "limits", "reservations" }));
    const auto limits = resources["limits"];
    if (!limits)
        return Ok {};
    auto limits_path = path + ".resources.limits";
    TRY(w.check_keys(limits, limits_path, { "memory", "cpus", "pids" }));
    if (limits["memory"]) {
        auto bytes = parse_bytes(TRY(w.string(limits["memory"], limits_path + ".memory")));
        if (!bytes.ok())
            return w.fail(limits["memory"], limits_path + ".memory", bytes.error().message());
        service.memory_limit = bytes.value();
    }
    if (limits["cpus"]) {
        auto text = TRY(w.string(limits["cpus"], limits_path + ".cpus"));
        double cpus = 0;
        try {
            size_t used = 0;
            cpus = std::stod(text, &used);
            if (used != text.size())
                cpus = -1;
        } catch (...) {
            cpus = -1;
        }
        if (cpus <= 0)
            return w.fail(limits["cpus"], limits_path + ".cpus",
                "expected a positive number of CPUs, got \"" + text + "\"");
        service.nano_cpus = static_cast<std::int64_t>(std::llround(cpus * 1e9));
    }
    return Ok {};
}

Result<void> parse_environment(const Walker& w, const YAML::Node& node, const std::string& path,
    const Environment& shell, std::vector<std::string>& out)
{
    auto set = [&](const std::string& key, const std::string& value) {
        std::erase_if(out, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
        out.push_back(key + "=" + value);
    };
    if (node.IsSequence()) {
        for (auto& entry : TRY(w.strings_list(node, path, Single::Reject))) {
            auto eq = entry.find('=');
            if (eq != std::string::npos) {
                set(entry.substr(0, eq), entry.substr(eq + 1));
            } else if (const auto found = shell.find(entry); found != shell.end()) {
                // A bare NAME takes its value from the shell, and is left out when unset.
                set(entry, found->second);
            }
        }
        return Ok {};
    }
    if (node.IsNull())
        return Ok {};
    TRY(w.expect_map(node, path));
    for (auto it = node.begin(); it != node.end(); ++it) {
        auto key = it->first.Scalar();
        if (it->second.IsNull()) {
            if (const auto found = shell.find(key); found != shell.end())
                set(key, found->second);
            continue;
        }
        set(key, TRY(w.string(it->second, path + "." + key)));
    }
    return Ok {};
}

const std::set<std::string> k_service_keys = {
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "networks",
    "depends_on",
    "restart",
    "healthcheck",
    "init",
    "stop_signal",
    "stop_grace_period",
    "user",
    "working_dir",
    "hostname",
    "secrets",
    "tmpfs",
    "deploy",
    "container_name",
    "labels",
    "tty",
    "stdin_open",
};

Result<Service> parse_service(
    const Walker& w, const std::string& name, const YAML::Node& node, const Environment& env)
{
    const std::string path = "services." + name;
    TRY(w.check_keys(node, path, k_service_keys));
    Service service;
    service.name = name;
    service.location = w.at(node);
    auto key = [&](const char* k) { return path + "." + k; };

    if (node["image"])
        service.image = TRY(w.string(node["image"], key("image")));
    if (node["build"])
        service.build = TRY(parse_build(w, node["build"], key("build")));
    if (service.image.empty() && !service.build)
        return w.fail(node, path, "a service needs an image or a build section");
    if (node["command"])
        service.command = TRY(w.strings_list(node["command"], key("command"), Single::ShellWords));
    if (node["entrypoint"])
        service.entrypoint
            = TRY(w.strings_list(node["entrypoint"], key("entrypoint"), Single::ShellWords));

    // env_file first, then `environment` on top (Compose's precedence).
    if (const auto files = node["env_file"]) {
        for (auto& file : TRY(w.strings_list(files, key("env_file"), Single::OneItem))) {
            auto resolved = w.resolve_path(file);
            auto text = fs::read_file(resolved);
            if (!text.ok())
                return w.fail(files, key("env_file"),
                    "cannot read " + resolved + ": " + text.error().describe());
            auto lines = parse_env_lines(text.value(), resolved);
            if (!lines.ok())
                return w.fail(files, key("env_file"), lines.error().message());
            for (auto& [k, v] : lines.value()) {
                auto value = interpolate(v, env);
                if (!value.ok())
                    return w.fail(files, key("env_file"),
                        resolved + ": " + k + ": " + value.error().message());
                // A plain reference: clang 14 cannot capture a structured binding in a lambda.
                const std::string& variable = k;
                std::erase_if(service.environment,
                    [&](const std::string& e) { return e.substr(0, e.find('=')) == variable; });
                service.environment.push_back(k + "=" + value.value());
            }
        }
    }
    if (node["environment"])
        TRY(parse_environment(
            w, node["environment"], key("environment"), env, service.environment));

    if (const auto ports = node["ports"]) {
        if (!ports.IsSequence())
            return w.fail(
                ports, key("ports"), std::string("expected a list, got ") + kind_name(ports));
        for (size_t i = 0; i < ports.size(); ++i)
            service.ports.push_back(
                TRY(parse_port(w, ports[i], key("ports") + "[" + std::to_string(i) + "]")));
    }
    if (node["expose"])
        service.expose = TRY(w.strings_list(node["expose"], key("expose"), Single::Reject));
    if (const auto volumes = node["volumes"]) {
        if (!volumes.IsSequence())
            return w.fail(
                volumes, key("volumes"), std::string("expected a list, got ") + kind_name(volumes));
        for (size_t i = 0; i < volumes.size(); ++i)
            service.volumes.push_back(TRY(parse_service_volume(
                w, volumes[i], key("volumes") + "[" + std::to_string(i) + "]")));
    }
    if (const auto networks = node["networks"]) {
        service.network_list_written = true;
        if (networks.IsSequence()) {
            for (auto& net : TRY(w.strings_list(networks, key("networks"), Single::Reject)))
                service.networks.push_back({ net, {}, {} });
        } else {
            TRY(w.expect_map(networks, key("networks")));
            for (auto it = networks.begin(); it != networks.end(); ++it) {
                ServiceNetwork net;
                net.name = it->first.Scalar();
                auto net_path = key("networks") + "." + net.name;
                if (!it->second.IsNull()) {
                    TRY(w.check_keys(it->second, net_path,
                        { "aliases", "ipv4_address", "ipv6_address", "priority" }));
                    if (it->second["aliases"])
                        net.aliases = TRY(w.strings_list(
                            it->second["aliases"], net_path + ".aliases", Single::Reject));
                    if (it->second["ipv4_address"])
                        net.ipv4_address
                            = TRY(w.string(it->second["ipv4_address"], net_path + ".ipv4_address"));
                }
                service.networks.push_back(std::move(net));
            }
        }
    }
    if (const auto deps = node["depends_on"]) {
        if (deps.IsSequence()) {
            for (size_t i = 0; i < deps.size(); ++i) {
                Dependency dep;
                dep.service
                    = TRY(w.string(deps[i], key("depends_on") + "[" + std::to_string(i) + "]"));
                dep.location = w.at(deps[i]);
                service.depends_on.push_back(dep);
            }
        } else {
            TRY(w.expect_map(deps, key("depends_on")));
            for (auto it = deps.begin(); it != deps.end(); ++it) {
                Dependency dep;
                dep.service = it->first.Scalar();
                dep.location = w.at(it->first);
                auto dep_path = key("depends_on") + "." + dep.service;
                if (!it->second.IsNull()) {
                    TRY(w.check_keys(it->second, dep_path, { "condition", "required", "restart" }));
                    if (it->second["condition"])
                        dep.condition
                            = TRY(w.string(it->second["condition"], dep_path + ".condition"));
                    if (it->second["required"])
                        dep.required
                            = TRY(w.boolean(it->second["required"], dep_path + ".required"));
                }
                if (dep.condition != "service_started" && dep.condition != "service_healthy"
                    && dep.condition != "service_completed_successfully")
                    return w.fail(it->second["condition"], dep_path + ".condition",
                        "unknown condition \"" + dep.condition
                            + "\" (service_started, service_healthy, "
                              "service_completed_successfully)");
                service.depends_on.push_back(dep);
            }
        }
    }
    if (node["restart"]) {
        service.restart = TRY(w.string(node["restart"], key("restart")));
        auto base = service.restart.substr(0, service.restart.find(':'));
        if (base != "no" && base != "always" && base != "on-failure" && base != "unless-stopped")
            return w.fail(node["restart"], key("restart"),
                "unknown restart policy \"" + service.restart
                    + "\" (no, always, on-failure[:N], unless-stopped)");
    }
    if (node["healthcheck"])
        service.healthcheck = TRY(parse_healthcheck(w, node["healthcheck"], key("healthcheck")));
    if (node["init"])
        service.init = TRY(w.boolean(node["init"], key("init")));
    if (node["stop_signal"])
        service.stop_signal = TRY(w.string(node["stop_signal"], key("stop_signal")));
    if (node["stop_grace_period"])
        service.stop_grace_period_ns
            = TRY(w.duration(node["stop_grace_period"], key("stop_grace_period")));
    if (node["user"])
        service.user = TRY(w.string(node["user"], key("user")));
    if (node["working_dir"])
        service.working_dir = TRY(w.string(node["working_dir"], key("working_dir")));
    if (node["hostname"])
        service.hostname = TRY(w.string(node["hostname"], key("hostname")));
    if (node["container_name"])
        service.container_name = TRY(w.string(node["container_name"], key("container_name")));
    if (node["labels"])
        service.labels = TRY(w.string_map(node["labels"], key("labels")));
    if (node["tty"])
        service.tty = TRY(w.boolean(node["tty"], key("tty")));
    if (node["stdin_open"])
        service.stdin_open = TRY(w.boolean(node["stdin_open"], key("stdin_open")));
    if (const auto secrets = node["secrets"]) {
        if (!secrets.IsSequence())
            return w.fail(
                secrets, key("secrets"), std::string("expected a list, got ") + kind_name(secrets));
        for (size_t i = 0; i < secrets.size(); ++i) {
            auto item_path = key("secrets") + "[" + std::to_string(i) + "]";
            ServiceSecret secret;
            if (secrets[i].IsMap()) {
                TRY(w.check_keys(
                    secrets[i], item_path, { "source", "target", "uid", "gid", "mode" }));
                secret.source = TRY(w.string(secrets[i]["source"], item_path + ".source"));
                if (secrets[i]["target"])
                    secret.target = TRY(w.string(secrets[i]["target"], item_path + ".target"));
            } else {
                secret.source = TRY(w.string(secrets[i], item_path));
            }
            if (secret.target.empty())
                secret.target = secret.source;
            service.secrets.push_back(secret);
        }
    }
    if (node["tmpfs"])
        service.tmpfs = TRY(w.strings_list(node["tmpfs"], key("tmpfs"), Single::OneItem));
    if (node["deploy"])
        TRY(parse_deploy(w, node["deploy"], key("deploy"), service));
    return service;
}

// [SECTION] Top-level networks, volumes, secrets.

// `external: true`, or the old `external: {name: x}`.
Result<void> parse_external(const Walker& w, const YAML::Node& node, const std::string& path,
    bool& external, std::string& name)
{
    if (node.IsMap()) {
        TRY(w.check_keys(node, path, { "name" }));
        external = true;
        if (node["name"])
            name = TRY(w.string(node["name"], path + ".name"));
        return Ok {};
    }
    external = TRY(w.boolean(node, path));
    return Ok {};
}

Result<Network> parse_network(
    const Walker& w, const std::string& key, const YAML::Node& node, const std::string& project)
{
    const std::string path = "networks." + key;
    Network network;
    network.key = key;
    network.location = w.at(node);
    std::string explicit_name;
    if (!node.IsNull()) {
        TRY(w.check_keys(node, path,
            { "driver", "driver_opts", "ipam", "external", "name", "labels", "internal",
                "attachable", "enable_ipv6" }));
        if (node["driver"])
            network.driver = TRY(w.string(node["driver"], path + ".driver"));
        if (node["driver_opts"])
            network.driver_opts = TRY(w.string_map(node["driver_opts"], path + ".driver_opts"));
        if (node["labels"])
            network.labels = TRY(w.string_map(node["labels"], path + ".labels"));
        if (node["internal"])
            network.internal = TRY(w.boolean(node["internal"], path + ".internal"));
        if (node["name"])
            explicit_name = TRY(w.string(node["name"], path + ".name"));
        if (node["external"])
            TRY(parse_external(
                w, node["external"], path + ".external", network.external, explicit_name));
        if (const auto ipam = node["ipam"]) {
            TRY(w.check_keys(ipam, path + ".ipam", { "driver", "config", "options" }));
            if (ipam["driver"])
                network.ipam_driver = TRY(w.string(ipam["driver"], path + ".ipam.driver"));
            if (const auto config = ipam["config"]) {
                if (!config.IsSequence())
                    return w.fail(config, path + ".ipam.config",
                        std::string("expected a list, got ") + kind_name(config));
                for (size_t i = 0; i < config.size(); ++i) {
                    auto pool_path = path + ".ipam.config[" + std::to_string(i) + "]";
                    TRY(w.check_keys(config[i], pool_path,
                        { "subnet", "gateway", "ip_range", "aux_addresses" }));
                    IpamPool pool;
                    if (config[i]["subnet"])
                        pool.subnet = TRY(w.string(config[i]["subnet"], pool_path + ".subnet"));
                    if (config[i]["gateway"])
                        pool.gateway = TRY(w.string(config[i]["gateway"], pool_path + ".gateway"));
                    if (config[i]["ip_range"])
                        pool.ip_range
                            = TRY(w.string(config[i]["ip_range"], pool_path + ".ip_range"));
                    network.ipam_config.push_back(pool);
                }
            }
        }
    }
    if (network.external)
        network.name = explicit_name.empty() ? key : explicit_name;
    else
        network.name = explicit_name.empty() ? project + "_" + key : explicit_name;
    return network;
}

Result<Volume> parse_volume(
    const Walker& w, const std::string& key, const YAML::Node& node, const std::string& project)
{
    const std::string path = "volumes." + key;
    Volume volume;
    volume.key = key;
    volume.location = w.at(node);
    std::string explicit_name;
    if (!node.IsNull()) {
        TRY(w.check_keys(node, path, { "driver", "driver_opts", "external", "name", "labels" }));
        if (node["driver"])
            volume.driver = TRY(w.string(node["driver"], path + ".driver"));
        if (node["driver_opts"])
            volume.driver_opts = TRY(w.string_map(node["driver_opts"], path + ".driver_opts"));
        if (node["labels"])
            volume.labels = TRY(w.string_map(node["labels"], path + ".labels"));
        if (node["name"])
            explicit_name = TRY(w.string(node["name"], path + ".name"));
        if (node["external"])
            TRY(parse_external(
                w, node["external"], path + ".external", volume.external, explicit_name));
        // A bind-backed local volume: its device is relative to the project, as in Compose.
        if (const auto device = volume.driver_opts.find("device");
            device != volume.driver_opts.end() && !device->second.empty())
            device->second = w.resolve_path(device->second);
    }
    if (volume.external)
        volume.name = explicit_name.empty() ? key : explicit_name;
    else
        volume.name = explicit_name.empty() ? project + "_" + key : explicit_name;
    return volume;
}

// [SECTION] Cross-references and the dependency graph.

Result<void> check_references(const Walker& w, const YAML::Node& root, Project& project)
{
    const auto services_node = root["services"];
    for (auto& service : project.services) {
        const auto node = services_node[service.name];
        for (const auto& dep : service.depends_on) {
            if (!project.service(dep.service))
                return Error::invalid(dep.location.file + ":" + std::to_string(dep.location.line)
                    + ": services." + service.name + ".depends_on: service \"" + dep.service
                    + "\" is not defined");
            if (dep.service == service.name)
                return Error::invalid(dep.location.file + ":" + std::to_string(dep.location.line)
                    + ": services." + service.name
                    + ".depends_on: a service cannot depend on itself");
        }
        for (const auto& net : service.networks)
            if (!project.network(net.name) && net.name != "default")
                return w.fail(node["networks"], "services." + service.name + ".networks",
                    "network \"" + net.name + "\" is not declared under the top-level networks");
        for (const auto& volume : service.volumes)
            if (volume.type == "volume" && !volume.source.empty() && !project.volume(volume.source))
                return w.fail(node["volumes"], "services." + service.name + ".volumes",
                    "named volume \"" + volume.source
                        + "\" is not declared under the top-level volumes");
        for (const auto& secret : service.secrets)
            if (!project.secret(secret.source))
                return w.fail(node["secrets"], "services." + service.name + ".secrets",
                    "secret \"" + secret.source + "\" is not declared under the top-level secrets");
    }
    // The implicit default network exists once a service uses it.
    bool needs_default
        = std::any_of(project.services.begin(), project.services.end(), [](const Service& s) {
              return !s.network_list_written
                  || std::any_of(s.networks.begin(), s.networks.end(),
                      [](const ServiceNetwork& n) { return n.name == "default"; });
          });
    if (needs_default && !project.network("default")) {
        Network network;
        network.key = "default";
        network.name = project.name + "_default";
        project.networks.insert(project.networks.begin(), network);
    }
    for (auto& service : project.services)
        if (!service.network_list_written)
            service.networks.push_back({ "default", {}, {} });
    return Ok {};
}

// Depth-first search for a cycle; the message lists it in order, starting where it closes.
Result<void> check_cycles(const Project& project)
{
    std::map<std::string, int> state; // 0 new, 1 on the stack, 2 done
    std::vector<std::string> stack;
    std::function<Result<void>(const Service&)> visit
        = [&](const Service& service) -> Result<void> {
        state[service.name] = 1;
        stack.push_back(service.name);
        for (const auto& dep : service.depends_on) {
            if (state[dep.service] == 1) {
                auto start = std::find(stack.begin(), stack.end(), dep.service);
                std::vector<std::string> cycle(start, stack.end());
                cycle.push_back(dep.service);
                return Error::invalid(dep.location.file + ":" + std::to_string(dep.location.line)
                    + ": services." + service.name
                    + ".depends_on: dependency cycle: " + strings::join(cycle, " -> "));
            }
            if (state[dep.service] == 0)
                TRY(visit(*project.service(dep.service)));
        }
        stack.pop_back();
        state[service.name] = 2;
        return Ok {};
    };
    for (const auto& service : project.services)
        if (state[service.name] == 0)
            TRY(visit(service));
    return Ok {};
}

Result<YAML::Node> load_yaml(std::string_view text, const std::string& file_name)
{
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& error) {
        return Error::invalid(
            file_name + ":" + std::to_string(error.mark.line + 1) + ": " + error.msg);
    }
}

} // namespace

// [SECTION] Entry points.

Result<Project> parse_project(std::string_view yaml, const std::string& file_name,
    const std::string& working_dir, const Environment& environment, const std::string& project_name)
{
    const YAML::Node root = TRY(load_yaml(yaml, file_name));
    int visits = 0;
    if (!count_visits(root, visits, k_max_node_visits))
        return Error::invalid(file_name + ": the document nests deeper than " + std::to_string(k_max_node_depth)
            + " levels, or an alias refers to its own anchor");
    if (visits > k_max_node_visits)
        return Error::invalid(file_name + ": excessive aliasing: the document expands to more than "
            + std::to_string(k_max_node_visits) + " nodes");
    Walker w(file_name, working_dir, environment);
    if (root.IsNull())
        return Error::invalid(file_name + ": the file is empty");
    TRY(w.check_keys(
        root, "(top level)", { "version", "name", "services", "networks", "volumes", "secrets" }));

    Project project;
    project.working_dir = working_dir;
    project.files.push_back(file_name);
    project.name = project_name;
    if (project.name.empty() && root["name"])
        project.name = normalize_project_name(TRY(w.string(root["name"], "name")));
    if (project.name.empty())
        project.name = normalize_project_name(stdfs::path(working_dir).filename().string());
    if (project.name.empty())
        return Error::invalid(
            file_name + ": cannot derive a project name from \"" + working_dir + "\"; use -p NAME");

    const auto services = root["services"];
    if (!services || services.IsNull())
        return Error::invalid(file_name
            + ": no services defined (a compose file needs a top-level services: mapping)");
    TRY(w.expect_map(services, "services"));
    for (auto it = services.begin(); it != services.end(); ++it) {
        auto name = it->first.Scalar();
        if (strings::starts_with(name, "x-"))
            continue;
        project.services.push_back(TRY(parse_service(w, name, it->second, environment)));
    }
    if (const auto networks = root["networks"]; networks && !networks.IsNull()) {
        TRY(w.expect_map(networks, "networks"));
        for (auto it = networks.begin(); it != networks.end(); ++it)
            project.networks.push_back(
                TRY(parse_network(w, it->first.Scalar(), it->second, project.name)));
    }
    if (const auto volumes = root["volumes"]; volumes && !volumes.IsNull()) {
        TRY(w.expect_map(volumes, "volumes"));
        for (auto it = volumes.begin(); it != volumes.end(); ++it)
            project.volumes.push_back(
                TRY(parse_volume(w, it->first.Scalar(), it->second, project.name)));
    }
    if (const auto secrets = root["secrets"]; secrets && !secrets.IsNull()) {
        TRY(w.expect_map(secrets, "secrets"));
        for (auto it = secrets.begin(); it != secrets.end(); ++it) {
            auto key = it->first.Scalar();
            auto path = "secrets." + key;
            TRY(w.check_keys(it->second, path, { "file", "name" }));
            if (!it->second["file"])
                return w.fail(
                    it->second, path, "glassbox supports file secrets only: give `file:`");
            Secret secret;
            secret.key = key;
            secret.file = w.resolve_path(TRY(w.string(it->second["file"], path + ".file")));
            secret.location = w.at(it->second);
            project.secrets.push_back(secret);
        }
    }
    TRY(check_references(w, root, project));
    TRY(check_cycles(project));
    return project;
}

Result<std::string> find_compose_file(
    const std::string& directory, std::vector<std::string>* skipped)
{
    std::string found;
    for (const auto& name : k_default_file_names) {
        auto path = (stdfs::path(directory) / name).string();
        if (!fs::exists(path))
            continue;
        if (found.empty())
            found = path;
        else if (skipped)
            skipped->push_back(path);
    }
    if (found.empty())
        return Error::not_found("no compose file in " + directory + " (looked for "
            + strings::join(k_default_file_names, ", ") + ")");
    return found;
}

Result<Project> load_project(const LoadOptions& options, LoadReport* report)
{
    LoadReport local;
    auto& out = report ? *report : local;
    std::error_code ec;
    auto cwd = stdfs::current_path(ec).string();
    std::string file;
    if (options.files.size() > 1)
        return Error::unsupported(
            "glassbox compose reads one compose file; merging several -f files is not supported");
    if (!options.files.empty()) {
        file = options.files[0];
        if (file != "-" && file[0] != '/')
            file = (stdfs::path(cwd) / file).lexically_normal().string();
    } else {
        auto dir = options.working_dir.empty() ? cwd : options.working_dir;
        file = TRY(find_compose_file(dir, &out.skipped));
    }
    std::string text;
    if (file == "-") {
        TRY_CTX(fs::read_chunks(STDIN_FILENO, "stdin", [&](std::string_view chunk) { text.append(chunk); }),
            "read compose file");
    } else {
        text = TRY_CTX(fs::read_file(file), "read compose file");
    }
    out.files = { file };
    std::string working_dir = options.working_dir;
    if (working_dir.empty())
        working_dir = file == "-" ? cwd : stdfs::path(file).parent_path().string();

    // The interpolation environment: .env first, then the process environment over it.
    Environment env;
    std::string env_file = options.env_file.empty() ? (stdfs::path(working_dir) / ".env").string()
                                                    : options.env_file;
    if (fs::exists(env_file)) {
        auto env_text = TRY_CTX(fs::read_file(env_file), "read env file");
        env = TRY(parse_env_file(env_text, env_file));
        out.env_file = env_file;
    } else if (!options.env_file.empty()) {
        return Error::not_found("env file " + env_file + " not found");
    }
    for (const auto& [key, value] : options.environment)
        env[key] = value;

    std::string name = normalize_project_name(options.project_name);
    if (!options.project_name.empty() && name.empty())
        return Error::invalid("invalid project name \"" + options.project_name
            + "\": use lower-case letters, digits, '-' and '_'");
    if (name.empty())
        if (const auto it = env.find("COMPOSE_PROJECT_NAME"); it != env.end())
            name = normalize_project_name(it->second);
    auto display = file == "-" ? std::string("(stdin)") : stdfs::path(file).filename().string();
    auto project = parse_project(text, display, working_dir, env, name);
    if (!project.ok())
        return project.release_error();
    auto result = project.release_value();
    result.files = { file };
    return result;
}

} // namespace engine::compose
