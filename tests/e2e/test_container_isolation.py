"""A running container must outlive everything that happens to other containers: 30 `run --rm`
cycles next to it (default bridge and --network none), and another glassboxd on the same host
stopping with --reset-on-exit. Every daemon shares the glassbox/ cgroup parent, and a reset that
walked it used to SIGKILL every daemon's containers (they exited 137), which made any test that
ran while another suite's daemon stopped flaky.
"""
import os
import signal

import pytest

import glassbox_harness as harness
from glassbox_harness import unique


pytestmark = pytest.mark.usefixtures("glassbox_cli")

CYCLES = 30


def state_of(daemon, name):
    status, info = daemon.api_json("GET", f"/v1.41/containers/{name}/json")
    assert status == 200, f"inspect {name}: HTTP {status} {info}"
    return info["State"]


def assert_still_running(daemon, name, pid, when):
    state = state_of(daemon, name)
    assert state["Status"] == "running" and state["Pid"] == pid, (
        f"{name} no longer runs {when}: Status {state['Status']}, ExitCode {state['ExitCode']}, "
        f"Pid {state['Pid']} (was {pid})\nglassboxd:\n" + daemon.log_text()[-2000:])
    assert os.path.exists(f"/proc/{pid}"), f"PID {pid} of {name} is gone {when}"


@pytest.fixture
def victim(daemon, image):
    name = unique("gbt-victim")
    started = daemon.cli("run", "-d", "--name", name, "--network", "none", image, "sleep", "3600")
    assert started.returncode == 0, started.stdout + started.stderr
    pid = state_of(daemon, name)["Pid"]
    assert pid > 0
    yield name, pid
    daemon.cli("rm", "-f", name)


def test_thirty_run_rm_cycles_leave_a_running_container_alone(daemon, image, victim):
    name, pid = victim
    for cycle in range(CYCLES):
        network = ["--network", "none"] if cycle % 2 else []
        ran = daemon.cli("run", "--rm", *network, image, "true")
        assert ran.returncode == 0, f"cycle {cycle} {network}: exit {ran.returncode}\n{ran.stderr}"
        assert_still_running(daemon, name, pid, f"after run --rm cycle {cycle} {network}")
    # --rm removed every one of them: the victim is the only container left.
    status, listing = daemon.api_json("GET", "/v1.41/containers/json?all=1")
    assert status == 200
    assert [c["Names"] for c in listing] == [["/" + name]], listing


def test_another_daemon_resetting_on_exit_leaves_our_containers_running(daemon, image, victim):
    name, pid = victim
    other = harness.Daemon(label="isolation-b")
    other.start()
    try:
        assert "--reset-on-exit" in other.proc.args, other.proc.args
        theirs = other.cli("run", "-d", "--network", "none", "--stop-timeout", "1", image,
                           "sleep", "3600")
        assert theirs.returncode == 0, theirs.stdout + theirs.stderr
        their_pid = other.container_pid(theirs.stdout.strip())
        ran = other.cli("run", "--rm", image, "true")
        assert ran.returncode == 0, ran.stderr
        # Stopped with its container still running, so its reset has a container of its own to
        # end as well as ours to leave alone.
        other.proc.send_signal(signal.SIGTERM)
        other.proc.wait(timeout=60)
    finally:
        left = other.stop()
    assert not left, f"the second glassboxd left mounts behind: {left}"
    assert not os.path.exists(f"/proc/{their_pid}"), "the second daemon's container outlived it"
    assert_still_running(daemon, name, pid, "after another glassboxd stopped with --reset-on-exit")
    ran = daemon.cli("run", "--rm", image, "true")
    assert ran.returncode == 0, ran.stderr
    assert_still_running(daemon, name, pid, "after one more run --rm")
