// glassboxd: the daemon. Wiring only: parse flags, re-execute from a sealed in-memory copy of
// the binary (so no fork of the daemon that a container can see leads to the host's glassboxd
// through /proc/<pid>/exe), become the child subreaper (containers' PID 1s are reparented to us),
// build the Engine on the real kernel, serve the API on a Unix socket until SIGTERM or SIGINT,
// then stop containers and remove the socket and pid file.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/api/server.h"
#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/daemon/engine.h"
#include "engine/network/driver.h"
#include "engine/network/port_proxy.h"
#include "engine/runtime/runtime.h"
#include "engine/runtime/sealed_exec.h"
#include "engine/base/user_dirs.h"
#include "engine/sim/net/sim_network.h"
#include "engine/sim/sim_kernel.h"
#include "engine/sim/netns_paths.h"
#include "engine/sim/sim_runtime.h"
#include "engine/sys/linux_kernel.h"

namespace {

// What the embedded DNS of a container's user-defined bridge networks answers for `name` (the
// simulated kernel's programs ask it directly; docs/simulated-kernel.md): the addresses of the
// containers there whose name, alias or short id it is, as network::Manager's DNS records key
// them. The default bridge has no DNS.
std::vector<std::string> embedded_dns_answer(const engine::daemon::Engine& engine, const std::string& container_id,
    const std::string& name)
{
    namespace strings = engine::strings;
    std::vector<std::string> out;
    auto asker = engine.inspect_container(container_id);
    if (!asker.ok())
        return out;
    auto wanted = strings::to_lower(name);
    for (const auto& endpoint : asker.value().endpoints) {
        // Decided as network::Manager decides which networks get the embedded DNS: user-defined
        // ones whose driver makes a host-routed bridge.
        auto network = engine.inspect_network(endpoint.network_id);
        if (!network.ok() || !network.value().user_defined)
            continue;
        auto driver = engine::network::find_driver(network.value().driver);
        if (!driver.ok() || !driver.value()->host_bridged())
            continue;
        for (const auto& [id, peer] : network.value().containers) {
            std::vector<std::string> keys = peer.aliases;
            if (auto view = engine.inspect_container(id); view.ok())
                keys.push_back(view.value().name);
            keys.push_back(id.substr(0, 12));
            bool match = std::any_of(keys.begin(), keys.end(), [&](const std::string& key) { return strings::to_lower(key) == wanted; });
            if (match && !peer.ip_address.empty() && std::find(out.begin(), out.end(), peer.ip_address) == out.end())
                out.push_back(peer.ip_address);
        }
    }
    return out;
}

struct Flags {
    std::string root;     // "" = engine::user_dirs::default_root().
    std::string run_root; // "" = engine::user_dirs::default_run_root().
    std::string kernel { "auto" };
    std::string host;
    std::string init_path;
    std::string log_level { "info" };
    std::string pidfile;
    std::string bridge_name;
    std::string bridge_prefix;
    std::string default_subnet;
    std::string pool;
    std::string nft_table;
    bool reset_on_exit { false };
};

engine::api::Server* g_server = nullptr;

void on_stop_signal(int)
{
    if (g_server)
        g_server->notify_stop();
}

void usage(FILE* out)
{
    std::fprintf(out,
        "usage: glassboxd [options]\n"
        "  --root DIR          engine state (images, containers, volumes) [/var/lib/glassbox;\n"
        "                      not root: $XDG_DATA_HOME/glassbox or ~/.local/share/glassbox]\n"
        "  --run-root DIR      runtime state (socket, pid file) [/run/glassbox;\n"
        "                      not root: $XDG_RUNTIME_DIR/glassbox or /tmp/glassbox-<uid>]\n"
        "  --kernel KIND       real, sim (the simulated kernel, docs/simulated-kernel.md) or\n"
        "                      auto: sim when not root [auto]\n"
        "  -H, --host URL      API socket, unix:///path [unix://<run-root>/glassbox.sock]\n"
        "  --init-path PATH    glassbox-init binary for --init [next to glassboxd]\n"
        "  --log-level LEVEL   debug, info, warn or error [info]\n"
        "  --pidfile PATH      [<run-root>/glassboxd.pid]\n"
        "  --bridge NAME       the default bridge [glassbox0; if another daemon has it, the\n"
        "                      next free glassbox<N>, chosen at the root's first start]\n"
        "  --link-prefix P     prefix of every link glassbox creates [gb-]\n"
        "  --subnet CIDR       subnet of the default bridge network [picked by IPAM]\n"
        "  --address-pool CIDR where user networks get their subnets [Docker's pools]\n"
        "  --nft-table NAME    nftables table for NAT and published ports [glassbox;\n"
        "                      glassbox<N> for a default bridge glassbox<N>]\n"
        "  --reset-on-exit     on shutdown, also remove every kernel object this daemon made\n"
        "                      (bridge, nft table, netns files, cgroups), as `system reset` does\n"
        "  (tests give each daemon its own bridge, prefix, pool and table so they never collide)\n");
}

// Parses "--flag value" and "--flag=value"; returns false (after printing why) on bad input.
bool parse_flags(int argc, char** argv, Flags& flags, bool& help)
{
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_inline = false;
        if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_inline = true;
        }
        if (arg == "-h" || arg == "--help") {
            help = true;
            return true;
        }
        if (arg == "--reset-on-exit") {
            flags.reset_on_exit = true;
            continue;
        }
        std::string* target = nullptr;
        if (arg == "--root")
            target = &flags.root;
        else if (arg == "--run-root" || arg == "--exec-root")
            target = &flags.run_root;
        else if (arg == "-H" || arg == "--host")
            target = &flags.host;
        else if (arg == "--init-path")
            target = &flags.init_path;
        else if (arg == "--log-level" || arg == "-l")
            target = &flags.log_level;
        else if (arg == "--pidfile" || arg == "-p")
            target = &flags.pidfile;
        else if (arg == "--bridge" || arg == "-b")
            target = &flags.bridge_name;
        else if (arg == "--link-prefix")
            target = &flags.bridge_prefix;
        else if (arg == "--subnet" || arg == "--bip")
            target = &flags.default_subnet;
        else if (arg == "--address-pool")
            target = &flags.pool;
        else if (arg == "--nft-table")
            target = &flags.nft_table;
        else if (arg == "--kernel")
            target = &flags.kernel;
        if (!target) {
            std::fprintf(stderr, "glassboxd: unknown flag \"%s\"\n", arg.c_str());
            return false;
        }
        if (!has_inline) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "glassboxd: flag %s needs a value\n", arg.c_str());
                return false;
            }
            value = argv[++i];
        }
        if (value.empty()) {
            std::fprintf(stderr, "glassboxd: flag %s needs a non-empty value\n", arg.c_str());
            return false;
        }
        *target = value;
    }
    return true;
}

