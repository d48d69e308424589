// Carrying out a compose plan through api::Client: up (networks, volumes, builds, then each
// service in dependency order, waiting on service_healthy / service_completed_successfully as
// declared), down, start, stop, restart and the container lookups the other verbs need.
// Compose holds the policy (what to create, in which order, what to wait for); the daemon does
// the work. Containers are found again by their labels, as Docker Compose finds them.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "engine/api/client.h"
#include "engine/base/result.h"
#include "engine/compose/model.h"
#include "engine/compose/plan.h"

namespace engine::compose {

// What a build step asks the caller to do (the CLI runs its own `build` verb for it).
struct BuildRequest {
    std::string service;
    std::string tag;
    BuildSpec spec;
    std::map<std::string, std::string> labels;
};
using Builder = std::function<Result<void>(const BuildRequest& request)>;
// One progress line ("Container demo-web-1  Started"), as Compose prints them.
using Reporter = std::function<void(const std::string& line)>;

struct UpOptions {
    std::vector<std::string> services; // Empty: all.
    bool build { false }; // --build: rebuild every service with a build section.
    bool force_recreate { false };
    std::chrono::seconds wait_limit { 300 }; // How long a dependency may take to become healthy.
};

struct DownOptions {
    bool volumes { false }; // -v: named volumes declared by the project, anonymous ones too.
    std::string remove_images; // "", "all" or "local".
    std::optional<int> timeout;
};

class ProjectOps {
public:
    ProjectOps(
        const Project& project, api::Client& client, Reporter reporter, Builder builder = {});

    Result<void> up(const UpOptions& options);
    Result<void> down(const DownOptions& options);
    Result<void> start(const std::vector<std::string>& services);
    Result<void> stop(const std::vector<std::string>& services, std::optional<int> timeout);
    Result<void> restart(const std::vector<std::string>& services, std::optional<int> timeout);
    // Builds every service with a build section (or those named).
    Result<void> build(const std::vector<std::string>& services);

    // The project's containers (GET /containers/json entries), newest first; `services` limits
    // them, `oneoff` includes `run` containers.
    Result<std::vector<Json>> containers(
        bool all, const std::vector<std::string>& services, bool oneoff) const;
    // The id of the service's container number `number` (NotFound names the service).
    Result<std::string> service_container(const std::string& service, int number = 1) const;
    // Creates a one-off container for `compose run`: PROJECT-SERVICE-run-<12 hex>, labelled
    // oneoff=True, on the service's networks, with `command` (empty: the service's). Returns
    // its id; the caller attaches and starts it. Networks and volumes are created first.
    Result<std::string> create_oneoff(const std::string& service,
        const std::vector<std::string>& command, bool tty, bool stdin_open);

private:
    Result<void> ensure_networks_and_volumes(const std::vector<Step>& steps);
    Result<void> wait_for(
        const Service& service, const Dependency& dependency, std::chrono::seconds limit);
    Result<std::string> converge(const Service& service, bool force_recreate);
    Result<std::vector<std::string>> selected(const std::vector<std::string>& services) const;
    Result<void> check_services(const std::vector<std::string>& services) const;

    const Project& m_project;
    api::Client& m_client;
    Reporter m_say;
    Builder m_builder;
};

// "Up 3 seconds (healthy)" -> "healthy"; "" when the status carries no health.
std::string health_from_status(const std::string& status);

} // namespace engine::compose
