// Starting container processes: the intermediate process (a fork of the daemon that joins the
// cgroup and the namespaces), the process itself, the sync pipe that carries a child's failure
// back (spawn_protocol.h), stdio pipes and ptys, and waiting. The daemon is multi-threaded, so
// this uses glibc's fork(), after which malloc is safe in the (single-threaded) child.
// setns(CLONE_NEWPID) and unshare(CLONE_NEWPID) only move the caller's children, so the first
// process in the container's PID namespace is always a fork of a process that made or joined it:
//   - A container's PID 1 is a fork of the daemon that sets up the root and the rest, then
//     execs; it is the first process of its new PID namespace. The fork is made on a thread that
//     unshared CLONE_NEWPID for it (Fork::Direct), so PID 1 joins the cgroup and the other
//     namespaces itself and no intermediate process is needed; one that joins another PID
//     namespace, or stays in the host's, is forked by an intermediate as an exec is.
//   - An exec is set up entirely in the intermediate, outside the container's PID namespace
//     (stdio, working directory, user, seccomp, capabilities), which then executes a sealed copy
//     of glassbox-init in its spawn mode; glassbox-init's fork enters the PID namespace and execs
//     the command. So a process of the container, even one with CAP_SYS_PTRACE, can only ever
//     trace a fork of that small static binary holding the container's own credentials, filter
//     and stdio, never a copy of the daemon (CVE-2016-9962; docs/security.md row 20).
// Every fork of the daemon makes itself non-dumpable before it joins anything, so without
// CAP_SYS_PTRACE a process in the container can neither ptrace it nor open its /proc/<pid>/exe,
// fd/ or mem before it execs (CVE-2019-5736); the daemon itself runs from a sealed memfd copy
// (sealed_exec.h).
// Kernel interfaces: fork(2), unshare(2), setns(2), prctl(2) PR_SET_CHILD_SUBREAPER,
// PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, capset(2), setgroups(2), execve(2), execveat(2),
// close_range(2), pty(7), waitpid(2), waitid(2).
// Lesson: lessons/01-first-container/.
#include <fcntl.h>
#include <linux/close_range.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <system_error>
#include <thread>

#include "engine/base/strings.h"
#include "engine/runtime/capabilities.h"
#include "engine/runtime/init/spawn_protocol.h"
#include "engine/runtime/command.h"
#include "engine/runtime/console.h"
#include "engine/runtime/rootfs.h"
#include "engine/runtime/runtime.h"
#include "engine/runtime/sealed_exec.h"
#include "engine/runtime/seccomp.h"
#include "engine/runtime/user.h"

