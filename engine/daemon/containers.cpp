// Container lifecycle: create (image config merged, mounts resolved), start (overlay root,
// network sandbox, process), supervise (output pump, exit status, OOM, restart policy, --rm),
// stop (STOPSIGNAL, grace period, SIGKILL), kill, remove, wait, attach, logs.
// Lesson: lessons/05-pid1-signals/ (why `stop` of a PID 1 without a handler waits out the grace period).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/safe_path.h"
#include "engine/base/strings.h"
#include "engine/daemon/container_update.h"
#include "engine/daemon/create_options.h"
#include "engine/daemon/engine_internal.h"
#include "engine/daemon/health.h"
#include "engine/daemon/recovery.h"
#include "engine/runtime/devices.h"
#include "engine/runtime/mount_propagation.h"
#include "engine/runtime/seccomp.h"
#include "engine/state/collector.h"
#include "engine/volume/copy.h"

namespace engine::daemon {

using namespace std::chrono_literals;

std::string_view status_name(Status status)
{
    switch (status) {
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Paused: return "paused";
    case Status::Restarting: return "restarting";
    case Status::Removing: return "removing";
    case Status::Exited: return "exited";
    case Status::Dead: return "dead";
    }
    return "exited";
}

static std::string now_rfc3339() { return strings::rfc3339_nano(std::chrono::system_clock::now()); }

// [SECTION] Lookup and persistence

Result<std::shared_ptr<Container>> Engine::find_container(const std::string& ref) const
{
    std::string key = ref;
    if (!key.empty() && key[0] == '/')
        key = key.substr(1);
    std::lock_guard lock(m_impl->mutex);
    if (auto it = m_impl->containers.find(key); it != m_impl->containers.end())
        return it->second;
    if (auto it = m_impl->names.find(key); it != m_impl->names.end())
        return m_impl->containers.at(it->second);
    std::shared_ptr<Container> match;
    if (!key.empty()) {
        for (const auto& [id, container] : m_impl->containers) {
            if (strings::starts_with(id, key)) {
                if (match)
                    return Error::invalid("multiple IDs found with provided prefix: " + ref);
                match = container;
            }
        }
    }
    if (!match)
        return Error::not_found("No such container: " + ref);
    return match;
}

void Engine::persist(const Container& container) const
{
    nlohmann::json doc;
    {
        std::lock_guard lock(m_impl->mutex);
        doc = container_to_json(container.view, container.recorded_mounts, container.process);
    }
    // The first write (at create) is synced, so a created container survives a power loss;
    // later ones record a start, an exit or a rename, state that a reboot ends anyway, so they
    // replace the record atomically without the fsyncs on every run's path.
    const auto path = container.dir + "/config.v2.json";
    auto result = fs::exists(path) ? fs::write_file_replace(path, doc.dump(2)) : fs::write_file_atomic(path, doc.dump(2));
    if (!result.ok())
        log::error("persist container " + container.view.id + ": " + result.error().describe());
}

// [SECTION] Create

static bool valid_container_name(const std::string& name)
{
    if (name.empty())
        return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(name[0]))
        return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

static std::string env_key(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// A cpuset list ("0-1,3") made only of CPUs this host has, with dockerd's messages.
// The host's CPUs or memory nodes as the kernel lists them ("0-3"); "0" where the file is
// missing (a kernel without NUMA has no node directory and one node, 0).
static std::string online_list(const char* path)
{
    auto online = fs::read_file(path);
    auto list = online.ok() ? strings::trim(online.value()) : std::string();
    return list.empty() ? "0" : list;
}

static Result<void> check_cpuset(const std::string& cpus)
{
    return check_cpuset_list(CpusetKind::Cpus, cpus, online_list("/sys/devices/system/cpu/online"));
}

static Result<void> check_cpuset_mems(const std::string& mems)
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

// [SECTION] The runtime spec

static std::vector<std::string> normalise_caps(const std::vector<std::string>& caps)
{
    std::vector<std::string> out;
    for (auto cap : caps) {
        for (auto& ch : cap)
            if (ch >= 'a' && ch <= 'z')
                ch = static_cast<char>(ch - 'a' + 'A');
        if (cap != "ALL" && !strings::starts_with(cap, "CAP_"))
            cap = "CAP_" + cap;
        out.push_back(cap);
    }
    return out;
}

std::vector<std::string> effective_capabilities(const ContainerConfig& config)
{
    if (config.privileged)
        return runtime::all_capabilities();
    auto add = normalise_caps(config.cap_add);
    auto drop = normalise_caps(config.cap_drop);
    std::vector<std::string> caps;
    bool add_all = std::find(add.begin(), add.end(), "ALL") != add.end();
    bool drop_all = std::find(drop.begin(), drop.end(), "ALL") != drop.end();
    if (add_all)
        caps = runtime::all_capabilities();
    else if (!drop_all)
        caps = runtime::default_capabilities();
    for (const auto& cap : add)
        if (cap != "ALL" && std::find(caps.begin(), caps.end(), cap) == caps.end())
            caps.push_back(cap);
    std::erase_if(caps, [&](const std::string& cap) { return std::find(drop.begin(), drop.end(), cap) != drop.end(); });
    return caps;
}

static runtime::ContainerSpec make_spec(const Container& container, const EngineOptions& options)
{
    const auto& view = container.view;
    const auto& config = view.config;
    runtime::ContainerSpec spec;
    spec.id = view.id;
    spec.hostname = config.hostname;
    spec.domainname = config.domainname;
    spec.lower_dirs = view.lower_dirs;
    spec.upper_dir = view.upper_dir;
    spec.work_dir = view.work_dir;
    spec.rootfs = view.rootfs;
    spec.readonly_rootfs = config.readonly_rootfs;

    auto& process = spec.process;
    process.args.push_back(view.path);
    process.args.insert(process.args.end(), view.args.begin(), view.args.end());
    process.env = config.env;
    auto has_env = [&](const std::string& key) {
        return std::any_of(process.env.begin(), process.env.end(), [&](const std::string& e) { return env_key(e) == key; });
    };
    if (!has_env("PATH"))
        process.env.insert(process.env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (!has_env("HOSTNAME"))
        process.env.push_back("HOSTNAME=" + config.hostname);
    if (config.tty && !has_env("TERM"))
        process.env.push_back("TERM=xterm");
    process.cwd = config.working_dir.empty() ? "/" : config.working_dir;
    process.user = config.user;
    process.additional_groups = config.group_add;
    process.tty = config.tty;
    process.open_stdin = config.open_stdin;
    if (config.console_size.size() == 2) {
        process.console_rows = config.console_size[0];
        process.console_cols = config.console_size[1];
    }
    process.capabilities = effective_capabilities(config);
    process.no_new_privileges = std::find(config.security_opt.begin(), config.security_opt.end(), "no-new-privileges") != config.security_opt.end()
        || std::find(config.security_opt.begin(), config.security_opt.end(), "no-new-privileges:true") != config.security_opt.end();

    for (const auto& mount : container.recorded_mounts) {
        runtime::MountEntry entry;
        entry.type = mount.type == "tmpfs" ? runtime::MountEntry::Type::Tmpfs : runtime::MountEntry::Type::Bind;
        entry.source = mount.source;
        entry.destination = mount.destination;
        entry.read_only = mount.read_only;
        entry.options = mount.tmpfs_options;
        entry.propagation = mount.type == "bind" ? mount.propagation : "";
        spec.mounts.push_back(entry);
    }
    // The daemon-managed files, as Docker bind-mounts them.
    for (const auto& [source, destination] : { std::pair { view.hostname_path, "/etc/hostname" },
             std::pair { view.hosts_path, "/etc/hosts" }, std::pair { view.resolv_conf_path, "/etc/resolv.conf" } }) {
        if (source.empty() || !fs::exists(source))
            continue;
        runtime::MountEntry entry;
        entry.source = source;
        entry.destination = destination;
        entry.read_only = config.readonly_rootfs;
        spec.mounts.push_back(entry);
    }

    spec.netns_path = view.netns_path;
    if (config.network_mode.is(NetworkMode::Kind::Host))
        spec.netns_path = "host";

    spec.resources.memory_bytes = config.memory;
    spec.resources.memory_swap_bytes = config.memory_swap;
    spec.resources.pids_limit = config.pids_limit.value_or(0);
    spec.resources.nano_cpus = config.nano_cpus;
    if (spec.resources.nano_cpus == 0 && config.cpu_quota > 0) {
        auto period = config.cpu_period > 0 ? config.cpu_period : 100000;
        spec.resources.nano_cpus = config.cpu_quota * 1000000000LL / period;
    }
    spec.resources.cpu_shares = config.cpu_shares;
    // CpuPeriod applies with or without CpuQuota, as dockerd writes it (NanoCpus sets its own).
    spec.resources.cpu_period_us = config.nano_cpus == 0 ? config.cpu_period : 0;
    spec.resources.cpuset_cpus = config.cpuset_cpus;
    spec.resources.cpuset_mems = config.cpuset_mems;
    spec.resources.memory_reservation_bytes = config.memory_reservation;
    spec.resources.blkio_weight = config.blkio_weight;
    // Docker's device allow-list plus DeviceCgroupRules; --privileged may use every device.
    spec.resources.restrict_devices = !config.privileged;
    if (spec.resources.restrict_devices) {
        spec.resources.device_rules = runtime::default_device_rules();
        spec.resources.device_rules.insert(spec.resources.device_rules.end(), config.device_cgroup_rules.begin(),
            config.device_cgroup_rules.end());
    }
    spec.share_host_pid = config.pid_mode.is(PidMode::Kind::Host);
    spec.cgroup_name = "glassbox/" + view.id;
    spec.privileged = config.privileged;
    spec.seccomp_profile_json = runtime::seccomp_profile_for(config.privileged, config.security_opt);
    if (!config.privileged) {
        spec.masked_paths = runtime::default_masked_paths();
        spec.readonly_paths = runtime::default_readonly_paths();
    }
    spec.init = config.init.value_or(false);
    spec.init_path = options.init_path;
    return spec;
}

// [SECTION] Start

Result<void> Engine::write_container_files(const std::shared_ptr<Container>& container)
{
    const auto& view = container->view;
    const auto& config = view.config;
    if (m_impl->networks) {
        network::ContainerFileOptions options;
        options.hostname = config.hostname;
        options.domainname = config.domainname;
        options.dns = config.dns;
        options.extra_hosts = config.extra_hosts;
        // Legacy links become /etc/hosts lines for the linked container's address, under the
        // alias and the name, as dockerd writes them on the default bridge.
        for (const auto& link : config.links) {
            auto colon = link.find(':');
            auto target = link.substr(0, colon);
            auto alias = colon == std::string::npos ? target : link.substr(colon + 1);
            auto linked = find_container(target);
            if (!linked.ok())
                continue;
            std::lock_guard lock(m_impl->mutex);
            const auto& endpoints = linked.value()->view.endpoints;
            if (endpoints.empty() || endpoints.front().ip_address.empty())
                continue;
            auto name = linked.value()->view.name;
            for (const auto& host : { alias, name })
                options.extra_hosts.push_back(host + ":" + endpoints.front().ip_address);
        }
        options.host_network = config.network_mode.is(NetworkMode::Kind::Host);
        auto files = TRY(m_impl->networks->write_container_files(view.id, options, container->dir));
        std::lock_guard lock(m_impl->mutex);
        container->view.hosts_path = files.hosts_path;
        container->view.resolv_conf_path = files.resolv_conf_path;
        container->view.hostname_path = files.hostname_path;
        return Ok {};
    }
    // Without a network manager: loopback names, the host's resolvers minus loopback ones.
    std::string hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    for (const auto& extra : config.extra_hosts) {
        auto colon = extra.find(':');
        if (colon != std::string::npos)
            hosts += extra.substr(colon + 1) + "\t" + extra.substr(0, colon) + "\n";
    }
    std::string resolv;
    if (!config.dns.empty()) {
        for (const auto& server : config.dns)
            resolv += "nameserver " + server + "\n";
    } else if (auto host = fs::read_file("/etc/resolv.conf"); host.ok()) {
        for (const auto& line : strings::split(host.value(), '\n'))
            if (!strings::starts_with(line, "nameserver 127.") && !line.empty())
                resolv += line + "\n";
    }
    // Written again from the record at every start, so atomic but not synced.
    TRY(fs::write_file_replace(view.hostname_path, config.hostname + "\n"));
    TRY(fs::write_file_replace(view.hosts_path, hosts));
    TRY(fs::write_file_replace(view.resolv_conf_path, resolv));
    return Ok {};
}

Result<void> Engine::start_container(const std::string& ref)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status == Status::Running)
            return Error::make(ErrorKind::NotModified, "container " + container->view.name + " is already running");
        if (status == Status::Removing || status == Status::Dead)
            return Error::conflict("container " + container->view.name + " is marked for removal and cannot be started");
        if (status == Status::Paused)
            return Error::conflict("cannot start a paused container, try unpause instead");
        container->view.state.stopped_by_user = false;
        container->restart_cancelled = false;
        container->backoff_ms = 0;
    }
    auto started = do_start(container);
    // --rm covers a container that never ran too, as Docker's daemon does.
    if (!started.ok() && container->view.config.auto_remove)
        (void)do_remove(container, true);
    return started;
}

