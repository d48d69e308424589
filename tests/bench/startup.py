#!/usr/bin/python3
"""Container start-up benchmark: the wall time of one `run --rm --network none <busybox> true`,
median of N runs (after 2 warm-up runs), for glassbox and, where installed, its peers:

  glassbox  build/bin/glassbox -H <private daemon> run --rm --network none IMG true
            (CLI process + HTTP to glassboxd + image resolve + overlay + namespaces + cgroup + wait)
  docker    docker run --rm --network none IMG true against a private dockerd (its own socket,
            data root and exec root, no host network changes), which goes through containerd,
            a shim and runc
  runc      runc run -b BUNDLE ID: the OCI runtime alone, no daemon, no image store
  crun      crun run -b BUNDLE ID: the same, with crun

runc and crun run an OCI bundle whose rootfs is the same busybox tar that glassbox and dockerd
import, with `runc spec`'s default config (new pid, net, ipc, uts and mount namespaces, like
--network none) and args ["true"].

crun 1.8 refuses this machine's hybrid cgroup layout ("cgroups in hybrid mode not supported,
drop all controllers from cgroupv2"), and --cgroup-manager=disabled does not get past that check.
So crun runs in a private mount namespace (unshare -m, propagation private) in which
/sys/fs/cgroup/unified is unmounted: crun then sees a pure cgroup v1 host and creates (and
removes) its v1 cgroups as runc does. The host's mounts are untouched.

Usage: tests/bench/startup.py [-n RUNS] [--only glassbox,runc,crun,docker]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import glassbox_harness as harness  # noqa: E402
from dockerd_harness import Dockerd, dockerd_path  # noqa: E402

WARMUP = 2


def timed_runs(argv, runs, env=None, cwd=None):
    """Runs argv WARMUP + runs times; returns the wall times (seconds) of the measured runs."""
    times = []
    for i in range(WARMUP + runs):
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                timeout=120)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}: "
                               f"{result.stderr.decode(errors='replace').strip()}")
        if i >= WARMUP:
            times.append(elapsed)
    return times


def make_bundle(tmp):
    bundle = os.path.join(tmp, "bundle")
    rootfs = os.path.join(bundle, "rootfs")
    os.makedirs(rootfs)
    subprocess.run(["tar", "-xf", harness.BASE_TAR, "-C", rootfs], check=True)
    subprocess.run(["runc", "spec"], cwd=bundle, check=True)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["process"]["terminal"] = False
    config["process"]["args"] = ["true"]
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    return bundle


def bench_runc(tmp, bundle, runs):
    state = os.path.join(tmp, "runc-state")
    return timed_runs(["runc", "--root", state, "run", "-b", bundle, f"gbbench-runc-{os.getpid()}"], runs)


def bench_crun(tmp, bundle, runs):
    # Re-run this script inside a private mount namespace with the v2 hierarchy hidden.
    inner = [sys.executable, os.path.abspath(__file__), "--inner-crun", bundle,
             os.path.join(tmp, "crun-state"), str(runs)]
    result = subprocess.run(["unshare", "-m", "--propagation", "private", *inner],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"crun: {result.stderr.strip()}")
    return json.loads(result.stdout)


def inner_crun(bundle, state, runs):
    subprocess.run(["umount", "/sys/fs/cgroup/unified"], check=True)
    times = timed_runs(["crun", "--root", state, "run", "-b", bundle, f"gbbench-crun-{os.getpid()}"],
                       runs)
    print(json.dumps(times))


def bench_glassbox(runs):
    daemon = harness.Daemon(label="bench").start()
    try:
        return timed_runs([harness.CLI, "-H", daemon.host, "run", "--rm", "--network", "none",
                           daemon.tag, "true"], runs)
    finally:
        left = daemon.stop()
        if left:
            print(f"warning: glassboxd left mounts: {left}", file=sys.stderr)


def bench_docker(runs):
    peer = Dockerd().start()
    try:
        tag = harness.base_tag()
        imported = peer.docker("import", harness.BASE_TAR, tag)
        if imported.returncode != 0:
            raise RuntimeError(f"docker import: {imported.stderr.strip()}")
        env = dict(os.environ, DOCKER_HOST=peer.host)
        return timed_runs(["docker", "run", "--rm", "--network", "none", tag, "true"], runs, env=env)
    finally:
        peer.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=30)
    parser.add_argument("--only", default="glassbox,runc,crun,docker")
    parser.add_argument("--inner-crun", nargs=3, metavar=("BUNDLE", "STATE", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner_crun:
        inner_crun(args.inner_crun[0], args.inner_crun[1], int(args.inner_crun[2]))
        return 0

    wanted = args.only.split(",")
    reason = harness.missing_reason() if "glassbox" in wanted else None
    if reason or not os.path.isfile(harness.BASE_TAR):
        print(f"bench: cannot run: {reason or harness.BASE_TAR + ' is missing'}", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="gb-bench-")
    results, notes = {}, []
    try:
        bundle = make_bundle(tmp) if shutil.which("runc") and {"runc", "crun"} & set(wanted) else None
        plan = [
            ("glassbox", lambda: bench_glassbox(args.runs), None),
            ("runc", lambda: bench_runc(tmp, bundle, args.runs), "runc"),
            ("crun", lambda: bench_crun(tmp, bundle, args.runs), "crun"),
            ("docker", lambda: bench_docker(args.runs), "dockerd"),
        ]
        for name, measure, binary in plan:
            if name not in wanted:
                continue
            if binary and (shutil.which(binary) is None or (name == "crun" and bundle is None)):
                notes.append(f"{name}: not installed, skipped")
                continue
            print(f"bench: {name} x{args.runs} ...", file=sys.stderr, flush=True)
            try:
                results[name] = measure()
            except RuntimeError as error:
                notes.append(f"{name}: failed: {error}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nrun --rm --network none busybox true: wall time per run, {args.runs} runs after "
          f"{WARMUP} warm-up runs, {os.cpu_count()} CPUs (shared)")
    print(f"{'runtime':10} {'median ms':>10} {'min ms':>8} {'p90 ms':>8}  glassbox / this")
    base = statistics.median(results["glassbox"]) if "glassbox" in results else None
    for name, times in results.items():
        median = statistics.median(times)
        p90 = sorted(times)[max(0, int(len(times) * 0.9) - 1)]
        ratio = f"{base / median:.2f}x" if base else "-"
        print(f"{name:10} {median * 1000:10.1f} {min(times) * 1000:8.1f} {p90 * 1000:8.1f}  {ratio}")
    for note in notes:
        print(f"note: {note}")
    return 1 if any("failed" in n for n in notes) or "glassbox" not in results and "glassbox" in wanted else 0


if __name__ == "__main__":
    sys.exit(main())
