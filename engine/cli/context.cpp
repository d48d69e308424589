// Client creation and daemon auto-start. A newcomer types `glassbox run ...` with no daemon
// running: we find `glassboxd` next to our own executable (/proc/self/exe), start it in its
// own session (setsid) with its output in <run-root>/glassboxd.log, and poll /_ping on the
// socket for up to 5 seconds. A running daemon is found by connecting, without a request.
#include "engine/cli/context.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/base/user_dirs.h"

namespace engine::cli {

namespace {

std::string executable_dir()
{
    char buffer[4096];
    ssize_t length = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (length <= 0)
        return ".";
    std::string path(buffer, static_cast<size_t>(length));
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// A connection error that means "nobody is listening": the socket file is missing or refuses.
bool nobody_listening(const Error& error)
{
    return error.kind() == ErrorKind::Unreachable && (error.code() == ENOENT || error.code() == ECONNREFUSED);
}

std::string last_lines(const std::string& path, size_t count)
{
    auto text = fs::read_file(path);
    if (!text.ok())
        return "";
    auto lines = strings::split(strings::trim(text.value()), '\n');
    if (lines.size() > count)
        lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(count));
    return strings::join(lines, "\n");
}

} // namespace

Result<Context::Endpoint> Context::endpoint() const
{
    std::string host = global.host;
    if (host.empty()) {
        if (const char* env = std::getenv("GLASSBOX_HOST"); env != nullptr && *env != '\0')
            host = env;
    }
    if (!host.empty())
        return Endpoint { TRY(api::Client::socket_path_from_host(host)), true };
    // root's daemon at /run/glassbox; an ordinary user's under their own runtime directory.
    std::string run_root = global.run_root.empty() ? user_dirs::default_run_root() : global.run_root;
    return Endpoint { run_root + "/glassbox.sock", false };
}

void Context::debug(const std::string& message) const
{
    if (global.debug)
        std::fprintf(stderr, "DEBU %s\n", message.c_str());
}

Result<api::Client*> Context::client()
{
    if (m_client)
        return m_client.get();
    auto where = TRY(endpoint());
    auto client = std::make_unique<api::Client>(where.socket_path);
    debug("connecting to unix://" + where.socket_path);
    // A connection, not a /_ping: whether a daemon listens is all auto-start needs, and the
    // connection then carries the verb's first request (no round trip before every verb).
    auto connected = client->connect_ahead();
    if (!connected.ok()) {
        const Error& error = connected.error();
        if (where.explicit_host || !nobody_listening(error))
            return Error::system("cannot connect to the glassbox daemon at unix://" + where.socket_path + ": "
                + error.describe() + ". Is glassboxd running?");
        TRY(start_daemon(where.socket_path));
    }
    m_client = std::move(client);
    return m_client.get();
}

Result<void> Context::start_daemon(const std::string& socket_path) const
{
    std::string daemon = executable_dir() + "/glassboxd";
    if (::access(daemon.c_str(), X_OK) != 0)
        return Error::system("no daemon answers at unix://" + socket_path + " and glassboxd was not found next to glassbox ("
            + daemon + "); start one or pass -H unix://PATH");
    std::string run_root = global.run_root.empty() ? user_dirs::default_run_root() : global.run_root;
    TRY_CTX(fs::make_dirs(run_root, 0711), "create run root " + run_root);
    std::string log_path = run_root + "/glassboxd.log";

    std::vector<std::string> args { daemon };
    if (!global.root.empty()) {
        args.emplace_back("--root");
        args.push_back(global.root);
    }
    if (!global.run_root.empty()) {
        args.emplace_back("--run-root");
        args.push_back(global.run_root);
    }
    args.emplace_back("-H");
    args.push_back("unix://" + socket_path);
    // The kernel the daemon runs on: real, sim, or auto (sim when not root; the daemon's default).
    std::string kernel = global.kernel;
    if (kernel.empty())
        if (const char* env = std::getenv("GLASSBOX_KERNEL"); env != nullptr)
            kernel = env;
    if (!kernel.empty())
        args.push_back("--kernel=" + kernel);
    debug("starting " + strings::join(args, " "));

    UniqueFd log_fd(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log_fd.valid())
        return Error::from_errno("open daemon log " + log_path, errno);
    UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_fd.valid())
        return Error::from_errno("open /dev/null", errno);
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0)
        return Error::from_errno("fork for glassboxd", errno);
    if (pid == 0) {
        // Child: its own session, so the terminal's Ctrl-C and our exit do not reach it.
        ::setsid();
        ::dup2(null_fd.get(), STDIN_FILENO);
        ::dup2(log_fd.get(), STDOUT_FILENO);
        ::dup2(log_fd.get(), STDERR_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }

    api::Client probe(socket_path);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        if (probe.ping().ok()) {
            std::fprintf(stderr, "glassbox: started glassboxd (pid %d, socket unix://%s, log %s)\n", pid,
                socket_path.c_str(), log_path.c_str());
            return Ok {};
        }
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            std::string code = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                                 : "signal " + std::to_string(WTERMSIG(status));
            std::string tail = last_lines(log_path, 5);
            return Error::system("glassboxd exited at start-up (" + code + "); see " + log_path
                + (tail.empty() ? std::string() : ":\n" + tail));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Error::system("started glassboxd (pid " + std::to_string(pid) + ") but it did not answer on unix://"
        + socket_path + " within 5 s; see " + log_path);
}

bool write_fd(int fd, std::string_view bytes)
{
    return fs::write_all(fd, bytes, "output").ok();
}

void print_out(std::string_view text)
{
    write_fd(STDOUT_FILENO, text);
}

void print_error(const Error& error)
{
    std::string text = error.describe();
    // Docker's own wording ("Error: No such object: x") already says what it is.
    if (!strings::starts_with(text, api::k_daemon_error_prefix) && !strings::starts_with(text, "Error: "))
        text = "glassbox: " + text;
    text += "\n";
    write_fd(STDERR_FILENO, text);
}

int fail(const Error& error, int exit_code)
{
    print_error(error);
    return exit_code;
}

} // namespace engine::cli
