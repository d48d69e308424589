"""Soak: 1000 create/start/stop/remove cycles through the API against a private glassboxd,
six clients at a time, with a mix of the default bridge, a user network, `--network none` and named
volumes. Afterwards the daemon's descriptors, threads and resident memory are back within a stated
bound of what they were after a warm-up, and nothing is left behind: no container, mount, network
namespace file, veth, cgroup or allocated address of a removed container.

Bounds (printed with the measurements): descriptors within +8 of the warm daemon, threads within
+4, RSS growth at most 48 MiB (the allocator keeps some freed memory; a leak of a few KiB per
cycle would show as more). Runs in about a minute on two cores.
"""
import json
import os
import subprocess
import threading
import time

import pytest

import glassbox_harness as harness

CYCLES = int(os.environ.get("GLASSBOX_SOAK_CYCLES", "1000"))
CLIENTS = 6
FD_SLACK, THREAD_SLACK, RSS_SLACK_KIB = 8, 4, 48 * 1024


def measure(d):
    with open(f"/proc/{d.pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return {"fds": len(os.listdir(f"/proc/{d.pid}/fd")), "threads": int(fields["Threads"]),
            "rss_kib": int(fields["VmRSS"].split()[0])}


def settle(d, seconds=3.0):
    """Measurements once the daemon's per-request threads have ended."""
    deadline = time.monotonic() + seconds
    best = measure(d)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = measure(d)
        if now["threads"] <= best["threads"] and now["fds"] <= best["fds"]:
            best = now
    return best


def cycle(d, i, failures):
    network = ["", "soaknet", "none"][i % 3]
    body = {"Image": d.tag, "Cmd": ["sleep", "300"], "HostConfig": {}}
    if network:
        body["HostConfig"]["NetworkMode"] = network
    if i % 4 == 0:
        body["HostConfig"]["Binds"] = [f"soakvol{i % 5}:/data"]
    status, created = d.api_json("POST", "/v1.41/containers/create", body)
    if status != 201:
        failures.append(f"cycle {i}: create {status} {created}")
        return
    cid = created["Id"]
    for method, path, want in (("POST", f"/v1.41/containers/{cid}/start", 204),
                               ("POST", f"/v1.41/containers/{cid}/stop?t=0", 204),
                               ("DELETE", f"/v1.41/containers/{cid}?v=1", 204)):
        status, answer = d.request(method, path, timeout=60)
        if status != want:
            failures.append(f"cycle {i}: {method} {path} {status} {answer[:200]!r}")
            d.request("DELETE", f"/v1.41/containers/{cid}?force=1&v=1", timeout=60)
            return


def run_cycles(d, first, count):
    failures = []
    lock = threading.Lock()
    next_index = [first]

    def client():
        while True:
            with lock:
                i = next_index[0]
                if i >= first + count:
                    return
                next_index[0] += 1
            try:
                cycle(d, i, failures)
            except (OSError, ValueError) as error:
                failures.append(f"cycle {i}: {error}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def test_thousand_cycles_leave_nothing_behind(daemon):
    d = daemon
    status, net = d.api_json("POST", "/v1.41/networks/create", {"Name": "soaknet"})
    assert status == 201, net
    ids_seen_before = set(os.listdir("/sys/fs/cgroup/pids/glassbox")) if os.path.isdir(
        "/sys/fs/cgroup/pids/glassbox") else set()

    assert not run_cycles(d, 0, 40)
    warm = settle(d)
    started = time.monotonic()
    failures = run_cycles(d, 40, CYCLES)
    took = time.monotonic() - started
    after = settle(d)
    print(f"{CYCLES} cycles with {CLIENTS} clients in {took:.1f} s; warm {warm}, after {after}; "
          f"bounds +{FD_SLACK} fds, +{THREAD_SLACK} threads, +{RSS_SLACK_KIB} KiB RSS")
    assert not failures, f"{len(failures)} failed cycles, first: {failures[:5]}"

    assert after["fds"] <= warm["fds"] + FD_SLACK, (warm, after)
    assert after["threads"] <= warm["threads"] + THREAD_SLACK, (warm, after)
    assert after["rss_kib"] - warm["rss_kib"] <= RSS_SLACK_KIB, (warm, after)

    # Nothing is left behind.
    status, listed = d.api_json("GET", "/v1.41/containers/json?all=1")
    assert listed == [], listed
    assert os.listdir(os.path.join(d.root, "containers")) == []
    assert harness.mounts_under(d.root) == []
    netns_dir = os.path.join(d.run_root, "network", "netns")
    assert not os.path.isdir(netns_dir) or os.listdir(netns_dir) == []
    args = d.proc.args
    if "--link-prefix" in args:
        prefix = args[args.index("--link-prefix") + 1]
        links = subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True, text=True).stdout
        left = [line.split(":")[1].strip() for line in links.splitlines()
                if line.split(":")[1].strip().startswith(prefix)]
        assert left == [], left
    if os.path.isdir("/sys/fs/cgroup/pids/glassbox"):
        # Other daemons may run meanwhile: only groups with a process of ours would be a leak.
        new_groups = set(os.listdir("/sys/fs/cgroup/pids/glassbox")) - ids_seen_before
        for group in new_groups:
            procs = os.path.join("/sys/fs/cgroup/pids/glassbox", group, "cgroup.procs")
            if os.path.isfile(procs):
                with open(procs) as f:
                    for pid in f.read().split():
                        try:
                            root = os.readlink(f"/proc/{pid}/root")
                        except OSError:
                            continue
                        assert not root.startswith(d.tmp), f"process {pid} of a removed container in {group}"
    with open(os.path.join(d.root, "network", "ipam.json")) as f:
        ipam = json.load(f)
    for pool in ipam["networks"].values():
        assert [a for a in pool["allocated"] if a != pool["gateway"]] == [], pool
    status, _ = d.api_json("DELETE", "/v1.41/networks/soaknet")
    for i in range(5):
        d.request("DELETE", f"/v1.41/volumes/soakvol{i}")
