"""Several daemons on one host with the default network flags (no --bridge, --link-prefix, --subnet,
--address-pool or --nft-table; each has its own --root, --run-root and socket). Three are started
one after another and kept running, and one is restarted with another --address-pool:

- each daemon's default network has its own Linux bridge (the first free glassbox<N>: the first
  daemon takes glassbox0 when it is free, a later one finds it taken and takes the next), each
  bridge carries exactly one IPv4 address (its gateway), so glassbox0 never gets a second one;
- the restart keeps the bridge and its one address (the default network is recorded);
- on a user network of each daemon a container reaches another by name (the embedded DNS);
- each daemon keeps its nft rules in its own table (`glassbox` with glassbox0, else the bridge's
  name), since applying a daemon's rules replaces its table whole;
- a `system reset` of one daemon removes its own links and table only: the others' bridges, veths
  and tables stay and their containers still reach each other by name.

The daemons share the host's default link prefix and nft table, so this test removes what it made
through each daemon's reset and stops each daemon by PID, also when an assertion fails.
"""
import os
import subprocess

import pytest

import glassbox_harness as harness


class DefaultFlagsDaemon(harness.Daemon):
    """A private daemon (own root, run root and socket) with the default network flags."""

    def __init__(self, label):
        super().__init__(label=label)
        self.extra = []

    def _isolation_flags(self):
        return list(self.extra)

    def restart(self, extra):
        """SIGTERM by PID, then the same directories with `extra` flags."""
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.extra = list(extra)
        self.relaunch([harness.DAEMON, "--root", self.root, "--run-root", self.run_root, "-H", self.host, *self.extra])

    def reset(self):
        status, body = self.api_json("POST", "/glassbox/v1/system/reset?all=1")
        assert status == 200, body
        return body["Removed"]

    def default_bridge(self):
        status, network = self.api_json("GET", "/v1.41/networks/bridge")
        assert status == 200, network
        return network["Options"]["com.docker.network.bridge.name"]


def ipv4_addresses(link):
    out = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", link], capture_output=True, text=True)
    return [line.split()[3] for line in out.stdout.splitlines()]


def nft_table(bridge):
    """The nft table of the daemon whose default bridge is `bridge`: glassbox for glassbox0, else
    the bridge's name (a table holds one daemon's rules)."""
    return "glassbox" if bridge == "glassbox0" else bridge


def nft_table_exists(name):
    return subprocess.run(["nft", "list", "table", "ip", name], capture_output=True).returncode == 0


def link_exists(name):
    return os.path.exists(f"/sys/class/net/{name}")


def run(d, network, name, cmd, detach):
    body = {"Image": d.tag, "Cmd": cmd, "HostConfig": {"NetworkMode": network}}
    status, created = d.api_json("POST", f"/v1.41/containers/create?name={name}", body)
    assert status == 201, created
    status, answer = d.request("POST", f"/v1.41/containers/{created['Id']}/start", timeout=60)
    assert status == 204, answer
    if detach:
        return None
    status, waited = d.api_json("POST", f"/v1.41/containers/{created['Id']}/wait")
    assert status == 200, waited
    logs = d.request("GET", f"/v1.41/containers/{created['Id']}/logs?stdout=1&stderr=1")[1]
    d.request("DELETE", f"/v1.41/containers/{created['Id']}?force=1")
    return waited["StatusCode"], logs


def host_links(d, network):
    """The host-side links of a network: its bridge and its endpoints' veths (by master)."""
    status, info = d.api_json("GET", f"/v1.41/networks/{network}")
    assert status == 200, info
    # A user network's bridge is named from its id; the one link with its gateway address is it.
    gateway = info["IPAM"]["Config"][0]["Gateway"]
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
    owners = [line.split()[1] for line in out.splitlines() if line.split()[3].split("/")[0] == gateway]
    assert len(owners) == 1, f"{d.label}'s network {network}: gateway {gateway} is on {owners}"
    bridge = owners[0]
    links = {bridge}
    for name in os.listdir("/sys/class/net"):
        try:
            master = os.path.basename(os.readlink(f"/sys/class/net/{name}/master"))
        except OSError:
            continue
        if master == bridge:
            links.add(name)
    return links


