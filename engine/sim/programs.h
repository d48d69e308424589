// The programs of simulated containers: C++ functions, each run on its own thread as one
// simulated process, with its effects on the model (sim_kernel.h) and its container's files
// (sim_fs.h). What exists: an sh-like command runner (sh -c with ;, &&, ||, &, ( ), redirections,
// $VAR, exec, trap, exit), echo, cat, ls, hostname, ps, id, uname, sleep, kill, test/[, true,
// false, rm, mkdir, touch, tail -f, ping (answered by the network seam), wget and a tiny
// HTTP server (httpd), nslookup (the engine's DNS records: the container's /etc/hosts), a program
// with a SIGTERM handler (graceful), a zombie maker (zombies), and glassbox-init (--init: forwards
// signals to its child and reaps orphans).
#pragma once

#include <sys/types.h>

#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/sim/sim_fs.h"

namespace engine::network {
class Netlink;
}

namespace engine::sim {

class SimKernel;
class SimNetwork;

// Where a process's standard streams go: fds of its own (dups), closed when it dies, so the
// daemon's reader sees the end of output once every process holding them is gone.
struct Stdio {
    int in { -1 };
    int out { -1 };
    int err { -1 };
    Stdio dup() const;
    void close_all();
};

// The embedded DNS of the engine's user-defined networks, as a container's resolver would reach
// it: the addresses `name` has for container `container_id` (empty when it is not a name there).
// The real server binds the network's gateway on the host, which the simulation has only in its
// model, so the simulated programs ask the engine's records directly.
using NameLookup = std::function<std::vector<std::string>(const std::string& container_id, const std::string& name)>;

struct ProgramContext {
    SimKernel* kernel { nullptr };
    network::Netlink* netlink { nullptr };
    pid_t pid { 0 };
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string cwd { "/" };
    std::shared_ptr<ContainerFs> fs;
    Stdio io;
    std::string container_id;
    NameLookup lookup;

    void out(std::string_view text) const;
    void err(std::string_view text) const;
    // Sleeps up to `ms` (negative: forever). Returns false when the process was killed, or when a
    // caught signal arrived (then `signal` holds it and the caller runs its handler).
    bool sleep_for(long ms, int* signal = nullptr) const;
    bool killed() const;
    std::string getenv(const std::string& name) const;
};

// Is there a program by this name (argv[0], a path or a bare name)?
bool program_exists(const std::string& name);
// Runs the program of ctx.argv to its end; returns its exit status (0-255).
int run_program(ProgramContext& ctx);
// A page from the simulated httpd listening on `port` in `netns` of `network` (a connection the
// packet model delivered there): 200 with the file under its -h directory (index.html for a
// directory), or 404. nullopt when no httpd listens there.
struct HttpReply {
    int status { 200 };
    std::string reason;
    std::string body;
};
std::optional<HttpReply> http_get(SimNetwork& network, const std::string& netns, std::uint16_t port, const std::string& path);

// A TCP connection from the host's namespace to ip:port through the network model, for the
// daemon's userland port proxy: the packet model's handshake, then a socket whose far end
// speaks HTTP for the simulated httpd it reached (one request, then close). The error a
// connect(2) would give when the model does not deliver it (refused, unreachable, timed out).
Result<UniqueFd> connect_through_model(SimNetwork& network, const std::string& ip, std::uint16_t port);

// Starts a simulated process's program on its own thread; the thread marks the process exited
// with the status the program returns (unless a signal killed it first) and closes its stdio.
void start_program_thread(ProgramContext ctx);

} // namespace engine::sim
