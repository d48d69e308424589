// Config helpers. The `--change` grammar is the subset of Dockerfile syntax that
// `docker import --change` accepts: JSON (exec) form or shell form for CMD and ENTRYPOINT,
// key=value pairs (quoted values allowed) for ENV and LABEL.
#include "engine/image/config.h"

#include <chrono>
#include <set>
#include <vector>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::image {

Result<nlohmann::json> parse_json_strict(std::string_view bytes, const std::string& what)
{
    // One key set per open object; the parser callback sees keys in document order.
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    // Image configs and manifests come from `load` and registries. nlohmann's parser keeps its
    // own stack, but copying or dumping a value nested 100000 deep recurses until the thread's
    // stack overflows (image inspect crashed the daemon); nothing legitimate nests this deep.
    constexpr int max_depth = 256;
    bool too_deep = false;
    auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (depth > max_depth) {
            too_deep = true;
            return false; // Drop the value; the error below refuses the document.
        }
        switch (event) {
        case nlohmann::json::parse_event_t::object_start:
            open_objects.emplace_back();
            break;
        case nlohmann::json::parse_event_t::object_end:
            if (!open_objects.empty())
                open_objects.pop_back();
            break;
        case nlohmann::json::parse_event_t::key:
            if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
                duplicate = parsed.get<std::string>();
            break;
        default:
            break;
        }
        return true;
    };
    nlohmann::json out;
    try {
        out = nlohmann::json::parse(bytes.begin(), bytes.end(), callback);
    } catch (const nlohmann::json::exception& e) {
        return Error::invalid(what + ": invalid JSON: " + e.what());
    }
    if (too_deep)
        return Error::invalid(what + ": JSON nested deeper than " + std::to_string(max_depth) + " levels");
    if (!duplicate.empty())
        return Error::invalid(what + ": duplicate key \"" + duplicate + "\"");
    return out;
}

Result<nlohmann::json> read_json_file(const std::string& path)
{
    auto bytes = TRY(fs::read_file(path));
    return parse_json_strict(bytes, path);
}

namespace {

// Splits on unquoted whitespace; quotes group and are removed, backslash escapes one character.
Result<std::vector<std::string>> split_words(std::string_view text, std::string_view change)
{
    std::vector<std::string> words;
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size() && quote != '\'') {
            current += text[++i];
            in_word = true;
        } else if (quote) {
            if (c == quote)
                quote = 0;
            else
                current += c;
        } else if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == ' ' || c == '\t') {
            if (in_word)
                words.push_back(std::move(current));
            current.clear();
            in_word = false;
        } else {
            current += c;
            in_word = true;
        }
    }
    if (quote)
        return Error::invalid("invalid change \"" + std::string(change) + "\": unterminated quote");
    if (in_word)
        words.push_back(std::move(current));
    return words;
}

// The JSON form ["a", "b"] if the argument starts with '[', else nothing.
Result<std::optional<std::vector<std::string>>> json_form(std::string_view argument, std::string_view change)
{
    if (argument.empty() || argument.front() != '[')
        return std::optional<std::vector<std::string>> {};
    try {
        auto parsed = nlohmann::json::parse(argument);
        std::vector<std::string> out;
        for (auto& item : parsed) {
            if (!item.is_string())
                throw std::runtime_error("not a string");
            out.push_back(item.get<std::string>());
        }
        return std::optional<std::vector<std::string>>(out);
    } catch (const std::exception&) {
        return Error::invalid("invalid change \"" + std::string(change) + "\": expected a JSON array of strings");
    }
}

// "A=b C=d" pairs, or the legacy "A b c" form (key, then the rest as the value).
Result<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view argument, std::string_view change)
{
    std::vector<std::pair<std::string, std::string>> out;
    auto first_space = argument.find_first_of(" \t");
    auto first_equal = argument.find('=');
    if (first_equal == std::string_view::npos || (first_space != std::string_view::npos && first_space < first_equal)) {
        if (first_space == std::string_view::npos)
            return Error::invalid("invalid change \"" + std::string(change) + "\": expected KEY=VALUE");
        out.emplace_back(std::string(argument.substr(0, first_space)), strings::trim(argument.substr(first_space + 1)));
        return out;
    }
    for (auto& word : TRY(split_words(argument, change))) {
        auto equal = word.find('=');
        if (equal == std::string::npos || equal == 0)
            return Error::invalid("invalid change \"" + std::string(change) + "\": \"" + word + "\" is not KEY=VALUE");
        out.emplace_back(word.substr(0, equal), word.substr(equal + 1));
    }
    return out;
}

} // namespace

