// Engine construction, recovery after a restart, images, volumes, networks, system and events.
// Container lifecycle is in the container_*.cpp files (a file per step), exec in exec.cpp.
#include "engine/daemon/engine.h"
#include "engine/daemon/recovery.h"

#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>
#include <tuple>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/daemon/background.h"
#include "engine/daemon/engine_internal.h"

#include "engine/network/libnl_netlink.h"

namespace engine::daemon {

using namespace std::chrono_literals;

Engine::Engine(sys::Kernel& kernel, EngineOptions options)
    : m_kernel(kernel)
    , m_options(std::move(options))
    , m_impl(std::make_unique<Impl>())
{
}

Engine::~Engine() { shutdown(); }

Result<std::unique_ptr<Engine>> Engine::create(sys::Kernel& kernel, EngineOptions options)
{
    std::unique_ptr<Engine> engine(new Engine(kernel, std::move(options)));
    auto& opts = engine->m_options;
    TRY_CTX(fs::make_dirs(opts.root, 0711), "create engine root");
    TRY_CTX(fs::make_dirs(opts.root + "/containers", 0710), "create engine root");
    TRY_CTX(fs::make_dirs(opts.run_root, 0711), "create run root");
    // The simulated kernel answers with its own feature list (everything it models).
    engine->m_features = kernel.simulated() ? kernel.features() : sys::probe_kernel();
    engine->m_images = TRY_CTX(image::Store::open(opts.root), "open image store");
    engine->m_volumes = TRY_CTX(volume::Store::open(opts.root), "open volume store");
    {
        network::Options net;
        net.state_dir = opts.root + "/network";
        net.run_dir = opts.run_root + "/network";
        net.bridge_name = opts.bridge_name;
        net.bridge_prefix = opts.bridge_prefix;
        net.default_subnet = opts.default_subnet;
        net.pool_prefix = opts.pool_prefix;
        net.nft_table_name = opts.nft_table_name;
        net.enable_dns = opts.embedded_dns;
        if (kernel.simulated())
            net.features = engine->m_features;
        auto& impl = *engine->m_impl;
        if (opts.netlink) {
            impl.netlink = opts.netlink;
        } else {
            impl.owned_netlink = std::make_unique<network::LibnlNetlink>();
            impl.netlink = impl.owned_netlink.get();
        }
        impl.nftables = opts.nftables ? opts.nftables : &network::libnftables();
        auto manager = network::Manager::open(kernel, *impl.netlink, *impl.nftables, net);
        if (manager.ok())
            engine->m_impl->networks = manager.release_value();
        else
            log::warn("networking disabled: " + manager.error().describe()
                + " (containers get a network namespace with loopback only)");
    }
    // A daemon killed mid-operation left work in flight: finish it off before serving anyone.
    reclaim_interrupted_work(kernel, opts.root);
    engine->load_containers();
    if (engine->m_impl->networks) {
        std::set<std::string> running;
        for (const auto& [id, container] : engine->m_impl->containers) {
            // A paused container is re-adopted too (its cgroup stays frozen).
            if (container->view.state.status == Status::Running || container->view.state.status == Status::Paused)
                running.insert(id);
            else
                reclaim_stopped_container(kernel, id, container->view.rootfs);
        }
        reclaim_network_leftovers(*engine->m_impl->networks, running, opts.run_root);
    }
    return engine;
}

static EndpointInfo endpoint_info(const network::Endpoint& ep)
{
    return { ep.network_id, ep.network_name, ep.endpoint_id, ep.ip_address, ep.prefix_length, ep.gateway,
        ep.mac_address, ep.aliases, ep.ipv6_address, ep.ipv6_prefix_length, ep.ipv6_gateway };
}

static std::string primary_network(const ContainerConfig& config);
using BoundPorts = std::map<std::string, std::vector<PortBinding>>;
static Result<void> publish_ports(network::Manager& networks, ContainerView& view, const std::string& container_ip,
    std::mutex& mutex, BoundPorts bound_before = {});

// [SECTION] Recovery

void Engine::load_containers()
{
    // Publishes a re-adopted container's ports again, to its address on its primary network, as
    // setup_network does at start; they go with the rest of its network at its exit or removal.
    auto republish_ports = [this](const std::shared_ptr<Container>& container) {
        const auto& config = container->view.config;
        using Kind = NetworkMode::Kind;
        const auto& mode = config.network_mode;
        if (!m_impl->networks || mode.is(Kind::Host) || mode.is(Kind::None) || mode.is(Kind::Container)
            || config.network_mode_detached)
            return;
        const auto network = primary_network(config);
        std::string ip;
        for (const auto& ep : m_impl->networks->endpoints_of(container->view.id))
            if (ep.network_name == network || ep.network_id == network)
                ip = ep.ip_address;
        if (ip.empty())
            return;
        // The host ports the kernel chose at start are in the record: asked for again, so the
        // container keeps them. If one was taken meanwhile, new ones are chosen, as at start.
        BoundPorts bound_before;
        {
            std::lock_guard lock(m_impl->mutex);
            bound_before = container->view.ports;
        }
        if (!bound_before.empty()) {
            auto same = publish_ports(*m_impl->networks, container->view, ip, m_impl->mutex, bound_before);
            if (same.ok())
                return;
            log::warn("re-adopt " + container->view.id.substr(0, 12) + ": its ports cannot have their host ports of before ("
                + same.error().describe() + "); publishing them on new ones");
        }
        if (auto published = publish_ports(*m_impl->networks, container->view, ip, m_impl->mutex); !published.ok())
            log::warn("re-adopt " + container->view.id.substr(0, 12) + ": its ports are not published: "
                + published.error().describe());
    };
    // Re-adopts a container whose PID 1 outlived the daemon before this one (recovery.h): watches
    // its pidfd on the event loop again, so ps, stop, kill, wait, rm -f, exec, inspect, stats and the
    // snapshot work on it, and after_exit releases its endpoint, cgroup and mounts as for any exit.
    // False, leaving it to be ended and recorded as exited, when that process is gone, its PID names
    // another process now, or the kernel gives no pidfd. Runs before any client is served.
    //
    // What a crash loses, and stays lost:
    //   - output written while no daemon ran: the pipe had no reader, so the write failed (EPIPE,
    //     and SIGPIPE ends a process that does not handle it). What it writes after the re-adoption
    //     reaches the log again, through new read ends of the same pipes (/proc/<pid>/fd/1 and 2).
    //     A TTY's master side died with the daemon, so a TTY container's output is not read again.
    //   - its stdin: the write end died with the daemon (attach -i has nothing to write to).
    //   - nothing of its published ports but the connections open through them: the ports'
    //     proxies and DNAT rules died with the daemon (this one's nft table is made without
    //     them), so the ports are published again on the host ports the record holds, those the
    //     kernel chose at start (-p CONTAINER, -P) included. A host port something else took
    //     meanwhile is not had: a chosen one gets a new port, a -p HOST:CONTAINER one is left
    //     out (the container runs on without it), and the log says why.
    //   - the exit status, usually: the process is not this daemon's child, so waitpid cannot give
    //     it. It is read from /proc/<pid>/stat while the process is a zombie its new parent has not
    //     reaped yet; otherwise the exit is recorded as 255 with State.Error saying why.
    auto readopt = [this, &republish_ports](const std::shared_ptr<Container>& container) -> bool {
        const auto id = container->view.id;
        const auto cgroup_name = "glassbox/" + id;
        auto identity = container->process;
        const int pid = container->view.state.pid;
        // A simulated kernel's processes end with the daemon that simulated them.
        if (m_kernel.simulated() || !is_recorded_process(m_kernel, pid, identity.start_time, cgroup_name))
            return false;
        // A record from before start times were kept: the process was matched by its cgroup;
        // its start time is recorded now, for the exit status and for the next restart.
        if (identity.start_time == 0)
            identity.start_time = process_start_time(m_kernel, pid).value_or(0);
        auto exit_fd = m_kernel.exit_notification(pid);
        if (!exit_fd.ok())
            return false;
        Supervisor::Process process;
        process.pid = pid;
        process.exit_fd = exit_fd.release_value();
        for (auto [number, inode, stream] : { std::tuple { 1, identity.stdout_pipe, StreamKind::Stdout },
                 std::tuple { 2, identity.stderr_pipe, StreamKind::Stderr } }) {
            auto fd = reopen_output_pipe(m_kernel, pid, number, inode);
            if (fd.valid())
                process.outputs.push_back({ fd.release(), stream });
        }
        const size_t outputs = process.outputs.size();
        process.deliver = [container](StreamKind stream, std::string_view data) { container->hub->deliver(stream, data); };
        auto status_known = std::make_shared<bool>(false);
        process.reap = [this, status_known, start_time = identity.start_time](pid_t exited) {
            auto code = exit_code_of_zombie(m_kernel, exited, start_time);
            *status_known = code.has_value();
            return code.value_or(255);
        };
        process.exited = [this, container, status_known](int exit_code, PhaseTrace::Clock::time_point) {
            if (!*status_known) {
                std::lock_guard lock(m_impl->mutex);
                container->view.state.error = "exit status unknown: the container was re-adopted after a daemon restart, "
                                              "so its process was not the daemon's child and its status was reaped elsewhere";
            }
            after_exit(container, exit_code);
        };
        {
            std::lock_guard lock(m_impl->mutex);
            container->view.cgroup_paths = runtime::Cgroup::for_name(cgroup_name).paths();
            const auto& mode = container->view.config.network_mode;
            auto sandbox = m_options.run_root + "/network/netns/" + id;
            if (fs::exists(sandbox))
                container->view.netns_path = sandbox;
            else if (mode.is(NetworkMode::Kind::Container))
                container->view.netns_path = "/proc/" + std::to_string(pid) + "/ns/net";
            container->view.endpoints.clear();
            if (m_impl->networks) {
                for (const auto& ep : m_impl->networks->endpoints_of(id))
                    container->view.endpoints.push_back(endpoint_info(ep));
            }
            container->started_steady = std::chrono::steady_clock::now();
            container->trace = m_impl->traces.open(id);
            container->process = identity;
        }
        republish_ports(container);
        persist(*container);
        {
            std::lock_guard lock(container->wait->mutex);
            container->wait->running = true;
            container->wait->last_exit_code = container->view.state.exit_code;
        }
        auto& supervisor = m_impl->supervisor_loop([this](std::function<void()> body) { spawn_thread(std::move(body)); });
        if (auto watched = supervisor.watch(std::move(process)); !watched.ok()) {
            log::warn("re-adopt " + id + ": " + watched.error().describe());
            if (m_impl->networks)
                (void)m_impl->networks->unpublish_ports(id);
            std::lock_guard lock(container->wait->mutex);
            container->wait->running = false;
            return false;
        }
        log::info("re-adopted container " + id.substr(0, 12) + " (pid " + std::to_string(pid) + ")"
            + (outputs == 0 ? ": its output is not read any more (a TTY, or pipes it no longer holds)" : ""));
        start_health_monitor(container);
        return true;
    };

    auto dir = m_options.root + "/containers";
    std::vector<std::shared_ptr<Container>> to_restart;
    std::vector<std::shared_ptr<Container>> to_remove;
    for (const auto& id : fs::list_dir(dir)) {
        auto path = dir + "/" + id + "/config.v2.json";
        auto text = fs::read_file(path);
        if (!text.ok())
            continue;
        auto container = std::make_shared<Container>();
        container->dir = dir + "/" + id;
        try {
            auto doc = nlohmann::json::parse(text.value());
            auto loaded = container_from_json(doc, container->view, container->recorded_mounts, container->process);
            if (!loaded.ok()) {
                log::warn("skip container record " + path + ": " + loaded.error().describe());
                continue;
            }
        } catch (const nlohmann::json::exception& e) {
            log::warn("skip container record " + path + ": " + e.what());
            continue;
        }
        container->hub = std::make_unique<OutputHub>(container->view.log_path);
        auto& state = container->view.state;
        bool was_running = state.status == Status::Running || state.status == Status::Restarting || state.status == Status::Paused;
        bool readopted = false;
        bool was_removing = state.status == Status::Removing;
        if (state.status == Status::Running || state.status == Status::Paused) {
            // Listed first: its exit may come as soon as it is watched.
            {
                std::lock_guard lock(m_impl->mutex);
                m_impl->containers[id] = container;
                m_impl->names[container->view.name] = id;
            }
            readopted = readopt(container);
        }
        if (!readopted && (was_running || state.status == Status::Removing)) {
            // Its process is gone (or its PID names another process now), so nobody can wait
            // for it any more: end what is left (processes, cgroup, mounts) and record it as
            // exited.
            runtime::Cgroup cgroup = runtime::Cgroup::for_name("glassbox/" + id);
            cgroup.kill_all(m_kernel);
            (void)cgroup.remove(m_kernel);
            runtime::ContainerSpec spec;
            spec.rootfs = container->view.rootfs;
            (void)runtime::unmount_rootfs(m_kernel, spec);
            if (state.status == Status::Running)
                state.exit_code = 255;
            state.status = Status::Exited;
            state.pid = 0;
            state.finished_at = strings::rfc3339_nano(std::chrono::system_clock::now());
            state.error = was_running ? "the daemon stopped while the container was running" : state.error;
            container->process = {};
            container->view.ports.clear();
            persist(*container);
        }
        if (readopted)
            continue;
        {
            std::lock_guard lock(m_impl->mutex);
            container->wait->last_exit_code = state.exit_code;
            m_impl->containers[id] = container;
            m_impl->names[container->view.name] = id;
        }
        const auto& policy = container->view.config.restart_policy.name;
        if (was_running && !state.stopped_by_user && (policy == "always" || policy == "unless-stopped"))
            to_restart.push_back(container);
        // An --rm container whose run ended while the daemon was down (no record of its exit is
        // written, as it is removed right after) is removed now, as dockerd's restore does.
        if ((was_running || was_removing) && container->view.config.auto_remove)
            to_remove.push_back(container);
    }
    for (const auto& container : to_remove) {
        std::lock_guard op(container->op_mutex);
        if (auto removed = do_remove(container, true); !removed.ok())
            log::warn("remove --rm container " + container->view.name + " after daemon start: " + removed.error().describe());
    }
    for (const auto& container : to_restart) {
        std::lock_guard op(container->op_mutex);
        if (auto started = do_start(container); !started.ok())
            log::warn("restart " + container->view.name + " after daemon start: " + started.error().describe());
    }
}

// [SECTION] Networks glue

// The network a container's NetworkMode names ("default" is the built-in bridge).
static std::string primary_network(const ContainerConfig& config)
{
    return config.network_mode.network();
}

// Publishes a container's ports to `container_ip`, its address on its primary network: the -p
// bindings, and with -P every exposed port on a free host port. The ports as bound go to
// view.ports (under `mutex`, the engine's). At start, and again when a restarted daemon re-adopts
// a running container, since the proxies and the nft table's rules did not outlive the daemon.
static Result<void> publish_ports(network::Manager& networks, ContainerView& view, const std::string& container_ip,
    std::mutex& mutex, BoundPorts bound_before)
{
    const auto& config = view.config;
    std::vector<network::PortRequest> requests;
    for (const auto& [port, bindings] : config.port_bindings)
        for (const auto& binding : bindings)
            requests.push_back({ .container_port = port.number, .protocol = port.protocol, .host_ip = binding.host_ip,
                .host_port = binding.host_port });
    if (config.publish_all_ports) {
        for (const auto& [key, value] : config.exposed_ports) {
            (void)value;
            // Exposed ports come from the image too; one this version cannot read is not published.
            auto port = ContainerPort::parse(key);
            if (port.ok() && !config.port_bindings.contains(port.value()))
                requests.push_back({ .container_port = port.value().number, .protocol = port.value().protocol });
        }
    }
    if (requests.empty())
        return Ok {};
    // A re-adoption asks for the host ports bound before for the ports the kernel chose. The
    // ports a -p HOST:PORT asked for are taken out first, so with `-p 8080:80 -p 80` the second
    // request gets the port the kernel chose before, not 8080.
    auto key_of = [](const network::PortRequest& request) { return ContainerPort { request.container_port, request.protocol }.key(); };
    for (const auto& request : requests) {
        if (auto it = bound_before.find(key_of(request)); request.host_port != 0 && it != bound_before.end())
            std::erase_if(it->second, [&](const PortBinding& bound) { return bound.host_port == request.host_port; });
    }
    for (auto& request : requests) {
        auto it = bound_before.find(key_of(request));
        if (request.host_port != 0 || it == bound_before.end() || it->second.empty())
            continue;
        request.host_port = it->second.front().host_port;
        it->second.erase(it->second.begin());
    }
    auto published = TRY(networks.publish_ports(view.id, container_ip, requests));
    std::lock_guard lock(mutex);
    view.ports.clear();
    for (const auto& port : published)
        view.ports[std::to_string(port.container_port) + "/" + port.protocol].push_back(
            { port.host_ip, port.host_port });
    return Ok {};
}

Result<void> Engine::setup_network(const std::shared_ptr<Container>& container)
{
    const auto& config = container->view.config;
    const auto& mode = config.network_mode;
    if (mode.is(NetworkMode::Kind::Host))
        return Ok {};
    if (mode.is(NetworkMode::Kind::Container)) {
        auto other = TRY(find_container(mode.name));
        std::lock_guard lock(m_impl->mutex);
        if (other->view.state.status != Status::Running)
            return Error::conflict("cannot join the network of container " + other->view.name + ": it is not running");
        container->view.netns_path = "/proc/" + std::to_string(other->view.state.pid) + "/ns/net";
        return Ok {};
    }
    if (!m_impl->networks)
        return Ok {};
    auto& networks = *m_impl->networks;
    auto sandbox = TRY_CTX(networks.create_sandbox(container->view.id), "create network sandbox");
    {
        std::lock_guard lock(m_impl->mutex);
        container->view.netns_path = sandbox;
    }
    if (mode.is(NetworkMode::Kind::None))
        return Ok {};
    std::string network = primary_network(config);
    std::vector<std::string> aliases;
    if (auto it = config.network_aliases.find(network); it != config.network_aliases.end())
        aliases = it->second;
    std::string ip;
    if (auto it = config.network_ipv4.find(network); it != config.network_ipv4.end())
        ip = it->second;
    auto ipv6_for = [&](const std::string& name) {
        auto it = config.network_ipv6.find(name);
        return it != config.network_ipv6.end() ? it->second : std::string();
    };
    // The MAC asked for on this network's endpoint, else Config.MacAddress (dockerd applies that
    // one to the container's first network); "" lets the network derive one from the address.
    auto mac_for = [&](const std::string& name) {
        auto it = config.network_mac.find(name);
        return it != config.network_mac.end() ? it->second : std::string();
    };
    // Extra networks connected while the container was stopped (docker network connect).
    auto connect_extras = [&] {
        for (const auto& [extra, extra_aliases] : config.network_aliases) {
            if (extra == network)
                continue;
            std::string extra_ip;
            if (auto it = config.network_ipv4.find(extra); it != config.network_ipv4.end())
                extra_ip = it->second;
            auto connected = networks.connect(extra, container->view.id, container->view.name, sandbox, extra_aliases, extra_ip,
                mac_for(extra), ipv6_for(extra));
            if (!connected.ok())
                log::warn("connect " + container->view.name + " to " + extra + ": " + connected.error().describe());
        }
    };
    if (config.network_mode_detached) {
        // Disconnected from its NetworkMode network: dockerd starts it without that network (and
        // so without published ports) until `network connect` attaches it again.
        connect_extras();
        std::lock_guard lock(m_impl->mutex);
        container->view.endpoints.clear();
        for (const auto& ep : networks.endpoints_of(container->view.id))
            container->view.endpoints.push_back(endpoint_info(ep));
        return Ok {};
    }
    std::string mac = mac_for(network);
    if (mac.empty())
        mac = config.mac_address;
    auto endpoint = networks.connect(network, container->view.id, container->view.name, sandbox, aliases, ip, mac, ipv6_for(network));
    if (!endpoint.ok()) {
        (void)networks.remove_sandbox(container->view.id);
        return endpoint.release_error().with_context("connect to network " + network);
    }
    connect_extras();
    if (auto published = publish_ports(networks, container->view, endpoint.value().ip_address, m_impl->mutex); !published.ok()) {
        teardown_network(container);
        return published.release_error().with_context("driver failed programming external connectivity on endpoint " + container->view.name);
    }
    std::lock_guard lock(m_impl->mutex);
    container->view.endpoints.clear();
    for (const auto& ep : networks.endpoints_of(container->view.id))
        container->view.endpoints.push_back(endpoint_info(ep));
    return Ok {};
}

void Engine::teardown_network(const std::shared_ptr<Container>& container)
{
    if (!m_impl->networks)
        return;
    auto& networks = *m_impl->networks;
    const auto& id = container->view.id;
    (void)networks.unpublish_ports(id);
    for (const auto& ep : networks.endpoints_of(id))
        (void)networks.disconnect(ep.network_id, id);
    (void)networks.remove_sandbox(id);
    std::lock_guard lock(m_impl->mutex);
    container->view.netns_path.clear();
    container->view.ports.clear();
    container->view.endpoints.clear();
}

static Error networking_unavailable()
{
    return Error::unsupported("networking is not available in this glassbox daemon (see the daemon log for why)");
}

Result<network::NetworkRecord> Engine::create_network(const network::NetworkConfig& config)
{
    if (!m_impl->networks)
        return networking_unavailable();
    auto record = TRY(m_impl->networks->create_network(config));
    publish({ "network", "create", record.id, { { "name", record.name }, { "type", record.driver } }, 0 });
    return record;
}

Result<network::NetworkRecord> Engine::inspect_network(const std::string& ref) const
{
    if (!m_impl->networks)
        return networking_unavailable();
    return m_impl->networks->get(ref);
}

Result<std::vector<network::NetworkRecord>> Engine::list_networks(const Filters& filters) const
{
    if (!m_impl->networks)
        return std::vector<network::NetworkRecord> {};
    std::vector<network::NetworkRecord> out;
    for (const auto& record : m_impl->networks->list()) {
        const auto& view = record;
        bool keep = true;
        for (const auto& [key, values] : filters) {
            if (values.empty())
                continue;
            auto any = [&](auto pred) { return std::any_of(values.begin(), values.end(), pred); };
            if (key == "name")
                keep = keep && any([&](const std::string& v) { return view.name.find(v) != std::string::npos; });
            else if (key == "id")
                keep = keep && any([&](const std::string& v) { return strings::starts_with(view.id, v); });
            else if (key == "driver")
                keep = keep && any([&](const std::string& v) { return view.driver == v; });
            else if (key == "type")
                keep = keep && any([&](const std::string& v) { return (v == "custom") == record.user_defined; });
            else if (key == "label")
                keep = keep && labels_match_all(view.labels, values);
        }
        if (keep)
            out.push_back(view);
    }
    return out;
}

Result<void> Engine::remove_network(const std::string& ref)
{
    if (!m_impl->networks)
        return networking_unavailable();
    auto record = TRY(m_impl->networks->get(ref));
    TRY(m_impl->networks->remove_network(ref));
    publish({ "network", "destroy", record.id, { { "name", record.name }, { "type", record.driver } }, 0 });
    return Ok {};
}

Result<void> Engine::connect_network(const std::string& network_ref, const std::string& container_ref,
    const std::vector<std::string>& aliases, const std::string& ipv4, const std::string& mac, const std::string& ipv6)
{
    if (!m_impl->networks)
        return networking_unavailable();
    auto container = TRY(find_container(container_ref));
    auto record = TRY(m_impl->networks->get(network_ref));
    std::string sandbox;
    bool running = false;
    {
        std::lock_guard lock(m_impl->mutex);
        running = container->view.state.status == Status::Running;
        sandbox = container->view.netns_path;
        const auto& mode = container->view.config.network_mode;
        if (mode.is(NetworkMode::Kind::Host) || mode.is(NetworkMode::Kind::None))
            return Error::invalid("container " + container->view.name + " uses network mode "
                + mode.text() + ", which cannot be combined with other networks");
        // Remembered so the next start connects it again.
        container->view.config.network_aliases[record.name] = aliases;
        if (primary_network(container->view.config) == record.name)
            container->view.config.network_mode_detached = false;
        if (!ipv4.empty())
            container->view.config.network_ipv4[record.name] = ipv4;
        if (!ipv6.empty())
            container->view.config.network_ipv6[record.name] = ipv6;
    }
    persist(*container);
    if (running && !sandbox.empty()) {
        TRY(m_impl->networks->connect(record.name, container->view.id, container->view.name, sandbox, aliases, ipv4, mac, ipv6));
        std::lock_guard lock(m_impl->mutex);
        container->view.endpoints.clear();
        for (const auto& ep : m_impl->networks->endpoints_of(container->view.id))
            container->view.endpoints.push_back(endpoint_info(ep));
    }
    publish({ "network", "connect", record.id, { { "container", container->view.id }, { "name", record.name } }, 0 });
    return Ok {};
}

Result<void> Engine::disconnect_network(const std::string& network_ref, const std::string& container_ref, bool force)
{
    (void)force;
    if (!m_impl->networks)
        return networking_unavailable();
    auto container = TRY(find_container(container_ref));
    auto record = TRY(m_impl->networks->get(network_ref));
    {
        std::lock_guard lock(m_impl->mutex);
        container->view.config.network_aliases.erase(record.name);
        container->view.config.network_ipv4.erase(record.name);
        container->view.config.network_ipv6.erase(record.name);
        // NetworkMode stays as it was, as in dockerd, so the container can be connected again.
        if (primary_network(container->view.config) == record.name)
            container->view.config.network_mode_detached = true;
    }
    persist(*container);
    auto result = m_impl->networks->disconnect(record.id, container->view.id);
    if (!result.ok() && result.error().kind() != ErrorKind::NotFound)
        return result;
    {
        std::lock_guard lock(m_impl->mutex);
        std::erase_if(container->view.endpoints, [&](const EndpointInfo& e) { return e.network_id == record.id; });
    }
    publish({ "network", "disconnect", record.id, { { "container", container->view.id }, { "name", record.name } }, 0 });
    return Ok {};
}

Result<std::vector<std::string>> Engine::prune_networks()
{
    if (!m_impl->networks)
        return std::vector<std::string> {};
    return m_impl->networks->prune();
}

// [SECTION] Images

std::map<std::string, int> Engine::image_usage() const
{
    std::map<std::string, int> usage;
    std::lock_guard lock(m_impl->mutex);
    for (const auto& [id, container] : m_impl->containers)
        usage[container->view.image_id]++;
    return usage;
}

Result<std::vector<image::DeleteItem>> Engine::remove_image(const std::string& ref, bool force)
{
    auto in_use = [this](const std::string& image_id) -> std::string {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers)
            if (container->view.image_id == image_id)
                return container->view.id.substr(0, 12) + " (" + container->view.name + ")";
        return "";
    };
    auto items = TRY(m_images->remove(ref, force, in_use));
    for (const auto& item : items) {
        if (!item.untagged.empty())
            publish({ "image", "untag", item.untagged, { { "name", item.untagged } }, 0 });
        if (!item.deleted.empty())
            publish({ "image", "delete", item.deleted, { { "name", item.deleted } }, 0 });
    }
    return items;
}