@pytest.fixture(scope="module")
def daemons():
    reason = harness.missing_reason(need_cli=False)
    if reason:
        pytest.skip(reason)
    started = []
    bridges = set()
    try:
        for label in ("md-a", "md-b", "md-c"):
            started.append(DefaultFlagsDaemon(label).start())
            bridges.add(started[-1].default_bridge())
        yield started
    finally:
        left = {}
        for d in started:
            try:
                if d.proc.poll() is not None:
                    d.restart([])
                d.reset()
            finally:
                left[d.label] = d.stop()
        # Each daemon's reset removes its bridge and table; whatever one left is removed here (these
        # names were free when the daemons took them) and reported.
        kept = [b for b in bridges if link_exists(b)] + [nft_table(b) for b in bridges if nft_table_exists(nft_table(b))]
        for b in bridges:
            subprocess.run(["ip", "link", "del", b], capture_output=True)
            for family in ("ip", "ip6"):
                subprocess.run(["nft", "delete", "table", family, nft_table(b)], capture_output=True)
        assert not any(left.values()), f"mounts left: {left}"
        assert not kept, f"bridges or nft tables left after each daemon's reset: {kept}"


def test_default_flag_daemons_take_their_own_bridges_and_resolve_names(daemons):
    bridges = [d.default_bridge() for d in daemons]
    assert len(set(bridges)) == 3, f"daemons with default flags share a bridge: {bridges}"
    assert all(b.startswith("glassbox") for b in bridges), bridges
    for d, bridge in zip(daemons, bridges):
        status, network = d.api_json("GET", "/v1.41/networks/bridge")
        gateway = network["IPAM"]["Config"][0]["Gateway"]
        assert ipv4_addresses(bridge) == [f"{gateway}/{network['IPAM']['Config'][0]['Subnet'].split('/')[1]}"], \
            f"{bridge} of {d.label}: {ipv4_addresses(bridge)}"
    if link_exists("glassbox0"):
        assert len(ipv4_addresses("glassbox0")) == 1, ipv4_addresses("glassbox0")
    missing = [nft_table(b) for b in bridges if not nft_table_exists(nft_table(b))]
    assert not missing, f"each daemon keeps its rules in its own nft table; missing: {missing}"

    # One daemon restarted with another address pool keeps its bridge and its one address.
    b = daemons[1]
    b.restart(["--address-pool", "10.213.0.0/16"])
    assert b.default_bridge() == bridges[1]
    assert len(ipv4_addresses(bridges[1])) == 1, ipv4_addresses(bridges[1])
    if link_exists("glassbox0"):
        assert len(ipv4_addresses("glassbox0")) == 1, ipv4_addresses("glassbox0")

    subnets = []
    for d in daemons:
        status, made = d.api_json("POST", "/v1.41/networks/create", {"Name": "md"})
        assert status == 201, made
        status, network = d.api_json("GET", "/v1.41/networks/md")
        subnets.append(network["IPAM"]["Config"][0]["Subnet"])
        run(d, "md", "server", ["sleep", "300"], detach=True)
    assert subnets[1].startswith("10.213."), f"the restarted daemon's new network is not from its pool: {subnets}"
    assert len(set(subnets)) == 3, f"user networks of different daemons overlap: {subnets}"
    for d in daemons:
        code, logs = run(d, "md", "client", ["ping", "-c", "1", "-W", "3", "server"], detach=False)
        assert code == 0, f"{d.label}: ping server by name exited {code}: {logs!r}"


def test_a_reset_removes_only_the_links_of_its_own_daemon(daemons):
    a, b, c = daemons
    mine = host_links(a, "md") | host_links(a, "bridge")
    others = host_links(b, "md") | host_links(c, "md") | {b.default_bridge(), c.default_bridge()}
    assert all(link_exists(x) for x in mine | others), [x for x in mine | others if not link_exists(x)]

    removed = a.reset()

    assert not [x for x in mine if link_exists(x)], f"{a.label}'s reset left {mine}: {removed}"
    gone = [x for x in others if not link_exists(x)]
    assert not gone, f"{a.label}'s reset removed another daemon's links {gone}: {removed}"
    tables = [nft_table(d.default_bridge()) for d in (b, c)]
    assert all(nft_table_exists(t) for t in tables), f"{a.label}'s reset removed another daemon's nft table: {removed}"
    for d in (b, c):
        code, logs = run(d, "md", "client2", ["ping", "-c", "1", "-W", "3", "server"], detach=False)
        assert code == 0, f"{d.label} after {a.label}'s reset: ping server by name exited {code}: {logs!r}"