namespace engine::runtime {

// The limit set_container_open_file_limit keeps; 0 leaves the inherited one.
static std::atomic<std::uint64_t> container_open_file_limit { 0 };

void set_container_open_file_limit(std::uint64_t soft_limit) { container_open_file_limit.store(soft_limit); }

namespace {

// [SECTION] The child -> parent failure report.

// What a child writes to the sync pipe before _exit(127), in the format glassbox-init's spawn
// mode writes too (spawn_protocol.h).
using ChildFailure = glassbox_spawn_failure;
using ChildReport = glassbox_spawn_report;
static_assert(sizeof(ChildFailure) < PIPE_BUF);
static_assert(sizeof(ChildReport) < PIPE_BUF);

[[noreturn]] void write_failure(int sync_fd, glassbox_spawn_failure_kind what, const Error& error)
{
    ChildFailure failure {};
    failure.failure = what;
    failure.error_kind = static_cast<std::int32_t>(error.kind());
    failure.code = error.code();
    std::strncpy(failure.message, error.message().c_str(), sizeof(failure.message) - 1);
    (void)!::write(sync_fd, &failure, sizeof(failure));
    ::_exit(127);
}

// A setup step failed: the parent puts its own context in front of the message.
[[noreturn]] void child_fail(int sync_fd, const Error& error) { write_failure(sync_fd, GLASSBOX_SPAWN_SETUP, error); }

// The command could not be found or run: `error` is Docker's wording ("exec: \"nope\": ..."),
// which the parent passes on as it is, so the API and the CLI can tell 126 from 127.
[[noreturn]] void exec_fail(int sync_fd, const Error& error) { write_failure(sync_fd, GLASSBOX_SPAWN_EXEC, error); }

// The parent's reading of a failure report about `command`; `context` goes in front of a setup
// failure, never in front of an exec failure. The report may come from a process the container
// could trace, so no field is trusted to be in range.
Error failure_to_error(const ChildFailure& failure, const std::string& command, const std::string& context)
{
    std::string message(failure.message, strnlen(failure.message, sizeof(failure.message)));
    if (failure.failure == GLASSBOX_SPAWN_EXEC) {
        // glassbox-init sends only the execve errno; the wording is the daemon's.
        if (message.empty())
            return Error::invalid(exec_error_message(command, failure.code));
        return Error::invalid(message);
    }
    if (failure.code != 0)
        return Error::from_errno(message, failure.code).with_context(context);
    auto kind = failure.error_kind >= 0 && failure.error_kind <= static_cast<std::int32_t>(ErrorKind::Unreachable)
        ? static_cast<ErrorKind>(failure.error_kind)
        : ErrorKind::System;
    return Error::make(kind, message).with_context(context);
}

// [SECTION] File descriptors and signals in the children.

// The child's ends of stdio. In the children they are first moved to numbers >= 3, so dup2 onto
// 0, 1 and 2 cannot clobber one another even if the daemon runs with a closed stdin. With a TTY
// the three are -1 until the process opens its pty (open_console) and `console_socket` is where
// the master goes.
struct ChildEnds {
    int in { -1 };
    int out { -1 };
    int err { -1 };
    bool tty { false };
    int console_socket { -1 };
    int exec_fd { -1 }; // A sealed copy to execute instead of a path (glassbox-init), or -1.
    int sync_fd { -1 }; // Where a failure goes (ChildFailure).
    int pid_fd { -1 };  // Where glassbox-init's spawn mode reports the PID (ChildReport).
    std::int64_t joined_at { 0 }; // steady_clock ticks when the joins were done.
};

// Closes every descriptor >= 3 except `keep`: a container must not hold another container's pipe
// ends (its reader would never see EOF) or the daemon's sockets.
void close_fds_except(std::vector<int> keep)
{
    std::sort(keep.begin(), keep.end());
    unsigned int low = 3;
    for (int fd : keep) {
        if (fd < static_cast<int>(low))
            continue;
        if (static_cast<unsigned int>(fd) > low)
            ::close_range(low, static_cast<unsigned int>(fd) - 1, 0);
        low = static_cast<unsigned int>(fd) + 1;
    }
    ::close_range(low, ~0U, 0);
}

int lift_fd(int fd) { return fd < 0 ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, 3); }

// The daemon may ignore SIGPIPE or block signals for a signalfd; an ignored signal survives
// execve, so a container would inherit it. Restore the defaults.
void reset_signals()
{
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal != SIGKILL && signal != SIGSTOP)
            ::signal(signal, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Who makes the process a session leader (and the pty its controlling terminal): the process
// itself, or, for an exec, glassbox-init's fork that execs the command. The intermediate process
// must not: when a session leader exits, its terminal hangs up.
enum class Session { Here, InSpawnedChild };

Result<void> attach_stdio(const ChildEnds& ends, Session session)
{
    if (session == Session::Here) {
        // A session of its own, like runc: the container's process group gets terminal signals.
        if (::setsid() < 0)
            return Error::from_errno("setsid", errno);
        if (ends.tty && ::ioctl(ends.in, TIOCSCTTY, 0) != 0)
            return Error::from_errno("make the pty the controlling terminal (TIOCSCTTY)", errno);
    }
    if (::dup2(ends.in, 0) < 0 || ::dup2(ends.out, 1) < 0 || ::dup2(ends.err, 2) < 0)
        return Error::from_errno("dup2 stdio", errno);
    return Ok {};
}

enum class BindConsole { No, Yes };

// With a TTY, in the container's mount namespace (after pivot_root, or after joining it for
// exec): a pty pair from the container's devpts, the master sent to the daemon, the slave as the
// controlling terminal and stdio, and for a container's PID 1 also at /dev/console.
Result<void> open_console(sys::Kernel& kernel, const ChildEnds& ends, const ProcessSpec& process, BindConsole bind,
    Session session)
{
    auto pty = TRY_CTX(open_pty("/dev/pts", process.console_rows, process.console_cols), "set up the container's tty");
    TRY_CTX(send_fd(ends.console_socket, pty.master.get()), "set up the container's tty");
    pty.master.reset();
    ::close(ends.console_socket);
    if (bind == BindConsole::Yes)
        TRY(mount_console(kernel, pty.slave_path));
    // Above 2, so the dup2 calls in attach_stdio cannot close it under themselves.
    UniqueFd slave(lift_fd(pty.slave.get()));
    if (!slave.valid())
        return Error::from_errno("dup pty slave", errno);
    pty.slave.reset();
    return attach_stdio(ChildEnds { .in = slave.get(), .out = slave.get(), .err = slave.get(), .tty = true }, session);
}

// [SECTION] The last steps before execve, shared by containers and exec.

std::vector<std::string> with_defaults(std::vector<std::string> env, const ExecUser& user)
{
    auto has = [&](const char* key) {
        std::string prefix = std::string(key) + "=";
        return std::any_of(env.begin(), env.end(), [&](const std::string& e) { return strings::starts_with(e, prefix); });
    };
    if (!has("PATH"))
        env.push_back(std::string("PATH=") + k_default_path);
    if (!has("HOME"))
        env.push_back("HOME=" + user.home);
    return env;
}

// What the process executes at the end.
enum class Launch {
    Direct, // The command itself.
    Init,   // glassbox-init -- command... (a container's PID 1 with --init).
    Spawn,  // glassbox-init --spawn ...: it forks the command into the PID namespace (an exec).
};

struct ExecPlan {
    const ProcessSpec* process { nullptr };
    const ChildEnds* ends { nullptr }; // sync_fd; with Init or Spawn exec_fd, the sealed
                                       // glassbox-init; with Spawn pid_fd and joined_at.
    Launch launch { Launch::Direct };
    std::uint64_t capabilities { 0 }; // The final capability mask (final_capabilities).
    const SeccompPrograms* seccomp { nullptr }; // Compiled by the daemon before it forked.
};

// The capability mask the process ends up with: every capability with --privileged.
Result<std::uint64_t> final_capabilities(const ProcessSpec& process, bool privileged)
{
    if (privileged)
        return ~std::uint64_t { 0 };
    return capability_mask(process.capabilities);
}

// Working directory, user, capabilities, no_new_privs, seccomp, then execve. Returns only on
// failure of a setup step; a command that cannot be found or executed is reported on the sync
// pipe as an exec failure (exec_fail) and the process exits.
Result<void> exec_process(sys::Kernel& kernel, const ExecPlan& plan)
{
    const ProcessSpec& process = *plan.process;
    const ChildEnds& ends = *plan.ends;
    if (process.args.empty())
        return Error::invalid("no command specified");

    // Working directory, checked to lie inside the container's root.
    std::string cwd = process.cwd.empty() ? "/" : process.cwd;
    TRY_CTX(kernel.change_dir(cwd), "chdir to cwd (\"" + cwd + "\") set in config.json failed");
    std::array<char, 4096> here {};
    if (::getcwd(here.data(), here.size()) == nullptr || std::strncmp(here.data(), "(unreachable)", 13) == 0)
        return Error::invalid("working directory " + cwd + " is outside the container root");

    // The user, from the container's own /etc/passwd and /etc/group.
    auto passwd = kernel.read_file("/etc/passwd");
    auto group = kernel.read_file("/etc/group");
    auto user = TRY(resolve_user(process.user, passwd.ok() ? passwd.value() : "", group.ok() ? group.value() : ""));
    // GroupAdd: extra supplementary groups, a number as it is, a name looked up as "name:gid" in
    // the container's /etc/group (resolve_user does the lookup for "0:name").
    for (const auto& extra : process.additional_groups) {
        auto gid = TRY_CTX(resolve_user("0:" + extra, "", group.ok() ? group.value() : ""), "GroupAdd " + extra).gid;
        if (std::find(user.supplementary_groups.begin(), user.supplementary_groups.end(), gid) == user.supplementary_groups.end())
            user.supplementary_groups.push_back(gid);
    }

    // Like runc's fixStdioPermissions: a TTY made by root belongs to the user who will use it,
    // so "tty" and reopening /dev/pts/<n> work for a non-root user. Best effort (a read-only
    // devpts or a missing privilege leaves it root's, which still works through the open fds).
    if (user.uid != 0 && ::isatty(0) == 1)
        (void)::fchown(0, user.uid, static_cast<gid_t>(-1));

    auto env = with_defaults(process.env, user);
    auto found = look_up_command(process.args[0], env_value(env, "PATH", k_default_path));
    if (!found.ok())
        exec_fail(ends.sync_fd, found.error());
    std::string path = found.release_value();

    std::vector<std::string> args = process.args;
    if (plan.launch != Launch::Direct && ends.exec_fd < 0)
        return Error::invalid("glassbox-init: no sealed copy to execute");
    if (plan.launch == Launch::Init) {
        path = "/sbin/glassbox-init";
        args.insert(args.begin(), { path, "--" });
    } else if (plan.launch == Launch::Spawn) {
        args.insert(args.begin(), { "glassbox-init", "--spawn", std::to_string(ends.sync_fd), std::to_string(ends.pid_fd),
            std::to_string(ends.joined_at), ends.tty ? "1" : "0", path, "--" });
    }

    std::uint64_t caps = plan.capabilities;

    if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return Error::from_errno("prctl PR_SET_NO_NEW_PRIVS", errno);

    // The daemon's raised open-file limit is its own (set_container_open_file_limit).
    if (auto soft = container_open_file_limit.load(); soft > 0) {
        rlimit files {};
        if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur > soft) {
            files.rlim_cur = soft;
            if (::setrlimit(RLIMIT_NOFILE, &files) != 0)
                return Error::from_errno("setrlimit RLIMIT_NOFILE", errno);
        }
    }

    // Seccomp while we still have CAP_SYS_ADMIN, so the filter needs no no_new_privs bit (which
    // Docker does not set by default). Every call below, up to execve/execveat, is on the default
    // filter's allow-list.
    if (plan.seccomp != nullptr)
        TRY(load_seccomp_programs(*plan.seccomp));

    // Bounding set first (that needs CAP_SETPCAP, which we still have), then the identity with
    // PR_SET_KEEPCAPS so setuid does not clear the permitted set, then the final sets. A
    // non-root user loses them again at execve, exactly as under Docker.
    TRY(drop_bounding_set(caps));
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
        return Error::from_errno("prctl PR_SET_KEEPCAPS", errno);
    if (::setgroups(user.supplementary_groups.size(), user.supplementary_groups.data()) != 0)
        return Error::from_errno("setgroups", errno);
    if (::setgid(user.gid) != 0)
        return Error::from_errno("setgid " + std::to_string(user.gid), errno);
    if (::setuid(user.uid) != 0)
        return Error::from_errno("setuid " + std::to_string(user.uid), errno);
    TRY(set_process_capabilities(caps));

    // Every descriptor but 0-2 closes at execve (the intermediate already closed all the others
    // it did not pass down); the sync pipe stays usable until then, to report a failed execve.
    // glassbox-init's spawn mode keeps the two pipes: it reports on them for its fork.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (plan.launch == Launch::Spawn
        && (::fcntl(ends.sync_fd, F_SETFD, 0) != 0 || ::fcntl(ends.pid_fd, F_SETFD, 0) != 0))
        return Error::from_errno("keep the sync and PID pipes open for glassbox-init", errno);
    ::umask(022);

    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    if (plan.launch != Launch::Direct) {
        // The daemon's sealed copy of glassbox-init, not the host file (bound at
        // /sbin/glassbox-init for PID 1), so /proc/<pid>/exe leads nowhere writable. A static
        // ELF binary may be executed from a close-on-exec fd.
        ::syscall(SYS_execveat, ends.exec_fd, "", argv.data(), envp.data(), AT_EMPTY_PATH);
    } else {
        ::execve(path.c_str(), argv.data(), envp.data());
    }
    int code = errno;
    if (plan.launch == Launch::Spawn)
        return Error::from_errno("execute the sealed copy of glassbox-init", code);
    exec_fail(ends.sync_fd, Error::invalid(exec_error_message(process.args[0], code)));
}

