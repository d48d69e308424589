"""scripts/demo, the README's main command, runs start to end against a private daemon (so CI
checks that what a newcomer runs first works) and leaves no container behind."""
import json
import os
import subprocess

import pytest

from glassbox_harness import REPO


pytestmark = pytest.mark.usefixtures("glassbox_cli")


def test_demo_runs_and_cleans_up(daemon):
    env = daemon.env(GLASSBOX_SKIP_SETUP="1", TERM="dumb")

    result = subprocess.run([os.path.join(REPO, "scripts", "demo")], capture_output=True, text=True,
                            env=env, timeout=180, stdin=subprocess.DEVNULL)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "NSpid:" in result.stdout
    assert "lowerdir" in result.stdout and "upperdir" in result.stdout
    assert "is gone" in result.stdout
    listing = json.loads(daemon.request("GET", "/v1.41/containers/json?all=1")[1])
    assert [c["Names"] for c in listing if "/glassbox-demo" in c["Names"]] == []
