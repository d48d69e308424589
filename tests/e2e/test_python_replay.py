"""Record a session through the Python package against a private daemon, stop the daemon, then
replay the file as the unprivileged user nobody (setpriv) with no daemon running: the C++ timeline
reader needs neither root nor a socket."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

import glassbox_harness as harness
import python_support

glassbox = python_support.import_glassbox()

REPLAY_AS_USER = """
import json, sys, glassbox
timeline = glassbox.replay(sys.argv[1])
# The first recorded moment with the container's process running.
last = next(i for i, s in enumerate(timeline.snapshots) if any(c.pid for c in s.containers))
first = 0
diff = timeline.diff(first, last)
print(json.dumps({
    "uid": __import__("os").getuid(),
    "snapshots": len(timeline.snapshots),
    "events": [e.get("event", {}).get("Action") for e in timeline.events if e.get("type") == "event"],
    "containers": sorted({c.name for s in timeline.snapshots for c in s.containers}),
    "added_kinds": sorted({c.kind for c in diff.changes if c.type == "added"}),
    "html": "<table" in timeline._repr_html_(),
}))
"""


def test_replay_works_as_nobody_with_no_daemon_running():
    reason = harness.missing_reason(need_cli=False) or python_support.missing_reason()
    if reason:
        pytest.skip(reason)
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    folder = tempfile.mkdtemp(prefix="gb-pyreplay-")
    os.chmod(folder, 0o755)
    path = os.path.join(folder, "session.timeline")
    daemon = harness.Daemon(label="pyreplay").start()
    name = harness.unique("rec")
    try:
        gb = glassbox.connect(daemon.host)

        def session():
            box = gb.containers.run(daemon.tag, "sleep 300", name=name, detach=True)
            time.sleep(1.2)
            box.remove(force=True)

        counts = gb.record(path, until=session)
        assert counts["snapshots"] >= 2
    finally:
        left = daemon.stop()
    assert not left
    assert daemon.proc.poll() is not None and not os.path.exists(daemon.socket)
    os.chmod(path, 0o644)
    try:
        child = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c", REPLAY_AS_USER, path],
            capture_output=True, text=True, timeout=60, cwd="/", env=python_support.env_with_package(HOME="/"))
        assert child.returncode == 0, child.stderr
        seen = json.loads(child.stdout)
        assert seen["uid"] != 0
        assert seen["snapshots"] == counts["snapshots"]
        assert "start" in seen["events"] and "destroy" in seen["events"]
        assert name in seen["containers"]
        assert "containers" in seen["added_kinds"] and "namespaces" in seen["added_kinds"]
        assert seen["html"] is True
    finally:
        shutil.rmtree(folder)