// Docker's modes for the state directories (CVE-2021-41091: with a traversable data root, an
// unprivileged host user could run a setuid binary that a container wrote into a volume or an
// upper directory). The data root is 0710 (root's group may traverse, as Docker's is), volumes/
// and containers/ are 0700. Applied on every start, so an existing install made by an older
// daemon (0711, 0701) is fixed too. The run root stays 0711: the API socket (0660) is inside it.
engine::Result<void> tighten_state_modes(const std::string& root)
{
    struct Wanted {
        std::string path;
        mode_t mode;
    };
    for (const auto& [path, mode] : { Wanted { root, 0710 }, Wanted { root + "/volumes", 0700 },
             Wanted { root + "/containers", 0700 } }) {
        struct stat st { };
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno == ENOENT)
                continue;
            return engine::Error::from_errno("stat " + path, errno);
        }
        if (!S_ISDIR(st.st_mode))
            return engine::Error::invalid(path + " is not a directory");
        if ((st.st_mode & 07777) != mode && ::chmod(path.c_str(), mode) != 0)
            return engine::Error::from_errno("chmod " + path, errno);
    }
    return engine::Ok {};
}

// The directory of the host binary we were started from (glassbox-init lives next to it);
// /proc/self/exe names the sealed copy.
std::string directory_of(const std::string& exe)
{
    auto slash = exe.rfind('/');
    return slash == std::string::npos || exe.empty() ? "." : exe.substr(0, slash);
}

