"""The default seccomp filter, seen from inside containers of a private glassboxd.

A static probe program (compiled here) calls each system call the default filter must refuse,
with harmless arguments, and prints the errno it got. In a default container every one gives
EPERM (clone3 ENOSYS), PID 1 shows `Seccomp: 2`, the process has Docker's 14 capabilities and
/proc/sysrq-trigger cannot be written; with `--security-opt seccomp=unconfined` and
with `--privileged` PID 1 shows `Seccomp: 0` and the same calls get past the filter (they fail,
if at all, with the kernel's own errors, not the filter's EPERM).
"""
import json
import os
import shutil
import tempfile

import pytest

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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Each probe returns the errno of the call (0 when it succeeded). */
static int result(long rc) { return rc < 0 ? errno : 0; }

/* With an argument, calls that would change state outside the container when no filter stops
 * them (a key in the session keyring) are skipped. */
int main(int argc, char** argv)
{
    (void)argv;
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    int fd;
#define PROBE(name, call) do { errno = 0; long rc = (call); printf("%s %d\n", name, result(rc)); \
        if (rc >= 0 && (!strcmp(name, "socket_vsock") || !strcmp(name, "socket_alg") || !strcmp(name, "io_uring_setup") \
                        || !strcmp(name, "userfaultfd"))) close((int)rc); } while (0)
    PROBE("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0 /* no create */));
    if (argc == 1)
        PROBE("add_key", syscall(SYS_add_key, "user", "probe", "x", 1, -3));
    PROBE("request_key", syscall(SYS_request_key, "user", "probe", NULL, 0));
    PROBE("socket_vsock", socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
    PROBE("socket_alg", socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0));
    PROBE("io_uring_setup", syscall(SYS_io_uring_setup, 1, &params));
    PROBE("personality_read_implies_exec", personality(0x400000));
    personality(0); /* Undo it where it was allowed. */
    PROBE("unshare_user", unshare(CLONE_NEWUSER));
    PROBE("unshare_mount", unshare(CLONE_NEWNS));
    PROBE("mount_tmpfs", mount("none", "/mnt", "tmpfs", 0, NULL));
    PROBE("bpf", syscall(SYS_bpf, 0, NULL, 0));
    PROBE("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    PROBE("userfaultfd", syscall(SYS_userfaultfd, 0));
    /* An architecture field that matches no kernel: EINVAL once past the filter and the
     * capability check, so nothing is ever loaded or unloaded. */
    PROBE("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0x12340000));
    PROBE("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0));
    PROBE("clone3", syscall(SYS_clone3, NULL, 0));
    /* Magic numbers no kernel accepts: EINVAL once past the filter and CAP_SYS_BOOT. */
    PROBE("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
    PROBE("personality_query", personality(0xffffffff));
    PROBE("getpid", getpid());
    (void)fd;
    return 0;
}
"""

REFUSED = ["keyctl", "add_key", "request_key", "socket_vsock", "socket_alg", "io_uring_setup",
           "personality_read_implies_exec", "unshare_user", "unshare_mount", "mount_tmpfs", "bpf",
           "perf_event_open", "userfaultfd", "kexec_load", "open_by_handle_at", "reboot"]
EPERM, ENOSYS = 1, 38


@pytest.fixture(scope="module")
def probe_dir():
    work = tempfile.mkdtemp(prefix="gb-seccomp-probe-")
    why_not = build_static(PROBE_SOURCE, os.path.join(work, "probe"))
    if why_not:
        shutil.rmtree(work, ignore_errors=True)
        pytest.skip(why_not)
    os.chmod(work, 0o755)
    yield work
    shutil.rmtree(work, ignore_errors=True)


def run_probe(daemon, probe_dir, *flags):
    harmless_only = " only-harmless" if flags else ""
    result = daemon.docker("run", "--rm", *flags, "-v", f"{probe_dir}:/probe:ro", daemon.tag,
                           "sh", "-c", "grep '^Seccomp:' /proc/1/status /proc/self/status; /probe/probe"
                           + harmless_only, timeout=60)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    seccomp = [line.split()[-1] for line in result.stdout.splitlines() if "Seccomp:" in line]
    errnos = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            errnos[parts[0]] = int(parts[1])
    return seccomp, errnos, result.stdout


@pytest.fixture
def cli_ready(docker_cli):
    return docker_cli


def test_default_container_refuses_the_calls_dockers_profile_refuses(daemon, probe_dir, cli_ready):
    seccomp, errnos, out = run_probe(daemon, probe_dir)

    assert seccomp == ["2", "2"], out
    refused_wrongly = {name: errnos.get(name) for name in REFUSED if errnos.get(name) != EPERM}
    assert not refused_wrongly, f"not refused with EPERM: {refused_wrongly}\n{out}"
    assert errnos["clone3"] == ENOSYS, out
    # What a normal program needs still works.
    assert errnos["getpid"] == 0 and errnos["personality_query"] == 0, out


def test_default_container_has_dockers_capabilities_and_no_sysrq(daemon, cli_ready):
    # The 14 default capabilities are CapEff/CapBnd 00000000a80425fb, as under Docker; writing
    # 'h' (help, harmless even if it got through) to the host's magic SysRq key must fail.
    result = daemon.docker("run", "--rm", daemon.tag, "sh", "-c",
                           "grep -E '^Cap(Eff|Bnd):' /proc/self/status;"
                           " if echo h > /proc/sysrq-trigger; then echo sysrq-written; else echo sysrq-refused; fi",
                           timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    caps = dict(line.split(":\t") for line in result.stdout.splitlines() if line.startswith("Cap"))
    assert caps == {"CapEff": "00000000a80425fb", "CapBnd": "00000000a80425fb"}, result.stdout
    assert "sysrq-refused" in result.stdout and "sysrq-written" not in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("flags", [("--security-opt", "seccomp=unconfined"), ("--privileged",)])
def test_unconfined_and_privileged_containers_have_no_filter(daemon, probe_dir, cli_ready, flags):
    seccomp, errnos, out = run_probe(daemon, probe_dir, *flags)

    assert seccomp == ["0", "0"], out
    # No filter: the call reaches the kernel (io_uring_setup and personality succeed there).
    assert errnos["personality_read_implies_exec"] == 0, out
    assert errnos["clone3"] != ENOSYS, out


CUSTOM_PROFILE = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [
        {"names": ["bpf", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 0, "value": 0x400000, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["no_such_call_anywhere"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["getppid"], "action": "SCMP_ACT_ALLOW"},
    ],
}


def test_docker_json_profile_is_applied(daemon, probe_dir, cli_ready, tmp_path):
    # The docker CLI reads `seccomp=<file>` and sends the file's JSON in SecurityOpt.
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(CUSTOM_PROFILE))
    seccomp, errnos, out = run_probe(daemon, probe_dir, "--security-opt", f"seccomp={profile}")

    assert seccomp == ["2", "2"], out
    assert errnos["bpf"] == 13, out                            # errnoRet
    assert errnos["personality_read_implies_exec"] == EPERM, out  # an argument rule, default errno
    assert errnos["personality_query"] == 0, out                # other values pass
    assert errnos["keyctl"] != EPERM and errnos["clone3"] != ENOSYS, out  # the default filter is not added
    made = daemon.docker("run", "--rm", "--security-opt", f"seccomp={profile}", daemon.tag, "mkdir", "/tmp/d")
    assert made.returncode != 0 and "Permission denied" in made.stderr, made.stderr


@pytest.mark.parametrize("profile, field", [
    ({"syscalls": []}, "defaultAction: missing"),
    ({"defaultAction": "SCMP_ACT_MAYBE"}, "defaultAction: unknown action"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}, "architectures[0]: unknown architecture"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"]}]}, "syscalls[0].action: missing"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO"},
                                                      {"names": ["x"], "action": "SCMP_ACT_ERRNO",
                                                       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}]},
     "syscalls[1].args[0].op: unknown operator"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
                                                       "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]},
     "syscalls[0].args[0].index"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
                                                       "includes": {"caps": ["CAP_FLY"]}}]},
     "syscalls[0].includes.caps[0]"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "sycalls": []}, "sycalls: unknown field"),
])
def test_bad_profiles_are_refused_at_create_naming_the_field(daemon, profile, field):
    body = {"Image": daemon.tag, "Cmd": ["true"],
            "HostConfig": {"SecurityOpt": ["seccomp=" + json.dumps(profile)]}}
    status, answer = daemon.request("POST", "/v1.41/containers/create", body)

    assert status == 400, answer
    assert field.encode() in answer, answer


def test_a_profile_that_is_not_json_is_refused(daemon):
    for value in ["seccomp={not json", "seccomp=/etc/profile.json"]:
        body = {"Image": daemon.tag, "Cmd": ["true"], "HostConfig": {"SecurityOpt": [value]}}
        status, answer = daemon.request("POST", "/v1.41/containers/create", body)
        assert status == 400, answer
        assert b"seccomp" in answer, answer


def test_build_run_steps_get_the_default_filter(daemon, probe_dir, cli_ready, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    shutil.copy(os.path.join(probe_dir, "probe"), context / "probe")
    (context / "Dockerfile").write_text(
        f"FROM {daemon.tag}\nCOPY probe /probe\nRUN grep '^Seccomp:' /proc/self/status && /probe x\n")
    built = daemon.docker("build", "--no-cache", "-t", "gbt-seccomp-build:1", str(context), timeout=120,
                          extra_env={"DOCKER_BUILDKIT": "0"})
    try:
        assert built.returncode == 0, built.stdout + built.stderr
        assert "Seccomp:\t2" in built.stdout, built.stdout
        assert "keyctl 1\n" in built.stdout and "unshare_user 1\n" in built.stdout, built.stdout
    finally:
        daemon.docker("rmi", "gbt-seccomp-build:1")


def test_exec_gets_the_containers_filter(daemon, probe_dir, cli_ready):
    name = "gbt-seccomp-exec"
    started = daemon.docker("run", "-d", "--name", name, "-v", f"{probe_dir}:/probe:ro", daemon.tag, "sleep", "60")
    assert started.returncode == 0, started.stderr
    try:
        result = daemon.docker("exec", name, "sh", "-c", "grep '^Seccomp:' /proc/self/status; /probe/probe")
        assert result.returncode == 0, result.stderr
        assert "Seccomp:\t2" in result.stdout, result.stdout
        assert "keyctl 1\n" in result.stdout and "unshare_user 1\n" in result.stdout, result.stdout
    finally:
        daemon.docker("rm", "-f", name)