Result<image::ImageRecord> Engine::import_image(const std::string& tar_path, const image::ImportOptions& options)
{
    auto record = TRY(m_images->import_rootfs(tar_path, options));
    publish({ "image", "import", record.id, { { "name", options.repo_tag.empty() ? record.id : options.repo_tag } }, 0 });
    return record;
}

Result<std::vector<std::string>> Engine::load_images(const std::string& archive_path)
{
    auto loaded = TRY(m_images->load(archive_path));
    for (const auto& name : loaded)
        publish({ "image", "load", name, { { "name", name } }, 0 });
    return loaded;
}

Result<void> Engine::tag_image(const std::string& source, const image::Reference& target)
{
    auto record = TRY(m_images->resolve(source));
    TRY(m_images->tag(record.id, target));
    publish({ "image", "tag", record.id, { { "name", target.str() } }, 0 });
    return Ok {};
}

// [SECTION] Volumes

std::vector<std::string> Engine::volume_users(const std::string& name) const
{
    std::vector<std::string> users;
    std::lock_guard lock(m_impl->mutex);
    for (const auto& [id, container] : m_impl->containers)
        for (const auto& mount : container->recorded_mounts)
            if (mount.type == "volume" && mount.name == name)
                users.push_back(container->view.id);
    return users;
}

