// The runtime spec: what a container's record (the merged config) becomes for the runtime at
// every start, and the capability set its processes get. It is kept apart from create and
// start because start, stop, remove, update and exec all build the same spec from the record,
// and one function making it keeps them agreeing on mounts, cgroup limits and the rootfs.
#include <algorithm>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/daemon/create_options.h"
#include "engine/daemon/engine_internal.h"
#include "engine/runtime/devices.h"
#include "engine/runtime/seccomp.h"

namespace engine::daemon {

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

runtime::ContainerSpec make_spec(const Container& container, const EngineOptions& options)
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

} // namespace engine::daemon
