// Container records on disk: <root>/containers/<id>/config.v2.json, one JSON document with the
// effective config, the state and the resolved mounts, written atomically on every change.
#include <nlohmann/json.hpp>

#include "engine/base/log.h"
#include "engine/daemon/engine_internal.h"
#include "engine/daemon/health.h"

namespace engine::daemon {

using nlohmann::json;

template<typename T>
static void get_to(const json& doc, const char* key, T& out)
{
    auto it = doc.find(key);
    if (it != doc.end() && !it->is_null())
        out = it->get<T>();
}

json config_to_json(const ContainerConfig& c)
{
    json ports = json::object();
    for (const auto& [port, bindings] : c.port_bindings) {
        json list = json::array();
        for (const auto& b : bindings)
            list.push_back({ { "HostIp", b.host_ip }, { "HostPort", b.host_port_text() } });
        ports[port.key()] = list;
    }
    // HostConfig.Mounts in the --mount text records have always held.
    std::vector<std::string> mount_specs;
    for (const auto& mount : c.mounts)
        mount_specs.push_back(volume::format_mount_spec(mount));
    std::vector<std::string> volumes_from;
    for (const auto& entry : c.volumes_from)
        volumes_from.push_back(entry.text());
    json doc = {
        { "Hostname", c.hostname }, { "Domainname", c.domainname }, { "User", c.user },
        { "AttachStdin", c.attach_stdin }, { "AttachStdout", c.attach_stdout }, { "AttachStderr", c.attach_stderr },
        { "Tty", c.tty }, { "OpenStdin", c.open_stdin }, { "StdinOnce", c.stdin_once }, { "Env", c.env },
        { "Cmd", c.cmd ? json(*c.cmd) : json(nullptr) },
        { "Entrypoint", c.entrypoint ? json(*c.entrypoint) : json(nullptr) },
        { "Image", c.image.text }, { "Volumes", c.volumes }, { "WorkingDir", c.working_dir }, { "Labels", c.labels },
        { "StopSignal", c.stop_signal }, { "StopTimeout", c.stop_timeout ? json(*c.stop_timeout) : json(nullptr) },
        { "ExposedPorts", c.exposed_ports }, { "Binds", c.binds }, { "MountSpecs", mount_specs },
        { "Mounts", c.mounts_json }, { "Tmpfs", c.tmpfs }, { "NetworkMode", c.network_mode.text() },
        { "NetworkModeDetached", c.network_mode_detached },
        { "PortBindings", ports }, { "PublishAllPorts", c.publish_all_ports },
        { "RestartPolicy", { { "Name", c.restart_policy.name }, { "MaximumRetryCount", c.restart_policy.maximum_retry_count } } },
        { "AutoRemove", c.auto_remove }, { "CapAdd", c.cap_add }, { "CapDrop", c.cap_drop },
        { "Privileged", c.privileged }, { "ReadonlyRootfs", c.readonly_rootfs },
        { "Init", c.init ? json(*c.init) : json(nullptr) }, { "Memory", c.memory }, { "MemorySwap", c.memory_swap },
        { "NanoCpus", c.nano_cpus }, { "CpuShares", c.cpu_shares }, { "CpuQuota", c.cpu_quota },
        { "CpuPeriod", c.cpu_period }, { "PidsLimit", c.pids_limit ? json(*c.pids_limit) : json(nullptr) },
        { "MemoryReservation", c.memory_reservation }, { "BlkioWeight", c.blkio_weight }, { "CpusetCpus", c.cpuset_cpus },
        { "CpusetMems", c.cpuset_mems },
        { "LogConfig", c.log_config }, { "Isolation", c.isolation }, { "VolumeDriver", c.volume_driver }, { "GroupAdd", c.group_add },
        { "Links", c.links }, { "Dns", c.dns }, { "ExtraHosts", c.extra_hosts }, { "SecurityOpt", c.security_opt },
        { "ConsoleSize", c.console_size }, { "NetworkAliases", c.network_aliases }, { "NetworkIPv4", c.network_ipv4 },
        { "NetworkIPv6", c.network_ipv6 },
        { "MacAddress", c.mac_address }, { "NetworkMac", c.network_mac }, { "PidMode", c.pid_mode.text() },
        { "VolumesFrom", volumes_from }, { "DeviceCgroupRules", c.device_cgroup_rules },
    };
    if (c.healthcheck)
        doc["Healthcheck"] = health_config_to_json(*c.healthcheck);
    return doc;
}

ContainerConfig config_from_json(const json& d)
{
    ContainerConfig c;
    get_to(d, "Hostname", c.hostname);
    get_to(d, "Domainname", c.domainname);
    get_to(d, "User", c.user);
    get_to(d, "AttachStdin", c.attach_stdin);
    get_to(d, "AttachStdout", c.attach_stdout);
    get_to(d, "AttachStderr", c.attach_stderr);
    get_to(d, "Tty", c.tty);
    get_to(d, "OpenStdin", c.open_stdin);
    get_to(d, "StdinOnce", c.stdin_once);
    get_to(d, "Env", c.env);
    if (d.contains("Cmd") && d["Cmd"].is_array())
        c.cmd = d["Cmd"].get<std::vector<std::string>>();
    if (d.contains("Entrypoint") && d["Entrypoint"].is_array())
        c.entrypoint = d["Entrypoint"].get<std::vector<std::string>>();
    get_to(d, "Volumes", c.volumes);
    get_to(d, "WorkingDir", c.working_dir);
    get_to(d, "Labels", c.labels);
    get_to(d, "StopSignal", c.stop_signal);
    if (d.contains("StopTimeout") && d["StopTimeout"].is_number())
        c.stop_timeout = d["StopTimeout"].get<int>();
    if (auto health = health_config_from_json(d.value("Healthcheck", json(nullptr))); health.ok())
        c.healthcheck = health.value();
    get_to(d, "ExposedPorts", c.exposed_ports);
    // The record holds these values as the API sent them; they are parsed again here, as the API
    // layer parses them, and a value this version refuses is left out with a warning (the
    // container was created with it; only a start that needs it again can miss it).
    auto parsed = [](auto result, const std::string& what, auto& out) {
        if (result.ok())
            out = result.release_value();
        else
            log::warn("container record: " + what + ": " + result.error().describe() + " (left out)");
        return result.ok();
    };
    // The image's text stays even when this version refuses it: inspect and events show it, and
    // the container runs on its image id, not on the name.
    std::string image_text;
    get_to(d, "Image", image_text);
    if (auto name = image::ImageName::parse(image_text); name.ok()) {
        c.image = name.release_value();
    } else {
        c.image.text = image_text;
        log::warn("container record: Image: " + name.error().describe() + " (kept as text)");
    }
    get_to(d, "Binds", c.binds);
    for (const auto& bind : c.binds) {
        volume::MountSpec spec;
        if (parsed(volume::parse_volume_spec(bind), "Binds", spec))
            c.bind_specs.push_back(spec);
    }
    std::vector<std::string> mount_specs;
    get_to(d, "MountSpecs", mount_specs);
    for (const auto& text : mount_specs) {
        volume::MountSpec spec;
        if (parsed(volume::parse_mount_spec(text), "MountSpecs", spec))
            c.mounts.push_back(spec);
    }
    if (d.contains("Mounts"))
        c.mounts_json = d["Mounts"];
    get_to(d, "Tmpfs", c.tmpfs);
    std::string network_mode;
    get_to(d, "NetworkMode", network_mode);
    parsed(NetworkMode::parse(network_mode), "NetworkMode", c.network_mode);
    get_to(d, "NetworkModeDetached", c.network_mode_detached);
    if (d.contains("PortBindings") && d["PortBindings"].is_object()) {
        for (const auto& [key, list] : d["PortBindings"].items()) {
            ContainerPort port;
            if (!parsed(ContainerPort::parse(key), "PortBindings", port))
                continue;
            auto& bindings = c.port_bindings[port];
            for (const auto& b : list) {
                PortBinding binding;
                if (parsed(PortBinding::parse(b.value("HostIp", ""), b.value("HostPort", "")), "PortBindings." + key, binding))
                    bindings.push_back(binding);
            }
        }
    }
    get_to(d, "PublishAllPorts", c.publish_all_ports);
    if (d.contains("RestartPolicy") && d["RestartPolicy"].is_object()) {
        c.restart_policy.name = d["RestartPolicy"].value("Name", "no");
        c.restart_policy.maximum_retry_count = d["RestartPolicy"].value("MaximumRetryCount", 0);
    }
    get_to(d, "AutoRemove", c.auto_remove);
    get_to(d, "CapAdd", c.cap_add);
    get_to(d, "CapDrop", c.cap_drop);
    get_to(d, "Privileged", c.privileged);
    get_to(d, "ReadonlyRootfs", c.readonly_rootfs);
    if (d.contains("Init") && d["Init"].is_boolean())
        c.init = d["Init"].get<bool>();
    get_to(d, "Memory", c.memory);
    get_to(d, "MemorySwap", c.memory_swap);
    get_to(d, "NanoCpus", c.nano_cpus);
    get_to(d, "CpuShares", c.cpu_shares);
    get_to(d, "CpuQuota", c.cpu_quota);
    get_to(d, "CpuPeriod", c.cpu_period);
    if (d.contains("PidsLimit") && d["PidsLimit"].is_number())
        c.pids_limit = d["PidsLimit"].get<std::int64_t>();
    get_to(d, "MemoryReservation", c.memory_reservation);
    get_to(d, "BlkioWeight", c.blkio_weight);
    get_to(d, "CpusetCpus", c.cpuset_cpus);
    get_to(d, "CpusetMems", c.cpuset_mems);
    get_to(d, "LogConfig", c.log_config);
    get_to(d, "Isolation", c.isolation);
    get_to(d, "VolumeDriver", c.volume_driver);
    get_to(d, "GroupAdd", c.group_add);
    get_to(d, "Links", c.links);
    get_to(d, "Dns", c.dns);
    get_to(d, "ExtraHosts", c.extra_hosts);
    get_to(d, "SecurityOpt", c.security_opt);
    get_to(d, "ConsoleSize", c.console_size);
    get_to(d, "NetworkAliases", c.network_aliases);
    get_to(d, "NetworkIPv4", c.network_ipv4);
    get_to(d, "NetworkIPv6", c.network_ipv6);
    get_to(d, "MacAddress", c.mac_address);
    get_to(d, "NetworkMac", c.network_mac);
    std::string pid_mode;
    get_to(d, "PidMode", pid_mode);
    parsed(PidMode::parse(pid_mode), "PidMode", c.pid_mode);
    std::vector<std::string> volumes_from;
    get_to(d, "VolumesFrom", volumes_from);
    for (const auto& text : volumes_from) {
        VolumesFrom entry;
        if (parsed(VolumesFrom::parse(text), "VolumesFrom", entry))
            c.volumes_from.push_back(entry);
    }
    get_to(d, "DeviceCgroupRules", c.device_cgroup_rules);
    return c;
}

// The published ports as bound (NetworkSettings.Ports), so a daemon that re-adopts a running
// container after a crash publishes a port the kernel chose (-p 80, -P) on the same host port.
static json ports_to_json(const std::map<std::string, std::vector<PortBinding>>& ports)
{
    json out = json::object();
    for (const auto& [key, bindings] : ports) {
        json list = json::array();
        for (const auto& b : bindings)
            list.push_back({ { "HostIp", b.host_ip }, { "HostPort", b.host_port_text() } });
        out[key] = list;
    }
    return out;
}

json container_to_json(const ContainerView& v, const std::vector<RecordedMount>& mounts, const ProcessIdentity& process)
{
    json recorded = json::array();
    for (const auto& m : mounts)
        recorded.push_back({ { "Type", m.type }, { "Name", m.name }, { "Source", m.source },
            { "Destination", m.destination }, { "ReadOnly", m.read_only }, { "Anonymous", m.anonymous },
            { "CopyUpPending", m.copy_up_pending }, { "TmpfsOptions", m.tmpfs_options }, { "Propagation", m.propagation }, { "Mode", m.mode } });
    return {
        { "SchemaVersion", 1 },
        { "Id", v.id },
        { "Name", v.name },
        { "Created", v.created },
        { "ImageId", v.image_id },
        { "ImageRef", v.config.image.text }, // Older versions read the name here.
        { "Path", v.path },
        { "Args", v.args },
        { "Config", config_to_json(v.config) },
        { "State",
            { { "Status", std::string(status_name(v.state.status)) }, { "Pid", v.state.pid },
                { "ExitCode", v.state.exit_code }, { "OOMKilled", v.state.oom_killed }, { "Error", v.state.error },
                { "StartedAt", v.state.started_at }, { "FinishedAt", v.state.finished_at },
                { "RestartCount", v.state.restart_count }, { "StoppedByUser", v.state.stopped_by_user },
                { "PidStartTime", process.start_time }, { "StdoutPipe", process.stdout_pipe },
                { "StderrPipe", process.stderr_pipe } } },
        { "Mounts", recorded },
        { "LowerDirs", v.lower_dirs },
        { "UpperDir", v.upper_dir },
        { "WorkDir", v.work_dir },
        { "Rootfs", v.rootfs },
        { "LogPath", v.log_path },
        { "HostnamePath", v.hostname_path },
        { "HostsPath", v.hosts_path },
        { "ResolvConfPath", v.resolv_conf_path },
        { "Warnings", v.warnings },
        { "Ports", ports_to_json(v.ports) },
    };
}

static Status status_from_name(const std::string& name)
{
    for (auto s : { Status::Created, Status::Running, Status::Paused, Status::Restarting, Status::Removing,
             Status::Exited, Status::Dead })
        if (status_name(s) == name)
            return s;
    return Status::Exited;
}

Result<void> container_from_json(const json& d, ContainerView& v, std::vector<RecordedMount>& mounts, ProcessIdentity& process)
{
    try {
        v.id = d.at("Id").get<std::string>();
        v.name = d.value("Name", "");
        v.created = d.value("Created", "");
        v.image_id = d.value("ImageId", "");
        v.path = d.value("Path", "");
        get_to(d, "Args", v.args);
        v.config = config_from_json(d.value("Config", json::object()));
        auto state = d.value("State", json::object());
        v.state.status = status_from_name(state.value("Status", "exited"));
        v.state.pid = state.value("Pid", 0);
        v.state.exit_code = state.value("ExitCode", 0);
        v.state.oom_killed = state.value("OOMKilled", false);
        v.state.error = state.value("Error", "");
        v.state.started_at = state.value("StartedAt", v.state.started_at);
        v.state.finished_at = state.value("FinishedAt", v.state.finished_at);
        v.state.restart_count = state.value("RestartCount", 0);
        v.state.stopped_by_user = state.value("StoppedByUser", false);
        // Records written before these were kept have none: 0 says "not known" (recovery.h).
        process.start_time = state.value("PidStartTime", std::uint64_t { 0 });
        process.stdout_pipe = state.value("StdoutPipe", std::uint64_t { 0 });
        process.stderr_pipe = state.value("StderrPipe", std::uint64_t { 0 });
        for (const auto& m : d.value("Mounts", json::array())) {
            RecordedMount r;
            r.type = m.value("Type", "");
            r.name = m.value("Name", "");
            r.source = m.value("Source", "");
            r.destination = m.value("Destination", "");
            r.read_only = m.value("ReadOnly", false);
            r.anonymous = m.value("Anonymous", false);
            r.copy_up_pending = m.value("CopyUpPending", false);
            r.tmpfs_options = m.value("TmpfsOptions", "");
            // Records written before propagation was kept had Docker's default for binds.
            r.propagation = m.value("Propagation", r.type == "bind" ? "rprivate" : "");
            // Records written before the -v options were kept: "ro" was all a bind showed.
            r.mode = m.value("Mode", r.read_only ? "ro" : "");
            mounts.push_back(r);
        }
        get_to(d, "LowerDirs", v.lower_dirs);
        v.upper_dir = d.value("UpperDir", "");
        v.work_dir = d.value("WorkDir", "");
        v.rootfs = d.value("Rootfs", "");
        v.log_path = d.value("LogPath", "");
        v.hostname_path = d.value("HostnamePath", "");
        v.hosts_path = d.value("HostsPath", "");
        v.resolv_conf_path = d.value("ResolvConfPath", "");
        get_to(d, "Warnings", v.warnings);
        if (d.contains("Ports") && d["Ports"].is_object()) {
            for (const auto& [key, list] : d["Ports"].items()) {
                if (!list.is_array())
                    continue;
                for (const auto& b : list) {
                    auto binding = PortBinding::parse(b.value("HostIp", ""), b.value("HostPort", ""));
                    if (binding.ok() && binding.value().host_port != 0)
                        v.ports[key].push_back(binding.value());
                }
            }
        }
    } catch (const json::exception& e) {
        return Error::invalid(std::string("container record: ") + e.what());
    }
    return Ok {};
}

} // namespace engine::daemon
