#!/usr/bin/python3
"""Network benchmark: `network create`, `network connect`, `network disconnect`, `network rm`
and `run --rm --network <user bridge> busybox true`, glassboxd beside a private dockerd in the
same run, both driven by the same real docker CLI so only the daemon differs.

Each operation is timed N times (wall time of one docker CLI process):
  create      docker network create benchnet-i            (bridge driver, subnet from the pool)
  connect     docker network connect benchnet-i c-i       (c-i: run -d --network benchnet ...
                                                           sleep 60, started untimed just before;
                                                           both engines refuse to connect a
                                                           --network none container)
  disconnect  docker network disconnect benchnet-i c-i
  rm          docker network rm benchnet-i
  run --rm    docker run --rm --network benchnet busybox true   (one user bridge, WARMUP runs first)

glassboxd runs with its own root, run root and socket under a mkdtemp directory and its own
bridge (gbnb0), link prefix (gn-), nft table (glassbox_nb) and pool (10.237.0.0/16), with
--reset-on-exit. dockerd (where installed) runs with its own socket, data root, exec root and pid
file, --bridge=none --iptables=false --ip6tables=false and its own pool (10.238.0.0/16, /24s), so
it adds no nftables/iptables rules; its user bridges (br-<id>) are removed by `network rm`.
Afterwards the script checks that no gbnb0 / gn-* link, no route into either pool (so no br-*
bridge of our dockerd), no glassbox_nb table and
no dockerd/containerd of ours is left, and exits 1 if one is.

Usage: tests/bench/network/bench_network.py [-n RUNS] [--only glassbox,docker]

Measured 2026-11-28 03:33 UTC, -n 15, 2 shared CPUs, load average 3.62 4.16 5.29 (glassboxd
from build/bin at f1551e3, docker CLI 28.2, dockerd 20.10.24), wall ms:
  operation            glassbox med docker med gb/docker   glassbox min/p90   docker min/p90
  network create               53.5       28.1     1.90x          40.5/55.3        20.0/41.1
  network connect              65.2       72.9     0.89x          56.3/70.6        47.6/78.8
  network disconnect           60.2       88.4     0.68x          46.2/68.0       60.6/108.2
  network rm                   87.1       73.1     1.19x          72.0/88.3        58.9/83.9
  run --rm true               205.1      681.9     0.30x        174.8/218.8      548.1/758.4
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(BENCH))
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.join(os.path.dirname(BENCH), "e2e"))
import glassbox_harness as harness  # noqa: E402
from dockerd_harness import Dockerd, dockerd_path  # noqa: E402
from startup import WARMUP, timed_runs  # noqa: E402

BRIDGE, LINK_PREFIX, NFT_TABLE = "gbnb0", "gn-", "glassbox_nb"
GLASSBOX_POOL = "10.237.0.0/16"
DOCKER_POOL = "base=10.238.0.0/16,size=24"
DOCKERD_DIRS = []  # the private dockerds' temp dirs, for the leftover check
OPERATIONS = ["network create", "network connect", "network disconnect", "network rm",
              "run --rm true"]


class NetDaemon(harness.Daemon):
    """The harness's private glassboxd with this benchmark's fixed bridge, prefix, pool and table."""

    def _isolation_flags(self):
        return ["--bridge", BRIDGE, "--link-prefix", LINK_PREFIX, "--nft-table", NFT_TABLE,
                "--address-pool", GLASSBOX_POOL, "--reset-on-exit"]


class NetDockerd(Dockerd):
    """The harness's private dockerd (same socket, roots, no host network changes), started with
    its own default address pool so its user networks stay out of everyone else's subnets.
    Dockerd.start has no hook for extra flags, so this builds the command line itself and reuses
    the harness's env(), docker(), log_text() and stop()."""

    def start(self):
        args = [dockerd_path(), "--host", self.host, "--data-root", os.path.join(self.tmp, "data"),
                "--exec-root", os.path.join(self.tmp, "exec"),
                "--pidfile", os.path.join(self.tmp, "dockerd.pid"),
                "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false",
                "--ip-masq=false", "--userland-proxy=false", "--storage-driver=overlay2",
                "--default-address-pool", DOCKER_POOL,
                "--cgroup-parent=/" + self.cgroup_parent, "--log-level=warn"]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while self.proc.poll() is None and time.monotonic() < deadline:
            if self.docker("version", "--format", "{{.Server.Version}}", timeout=10).returncode == 0:
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"private dockerd did not come up (exit {self.proc.returncode}):\n"
                           + self.log_text())


def timed(argv, env):
    """Runs argv once; returns its wall time in seconds, raising with its stderr if it fails."""
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return elapsed


def measure(env, tag, runs):
    """The five operations against the daemon DOCKER_HOST in env names; {operation: [seconds]}.
    Both engines refuse to connect a `--network none` container to another network, so each c-i
    starts on one shared user bridge (benchnet) and is then connected to benchnet-i as well."""
    times = {op: [] for op in OPERATIONS}
    suffix = os.getpid()
    shared = f"benchnet-{suffix}"
    made_networks, made_containers = [], []

    def docker(*args):
        return ["docker", *args]

    try:
        timed(docker("network", "create", shared), env)
        made_networks.append(shared)
        for i in range(runs):
            net, box = f"benchnet-{suffix}-{i}", f"c-{suffix}-{i}"
            made_networks.append(net)
            times["network create"].append(timed(docker("network", "create", net), env))
            made_containers.append(box)
            timed(docker("run", "-d", "--name", box, "--network", shared, tag, "sleep", "60"), env)
            times["network connect"].append(timed(docker("network", "connect", net, box), env))
            times["network disconnect"].append(timed(docker("network", "disconnect", net, box), env))
            times["network rm"].append(timed(docker("network", "rm", net), env))
            made_networks.remove(net)
            timed(docker("rm", "-f", box), env)
            made_containers.remove(box)
        times["run --rm true"] = timed_runs(docker("run", "--rm", "--network", shared, tag, "true"),
                                            runs, env=env)
    finally:
        # On failure too: a daemon that stops leaves its user bridges behind (dockerd does).
        if made_containers:
            subprocess.run(docker("rm", "-f", *made_containers), capture_output=True, env=env,
                           timeout=120)
        for net in made_networks:
            subprocess.run(docker("network", "rm", net), capture_output=True, env=env, timeout=60)
    return times


