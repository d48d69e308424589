// Compose verbs as sequences of Docker API calls. The order of calls mirrors Docker Compose's:
// inspect-or-create each network and volume, then per service (in start order) wait for its
// dependencies, find its container by labels, keep it when its config-hash still matches the
// file, else recreate it, connect extra networks, and start it.
#include "engine/compose/project_ops.h"

#include <algorithm>
#include <set>
#include <thread>

#include "engine/base/strings.h"

namespace engine::compose {

using namespace std::chrono_literals;

ProjectOps::ProjectOps(
    const Project& project, api::Client& client, Reporter reporter, Builder builder)
    : m_project(project)
    , m_client(client)
    , m_say(std::move(reporter))
    , m_builder(std::move(builder))
{
}

std::string health_from_status(const std::string& status)
{
    for (const char* word : { "(healthy)", "(unhealthy)", "(health: starting)" }) {
        if (status.find(word) != std::string::npos) {
            std::string text = word;
            text = text.substr(1, text.size() - 2);
            return strings::starts_with(text, "health: ") ? text.substr(8) : text;
        }
    }
    return {};
}

// [SECTION] Lookups.

Result<void> ProjectOps::check_services(const std::vector<std::string>& services) const
{
    for (const auto& name : services)
        if (!m_project.service(name))
            return Error::not_found("no such service: " + name);
    return Ok {};
}

Result<std::vector<std::string>> ProjectOps::selected(
    const std::vector<std::string>& services) const
{
    TRY(check_services(services));
    auto order = TRY(start_order(m_project));
    if (services.empty())
        return order;
    std::vector<std::string> out;
    for (const auto& name : order)
        if (std::find(services.begin(), services.end(), name) != services.end())
            out.push_back(name);
    return out;
}

Result<std::vector<Json>> ProjectOps::containers(
    bool all, const std::vector<std::string>& services, bool oneoff) const
{
    TRY(check_services(services));
    api::ContainerListOptions options;
    options.all = all;
    options.filters["label"] = { std::string(k_label_project) + "=" + m_project.name };
    auto list = TRY(m_client.list_containers(options));
    std::vector<Json> out;
    for (const auto& entry : list) {
        const auto labels = entry.value("Labels", Json::object());
        // Filter here as well: a daemon that ORs label filters must not leak other projects in.
        if (!labels.is_object() || labels.value(k_label_project, "") != m_project.name)
            continue;
        if (!oneoff && labels.value(k_label_oneoff, "False") == "True")
            continue;
        auto service = labels.value(k_label_service, "");
        if (!services.empty()
            && std::find(services.begin(), services.end(), service) == services.end())
            continue;
        out.push_back(entry);
    }
    return out;
}

Result<std::string> ProjectOps::service_container(const std::string& service, int number) const
{
    for (const auto& entry : TRY(containers(true, { service }, false))) {
        auto labels = entry.value("Labels", Json::object());
        if (labels.value(k_label_number, "") == std::to_string(number))
            return entry.value("Id", "");
    }
    return Error::not_found("service \"" + service + "\" has no container " + std::to_string(number)
        + " in project " + m_project.name + " (is it up?)");
}

// [SECTION] Networks and volumes.

Result<void> ProjectOps::ensure_networks_and_volumes(const std::vector<Step>& steps)
{
    for (const auto& step : steps) {
        if (step.kind == Step::Kind::CreateNetwork) {
            const Network* network = nullptr;
            for (const auto& n : m_project.networks)
                if (n.name == step.object)
                    network = &n;
            auto existing = m_client.inspect_network(step.object);
            if (existing.ok())
                continue;
            if (existing.error().kind() != ErrorKind::NotFound)
                return existing.release_error();
            if (network && network->external)
                return Error::not_found(
                    "network " + step.object + " declared as external, but could not be found");
            TRY_CTX(m_client.create_network(network_create_body(m_project, *network)),
                "create network " + step.object);
            m_say("Network " + step.object + "  Created");
        } else if (step.kind == Step::Kind::CreateVolume) {
            const Volume* volume = nullptr;
            for (const auto& v : m_project.volumes)
                if (v.name == step.object)
                    volume = &v;
            auto existing = m_client.inspect_volume(step.object);
            if (existing.ok())
                continue;
            if (existing.error().kind() != ErrorKind::NotFound)
                return existing.release_error();
            if (volume && volume->external)
                return Error::not_found("external volume \"" + step.object + "\" not found");
            TRY_CTX(m_client.create_volume(volume_create_body(m_project, *volume)),
                "create volume " + step.object);
            m_say("Volume \"" + step.object + "\"  Created");
        }
    }
    return Ok {};
}

// [SECTION] Up.

Result<void> ProjectOps::wait_for(
    const Service& service, const Dependency& dep, std::chrono::seconds limit)
{
    if (dep.condition == "service_started")
        return Ok {};
    auto id_result = service_container(dep.service);
    if (!id_result.ok()) {
        if (!dep.required)
            return Ok {};
        return id_result.release_error();
    }
    auto id = id_result.release_value();
    auto name = container_name(m_project, *m_project.service(dep.service), 1);
    m_say("Container " + name + "  Waiting");
    if (dep.condition == "service_completed_successfully") {
        auto result = TRY(m_client.wait_container(id, "not-running"));
        if (result.status_code != 0)
            return Error::conflict("service \"" + dep.service
                + "\" didn't complete successfully: exit " + std::to_string(result.status_code)
                + " (needed by " + service.name + ")");
        m_say("Container " + name + "  Exited");
        return Ok {};
    }
    // service_healthy: the daemon runs the healthcheck; poll its verdict in State.Health.
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
        auto info = TRY(m_client.inspect_container(id));
        auto state = info.value("State", Json::object());
        if (!state.contains("Health") || !state["Health"].is_object())
            return Error::invalid("dependency " + dep.service + " of " + service.name
                + " has condition service_healthy but no healthcheck");
        auto health = state["Health"].value("Status", "");
        if (health == "healthy") {
            m_say("Container " + name + "  Healthy");
            return Ok {};
        }
        if (health == "unhealthy")
            return Error::conflict(
                "dependency failed to start: container " + name + " is unhealthy");
        if (!state.value("Running", false))
            return Error::conflict("dependency failed to start: container " + name + " exited ("
                + std::to_string(state.value("ExitCode", 0)) + ")");
        if (std::chrono::steady_clock::now() > deadline)
            return Error::system("container " + name + " did not become healthy within "
                + std::to_string(limit.count()) + "s");
        std::this_thread::sleep_for(100ms);
    }
}

