#!/usr/bin/python3
"""The performance goals of issue 14 in one table: every row measured for glassbox and its peer in
the same run, with the ratio and the goal, then the phase breakdown of one `run --rm` (median per
phase over the traced runs) and the machine's load average before and after.

Rows (wall times; medians of N runs after 2 warm-up runs where a row repeats):
  run --rm none     glassbox -H <private glassboxd> run --rm --network none IMG true
                    vs crun running the same rootfs as an OCI bundle (tests/bench/startup.py: in a
                    private mount namespace without the cgroup v2 mount, which crun 1.8 refuses
                    here), and vs docker run --rm --network none against a private dockerd
  run --rm bridge   glassbox on its own default bridge (veth, address, routes, nft) vs docker on a
                    user-defined bridge network of the private dockerd (it runs --bridge=none, so
                    it has no default bridge; a user bridge does the same veth/address/route work)
  docker CLI -> gb  docker run --rm --network none against glassboxd (the docker CLI's own request
                    sequence, which glassbox cannot change), for reference
  50 run -d         50 `run -d --network none IMG sleep 600`, one after another, total
  rm -f 50          one `rm -f` of those 50 running containers, total
  snapshot (daemon) GET /glassbox/v1/state with the 50 running: the daemon's own collection time
                    (its Glassbox-Collect-Ms header) and the whole request from a socket client
  glassbox state    `glassbox state` end to end (CLI start, request, rendering) with the 50
  idle RSS          glassboxd after the warm-up runs vs dockerd + containerd idle
  RSS / container   (glassboxd RSS with 50 running - idle) / 50 vs one containerd shim's private
                    RSS (Private_Clean + Private_Dirty of containerd-shim-runc-v2)
  threads, fds      glassboxd's threads and fds with 50 running minus idle, per container

Benchmarks print numbers; nothing here asserts on time. Where a peer is missing (no crun, no
dockerd) its cells say so.

Usage: tests/bench/goals.py [-n RUNS] [--containers 50] [--no-docker]
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
sys.path.insert(0, HERE)
import glassbox_harness as harness  # noqa: E402
from dockerd_harness import Dockerd, dockerd_path  # noqa: E402
import startup  # noqa: E402

WARMUP = 2


def median_ms(times):
    return statistics.median(times) * 1000 if times else None


def timed(argv, env=None):
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=300)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])} ... exited {result.returncode}: "
                           f"{result.stderr.decode(errors='replace').strip()[:300]}")
    return elapsed, result


def repeated(argv, runs, env=None):
    times = []
    for i in range(WARMUP + runs):
        elapsed, _ = timed(argv, env)
        if i >= WARMUP:
            times.append(elapsed)
    return times


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_kib(pid):
    return proc_status(pid, "VmRSS")


def private_kib(pid):
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def thread_count(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def children_named(parent_marker, name):
    """PIDs whose comm is `name` and whose command line mentions parent_marker."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if comm.startswith(name) and parent_marker.encode() in cmdline:
            found.append(int(pid))
    return found


class Unix(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("glassbox", timeout=60)
        self.path_ = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path_)


def state_request(socket_path):
    started = time.perf_counter()
    conn = Unix(socket_path)
    conn.request("GET", "/glassbox/v1/state")
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET /glassbox/v1/state: {response.status} {body[:200]!r}")
    collect = response.getheader("Glassbox-Collect-Ms")
    # "processes=9.7 namespaces=0.2 ... total=40.1": the daemon's readers, in ms.
    phases = {}
    for word in (response.getheader("Glassbox-Collect-Phases") or "").split():
        name, _, value = word.partition("=")
        phases[name] = float(value)
    return elapsed, float(collect) / 1000 if collect else None, len(body), phases


# [SECTION] glassbox


def phase_breakdown(daemon, runs):
    """Median per phase of `glassbox -D run --rm --network none` over `runs` runs."""
    per_phase, order = {}, []
    for _ in range(runs):
        _, result = timed([harness.CLI, "-D", "-H", daemon.host, "run", "--rm", "--network", "none",
                           daemon.tag, "true"])
        for line in result.stderr.decode(errors="replace").splitlines():
            match = re.match(r"DEBU\s+([\d.]+)\s+([\d.]+)\s+(client|daemon)\s+(.*)$", line)
            if match:
                key = (match.group(3), match.group(4))
                if key not in per_phase:
                    order.append(key)
                per_phase.setdefault(key, []).append((float(match.group(1)), float(match.group(2))))
            total = re.match(r"DEBU total ([\d.]+) ms", line)
            if total:
                per_phase.setdefault(("total", ""), []).append((0.0, float(total.group(1))))
    rows = [(side, name, statistics.median(s for s, _ in per_phase[(side, name)]),
             statistics.median(d for _, d in per_phase[(side, name)])) for side, name in order]
    rows.sort(key=lambda row: row[2])
    total = statistics.median(d for _, d in per_phase.get(("total", ""), [(0, 0)]))
    return rows, total


