"""The glassbox CLI against a private glassboxd, checked against kernel facts rather than command
output: namespace inodes in /proc/<pid>/ns, the container's overlay root in its mountinfo, NSpid in
/proc/<pid>/status, stop timing and exit codes, volumes on disk, the cgroup OOM killer, and clear
errors for bad input that leave the daemon answering.
"""
import json
import os
import time

import pytest

from glassbox_harness import unique


pytestmark = pytest.mark.usefixtures("glassbox_cli")


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def inspect(daemon, what):
    data = json.loads(ok(daemon.cli("inspect", what)))
    return data[0] if isinstance(data, list) else data


def run_detached(daemon, image, name, *cmd, flags=()):
    ok(daemon.cli("run", "-d", "--name", name, *flags, image, *cmd))
    pid = inspect(daemon, name)["State"]["Pid"]
    assert pid > 1
    return pid


def wait_exited(daemon, name, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = inspect(daemon, name)["State"]
        if not state["Running"]:
            return state
        time.sleep(0.1)
    raise AssertionError(f"{name} still running after {timeout} s")


def root_mount(pid):
    """The container's "/" entry of /proc/<pid>/mountinfo as (fstype, super options)."""
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if left.split()[4] == "/":
                fstype, _source, options = right.split()[:3]
                return fstype, options
    raise AssertionError(f"no / mount in /proc/{pid}/mountinfo")


# [SECTION] Namespaces, PID 1, overlay

def test_container_namespaces_differ_from_the_hosts(daemon, image, name):
    pid = run_detached(daemon, image, name, "sleep", "300")

    # The host's namespaces are this test's own (PID 1 of the machine may be unreadable here).
    for ns in ("mnt", "uts", "ipc", "pid", "net", "cgroup"):
        inside = os.stat(f"/proc/{pid}/ns/{ns}").st_ino
        host = os.stat(f"/proc/self/ns/{ns}").st_ino
        daemon_ns = os.stat(f"/proc/{daemon.pid}/ns/{ns}").st_ino
        assert inside != host, f"{ns} namespace is the host's ({inside})"
        assert inside != daemon_ns, f"{ns} namespace is the daemon's ({inside})"
    ok(daemon.cli("rm", "-f", name))


def test_pid1_inside_is_a_host_pid_outside(daemon, image, name):
    pid = run_detached(daemon, image, name, "sleep", "300")

    with open(f"/proc/{pid}/status") as f:
        nspid = [line.split()[1:] for line in f if line.startswith("NSpid:")][0]
    inside = ok(daemon.cli("exec", name, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"))

    assert nspid == [str(pid), "1"], nspid
    assert inside.strip() == "sleep 300"
    assert ok(daemon.cli("run", "--rm", image, "sh", "-c", "echo $$")).strip() == "1"
    ok(daemon.cli("rm", "-f", name))


def test_overlay_lowerdirs_are_the_image_layer_dirs(daemon, image, name):
    pid = run_detached(daemon, image, name, "sleep", "300")
    img = inspect(daemon, image)

    fstype, options = root_mount(pid)

    assert fstype == "overlay"
    opts = dict(o.split("=", 1) for o in options.split(",") if "=" in o)
    lowers = opts["lowerdir"].split(":")
    layer_count = len(img["RootFS"]["Layers"])
    assert len(lowers) == layer_count, (lowers, img["RootFS"]["Layers"])
    for lower in lowers:
        assert os.path.realpath(lower).startswith(os.path.realpath(daemon.root) + "/"), lower
        assert os.path.isfile(os.path.join(lower, "bin", "busybox")) or layer_count > 1
    graph = img.get("GraphDriver", {}).get("Data") or {}
    image_dirs = [d for d in [graph.get("UpperDir")] + (graph.get("LowerDir") or "").split(":") if d]
    if image_dirs:
        assert sorted(map(os.path.realpath, lowers)) == sorted(map(os.path.realpath, image_dirs))
    ok(daemon.cli("rm", "-f", name))


# [SECTION] Stop and signals

def test_stop_waits_the_timeout_for_a_bare_sleep_but_not_with_init(daemon, image, name):
    with_init = unique("gbt")
    run_detached(daemon, image, name, "sleep", "300")
    run_detached(daemon, image, with_init, "sleep", "300", flags=("--init",))

    started = time.monotonic()
    ok(daemon.cli("stop", "-t", "2", name))
    bare_seconds = time.monotonic() - started
    started = time.monotonic()
    ok(daemon.cli("stop", "-t", "2", with_init))
    init_seconds = time.monotonic() - started

    # sleep as PID 1 has no SIGTERM handler, and the kernel drops signals to a namespace's init
    # that it does not handle: only the SIGKILL after the timeout ends it.
    assert 1.8 <= bare_seconds < 5, bare_seconds
    assert inspect(daemon, name)["State"]["ExitCode"] == 137
    # With --init, PID 1 is glassbox-init; it forwards SIGTERM to sleep, which dies of it.
    assert init_seconds < 1.0, init_seconds
    assert inspect(daemon, with_init)["State"]["ExitCode"] == 143
    ok(daemon.cli("rm", name, with_init))


# [SECTION] Volumes

def test_named_volume_survives_rm(daemon, image, name):
    volume = unique("gbv")
    ok(daemon.cli("run", "--name", name, "-v", f"{volume}:/data", image, "sh", "-c",
                  "echo survived > /data/f"))
    mountpoint = json.loads(ok(daemon.cli("volume", "inspect", volume)))[0]["Mountpoint"]

    ok(daemon.cli("rm", "-v", name))

    assert volume in ok(daemon.cli("volume", "ls")).split()
    with open(os.path.join(mountpoint, "f")) as f:
        assert f.read() == "survived\n"
    assert ok(daemon.cli("run", "--rm", "-v", f"{volume}:/data", image, "cat", "/data/f")) == "survived\n"
    ok(daemon.cli("volume", "rm", volume))
    assert not os.path.exists(mountpoint)


def test_anonymous_volume_is_removed_with_rm_v(daemon, image, name):
    ok(daemon.cli("run", "--name", name, "-v", "/data", image, "sh", "-c", "echo x > /data/f"))
    mounts = inspect(daemon, name)["Mounts"]
    assert len(mounts) == 1 and mounts[0]["Destination"] == "/data"
    anonymous, source = mounts[0]["Name"], mounts[0]["Source"]
    assert os.path.isfile(os.path.join(source, "f"))

    ok(daemon.cli("rm", "-v", name))

    assert daemon.cli("volume", "inspect", anonymous).returncode != 0
    assert not os.path.exists(source)


# [SECTION] cgroups

def test_memory_limit_ooms_an_allocation_above_it(daemon, image, name):
    # dd reads /dev/zero into one 100 MB buffer; the kernel touches every page of it.
    result = daemon.cli("run", "--name", name, "-m", "32m", "--memory-swap", "32m", image,
                        "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1", timeout=60)

    state = inspect(daemon, name)["State"]
    assert result.returncode == 137, result.stderr
    assert state["ExitCode"] == 137
    assert state["OOMKilled"] is True
    ok(daemon.cli("rm", name))


# [SECTION] Bad input

@pytest.mark.parametrize("args, names", [
    (["run", "--rm", "gbt-no-such-image:1", "true"], "gbt-no-such-image"),
    (["run", "--rm", "-v", "vol:/data:bogus-mode", "IMAGE", "true"], "bogus-mode"),
    (["run", "--rm", "-v", "relative/dir:/data", "IMAGE", "true"], "relative/dir"),
    (["kill", "-s", "SIGNOPE", "CONTAINER"], "NOPE"),
    (["run", "-d", "--name", "CONTAINER", "IMAGE", "true"], "CONTAINER"),
    (["inspect", "gbt-nothing-by-this-name"], "gbt-nothing-by-this-name"),
])
def test_bad_input_gives_a_clear_error_and_the_daemon_still_answers(daemon, image, name, args, names):
    run_detached(daemon, image, name, "sleep", "300")
    args = [a.replace("IMAGE", image).replace("CONTAINER", name) for a in args]
    names = names.replace("CONTAINER", name)

    result = daemon.cli(*args)

    assert result.returncode != 0, result.stdout
    assert names in result.stderr, result.stderr
    assert "error" in result.stderr.lower()
    assert daemon.request("GET", "/_ping")[0] == 200
    assert inspect(daemon, name)["State"]["Running"] is True
    ok(daemon.cli("rm", "-f", name))