// [SECTION] Two forks, the pipes between them, and the parent's side.

struct Stdio {
    StartedProcess parent; // The daemon's ends.
    UniqueFd child_in;
    UniqueFd child_out;
    UniqueFd child_err;
    UniqueFd console_parent; // With a TTY: the daemon receives the pty master here ...
    UniqueFd console_child;  // ... which the process sends here.
};

Result<Stdio> make_stdio(const ProcessSpec& process)
{
    Stdio stdio;
    if (process.tty) {
        // The pty itself is opened inside the container (open_console); this is its way back.
        std::array<int, 2> fds {};
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) != 0)
            return Error::from_errno("socketpair for the pty master", errno);
        stdio.console_parent.reset(fds[0]);
        stdio.console_child.reset(fds[1]);
        return stdio;
    }

    auto make_pipe = [](UniqueFd& read_end, UniqueFd& write_end) -> Result<void> {
        std::array<int, 2> fds {};
        if (::pipe2(fds.data(), O_CLOEXEC) != 0)
            return Error::from_errno("pipe2", errno);
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
        return Ok {};
    };
    if (process.open_stdin) {
        TRY(make_pipe(stdio.child_in, stdio.parent.stdin_fd));
    } else {
        stdio.child_in.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!stdio.child_in.valid())
            return Error::from_errno("open /dev/null", errno);
    }
    TRY(make_pipe(stdio.parent.stdout_fd, stdio.child_out));
    TRY(make_pipe(stdio.parent.stderr_fd, stdio.child_err));
    return stdio;
}

