// What every verb shares: the global flags (-H/--host, --root, --run-root, --debug), the API
// client (created on first use, starting glassboxd when no daemon answers on the default
// socket), and how errors are printed ("Error response from daemon: ..." for the daemon's,
// "glassbox: ..." for our own).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>

#include "engine/api/client.h"
#include "engine/base/result.h"

namespace engine::cli {

inline constexpr const char* k_default_run_root = "/run/glassbox";

struct GlobalOptions {
    std::string host;     // -H/--host; GLASSBOX_HOST when empty.
    std::string root;     // Passed to an auto-started daemon.
    std::string run_root; // Passed to an auto-started daemon; holds the default socket.
    std::string kernel;   // --kernel for an auto-started daemon (real, sim, auto); $GLASSBOX_KERNEL when empty.
    bool debug { false };
};

class Context {
public:
    GlobalOptions global;
    // The chosen verb, set by its CLI11 callback and run by main() after parsing. Returns the
    // exit code.
    std::function<Result<int>()> action;
    // The command line's words while main() tries it with only the verbs it names (verbs.h):
    // run and create then register only the flags these words can name (run_options.h
    // FlagWords). Empty for the whole tree, which registers every flag.
    std::span<const char* const> command_words;

    // The client, connected and pinged. Without an explicit host (flag or GLASSBOX_HOST) a
    // daemon that does not answer is started (see start_daemon); with one, a connection
    // failure is reported with the socket path.
    Result<api::Client*> client();

    // Where the API socket is and whether the user chose it.
    struct Endpoint {
        std::string socket_path;
        bool explicit_host { false };
    };
    Result<Endpoint> endpoint() const;

    void debug(const std::string& message) const;

private:
    Result<void> start_daemon(const std::string& socket_path) const;

    std::unique_ptr<api::Client> m_client;
};

// Prints an error the way the docker CLI does: daemon errors as they are
// ("Error response from daemon: ..."), local ones prefixed with "glassbox: ".
void print_error(const Error& error);
// Prints the error and returns `exit_code` (for verbs with docker's special codes).
int fail(const Error& error, int exit_code);
// Writes all bytes to a file descriptor (stdout/stderr), retrying on EINTR; false on EPIPE.
bool write_fd(int fd, std::string_view bytes);
void print_out(std::string_view text);

} // namespace engine::cli