Result<void> Engine::do_start(const std::shared_ptr<Container>& container)
{
    const auto id = container->view.id;
    auto fail = [&](Error error) -> Result<void> {
        {
            std::lock_guard lock(m_impl->mutex);
            container->view.state.error = error.describe();
            container->view.state.status = container->view.state.started_at == "0001-01-01T00:00:00Z" ? Status::Created : Status::Exited;
            container->view.state.exit_code = runtime::start_error_exit_code(error);
        }
        teardown_network(container);
        (void)runtime::unmount_rootfs(m_kernel, make_spec(*container, m_options));
        persist(*container);
        // Clients attached before start (docker run) get their stream closed, as dockerd does.
        container->hub->end_of_run();
        return error;
    };

    // The overlay root: the image's layers below, the container's own upper directory on top.
    if (!container->trace)
        container->trace = m_impl->traces.open(id);
    const auto& trace = container->trace;
    auto phase_began = PhaseTrace::Clock::now();
    auto spec = make_spec(*container, m_options);
    auto mounted = runtime::mount_rootfs(m_kernel, spec);
    if (!mounted.ok())
        return fail(mounted.release_error().with_context("mount the container's root filesystem"));
    phase_began = record_phase(trace, "overlay mount", phase_began);

    // A new empty volume is first filled from the image's content at its path, as Docker does;
    // the path is resolved inside the rootfs, where the image's symlinks cannot reach the host.
    for (auto& mount : container->recorded_mounts) {
        if (!mount.copy_up_pending)
            continue;
        auto copied = volume::copy_tree_in_root(spec.rootfs, mount.destination, mount.source);
        if (!copied.ok())
            log::warn("fill volume " + mount.name + " from the image: " + copied.error().describe());
        mount.copy_up_pending = false;
    }

    auto networked = setup_network(container);
    if (!networked.ok())
        return fail(networked.release_error());
    phase_began = record_phase(trace, "network namespace setup", phase_began);
    auto files = write_container_files(container);
    if (!files.ok())
        return fail(files.release_error().with_context("write /etc/hosts, /etc/resolv.conf, /etc/hostname"));
    phase_began = record_phase(trace, "hosts, resolv.conf, hostname", phase_began);

    spec = make_spec(*container, m_options);
    // PidMode container:<id>: that container's PID namespace exists only while it runs.
    if (container->view.config.pid_mode.is(PidMode::Kind::Container)) {
        auto target = container->view.config.pid_mode.container;
        auto other = find_container(target);
        if (!other.ok())
            return fail(Error::not_found("cannot join the PID namespace of container " + target + ": " + other.error().message()));
        Status status = Status::Created;
        int pid = 0;
        {
            std::lock_guard lock(m_impl->mutex);
            status = other.value()->view.state.status;
            pid = other.value()->view.state.pid;
        }
        // dockerd answers this with a 500 too.
        if ((status != Status::Running && status != Status::Paused) || pid <= 0)
            return fail(Error::system("cannot join the PID namespace of container " + target + ": container " + target + " is not running"));
        spec.pidns_path = "/proc/" + std::to_string(pid) + "/ns/pid";
    }
    // A shared or slave bind can only pass on what its source's host mount passes on.
    for (const auto& mount : spec.mounts) {
        auto checked = runtime::check_propagation_source(m_kernel, mount.source, mount.propagation);
        if (!checked.ok())
            return fail(checked.release_error());
    }
    auto started_result = m_options.start_process ? m_options.start_process(m_kernel, spec)
                                                  : runtime::start_container(m_kernel, spec);
    if (!started_result.ok())
        return fail(started_result.release_error());
    auto started = started_result.release_value();
    if (const auto& t = started.timings; trace && t.exec_seen.time_since_epoch().count() != 0) {
        auto cgroup_done = t.cgroup_created.time_since_epoch().count() != 0 ? t.cgroup_created : phase_began;
        trace->add("cgroup create", phase_began, cgroup_done);
        auto joined = t.namespaces_joined.time_since_epoch().count() != 0 ? t.namespaces_joined : cgroup_done;
        trace->add("fork, join cgroup and namespaces", cgroup_done, joined);
        trace->add("rootfs (pivot_root, /proc, /dev) and exec", joined, t.exec_seen);
        phase_began = t.exec_seen;
    } else {
        phase_began = record_phase(trace, "start process", phase_began);
    }

    int stdout_fd = started.stdout_fd.release();
    int stderr_fd = started.stderr_fd.release();
    int pty_fd = started.pty_master.valid() ? ::fcntl(started.pty_master.get(), F_DUPFD_CLOEXEC, 0) : -1;
    // Recorded so that a daemon restarted after a crash can re-adopt this very process and its
    // output pipes (recovery.h). A pty cannot be re-adopted: its master dies with the daemon.
    ProcessIdentity identity { process_start_time(m_kernel, started.pid).value_or(0), pipe_inode(stdout_fd),
        pipe_inode(stderr_fd) };
    {
        std::lock_guard lock(m_impl->mutex);
        auto& state = container->view.state;
        state.status = Status::Running;
        state.pid = started.pid;
        container->process = identity;
        state.exit_code = 0;
        state.oom_killed = false;
        state.error.clear();
        state.started_at = now_rfc3339();
        container->stdin_fd = started.stdin_fd.release();
        container->pty_master = started.pty_master.release();
        container->started_steady = std::chrono::steady_clock::now();
        container->view.cgroup_paths = runtime::Cgroup::for_name(spec.cgroup_name).paths();
        // Stdin that arrived before start (docker run -i sends it right after attach).
        int in = container->pty_master >= 0 ? container->pty_master : container->stdin_fd;
        if (in >= 0 && !container->pending_stdin.empty()) {
            auto data = std::move(container->pending_stdin);
            container->pending_stdin.clear();
            (void)fs::write_all(in, data, "container stdin");
        }
        if (container->pending_stdin_close && container->stdin_fd >= 0) {
            ::close(container->stdin_fd);
            container->stdin_fd = -1;
        }
        container->pending_stdin_close = false;
    }
    {
        std::lock_guard lock(container->wait->mutex);
        container->wait->running = true;
    }
    persist(*container);
    record_phase(trace, "record start", phase_began);
    publish({ "container", "start", id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    int pid = started.pid;
    if (!supervise_on_loop(container, pid, stdout_fd, stderr_fd, pty_fd, started.timings.exec_seen))
        spawn_thread([this, container, pid, stdout_fd, stderr_fd, pty_fd] { supervise(container, pid, stdout_fd, stderr_fd, pty_fd); });
    start_health_monitor(container);
    return Ok {};
}

// Hands the container's output and exit to the daemon's one event loop (supervisor.h): no
// thread waits for a running container. False if the kernel gives no exit notification (no
// pidfd), and the caller supervises on a thread of its own instead.
bool Engine::supervise_on_loop(const std::shared_ptr<Container>& container, int pid, int stdout_fd, int stderr_fd,
    int pty_fd, PhaseTrace::Clock::time_point exec_seen)
{
    auto exit_fd = m_kernel.exit_notification(pid);
    if (!exit_fd.ok())
        return false;
    auto* supervisor = &m_impl->supervisor_loop([this](std::function<void()> body) { spawn_thread(std::move(body)); });
    Supervisor::Process process;
    process.pid = pid;
    process.exit_fd = exit_fd.release_value();
    for (auto [fd, stream] : { std::pair { pty_fd, StreamKind::Stdout }, std::pair { stdout_fd, StreamKind::Stdout },
             std::pair { stderr_fd, StreamKind::Stderr } })
        if (fd >= 0)
            process.outputs.push_back({ fd, stream });
    process.deliver = [container](StreamKind stream, std::string_view data) { container->hub->deliver(stream, data); };
    process.reap = [this](pid_t exited) { return m_kernel.reap_exit(exited); };
    process.exited = [this, container, exec_seen](int exit_code, PhaseTrace::Clock::time_point exit_seen) {
        if (container->trace && exec_seen.time_since_epoch().count() != 0)
            container->trace->add("process runs (until the pidfd reports its exit)", exec_seen, exit_seen);
        record_phase(container->trace, "exit notification to teardown", exit_seen);
        after_exit(container, exit_code);
    };
    auto watched = supervisor->watch(std::move(process));
    if (!watched.ok()) {
        log::warn("supervise " + container->view.id + " on the event loop: " + watched.error().describe());
        return false;
    }
    return true;
}

void Engine::spawn_thread(std::function<void()> body)
{
    m_impl->threads++;
    std::thread([this, body = std::move(body)] {
        body();
        std::lock_guard lock(m_impl->threads_mutex);
        m_impl->threads--;
        m_impl->threads_cv.notify_all();
    }).detach();
}

// Reads the process's output until every stream has ended, handing each chunk to `deliver`.
// A pty master reports EIO once the last slave is closed, which is its end of file.
void pump_output(int stdout_fd, int stderr_fd, int pty_fd, const std::function<void(StreamKind, std::string_view)>& deliver)
{
    struct Source {
        int fd;
        StreamKind stream;
    };
    std::vector<Source> sources;
    if (pty_fd >= 0)
        sources.push_back({ pty_fd, StreamKind::Stdout });
    if (stdout_fd >= 0)
        sources.push_back({ stdout_fd, StreamKind::Stdout });
    if (stderr_fd >= 0)
        sources.push_back({ stderr_fd, StreamKind::Stderr });
    char buf[32768];
    while (!sources.empty()) {
        std::vector<pollfd> fds;
        for (const auto& source : sources)
            fds.push_back({ source.fd, POLLIN, 0 });
        int ready = ::poll(fds.data(), fds.size(), -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t i = fds.size(); i-- > 0;) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            auto n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                deliver(sources[i].stream, std::string_view(buf, static_cast<size_t>(n)));
                continue;
            }
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            ::close(sources[i].fd);
            sources.erase(sources.begin() + static_cast<long>(i));
        }
    }
}

