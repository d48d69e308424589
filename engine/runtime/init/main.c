/*
 * glassbox-init: the tiny PID 1 that `--init` puts in front of a container's command, in the
 * role of Docker's docker-init (tini). A process that is PID 1 of a PID namespace gets no
 * default signal actions: SIGTERM is ignored unless it installs a handler, and orphans are
 * reparented to it. So this program:
 *   1. blocks every signal, forks and execs the command (with the signals unblocked again);
 *   2. forwards every catchable signal it receives to the command;
 *   3. reaps every zombie that ends up as its child;
 *   4. exits with the command's exit code, or 128 + signal if the command was killed.
 * Usage: glassbox-init -- command [args...]. Built static, so it runs in any image.
 *
 * The engine also runs it in a second role, the last step of every `exec`:
 *   glassbox-init --spawn SYNC_FD PID_FD JOINED_AT TTY PATH -- ARG0 [args...]
 * The daemon's intermediate process has joined the container's namespaces (setns(CLONE_NEWPID)
 * only moves its children), set up stdio, the working directory, the user, the capabilities and
 * the seccomp filter, then replaced itself with a sealed copy of this program. So the first
 * process in the container's PID namespace, the fork below, is a fork of this small binary with
 * nothing but the container's own credentials and stdio, never a copy of the daemon (whose
 * memory holds other containers' secrets) that a container with CAP_SYS_PTRACE could trace
 * (CVE-2016-9962). The fork makes itself a session leader (with the pty as its controlling
 * terminal if TTY is 1) and executes PATH with the environment it was given; its PID goes back
 * on PID_FD and an execve failure on SYNC_FD, in the format of spawn_protocol.h.
 *
 * Kernel interfaces: sigprocmask(2), sigtimedwait(2), waitpid(2), prctl(2), pid_namespaces(7),
 * fork(2), setsid(2), ioctl(2) TIOCSCTTY, execve(2).
 * Lesson: lessons/05-pid1-signals/.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn_protocol.h"

extern char** environ;

static int exit_code_of(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Reports a failure on the sync pipe and exits as the daemon's own children do. */
static void spawn_fail(int sync_fd, int failure, const char* step, int code)
{
    struct glassbox_spawn_failure report;
    memset(&report, 0, sizeof report);
    report.failure = failure;
    report.code = code;
    if (step != NULL)
        strncpy(report.message, step, sizeof report.message - 1);
    ssize_t ignored = write(sync_fd, &report, sizeof report);
    (void)ignored;
    _exit(127);
}

/* A decimal number from argv: 0 when `text` is one, -1 when not. */
static int parse_int(const char* text, long long* value)
{
    char* end = NULL;
    errno = 0;
    *value = strtoll(text, &end, 10);
    return errno == 0 && end != text && *end == 0 ? 0 : -1;
}

