/*
 * What travels back to the daemon on the two pipes of a process start, written either by the
 * daemon's own children (engine/runtime/process.cpp) or by glassbox-init in its spawn mode
 * (main.c), so both sides include this one definition. Plain C: glassbox-init is static C.
 *   - The PID pipe carries one glassbox_spawn_report: the process's host PID and when the
 *     intermediate process had joined the cgroup and the namespaces.
 *   - The sync pipe carries nothing on success (the last copy of its write end closes at the
 *     process's execve) or one glassbox_spawn_failure before the child exits with 127.
 * Each is one write(2) of less than PIPE_BUF bytes, so the reader gets it whole.
 */
#ifndef GLASSBOX_SPAWN_PROTOCOL_H
#define GLASSBOX_SPAWN_PROTOCOL_H

#include <stdint.h>

struct glassbox_spawn_report {
    int32_t pid;       /* Host PID of the process (the intermediate's fork). */
    int64_t joined_at; /* CLOCK_MONOTONIC ns (steady_clock ticks) when the joins were done. */
};

/* What a failure is about; the daemon words an exec failure as Docker does and passes it on
 * without its own context. */
enum glassbox_spawn_failure_kind {
    GLASSBOX_SPAWN_SETUP = 0, /* A setup step failed: message names it, code is its errno or 0. */
    GLASSBOX_SPAWN_EXEC = 1,  /* The command could not be found or executed: message is Docker's
                                 wording, or empty with code the execve(2) errno. */
};

struct glassbox_spawn_failure {
    int32_t failure;    /* enum glassbox_spawn_failure_kind */
    int32_t error_kind; /* engine::ErrorKind of a setup failure with code 0. */
    int32_t code;       /* errno, or 0. */
    char message[3000]; /* NUL-terminated (or empty). */
};

#endif
