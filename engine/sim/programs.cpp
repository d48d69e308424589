#include "engine/sim/programs.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <mutex>
#include <thread>
#include <tuple>

#include "engine/base/strings.h"
#include "engine/sim/net/sim_network.h"
#include "engine/sim/proc_view.h"
#include "engine/sim/sim_kernel.h"

namespace engine::sim {

// [SECTION] Stdio and context

Stdio Stdio::dup() const
{
    auto copy = [](int fd) { return fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1; };
    return { copy(in), copy(out), copy(err) };
}

void Stdio::close_all()
{
    for (int* fd : { &in, &out, &err }) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
}

namespace {

void write_fd(int fd, std::string_view text)
{
    while (fd >= 0 && !text.empty()) {
        auto n = ::write(fd, text.data(), text.size());
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return;
        }
        text.remove_prefix(static_cast<size_t>(n));
    }
}

std::uint64_t bit(int signal) { return std::uint64_t { 1 } << (signal - 1); }

} // namespace

void ProgramContext::out(std::string_view text) const { write_fd(io.out, text); }
void ProgramContext::err(std::string_view text) const { write_fd(io.err, text); }

bool ProgramContext::killed() const
{
    auto state = kernel->signal_state(pid);
    std::lock_guard lock(kernel->signal_mutex());
    return !state || state->killed;
}

bool ProgramContext::sleep_for(long ms, int* signal) const
{
    auto state = kernel->signal_state(pid);
    if (!state)
        return false;
    std::unique_lock lock(kernel->signal_mutex());
    auto ready = [&] { return state->killed || !state->pending.empty(); };
    if (ms < 0)
        kernel->signal_cv().wait(lock, ready);
    else
        kernel->signal_cv().wait_for(lock, std::chrono::milliseconds(ms), ready);
    if (state->killed)
        return false;
    if (!state->pending.empty()) {
        if (signal)
            *signal = state->pending.front();
        state->pending.erase(state->pending.begin());
        return false;
    }
    return true;
}

std::string ProgramContext::getenv(const std::string& name) const
{
    for (const auto& entry : env)
        if (strings::starts_with(entry, name + "="))
            return entry.substr(name.size() + 1);
    return {};
}

// [SECTION] Utilities

namespace {

using Program = int (*)(ProgramContext&);

// Sleeps like sleep(1): ends early only when killed or when a caught signal's handler exits.
int sleep_like(ProgramContext& ctx, long ms)
{
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        long left = ms < 0 ? -1
                           : static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count());
        if (ms >= 0 && left <= 0)
            return 0;
        int signal = 0;
        if (ctx.sleep_for(left, &signal))
            return 0;
        if (signal == 0)
            return 128 + SIGKILL; // Killed; the status is the kernel's.
    }
}

long parse_seconds(const std::string& text)
{
    if (text == "inf" || text == "infinity")
        return -1;
    try {
        return static_cast<long>(std::stod(text) * 1000);
    } catch (...) {
        return 0;
    }
}

// [SECTION] Files, with the procfs mounted at /proc

// The node at `path` (clean) when it is under the procfs the caller's mount namespace has at
// /proc (proc_view.h); nullopt for any other path, which the container's files answer.
std::optional<Result<ProcNode>> proc_node(const ProgramContext& ctx, const std::string& path)
{
    if (!is_proc_path(path) || !proc_mounted(*ctx.kernel, ctx.pid))
        return std::nullopt;
    return proc_lookup(*ctx.kernel, ctx.pid, path);
}

// What `program` says when a /proc path cannot be read: busybox's words for a missing name, and
// for a procfs file the simulated kernel does not model, that it does not and what it does.
void say_proc_error(const ProgramContext& ctx, const std::string& program, const std::string& arg, const Error& error)
{
    if (error.kind() == ErrorKind::Unsupported)
        ctx.err(program + ": " + error.message() + "\n");
    else
        ctx.err(program + ": can't open '" + arg + "': No such file or directory\n");
}

// A file's contents for cat and tail: from the procfs under /proc, else the container's files.
// On failure it prints the program's message and returns nullopt.
std::optional<std::string> read_for(const ProgramContext& ctx, const std::string& program, const std::string& arg)
{
    auto path = clean_path(ctx.cwd, arg);
    if (auto node = proc_node(ctx, path)) {
        if (!node->ok()) {
            say_proc_error(ctx, program, arg, node->error());
            return std::nullopt;
        }
        if (node->value().kind == ProcNode::Kind::File)
            return node->value().text;
        // read(2) of a directory gives EISDIR; of a namespace link (opened through it), EINVAL.
        bool dir = node->value().kind == ProcNode::Kind::Dir;
        ctx.err(program + ": read error: " + (dir ? "Is a directory" : "Invalid argument") + "\n");
        return std::nullopt;
    }
    auto text = ctx.fs->read(path);
    if (!text.ok()) {
        ctx.err(program + ": can't open '" + arg + "': No such file or directory\n");
        return std::nullopt;
    }
    return text.value();
}

// Programs that write (touch, mkdir, rm, sh's >) refuse /proc: the simulated procfs is read-only,
// and the write must not land in the container's upper directory under the mount.
bool refuses_proc_write(const ProgramContext& ctx, const std::string& program, const std::string& arg)
{
    if (!is_proc_path(clean_path(ctx.cwd, arg)) || !proc_mounted(*ctx.kernel, ctx.pid))
        return false;
    ctx.err(program + ": " + arg + ": writing to /proc is not modelled by the simulated kernel (its /proc is read-only)\n");
    return true;
}

int prog_sleep(ProgramContext& ctx)
{
    if (ctx.argv.size() < 2) {
        ctx.err("sleep: missing operand\n");
        return 1;
    }
    return sleep_like(ctx, parse_seconds(ctx.argv[1]));
}

int prog_tail(ProgramContext& ctx)
{
    // tail -f FILE: waits forever for more lines (/dev/null never has any).
    bool follow = std::find(ctx.argv.begin(), ctx.argv.end(), "-f") != ctx.argv.end();
    if (follow)
        return sleep_like(ctx, -1);
    if (ctx.argv.size() > 1) {
        auto text = read_for(ctx, "tail", ctx.argv.back());
        if (!text)
            return 1;
        ctx.out(*text);
    }
    return 0;
}