Result<volume::Volume> Engine::create_volume(const std::string& name_in, const std::map<std::string, std::string>& labels,
    const std::map<std::string, std::string>& options)
{
    auto name = name_in.empty() ? strings::random_hex_id() : name_in;
    auto created = TRY(m_volumes->create(name, labels, options));
    publish({ "volume", "create", created.name, { { "driver", "local" } }, 0 });
    return created;
}

Result<void> Engine::remove_volume(const std::string& name, bool force)
{
    auto users = volume_users(name);
    TRY(m_volumes->remove(name, force, strings::join(users, ", ")));
    publish({ "volume", "destroy", name, { { "driver", "local" } }, 0 });
    return Ok {};
}

Result<std::vector<std::string>> Engine::prune_volumes(bool all, std::uint64_t& reclaimed)
{
    std::vector<std::string> removed;
    reclaimed = 0;
    for (const auto& vol : m_volumes->list()) {
        if (!all && !vol.anonymous)
            continue;
        if (!volume_users(vol.name).empty())
            continue;
        auto size = m_volumes->size_of(vol.name);
        if (m_volumes->remove(vol.name, false, "").ok()) {
            removed.push_back(vol.name);
            reclaimed += size;
            publish({ "volume", "destroy", vol.name, { { "driver", "local" } }, 0 });
        }
    }
    return removed;
}