using IntermediateStep = std::function<Result<void>()>;
using ProcessStep = std::function<Result<void>(const ChildEnds&)>;

// Makes the calling child non-dumpable: its /proc/<pid> files then belong to root of the initial
// user namespace and ptrace-style access (exe, fd/, mem, environ) needs CAP_SYS_PTRACE there,
// which no container has. execve makes the new program dumpable again, as it should be. Fails
// only on a kernel without prctl, which the child reports.
Result<void> make_undumpable()
{
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return Error::from_errno("prctl PR_SET_DUMPABLE 0", errno);
    return Ok {};
}

// Who forks the process into the namespaces the intermediate process joined.
enum class Fork {
    // The intermediate, and `run` sets the process up in the fork. For a container's PID 1,
    // which is alone in its new PID namespace while it sets up.
    Here,
    // glassbox-init --spawn, which `run` sets up in the intermediate process and executes last
    // (Launch::Spawn): no fork of the daemon ever enters the PID namespace, which other
    // processes share. For an exec.
    ByInit,
    // No intermediate: a thread of the daemon made for this one fork creates the new PID
    // namespace for its children (unshare(2) allows CLONE_NEWPID in a thread of a multi-threaded
    // process, and it applies to that thread alone) and forks; the fork is PID 1 of the new
    // namespace from its first instruction, joins the cgroup and the other namespaces itself
    // (`intermediate`) and then runs `run`. The thread ends right after the fork, and with it
    // every reference to the namespace but the process's. For a container's PID 1 in a new PID
    // namespace: one fork of the daemon (and one exit of a copy of it) instead of two.
    Direct,
};

// Where an exec's process must be, so a PID report about it can be believed: a child of this
// process in the container's PID namespace, and not the container's PID 1, which is such a child
// too (a tracer in the container could name it).
struct TrustedPids {
    ino_t pid_namespace { 0 };
    pid_t container_init { 0 }; // Host PID of the container's PID 1.
};

// True when `pid` is a child of this process (a zombie counts) in the PID namespace with inode
// `pid_namespace`.
bool is_child_in(pid_t pid, ino_t pid_namespace)
{
    siginfo_t info {};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) != 0)
        return false;
    struct stat st { };
    return ::stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) == 0 && st.st_ino == pid_namespace;
}

// Waits until `fd` is readable (data or EOF) or `deadline` has passed; false on the deadline.
Result<bool> readable_by(int fd, std::chrono::steady_clock::time_point deadline)
{
    for (;;) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        pollfd entry { .fd = fd, .events = POLLIN, .revents = 0 };
        int ready = ::poll(&entry, 1, static_cast<int>(std::clamp<long long>(left, 0, INT_MAX)));
        if (ready > 0)
            return true;
        if (ready == 0)
            return false;
        if (errno != EINTR)
            return Error::from_errno("poll", errno);
    }
}

// Reads one whole record of `size` bytes from a pipe that is readable; 0 at EOF, -1 on a short
// or failed read.
ssize_t read_record(int fd, void* record, std::size_t size)
{
    ssize_t got = 0;
    do {
        got = ::read(fd, record, size);
    } while (got < 0 && errno == EINTR);
    return got == 0 ? 0 : (got == static_cast<ssize_t>(size) ? got : -1);
}

// The children of `pid` (one thread's list per task; a process that forks from one thread has
// them all in its main thread's), from /proc/<pid>/task/<pid>/children.
std::vector<pid_t> children_of(pid_t pid)
{
    std::vector<pid_t> children;
    std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return children;
    std::string text;
    std::array<char, 512> buffer {};
    for (ssize_t n; (n = ::read(fd.get(), buffer.data(), buffer.size())) > 0;)
        text.append(buffer.data(), static_cast<std::size_t>(n));
    for (const auto& field : strings::split(text, ' ')) {
        if (!field.empty() && field.find_first_not_of("0123456789") == std::string::npos)
            children.push_back(static_cast<pid_t>(std::stoi(field)));
    }
    return children;
}

void kill_and_reap(pid_t pid)
{
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) { }
}

