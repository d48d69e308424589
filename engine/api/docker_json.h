// Docker Engine API JSON shapes <-> engine structs: the create body (Config + HostConfig +
// NetworkingConfig) as the docker CLI and docker-py send it, container inspect and ps entries,
// images, history, volumes, networks, exec and events. Field names and time formats follow the
// responses of a real dockerd (unix seconds in lists, RFC 3339 in inspect).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/daemon/engine.h"
#include "engine/image/store.h"
#include "engine/volume/volume.h"

namespace engine::api {

using Json = nlohmann::json;

// [SECTION] Requests.
// The body of POST /containers/create. Every field is optional and null is the same as absent;
// a field of the wrong type is InvalidArgument naming it ("HostConfig.Memory: expected a number").
Result<daemon::ContainerConfig> container_config_from_json(const Json& body);
// The body of POST /containers/{id}/exec.
Result<daemon::ExecConfig> exec_config_from_json(const Json& body);
// The body of POST /networks/create.
Result<network::NetworkConfig> network_config_from_json(const Json& body);

// [SECTION] Containers.
// "Up 3 seconds", "Up 2 minutes (Paused)", "Exited (0) 2 seconds ago", "Created".
std::string container_status_text(const daemon::ContainerState& state, std::chrono::system_clock::time_point now);
// GET /containers/{id}/json.
Json container_inspect_json(const daemon::ContainerView& view);
// One entry of GET /containers/json.
Json container_summary_json(const daemon::ContainerView& view, std::chrono::system_clock::time_point now);
// The Command column: path and args joined by spaces.
std::string container_command_text(const daemon::ContainerView& view);

// [SECTION] Exec.
Json exec_inspect_json(const daemon::ExecView& view);

// [SECTION] Images.
// One entry of GET /images/json; `containers` is how many containers use it (-1 unknown).
Json image_summary_json(const image::ImageRecord& record, int containers);
// GET /images/{name}/json.
Json image_inspect_json(const image::ImageRecord& record);
Json image_history_json(const std::vector<image::HistoryEntry>& entries);
Json image_delete_json(const std::vector<image::DeleteItem>& items);

// [SECTION] Volumes and networks.
Json volume_json(const volume::Volume& volume);
// `container_name(id)` gives a container's name for the Containers map ("" if unknown).
Json network_json(const network::NetworkRecord& view, const std::function<std::string(const std::string&)>& container_name);

// [SECTION] Events.
Json event_json(const daemon::Event& event);
// True when `event` passes Docker's event filters (type, event, container, image, volume,
// network, label).
bool event_matches(const daemon::Event& event, const daemon::Filters& filters);

} // namespace engine::api
