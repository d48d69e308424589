/*
 * A stand-in for glassbox-init's spawn mode that misbehaves the way a tracer in the container
 * could make the real one misbehave (it runs as the container's user, in the container's mount
 * namespace, with the two pipes of engine/runtime/init/spawn_protocol.h). runtime_test.cpp
 * points ContainerSpec::init_path at it; the daemon side must stay safe whatever it does.
 *   misbehaving-init --spawn SYNC_FD PID_FD JOINED_AT TTY PATH -- ARG0 MODE [ARG]
 * MODE:
 *   forge PID           reports PID as the process's and exits, never forking.
 *   stop-before-report  forks a child that sleeps holding both pipes, then stops itself
 *                       (SIGSTOP) before writing any report.
 *   stop-before-exec    forks a child that stops itself holding the sync pipe, reports that
 *                       child's PID honestly and exits.
 * Static, like glassbox-init: the engine executes a sealed copy inside the container's root.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/runtime/init/spawn_protocol.h"

static void report(int pid_fd, pid_t pid)
{
    struct glassbox_spawn_report message;
    memset(&message, 0, sizeof message);
    message.pid = pid;
    if (write(pid_fd, &message, sizeof message) != (ssize_t)sizeof message)
        _exit(3);
}

int main(int argc, char** argv)
{
    if (argc < 10 || strcmp(argv[1], "--spawn") != 0 || strcmp(argv[7], "--") != 0)
        return 2;
    int pid_fd = atoi(argv[3]);
    const char* mode = argv[9];
    if (strcmp(mode, "forge") == 0 && argc > 10) {
        report(pid_fd, (pid_t)atoi(argv[10]));
        return 0;
    }
    if (strcmp(mode, "stop-before-report") == 0) {
        pid_t child = fork();
        if (child == 0) {
            for (;;)
                pause();
        }
        raise(SIGSTOP);
        return 0;
    }
    if (strcmp(mode, "stop-before-exec") == 0) {
        pid_t child = fork();
        if (child == 0) {
            close(pid_fd);
            raise(SIGSTOP);
            _exit(0);
        }
        report(pid_fd, child);
        return 0;
    }
    return 2;
}