// [SECTION] System

Engine::Counts Engine::counts() const
{
    Counts counts;
    {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers) {
            counts.containers++;
            auto status = container->view.state.status;
            if (status == Status::Running || status == Status::Restarting)
                counts.running++;
            else if (status == Status::Paused)
                counts.paused++;
            else
                counts.stopped++;
        }
    }
    counts.images = static_cast<int>(m_images->count());
    return counts;
}

DiskUsage Engine::disk_usage() const
{
    DiskUsage usage;
    usage.images = m_images->list();
    usage.image_containers = image_usage();
    usage.layers_size = m_images->total_layer_size();
    for (const auto& id : m_impl->container_ids()) {
        auto view = inspect_container(id);
        if (!view.ok())
            continue;
        view.value().size_rw = static_cast<std::int64_t>(fs::disk_usage(view.value().upper_dir));
        usage.containers.push_back(view.release_value());
    }
    for (const auto& vol : m_volumes->list()) {
        usage.volumes.emplace_back(vol, m_volumes->size_of(vol.name));
        usage.volume_refcount[vol.name] = static_cast<int>(volume_users(vol.name).size());
    }
    return usage;
}

Result<nlohmann::json> Engine::container_top(const std::string& ref) const
{
    auto view = TRY(inspect_container(ref));
    if (view.state.status != Status::Running)
        return Error::conflict("Container " + view.id + " is not running");
    // Every process in the container's PID namespace: same pid-namespace inode as its PID 1.
    const auto proc = m_kernel.procfs_root();
    m_kernel.refresh_procfs();
    char link[256] {};
    auto pid_ns_of = [&](const std::string& pid) -> std::string {
        auto path = proc + "/" + pid + "/ns/pid";
        auto n = ::readlink(path.c_str(), link, sizeof link - 1);
        return n > 0 ? std::string(link, static_cast<size_t>(n)) : std::string();
    };
    auto wanted = pid_ns_of(std::to_string(view.state.pid));
    nlohmann::json processes = nlohmann::json::array();
    for (const auto& entry : fs::list_dir(proc)) {
        if (entry.empty() || entry.find_first_not_of("0123456789") != std::string::npos)
            continue;
        if (pid_ns_of(entry) != wanted)
            continue;
        auto status = fs::read_file(proc + "/" + entry + "/status");
        if (!status.ok())
            continue;
        std::string uid, ppid;
        for (const auto& line : strings::split(status.value(), '\n')) {
            if (strings::starts_with(line, "Uid:"))
                uid = strings::split(strings::trim(line.substr(4)), '\t')[0];
            else if (strings::starts_with(line, "PPid:"))
                ppid = strings::trim(line.substr(5));
        }
        auto cmdline = fs::read_file(proc + "/" + entry + "/cmdline");
        std::string cmd = cmdline.ok() ? cmdline.value() : "";
        std::replace(cmd.begin(), cmd.end(), '\0', ' ');
        processes.push_back({ uid, entry, ppid, "0", "", "?", "00:00:00", strings::trim(cmd) });
    }
    return nlohmann::json { { "Titles", { "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD" } }, { "Processes", processes } };
}