void Engine::supervise(std::shared_ptr<Container> container, int pid, int stdout_fd, int stderr_fd, int pty_fd)
{
    pump_output(stdout_fd, stderr_fd, pty_fd,
        [&](StreamKind stream, std::string_view data) { container->hub->deliver(stream, data); });
    int exit_code = m_kernel.reap_exit(pid);
    after_exit(container, exit_code);
}

void Engine::after_exit(const std::shared_ptr<Container>& container, int exit_code)
{
    const auto id = container->view.id;
    auto teardown_began = PhaseTrace::Clock::now();
    auto spec = make_spec(*container, m_options);
    auto cgroup = runtime::Cgroup::for_name(spec.cgroup_name);
    bool oom = cgroup.stats(m_kernel).oom_kills > container->oom_kills_at_start;
    // PID 1 is gone, so the kernel has killed the rest of its PID namespace; make sure, then
    // remove the cgroup and the overlay mount.
    cgroup.kill_all(m_kernel);
    if (auto removed = cgroup.remove(m_kernel); !removed.ok())
        log::warn("remove cgroup of " + id + ": " + removed.error().describe());
    // The state collector keeps the mount namespaces it read open between snapshots; with the
    // container's processes gone, close its namespace there too, so nothing holds its mounts.
    state::release_unreachable_namespaces();
    teardown_network(container);
    if (auto unmounted = runtime::unmount_rootfs(m_kernel, spec); !unmounted.ok())
        log::warn("unmount root of " + id + ": " + unmounted.error().describe());
    teardown_began = record_phase(container->trace, "teardown (cgroup, network, overlay)", teardown_began);

    bool stopped_by_user = false;
    {
        std::lock_guard lock(m_impl->mutex);
        auto& state = container->view.state;
        state.status = Status::Exited;
        state.exit_code = exit_code;
        state.oom_killed = oom;
        state.pid = 0;
        state.finished_at = now_rfc3339();
        container->process = {};
        stopped_by_user = state.stopped_by_user;
        if (container->stdin_fd >= 0)
            ::close(container->stdin_fd);
        if (container->pty_master >= 0)
            ::close(container->pty_master);
        container->stdin_fd = -1;
        container->pty_master = -1;
    }
    persist(*container);
    container->hub->end_of_run();
    if (oom)
        publish({ "container", "oom", id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    publish({ "container", "die", id,
        { { "exitCode", std::to_string(exit_code) }, { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    {
        std::lock_guard lock(container->wait->mutex);
        container->wait->exits++;
        container->wait->last_exit_code = exit_code;
        container->wait->running = false;
        container->wait->notify_locked();
    }
    record_phase(container->trace, "record exit, notify waiters", teardown_began);

    // Restart policy, with a back-off that doubles from 100 ms (reset after 10 s of running).
    const auto& policy = container->view.config.restart_policy;
    bool restart = false;
    if (!stopped_by_user && !m_impl->shutting_down) {
        if (policy.name == "always" || policy.name == "unless-stopped")
            restart = true;
        else if (policy.name == "on-failure")
            restart = exit_code != 0 && (policy.maximum_retry_count == 0 || container->view.state.restart_count < policy.maximum_retry_count);
    }
    if (restart) {
        auto ran = std::chrono::steady_clock::now() - container->started_steady;
        container->backoff_ms = ran > 10s ? 100 : std::min(std::max(100, container->backoff_ms * 2), 60000);
        {
            std::unique_lock lock(m_impl->mutex);
            container->view.state.status = Status::Restarting;
            container->restart_cv.wait_for(lock, std::chrono::milliseconds(container->backoff_ms),
                [&] { return container->restart_cancelled || m_impl->shutting_down.load(); });
            if (container->restart_cancelled || m_impl->shutting_down) {
                if (container->view.state.status == Status::Restarting)
                    container->view.state.status = Status::Exited;
                return;
            }
        }
        std::lock_guard op(container->op_mutex);
        {
            std::lock_guard lock(m_impl->mutex);
            if (container->restart_cancelled || container->view.state.status != Status::Restarting)
                return;
            container->view.state.restart_count++;
        }
        publish({ "container", "restart", id, { { "name", container->view.name } }, 0 });
        if (auto started = do_start(container); !started.ok())
            log::warn("restart " + container->view.name + ": " + started.error().describe());
        return;
    }
    if (container->view.config.auto_remove) {
        std::lock_guard op(container->op_mutex);
        if (auto removed = do_remove(container, true); !removed.ok())
            log::warn("auto-remove " + container->view.name + ": " + removed.error().describe());
    }
}

// [SECTION] Stop, kill, restart

Result<void> Engine::stop_container(const std::string& ref, std::optional<int> timeout_seconds)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    return do_stop(container, timeout_seconds);
}

Result<void> Engine::do_stop(const std::shared_ptr<Container>& container, std::optional<int> timeout_seconds)
{
    int pid = 0;
    bool paused = false;
    std::string stop_signal;
    int timeout = 10;
    std::uint64_t exits_before = 0;
    {
        std::lock_guard lock(m_impl->mutex);
        auto& state = container->view.state;
        state.stopped_by_user = true;
        if (state.status == Status::Restarting) {
            container->restart_cancelled = true;
            container->restart_cv.notify_all();
            state.status = Status::Exited;
        }
        if (state.status != Status::Running && state.status != Status::Paused)
            return Error::make(ErrorKind::NotModified, "container " + container->view.name + " is not running");
        paused = state.status == Status::Paused;
        pid = state.pid;
        stop_signal = container->view.config.stop_signal.empty() ? "SIGTERM" : container->view.config.stop_signal;
        timeout = timeout_seconds.value_or(container->view.config.stop_timeout.value_or(10));
    }
    persist(*container);
    {
        std::lock_guard lock(container->wait->mutex);
        exits_before = container->wait->exits;
    }
    int signal = TRY(runtime::parse_signal(stop_signal));
    auto exited_within = [&](std::chrono::milliseconds limit) {
        std::unique_lock lock(container->wait->mutex);
        return container->wait->cv.wait_for(lock, limit, [&] { return container->wait->exits > exits_before; });
    };
    // The stop signal first. A PID 1 without a handler for it ignores it (the kernel does not
    // apply default actions to a namespace's init), so the grace period then runs out.
    publish({ "container", "kill", container->view.id, { { "signal", std::to_string(signal) }, { "name", container->view.name } }, 0 });
    (void)m_kernel.send_signal(pid, signal);
    // A paused container gets its stop signal queued, then is thawed to act on it (dockerd
    // does the same, so a handler in PID 1 still runs).
    if (paused)
        thaw_for_exit(container);
    // A negative timeout waits as long as it takes, as Docker's -t -1 does.
    auto grace = timeout < 0 ? std::chrono::milliseconds(std::chrono::hours(24 * 365)) : std::chrono::milliseconds(std::chrono::seconds(timeout));
    if (!exited_within(grace)) {
        (void)m_kernel.send_signal(pid, SIGKILL);
        publish({ "container", "kill", container->view.id, { { "signal", "9" }, { "name", container->view.name } }, 0 });
        if (!exited_within(30s))
            return Error::system("container " + container->view.name + " did not exit after SIGKILL");
    }
    publish({ "container", "stop", container->view.id, { { "name", container->view.name } }, 0 });
    return Ok {};
}

Result<void> Engine::restart_container(const std::string& ref, std::optional<int> timeout_seconds)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    auto stopped = do_stop(container, timeout_seconds);
    if (!stopped.ok() && stopped.error().kind() != ErrorKind::NotModified)
        return stopped;
    {
        std::lock_guard lock(m_impl->mutex);
        container->view.state.stopped_by_user = false;
        container->restart_cancelled = false;
    }
    TRY(do_start(container));
    publish({ "container", "restart", container->view.id, { { "name", container->view.name } }, 0 });
    return Ok {};
}

Result<void> Engine::kill_container(const std::string& ref, const std::string& signal_name)
{
    auto container = TRY(find_container(ref));
    int signal = TRY(runtime::parse_signal(signal_name.empty() ? "SIGKILL" : signal_name));
    bool paused = false;
    std::uint64_t exits_before = 0;
    {
        std::lock_guard wait_lock(container->wait->mutex);
        exits_before = container->wait->exits;
    }
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status != Status::Running && status != Status::Paused)
            return Error::conflict("Cannot kill container: " + ref + ": Container " + container->view.id + " is not running");
        paused = status == Status::Paused;
        TRY_CTX(m_kernel.send_signal(container->view.state.pid, signal), "kill container " + container->view.name);
    }
    publish({ "container", "kill", container->view.id, { { "signal", std::to_string(signal) }, { "name", container->view.name } }, 0 });
    if (signal != SIGKILL)
        return Ok {};
    // SIGKILL: a paused container is thawed so the signal lands, and the answer waits until the
    // container is recorded as exited, as dockerd's does, so an inspect right after sees it.
    if (paused)
        thaw_for_exit(container);
    std::unique_lock wait_lock(container->wait->mutex);
    container->wait->cv.wait_for(wait_lock, 10s, [&] { return container->wait->exits > exits_before; });
    return Ok {};
}

void Engine::thaw_for_exit(const std::shared_ptr<Container>& container)
{
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + container->view.id);
    if (auto thawed = cgroup.thaw(m_kernel); !thawed.ok())
        log::warn("thaw " + container->view.name + " so it can exit: " + thawed.error().describe());
    std::lock_guard lock(m_impl->mutex);
    if (container->view.state.status == Status::Paused)
        container->view.state.status = Status::Running;
}

// [SECTION] Remove

Result<void> Engine::remove_container(const std::string& ref, bool force, bool remove_volumes)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    bool running = false;
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status == Status::Removing)
            return Error::conflict("removal of container " + container->view.name + " is already in progress");
        running = status == Status::Running || status == Status::Paused;
        if (status == Status::Paused && !force)
            return Error::conflict("You cannot remove a paused container " + container->view.id
                + ". Unpause and then stop the container before attempting removal or force remove");
        if (running && !force)
            return Error::conflict("You cannot remove a running container " + container->view.id
                + ". Stop the container before attempting removal or force remove");
        if (status == Status::Restarting) {
            container->restart_cancelled = true;
            container->restart_cv.notify_all();
        }
    }
    if (running) {
        auto stopped = do_stop(container, 0);
        if (!stopped.ok() && stopped.error().kind() != ErrorKind::NotModified)
            return stopped;
    }
    return do_remove(container, remove_volumes);
}