int prog_echo(ProgramContext& ctx)
{
    std::vector<std::string> words(ctx.argv.begin() + 1, ctx.argv.end());
    bool newline = true;
    if (!words.empty() && words[0] == "-n") {
        newline = false;
        words.erase(words.begin());
    }
    ctx.out(strings::join(words, " ") + (newline ? "\n" : ""));
    return 0;
}

int prog_cat(ProgramContext& ctx)
{
    int status = 0;
    for (size_t i = 1; i < ctx.argv.size(); ++i) {
        auto text = read_for(ctx, "cat", ctx.argv[i]);
        if (!text) {
            status = 1;
            continue;
        }
        ctx.out(*text);
    }
    return status;
}

int prog_ls(ProgramContext& ctx)
{
    std::vector<std::string> paths;
    bool long_format = false;
    for (size_t i = 1; i < ctx.argv.size(); ++i) {
        if (ctx.argv[i][0] != '-')
            paths.push_back(ctx.argv[i]);
        else
            long_format = long_format || ctx.argv[i].find('l') != std::string::npos;
    }
    if (paths.empty())
        paths.push_back(ctx.cwd);
    int status = 0;
    for (const auto& path : paths) {
        auto full = clean_path(ctx.cwd, path);
        if (auto node = proc_node(ctx, full)) {
            // In the procfs, -l shows where the links (ns/*, self) point.
            if (!node->ok()) {
                say_proc_error(ctx, "ls", path, node->error());
                status = 1;
                continue;
            }
            const ProcNode& found = node->value();
            if (found.kind != ProcNode::Kind::Dir)
                ctx.out(path + (long_format && found.kind == ProcNode::Kind::Link ? " -> " + found.text : "") + "\n");
            for (size_t i = 0; i < found.entries.size(); ++i)
                ctx.out(found.entries[i] + (long_format && !found.targets[i].empty() ? " -> " + found.targets[i] : "") + "\n");
            continue;
        }
        if (!ctx.fs->exists(full)) {
            ctx.err("ls: " + path + ": No such file or directory\n");
            status = 1;
        } else if (!ctx.fs->is_dir(full)) {
            ctx.out(path + "\n");
        } else if (auto names = ctx.fs->list(full); names.ok()) {
            for (const auto& name : names.value())
                ctx.out(name + "\n");
        }
    }
    return status;
}

int prog_hostname(ProgramContext& ctx)
{
    auto self = ctx.kernel->process(ctx.pid);
    ctx.out(ctx.kernel->hostname_of(self ? self->namespaces["uts"] : 0) + "\n");
    return 0;
}

int prog_id(ProgramContext& ctx)
{
    auto self = ctx.kernel->process(ctx.pid);
    int uid = self ? self->uid : 0;
    ctx.out(uid == 0 ? "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"
                     : "uid=" + std::to_string(uid) + " gid=" + std::to_string(uid) + "\n");
    return 0;
}

int prog_uname(ProgramContext& ctx)
{
    bool release = std::find(ctx.argv.begin(), ctx.argv.end(), "-r") != ctx.argv.end();
    ctx.out(release ? ctx.kernel->features().kernel_release + "\n" : std::string("Linux\n"));
    return 0;
}

int prog_ps(ProgramContext& ctx)
{
    // busybox ps: PID USER TIME COMMAND, every process of the caller's PID namespace.
    ctx.out("PID   USER     TIME  COMMAND\n");
    for (const auto& process : ctx.kernel->processes()) {
        int seen = ctx.kernel->pid_seen_by(ctx.pid, process.pid);
        if (seen == 0)
            continue;
        std::string pid = std::to_string(seen);
        pid.resize(std::max<size_t>(pid.size(), 5), ' ');
        std::string command = process.state == 'Z' ? "[" + process.comm + "]" : strings::join(process.argv, " ");
        ctx.out(pid + " " + (process.uid == 0 ? "root    " : std::to_string(process.uid) + "    ") + "  0:00 " + command + "\n");
    }
    return 0;
}

int prog_kill(ProgramContext& ctx)
{
    int signal = SIGTERM;
    size_t i = 1;
    if (i < ctx.argv.size() && ctx.argv[i][0] == '-') {
        auto name = ctx.argv[i].substr(1);
        if (strings::starts_with(name, "SIG"))
            name = name.substr(3);
        static const std::map<std::string, int> names = { { "TERM", SIGTERM }, { "KILL", SIGKILL }, { "INT", SIGINT },
            { "HUP", SIGHUP }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "QUIT", SIGQUIT } };
        if (auto it = names.find(name); it != names.end())
            signal = it->second;
        else
            signal = std::atoi(name.c_str());
        i++;
    }
    int status = 0;
    for (; i < ctx.argv.size(); ++i) {
        pid_t target = ctx.kernel->host_pid_of(ctx.pid, std::atoi(ctx.argv[i].c_str()));
        if (target == 0 || !ctx.kernel->signal_from(ctx.pid, target, signal).ok()) {
            ctx.err("kill: can't kill pid " + ctx.argv[i] + ": No such process\n");
            status = 1;
        }
    }
    return status;
}

int prog_rm(ProgramContext& ctx)
{
    int status = 0;
    bool force = false;
    for (size_t i = 1; i < ctx.argv.size(); ++i) {
        if (ctx.argv[i][0] == '-') {
            force = force || ctx.argv[i].find('f') != std::string::npos;
            continue;
        }
        if (refuses_proc_write(ctx, "rm", ctx.argv[i])) {
            status = 1;
            continue;
        }
        if (auto removed = ctx.fs->remove(clean_path(ctx.cwd, ctx.argv[i])); !removed.ok() && !force) {
            ctx.err("rm: can't remove '" + ctx.argv[i] + "': No such file or directory\n");
            status = 1;
        }
    }
    return status;
}

int prog_touch(ProgramContext& ctx)
{
    for (size_t i = 1; i < ctx.argv.size(); ++i) {
        auto path = clean_path(ctx.cwd, ctx.argv[i]);
        if (refuses_proc_write(ctx, "touch", ctx.argv[i]))
            return 1;
        if (!ctx.fs->exists(path) && !ctx.fs->write(path, "", true).ok()) {
            ctx.err("touch: " + ctx.argv[i] + ": Read-only file system or no such directory\n");
            return 1;
        }
    }
    return 0;
}