// Every mount point at or below `prefix`, deepest first (from /proc/self/mountinfo).
static std::vector<std::string> mounts_under(sys::Kernel& kernel, const std::string& prefix)
{
    std::vector<std::string> out;
    auto text = kernel.read_file("/proc/self/mountinfo");
    if (!text.ok())
        return out;
    for (const auto& line : strings::split(text.value(), '\n')) {
        auto fields = strings::split(line, ' ');
        if (fields.size() < 5)
            continue;
        auto point = fields[4];
        if (point == prefix || strings::starts_with(point, prefix + "/"))
            out.push_back(point);
    }
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    return out;
}

Result<std::vector<std::string>> Engine::reset(bool all)
{
    std::vector<std::string> report;
    // Stop every container first, so nothing holds the mounts and cgroups below.
    std::vector<std::shared_ptr<Container>> containers;
    {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers)
            containers.push_back(container);
    }
    for (const auto& container : containers) {
        std::lock_guard op(container->op_mutex);
        if (do_stop(container, 0).ok())
            report.push_back("stopped container " + container->view.name);
        if (all && do_remove(container, true).ok())
            report.push_back("removed container " + container->view.name);
    }
    // Mounts left by a crash: overlay roots and netns files under the engine's directories.
    for (const auto& base : { m_options.root, m_options.run_root }) {
        for (const auto& point : mounts_under(m_kernel, base)) {
            if (m_kernel.umount(point, MNT_DETACH).ok())
                report.push_back("unmounted " + point);
        }
    }
    // Cgroups named glassbox/<id> in every hierarchy.
    std::vector<std::string> parents { "/sys/fs/cgroup/glassbox" }; // v2 (unified at the root)
    for (const auto& hierarchy : m_kernel.list_subdirs("/sys/fs/cgroup"))
        parents.push_back("/sys/fs/cgroup/" + hierarchy + "/glassbox"); // v1 and hybrid
    for (const auto& parent : parents) {
        if (!m_kernel.path_exists(parent))
            continue;
        for (const auto& child : m_kernel.list_subdirs(parent)) {
            // Only this daemon's containers: every daemon on the host shares the glassbox/
            // parent, and another one's containers are not ours to kill.
            bool ours = std::any_of(containers.begin(), containers.end(),
                [&](const std::shared_ptr<Container>& c) { return c->view.id == child; });
            if (!ours)
                continue;
            auto cgroup = runtime::Cgroup::for_name("glassbox/" + child);
            cgroup.kill_all(m_kernel);
            if (cgroup.remove(m_kernel).ok())
                report.push_back("removed cgroup glassbox/" + child);
        }
        // The parent goes too once it is empty (another daemon's containers keep it busy).
        if (m_kernel.remove_dir(parent).ok())
            report.push_back("removed cgroup " + parent);
    }
    if (m_impl->networks) {
        auto removed = m_impl->networks->reset();
        if (removed.ok())
            for (const auto& what : removed.value())
                report.push_back(what);
    }
    std::sort(report.begin(), report.end());
    report.erase(std::unique(report.begin(), report.end()), report.end());
    return report;
}