struct Exec {
    pid_t pid { -1 };
    ChildReport report {};
};

// The error for a process that did not reach its execve by process.start_timeout; `where` says
// which wait ran out.
Error start_timed_out(const ProcessSpec& process, const std::string& context, const std::string& where)
{
    auto ms = process.start_timeout.count();
    std::string limit = ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
    std::string command = process.args.empty() ? "" : process.args[0];
    return Error::system("\"" + command + "\" did not start within " + limit + " (" + where
        + "; stopped or hung before its execve?); killed it").with_context(context);
}

// Once the sync pipe is readable: true with `failure` filled in when a child reported one, false
// at EOF (every write end closed: the process exec'd).
bool read_failure(int sync_read, ChildFailure& failure)
{
    ssize_t n = 0;
    do {
        n = ::read(sync_read, &failure, sizeof(failure));
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

// The parent's side of spawn: waits for the intermediate process `middle` to exit, reads its PID
// report, checks it (Fork::ByInit) and waits for the process to exec (the sync pipe closes) or to
// report a failure. Every wait ends at process.start_timeout: a child stopped or hung on the way
// (SIGSTOP from a tracer in the container before its execve) is killed, with what it forked, and
// the error says which command did not start. `context` goes in front of every error but an
// exec failure (failure_to_error).
Result<Exec> await_exec(pid_t middle, int pid_read, int sync_read, const ProcessSpec& process, const std::string& context,
    Fork forker, const TrustedPids& trusted)
{
    auto deadline = std::chrono::steady_clock::now() + process.start_timeout;
    std::string command = process.args.empty() ? "" : process.args[0];
    auto timed_out = [&](const char* where) { return start_timed_out(process, context, where); };

    UniqueFd middle_fd(static_cast<int>(::syscall(SYS_pidfd_open, middle, 0)));
    if (!middle_fd.valid()) {
        int code = errno;
        kill_and_reap(middle);
        return Error::from_errno("pidfd_open of the intermediate process", code).with_context(context);
    }
    auto exited = readable_by(middle_fd.get(), deadline);
    if (!exited.ok() || !exited.value()) {
        // What it forked would be reparented to us and run on, unsupervised: its children go too.
        // They are read from the kernel, not from anything the intermediate reported.
        auto children = children_of(middle);
        kill_and_reap(middle);
        for (pid_t child : children)
            kill_and_reap(child);
        if (!exited.ok())
            return exited.release_error().with_context(context);
        return timed_out(forker == Fork::ByInit ? "glassbox-init did not report its PID" : "the intermediate process did not exit");
    }
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) { }

    // The intermediate has exited, so the report is in the pipe already unless it never wrote one;
    // a fork it left behind may still hold the write end, hence the poll.
    Exec exec;
    auto reported = readable_by(pid_read, deadline);
    if (reported.ok() && reported.value() && read_record(pid_read, &exec.report, sizeof(exec.report)) > 0)
        exec.pid = exec.report.pid;
    if (exec.pid > 0 && forker == Fork::ByInit
        && (exec.pid == trusted.container_init || !is_child_in(exec.pid, trusted.pid_namespace))) {
        // Only a tracer in the container could have written this: say so, and touch nothing
        // (the PID may be any process's, or the container's PID 1).
        return Error::system("the PID report named process " + std::to_string(exec.pid)
            + (exec.pid == trusted.container_init ? ", which is the container's PID 1"
                                                  : ", which is not the daemon's child in the container's PID namespace"))
            .with_context(context);
    }

    // Until the process execs (CLOEXEC closes its end) or reports a failure.
    auto done = readable_by(sync_read, deadline);
    if (!done.ok() || !done.value()) {
        if (exec.pid > 0)
            kill_and_reap(exec.pid);
        if (!done.ok())
            return done.release_error().with_context(context);
        return timed_out(exec.pid > 0 ? "it did not reach its execve" : "no PID was reported");
    }
    ChildFailure failure {};
    if (read_failure(sync_read, failure)) {
        // It exits after its report; SIGKILL makes sure of that, so the wait cannot hang.
        if (exec.pid > 0)
            kill_and_reap(exec.pid);
        return failure_to_error(failure, command, context);
    }
    if (exec.pid <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Error::system("the intermediate process died before reporting the container's PID ("
            + (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status)) : "exit " + std::to_string(WEXITSTATUS(status)))
            + ")").with_context(context);
    return exec;
}

// The parent's side of spawn with Fork::Direct: `pid` is the process itself, so there is no
// intermediate to wait for and no PID to believe. Waits until it execs (the sync pipe closes) or
// reports a failure, at most process.start_timeout, and then reads the time of its joins.
Result<Exec> await_direct_exec(pid_t pid, int pid_read, int sync_read, const ProcessSpec& process, const std::string& context)
{
    auto done = readable_by(sync_read, std::chrono::steady_clock::now() + process.start_timeout);
    if (!done.ok() || !done.value()) {
        // It is PID 1 of its namespace: killing it ends whatever it forked.
        kill_and_reap(pid);
        if (!done.ok())
            return done.release_error().with_context(context);
        return start_timed_out(process, context, "it did not reach its execve");
    }
    ChildFailure failure {};
    if (read_failure(sync_read, failure)) {
        kill_and_reap(pid);
        return failure_to_error(failure, process.args.empty() ? "" : process.args[0], context);
    }
    Exec exec;
    exec.pid = pid;
    // Written before the process went on to set up, so it is in the pipe by now (or was never
    // written: the trace then has no join time).
    auto reported = readable_by(pid_read, std::chrono::steady_clock::now());
    if (reported.ok() && reported.value() && read_record(pid_read, &exec.report, sizeof(exec.report)) <= 0)
        exec.report = {};
    exec.report.pid = pid;
    return exec;
}