// mkdir [-p] DIR...
int prog_mkdir(ProgramContext& ctx)
{
    bool parents = false;
    int status = 0;
    for (size_t i = 1; i < ctx.argv.size(); ++i) {
        if (ctx.argv[i][0] == '-') {
            parents = parents || ctx.argv[i].find('p') != std::string::npos;
            continue;
        }
        if (refuses_proc_write(ctx, "mkdir", ctx.argv[i])) {
            status = 1;
            continue;
        }
        auto path = clean_path(ctx.cwd, ctx.argv[i]);
        std::vector<std::string> chain { path };
        if (parents)
            for (auto parent = path.substr(0, path.rfind('/')); !parent.empty(); parent = parent.substr(0, parent.rfind('/')))
                chain.insert(chain.begin(), parent);
        for (const auto& dir : chain) {
            if (parents && ctx.fs->is_dir(dir))
                continue;
            bool existed = ctx.fs->exists(dir);
            if (auto made = ctx.fs->make_dir(dir); !made.ok()) {
                ctx.err("mkdir: can't create directory '" + ctx.argv[i] + "': "
                    + (existed ? "File exists" : "No such file or directory") + "\n");
                status = 1;
                break;
            }
        }
    }
    return status;
}

int prog_true(ProgramContext&) { return 0; }
int prog_false(ProgramContext&) { return 1; }

int prog_test(ProgramContext& ctx)
{
    std::vector<std::string> args(ctx.argv.begin() + 1, ctx.argv.end());
    if (ctx.argv[0] == "[" && !args.empty() && args.back() == "]")
        args.pop_back();
    bool negate = !args.empty() && args[0] == "!";
    if (negate)
        args.erase(args.begin());
    bool result = false;
    bool file_test = args.size() == 2 && (args[0] == "-e" || args[0] == "-f" || args[0] == "-d");
    auto proc = file_test ? proc_node(ctx, clean_path(ctx.cwd, args[1])) : std::nullopt;
    if (proc) {
        auto kind = proc->ok() ? proc->value().kind : ProcNode::Kind::Link;
        result = proc->ok()
            && (args[0] == "-e" || (args[0] == "-f" ? kind == ProcNode::Kind::File : kind == ProcNode::Kind::Dir));
    } else if (args.size() == 2 && args[0] == "-e")
        result = ctx.fs->exists(clean_path(ctx.cwd, args[1]));
    else if (args.size() == 2 && args[0] == "-f")
        result = ctx.fs->exists(clean_path(ctx.cwd, args[1])) && !ctx.fs->is_dir(clean_path(ctx.cwd, args[1]));
    else if (args.size() == 2 && args[0] == "-d")
        result = ctx.fs->is_dir(clean_path(ctx.cwd, args[1]));
    else if (args.size() == 2 && args[0] == "-n")
        result = !args[1].empty();
    else if (args.size() == 2 && args[0] == "-z")
        result = args[1].empty();
    else if (args.size() == 3 && (args[1] == "=" || args[1] == "=="))
        result = args[0] == args[2];
    else if (args.size() == 3 && args[1] == "!=")
        result = args[0] != args[2];
    else if (args.size() == 3 && (args[1] == "-eq" || args[1] == "-ne" || args[1] == "-lt" || args[1] == "-gt")) {
        long a = std::atol(args[0].c_str()), b = std::atol(args[2].c_str());
        result = args[1] == "-eq" ? a == b : args[1] == "-ne" ? a != b : args[1] == "-lt" ? a < b : a > b;
    } else if (args.size() == 1)
        result = !args[0].empty();
    return (result != negate) ? 0 : 1;
}

// A program with a SIGTERM handler: it says so, waits, and exits 0 on SIGTERM.
int prog_graceful(ProgramContext& ctx)
{
    {
        auto state = ctx.kernel->signal_state(ctx.pid);
        std::lock_guard lock(ctx.kernel->signal_mutex());
        state->caught |= bit(SIGTERM) | bit(SIGINT);
    }
    ctx.out("graceful: waiting; SIGTERM ends me cleanly\n");
    for (;;) {
        int signal = 0;
        if (ctx.sleep_for(-1, &signal))
            continue;
        if (signal == 0)
            return 128 + SIGKILL;
        ctx.out("graceful: got " + std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT") + ", exiting 0\n");
        return 0;
    }
}

int spawn_and_run(ProgramContext& parent, std::vector<std::string> argv, bool wait, const Stdio* io = nullptr);

// A zombie maker: starts children that exit at once and never waits for them.
int prog_zombies(ProgramContext& ctx)
{
    int count = ctx.argv.size() > 1 ? std::max(1, std::atoi(ctx.argv[1].c_str())) : 3;
    for (int i = 0; i < count; ++i)
        spawn_and_run(ctx, { "true" }, false);
    ctx.out("zombies: made " + std::to_string(count) + " children and will never wait for them\n");
    return sleep_like(ctx, -1);
}

// glassbox-init (--init): runs the command as its child, forwards signals to it, reaps every
// orphan, and exits with the child's status.
int prog_init(ProgramContext& ctx)
{
    size_t first = 1;
    while (first < ctx.argv.size() && (ctx.argv[first] == "--" || ctx.argv[first][0] == '-'))
        first++;
    std::vector<std::string> command(ctx.argv.begin() + static_cast<long>(first), ctx.argv.end());
    if (command.empty())
        return 1;
    {
        auto state = ctx.kernel->signal_state(ctx.pid);
        std::lock_guard lock(ctx.kernel->signal_mutex());
        for (int signal : { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 })
            state->caught |= bit(signal);
    }
    pid_t child = static_cast<pid_t>(spawn_and_run(ctx, command, false));
    for (;;) {
        if (auto reaped = ctx.kernel->wait_child(ctx.pid, 0, 0)) {
            if (reaped->first == child)
                return reaped->second;
            continue;
        }
        int signal = 0;
        if (!ctx.sleep_for(50, &signal)) {
            if (signal == 0)
                return 128 + SIGKILL;
            (void)ctx.kernel->signal_from(ctx.pid, child, signal);
        }
    }
}

int prog_nslookup(ProgramContext& ctx)
{
    if (ctx.argv.size() < 2)
        return 1;
    const auto& name = ctx.argv[1];
    auto hosts = ctx.fs->read("/etc/hosts");
    if (hosts.ok()) {
        for (const auto& line : strings::split(hosts.value(), '\n')) {
            auto fields = strings::split(strings::trim(line), '\t');
            if (fields.size() < 2)
                fields = strings::split(strings::trim(line), ' ');
            if (std::find(fields.begin() + 1, fields.end(), name) != fields.end()) {
                ctx.out("Name:\t" + name + "\nAddress: " + fields[0] + "\n");
                return 0;
            }
        }
    }
    if (ctx.lookup) {
        auto addresses = ctx.lookup(ctx.container_id, name);
        if (!addresses.empty()) {
            ctx.out("Name:\t" + name + "\n");
            for (const auto& address : addresses)
                ctx.out("Address: " + address + "\n");
            return 0;
        }
    }
    ctx.err("nslookup: can't resolve '" + name + "'\n");
    return 1;
}

// The network seam's name of the caller's network namespace.
std::string my_netns(const ProgramContext& ctx)
{
    auto self = ctx.kernel->process(ctx.pid);
    return self ? ctx.kernel->netns_name(self->namespaces["net"]) : std::string();
}

// An address itself, a name from the container's /etc/hosts, then one the engine's DNS answers
// (the resolver's order: files, then DNS).
std::string resolve_host(const ProgramContext& ctx, const std::string& name)
{
    if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0])))
        return name;
    auto from_dns = [&]() -> std::string {
        if (!ctx.lookup)
            return {};
        auto addresses = ctx.lookup(ctx.container_id, name);
        return addresses.empty() ? std::string() : addresses.front();
    };
    if (auto hosts = ctx.fs->read("/etc/hosts"); hosts.ok()) {
        for (const auto& line : strings::split(hosts.value(), '\n')) {
            std::vector<std::string> fields;
            for (const auto& part : strings::split(strings::trim(line), ' '))
                for (const auto& field : strings::split(part, '\t'))
                    if (!field.empty())
                        fields.push_back(field);
            if (fields.size() > 1 && std::find(fields.begin() + 1, fields.end(), name) != fields.end())
                return fields[0];
        }
    }
    return from_dns();
}