// [SECTION] Events

void Engine::publish(Event event)
{
    if (event.time_nano == 0)
        event.time_nano = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard lock(m_impl->events_mutex);
    m_impl->event_log.push_back(event);
    if (m_impl->event_log.size() > 4096)
        m_impl->event_log.pop_front();
    for (auto it = m_impl->subscribers.begin(); it != m_impl->subscribers.end();) {
        auto& subscription = **it;
        if (subscription.active && !subscription.callback(event))
            subscription.active = false;
        if (!subscription.active)
            it = m_impl->subscribers.erase(it);
        else
            ++it;
    }
}

std::shared_ptr<void> Engine::subscribe(EventCallback callback, std::optional<std::int64_t> since_nano)
{
    auto subscription = std::make_shared<EventSubscription>();
    subscription->callback = std::move(callback);
    std::lock_guard lock(m_impl->events_mutex);
    if (since_nano) {
        for (const auto& event : m_impl->event_log) {
            if (event.time_nano < *since_nano)
                continue;
            if (!subscription->callback(event)) {
                subscription->active = false;
                break;
            }
        }
    }
    if (subscription->active)
        m_impl->subscribers.push_back(subscription);
    Impl* impl = m_impl.get();
    // Dropping the token ends the subscription.
    return std::shared_ptr<void>(nullptr, [impl, subscription](void*) {
        std::lock_guard guard(impl->events_mutex);
        subscription->active = false;
        impl->subscribers.remove(subscription);
    });
}

