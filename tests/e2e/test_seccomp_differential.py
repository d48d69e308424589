"""Differential test of the default seccomp filters: the same static probe tries 31 system calls
(with harmless arguments) in a default container on glassboxd and on a real, private dockerd, and
the test compares, call by call, whether the call was refused (EPERM, or ENOSYS for clone3) or got
past the filter. Both engines give the container Docker's 14 capabilities, so a refusal that comes
from a missing capability is the same on both sides.

The differences must be exactly the ones docs/security.md documents (KNOWN_DIFFERENCES below,
with the reason there): a new difference fails the test, and so does a documented one that is gone.
"""
import os
import shutil
import tempfile

import pytest

import glassbox_harness as harness
from static_program import build_static

PROBE_SOURCE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char* name, long rc)
{
    printf("%s %d\n", name, rc < 0 ? errno : 0);
}

/* Arguments are chosen so that a call that gets past the filter fails harmlessly in the kernel
 * (a bad pointer, a name that does not exist, a capability the container lacks) or has no effect
 * outside the container. */
int main(void)
{
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    long rc;
#define TRY(name, call) do { errno = 0; rc = (call); report(name, rc); } while (0)
    TRY("keyctl", syscall(SYS_keyctl, 0, -3, 0));
    TRY("add_key", syscall(SYS_add_key, "glassbox-no-such-type", "probe", "x", 1, -3));
    TRY("request_key", syscall(SYS_request_key, "user", "glassbox-probe-none", NULL, 0));
    TRY("socket_vsock", socket(40, SOCK_STREAM, 0)); if (rc >= 0) close((int)rc);
    TRY("socket_alg", socket(38, SOCK_SEQPACKET, 0)); if (rc >= 0) close((int)rc);
    TRY("socket_inet", socket(AF_INET, SOCK_STREAM, 0)); if (rc >= 0) close((int)rc);
    TRY("io_uring_setup", syscall(SYS_io_uring_setup, 1, &params)); if (rc >= 0) close((int)rc);
    TRY("bpf", syscall(SYS_bpf, 0, NULL, 0));
    TRY("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    TRY("userfaultfd", syscall(SYS_userfaultfd, 0)); if (rc >= 0) close((int)rc);
    TRY("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0x12340000));
    TRY("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0));
    TRY("name_to_handle_at", syscall(SYS_name_to_handle_at, -1, NULL, NULL, NULL, 0));
    TRY("personality_read_implies_exec", personality(0x400000)); personality(0);
    TRY("personality_query", personality(0xffffffff));
    TRY("unshare_user", unshare(CLONE_NEWUSER));
    TRY("unshare_mount", unshare(CLONE_NEWNS));
    TRY("mount_tmpfs", mount("none", "/glassbox-probe-none", "tmpfs", 0, NULL));
    TRY("umount2", umount2("/glassbox-probe-none", 0));
    TRY("setns", syscall(SYS_setns, -1, 0));
    TRY("pivot_root", syscall(SYS_pivot_root, "/glassbox-probe-none", "/glassbox-probe-none"));
    TRY("clone3", syscall(SYS_clone3, NULL, 0));
    TRY("syslog_size", syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0));
    TRY("delete_module", syscall(SYS_delete_module, "glassbox_probe_none", 04000 /* O_NONBLOCK */));
    TRY("swapon", syscall(SYS_swapon, "/glassbox-probe-none", 0));
    TRY("fanotify_init", syscall(SYS_fanotify_init, 0, 0)); if (rc >= 0) close((int)rc);
    TRY("kcmp", syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0));
    TRY("mbind", syscall(SYS_mbind, NULL, 0, 0, NULL, 0, 0));
    TRY("ptrace_peek_nobody", ptrace(PTRACE_PEEKDATA, 999999, NULL, NULL));
    TRY("reboot_bad_magic", syscall(SYS_reboot, 0, 0, 0, NULL));
    TRY("getpid", getpid());
    return 0;
}
"""

# Calls whose verdict differs between glassbox's default filter and dockerd 20.10's default
# profile, each explained in docs/security.md ("Seccomp" row). glassbox follows the current moby
# profile, which changed since 20.10 on exactly these calls. The set must be exact: a new
# difference fails, and so does one that disappears (the documentation would be stale).
KNOWN_DIFFERENCES = {
    # Current profiles leave io_uring out and refuse AF_VSOCK and AF_ALG sockets; 20.10 allowed
    # all three.
    "io_uring_setup", "socket_alg", "socket_vsock",
    # Current profiles allow name_to_handle_at to every container (only open_by_handle_at, which
    # uses the handle, needs CAP_DAC_READ_SEARCH); 20.10 tied it to CAP_SYS_ADMIN.
    "name_to_handle_at",
}

EPERM, ENOSYS = 1, 38


def refused(errno_value, name):
    return errno_value == EPERM or (name == "clone3" and errno_value == ENOSYS)


def parse(output):
    verdicts = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            verdicts[parts[0]] = int(parts[1])
    return verdicts


@pytest.fixture(scope="module")
def probe_dir():
    work = tempfile.mkdtemp(prefix="gb-seccomp-diff-")
    why_not = build_static(PROBE_SOURCE, os.path.join(work, "probe"))
    if why_not:
        shutil.rmtree(work, ignore_errors=True)
        pytest.skip(why_not)
    os.chmod(work, 0o755)
    yield work
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def dockerd():
    from dockerd_harness import Dockerd, dockerd_path
    if dockerd_path() is None or shutil.which("docker") is None:
        pytest.skip("dockerd and the docker CLI are needed for the differential run")
    if harness.missing_reason(need_cli=False):
        pytest.skip(harness.missing_reason(need_cli=False))
    peer = Dockerd().start()
    try:
        imported = peer.docker("import", harness.BASE_TAR, harness.base_tag())
        assert imported.returncode == 0, imported.stderr
        yield peer
    finally:
        peer.stop()


def test_the_same_calls_are_refused_as_under_dockers_default_profile(daemon, dockerd, probe_dir, docker_cli):
    args = ["run", "--rm", "--network", "none", "-v", f"{probe_dir}:/probe:ro", harness.base_tag(), "/probe/probe"]
    ours = daemon.docker(*args, timeout=60)
    theirs = dockerd.docker(*args, timeout=60)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    ours_v, theirs_v = parse(ours.stdout), parse(theirs.stdout)
    assert len(ours_v) == 31 and set(ours_v) == set(theirs_v), (ours.stdout, theirs.stdout)

    table = [f"{name:32} glassbox {'refused' if refused(ours_v[name], name) else 'allowed'} ({ours_v[name]:3})"
             f"  dockerd {'refused' if refused(theirs_v[name], name) else 'allowed'} ({theirs_v[name]:3})"
             for name in sorted(ours_v)]
    print("\n" + "\n".join(table))
    differences = {name for name in ours_v if refused(ours_v[name], name) != refused(theirs_v[name], name)}
    assert differences == KNOWN_DIFFERENCES, (
        f"undocumented differences from dockerd's default profile: {sorted(differences - KNOWN_DIFFERENCES)}; "
        f"documented differences that are gone: {sorted(KNOWN_DIFFERENCES - differences)}\n" + "\n".join(table))
    # The headline calls of issue 17 are refused on both.
    for name in ("keyctl", "add_key", "socket_vsock", "io_uring_setup", "unshare_user", "mount_tmpfs",
                 "personality_read_implies_exec", "bpf", "reboot_bad_magic", "kcmp", "mbind"):
        assert refused(ours_v[name], name), "\n".join(table)
    assert not refused(ours_v["getpid"], "getpid") and not refused(ours_v["socket_inet"], "socket_inet")
