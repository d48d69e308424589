#!/usr/bin/python3
"""Finds kernel objects and processes that a test run left behind.

`leftovers.py snapshot FILE` records what exists before the run; `leftovers.py check FILE MARK [TMPDIR]`
compares with what exists afterwards and exits 1 if the run left something:
  - mounts: overlay mounts, nsfs mounts (bound network namespaces), and anything whose source or
    mount point contains "glassbox" or lies under /tmp (the tests' temp roots), read from
    /proc/self/mountinfo;
  - cgroups named glassbox* in every hierarchy under /sys/fs/cgroup (v1 and the v2 "unified");
  - network links named gb*, glassbox*, veth* (ip -o link), named network namespaces (ip netns);
  - nftables tables named glassbox* (nft list tables);
  - processes started by the run: every process whose environment carries GLASSBOX_TEST_RUN=MARK
    (scripts/test sets it for everything it starts), glassboxd in particular.
Other developers may run tests on the same machine at the same time, so objects that appear
during the run are rechecked for a few seconds before they count: theirs go away when their
tests clean up; ours do not.
"""
import json
import os
import subprocess
import sys
import time


def mounts():
    found = set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            point = left.split()[4]
            fstype, source = (right.split() + ["", ""])[:2]
            if (fstype in ("overlay", "nsfs") or "glassbox" in point or "glassbox" in source
                    or point.startswith("/tmp/")):
                found.add(f"mount {fstype} {source} on {point}")
    return found


def cgroups():
    found = set()
    base = "/sys/fs/cgroup"
    for top, dirs, _ in os.walk(base):
        depth = top[len(base):].count("/")
        for name in list(dirs):
            if name.startswith("glassbox"):
                found.add(f"cgroup {os.path.join(top, name)}")
        if depth >= 3:
            dirs.clear()
    return found


def command_lines(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return []


def links():
    found = set()
    for line in command_lines(["ip", "-o", "link", "show"]):
        parts = line.split(": ")
        if len(parts) < 2:
            continue
        name = parts[1].split("@")[0]
        if name.startswith(("gb", "glassbox", "veth")):
            found.add(f"link {name}")
    for line in command_lines(["ip", "netns", "list"]):
        if line.strip():
            found.add(f"netns {line.split()[0]}")
    return found


def nft_tables():
    found = set()
    for line in command_lines(["nft", "list", "tables"]):
        words = line.split()
        if len(words) == 3 and words[0] == "table" and words[2].startswith("glassbox"):
            found.add(f"nft table {words[1]} {words[2]}")
    return found


def marked_processes(mark, tmpdir):
    """Processes with our mark in their environment, or our temp directory on their command line
    (a glassboxd or dockerd that cleared its environment still names its --root there)."""
    found = set()
    needle = f"GLASSBOX_TEST_RUN={mark}".encode()
    me = {os.getpid(), os.getppid()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                marked = needle in f.read().split(b"\0")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if not marked and not (tmpdir and tmpdir in cmdline):
            continue
        found.add(f"process {entry}: {cmdline[:120]}")
    return found


def kernel_objects():
    return mounts() | cgroups() | links() | nft_tables()


def main(argv):
    if argv[1] == "snapshot":
        with open(argv[2], "w") as f:
            json.dump(sorted(kernel_objects()), f)
        return 0
    with open(argv[2]) as f:
        before = set(json.load(f))
    mark = argv[3]
    tmpdir = argv[4] if len(argv) > 4 else ""
    # Our own process tree (scripts/test's shell) carries the mark too; only what is left
    # besides the shells running this check counts.
    own = {str(os.getppid())}
    left = set()
    for attempt in range(6):
        left = (kernel_objects() - before) | {
            p for p in marked_processes(mark, tmpdir) if p.split()[1].rstrip(":") not in own
            and "scripts/test" not in p and "leftovers.py" not in p}
        if not left:
            return 0
        time.sleep(2)
    print("The test run left these behind (each must be removed by the test that made it):")
    for item in sorted(left):
        print(f"  {item}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
