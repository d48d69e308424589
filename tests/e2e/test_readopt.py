"""Re-adoption after a daemon crash: glassboxd is SIGKILLed while containers run (one on the
default bridge, one on a user bridge network), and the restarted daemon finds the same processes
(same PID, same start time) and supervises them again instead of killing them.

Checks: the container is still running with the same PID and `ps` lists it once; `exec` works;
the user network's DNS still answers; output the container writes after the restart reaches its
log (the daemon reopens the same stdout pipe); `stop` ends it promptly and records its exit; `rm`
releases its address, cgroup and mounts, and no process of it is left. About 15 s.
"""
import glob
import os
import time

import pytest

import glassbox_harness as harness


@pytest.fixture(scope="module")
def daemon():
    reason = harness.missing_reason()
    if reason:
        pytest.skip(reason)
    d = harness.Daemon(label="readopt").start()
    try:
        yield d
    finally:
        left = d.stop()
        assert not left, f"glassboxd left mounts behind: {left}"


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}: {result.stdout}{result.stderr}"
    return result.stdout


def inspect(d, name):
    status, info = d.api_json("GET", f"/v1.41/containers/{name}/json")
    assert status == 200, info
    return info


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()[19]


def alive(pid):
    """A process, not a zombie, with this PID."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return False
    return text[text.rindex(")") + 2:].split()[0] not in ("Z", "X")


def cgroup_dirs(container_id):
    """The container's cgroup directories on this host's layout (v2, or each v1 hierarchy)."""
    return glob.glob(f"/sys/fs/cgroup/glassbox/{container_id}") + glob.glob(f"/sys/fs/cgroup/*/glassbox/{container_id}")


def wait_until(predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_restart_after_sigkill_readopts_running_containers(daemon):
    d = daemon
    net = harness.unique("gbra-net")
    plain, web = harness.unique("gbra-plain"), harness.unique("gbra-web")
    ok(d.cli("network", "create", net))
    # PID 1 is a shell that prints a line on SIGUSR1, to show the output pipe is read again.
    ok(d.cli("run", "-d", "--name", plain, d.tag, "sh", "-c",
             "trap 'echo after the restart' USR1; echo before the crash; while :; do sleep 1 & wait; done"))
    ok(d.cli("run", "-d", "--name", web, "--network", net, d.tag, "sleep", "300"))
    assert wait_until(lambda: "before the crash" in d.cli("logs", plain).stdout)
    before = {name: inspect(d, name) for name in (plain, web)}
    pids = {name: info["State"]["Pid"] for name, info in before.items()}
    starts = {name: start_time(pid) for name, pid in pids.items()}
    web_id = before[web]["Id"]
    assert all(cgroup_dirs(info["Id"]) for info in before.values())
    web_ip = before[web]["NetworkSettings"]["Networks"][net]["IPAddress"]
    assert web_ip

    d.kill_and_restart()

    for name in (plain, web):
        info = inspect(d, name)
        assert info["State"]["Running"], f"{name} not running after the restart: {info['State']}"
        assert info["State"]["Pid"] == pids[name]
        assert start_time(pids[name]) == starts[name], f"{name}'s PID names another process now"
    assert inspect(d, web)["NetworkSettings"]["Networks"][net]["IPAddress"] == web_ip
    status, listed = d.api_json("GET", "/v1.41/containers/json")
    assert status == 200
    ids = [c["Id"] for c in listed]
    for name in (plain, web):
        assert ids.count(before[name]["Id"]) == 1, f"ps lists {name} {ids.count(before[name]['Id'])} times"
    ps = ok(d.cli("ps"))
    assert ps.count(plain) == 1 and ps.count(web) == 1, ps

    assert ok(d.cli("exec", plain, "echo", "exec works")).strip() == "exec works"
    # The embedded DNS of the user network answers for the re-adopted container, from inside it.
    answer = ok(d.cli("exec", web, "nslookup", web))
    assert web_ip in answer, answer
    status, stats = d.api_json("GET", f"/v1.41/containers/{web}/stats?stream=false")
    assert status == 200 and stats.get("pids_stats", {}).get("current", 0) >= 1, stats
    status, _ = d.api_json("POST", f"/v1.41/containers/{plain}/kill?signal=USR1")
    assert status == 204
    assert wait_until(lambda: "after the restart" in d.cli("logs", plain).stdout), d.cli("logs", plain).stdout

    # stop: PID 1 has no handler for SIGTERM (a namespace's init ignores it), so -t 1 ends in SIGKILL.
    began = time.monotonic()
    ok(d.cli("stop", "-t", "1", web))
    assert time.monotonic() - began < 10
    state = inspect(d, web)["State"]
    assert not state["Running"] and state["Status"] == "exited", state
    # The status is known when it could be read from the zombie; otherwise 255 says why.
    assert state["ExitCode"] == 137 or (state["ExitCode"] == 255 and "re-adopted" in state["Error"]), state
    assert state["FinishedAt"] != "0001-01-01T00:00:00Z"
    assert wait_until(lambda: not alive(pids[web]))

    ok(d.cli("rm", web))
    ok(d.cli("rm", "-f", plain))
    assert wait_until(lambda: not alive(pids[plain]))
    status, network = d.api_json("GET", f"/v1.41/networks/{net}")
    assert status == 200 and not network["Containers"], network
    for name in (plain, web):
        cid = before[name]["Id"]
        assert not cgroup_dirs(cid), f"cgroup of {name} left: {cgroup_dirs(cid)}"
        assert not harness.mounts_under(os.path.join(d.root, "containers", cid)), f"mounts of {name} left"
    assert not os.path.exists(os.path.join(d.run_root, "network", "netns", web_id))
    ok(d.cli("network", "rm", net))