// fork -> `intermediate` (joins cgroup and namespaces) -> `run`, in a fork (Fork::Here) or in the
// intermediate itself (Fork::ByInit, where glassbox-init forks the process); `run` never returns
// on success: it execs. `exec_fd` (or -1) is a descriptor the process needs for its execve and is
// kept open through the forks. Returns once the process has exec'd, or with the error a child
// reported (with `context` in front, except for an exec failure, which keeps Docker's wording).
// With Fork::ByInit the PID report comes from a process that held the pipe while the container
// could trace its fork, so the PID must be one `trusted` allows, or it is not used: a forged one
// can at worst name another exec'd process of the same container, never one of the host nor the
// container's PID 1. Every wait is bounded by process.start_timeout (await_exec). With
// Fork::Direct, `new_pid_namespace` runs on the forking thread just before the fork.
Result<StartedProcess> spawn(const ProcessSpec& process, const std::string& context, const IntermediateStep& intermediate,
    const ProcessStep& run, Fork forker, int exec_fd = -1, TrustedPids trusted = {},
    const IntermediateStep& new_pid_namespace = {})
{
    auto stdio = TRY_CTX(make_stdio(process), context);
    std::array<int, 2> sync_pipe {};
    std::array<int, 2> pid_pipe {};
    if (::pipe2(sync_pipe.data(), O_CLOEXEC) != 0)
        return Error::from_errno("pipe2", errno).with_context(context);
    UniqueFd sync_read(sync_pipe[0]);
    UniqueFd sync_write(sync_pipe[1]);
    if (::pipe2(pid_pipe.data(), O_CLOEXEC) != 0)
        return Error::from_errno("pipe2", errno).with_context(context);
    UniqueFd pid_read(pid_pipe[0]);
    UniqueFd pid_write(pid_pipe[1]);

    // The first process: the intermediate, or with Fork::Direct the process itself. Never returns.
    auto first_process = [&] {
        // Keep only what the children need.
        int sync_fd = lift_fd(sync_write.get());
        int pid_fd = lift_fd(pid_write.get());
        ChildEnds ends { lift_fd(stdio.child_in.get()), lift_fd(stdio.child_out.get()), lift_fd(stdio.child_err.get()), process.tty,
            lift_fd(stdio.console_child.get()), lift_fd(exec_fd), sync_fd, pid_fd };
        close_fds_except({ sync_fd, pid_fd, ends.in, ends.out, ends.err, ends.console_socket, ends.exec_fd });
        reset_signals();

        // Before joining anything: from here on this process and its child are forks of the
        // daemon that a container could see.
        auto sealed = make_undumpable();
        if (!sealed.ok())
            child_fail(sync_fd, sealed.error());
        auto joined = intermediate();
        if (!joined.ok())
            child_fail(sync_fd, joined.error());
        ends.joined_at = std::chrono::steady_clock::now().time_since_epoch().count();

        if (forker == Fork::Direct) {
            // The daemon knows the PID from its fork; the report carries the time of the joins.
            ChildReport report {};
            report.joined_at = ends.joined_at;
            (void)!::write(pid_fd, &report, sizeof(report));
            ::close(pid_fd);
            auto result = run(ends);
            child_fail(sync_fd, result.ok() ? Error::system("process returned without exec") : result.error());
        }
        if (forker == Fork::ByInit) {
            // Still outside the container's PID namespace; returns only if a step failed.
            auto result = run(ends);
            child_fail(sync_fd, result.ok() ? Error::system("process returned without exec") : result.error());
        }

        pid_t child = ::fork();
        if (child < 0)
            child_fail(sync_fd, Error::from_errno("fork", errno));
        if (child == 0) {
            ::close(pid_fd);
            // Inherited through fork already; said again so no later change can lose it.
            auto result = make_undumpable();
            if (result.ok())
                result = run(ends);
            child_fail(sync_fd, result.ok() ? Error::system("process returned without exec") : result.error());
        }
        // Report the process's host PID; it is reparented to the daemon (the subreaper) as
        // soon as this process exits. With it, when the joins were done (for the phase trace).
        ChildReport report {};
        report.pid = child;
        report.joined_at = ends.joined_at;
        (void)!::write(pid_fd, &report, sizeof(report));
        ::_exit(0);
    };

    pid_t first = -1;
    if (forker == Fork::Direct) {
        Result<pid_t> forked = Error::system("the forking thread did not run");
        try {
            std::thread thread([&] {
                auto created = new_pid_namespace ? new_pid_namespace() : Result<void>(Ok {});
                if (!created.ok()) {
                    forked = created.release_error();
                    return;
                }
                pid_t pid = ::fork();
                if (pid == 0) {
                    first_process();
                    ::_exit(127);
                }
                forked = pid < 0 ? Result<pid_t>(Error::from_errno("fork", errno)) : Result<pid_t>(pid);
            });
            thread.join();
        } catch (const std::system_error& error) {
            forked = Error::from_errno("start the thread that forks the container's PID 1", error.code().value());
        }
        if (!forked.ok())
            return forked.release_error().with_context(context);
        first = forked.value();
    } else {
        first = ::fork();
        if (first < 0)
            return Error::from_errno("fork", errno).with_context(context);
        if (first == 0) {
            first_process();
            ::_exit(127);
        }
    }

    // The parent: drop the children's ends so EOF means "every child end is closed".
    sync_write.reset();
    pid_write.reset();
    stdio.child_in.reset();
    stdio.child_out.reset();
    stdio.child_err.reset();
    stdio.console_child.reset();

    auto waited = forker == Fork::Direct ? await_direct_exec(first, pid_read.get(), sync_read.get(), process, context)
                                         : await_exec(first, pid_read.get(), sync_read.get(), process, context, forker, trusted);
    if (!waited.ok())
        return waited.release_error();
    pid_t pid = waited.value().pid;
    ChildReport report = waited.value().report;

    if (process.tty) {
        // Sent before the exec we just saw, so it is already queued.
        auto master = receive_fd(stdio.console_parent.get());
        if (!master.ok()) {
            kill_and_reap(pid);
            return master.release_error().with_context(context);
        }
        stdio.parent.pty_master = master.release_value();
    }
    stdio.parent.pid = pid;
    stdio.parent.timings.namespaces_joined
        = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(report.joined_at));
    stdio.parent.timings.exec_seen = std::chrono::steady_clock::now();
    return std::move(stdio.parent);
}