// [SECTION] Shutdown

void Engine::shutdown()
{
    if (m_impl->shutting_down.exchange(true))
        return;
    std::vector<std::shared_ptr<Container>> running;
    {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers) {
            if (container->view.state.status == Status::Restarting) {
                container->restart_cancelled = true;
                container->restart_cv.notify_all();
            }
            // A paused one too: do_stop thaws it so it can act on the stop signal.
            if (container->view.state.status == Status::Running || container->view.state.status == Status::Paused)
                running.push_back(container);
        }
    }
    // Stop them in parallel, each with its own grace period; the records keep "stopped by the
    // daemon" out of stopped_by_user, so restart policies bring them back at the next start.
    std::vector<std::thread> stoppers;
    for (const auto& container : running) {
        stoppers.emplace_back([this, container] {
            std::lock_guard op(container->op_mutex);
            (void)do_stop(container, std::nullopt);
            std::lock_guard lock(m_impl->mutex);
            container->view.state.stopped_by_user = false;
        });
    }
    for (auto& thread : stoppers)
        thread.join();
    for (const auto& container : running)
        persist(*container);
    // Let the supervisors finish their bookkeeping (bounded: a stuck one is not worth a hang).
    {
        std::unique_lock lock(m_impl->threads_mutex);
        m_impl->threads_cv.wait_for(lock, 10s, [&] { return m_impl->threads.load() == 0; });
    }
    // Removed containers' files and detached overlays: what is left at exit is reclaimed at the
    // next start, so the wait is bounded too.
    if (!wait_for_background(10s))
        log::warn("shutdown: background removals still running; the next start finishes them");
    release_mounts();
}