// ping [-c N] [-W S] HOST: one echo per count through the network model's packet path.
int prog_ping(ProgramContext& ctx)
{
    int count = 1;
    std::string target;
    for (size_t i = 1; i < ctx.argv.size(); ++i) {
        if (ctx.argv[i] == "-c" && i + 1 < ctx.argv.size())
            count = std::max(1, std::atoi(ctx.argv[++i].c_str()));
        else if ((ctx.argv[i] == "-W" || ctx.argv[i] == "-w" || ctx.argv[i] == "-i") && i + 1 < ctx.argv.size())
            ++i;
        else if (ctx.argv[i][0] != '-')
            target = ctx.argv[i];
    }
    auto* network = dynamic_cast<SimNetwork*>(ctx.netlink);
    if (!network) {
        ctx.err("ping: no simulated network in this engine\n");
        return 2;
    }
    auto address = resolve_host(ctx, target);
    if (address.empty()) {
        ctx.err("ping: bad address '" + target + "'\n");
        return 1;
    }
    ctx.out("PING " + target + " (" + address + "): 56 data bytes\n");
    int received = 0;
    for (int seq = 0; seq < count; ++seq) {
        auto trace = network->ping(my_netns(ctx), address);
        if (trace.delivered) {
            received++;
            ctx.out("64 bytes from " + address + ": seq=" + std::to_string(seq) + " ttl=64 time=0.100 ms\n");
        } else if (!trace.error.empty()) {
            ctx.err("ping: " + trace.error + "\n");
        }
        if (seq + 1 < count && !ctx.sleep_for(200))
            break;
    }
    ctx.out("\n--- " + target + " ping statistics ---\n" + std::to_string(count) + " packets transmitted, "
        + std::to_string(received) + " packets received, " + std::to_string((count - received) * 100 / count)
        + "% packet loss\n");
    return received > 0 ? 0 : 1;
}

// ip addr [show [dev] NAME] / ip link / ip route: the caller's namespace, from the network seam.
int prog_ip(ProgramContext& ctx)
{
    if (!ctx.netlink) {
        ctx.err("ip: no network seam\n");
        return 1;
    }
    std::string object = ctx.argv.size() > 1 ? ctx.argv[1] : "addr";
    std::string only = ctx.argv.size() > 2 ? ctx.argv.back() : "";
    if (only == "show" || only == "dev" || only == "list")
        only.clear();
    auto netns = my_netns(ctx);
    auto links = ctx.netlink->list_links(netns);
    if (!links.ok()) {
        ctx.err("ip: " + links.error().describe() + "\n");
        return 1;
    }
    std::map<int, std::string> names;
    for (const auto& link : links.value())
        names[link.index] = link.name;
    if (object == "route" || object == "r" || object == "ro") {
        auto routes = ctx.netlink->list_routes(netns);
        for (const auto& route : routes.ok() ? routes.value() : std::vector<network::RouteInfo> {}) {
            if (route.table != 0 && route.table != 254)
                continue;
            std::string line = route.destination == "0.0.0.0/0" ? "default" : route.destination;
            if (!route.gateway.empty())
                line += " via " + route.gateway;
            line += " dev " + names[route.link_index];
            if (route.gateway.empty() && route.destination != "0.0.0.0/0")
                line += " scope link";
            if (route.destination.find(':') == std::string::npos)
                ctx.out(line + "\n");
        }
        return 0;
    }
    auto addresses = ctx.netlink->list_addresses(netns);
    bool found = only.empty();
    for (const auto& link : links.value()) {
        if (!only.empty() && link.name != only)
            continue;
        found = true;
        std::string flags = link.name == "lo" ? "LOOPBACK," : "BROADCAST,MULTICAST,";
        flags += link.up ? "UP,LOWER_UP" : "";
        if (!flags.empty() && flags.back() == ',')
            flags.pop_back();
        ctx.out(std::to_string(link.index) + ": " + link.name + ": <" + flags + "> mtu " + std::to_string(link.mtu)
            + " qdisc noqueue state " + (link.up ? "UP" : "DOWN") + "\n    link/" + (link.name == "lo" ? "loopback " : "ether ")
            + (link.mac.empty() ? "00:00:00:00:00:00" : link.mac) + "\n");
        if (object == "link" || object == "l")
            continue;
        for (const auto& address : addresses.ok() ? addresses.value() : std::vector<network::AddressInfo> {})
            if (address.link_index == link.index)
                ctx.out(std::string("    ") + (address.family == AF_INET6 ? "inet6 " : "inet ") + address.address + "/"
                    + std::to_string(address.prefix_length) + " scope " + (link.name == "lo" ? "host" : "global") + " "
                    + link.name + "\n");
    }
    if (!found) {
        ctx.err("ip: can't find device '" + only + "'\n");
        return 1;
    }
    return 0;
}

