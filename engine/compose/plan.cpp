// Ordering and API bodies for a compose project. The start order is Kahn's algorithm over
// depends_on, always taking the earliest service in file order among the ready ones, so the
// order is deterministic and reads like the file where the file allows it.
#include "engine/compose/plan.h"

#include <algorithm>
#include <set>

#include "engine/base/sha256.h"
#include "engine/base/strings.h"

namespace engine::compose {

// [SECTION] Order.

Result<std::vector<std::string>> start_order(const Project& project)
{
    std::vector<std::string> order;
    std::set<std::string> placed;
    while (order.size() < project.services.size()) {
        bool progressed = false;
        for (const auto& service : project.services) {
            if (placed.contains(service.name))
                continue;
            bool ready = std::all_of(
                service.depends_on.begin(), service.depends_on.end(), [&](const Dependency& dep) {
                    return placed.contains(dep.service) || !project.service(dep.service);
                });
            if (!ready)
                continue;
            order.push_back(service.name);
            placed.insert(service.name);
            progressed = true;
            break;
        }
        if (!progressed) {
            std::vector<std::string> stuck;
            for (const auto& service : project.services)
                if (!placed.contains(service.name))
                    stuck.push_back(service.name);
            return Error::invalid("dependency cycle among services: " + strings::join(stuck, ", "));
        }
    }
    return order;
}

std::vector<std::string> with_dependencies(
    const Project& project, const std::vector<std::string>& services)
{
    std::set<std::string> wanted;
    std::vector<std::string> queue = services;
    while (!queue.empty()) {
        auto name = queue.back();
        queue.pop_back();
        if (!wanted.insert(name).second)
            continue;
        if (const auto* service = project.service(name))
            for (const auto& dep : service->depends_on)
                queue.push_back(dep.service);
    }
    return { wanted.begin(), wanted.end() };
}

// [SECTION] Names.

std::string container_name(const Project& project, const Service& service, int number)
{
    if (!service.container_name.empty())
        return service.container_name;
    return project.name + "-" + service.name + "-" + std::to_string(number);
}

std::string image_name(const Project& project, const Service& service)
{
    if (!service.image.empty())
        return service.image;
    return project.name + "-" + service.name;
}

// [SECTION] The plan.

Result<std::vector<Step>> plan_up(
    const Project& project, const std::vector<std::string>& services, bool build_all)
{
    auto order = TRY(start_order(project));
    std::vector<std::string> selected
        = services.empty() ? order : with_dependencies(project, services);
    std::vector<Step> steps;

    // Networks and volumes the selected services use, in declaration order.
    std::set<std::string> networks_used;
    std::set<std::string> volumes_used;
    for (const auto& name : selected) {
        const auto* service = project.service(name);
        if (!service)
            return Error::not_found("no such service: " + name);
        for (const auto& net : service->networks)
            networks_used.insert(net.name);
        for (const auto& volume : service->volumes)
            if (volume.type == "volume" && !volume.source.empty())
                volumes_used.insert(volume.source);
    }
    for (const auto& network : project.networks) {
        if (!networks_used.contains(network.key))
            continue;
        auto driver = network.driver.empty() ? std::string("bridge") : network.driver;
        steps.push_back({ Step::Kind::CreateNetwork, network.name,
            network.external ? "use external network " + network.name
                             : "create network " + network.name + " (driver " + driver + ")" });
    }
    for (const auto& volume : project.volumes) {
        if (!volumes_used.contains(volume.key))
            continue;
        bool bind = volume.driver_opts.contains("device");
        steps.push_back({ Step::Kind::CreateVolume, volume.name,
            volume.external ? "use external volume " + volume.name
                            : "create volume " + volume.name
                    + (bind ? " (bound to " + volume.driver_opts.at("device") + ")" : "") });
    }
    for (const auto& name : order) {
        if (std::find(selected.begin(), selected.end(), name) == selected.end())
            continue;
        const auto& service = *project.service(name);
        if (service.build && (build_all || service.image.empty()))
            steps.push_back({ Step::Kind::BuildImage, image_name(project, service),
                "build image " + image_name(project, service) + " from "
                    + service.build->context });
    }
    for (const auto& name : order) {
        if (std::find(selected.begin(), selected.end(), name) == selected.end())
            continue;
        const auto& service = *project.service(name);
        std::string detail = "start service " + name + " as " + container_name(project, service, 1);
        std::vector<std::string> waits;
        for (const auto& dep : service.depends_on) {
            if (dep.condition == "service_healthy")
                waits.push_back(dep.service + " healthy");
            else if (dep.condition == "service_completed_successfully")
                waits.push_back(dep.service + " completed");
            else
                waits.push_back(dep.service + " started");
        }
        if (!waits.empty())
            detail += " after " + strings::join(waits, ", ");
        steps.push_back({ Step::Kind::StartService, container_name(project, service, 1), detail });
    }
    return steps;
}

std::string describe_plan(const std::vector<Step>& steps)
{
    std::string out;
    int number = 1;
    for (const auto& step : steps)
        out += std::to_string(number++) + ". " + step.detail + "\n";
    return out;
}

// [SECTION] API bodies.

static Json project_labels(const Project& project)
{
    return {
        { k_label_project, project.name },
        { k_label_version, k_compose_version },
    };
}

Json network_create_body(const Project& project, const Network& network)
{
    Json labels = project_labels(project);
    labels[k_label_network] = network.key;
    for (const auto& [key, value] : network.labels)
        labels[key] = value;
    Json body {
        { "Name", network.name },
        { "Driver", network.driver.empty() ? "bridge" : network.driver },
        { "CheckDuplicate", true },
        { "Internal", network.internal },
        { "Labels", labels },
        { "Options", network.driver_opts },
    };
    if (!network.ipam_config.empty()) {
        Json config = Json::array();
        for (const auto& pool : network.ipam_config) {
            Json entry = Json::object();
            if (!pool.subnet.empty())
                entry["Subnet"] = pool.subnet;
            if (!pool.gateway.empty())
                entry["Gateway"] = pool.gateway;
            if (!pool.ip_range.empty())
                entry["IPRange"] = pool.ip_range;
            config.push_back(entry);
        }
        body["IPAM"]
            = { { "Driver", network.ipam_driver.empty() ? "default" : network.ipam_driver },
                  { "Config", config } };
    }
    return body;
}

Json volume_create_body(const Project& project, const Volume& volume)
{
    Json labels = project_labels(project);
    labels[k_label_volume] = volume.key;
    for (const auto& [key, value] : volume.labels)
        labels[key] = value;
    return {
        { "Name", volume.name },
        { "Driver", volume.driver.empty() ? "local" : volume.driver },
        { "DriverOpts", volume.driver_opts },
        { "Labels", labels },
    };
}

static std::string network_real_name(const Project& project, const std::string& key)
{
    const auto* network = project.network(key);
    return network ? network->name : project.name + "_" + key;
}

static Json endpoint_config(const Service& service, const ServiceNetwork& net)
{
    // Every container answers to its service name on each of its networks (Compose's alias).
    std::vector<std::string> aliases { service.name };
    for (const auto& alias : net.aliases)
        if (std::find(aliases.begin(), aliases.end(), alias) == aliases.end())
            aliases.push_back(alias);
    Json endpoint { { "Aliases", aliases } };
    if (!net.ipv4_address.empty())
        endpoint["IPAMConfig"] = { { "IPv4Address", net.ipv4_address } };
    return endpoint;
}

static Json container_body_without_hash(const Project& project, const Service& service, int number,
    bool oneoff, const std::vector<std::string>& command)
{
    Json labels = project_labels(project);
    labels[k_label_service] = service.name;
    labels[k_label_number] = std::to_string(number);
    labels[k_label_oneoff] = oneoff ? "True" : "False";
    labels[k_label_working_dir] = project.working_dir;
    labels[k_label_config_files] = strings::join(project.files, ",");
    labels[k_label_image] = image_name(project, service);
    std::vector<std::string> deps;
    for (const auto& dep : service.depends_on)
        deps.push_back(dep.service + ":" + dep.condition + ":false");
    labels[k_label_depends_on] = strings::join(deps, ",");
    for (const auto& [key, value] : service.labels)
        labels[key] = value;

    Json exposed = Json::object();
    for (const auto& port : service.expose)
        exposed[port.find('/') == std::string::npos ? port + "/tcp" : port] = Json::object();
    Json bindings = Json::object();
    for (const auto& port : service.ports) {
        auto key = std::to_string(port.target) + "/" + port.protocol;
        exposed[key] = Json::object();
        if (!bindings.contains(key))
            bindings[key] = Json::array();
        bindings[key].push_back({ { "HostIp", port.host_ip }, { "HostPort", port.published } });
    }

    Json mounts = Json::array();
    for (const auto& volume : service.volumes) {
        Json mount { { "Type", volume.type }, { "Target", volume.target },
            { "ReadOnly", volume.read_only } };
        if (volume.type == "volume") {
            if (!volume.source.empty()) {
                const auto* declared = project.volume(volume.source);
                mount["Source"] = declared ? declared->name : volume.source;
            }
            if (volume.no_copy)
                mount["VolumeOptions"] = { { "NoCopy", true } };
        } else if (volume.type == "bind") {
            mount["Source"] = volume.source;
        } else if (volume.tmpfs_size > 0) {
            mount["TmpfsOptions"] = { { "SizeBytes", volume.tmpfs_size } };
        }
        mounts.push_back(mount);
    }
    // File secrets appear read-only under /run/secrets, as Compose mounts them.
    for (const auto& secret : service.secrets) {
        const auto* declared = project.secret(secret.source);
        if (!declared)
            continue;
        auto target = secret.target[0] == '/' ? secret.target : "/run/secrets/" + secret.target;
        mounts.push_back({ { "Type", "bind" }, { "Source", declared->file }, { "Target", target },
            { "ReadOnly", true } });
    }
    Json tmpfs = Json::object();
    for (const auto& entry : service.tmpfs) {
        auto colon = entry.find(':');
        tmpfs[entry.substr(0, colon)]
            = colon == std::string::npos ? std::string() : entry.substr(colon + 1);
    }

    Json restart { { "Name", "no" }, { "MaximumRetryCount", 0 } };
    if (!service.restart.empty()) {
        auto colon = service.restart.find(':');
        restart["Name"] = service.restart.substr(0, colon);
        if (colon != std::string::npos) {
            std::uint64_t count = 0;
            if (strings::parse_uint(service.restart.substr(colon + 1), count))
                restart["MaximumRetryCount"] = count;
        }
    }

    Json host {
        { "Mounts", mounts },
        { "PortBindings", bindings },
        { "RestartPolicy", restart },
        { "Memory", service.memory_limit },
        { "NanoCpus", service.nano_cpus },
    };
    if (!tmpfs.empty())
        host["Tmpfs"] = tmpfs;
    if (service.init)
        host["Init"] = *service.init;
    Json endpoints = Json::object();
    if (!service.networks.empty()) {
        const auto& first = service.networks.front();
        auto name = network_real_name(project, first.name);
        host["NetworkMode"] = name;
        endpoints[name] = endpoint_config(service, first);
    }

    Json body {
        { "Image", image_name(project, service) },
        { "Labels", labels },
        { "Env", service.environment },
        { "ExposedPorts", exposed },
        { "Tty", service.tty },
        { "OpenStdin", service.stdin_open },
        { "AttachStdin", false },
        { "AttachStdout", !oneoff ? false : true },
        { "AttachStderr", !oneoff ? false : true },
        { "HostConfig", host },
        { "NetworkingConfig", { { "EndpointsConfig", endpoints } } },
    };
    if (!command.empty())
        body["Cmd"] = command;
    else if (service.command)
        body["Cmd"] = *service.command;
    if (service.entrypoint)
        body["Entrypoint"] = *service.entrypoint;
    if (!service.hostname.empty())
        body["Hostname"] = service.hostname;
    if (!service.user.empty())
        body["User"] = service.user;
    if (!service.working_dir.empty())
        body["WorkingDir"] = service.working_dir;
    if (!service.stop_signal.empty())
        body["StopSignal"] = service.stop_signal;
    if (service.stop_grace_period_ns)
        body["StopTimeout"] = static_cast<int>(*service.stop_grace_period_ns / 1000000000LL);
    if (service.healthcheck) {
        const auto& check = *service.healthcheck;
        body["Healthcheck"] = {
            { "Test", check.disable ? std::vector<std::string> { "NONE" } : check.test },
            { "Interval", check.interval_ns },
            { "Timeout", check.timeout_ns },
            { "StartPeriod", check.start_period_ns },
            { "Retries", check.retries },
        };
    }
    return body;
}

std::string config_hash(const Project& project, const Service& service)
{
    // The number and the one-off flag name the container, not the configuration.
    auto body = container_body_without_hash(project, service, 1, false, {});
    return Sha256::hex(body.dump());
}

Json container_create_body(const Project& project, const Service& service, int number, bool oneoff,
    const std::vector<std::string>& command)
{
    auto body = container_body_without_hash(project, service, number, oneoff, command);
    body["Labels"][k_label_config_hash] = config_hash(project, service);
    return body;
}

std::vector<std::pair<std::string, Json>> extra_network_connects(
    const Project& project, const Service& service)
{
    std::vector<std::pair<std::string, Json>> out;
    for (size_t i = 1; i < service.networks.size(); ++i) {
        const auto& net = service.networks[i];
        out.emplace_back(network_real_name(project, net.name),
            Json { { "EndpointConfig", endpoint_config(service, net) } });
    }
    return out;
}

} // namespace engine::compose