Result<void> Engine::do_remove(const std::shared_ptr<Container>& container, bool remove_volumes)
{
    const auto id = container->view.id;
    const auto removal_began = PhaseTrace::Clock::now();
    {
        std::lock_guard lock(m_impl->mutex);
        if (!m_impl->containers.contains(id))
            return Ok {}; // Already removed (by --rm racing a user's rm).
        container->view.state.status = Status::Removing;
    }
    auto spec = make_spec(*container, m_options);
    (void)runtime::unmount_rootfs(m_kernel, spec);
    teardown_network(container);
    if (m_impl->networks)
        (void)m_impl->networks->remove_sandbox(id);
    auto removed = fs::remove_tree(container->dir);
    if (!removed.ok()) {
        std::lock_guard lock(m_impl->mutex);
        container->view.state.status = Status::Dead;
        return removed.release_error().with_context("remove container " + container->view.name);
    }
    std::vector<std::string> exec_ids;
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->containers.erase(id);
        if (auto it = m_impl->names.find(container->view.name); it != m_impl->names.end() && it->second == id)
            m_impl->names.erase(it);
        for (const auto& exec_id : container->exec_ids)
            m_impl->execs.erase(exec_id);
    }
    if (remove_volumes) {
        // Anonymous volumes go with their container; named volumes are kept (Docker does the same).
        for (const auto& mount : container->recorded_mounts) {
            if (mount.type == "volume" && mount.anonymous) {
                if (volume_users(mount.name).empty() && m_volumes->remove(mount.name, true, "").ok())
                    publish({ "volume", "destroy", mount.name, { { "driver", "local" } }, 0 });
            }
        }
    }
    record_phase(container->trace, "removal", removal_began);
    publish({ "container", "destroy", id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    {
        std::lock_guard lock(container->wait->mutex);
        container->wait->removed = true;
        container->wait->notify_locked();
    }
    return Ok {};
}

Result<void> Engine::rename_container(const std::string& ref, const std::string& new_name_in)
{
    auto container = TRY(find_container(ref));
    auto new_name = new_name_in;
    if (!new_name.empty() && new_name[0] == '/')
        new_name = new_name.substr(1);
    if (!valid_container_name(new_name))
        return Error::invalid("Invalid container name (" + new_name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    std::string old_name;
    {
        std::lock_guard lock(m_impl->mutex);
        if (m_impl->names.contains(new_name))
            return Error::conflict("Conflict. The container name \"/" + new_name + "\" is already in use by container \""
                + m_impl->names[new_name] + "\". You have to remove (or rename) that container to be able to reuse that name.");
        old_name = container->view.name;
        m_impl->names.erase(old_name);
        m_impl->names[new_name] = container->view.id;
        container->view.name = new_name;
    }
    if (m_impl->networks)
        m_impl->networks->rename_container(container->view.id, new_name);
    persist(*container);
    publish({ "container", "rename", container->view.id, { { "oldName", "/" + old_name }, { "name", new_name } }, 0 });
    return Ok {};
}

// [SECTION] Pause and update

Result<void> Engine::pause_container(const std::string& ref)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        if (status == Status::Paused)
            return Error::conflict("Container " + container->view.id + " is already paused");
        if (status != Status::Running)
            return Error::conflict("Container " + container->view.id + " is not running");
    }
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + container->view.id);
    TRY_CTX(cgroup.freeze(m_kernel), "pause container " + container->view.name);
    {
        std::lock_guard lock(m_impl->mutex);
        if (container->view.state.status == Status::Running)
            container->view.state.status = Status::Paused;
    }
    persist(*container);
    publish({ "container", "pause", container->view.id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    return Ok {};
}

Result<void> Engine::unpause_container(const std::string& ref)
{
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    {
        std::lock_guard lock(m_impl->mutex);
        // dockerd answers this one with a 500 (a plain error, not a conflict); so does glassbox,
        // so clients that handle dockerd's answer handle this one.
        if (container->view.state.status != Status::Paused)
            return Error::system("Container " + container->view.id + " is not paused");
    }
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + container->view.id);
    TRY_CTX(cgroup.thaw(m_kernel), "unpause container " + container->view.name);
    {
        std::lock_guard lock(m_impl->mutex);
        if (container->view.state.status == Status::Paused)
            container->view.state.status = Status::Running;
    }
    persist(*container);
    publish({ "container", "unpause", container->view.id, { { "image", container->view.config.image.text }, { "name", container->view.name } }, 0 });
    return Ok {};
}