// [SECTION] HTTP: httpd listens in the network model; wget connects through it.

// The servers listening in the model, by network, namespace and port: what a connection that
// the packet model delivered to (netns, port) is answered by.
struct HttpServer {
    std::shared_ptr<ContainerFs> fs;
    std::string root;
};
using HttpKey = std::tuple<const SimNetwork*, std::string, std::uint16_t>;
std::mutex g_http_mutex;
std::map<HttpKey, HttpServer> g_http_servers;

// httpd [-f] [-p [IP:]PORT] [-h DIR]: binds the port in the caller's namespace of the network
// model and serves DIR's files until it is killed.
int prog_httpd(ProgramContext& ctx)
{
    std::string port_text = "80", root = "/www", ip = "0.0.0.0";
    for (size_t i = 1; i < ctx.argv.size(); ++i) {
        if (ctx.argv[i] == "-p" && i + 1 < ctx.argv.size())
            port_text = ctx.argv[++i];
        else if (ctx.argv[i] == "-h" && i + 1 < ctx.argv.size())
            root = ctx.argv[++i];
    }
    if (auto colon = port_text.rfind(':'); colon != std::string::npos) {
        ip = port_text.substr(0, colon);
        port_text = port_text.substr(colon + 1);
    }
    int port = std::atoi(port_text.c_str());
    auto* network = dynamic_cast<SimNetwork*>(ctx.netlink);
    if (!network || port <= 0 || port > 65535) {
        ctx.err(network ? "httpd: bad port '" + port_text + "'\n" : "httpd: no simulated network in this engine\n");
        return 1;
    }
    auto netns = my_netns(ctx);
    if (auto bound = network->listen(netns, ip, static_cast<std::uint16_t>(port)); !bound.ok()) {
        ctx.err("httpd: bind: " + std::string(bound.error().kind() == ErrorKind::AlreadyExists ? "Address in use" : "Cannot assign requested address") + "\n");
        return 1;
    }
    HttpKey key { network, netns, static_cast<std::uint16_t>(port) };
    {
        std::lock_guard lock(g_http_mutex);
        g_http_servers[key] = { ctx.fs, clean_path(ctx.cwd, root) };
    }
    int status = sleep_like(ctx, -1);
    {
        std::lock_guard lock(g_http_mutex);
        g_http_servers.erase(key);
    }
    (void)network->unlisten(netns, ip, static_cast<std::uint16_t>(port));
    return status;
}

} // namespace

std::optional<HttpReply> http_get(SimNetwork& network, const std::string& netns, std::uint16_t port, const std::string& path)
{
    HttpServer server;
    {
        std::lock_guard lock(g_http_mutex);
        auto it = g_http_servers.find({ &network, netns, port });
        if (it == g_http_servers.end())
            return std::nullopt;
        server = it->second;
    }
    auto file = clean_path(server.root, "." + path.substr(0, path.find('?')));
    if (server.fs->is_dir(file))
        file = clean_path(file, "index.html");
    auto body = server.fs->read(file);
    if (!body.ok())
        return HttpReply { 404, "Not Found", "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\n"
            "The requested URL was not found</BODY></HTML>\n" };
    return HttpReply { 200, "OK", body.value() };
}

Result<UniqueFd> connect_through_model(SimNetwork& network, const std::string& ip, std::uint16_t port)
{
    auto trace = network.connect("", ip, port, Protocol::Tcp);
    if (!trace.delivered)
        return Error::from_errno("connect to " + ip + ":" + std::to_string(port) + " in the network model: " + trace.error,
            trace.error_code ? trace.error_code : ECONNREFUSED);
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return Error::from_errno("socketpair", errno);
    // The far end: read one request's head, answer it as the httpd there would, close.
    std::thread([&network, netns = trace.reached_netns, port, fd = UniqueFd(pair[1])] {
        std::string request;
        char buffer[4096];
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
            auto n = ::read(fd.get(), buffer, sizeof buffer);
            if (n <= 0)
                break;
            request.append(buffer, static_cast<size_t>(n));
        }
        auto words = strings::split(request.substr(0, request.find('\r')), ' ');
        if (words.size() < 2)
            return;
        auto reply = http_get(network, netns, port, words[1]);
        if (!reply)
            return; // Nothing that speaks HTTP: the connection just closes.
        write_fd(fd.get(), "HTTP/1.1 " + std::to_string(reply->status) + " " + reply->reason
                + "\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(reply->body.size())
                + "\r\nConnection: close\r\n\r\n" + (words[0] == "HEAD" ? std::string() : reply->body));
    }).detach();
    return UniqueFd(pair[0]);
}