def bench_glassbox(tar, tag, runs):
    daemon = NetDaemon(label="netbench")
    daemon.tag = tag
    harness.BASE_TAR = tar  # Daemon.start imports this tar as daemon.tag
    daemon.start()
    try:
        return measure(daemon.env(), tag, runs)
    finally:
        left = daemon.stop()
        if left:
            print(f"warning: glassboxd left mounts: {left}", file=sys.stderr)


def bench_docker(tar, tag, runs):
    peer = NetDockerd()
    DOCKERD_DIRS.append(peer.tmp)
    peer.start()
    try:
        imported = peer.docker("import", tar, tag)
        if imported.returncode != 0:
            raise RuntimeError(f"docker import: {imported.stderr.strip()}")
        return measure(peer.env(), tag, runs)
    finally:
        peer.stop()


def leftovers(dockerd_dirs):
    """Kernel objects this benchmark could have left behind, and processes (dockerd, containerd,
    shims) whose command line names one of our private dockerds' directories."""
    found = []
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    for line in links.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name == BRIDGE or name.startswith(LINK_PREFIX):
            found.append(f"link {name}")
    routes = subprocess.run(["ip", "route", "show"], capture_output=True, text=True).stdout
    for line in routes.splitlines():
        if line.startswith(("10.237.", "10.238.")):
            found.append(f"route {line.strip()}")
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    if any(line.split()[-1:] == [NFT_TABLE] for line in tables.splitlines()):
        found.append(f"nft table {NFT_TABLE}")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if any(d.encode() in cmdline for d in dockerd_dirs) and int(pid) != os.getpid():
            shown = cmdline.replace(b"\0", b" ").decode(errors="replace")[:80]
            found.append(f"process {pid} {shown}")
    return found


def row_stats(times):
    ordered = sorted(times)
    return statistics.median(ordered), ordered[0], ordered[max(0, int(len(ordered) * 0.9) - 1)]


def print_table(results, runs):
    load = os.getloadavg()
    print(f"\nnetwork operations through the docker CLI 28.2, wall ms, {runs} runs each, "
          f"{os.cpu_count()} CPUs (shared), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'operation':20} {'glassbox med':>12} {'docker med':>10} {'gb/docker':>9}  "
          f"{'glassbox min/p90':>17}  {'docker min/p90':>15}")
    for op in OPERATIONS:
        cells = {}
        for name in ("glassbox", "docker"):
            if name in results:
                cells[name] = row_stats(results[name][op])
        g, d = cells.get("glassbox"), cells.get("docker")
        ratio = f"{g[0] / d[0]:.2f}x" if g and d else "-"
        span = {k: f"{v[1] * 1000:.1f}/{v[2] * 1000:.1f}" for k, v in cells.items()}
        print(f"{op:20} {g[0] * 1000 if g else float('nan'):12.1f} "
              f"{d[0] * 1000 if d else float('nan'):10.1f} {ratio:>9}  "
              f"{span.get('glassbox', '-'):>17}  {span.get('docker', '-'):>15}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=15)
    parser.add_argument("--only", default="glassbox,docker")
    args = parser.parse_args()
    wanted = args.only.split(",")
    reason = harness.missing_reason()
    if reason:
        print(f"bench_network: cannot run: {reason}", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="gb-netbench-")
    results, notes = {}, []
    try:
        tar = os.path.join(tmp, "bb.tar")
        made = subprocess.run([os.path.join(REPO, "scripts", "make-base-rootfs"), tar],
                              capture_output=True, text=True, timeout=300)
        if made.returncode != 0:
            print(f"bench_network: make-base-rootfs: {made.stderr.strip()}", file=sys.stderr)
            return 1
        tag = made.stdout.strip().splitlines()[-1]
        plan = [("glassbox", bench_glassbox, None), ("docker", bench_docker, "dockerd")]
        for name, bench, binary in plan:
            if name not in wanted:
                continue
            if binary and (dockerd_path() is None):
                notes.append(f"{name}: {binary} not installed, skipped")
                continue
            print(f"bench_network: {name} x{args.runs} ...", file=sys.stderr, flush=True)
            try:
                results[name] = bench(tar, tag, args.runs)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                notes.append(f"{name}: failed: {error}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if results:
        print_table(results, args.runs)
        print(f"(run --rm true: after {WARMUP} warm-up runs; connect is timed alone, the "
              f"container is started untimed before it)")
    left = leftovers(DOCKERD_DIRS)
    for note in notes:
        print(f"note: {note}")
    for thing in left:
        print(f"left behind: {thing}")
    return 1 if left or any("failed" in n for n in notes) or not results else 0


if __name__ == "__main__":
    sys.exit(main())