Result<std::vector<std::string>> Engine::update_container(const std::string& ref, const ResourceUpdate& update)
{
    TRY(validate_update(update));
    if (update.cpuset_cpus && !update.cpuset_cpus->empty())
        TRY(check_cpuset(*update.cpuset_cpus));
    if (update.cpuset_mems && !update.cpuset_mems->empty())
        TRY(check_cpuset_mems(*update.cpuset_mems));
    auto container = TRY(find_container(ref));
    std::lock_guard op(container->op_mutex);
    auto cgroup = runtime::Cgroup::for_name("glassbox/" + container->view.id);
    Container scratch; // The spec builder reads a Container; this one holds the candidate config.
    bool live = false;
    {
        std::lock_guard lock(m_impl->mutex);
        scratch.view = container->view;
        scratch.recorded_mounts = container->recorded_mounts;
        auto status = container->view.state.status;
        live = status == Status::Running || status == Status::Paused;
    }
    const ContainerConfig current = scratch.view.config;
    std::vector<std::string> warnings;
    auto next = TRY(merge_update(current, scratch.view.id, update, cgroup.has_blkio_weight(m_kernel), warnings));
    // The live cgroup first: if the kernel refuses a value, the old values are written back and
    // the record is left alone, so the cgroup and the stored HostConfig never disagree.
    if (live) {
        scratch.view.config = next;
        auto written = cgroup.update(m_kernel, make_spec(scratch, m_options).resources);
        if (!written.ok()) {
            scratch.view.config = current;
            (void)cgroup.update(m_kernel, make_spec(scratch, m_options).resources);
            return Error::system("Cannot update container " + scratch.view.id + ": " + written.error().describe());
        }
    }
    {
        std::lock_guard lock(m_impl->mutex);
        container->view.config = next;
    }
    persist(*container);
    publish({ "container", "update", scratch.view.id, { { "image", current.image.text }, { "name", scratch.view.name } }, 0 });
    return warnings;
}

