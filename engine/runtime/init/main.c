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
 * Kernel interfaces: sigprocmask(2), sigtimedwait(2), waitpid(2), prctl(2), pid_namespaces(7).
 * Lesson: lessons/05-pid1-signals/.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int exit_code_of(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int main(int argc, char** argv)
{
    /* The engine executes a sealed memfd copy of this program, so the kernel named the process
     * after the descriptor ("3" or "memfd:glassbox-"); ps, top and /proc/1/comm should say what
     * it is. */
    prctl(PR_SET_NAME, "glassbox-init", 0, 0, 0);

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