namespace {

// wget [-q] [-O FILE|-] [-T SECONDS] http://HOST[:PORT]/PATH: a TCP handshake through the
// network model from the caller's namespace, then the page from the httpd it reached.
int prog_wget(ProgramContext& ctx)
{
    std::string output, url;
    bool quiet = false;
    for (size_t i = 1; i < ctx.argv.size(); ++i) {
        const auto& arg = ctx.argv[i];
        if (arg.size() > 1 && arg[0] == '-') {
            for (size_t k = 1; k < arg.size(); ++k) {
                if (arg[k] == 'q')
                    quiet = true;
                else if (arg[k] == 'O' || arg[k] == 'T') {
                    std::string value = k + 1 < arg.size() ? arg.substr(k + 1) : (i + 1 < ctx.argv.size() ? ctx.argv[++i] : "");
                    if (arg[k] == 'O')
                        output = value;
                    break;
                }
            }
        } else {
            url = arg;
        }
    }
    if (!strings::starts_with(url, "http://")) {
        ctx.err("wget: not an http or ftp url: " + url + "\n");
        return 1;
    }
    auto rest = url.substr(7);
    auto slash = rest.find('/');
    std::string hostport = rest.substr(0, slash), path = slash == std::string::npos ? "/" : rest.substr(slash);
    std::string host = hostport;
    int port = 80;
    if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
        host = hostport.substr(0, colon);
        port = std::atoi(hostport.substr(colon + 1).c_str());
    }
    auto* network = dynamic_cast<SimNetwork*>(ctx.netlink);
    if (!network) {
        ctx.err("wget: no simulated network in this engine\n");
        return 1;
    }
    auto address = resolve_host(ctx, host);
    if (address.empty()) {
        ctx.err("wget: bad address '" + host + "'\n");
        return 1;
    }
    if (!quiet)
        ctx.err("Connecting to " + hostport + " (" + address + ":" + std::to_string(port) + ")\n");
    auto trace = network->connect(my_netns(ctx), address, static_cast<std::uint16_t>(port), Protocol::Tcp);
    if (!trace.delivered) {
        ctx.err("wget: can't connect to remote host (" + address + "): " + trace.error + "\n");
        return 1;
    }
    auto reply = http_get(*network, trace.reached_netns, static_cast<std::uint16_t>(port), path);
    if (!reply) {
        // Something listens there but speaks no HTTP the simulation knows.
        ctx.err("wget: error getting response: Connection reset by peer\n");
        return 1;
    }
    if (reply->status != 200) {
        ctx.err("wget: server returned error: HTTP/1.1 " + std::to_string(reply->status) + " " + reply->reason + "\n");
        return 1;
    }
    if (output == "-") {
        ctx.out(reply->body);
        return 0;
    }
    if (output.empty()) {
        auto name = path.substr(path.rfind('/') + 1);
        output = name.empty() ? "index.html" : name;
    }
    if (!ctx.fs->write(clean_path(ctx.cwd, output), reply->body, false).ok()) {
        ctx.err("wget: can't open '" + output + "': No such file or directory\n");
        return 1;
    }
    if (!quiet)
        ctx.err("saving to '" + output + "'\n'" + output + "' saved\n");
    return 0;
}

int prog_sh(ProgramContext& ctx);

const std::map<std::string, Program>& programs()
{
    static const std::map<std::string, Program> table = {
        { "sh", prog_sh }, { "ash", prog_sh }, { "bash", prog_sh }, { "sleep", prog_sleep }, { "tail", prog_tail },
        { "echo", prog_echo }, { "cat", prog_cat }, { "ls", prog_ls }, { "hostname", prog_hostname }, { "id", prog_id },
        { "uname", prog_uname }, { "ps", prog_ps }, { "kill", prog_kill }, { "rm", prog_rm }, { "touch", prog_touch },
        { "true", prog_true }, { "false", prog_false }, { "test", prog_test }, { "[", prog_test },
        { "graceful", prog_graceful }, { "zombies", prog_zombies }, { "glassbox-init", prog_init },
        { "docker-init", prog_init }, { "tini", prog_init }, { "nslookup", prog_nslookup }, { "ping", prog_ping },
        { "httpd", prog_httpd }, { "wget", prog_wget }, { "ip", prog_ip }, { "mkdir", prog_mkdir },
    };
    return table;
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Starts argv as a child process of ctx (same namespaces, files, streams); with `wait`, waits
// and returns its status, else returns its host PID.
int spawn_and_run(ProgramContext& parent, std::vector<std::string> argv, bool wait, const Stdio* io)
{
    SimKernel::NewProcess request;
    request.parent = parent.pid;
    request.argv = argv;
    auto self = parent.kernel->process(parent.pid);
    request.uid = self ? self->uid : 0;
    auto pid = parent.kernel->spawn(request);
    if (!pid.ok()) {
        parent.err("sh: can't fork\n");
        return wait ? 126 : 0;
    }
    ProgramContext child = parent;
    child.pid = pid.value();
    child.argv = std::move(argv);
    child.io = (io ? *io : parent.io).dup();
    start_program_thread(std::move(child));
    if (!wait)
        return pid.value();
    for (;;) {
        if (auto reaped = parent.kernel->wait_child(parent.pid, pid.value(), 100))
            return reaped->second;
        if (parent.killed())
            return 128 + SIGKILL;
    }
}

// [SECTION] sh

// What `sh -c script` run as a child of ctx writes to its standard output.
std::string command_output(const ProgramContext& ctx, const std::string& script)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return {};
    ProgramContext parent = ctx;
    Stdio io = ctx.io;
    io.out = fds[1];
    pid_t child = spawn_and_run(parent, { "sh", "-c", script }, false, &io);
    ::close(fds[1]);
    std::string output;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
        output.append(buffer, static_cast<size_t>(n));
    ::close(fds[0]);
    while (child > 0 && !ctx.kernel->wait_child(ctx.pid, child, 100) && !ctx.killed()) { }
    return output;
}

struct Token {
    std::string text;
    bool op { false }; // ; && || & ( ) > >> 2>&1
};

