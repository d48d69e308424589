"""What a daemon stop leaves behind. A normal stop (SIGTERM, no --reset-on-exit) after a macvlan
network existed leaves nothing mounted under the daemon's root and run root and no lab uplink
(the lab network namespace was bind-mounted under the run root, its veth on the host), but keeps
the daemon's bridge and nft table for the next start, as dockerd keeps docker0; the next start
makes the lab again, so the macvlan network works after the restart. A stop with --reset-on-exit
also removes the bridge. Each daemon has its own bridge name, link prefix, address pool and nft
table (glassbox_harness), so no other daemon's objects are touched; the lab uplink is glassbox's
own veth, never eth0.
"""
import os
import signal
import subprocess
import time

import pytest

import glassbox_harness as harness


def link_exists(name):
    return os.path.exists(f"/sys/class/net/{name}")


def nft_table_exists(name):
    return subprocess.run(["nft", "list", "table", "ip", name], capture_output=True).returncode == 0


def flag(d, name):
    return d.flags[d.flags.index(name) + 1] if name in d.flags else None


class StoppableDaemon(harness.Daemon):
    """A private daemon whose --reset-on-exit is chosen per start, and which can start again on the
    same directories with the same bridge, prefix, pool and nft table."""

    def __init__(self, label, reset_on_exit):
        super().__init__(label=label)
        self.reset_on_exit = reset_on_exit
        self.flags = None

    def _isolation_flags(self):
        if self.flags is None:
            self.flags = [f for f in super()._isolation_flags() if f != "--reset-on-exit"]
        return self.flags + (["--reset-on-exit"] if self.reset_on_exit else [])

    def terminate(self):
        """SIGTERM by PID, containers left as they are; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.log.close()
        return code

    def restart(self, reset_on_exit):
        """Starts glassboxd again on the same root and run root (the base image is already there)."""
        self.reset_on_exit = reset_on_exit
        args = [harness.DAEMON, "--root", self.root, "--run-root", self.run_root, "-H", self.host]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args + self._isolation_flags(), stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, "glassboxd exited at the restart:\n" + self.log_text()
            try:
                if self.request("GET", "/_ping", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, "glassboxd did not answer after the restart"
            time.sleep(0.1)


@pytest.fixture
def daemon_factory():
    reason = harness.missing_reason(need_cli=False)
    if reason:
        pytest.skip(reason)
    made = []

    def make(reset_on_exit):
        d = StoppableDaemon("stop", reset_on_exit)
        made.append(d)
        return d.start()

    yield make
    for d in made:
        # Whatever a failed assertion left: remove it with a reset-on-exit stop.
        if d.proc.poll() is not None and (link_exists(flag(d, "--bridge") or "-")
                                          or nft_table_exists(flag(d, "--nft-table") or "-")):
            d.restart(reset_on_exit=True)
        d.reset_on_exit = True
        assert d.stop() == [], "mounts left under " + d.tmp


def run_on(d, network, cmd, detach):
    status, created = d.api_json("POST", "/v1.41/containers/create", {
        "Image": d.tag, "Cmd": cmd, "HostConfig": {"NetworkMode": network}})
    assert status == 201, created
    status, answer = d.request("POST", f"/v1.41/containers/{created['Id']}/start", timeout=60)
    assert status == 204, answer
    if detach:
        return created["Id"], None
    status, waited = d.api_json("POST", f"/v1.41/containers/{created['Id']}/wait")
    assert status == 200, waited
    return created["Id"], waited["StatusCode"]


def test_a_normal_stop_unmounts_the_lab_keeps_the_bridge_and_a_restart_makes_the_lab_again(daemon_factory):
    d = daemon_factory(reset_on_exit=False)
    bridge, prefix = flag(d, "--bridge"), flag(d, "--link-prefix")
    if not bridge or not prefix:
        pytest.skip("glassboxd has no --bridge/--link-prefix flags to keep this test's objects private")
    uplink = prefix + "uplink"
    status, made = d.api_json("POST", "/v1.41/networks/create", {"Name": "labnet", "Driver": "macvlan"})
    if status != 201 and "CONFIG_MACVLAN" in str(made):
        pytest.skip(f"this kernel has no macvlan: {made}")
    assert status == 201, made
    status, network = d.api_json("GET", "/v1.41/networks/labnet")
    assert network["Options"]["parent"] == uplink, network["Options"]
    gateway = network["IPAM"]["Config"][0]["Gateway"]
    sleeper, _ = run_on(d, "labnet", ["sleep", "300"], detach=True)
    assert link_exists(uplink)
    assert any(p.endswith("/glassbox-lab") for p in harness.mounts_under(d.run_root))

    assert d.terminate() == 0, d.log_text()
    assert harness.mounts_under(d.tmp) == [], "a normal stop left mounts:\n" + d.log_text()
    assert not link_exists(uplink), "the lab uplink outlived the daemon"
    assert [n for n in os.listdir("/sys/class/net") if n.startswith(prefix)] == []
    # Kept on purpose: the next start re-adopts the bridge and its rules (docker0 stays too).
    assert link_exists(bridge)

    # The next start makes the lab again: the sleeper starts on its macvlan network and a new
    # container reaches the lab-side gateway.
    d.restart(reset_on_exit=True)
    assert link_exists(uplink)
    status, answer = d.request("POST", f"/v1.41/containers/{sleeper}/start", timeout=60)
    assert status == 204, answer
    _, code = run_on(d, "labnet", ["ping", "-c", "1", "-W", "3", gateway], detach=False)
    assert code == 0, f"ping of the lab gateway {gateway} after the restart exited {code}"

    # --reset-on-exit removes the bridge, the lab and the nft table as well.
    d.remove_all_containers()
    assert d.terminate() == 0, d.log_text()
    assert harness.mounts_under(d.tmp) == []
    assert not link_exists(bridge), "--reset-on-exit left the bridge"
    assert not link_exists(uplink)
    assert not nft_table_exists(flag(d, "--nft-table") or "-")


def test_reset_on_exit_removes_the_bridge(daemon_factory):
    d = daemon_factory(reset_on_exit=True)
    bridge = flag(d, "--bridge")
    if not bridge:
        pytest.skip("glassboxd has no --bridge flag to keep this test's bridge private")
    run_on(d, "bridge", ["true"], detach=False)
    assert link_exists(bridge)
    assert d.terminate() == 0, d.log_text()
    assert not link_exists(bridge), "--reset-on-exit left the bridge " + bridge
    assert harness.mounts_under(d.tmp) == []
