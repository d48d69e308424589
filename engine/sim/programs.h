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
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/sim/sim_fs.h"

namespace engine::network {
class Netlink;
}

namespace engine::sim {

class SimKernel;

// Where a process's standard streams go: fds of its own (dups), closed when it dies, so the
// daemon's reader sees the end of output once every process holding them is gone.
struct Stdio {
    int in { -1 };
    int out { -1 };
    int err { -1 };
    Stdio dup() const;
    void close_all();
};

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
// Starts a simulated process's program on its own thread; the thread marks the process exited
// with the status the program returns (unless a signal killed it first) and closes its stdio.
void start_program_thread(ProgramContext ctx);

} // namespace engine::sim
