// Config helpers. A `--change` (`docker import --change`, `docker commit --change`) is one
// Dockerfile line, read by the Dockerfile parser: JSON (exec) form or shell form for CMD and
// ENTRYPOINT, key=value pairs (quoted values allowed) for ENV and LABEL, $VAR expanded from the
// config's Env.
#include "engine/image/config.h"

#include <chrono>
#include <set>
#include <vector>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/build/dockerfile.h"

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

// Docker parses a `--change` as a one-line Dockerfile, with the Dockerfile's lexer: the same
// quoting, escapes and $VAR expansion (against the config's own Env, as `docker commit` does).
// So this uses the Dockerfile parser rather than a second word splitter of its own.
Result<std::vector<std::string>> expanded_words(const build::Instruction& instruction,
    const build::VariableLookup& lookup)
{
    if (instruction.json_form)
        return instruction.args;
    std::vector<std::string> words;
    for (const auto& word : instruction.args)
        words.push_back(TRY(build::expand_word(word, lookup, '\\', instruction.location)));
    return words;
}

Result<void> apply_instruction(ContainerDefaults& config, const build::Instruction& instruction)
{
    const auto& keyword = instruction.keyword;
    build::VariableLookup lookup = [&config](const std::string& name) { return config.env_value(name); };
    if (instruction.args.empty())
        return Error::invalid(strings::to_lower(keyword) + " needs an argument");

    if (keyword == "CMD" || keyword == "ENTRYPOINT") {
        auto words = instruction.json_form ? instruction.args
                                           : std::vector<std::string> { "/bin/sh", "-c", instruction.rest };
        (keyword == "CMD" ? config.cmd : config.entrypoint) = words;
    } else if (keyword == "ENV") {
        for (auto& [key, value] : TRY(build::parse_key_values(instruction, lookup, '\\')))
            config.set_env(key, value);
        if (!config.env)
            config.env.emplace();
    } else if (keyword == "LABEL") {
        for (auto& [key, value] : TRY(build::parse_key_values(instruction, lookup, '\\'))) {
            if (!config.labels)
                config.labels.emplace();
            (*config.labels)[key] = value;
        }
    } else if (keyword == "WORKDIR" || keyword == "USER" || keyword == "STOPSIGNAL") {
        auto value = TRY(build::expand_word(instruction.rest, lookup, '\\', instruction.location));
        if (value.empty())
            return Error::invalid(strings::to_lower(keyword) + " needs a value (the argument expanded to nothing)");
        if (keyword == "WORKDIR") {
            std::string previous = config.working_dir.value_or("");
            config.working_dir = value.front() == '/' ? value : (previous.empty() ? "/" : previous + "/") + value;
        } else {
            (keyword == "USER" ? config.user : config.stop_signal) = value;
        }
    } else if (keyword == "EXPOSE") {
        for (auto& word : TRY(expanded_words(instruction, lookup))) {
            auto port = TRY(parse_exposed_port(word));
            if (port.first != port.last)
                return Error::invalid("invalid port \"" + word + "\": a change exposes single ports");
            if (!config.exposed_ports)
                config.exposed_ports.emplace();
            config.exposed_ports->insert(port);
        }
    } else if (keyword == "VOLUME") {
        for (auto& path : TRY(expanded_words(instruction, lookup))) {
            if (path.empty() || path.front() != '/')
                return Error::invalid("volume path \"" + path + "\" must be absolute");
            if (!config.volumes)
                config.volumes.emplace();
            config.volumes->insert(path);
        }
    } else {
        return Error::invalid(strings::to_lower(keyword)
            + " is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR");
    }
    return Ok {};
}

} // namespace

Result<void> apply_change(ContainerDefaults& config, std::string_view change)
{
    auto text = strings::trim(change);
    auto invalid = [&text](const Error& error) {
        return Error::invalid("invalid change \"" + text + "\": " + error.message());
    };
    // A change is one instruction: a newline would smuggle in a second one.
    auto parsed = build::parse_line(text, "change");
    if (!parsed.ok())
        return invalid(parsed.error());
    // Work on a copy so a change that fails half-way leaves the config as it was.
    auto updated = config;
    auto applied = apply_instruction(updated, parsed.value());
    if (!applied.ok())
        return invalid(applied.error());
    config = std::move(updated);
    return Ok {};
}

std::string created_string(std::int64_t seconds)
{
    return strings::rfc3339_nano(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

} // namespace engine::image