def bench_glassbox(runs, count):
    out = {}
    daemon = harness.Daemon(label="goals").start()
    try:
        pid = daemon.pid
        base = [harness.CLI, "-H", daemon.host]
        out["none"] = repeated(base + ["run", "--rm", "--network", "none", daemon.tag, "true"], runs)
        out["bridge"] = repeated(base + ["run", "--rm", daemon.tag, "true"], runs)
        if shutil.which("docker"):
            out["docker_cli"] = repeated(["docker", "run", "--rm", "--network", "none", daemon.tag, "true"],
                                         runs, env=daemon.env())
        out["phases"] = phase_breakdown(daemon, max(3, min(runs, 9)))
        time.sleep(0.5)
        out["idle_rss"] = rss_kib(pid)
        out["idle_threads"] = thread_count(pid)
        out["idle_fds"] = fd_count(pid)

        started = time.perf_counter()
        ids = []
        for _ in range(count):
            _, result = timed(base + ["run", "-d", "--network", "none", daemon.tag, "sleep", "600"])
            ids.append(result.stdout.decode().strip())
        out["run_d"] = time.perf_counter() - started
        time.sleep(0.5)
        out["busy_rss"] = rss_kib(pid)
        out["busy_threads"] = thread_count(pid)
        out["busy_fds"] = fd_count(pid)

        collects, requests, phases = [], [], {}
        for i in range(WARMUP + runs):
            elapsed, collect, size, collect_phases = state_request(daemon.socket)
            if i >= WARMUP:
                requests.append(elapsed)
                if collect is not None:
                    collects.append(collect)
                for name, ms in collect_phases.items():
                    phases.setdefault(name, []).append(ms)
        out["snapshot_phases"] = {name: statistics.median(values) for name, values in phases.items()}
        out["state_bytes"] = size
        out["snapshot_request"] = requests
        out["snapshot_collect"] = collects
        out["state_cli"] = repeated(base + ["state"], runs)

        out["rm_f"], _ = timed(base + ["rm", "-f", *ids])
        return out
    finally:
        left = daemon.stop()
        if left:
            print(f"warning: glassboxd left mounts: {left}", file=sys.stderr)


# [SECTION] docker


def bench_docker(runs, count):
    out = {}
    peer = Dockerd().start()
    try:
        tag = harness.base_tag()
        imported = peer.docker("import", harness.BASE_TAR, tag)
        if imported.returncode != 0:
            raise RuntimeError(f"docker import: {imported.stderr.strip()}")
        env = peer.env()
        time.sleep(1)
        dockerd_pid = peer.proc.pid
        containerd = children_named(peer.tmp, "containerd")
        out["idle_rss"] = rss_kib(dockerd_pid) + sum(rss_kib(p) for p in containerd)
        out["none"] = repeated(["docker", "run", "--rm", "--network", "none", tag, "true"], runs, env=env)
        made = peer.docker("network", "create", "--subnet", "10.238.7.0/24", "gbgoals")
        if made.returncode == 0:
            try:
                out["bridge"] = repeated(["docker", "run", "--rm", "--network", "gbgoals", tag, "true"], runs,
                                         env=env)
            finally:
                peer.docker("network", "rm", "gbgoals")
        started = time.perf_counter()
        ids = []
        for _ in range(count):
            _, result = timed(["docker", "run", "-d", "--network", "none", tag, "sleep", "600"], env=env)
            ids.append(result.stdout.decode().strip())
        out["run_d"] = time.perf_counter() - started
        shims = children_named(peer.tmp, "containerd-shim")
        if shims:
            out["shim_private"] = statistics.median(private_kib(p) for p in shims)
        out["rm_f"], _ = timed(["docker", "rm", "-f", *ids], env=env)
        return out
    finally:
        peer.stop()