/* argv: glassbox-init --spawn SYNC_FD PID_FD JOINED_AT TTY PATH -- ARG0 [args...] */
static int spawn(int argc, char** argv)
{
    long long sync_fd = -1;
    long long pid_fd = -1;
    long long joined_at = 0;
    long long tty = 0;
    if (argc < 9 || parse_int(argv[2], &sync_fd) != 0 || parse_int(argv[3], &pid_fd) != 0
        || parse_int(argv[4], &joined_at) != 0 || parse_int(argv[5], &tty) != 0 || strcmp(argv[7], "--") != 0
        || sync_fd < 3 || pid_fd < 3 || sync_fd > 1000000 || pid_fd > 1000000) {
        fprintf(stderr, "usage: glassbox-init --spawn SYNC_FD PID_FD JOINED_AT TTY PATH -- ARG0 [args...]\n");
        return 2;
    }
    /* The command's execve closes the sync pipe, which tells the daemon it has run. Until then
     * neither process is dumpable: a process of the container's user could otherwise open the
     * fork's /proc/<pid>/fd/ and hold the daemon's pipes. */
    if (fcntl((int)sync_fd, F_SETFD, FD_CLOEXEC) != 0)
        spawn_fail((int)sync_fd, GLASSBOX_SPAWN_SETUP, "fcntl FD_CLOEXEC on the sync pipe", errno);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        spawn_fail((int)sync_fd, GLASSBOX_SPAWN_SETUP, "prctl PR_SET_DUMPABLE 0", errno);

    pid_t child = fork();
    if (child < 0)
        spawn_fail((int)sync_fd, GLASSBOX_SPAWN_SETUP, "fork", errno);
    if (child == 0) {
        close((int)pid_fd);
        /* A session of its own, like runc: the process group gets the terminal's signals. */
        if (setsid() < 0)
            spawn_fail((int)sync_fd, GLASSBOX_SPAWN_SETUP, "setsid", errno);
        if (tty != 0 && ioctl(0, TIOCSCTTY, 0) != 0)
            spawn_fail((int)sync_fd, GLASSBOX_SPAWN_SETUP, "make the pty the controlling terminal (TIOCSCTTY)", errno);
        execve(argv[6], &argv[8], environ);
        spawn_fail((int)sync_fd, GLASSBOX_SPAWN_EXEC, NULL, errno);
    }
    /* The daemon adopts the process (it is the subreaper) when this one exits. */
    struct glassbox_spawn_report report;
    memset(&report, 0, sizeof report);
    report.pid = child;
    report.joined_at = joined_at;
    /* Without its PID the daemon could neither wait for the command nor stop it: end it here
     * rather than leave it running unsupervised. */
    if (write((int)pid_fd, &report, sizeof report) != (ssize_t)sizeof report) {
        kill(child, SIGKILL);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv)
{
    /* The engine executes a sealed memfd copy of this program, so the kernel named the process
     * after the descriptor ("3" or "memfd:glassbox-"); ps, top and /proc/1/comm should say what
     * it is. */
    prctl(PR_SET_NAME, "glassbox-init", 0, 0, 0);
    if (argc > 1 && strcmp(argv[1], "--spawn") == 0)
        return spawn(argc, argv);

    int first = 1;
    if (first < argc && strcmp(argv[first], "--") == 0)
        first++;
    if (first >= argc) {
        fprintf(stderr, "usage: glassbox-init -- command [args...]\n");
        return 2;
    }

    sigset_t all;
    sigset_t original;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &original);

    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "glassbox-init: fork: %s\n", strerror(errno));
        return 1;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &original, NULL);
        execvp(argv[first], &argv[first]);
        int code = errno;
        fprintf(stderr, "glassbox-init: exec %s: %s\n", argv[first], strerror(code));
        _exit(code == ENOENT ? 127 : 126);
    }

    for (;;) {
        /* Wait at most a second, so zombies that arrive while SIGCHLD was already pending are
         * still reaped promptly. */
        struct timespec timeout = { 1, 0 };
        siginfo_t info;
        int signal = sigtimedwait(&all, &info, &timeout);
        if (signal < 0 && errno != EAGAIN && errno != EINTR) {
            fprintf(stderr, "glassbox-init: sigtimedwait: %s\n", strerror(errno));
            return 1;
        }
        if (signal > 0 && signal != SIGCHLD) {
            /* Forward everything else, including SIGTERM, SIGINT, SIGHUP, SIGUSR1/2, SIGWINCH. */
            kill(child, signal);
            continue;
        }

        /* SIGCHLD or timeout: reap every child that has exited. */
        for (;;) {
            int status = 0;
            pid_t reaped = waitpid(-1, &status, WNOHANG);
            if (reaped <= 0) {
                if (reaped < 0 && errno == ECHILD)
                    return 1; /* The command is gone without us seeing its status. */
                break;
            }
            if (reaped == child) {
                /* Drain the other zombies that are already waiting, then leave. */
                while (waitpid(-1, NULL, WNOHANG) > 0) { }
                return exit_code_of(status);
            }
        }
    }
}