Result<void> apply_change(nlohmann::json& config, std::string_view change)
{
    auto text = strings::trim(change);
    auto space = text.find_first_of(" \t");
    auto instruction = strings::to_lower(text.substr(0, space));
    auto argument = space == std::string::npos ? std::string() : strings::trim(std::string_view(text).substr(space + 1));
    if (argument.empty())
        return Error::invalid("invalid change \"" + text + "\": " + instruction + " needs an argument");
    if (!config.is_object())
        config = nlohmann::json::object();

    if (instruction == "cmd" || instruction == "entrypoint") {
        auto exec_form = TRY(json_form(argument, text));
        auto words = exec_form ? *exec_form : std::vector<std::string> { "/bin/sh", "-c", argument };
        config[instruction == "cmd" ? "Cmd" : "Entrypoint"] = words;
    } else if (instruction == "env") {
        auto env = config.value("Env", nlohmann::json::array());
        if (!env.is_array())
            env = nlohmann::json::array();
        for (auto& [key, value] : TRY(key_values(argument, text))) {
            std::string line = key + "=" + value;
            bool replaced = false;
            for (auto& item : env) {
                if (item.is_string() && strings::starts_with(item.get<std::string>(), key + "=")) {
                    item = line;
                    replaced = true;
                }
            }
            if (!replaced)
                env.push_back(line);
        }
        config["Env"] = env;
    } else if (instruction == "label") {
        for (auto& [key, value] : TRY(key_values(argument, text)))
            config["Labels"][key] = value;
    } else if (instruction == "workdir") {
        std::string previous = config.value("WorkingDir", "");
        config["WorkingDir"] = argument.front() == '/' ? argument : (previous.empty() ? "/" : previous + "/") + argument;
    } else if (instruction == "user") {
        config["User"] = argument;
    } else if (instruction == "stopsignal") {
        config["StopSignal"] = argument;
    } else if (instruction == "expose") {
        for (auto& port : TRY(split_words(argument, text))) {
            auto slash = port.find('/');
            std::uint64_t number = 0;
            if (!strings::parse_uint(port.substr(0, slash), number) || number == 0 || number > 65535)
                return Error::invalid("invalid change \"" + text + "\": invalid port \"" + port + "\"");
            auto proto = slash == std::string::npos ? "tcp" : strings::to_lower(port.substr(slash + 1));
            if (proto != "tcp" && proto != "udp" && proto != "sctp")
                return Error::invalid("invalid change \"" + text + "\": invalid protocol \"" + proto + "\"");
            config["ExposedPorts"][std::to_string(number) + "/" + proto] = nlohmann::json::object();
        }
    } else if (instruction == "volume") {
        auto exec_form = TRY(json_form(argument, text));
        auto paths = exec_form ? *exec_form : TRY(split_words(argument, text));
        for (auto& path : paths) {
            if (path.empty() || path.front() != '/')
                return Error::invalid("invalid change \"" + text + "\": volume path \"" + path + "\" must be absolute");
            config["Volumes"][path] = nlohmann::json::object();
        }
    } else {
        return Error::invalid("invalid change \"" + text + "\": " + instruction
            + " is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR");
    }
    return Ok {};
}

std::string created_string(std::int64_t seconds)
{
    return strings::rfc3339_nano(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

std::int64_t created_seconds(const nlohmann::json& config)
{
    if (!config.is_object() || !config.contains("created") || !config["created"].is_string())
        return 0;
    std::chrono::system_clock::time_point when;
    if (!strings::parse_rfc3339(config["created"].get<std::string>(), when))
        return 0;
    return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

} // namespace engine::image