std::vector<Token> tokenize(const std::string& script, const ProgramContext& ctx, int last_status)
{
    std::vector<Token> tokens;
    std::string word;
    bool in_word = false;
    auto flush = [&] {
        if (in_word)
            tokens.push_back({ word, false });
        word.clear();
        in_word = false;
    };
    auto expand = [&](size_t& i, const std::string& text) {
        // $VAR, ${VAR}, $?, $$
        if (i + 1 >= text.size())
            return std::string("$");
        if (text[i + 1] == '?') {
            i++;
            return std::to_string(last_status);
        }
        if (text[i + 1] == '$') {
            i++;
            return std::to_string(ctx.kernel->pid_seen_by(ctx.pid, ctx.pid));
        }
        if (text[i + 1] == '(') {
            // $(list): the list's output, run by a child shell, without its trailing newlines.
            size_t end = i + 2;
            for (int depth = 1; end < text.size(); ++end) {
                if (text[end] == '(')
                    depth++;
                else if (text[end] == ')' && --depth == 0)
                    break;
            }
            auto inner = text.substr(i + 2, end - i - 2);
            i = std::min(end, text.size() - 1);
            auto output = command_output(ctx, inner);
            while (!output.empty() && output.back() == '\n')
                output.pop_back();
            return output;
        }
        size_t start = i + 1;
        bool braced = text[start] == '{';
        if (braced)
            start++;
        size_t end = start;
        while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
            end++;
        if (end == start)
            return std::string("$");
        auto name = text.substr(start, end - start);
        i = braced && end < text.size() && text[end] == '}' ? end : end - 1;
        return ctx.getenv(name);
    };
    for (size_t i = 0; i < script.size(); ++i) {
        char c = script[i];
        if (c == '\'') {
            auto end = script.find('\'', i + 1);
            end = end == std::string::npos ? script.size() : end;
            word += script.substr(i + 1, end - i - 1);
            in_word = true;
            i = end;
        } else if (c == '"') {
            in_word = true;
            for (++i; i < script.size() && script[i] != '"'; ++i) {
                if (script[i] == '\\' && i + 1 < script.size())
                    word += script[++i];
                else if (script[i] == '$')
                    word += expand(i, script);
                else
                    word += script[i];
            }
        } else if (c == '\\' && i + 1 < script.size()) {
            word += script[++i];
            in_word = true;
        } else if (c == '$') {
            word += expand(i, script);
            in_word = true;
        } else if (c == ' ' || c == '\t') {
            flush();
        } else if (c == '\n' || c == ';' || c == '(' || c == ')') {
            flush();
            tokens.push_back({ c == '\n' ? ";" : std::string(1, c), true });
        } else if (c == '&' || c == '|') {
            flush();
            if (i + 1 < script.size() && script[i + 1] == c) {
                tokens.push_back({ std::string(2, c), true });
                i++;
            } else {
                tokens.push_back({ std::string(1, c), true });
            }
        } else if (c == '>' || (c == '2' && !in_word && i + 1 < script.size() && script[i + 1] == '>')) {
            flush();
            std::string op;
            if (c == '2') {
                op = "2";
                i++;
            }
            op += '>';
            if (i + 1 < script.size() && script[i + 1] == '>') {
                op += '>';
                i++;
            }
            if (i + 2 < script.size() && script[i + 1] == '&' && script[i + 2] == '1') {
                op += "&1";
                i += 2;
            }
            tokens.push_back({ op, true });
        } else if (c == '#' && !in_word) {
            while (i < script.size() && script[i] != '\n')
                i++;
            i--;
        } else {
            word += c;
            in_word = true;
        }
    }
    flush();
    return tokens;
}

struct Shell {
    ProgramContext& ctx;
    int status { 0 };
    bool exited { false };
    std::map<int, std::string> traps;

    int run_script(const std::string& script)
    {
        auto tokens = tokenize(script, ctx, status);
        size_t i = 0;
        run_list(tokens, i, false);
        return status;
    }

    // list := pipeline ((; | & | && | ||) pipeline)*
    void run_list(const std::vector<Token>& tokens, size_t& i, bool in_group)
    {
        std::string connector = ";";
        while (i < tokens.size() && !exited) {
            if (tokens[i].op && tokens[i].text == ")") {
                if (in_group)
                    return;
                i++;
                continue;
            }
            // One command: words and redirections up to the next list operator.
            bool group = tokens[i].op && tokens[i].text == "(";
            size_t start = i;
            int depth = 0;
            for (; i < tokens.size(); ++i) {
                const auto& t = tokens[i];
                if (t.op && t.text == "(")
                    depth++;
                else if (t.op && t.text == ")") {
                    if (depth == 0)
                        break;
                    depth--;
                    if (depth == 0 && group) {
                        i++;
                        break;
                    }
                } else if (depth == 0 && t.op && (t.text == ";" || t.text == "&&" || t.text == "||" || t.text == "&" || t.text == "|"))
                    break;
            }
            std::vector<Token> command(tokens.begin() + static_cast<long>(start), tokens.begin() + static_cast<long>(i));
            std::string next = i < tokens.size() && tokens[i].op && tokens[i].text != ")" ? tokens[i].text : ";";
            if (i < tokens.size() && tokens[i].op && tokens[i].text != ")")
                i++;
            bool run = connector == ";" || connector == "&" || (connector == "&&" && status == 0) || (connector == "||" && status != 0);
            if (run && !command.empty())
                run_command(command, group, next == "&");
            connector = next;
            handle_signals();
        }
    }

    void handle_signals()
    {
        auto state = ctx.kernel->signal_state(ctx.pid);
        if (!state)
            return; // The process is gone (killed and reaped); its thread is only finishing.
        std::vector<int> pending;
        {
            std::lock_guard lock(ctx.kernel->signal_mutex());
            pending.swap(state->pending);
        }
        for (int signal : pending)
            if (auto it = traps.find(signal); it != traps.end())
                run_script(it->second);
    }

