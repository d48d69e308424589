// Creating a container: the name checked and reserved, the image's config merged under the
// request's, volumes and binds resolved, and the record written, all before anything runs.
// Everything that can be refused is refused here, so a start only fails for what the kernel
// says at that moment. The runtime spec a start builds from the record is in runtime_spec.cpp.
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "engine/base/fs.h"
#include "engine/base/safe_path.h"
#include "engine/base/strings.h"
#include "engine/daemon/container_update.h"
#include "engine/daemon/create_options.h"
#include "engine/daemon/engine_internal.h"
#include "engine/daemon/health.h"

namespace engine::daemon {

std::string now_rfc3339() { return strings::rfc3339_nano(std::chrono::system_clock::now()); }

bool valid_container_name(const std::string& name)
{
    if (name.empty())
        return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(name[0]))
        return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

std::string env_key(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// The host's CPUs or memory nodes as the kernel lists them ("0-3"); "0" where the file is
// missing (a kernel without NUMA has no node directory and one node, 0).
static std::string online_list(const char* path)
{
    auto online = fs::read_file(path);
    auto list = online.ok() ? strings::trim(online.value()) : std::string();
    return list.empty() ? "0" : list;
}

Result<void> check_cpuset(const std::string& cpus)
{
    return check_cpuset_list(CpusetKind::Cpus, cpus, online_list("/sys/devices/system/cpu/online"));
}

Result<void> check_cpuset_mems(const std::string& mems)
{
    return check_cpuset_list(CpusetKind::Mems, mems, online_list("/sys/devices/system/node/online"));
}

Result<CreateResult> Engine::create_container(const std::string& requested_name, ContainerConfig config)
{
    if (config.image.text.empty())
        return Error::invalid("no image given: say which image to run (for example busybox:1.35.0)");
    if (!config.isolation.empty() && config.isolation != "default")
        return Error::invalid("invalid isolation '" + config.isolation + "' on linux");
    if (!config.volume_driver.empty() && config.volume_driver != "local")
        return Error::not_found("error looking up volume plugin " + config.volume_driver + ": plugin \"" + config.volume_driver
            + "\" not found (glassbox has only the local volume driver)");
    const auto create_began = PhaseTrace::Clock::now();
    auto image_result = m_images->resolve(config.image);
    if (!image_result.ok()) {
        if (image_result.error().kind() == ErrorKind::NotFound)
            return Error::not_found("No such image: " + config.image.text);
        return image_result.release_error();
    }
    auto image = image_result.release_value();
    const auto image_resolved = PhaseTrace::Clock::now();

    std::string name = requested_name;
    if (!name.empty() && name[0] == '/')
        name = name.substr(1);
    if (!name.empty() && !valid_container_name(name))
        return Error::invalid("Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");

    // Merge the image's defaults into what the user asked for, as Docker does.
    const auto& image_config = image.config.defaults();
    const std::vector<std::string> none;
    std::vector<std::string> env = image_config.env.value_or(none);
    for (const auto& entry : config.env) {
        auto key = env_key(entry);
        std::erase_if(env, [&](const std::string& existing) { return env_key(existing) == key; });
        env.push_back(entry);
    }
    config.env = env;
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    if (config.entrypoint) {
        // An explicit --entrypoint resets the image's CMD too.
        entrypoint = *config.entrypoint;
        if (entrypoint.size() == 1 && entrypoint[0].empty())
            entrypoint.clear();
        if (config.cmd)
            cmd = *config.cmd;
    } else {
        entrypoint = image_config.entrypoint.value_or(none);
        cmd = config.cmd ? *config.cmd : image_config.cmd.value_or(none);
    }
    if (config.cmd && config.cmd->empty() && !config.entrypoint)
        cmd = image_config.cmd.value_or(none);
    std::vector<std::string> argv = entrypoint;
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    if (argv.empty())
        return Error::invalid("no command specified: the image " + config.image.text + " has no CMD or ENTRYPOINT; give one after the image name");
    config.entrypoint = entrypoint.empty() ? std::nullopt : std::optional(entrypoint);
    config.cmd = cmd;
    if (config.working_dir.empty())
        config.working_dir = image_config.working_dir.value_or("");
    if (!config.working_dir.empty() && config.working_dir[0] != '/')
        return Error::invalid("the working directory '" + config.working_dir + "' is invalid: it needs to be an absolute path");
    if (config.user.empty())
        config.user = image_config.user.value_or("");
    if (config.stop_signal.empty())
        config.stop_signal = image_config.stop_signal.value_or("");
    if (!config.stop_signal.empty())
        TRY_CTX(runtime::parse_signal(config.stop_signal), "stop signal");
    merge_image_healthcheck(config, image_config);
    if (image_config.exposed_ports)
        for (const auto& port : *image_config.exposed_ports)
            config.exposed_ports.emplace(port.key(), nlohmann::json::object());
    for (const auto& [port, bindings] : config.port_bindings)
        config.exposed_ports.emplace(port.key(), nlohmann::json::object());
    if (image_config.labels)
        config.labels.insert(image_config.labels->begin(), image_config.labels->end());
    std::map<std::string, nlohmann::json> anonymous = config.volumes;
    if (image_config.volumes)
        for (const auto& path : *image_config.volumes)
            anonymous.emplace(path, nlohmann::json::object());

    // Validate limits and policies before anything is created.
    if (config.memory != 0 && config.memory < 6 * 1024 * 1024)
        return Error::invalid("Minimum memory limit allowed is 6MB");
    if (config.memory_swap > 0 && config.memory > 0 && config.memory_swap < config.memory)
        return Error::invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (config.nano_cpus < 0 || config.cpu_shares < 0)
        return Error::invalid("cpu limits cannot be negative");
    // The CFS period and quota reach the cgroup as given, so they get dockerd's create checks
    // (the range of each, and NanoCpus with either is a conflict), which an update shares.
    ResourceUpdate cfs;
    cfs.nano_cpus = config.nano_cpus;
    cfs.cpu_period = config.cpu_period;
    cfs.cpu_quota = config.cpu_quota;
    TRY(validate_update(cfs));
    TRY(validate_restart_policy(config.restart_policy));
    if (config.restart_policy.name.empty())
        config.restart_policy.name = "no";
    if (config.auto_remove && config.restart_policy.name != "no")
        return Error::invalid("can't create 'AutoRemove' container with restart policy");
    if (config.memory_reservation != 0 && config.memory_reservation < 6 * 1024 * 1024)
        return Error::invalid("Minimum memory reservation allowed is 6MB");
    if (config.blkio_weight != 0 && (config.blkio_weight < 10 || config.blkio_weight > 1000))
        return Error::invalid("Range of blkio weight is from 10 to 1000");
    if (!config.cpuset_cpus.empty())
        TRY(check_cpuset(config.cpuset_cpus));
    if (!config.cpuset_mems.empty())
        TRY(check_cpuset_mems(config.cpuset_mems));
    // A memory limit without MemorySwap gets as much swap again: dockerd records MemorySwap as
    // twice Memory at create, and inspect and the memsw limit show it.
    if (config.memory > 0 && config.memory_swap == 0)
        config.memory_swap = 2 * config.memory;
    // PidMode: the host's PID namespace, or another container's. That one is kept by full id,
    // as dockerd keeps it, so a rename does not lose it; an unknown one is dockerd's 400.
    if (config.pid_mode.is(PidMode::Kind::Container)) {
        auto other = find_container(config.pid_mode.container);
        if (!other.ok())
            return Error::invalid(other.error().message());
        config.pid_mode.container = other.value()->view.id;
    }
    // Legacy links: dockerd still accepts them on the default bridge, so glassbox does too,
    // with the course's reason they are not taught (lessons/ explains it).
    std::vector<std::string> link_warnings;
    for (const auto& link : config.links) {
        auto target = link.substr(0, link.find(':'));
        if (!find_container(target).ok())
            return Error::not_found("could not get container for " + target);
    }
    if (!config.links.empty())
        link_warnings.push_back("--link is a deprecated legacy feature: it only works on the default bridge network and "
                                "is not updated when the linked container restarts. Prefer a user-defined network "
                                "(docker network create NET; docker run --network NET), where containers find each other by name");

    // Every mount is checked before anything is created, so a bad one creates nothing (the API
    // layer parsed Binds and Mounts; Tmpfs and the image's volumes are checked here).
    std::vector<volume::MountSpec> specs = config.bind_specs;
    specs.insert(specs.end(), config.mounts.begin(), config.mounts.end());
    for (const auto& [path, options] : config.tmpfs) {
        volume::MountSpec tmpfs;
        tmpfs.type = volume::MountSpec::Type::Tmpfs;
        tmpfs.target = path;
        tmpfs.tmpfs_options = options;
        if (path.empty() || path[0] != '/')
            return Error::invalid("invalid tmpfs mount \"" + path + "\": the container path must be absolute");
        specs.push_back(tmpfs);
    }
    // VolumesFrom: the other containers' volumes and binds at the same destinations (not their
    // tmpfs mounts, which are their own memory), read-only with ":ro". This container's own
    // binds and mounts win over them, and they win over the image's anonymous volumes.
    std::vector<RecordedMount> inherited;
    for (const auto& from : config.volumes_from) {
        auto other = find_container(from.container);
        if (!other.ok())
            return Error::invalid(other.error().message());
        std::vector<RecordedMount> theirs;
        {
            std::lock_guard lock(m_impl->mutex);
            theirs = other.value()->recorded_mounts;
        }
        for (auto mount : theirs) {
            auto same_target = [&](const std::string& target) { return target == mount.destination; };
            if (mount.type == "tmpfs" || std::any_of(specs.begin(), specs.end(), [&](const auto& s) { return same_target(s.target); })
                || std::any_of(inherited.begin(), inherited.end(), [&](const auto& m) { return same_target(m.destination); }))
                continue;
            mount.read_only = mount.read_only || from.read_only();
            // The volume stays the other container's: removing this one with -v must not delete it.
            mount.anonymous = false;
            mount.copy_up_pending = false;
            inherited.push_back(mount);
        }
    }
    for (const auto& [path, value] : anonymous) {
        (void)value;
        if (std::any_of(inherited.begin(), inherited.end(), [&](const auto& m) { return m.destination == path; }))
            continue;
        if (path.empty() || path[0] != '/' || path == "/" || path.find("..") != std::string::npos)
            return Error::invalid("invalid volume path \"" + path + "\" in the image or request: it must be an absolute path below /");
        // Compared as the kernel will resolve it ("//proc", "/./proc"), as create checks Binds.
        auto parts = safe_path::clean_components(path);
        if (parts.empty() || parts.front() == "proc" || parts.front() == "sys" || (parts.size() == 1 && parts.front() == "dev"))
            return Error::invalid("invalid volume path \"" + path + "\": a volume cannot cover /, /proc, /sys or /dev");
        bool covered = std::any_of(specs.begin(), specs.end(), [&](const auto& s) { return s.target == path; });
        if (!covered) {
            volume::MountSpec anon;
            anon.target = path;
            specs.push_back(anon);
        }
    }
    for (size_t i = 0; i < specs.size(); ++i)
        for (size_t j = i + 1; j < specs.size(); ++j)
            if (specs[i].target == specs[j].target)
                return Error::invalid("Duplicate mount point: " + specs[i].target);

    // Reserve the name.
    auto id = strings::random_hex_id();
    {
        std::lock_guard lock(m_impl->mutex);
        if (name.empty()) {
            // There are 400 adjective_scientist pairs: after a few collisions a number is
            // appended, as Docker's generator does, or the 401st container would spin here
            // forever holding the engine's lock (found by tests/e2e/test_scale.py).
            for (int attempt = 0; name.empty() || m_impl->names.contains(name); ++attempt)
                name = random_container_name() + (attempt < 8 ? "" : std::to_string(attempt));
        } else if (auto it = m_impl->names.find(name); it != m_impl->names.end()) {
            return Error::conflict("Conflict. The container name \"/" + name + "\" is already in use by container \""
                + it->second + "\". You have to remove (or rename) that container to be able to reuse that name.");
        }
        m_impl->names[name] = id;
    }
    auto release_name = [&] {
        std::lock_guard lock(m_impl->mutex);
        m_impl->names.erase(name);
    };

    // Resolve mounts: named volumes are created on first use, anonymous ones get a random name.
    std::vector<RecordedMount> recorded;
    std::vector<std::string> created_anonymous;
    auto fail = [&](Error error) -> Result<CreateResult> {
        for (const auto& anon : created_anonymous)
            (void)m_volumes->remove(anon, true, "");
        release_name();
        return error;
    };
    for (const auto& spec : specs) {
        RecordedMount mount;
        mount.destination = spec.target;
        mount.read_only = spec.read_only;
        if (spec.type == volume::MountSpec::Type::Tmpfs) {
            mount.type = "tmpfs";
            mount.tmpfs_options = spec.tmpfs_options;
        } else if (spec.type == volume::MountSpec::Type::Bind) {
            mount.type = "bind";
            mount.source = spec.source;
            mount.propagation = spec.propagation.empty() ? "rprivate" : spec.propagation;
            mount.mode = spec.mode;
            if (!fs::exists(spec.source)) {
                // `-v /host:/in` creates a missing host directory (Docker does); `--mount` refuses.
                if (!spec.create_missing_source)
                    return fail(Error::invalid("invalid mount config for type \"bind\": bind source path does not exist: " + spec.source));
                auto made = fs::make_dirs(spec.source);
                if (!made.ok())
                    return fail(made.release_error());
            }
        } else {
            mount.type = "volume";
            Result<volume::Volume> vol = spec.source.empty() ? m_volumes->create_anonymous() : m_volumes->create(spec.source);
            if (!vol.ok())
                return fail(vol.release_error());
            mount.name = vol.value().name;
            mount.source = vol.value().mountpoint;
            mount.anonymous = spec.source.empty();
            if (mount.anonymous)
                created_anonymous.push_back(mount.name);
            else
                publish({ "volume", "create", mount.name, { { "driver", "local" } }, 0 });
            mount.copy_up_pending = !spec.no_copy && m_volumes->is_empty(mount.name);
        }
        recorded.push_back(mount);
    }
    recorded.insert(recorded.end(), inherited.begin(), inherited.end());

    // The container's own directories: overlay upper and work dirs, the merged mount point.
    auto container = std::make_shared<Container>();
    container->dir = m_options.root + "/containers/" + id;
    // The upper directory's own mode becomes the mode of "/" inside the container, so it must
    // be 0755 like an image's root, or non-root users could not reach anything.
    for (const auto* sub : { "/upper", "/work", "/rootfs" }) {
        auto made = fs::make_dirs(container->dir + sub, std::string_view(sub) == "/work" ? 0700 : 0755);
        if (!made.ok()) {
            (void)fs::remove_tree(container->dir);
            return fail(made.release_error());
        }
    }
    auto& view = container->view;
    view.id = id;
    view.name = name;
    view.created = now_rfc3339();
    view.image_id = image.id;
    view.path = argv[0];
    view.args.assign(argv.begin() + 1, argv.end());
    view.config = config;
    view.config.volumes = anonymous;
    if (view.config.hostname.empty())
        view.config.hostname = id.substr(0, 12);
    for (const auto& layer : image.layers)
        view.lower_dirs.push_back(layer.directory);
    view.upper_dir = container->dir + "/upper";
    view.work_dir = container->dir + "/work";
    view.rootfs = container->dir + "/rootfs";
    view.log_path = container->dir + "/" + id + "-json.log";
    view.hostname_path = container->dir + "/hostname";
    view.hosts_path = container->dir + "/hosts";
    view.resolv_conf_path = container->dir + "/resolv.conf";
    view.cgroup_paths = runtime::Cgroup::for_name("glassbox/" + id).paths();
    if (config.network_mode.is(NetworkMode::Kind::Host))
        view.warnings.push_back("host networking: the container shares the host's network namespace, so it has no "
                                "network isolation (its ports are the host's ports)");
    view.warnings.insert(view.warnings.end(), link_warnings.begin(), link_warnings.end());
    if (config.memory > 0 && !m_features.has("cgroup.memory"))
        view.warnings.push_back("memory limit ignored: " + (m_features.find("cgroup.memory") ? m_features.find("cgroup.memory")->detail : std::string("no memory cgroup")));
    container->recorded_mounts = recorded;
    container->hub = std::make_unique<OutputHub>(view.log_path);
    container->trace = m_impl->traces.open(id);
    container->trace->add("image resolve", create_began, image_resolved);
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->containers[id] = container;
    }
    persist(*container);
    record_phase(container->trace, "create (record, volumes, directories)", image_resolved);
    publish({ "container", "create", id, { { "image", config.image.text }, { "name", name } }, 0 });
    return CreateResult { id, view.warnings };
}

} // namespace engine::daemon