// [SECTION] Inspect and list

Result<ContainerView> Engine::inspect_container(const std::string& ref) const
{
    auto container = TRY(find_container(ref));
    std::lock_guard lock(m_impl->mutex);
    auto view = container->view;
    view.mounts.clear();
    for (const auto& mount : container->recorded_mounts) {
        MountPoint point;
        point.type = mount.type;
        point.name = mount.name;
        point.source = mount.source;
        point.destination = mount.destination;
        point.rw = !mount.read_only;
        point.mode = mount.type == "bind" ? mount.mode : (mount.read_only ? "ro" : "z");
        point.host_access = mount.type == "bind";
        point.propagation = mount.type == "bind" ? mount.propagation : "";
        view.mounts.push_back(point);
    }
    return view;
}

Result<std::vector<ContainerView>> Engine::list_containers(bool all, const Filters& filters, int limit) const
{
    // A status or exited filter looks at stopped containers too, as does a limit (`ps -n`).
    bool include_stopped = all || filters.contains("status") || filters.contains("exited") || limit > 0;
    std::vector<std::shared_ptr<Container>> containers;
    {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers)
            containers.push_back(container);
    }
    ImageResolver resolve_image = [this](const std::string& reference) -> std::optional<std::string> {
        auto record = m_images->resolve(reference);
        return record.ok() ? std::optional<std::string>(record.value().id) : std::nullopt;
    };
    std::vector<ContainerView> out;
    for (const auto& container : containers) {
        auto view = inspect_container(container->view.id);
        if (!view.ok())
            continue;
        auto status = view.value().state.status;
        if (!include_stopped && status != Status::Running && status != Status::Restarting && status != Status::Paused)
            continue;
        if (!TRY(container_passes_filters(view.value(), filters, resolve_image)))
            continue;
        out.push_back(view.release_value());
    }
    // With no container at all the filters are still checked, so a bad key is an error.
    if (containers.empty())
        (void)TRY(container_passes_filters(ContainerView {}, filters, resolve_image));
    std::sort(out.begin(), out.end(), [](const ContainerView& a, const ContainerView& b) { return a.created > b.created; });
    if (limit > 0 && out.size() > static_cast<std::size_t>(limit))
        out.resize(static_cast<std::size_t>(limit));
    return out;
}

