#!/usr/bin/python3
"""The snapshot goals of issue 14 against a real glassboxd, phase by phase: with N running
containers (50 by default, `run -d --network none`, or --network bridge), the median over R runs of

  GET /glassbox/v1/state          whole request from a socket client, and the daemon's own times
                                  from its response headers: Glassbox-Collect-Ms (collection),
                                  Glassbox-Encode-Ms (JSON) and Glassbox-Collect-Phases (per reader:
                                  processes, namespaces, mounts, cgroups, network, nftables)
  glassbox state                  end to end, and its own steps from `glassbox -D state` (start,
                                  request, decode, render)
  daemon cpu per request          glassboxd's user + system CPU time over the runs / runs (load moves
                                  it less than wall time)
  glassbox --help                 the CLI's start-up alone (no daemon), the floor of any verb

and the load average before and after (other work on the machine moves every number). Nothing
here asserts on time. Goals: collection <= 20 ms, `glassbox state` <= 40 ms.

Usage (root): tests/bench/state/snapshot_daemon.py [-n RUNS] [--containers 50] [--network none]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "e2e"))
import glassbox_harness as harness  # noqa: E402

WARMUP = 2


def state_request(socket_path, path):
    started = time.perf_counter()
    conn = harness.UnixHTTPConnection(socket_path, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
    row = {"request": elapsed, "bytes": len(body)}
    for header, key in (("Glassbox-Collect-Ms", "collect"), ("Glassbox-Encode-Ms", "encode")):
        if response.getheader(header):
            row[key] = float(response.getheader(header))
    # "processes=1.2 namespaces=0.1 ..." when the daemon reports its readers' times.
    for word in (response.getheader("Glassbox-Collect-Phases") or "").split():
        name, _, value = word.partition("=")
        row["collect." + name] = float(value)
    return row


def timed_cli(argv):
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:5])}: exit {result.returncode}: {result.stderr[:300]!r}")
    row = {"total": elapsed, "bytes": len(result.stdout)}
    # `glassbox -D state` prints "DEBU state step <name> <ms>" per step.
    for line in result.stderr.decode(errors="replace").splitlines():
        match = re.match(r"DEBU state step (\S+) ([\d.]+) ms", line)
        if match:
            row["step." + match.group(1)] = float(match.group(2))
    return row


def medians(rows):
    keys = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return {k: statistics.median(r[k] for r in rows if k in r) for k in keys}


def cpu_ms(pid):
    """User + system CPU time of process `pid` so far, in ms (clock ticks: 10 ms resolution)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def repeat(runs, measure, daemon_pid=None):
    rows = []
    for i in range(WARMUP + runs):
        if i == WARMUP and daemon_pid:
            cpu_before = cpu_ms(daemon_pid)
        row = measure()
        if i >= WARMUP:
            rows.append(row)
    result = medians(rows)
    if daemon_pid:
        # The daemon's CPU per request moves less with the machine's load than wall time does.
        result["daemon cpu per request"] = (cpu_ms(daemon_pid) - cpu_before) / runs
    return result


def show(title, row):
    print(f"{title}")
    for key, value in row.items():
        unit = "" if key == "bytes" else " ms"
        print(f"  {key:28s} {value:10.1f}{unit}" if unit else f"  {key:28s} {value:10.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=9)
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--network", default="none")
    args = parser.parse_args()
    reason = harness.missing_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    print(f"load average before: {os.getloadavg()}")
    daemon = harness.Daemon(label="snapbench").start()
    try:
        base = [harness.CLI, "-H", daemon.host]
        for _ in range(args.containers):
            result = subprocess.run(base + ["run", "-d", "--network", args.network, daemon.tag, "sleep", "600"],
                                    capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
            if result.returncode != 0:
                raise RuntimeError(f"run -d: {result.stderr[:300]!r}")
        time.sleep(0.5)
        print(f"{args.containers} running (--network {args.network}); medians of {args.runs} runs after {WARMUP} warm-up")
        show("GET /glassbox/v1/state", repeat(args.runs, lambda: state_request(daemon.socket, "/glassbox/v1/state"),
                                                daemon.pid))
        show("GET /glassbox/v1/state?view=summary",
             repeat(args.runs, lambda: state_request(daemon.socket, "/glassbox/v1/state?view=summary"), daemon.pid))
        show("glassbox state", repeat(args.runs, lambda: timed_cli(base + ["state"]), daemon.pid))
        show("glassbox -D state (steps)", repeat(args.runs, lambda: timed_cli(base + ["-D", "state"])))
        show("glassbox --help (CLI start-up, no daemon)", repeat(args.runs, lambda: timed_cli([harness.CLI, "--help"])))
    finally:
        left = daemon.stop()
        if left:
            print(f"warning: glassboxd left mounts: {left}", file=sys.stderr)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
