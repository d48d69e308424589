// The image config (OCI image-spec config.json, with Docker's container defaults) as a typed
// value. Its bytes are parsed once, where they enter the store (load, import, commit, a build
// step, a start that reads a stored blob); everything after works on this value. The image id is
// the digest of the bytes as stored, so a stored config is never serialized again to compute or
// check an id: to_json() is for configs the engine makes (build, commit, import), which are
// serialized once and stored as those bytes, and for the API's inspect output.
// No kernel interfaces.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"

namespace engine::image {

// One ExposedPorts key: "80/tcp", or a range "8000-8010/udp" as EXPOSE writes it.
struct ExposedPort {
    std::uint16_t first { 0 };
    std::uint16_t last { 0 };
    std::string protocol { "tcp" }; // tcp, udp or sctp.

    [[nodiscard]] std::string key() const;
    auto operator<=>(const ExposedPort& other) const
    {
        // Ordered by key text, the order the JSON object has.
        return key() <=> other.key();
    }
    bool operator==(const ExposedPort& other) const = default;
};
// "80", "80/tcp", "53/UDP", "8000-8010/tcp". A bare number is tcp, as Docker reads it.
Result<ExposedPort> parse_exposed_port(std::string_view text);

// HEALTHCHECK as the image records it. Durations are nanoseconds.
struct ImageHealthcheck {
    std::optional<std::vector<std::string>> test;
    std::optional<std::int64_t> interval;
    std::optional<std::int64_t> timeout;
    std::optional<std::int64_t> start_period;
    std::optional<std::int64_t> start_interval;
    std::optional<std::int64_t> retries;
    nlohmann::json other = nlohmann::json::object(); // Keys not modelled, as written.
    bool operator==(const ImageHealthcheck&) const = default;
};

// The container defaults: the config's "config" object (and the legacy "container_config").
// An unset field is absent from the JSON. Go writes an unset list or map as null; such a null
// is kept in `other` as written, so the config reads back as it was. Setting a field overrides
// it; clear() makes a field null again.
struct ContainerDefaults {
    std::optional<std::vector<std::string>> cmd;
    std::optional<std::vector<std::string>> entrypoint;
    std::optional<std::vector<std::string>> env; // "KEY=value" lines, in order.
    std::optional<std::string> working_dir;
    std::optional<std::string> user;
    std::optional<std::set<ExposedPort>> exposed_ports;
    std::optional<std::set<std::string>> volumes; // Container paths.
    std::optional<std::map<std::string, std::string>> labels;
    std::optional<std::string> stop_signal;
    std::optional<ImageHealthcheck> healthcheck;
    std::optional<std::vector<std::string>> on_build;
    std::optional<std::vector<std::string>> shell;
    std::optional<bool> args_escaped;
    // Keys not modelled (Hostname, Tty, Image, StopTimeout, ...) and keys written as null.
    nlohmann::json other = nlohmann::json::object();

    // The value of `name` in env (the last one wins), or nullopt when unset.
    [[nodiscard]] std::optional<std::string> env_value(std::string_view name) const;
    // Sets `name=value`, replacing an earlier line for the same name.
    void set_env(const std::string& name, const std::string& value);
    // Makes a field null (Docker's unset), e.g. the inherited Cmd an ENTRYPOINT resets. `key` is
    // the JSON name ("Cmd").
    void set_null(std::string_view key);

    static Result<ContainerDefaults> from_json(const nlohmann::json& doc, const std::string& where);
    [[nodiscard]] nlohmann::json to_json() const;
    bool operator==(const ContainerDefaults&) const = default;
};

// One entry of "history".
struct HistoryItem {
    std::optional<std::string> created;
    std::optional<std::string> created_by;
    std::optional<std::string> author;
    std::optional<std::string> comment;
    std::optional<bool> empty_layer;
    nlohmann::json other = nlohmann::json::object();

    [[nodiscard]] bool makes_layer() const { return !empty_layer.value_or(false); }
    // `created` in seconds since the epoch, 0 when absent or malformed.
    [[nodiscard]] std::int64_t created_seconds() const;
    bool operator==(const HistoryItem&) const = default;
};

struct ImageConfig {
    std::optional<std::string> architecture;
    std::optional<std::string> os;
    std::optional<std::string> created; // RFC 3339, as written.
    std::optional<std::string> author;
    std::optional<std::string> comment; // `docker commit -m`.
    std::optional<std::string> container; // The container a commit was made from.
    std::optional<ContainerDefaults> config;
    std::optional<ContainerDefaults> container_config; // Docker's record of the step's container.
    std::optional<std::vector<HistoryItem>> history;
    std::optional<std::string> rootfs_type; // "layers".
    std::optional<std::vector<std::string>> diff_ids; // rootfs.diff_ids, lowest layer first.
    // Top-level keys not modelled (variant, os.version, docker_version, ...), keys
    // written as null, and rootfs keys other than type and diff_ids (under "rootfs").
    nlohmann::json other = nlohmann::json::object();

    // Parses config bytes from a blob, an archive or a registry: strict JSON (parse_json_strict),
    // then each modelled field's type; errors name `what` and the field ("config.Cmd").
    static Result<ImageConfig> parse(std::string_view bytes, const std::string& what);
    static Result<ImageConfig> from_json(const nlohmann::json& doc, const std::string& what);
    [[nodiscard]] nlohmann::json to_json() const;

    // `created` in seconds since the epoch, 0 when absent or malformed.
    [[nodiscard]] std::int64_t created_seconds() const;
    [[nodiscard]] std::size_t history_length() const { return history ? history->size() : 0; }
    // The container defaults, empty when the config has none.
    [[nodiscard]] const ContainerDefaults& defaults() const;
    // The container defaults, made (empty) when missing, for a config being built.
    ContainerDefaults& mutable_defaults();
    bool operator==(const ImageConfig&) const = default;
};

} // namespace engine::image