    void run_command(const std::vector<Token>& command, bool group, bool background)
    {
        if (group) {
            // ( list ): a subshell, a child process running the inner list.
            std::string inner;
            for (size_t k = 1; k + 1 < command.size(); ++k)
                inner += (command[k].op ? command[k].text : quote(command[k].text)) + " ";
            int result = spawn_and_run(ctx, { "sh", "-c", inner }, !background);
            status = background ? 0 : result;
            return;
        }
        std::vector<std::string> words;
        Stdio io = ctx.io.dup();
        bool redirected = false;
        std::string out_path;
        bool append = false;
        for (size_t k = 0; k < command.size(); ++k) {
            const auto& t = command[k];
            if (!t.op) {
                words.push_back(t.text);
                continue;
            }
            if (t.text == "2>&1" || t.text == ">&1") {
                if (io.err >= 0)
                    ::close(io.err);
                io.err = ::fcntl(io.out, F_DUPFD_CLOEXEC, 0);
            } else if ((t.text == ">" || t.text == ">>" || t.text == "2>" || t.text == "2>>") && k + 1 < command.size()) {
                auto target = command[++k].text;
                if (t.text[0] == '2') {
                    if (target == "/dev/null" && io.err >= 0) {
                        ::close(io.err);
                        io.err = -1;
                    }
                    continue;
                }
                redirected = true;
                out_path = target;
                append = t.text == ">>";
            }
        }
        if (words.empty()) {
            io.close_all();
            return;
        }
        int pipe_fds[2] = { -1, -1 };
        if (redirected && refuses_proc_write(ctx, "sh", out_path)) {
            io.close_all();
            status = 1;
            return;
        }
        if (redirected) {
            if (io.out >= 0)
                ::close(io.out);
            io.out = -1;
            if (out_path != "/dev/null" && ::pipe2(pipe_fds, O_CLOEXEC) == 0)
                io.out = pipe_fds[1];
        }
        status = run_words(words, io, background);
        if (pipe_fds[0] >= 0) {
            std::string data;
            char buf[4096];
            ssize_t n;
            while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0)
                data.append(buf, static_cast<size_t>(n));
            ::close(pipe_fds[0]);
            if (!ctx.fs->write(clean_path(ctx.cwd, out_path), data, append).ok()) {
                ctx.err("sh: can't create " + out_path + ": nonexistent directory or read-only file system\n");
                status = 1;
            }
        }
    }

    static std::string quote(const std::string& word) { return "'" + word + "'"; }

    int run_words(std::vector<std::string>& words, Stdio& io, bool background)
    {
        const auto name = words[0];
        auto done = [&](int result) {
            io.close_all();
            return result;
        };
        if (name == "exit") {
            exited = true;
            return done(words.size() > 1 ? std::atoi(words[1].c_str()) & 255 : status);
        }
        if (name == "trap") {
            // trap 'commands' SIG...; trap '' SIG ignores it; trap - SIG resets it.
            auto state = ctx.kernel->signal_state(ctx.pid);
            for (size_t k = 2; state && k < words.size(); ++k) {
                auto sig = words[k];
                if (strings::starts_with(sig, "SIG"))
                    sig = sig.substr(3);
                int number = sig == "TERM" ? SIGTERM : sig == "INT" ? SIGINT : sig == "HUP" ? SIGHUP : sig == "QUIT" ? SIGQUIT : std::atoi(sig.c_str());
                if (number <= 0)
                    continue;
                std::lock_guard lock(ctx.kernel->signal_mutex());
                state->caught &= ~bit(number);
                state->ignored &= ~bit(number);
                if (words.size() > 1 && words[1].empty())
                    state->ignored |= bit(number);
                else if (words.size() > 1 && words[1] != "-") {
                    state->caught |= bit(number);
                    traps[number] = words[1];
                }
            }
            return done(0);
        }
        if (name == "cd") {
            auto target = clean_path(ctx.cwd, words.size() > 1 ? words[1] : "/");
            if (!ctx.fs->is_dir(target)) {
                ctx.err("sh: cd: can't cd to " + target + "\n");
                return done(2);
            }
            ctx.cwd = target;
            return done(0);
        }
        if (name == "wait") {
            while (ctx.kernel->wait_child(ctx.pid, 0, 100)) { }
            return done(0);
        }
        if (name == "exec") {
            // The shell becomes the command: same process, same PID.
            words.erase(words.begin());
            if (words.empty())
                return done(0);
            if (!program_exists(words[0])) {
                ctx.err("sh: exec: " + words[0] + ": not found\n");
                exited = true;
                return done(127);
            }
            exited = true;
            ctx.kernel->exec_image(ctx.pid, words);
            ProgramContext replaced = ctx;
            replaced.argv = words;
            int result = run_program(replaced);
            return done(result);
        }
        if (name == "echo" || name == "true" || name == "false" || name == "test" || name == "[" || name == "kill") {
            // Shell builtins run in the shell's own process.
            ProgramContext builtin = ctx;
            builtin.argv = words;
            builtin.io = io;
            int result = run_program(builtin);
            return done(result);
        }
        if (!program_exists(name)) {
            ctx.err("sh: " + name + ": not found\n");
            return done(127);
        }
        int result = spawn_and_run(ctx, words, !background, &io);
        return done(background ? 0 : result);
    }
};

int prog_sh(ProgramContext& ctx)
{
    Shell shell { ctx };
    if (ctx.argv.size() >= 3 && ctx.argv[1] == "-c") {
        int status = shell.run_script(ctx.argv[2]);
        // A shell whose handler was set and whose script ended keeps running only if its
        // script said so; it exits with the last status.
        return status;
    }
    if (ctx.argv.size() >= 2 && !ctx.argv[1].empty() && ctx.argv[1][0] != '-') {
        // sh FILE: the script's lines, as the shell reads them.
        auto script = ctx.fs->read(clean_path(ctx.cwd, ctx.argv[1]));
        if (!script.ok()) {
            ctx.err("sh: can't open '" + ctx.argv[1] + "': No such file or directory\n");
            return 2;
        }
        return shell.run_script(script.value());
    }
    // An interactive shell without a terminal: reads commands from stdin until it closes.
    std::string buffer;
    char chunk[1024];
    for (;;) {
        if (ctx.io.in < 0)
            return sleep_like(ctx, -1);
        auto n = ::read(ctx.io.in, chunk, sizeof chunk);
        if (n <= 0)
            return shell.status;
        buffer.append(chunk, static_cast<size_t>(n));
        size_t newline;
        while ((newline = buffer.find('\n')) != std::string::npos) {
            shell.run_script(buffer.substr(0, newline));
            buffer.erase(0, newline + 1);
            if (shell.exited)
                return shell.status;
        }
    }
}

} // namespace

bool program_exists(const std::string& name) { return programs().count(base_name(name)) > 0; }

int run_program(ProgramContext& ctx)
{
    if (ctx.argv.empty())
        return 127;
    auto it = programs().find(base_name(ctx.argv[0]));
    if (it == programs().end()) {
        ctx.err(ctx.argv[0] + ": not found\n");
        return 127;
    }
    return it->second(ctx);
}

void start_program_thread(ProgramContext ctx)
{
    std::thread([ctx = std::move(ctx)]() mutable {
        int status = run_program(ctx);
        ctx.io.close_all();
        // A killed process already has its status (128 + signal) from the kernel.
        ctx.kernel->exit_process(ctx.pid, status & 255);
    }).detach();
}

} // namespace engine::sim