Result<void> validate(const ContainerSpec& spec)
{
    if (spec.process.args.empty())
        return Error::invalid("container spec: process.args is empty (no command specified)");
    if (spec.rootfs.empty() || spec.rootfs.front() != '/')
        return Error::invalid("container spec: rootfs \"" + spec.rootfs + "\" is not an absolute path");
    if (spec.init) {
        struct stat st { };
        if (spec.init_path.empty() || ::stat(spec.init_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            return Error::invalid("container spec: init_path \"" + spec.init_path + "\" is not a file (glassbox-init)");
    }
    TRY(capability_mask(spec.process.capabilities));
    return Ok {};
}

} // namespace

Result<void> become_subreaper()
{
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        return Error::from_errno("prctl PR_SET_CHILD_SUBREAPER", errno);
    return Ok {};
}

Result<StartedProcess> start_container(sys::Kernel& kernel, const ContainerSpec& spec)
{
    std::string context = "start container " + spec.id.substr(0, 12);
    TRY_CTX(validate(spec), context);
    auto caps = TRY_CTX(final_capabilities(spec.process, spec.privileged), context);
    // The seccomp programs are compiled (or found in the cache) here in the daemon: the child
    // only hands them to the kernel, with no libseccomp work and no malloc after fork.
    auto seccomp = TRY_CTX(compile_seccomp_profile(spec.seccomp_profile_json, caps), context);
    // The container's PID 1 is a grandchild; only a subreaper gets to wait for it.
    TRY_CTX(become_subreaper(), context);
    // With --init, PID 1 executes a sealed copy of glassbox-init (made once per daemon).
    int init_fd = -1;
    if (spec.init)
        init_fd = TRY_CTX(shared_sealed_copy(spec.init_path), context);

    auto cgroup = Cgroup::for_name(spec.cgroup_name);
    if (!spec.cgroup_name.empty())
        TRY_CTX(cgroup.create(kernel, spec.resources), context);
    auto cgroup_created = std::chrono::steady_clock::now();

    int flags = CLONE_NEWNS | CLONE_NEWCGROUP;
    if (!spec.share_host_uts)
        flags |= CLONE_NEWUTS;
    if (!spec.share_host_ipc)
        flags |= CLONE_NEWIPC;
    if (!spec.share_host_pid && spec.pidns_path.empty())
        flags |= CLONE_NEWPID;
    if (spec.netns_path.empty())
        flags |= CLONE_NEWNET;
    // A new PID namespace needs no intermediate process (Fork::Direct).
    bool direct = (flags & CLONE_NEWPID) != 0;

    auto intermediate = [&]() -> Result<void> {
        // Join the cgroup first, so the cgroup namespace is rooted at the container's cgroup.
        // getpid() is 1 in a new PID namespace, which is also how cgroup.procs, read in the
        // writer's PID namespace, names this process.
        if (!spec.cgroup_name.empty())
            TRY(cgroup.add_process(kernel, ::getpid()));
        if (!spec.netns_path.empty() && spec.netns_path != "host") {
            UniqueFd netns(::open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
            if (!netns.valid())
                return Error::from_errno("open network namespace " + spec.netns_path, errno);
            TRY(kernel.set_namespace(netns, sys::NamespaceKind::Network));
        }
        // Joining another container's PID namespace, like creating one, applies to children:
        // the next fork is a member of it (setns(2), "CLONE_NEWPID").
        if (!spec.pidns_path.empty()) {
            UniqueFd pidns(::open(spec.pidns_path.c_str(), O_RDONLY | O_CLOEXEC));
            if (!pidns.valid())
                return Error::from_errno("open PID namespace " + spec.pidns_path, errno);
            TRY(kernel.set_namespace(pidns, sys::NamespaceKind::Pid));
        }
        // CLONE_NEWPID applies to children: the next fork is PID 1 of the new namespace. With
        // Fork::Direct this process is that PID 1 already.
        TRY(kernel.unshare(direct ? flags & ~CLONE_NEWPID : flags));
        return Ok {};
    };
    auto new_pid_namespace = [&]() -> Result<void> { return kernel.unshare(CLONE_NEWPID); };
    auto layout = sys::kernel_features().cgroup_layout;
    auto run = [&](const ChildEnds& ends) -> Result<void> {
        ::umask(0);
        if (!ends.tty)
            TRY(attach_stdio(ends, Session::Here));
        RootfsOptions options;
        options.host_network = spec.netns_path == "host";
        options.cgroup_layout = layout;
        TRY(prepare_rootfs(kernel, spec, options));
        // The container's devpts is mounted and "/" is the container's; /dev stays writable
        // whatever finish_rootfs does to "/".
        if (ends.tty)
            TRY(open_console(kernel, ends, spec.process, BindConsole::Yes, Session::Here));
        TRY(finish_rootfs(kernel, spec));
        return exec_process(kernel,
            ExecPlan { .process = &spec.process, .ends = &ends, .launch = spec.init ? Launch::Init : Launch::Direct,
                .capabilities = caps, .seccomp = seccomp.get() });
    };

    // PID 1 sets itself up (the root, mounts) in a fork of the daemon, as the first process of
    // its new PID namespace, where nothing exists yet that could trace it. A container that joins
    // another's PID namespace (--pid container:NAME) is the exception: see docs/security.md row 20.
    // Such a container, and one in the host's PID namespace, keeps the intermediate, so its fork
    // is non-dumpable before it enters a namespace other processes share.
    auto started = spawn(spec.process, context, intermediate, run, direct ? Fork::Direct : Fork::Here, init_fd, {},
        new_pid_namespace);
    if (!started.ok()) {
        if (!spec.cgroup_name.empty()) {
            cgroup.kill_all(kernel);
            (void)cgroup.remove(kernel);
        }
        return started;
    }
    started.value().timings.cgroup_created = cgroup_created;
    return started;
}

Result<StartedProcess> exec_in_container(sys::Kernel& kernel, const ContainerSpec& spec, pid_t container_pid,
    const ProcessSpec& process)
{
    std::string context = "exec in container " + spec.id.substr(0, 12);
    if (process.args.empty())
        return Error::invalid("exec: no command specified");
    if (container_pid <= 0)
        return Error::invalid(context + ": the container is not running");
    if (spec.init_path.empty())
        return Error::invalid(context + ": container spec: init_path is empty (glassbox-init runs every exec)");
    auto caps = TRY_CTX(final_capabilities(process, spec.privileged), context);
    auto seccomp = TRY_CTX(compile_seccomp_profile(spec.seccomp_profile_json, caps), context);
    TRY_CTX(become_subreaper(), context);
    int init_fd = TRY_CTX(shared_sealed_copy(spec.init_path), context);
    auto cgroup = Cgroup::for_name(spec.cgroup_name);
    struct stat pid_namespace { };
    std::string base = "/proc/" + std::to_string(container_pid) + "/ns/";
    if (::stat((base + "pid").c_str(), &pid_namespace) != 0)
        return Error::from_errno("stat " + base + "pid", errno).with_context(context);

    auto intermediate = [&]() -> Result<void> {
        // Open every namespace first: after setns(mnt) the host's /proc is out of sight.
        // The user namespace comes first when the container has its own.
        struct Joined {
            sys::NamespaceKind kind;
            UniqueFd fd;
        };
        std::vector<Joined> joins;
        struct stat mine { };
        struct stat theirs { };
        if (::stat("/proc/self/ns/user", &mine) == 0 && ::stat((base + "user").c_str(), &theirs) == 0
            && mine.st_ino != theirs.st_ino) {
            joins.push_back({ sys::NamespaceKind::User, UniqueFd(::open((base + "user").c_str(), O_RDONLY | O_CLOEXEC)) });
        }
        for (auto kind : { sys::NamespaceKind::Ipc, sys::NamespaceKind::Uts, sys::NamespaceKind::Network,
                 sys::NamespaceKind::Pid, sys::NamespaceKind::Cgroup, sys::NamespaceKind::Mount }) {
            std::string path = base + std::string(sys::namespace_file_name(kind));
            joins.push_back({ kind, UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) });
        }
        for (const auto& join : joins) {
            if (!join.fd.valid())
                return Error::from_errno("open " + base + std::string(sys::namespace_file_name(join.kind)), ESRCH);
        }
        if (!spec.cgroup_name.empty())
            TRY(cgroup.add_process(kernel, ::getpid()));
        for (const auto& join : joins)
            TRY(kernel.set_namespace(join.fd, join.kind));
        return Ok {};
    };
    // In the intermediate process, which setns(CLONE_NEWPID) left outside the container's PID
    // namespace: glassbox-init's fork is the first process of this exec the container can see.
    auto run = [&](const ChildEnds& ends) -> Result<void> {
        // setns(mnt) made the container's root ours, so /dev/pts is the container's instance.
        if (ends.tty) {
            TRY(open_console(kernel, ends, process, BindConsole::No, Session::InSpawnedChild));
        } else {
            TRY(attach_stdio(ends, Session::InSpawnedChild));
        }
        return exec_process(kernel,
            ExecPlan { .process = &process, .ends = &ends, .launch = Launch::Spawn, .capabilities = caps,
                .seccomp = seccomp.get() });
    };

    return spawn(process, context, intermediate, run, Fork::ByInit, init_fd,
        TrustedPids { .pid_namespace = pid_namespace.st_ino, .container_init = container_pid });
}

int wait_for_exit(pid_t pid) { return sys::linux_reap_exit(pid); }

Result<void> resize_pty(int pty_master, std::uint16_t rows, std::uint16_t cols)
{
    winsize size {};
    size.ws_row = rows;
    size.ws_col = cols;
    if (::ioctl(pty_master, TIOCSWINSZ, &size) != 0)
        return Error::from_errno("resize pty", errno);
    return Ok {};
}

int start_error_exit_code(const Error& error)
{
    const std::string& text = error.message();
    if (text.find("executable file not found") != std::string::npos
        || text.find("no such file or directory") != std::string::npos)
        return 127;
    if (text.find("permission denied") != std::string::npos)
        return 126;
    return 125;
}

} // namespace engine::runtime