// [SECTION] Wait

Result<std::function<WaitResult()>> Engine::wait_container(const std::string& ref, const std::string& condition)
{
    // The blocking form of wait_container_pollable (wait.cpp): the same registration, then this
    // caller's thread sleeps on the waiter's eventfd instead of a poll loop.
    auto wait = TRY(wait_container_pollable(ref, condition));
    return std::function<WaitResult()>([wait] {
        for (;;) {
            if (auto result = wait.ready())
                return *result;
            pollfd ready { wait.wake->get(), POLLIN, 0 };
            if (::poll(&ready, 1, -1) > 0) {
                std::uint64_t count = 0;
                [[maybe_unused]] auto drained = ::read(wait.wake->get(), &count, sizeof count);
            }
        }
    });
}

// [SECTION] Attach, logs, resize

Result<Engine::Attachment> Engine::attach_container(const std::string& ref, bool stdin_stream, bool stdout_stream,
    bool stderr_stream, bool logs, std::shared_ptr<OutputSink> sink)
{
    auto container = TRY(find_container(ref));
    bool tty = false;
    {
        std::lock_guard lock(m_impl->mutex);
        tty = container->view.config.tty;
    }
    if (logs) {
        LogOptions options;
        options.stdout_stream = stdout_stream;
        options.stderr_stream = stderr_stream;
        container->hub->replay(options, *sink, false, nullptr);
    }
    auto subscriber = container->hub->subscribe(sink, stdout_stream, stderr_stream);
    Attachment attachment;
    attachment.tty = tty;
    Impl* impl = m_impl.get();
    attachment.write_stdin = [impl, container, stdin_stream](std::string_view data) {
        if (!stdin_stream)
            return;
        int fd = -1;
        {
            std::lock_guard lock(impl->mutex);
            int target = container->pty_master >= 0 ? container->pty_master : container->stdin_fd;
            if (container->view.state.status != Status::Running) {
                container->pending_stdin.append(data);
                return;
            }
            if (target < 0)
                return;
            fd = ::fcntl(target, F_DUPFD_CLOEXEC, 0);
        }
        if (fd < 0)
            return;
        // A failed write (the container closed its stdin) drops the rest of the data.
        (void)fs::write_all(fd, data, "container stdin");
        ::close(fd);
    };
    attachment.close_stdin = [impl, container, stdin_stream] {
        if (!stdin_stream)
            return;
        std::lock_guard lock(impl->mutex);
        // Without StdinOnce the container's stdin outlives the client (dockerd closes it only
        // for StdinOnce, so `docker run -di` then attach and leave keeps `cat` reading).
        if (!container->view.config.stdin_once)
            return;
        if (container->view.state.status != Status::Running) {
            container->pending_stdin_close = true;
            return;
        }
        if (container->stdin_fd >= 0) {
            ::close(container->stdin_fd);
            container->stdin_fd = -1;
        } else if (container->pty_master >= 0) {
            // With a TTY, end of input is the terminal's EOF character.
            char eot = 4;
            (void)!::write(container->pty_master, &eot, 1);
        }
    };
    attachment.wait_done = [subscriber] { subscriber->wait(); };
    attachment.detach = [container, subscriber] { container->hub->unsubscribe(subscriber); };
    return attachment;
}