engine::Result<int> run(int argc, char** argv)
{
    using namespace engine;
    Flags flags;
    bool help = false;
    if (!parse_flags(argc, argv, flags, help))
        return 2;
    if (help) {
        usage(stdout);
        return 0;
    }

    // Before any thread exists: the first run copies the binary into a sealed memfd and
    // execveat()s it (this call does not return then); the copy comes back here.
    auto sealed = TRY_CTX(runtime::run_from_sealed_copy(argv), "re-execute glassboxd from a sealed copy");

    // Open files: each running container holds four (its output pipes, pidfd, log) and a
    // snapshot's caches up to three more for each of the first 128 namespaces, so the soft limit
    // a login shell gives (often 1024) ends near 250 containers. It is raised toward the hard
    // limit, as dockerd's unit does, but to 65536 at most.
    rlimit files {};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 65536 && files.rlim_cur < files.rlim_max) {
        // Containers get the limit the daemon was given back (runtime/process.cpp).
        runtime::set_container_open_file_limit(files.rlim_cur);
        files.rlim_cur = std::min<rlim_t>(files.rlim_max, 65536);
        if (::setrlimit(RLIMIT_NOFILE, &files) != 0)
            log::warn(std::string("raise the open-file limit: ") + std::strerror(errno));
    }

    // Idle memory: glibc gives each thread that allocates an arena of its own (up to eight per
    // CPU); the daemon's threads are few and short-lived, so two arenas are enough. The mmap
    // threshold is fixed at 4 MiB: setting any threshold freezes glibc's sliding one at 128 KiB,
    // and then every large buffer of a snapshot (the nftables listing's hash tables, the JSON
    // text) became an mmap/munmap pair, and a 50-container `glassbox state` took three times as
    // long. Memory goes back to the kernel when the daemon is idle (server.on_idle below), never
    // in the middle of a burst (64 MiB bounds what stays while a stream keeps the daemon from
    // being idle): a trim threshold of 4 MiB gave a 50-container snapshot's pages
    // back after each request and the next one faulted them in again (1,400 page faults per
    // request, each dear on a paravirtualised machine: collect 40 -> 29 ms, encode 10 -> 5.6 ms
    // without it), and the 16 MiB top pad grows the heap in few steps for the same reason. An
    // operator's own GLIBC_TUNABLES or MALLOC_ARENA_MAX wins.
    if (!std::getenv("GLIBC_TUNABLES") && !std::getenv("MALLOC_ARENA_MAX")) {
        ::mallopt(M_ARENA_MAX, 2);
        ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
        ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
        ::mallopt(M_TOP_PAD, 16 << 20);
    }

    if (flags.log_level == "debug")
        log::set_level(log::Level::Debug);
    else if (flags.log_level == "info")
        log::set_level(log::Level::Info);
    else if (flags.log_level == "warn" || flags.log_level == "warning")
        log::set_level(log::Level::Warn);
    else if (flags.log_level == "error")
        log::set_level(log::Level::Error);
    else
        return Error::invalid("--log-level: unknown level \"" + flags.log_level + "\" (want debug, info, warn or error)");

    std::string simulated_reason;
    auto kernel_kind = TRY(user_dirs::resolve_kernel(flags.kernel, simulated_reason));
    if (flags.root.empty())
        flags.root = user_dirs::default_root();
    if (flags.run_root.empty())
        flags.run_root = user_dirs::default_run_root();
    std::string socket_path = flags.run_root + "/glassbox.sock";
    if (!flags.host.empty()) {
        if (!strings::starts_with(flags.host, "unix://"))
            return Error::invalid("--host: only unix:///path is supported, got \"" + flags.host + "\"");
        socket_path = flags.host.substr(7);
        if (socket_path.empty() || socket_path[0] != '/')
            return Error::invalid("--host: the socket path must be absolute, got \"" + flags.host + "\"");
    }
    if (flags.pidfile.empty())
        flags.pidfile = flags.run_root + "/glassboxd.pid";
    if (flags.init_path.empty())
        flags.init_path = directory_of(sealed.original_path) + "/glassbox-init";

    // A client that disconnects mid-write must not kill the daemon.
    ::signal(SIGPIPE, SIG_IGN);

    TRY_CTX(fs::make_dirs(flags.root, 0711), "create --root " + flags.root);
    TRY_CTX(fs::make_dirs(flags.run_root, 0711), "create --run-root " + flags.run_root);
    auto socket_dir = socket_path.substr(0, socket_path.rfind('/'));
    if (!socket_dir.empty())
        TRY_CTX(fs::make_dirs(socket_dir, 0755), "create socket directory " + socket_dir);

    // Containers' PID 1s are grandchildren (CLONE_NEWPID applies to children); as the subreaper
    // we inherit them and can wait for their exit status.
    TRY_CTX(runtime::become_subreaper(), "become child subreaper");

    daemon::EngineOptions options;
    options.root = flags.root;
    options.run_root = flags.run_root;
    options.init_path = flags.init_path;
    if (!flags.bridge_name.empty())
        options.bridge_name = flags.bridge_name;
    if (!flags.bridge_prefix.empty())
        options.bridge_prefix = flags.bridge_prefix;
    options.default_subnet = flags.default_subnet;
    options.pool_prefix = flags.pool;
    if (!flags.nft_table.empty())
        options.nft_table_name = flags.nft_table;
    // The simulated kernel: the same Engine over sim::SimKernel, sim::SimNetwork and its
    // nftables, with the simulated runtime starting containers' programs in the model.
    std::unique_ptr<sim::SimKernel> sim_kernel;
    std::unique_ptr<sim::SimNetwork> sim_network;
    std::unique_ptr<sim::SimNftables> sim_nftables;
    std::unique_ptr<sim::NamespacePathNetlink> sim_netlink;
    // The engine the simulated programs' name lookups ask: set once it exists, cleared when it
    // shuts down (a program thread may still be finishing then).
    std::atomic<const daemon::Engine*> dns_engine { nullptr };
    sys::Kernel* kernel = &sys::linux_kernel();
    if (kernel_kind == "sim") {
        sim_kernel = std::make_unique<sim::SimKernel>(flags.run_root + "/sim",
            std::vector<std::string> { flags.root, flags.run_root }, simulated_reason);
        sim_network = std::make_unique<sim::SimNetwork>();
        sim_nftables = std::make_unique<sim::SimNftables>(*sim_network);
        auto* simulated = sim_kernel.get();
        auto* network = sim_network.get();
        // The engine (and its state collector) names namespaces by any file that refers to
        // one, as on rtnetlink; the adapter maps the simulated procfs's to the model's.
        sim_netlink = std::make_unique<sim::NamespacePathNetlink>(*simulated, *network);
        options.netlink = sim_netlink.get();
        options.nftables = sim_nftables.get();
        // The embedded DNS server would bind a socket on the host for an address that exists
        // only in the model; simulated programs resolve names from the container's /etc/hosts
        // and the engine's records instead.
        options.embedded_dns = false;
        sim::NameLookup lookup = [&dns_engine](const std::string& container_id, const std::string& name) {
            const auto* engine = dns_engine.load();
            return engine ? embedded_dns_answer(*engine, container_id, name) : std::vector<std::string> {};
        };
        options.start_process = [simulated, network, lookup](sys::Kernel&, const runtime::ContainerSpec& spec) {
            return sim::start_simulated_container(*simulated, spec, network, lookup);
        };
        options.exec_process = [simulated, network, lookup](sys::Kernel&, const runtime::ContainerSpec& spec, pid_t pid,
                                   const runtime::ProcessSpec& process) {
            return sim::exec_in_simulated_container(*simulated, spec, pid, process, network, lookup);
        };
        // A published port's proxy reaches the container through the model, never the
        // host's real network (where the model's addresses could be anyone's).
        network::PortProxy::set_connector([network](const std::string& ip, std::uint16_t port) {
            return sim::connect_through_model(*network, ip, port);
        });
        kernel = simulated;
        log::info("SIMULATED kernel (" + simulated_reason + "): containers run in glassbox's in-memory model, "
            "not in Linux namespaces; see docs/simulated-kernel.md");
    }
    auto engine = TRY_CTX(daemon::Engine::create(*kernel, options), "start engine");
    dns_engine = engine.get();
    TRY_CTX(tighten_state_modes(flags.root), "set the modes of --root " + flags.root);

    api::Server server(api::make_router(*engine));
    // Idle memory, continued: the chunks a burst of requests freed stay in the arenas (below the
    // trim threshold, or between live chunks, where glibc never trims on its own). Once the
    // daemon has been quiet for a moment, malloc_trim gives their pages back to the kernel; the
    // next request faults in what it needs again, which costs far less than a request.
    server.on_idle(std::chrono::milliseconds(200), [] { ::malloc_trim(0); });
    TRY(server.listen(socket_path));
    TRY_CTX(fs::write_file_atomic(flags.pidfile, std::to_string(::getpid()) + "\n"), "write pid file");

    g_server = &server;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);

    log::info("running from a sealed copy of " + sealed.original_path + " ("
        + std::to_string(sealed.size_bytes / (1024 * 1024)) + " MiB, copied and re-executed in "
        + std::to_string(sealed.copy_time.count() / 1000) + "." + std::to_string(sealed.copy_time.count() % 1000 / 100) + " ms)");
    log::info("glassboxd " + options.version + " listening on unix://" + socket_path + " (root " + flags.root + ", kernel "
        + (kernel_kind == "sim" ? "simulated" : "real") + ")");
    server.serve();

    // Shutdown: no new connections; stop containers (this ends attach, wait and logs streams);
    // then close what is left and remove our files.
    log::info("glassboxd shutting down");
    engine->shutdown();
    dns_engine = nullptr;
    if (flags.reset_on_exit) {
        auto removed = engine->reset(false);
        if (!removed.ok())
            log::warn("reset on exit: " + removed.error().describe());
    }
    auto left = server.stop(3000);
    g_server = nullptr;
    ::unlink(socket_path.c_str());
    ::unlink(flags.pidfile.c_str());
    if (left > 0) {
        // Connection threads still hold references to the engine; leave without destroying it.
        log::warn(std::to_string(left) + " API connections did not finish; exiting anyway");
        std::fflush(nullptr);
        std::_Exit(0);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    auto result = run(argc, argv);
    if (!result.ok()) {
        std::fprintf(stderr, "glassboxd: error: %s\n", result.error().describe().c_str());
        return 1;
    }
    return result.value();
}