Result<std::string> ProjectOps::converge(const Service& service, bool force_recreate)
{
    auto name = container_name(m_project, service, 1);
    auto hash = config_hash(m_project, service);
    for (const auto& entry : TRY(containers(true, { service.name }, false))) {
        auto labels = entry.value("Labels", Json::object());
        auto id = entry.value("Id", "");
        if (!force_recreate && labels.value(k_label_config_hash, "") == hash) {
            if (entry.value("State", "") == "running") {
                m_say("Container " + name + "  Running");
                return id;
            }
            TRY_CTX(m_client.start_container(id), "start " + name);
            m_say("Container " + name + "  Started");
            return id;
        }
        // The file changed under this container: replace it, as Compose does.
        m_say("Container " + name + "  Recreate");
        auto stopped = m_client.stop_container(id, std::nullopt);
        if (!stopped.ok() && stopped.error().kind() != ErrorKind::NotModified)
            return stopped.release_error();
        TRY(m_client.remove_container(id, true, false));
    }
    auto body = container_create_body(m_project, service, 1, false);
    auto id = TRY_CTX(m_client.create_container(body, name), "create " + name);
    for (const auto& [network, connect] : extra_network_connects(m_project, service)) {
        auto request = connect;
        request["Container"] = id;
        TRY_CTX(m_client.connect_network(network, request), "connect " + name + " to " + network);
    }
    m_say("Container " + name + "  Created");
    TRY_CTX(m_client.start_container(id), "start " + name);
    m_say("Container " + name + "  Started");
    return id;
}

Result<void> ProjectOps::up(const UpOptions& options)
{
    TRY(check_services(options.services));
    auto steps = TRY(plan_up(m_project, options.services, options.build));
    TRY(ensure_networks_and_volumes(steps));
    for (const auto& step : steps) {
        if (step.kind != Step::Kind::BuildImage)
            continue;
        // Without --build an image that is already there is used as it is.
        if (!options.build && m_client.inspect_image(step.object).ok())
            continue;
        for (const auto& service : m_project.services)
            if (service.build && image_name(m_project, service) == step.object)
                TRY(build({ service.name }));
    }
    for (const auto& step : steps) {
        if (step.kind != Step::Kind::StartService)
            continue;
        const Service* service = nullptr;
        for (const auto& s : m_project.services)
            if (container_name(m_project, s, 1) == step.object)
                service = &s;
        if (!service)
            continue;
        for (const auto& dep : service->depends_on)
            TRY(wait_for(*service, dep, options.wait_limit));
        TRY(converge(*service, options.force_recreate));
    }
    return Ok {};
}

Result<void> ProjectOps::build(const std::vector<std::string>& services)
{
    for (const auto& name : TRY(selected(services))) {
        const auto& service = *m_project.service(name);
        if (!service.build)
            continue;
        if (!m_builder)
            return Error::unsupported("this client cannot build images (service " + name + ")");
        BuildRequest request;
        request.service = name;
        request.tag = image_name(m_project, service);
        request.spec = *service.build;
        request.labels = { { k_label_project, m_project.name }, { k_label_service, name } };
        m_say("Service " + name + "  Building");
        TRY_CTX(m_builder(request), "build service " + name);
        m_say("Service " + name + "  Built");
    }
    return Ok {};
}

// [SECTION] Down, start, stop, restart.