namespace {
// Adds Docker's timestamp prefix to live output when `logs -t -f` asks for it.
class LiveLogSink final : public OutputSink {
public:
    LiveLogSink(OutputSink& target, bool timestamps)
        : m_target(target)
        , m_timestamps(timestamps)
    {
    }
    bool write(StreamKind stream, std::string_view data) override
    {
        if (!m_timestamps)
            return m_target.write(stream, data);
        auto prefix = strings::rfc3339_nano(std::chrono::system_clock::now()) + " ";
        return m_target.write(stream, prefix + std::string(data));
    }

private:
    OutputSink& m_target;
    bool m_timestamps;
};
}

Result<void> Engine::container_logs(const std::string& ref, const LogOptions& options, OutputSink& sink)
{
    auto container = TRY(find_container(ref));
    bool follow = false;
    {
        std::lock_guard lock(m_impl->mutex);
        auto status = container->view.state.status;
        follow = options.follow && (status == Status::Running || status == Status::Restarting);
    }
    auto live = std::make_shared<LiveLogSink>(sink, options.timestamps);
    auto subscriber = container->hub->replay(options, sink, follow, live);
    if (subscriber) {
        // The container may have exited between the status check and the subscription; the
        // wait state tells, and end_of_run has then already passed us by.
        bool still_running = false;
        {
            std::lock_guard lock(container->wait->mutex);
            still_running = container->wait->running;
        }
        if (still_running)
            subscriber->wait();
        container->hub->unsubscribe(subscriber);
    }
    return Ok {};
}

Result<bool> Engine::container_is_tty(const std::string& ref) const
{
    auto container = TRY(find_container(ref));
    std::lock_guard lock(m_impl->mutex);
    return container->view.config.tty;
}

Result<void> Engine::resize_container(const std::string& ref, int height, int width)
{
    auto container = TRY(find_container(ref));
    std::lock_guard lock(m_impl->mutex);
    auto status = container->view.state.status;
    if (status != Status::Running && status != Status::Paused) // dockerd resizes a paused one too.
        return Error::conflict("Container " + container->view.id + " is not running");
    if (container->pty_master < 0)
        return Ok {};
    return runtime::resize_pty(container->pty_master, static_cast<std::uint16_t>(height), static_cast<std::uint16_t>(width));
}

Result<std::vector<std::string>> Engine::prune_containers(std::uint64_t& reclaimed)
{
    std::vector<std::shared_ptr<Container>> candidates;
    {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers)
            if (container->view.state.status == Status::Exited || container->view.state.status == Status::Created
                || container->view.state.status == Status::Dead)
                candidates.push_back(container);
    }
    std::vector<std::string> removed;
    reclaimed = 0;
    for (const auto& container : candidates) {
        auto size = fs::disk_usage(container->view.upper_dir);
        std::lock_guard op(container->op_mutex);
        if (do_remove(container, false).ok()) {
            removed.push_back(container->view.id);
            reclaimed += size;
        }
    }
    return removed;
}

} // namespace engine::daemon