# [SECTION] The table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=15)
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    reason = harness.missing_reason()
    if reason:
        print(f"bench: cannot run: {reason}", file=sys.stderr)
        return 1
    load_before = os.getloadavg()
    notes = []
    print(f"bench: glassbox x{args.runs} ...", file=sys.stderr, flush=True)
    gb = bench_glassbox(args.runs, args.containers)
    crun = None
    if shutil.which("crun") and shutil.which("runc"):
        print("bench: crun ...", file=sys.stderr, flush=True)
        tmp = tempfile.mkdtemp(prefix="gb-goals-")
        try:
            crun = startup.bench_crun(tmp, startup.make_bundle(tmp), args.runs)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            notes.append(f"crun failed: {error}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        notes.append("crun (or runc, for the bundle's spec) is not installed")
    dk = {}
    if not args.no_docker and dockerd_path() and shutil.which("docker"):
        print(f"bench: docker x{args.runs} ...", file=sys.stderr, flush=True)
        try:
            dk = bench_docker(args.runs, args.containers)
        except RuntimeError as error:
            notes.append(f"docker failed: {error}")
    else:
        notes.append("docker skipped (no dockerd/docker CLI, or --no-docker)")
    load_after = os.getloadavg()

    n = args.containers
    rows = []

    def row(work, ours, peer_name, peer, goal_ratio, unit="ms", lower_better=True):
        ratio = f"{ours / peer:.3f}" if ours is not None and peer else "-"
        met = "-"
        if ours is not None and peer and goal_ratio is not None:
            met = "yes" if ours / peer <= goal_ratio else "no"
        fmt = (lambda v: "-" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v)))
        rows.append((work, fmt(ours), peer_name, fmt(peer), ratio,
                     f"<= {goal_ratio:g}x" if goal_ratio is not None else "", met, unit))

    m = lambda key, src: median_ms(src.get(key, []))
    row("run --rm --network none true", m("none", gb), "crun", median_ms(crun) if crun else None, 1.5)
    row("run --rm --network none true", m("none", gb), "docker", m("none", dk), 1 / 20)
    row("run --rm (default bridge) true", m("bridge", gb), "docker (user bridge)", m("bridge", dk), 1 / 15)
    row("docker CLI run --rm none (-> glassboxd)", m("docker_cli", gb), "docker", m("none", dk), None)
    row(f"{n} x run -d, one after another", gb["run_d"] * 1000, "docker",
        dk["run_d"] * 1000 if "run_d" in dk else None, 1 / 10)
    row(f"rm -f of {n} running", gb["rm_f"] * 1000, "docker", dk["rm_f"] * 1000 if "rm_f" in dk else None, 1 / 10)
    collect = m("snapshot_collect", gb)
    rows.append((f"snapshot, {n} running (daemon collect)", f"{collect:.1f}" if collect else "-", "goal", "20.0",
                 f"{collect / 20:.3f}" if collect else "-", "<= 20 ms", "yes" if collect and collect <= 20 else "no", "ms"))
    request = m("snapshot_request", gb)
    rows.append((f"snapshot, {n} running (whole request)", f"{request:.1f}", "goal", "20.0", f"{request / 20:.3f}",
                 "<= 20 ms", "yes" if request <= 20 else "no", "ms"))
    state_cli = m("state_cli", gb)
    rows.append((f"glassbox state, {n} running, end to end", f"{state_cli:.1f}", "goal", "40.0", f"{state_cli / 40:.3f}",
                 "<= 40 ms", "yes" if state_cli <= 40 else "no", "ms"))
    row("daemon idle RSS", gb["idle_rss"] / 1024, "dockerd+containerd",
        dk["idle_rss"] / 1024 if "idle_rss" in dk else None, 1 / 10, "MiB")
    per = (gb["busy_rss"] - gb["idle_rss"]) / n
    row("added RSS per running container", per, "containerd shim private",
        dk.get("shim_private"), 1 / 5, "KiB")
    rows.append(("threads per running container", f"{(gb['busy_threads'] - gb['idle_threads']) / n:.2f}",
                 "(idle/with n)", f"{gb['idle_threads']}/{gb['busy_threads']}", "-", "0", "yes"
                 if gb["busy_threads"] - gb["idle_threads"] <= 1 else "no", "threads"))
    rows.append(("fds per running container", f"{(gb['busy_fds'] - gb['idle_fds']) / n:.2f}", "(idle/with n)",
                 f"{gb['idle_fds']}/{gb['busy_fds']}", "-", "", "-", "fds"))

    print(f"\nissue 14 goals: medians of {args.runs} runs after {WARMUP} warm-up runs, {os.cpu_count()} CPUs "
          f"(shared); load average before {' '.join(f'{x:.2f}' for x in load_before)}, after "
          f"{' '.join(f'{x:.2f}' for x in load_after)}")
    header = ("work", "glassbox", "peer", "peer value", "gb/peer", "goal", "met", "unit")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(widths[i]) if i in (0, 2, 5, 7) else str(c).rjust(widths[i])
                               for i, c in enumerate(r))
    print(line(header))
    for r in rows:
        print(line(r))

    phases, total = gb["phases"]
    print(f"\nphase breakdown of one `glassbox run --rm --network none busybox true` (median per phase; "
          f"ms from the CLI's start; total {total:.1f} ms)")
    print(f"{'start':>8} {'took':>8}  side    phase")
    for side, name, start, took in phases:
        print(f"{start:8.2f} {took:8.2f}  {side:6}  {name}")
    if gb.get("snapshot_phases"):
        print(f"\nsnapshot collection with {n} running, per reader (median ms; network and nftables run beside "
              "the others): " + " ".join(f"{name}={ms:.1f}" for name, ms in gb["snapshot_phases"].items()))
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
