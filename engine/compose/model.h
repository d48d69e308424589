// The Compose file model: a compose.yaml after parsing and interpolation, as plain structs.
// It covers the parts of the Compose specification people use in the course (services with
// image/build, command, environment, ports, volumes, networks, depends_on, healthcheck, limits;
// top-level networks, volumes and secrets). Every object remembers where it was written
// (file and line), so later checks such as a depends_on cycle can point at the text.
// parse.cpp fills it from YAML; plan.cpp turns it into Docker API calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace engine::compose {

// Where a value was written: "compose.yaml", 1-based line.
struct Location {
    std::string file;
    int line { 0 };
};

struct BuildSpec {
    std::string context; // Absolute path (relative ones are resolved against the project dir).
    std::string dockerfile; // As written ("Dockerfile" when absent), relative to the context.
    std::map<std::string, std::string> args;
    std::string target;
};

// One published port ("127.0.0.1:8080:80/udp" or the long form).
struct PortSpec {
    std::string host_ip; // "" = every address.
    std::string published; // "" = let the daemon pick.
    int target { 0 };
    std::string protocol { "tcp" };
};

// One mount of a service ("data:/var/lib/db:ro", "./site:/www", or the long form).
struct ServiceVolume {
    std::string type; // "volume", "bind" or "tmpfs".
    std::string source; // Volume key for "volume" ("" = anonymous), absolute host path for "bind".
    std::string target;
    bool read_only { false };
    bool no_copy { false };
    std::int64_t tmpfs_size { 0 };
};

struct ServiceNetwork {
    std::string name; // The key under the top-level `networks`.
    std::vector<std::string> aliases;
    std::string ipv4_address;
};

struct Dependency {
    std::string service;
    std::string condition {
        "service_started"
    }; // service_started|service_healthy|service_completed_successfully
    bool required { true };
    Location location;
};

// Durations are nanoseconds, as Docker's Healthcheck carries them; 0 means Docker's default.
struct Healthcheck {
    std::vector<std::string> test; // ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"].
    std::int64_t interval_ns { 0 };
    std::int64_t timeout_ns { 0 };
    std::int64_t start_period_ns { 0 };
    int retries { 0 };
    bool disable { false };
};

struct ServiceSecret {
    std::string source; // The key under the top-level `secrets`.
    std::string target; // File name under /run/secrets (or an absolute path).
};

struct Service {
    std::string name;
    Location location;
    std::string image;
    std::optional<BuildSpec> build;
    std::optional<std::vector<std::string>> command; // nullopt: the image's CMD.
    std::optional<std::vector<std::string>> entrypoint; // nullopt: the image's ENTRYPOINT.
    // KEY=VALUE in the order written; env_file entries first, `environment` overrides them.
    std::vector<std::string> environment;
    std::vector<PortSpec> ports;
    std::vector<std::string> expose; // "80", "53/udp".
    std::vector<ServiceVolume> volumes;
    std::vector<ServiceNetwork> networks; // Empty: the project's "default" network.
    bool network_list_written { false }; // `networks:` present (even if empty).
    std::vector<Dependency> depends_on;
    std::string restart; // "", "no", "always", "on-failure[:N]", "unless-stopped".
    std::optional<Healthcheck> healthcheck;
    std::optional<bool> init;
    std::string stop_signal;
    std::optional<std::int64_t> stop_grace_period_ns;
    std::string user;
    std::string working_dir;
    std::string hostname;
    std::string container_name;
    std::map<std::string, std::string> labels;
    std::vector<ServiceSecret> secrets;
    std::vector<std::string> tmpfs; // "/run" or "/run:size=64m".
    std::int64_t memory_limit { 0 }; // Bytes; deploy.resources.limits.memory.
    std::int64_t nano_cpus { 0 }; // deploy.resources.limits.cpus * 1e9.
    bool tty { false };
    bool stdin_open { false };
};

struct IpamPool {
    std::string subnet;
    std::string gateway;
    std::string ip_range;
};

struct Network {
    std::string key; // As written under `networks`.
    std::string name; // Real name: PROJECT_key, `name:` or the external name.
    bool external { false };
    std::string driver; // "" = bridge.
    std::map<std::string, std::string> driver_opts;
    std::string ipam_driver;
    std::vector<IpamPool> ipam_config;
    std::map<std::string, std::string> labels;
    bool internal { false };
    Location location;
};

struct Volume {
    std::string key;
    std::string name; // PROJECT_key, `name:` or the external name.
    bool external { false };
    std::string driver;
    std::map<std::string, std::string> driver_opts; // type=none,o=bind,device=/path for a bind.
    std::map<std::string, std::string> labels;
    Location location;
};

struct Secret {
    std::string key;
    std::string file; // Absolute path of the secret's file.
    Location location;
};

struct Project {
    std::string name; // Normalised as Compose does.
    std::string working_dir; // Absolute; relative paths resolve here.
    std::vector<std::string> files; // The compose files read, in order.
    std::vector<Service> services; // In file order.
    std::vector<Network> networks; // Declared ones, plus "default" when used.
    std::vector<Volume> volumes;
    std::vector<Secret> secrets;

    [[nodiscard]] const Service* service(const std::string& wanted) const;
    [[nodiscard]] const Network* network(const std::string& key) const;
    [[nodiscard]] const Volume* volume(const std::string& key) const;
    [[nodiscard]] const Secret* secret(const std::string& key) const;
};

} // namespace engine::compose