void Engine::release_mounts()
{
    // The lab network namespace is bind-mounted under the run root while the daemon runs; the
    // next start makes it again for the networks that use it.
    if (m_impl->networks) {
        auto released = m_impl->networks->release_lab();
        if (!released.ok())
            log::warn("shutdown: " + released.error().describe());
    }
    // Whatever a container's teardown missed would stay mounted with no daemon to own it. A
    // container that did not stop keeps its root and network namespace.
    std::vector<std::string> still_running;
    {
        std::lock_guard lock(m_impl->mutex);
        for (const auto& [id, container] : m_impl->containers)
            if (container->view.state.status == Status::Running || container->view.state.status == Status::Paused)
                still_running.push_back(id);
    }
    for (const auto& base : { m_options.root, m_options.run_root }) {
        for (const auto& point : mounts_under(m_kernel, base)) {
            bool kept = std::any_of(still_running.begin(), still_running.end(),
                [&](const std::string& id) { return point.find(id) != std::string::npos; });
            if (kept)
                continue;
            log::warn("shutdown: " + point + " was still mounted; unmounting it");
            if (auto unmounted = m_kernel.umount(point, MNT_DETACH); !unmounted.ok())
                log::warn("shutdown: unmount " + point + ": " + unmounted.error().describe());
        }
    }
}

} // namespace engine::daemon
