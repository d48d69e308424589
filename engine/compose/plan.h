// The plan Compose makes before it touches anything: networks first (containers join them at
// create), then volumes (containers mount them), then images to build, then the services in
// dependency order (depends_on). Also the Docker API bodies for each object, named and
// labelled exactly as Docker Compose names and labels them, so `docker compose`-style tools
// (and `docker ps --filter label=com.docker.compose.project=...`) see the project.
// Pure functions of the model: no I/O, so the unit tests check them directly.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/compose/model.h"

namespace engine::compose {

using Json = nlohmann::json;

// The labels Compose puts on what it creates (docker/compose api.go).
inline constexpr const char* k_label_project = "com.docker.compose.project";
inline constexpr const char* k_label_service = "com.docker.compose.service";
inline constexpr const char* k_label_number = "com.docker.compose.container-number";
inline constexpr const char* k_label_oneoff = "com.docker.compose.oneoff";
inline constexpr const char* k_label_config_hash = "com.docker.compose.config-hash";
inline constexpr const char* k_label_network = "com.docker.compose.network";
inline constexpr const char* k_label_volume = "com.docker.compose.volume";
inline constexpr const char* k_label_version = "com.docker.compose.version";
inline constexpr const char* k_label_working_dir = "com.docker.compose.project.working_dir";
inline constexpr const char* k_label_config_files = "com.docker.compose.project.config_files";
inline constexpr const char* k_label_depends_on = "com.docker.compose.depends_on";
inline constexpr const char* k_label_image = "com.docker.compose.image";
// The Compose version glassbox's labels claim to follow.
inline constexpr const char* k_compose_version = "2.20.0";

// Services in the order they start: every service after the ones it depends on; ties keep
// the file's order. The model is already checked for cycles (parse.cpp); a cycle found here
// anyway is an error naming it.
Result<std::vector<std::string>> start_order(const Project& project);
// `services` plus everything they depend on, transitively (for `up web`).
std::vector<std::string> with_dependencies(
    const Project& project, const std::vector<std::string>& services);

struct Step {
    enum class Kind { CreateNetwork, CreateVolume, BuildImage, StartService };
    Kind kind;
    std::string object; // The real name: network or volume name, image tag, container name.
    std::string detail; // One line for the plan printout.
};

// The plan for `up` over `services` (all when empty). External networks and volumes appear
// as "use" steps; BuildImage appears for every service with a build section when `build` is
// set, else only for build services without an image yet (the caller decides; see plan_up).
Result<std::vector<Step>> plan_up(
    const Project& project, const std::vector<std::string>& services, bool build_all);
// The plan as text, one numbered line per step.
std::string describe_plan(const std::vector<Step>& steps);

// Names as Compose gives them.
std::string container_name(const Project& project, const Service& service, int number);
std::string image_name(
    const Project& project, const Service& service); // `image:` or PROJECT-SERVICE.

// POST /networks/create, /volumes/create and /containers/create bodies.
Json network_create_body(const Project& project, const Network& network);
Json volume_create_body(const Project& project, const Volume& volume);
// The create body for container `number` of `service`. `oneoff` marks `run` containers;
// `command` (when non-empty) replaces the service's command. The config-hash label is a
// SHA-256 of the body without it, so `up` can tell when a container no longer matches the file.
Json container_create_body(const Project& project, const Service& service, int number, bool oneoff,
    const std::vector<std::string>& command = {});
// Connect bodies for the service's second and later networks (the first is joined at create).
std::vector<std::pair<std::string, Json>> extra_network_connects(
    const Project& project, const Service& service);
// The config-hash a fresh container of `service` would carry.
std::string config_hash(const Project& project, const Service& service);

} // namespace engine::compose