Result<void> ProjectOps::down(const DownOptions& options)
{
    auto order = TRY(start_order(m_project));
    auto all = TRY(containers(true, {}, true));
    // Stop dependants first: reverse start order; containers of services no longer in the file
    // last.
    auto rank = [&](const Json& entry) {
        auto service = entry.value("Labels", Json::object()).value(k_label_service, "");
        auto it = std::find(order.begin(), order.end(), service);
        return it == order.end() ? -1 : static_cast<int>(it - order.begin());
    };
    std::stable_sort(
        all.begin(), all.end(), [&](const Json& a, const Json& b) { return rank(a) > rank(b); });
    for (const auto& entry : all) {
        auto id = entry.value("Id", "");
        auto names = entry.value("Names", Json::array());
        std::string name = names.empty() ? id.substr(0, 12) : names[0].get<std::string>().substr(1);
        if (entry.value("State", "") == "running") {
            auto stopped = m_client.stop_container(id, options.timeout);
            if (!stopped.ok() && stopped.error().kind() != ErrorKind::NotModified)
                return stopped.release_error();
            m_say("Container " + name + "  Stopped");
        }
        auto removed = m_client.remove_container(id, true, options.volumes);
        if (!removed.ok() && removed.error().kind() != ErrorKind::NotFound)
            return removed.release_error();
        m_say("Container " + name + "  Removed");
    }
    for (auto it = m_project.networks.rbegin(); it != m_project.networks.rend(); ++it) {
        if (it->external)
            continue;
        auto removed = m_client.remove_network(it->name);
        if (removed.ok())
            m_say("Network " + it->name + "  Removed");
        else if (removed.error().kind() != ErrorKind::NotFound)
            return removed.release_error();
    }
    if (options.volumes) {
        for (const auto& volume : m_project.volumes) {
            if (volume.external)
                continue;
            auto removed = m_client.remove_volume(volume.name, false);
            if (removed.ok())
                m_say("Volume " + volume.name + "  Removed");
            else if (removed.error().kind() != ErrorKind::NotFound)
                return removed.release_error();
        }
    }
    if (!options.remove_images.empty()) {
        if (options.remove_images != "all" && options.remove_images != "local")
            return Error::invalid(
                "--rmi takes all or local, not \"" + options.remove_images + "\"");
        std::set<std::string> images;
        for (const auto& service : m_project.services)
            if (options.remove_images == "all" || service.image.empty())
                images.insert(image_name(m_project, service));
        for (const auto& image : images) {
            auto removed = m_client.remove_image(image, false);
            if (removed.ok())
                m_say("Image " + image + "  Removed");
            else if (removed.error().kind() != ErrorKind::NotFound)
                return removed.release_error();
        }
    }
    return Ok {};
}

Result<void> ProjectOps::start(const std::vector<std::string>& services)
{
    for (const auto& name : TRY(selected(services))) {
        for (const auto& entry : TRY(containers(true, { name }, false))) {
            auto started = m_client.start_container(entry.value("Id", ""));
            if (!started.ok() && started.error().kind() != ErrorKind::NotModified)
                return started.release_error();
            m_say("Container " + container_name(m_project, *m_project.service(name), 1)
                + "  Started");
        }
    }
    return Ok {};
}

Result<void> ProjectOps::stop(const std::vector<std::string>& services, std::optional<int> timeout)
{
    auto order = TRY(selected(services));
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        for (const auto& entry : TRY(containers(false, { *it }, false))) {
            auto stopped = m_client.stop_container(entry.value("Id", ""), timeout);
            if (!stopped.ok() && stopped.error().kind() != ErrorKind::NotModified)
                return stopped.release_error();
            m_say(
                "Container " + container_name(m_project, *m_project.service(*it), 1) + "  Stopped");
        }
    }
    return Ok {};
}

Result<void> ProjectOps::restart(
    const std::vector<std::string>& services, std::optional<int> timeout)
{
    for (const auto& name : TRY(selected(services))) {
        for (const auto& entry : TRY(containers(true, { name }, false))) {
            TRY(m_client.restart_container(entry.value("Id", ""), timeout));
            m_say("Container " + container_name(m_project, *m_project.service(name), 1)
                + "  Started");
        }
    }
    return Ok {};
}

// [SECTION] One-off containers.

Result<std::string> ProjectOps::create_oneoff(const std::string& service_name,
    const std::vector<std::string>& command, bool tty, bool stdin_open)
{
    TRY(check_services({ service_name }));
    const auto& service = *m_project.service(service_name);
    auto steps = TRY(plan_up(m_project, { service_name }, false));
    TRY(ensure_networks_and_volumes(steps));
    auto body = container_create_body(m_project, service, 1, true, command);
    body["Tty"] = tty;
    body["OpenStdin"] = stdin_open;
    body["AttachStdin"] = stdin_open;
    body["StdinOnce"] = stdin_open;
    auto name = m_project.name + "-" + service_name + "-run-" + strings::random_hex_id(12);
    auto id = TRY_CTX(m_client.create_container(body, name), "create " + name);
    for (const auto& [network, connect] : extra_network_connects(m_project, service)) {
        auto request = connect;
        request["Container"] = id;
        TRY(m_client.connect_network(network, request));
    }
    return id;
}

} // namespace engine::compose
