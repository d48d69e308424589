#!/usr/bin/python3
"""Start-up benchmark of the simulated kernel (docs/simulated-kernel.md): N containers (default
1000) created, started and removed through the Docker API of a `glassboxd --kernel=sim` (as user
nobody when run as root, else as the current user), time per container printed beside the same
figure for the real kernel (a private glassboxd on Linux, fewer containers: default 20, root only).
Each container: POST /containers/create (busybox, sleep 3600, --network none), POST .../start,
DELETE ...?force=1. Timings are printed, never asserted.

Usage: tests/bench/sim/containers.py [-n 1000] [--real 20]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e"))
import glassbox_harness as harness  # noqa: E402


def cycle(daemon, count, label):
    image = daemon.tag
    started = time.monotonic()
    for i in range(count):
        status, body = daemon.api_json("POST", f"/v1.41/containers/create?name=bench{i}",
                                       {"Image": image, "Cmd": ["sleep", "3600"],
                                        "HostConfig": {"NetworkMode": "none"}})
        assert status == 201, f"create: HTTP {status} {body}"
        cid = body["Id"]
        status, _ = daemon.request("POST", f"/v1.41/containers/{cid}/start")
        assert status == 204, f"start: HTTP {status}"
        status, _ = daemon.request("DELETE", f"/v1.41/containers/{cid}?force=1", timeout=60)
        assert status == 204, f"rm: HTTP {status}"
    elapsed = time.monotonic() - started
    print(f"{label:>14}: {count} containers created, started and removed in {elapsed:.2f} s: "
          f"{elapsed / count * 1000:.2f} ms per container", flush=True)
    return elapsed / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000, help="containers on the simulated kernel")
    parser.add_argument("--real", type=int, default=20, help="containers on the real kernel (0: skip)")
    args = parser.parse_args()
    root = os.geteuid() == 0
    sim = harness.Daemon(label="bench-sim", kernel="sim", user="nobody" if root else None).start()
    try:
        per_sim = cycle(sim, args.n, "simulated")
    finally:
        sim.stop()
    if args.real and root and harness.missing_reason() is None:
        real = harness.Daemon(label="bench-real").start()
        try:
            per_real = cycle(real, args.real, "real kernel")
        finally:
            real.stop()
        print(f"{'ratio':>14}: the simulated kernel is {per_real / per_sim:.0f}x faster per container")
    else:
        print(f"{'real kernel':>14}: not measured (needs root and a built glassboxd)")


if __name__ == "__main__":
    main()
