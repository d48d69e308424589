"""The docker-py-shaped subset behaves like docker-py: python_compat_script.py runs once through
`glassbox` (Debian's python3) and once through the `docker` SDK (the python3 on PATH that has it),
against the same private glassboxd, and the two result sets must be equal (and equal again when
the glassbox run uses the docker SDK's interpreter, which imports the same extension): container names,
statuses, exit codes, logs, exec output, image tags, volume and network names, error statuses."""
import json
import os
import shutil
import subprocess
import sys

import pytest

import glassbox_harness as harness
import python_support

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_compat_script.py")


def docker_sdk_python():
    """A python3 (not Debian's, which lacks the SDK) that can import docker, or None."""
    for candidate in (shutil.which("python3"), os.environ.get("GLASSBOX_DOCKER_SDK_PYTHON")):
        if not candidate:
            continue
        probe = subprocess.run([candidate, "-c", "import docker"], capture_output=True, timeout=60)
        if probe.returncode == 0:
            return candidate
    return None


def run_script(python, flavour, daemon, suffix):
    child = subprocess.run([python, SCRIPT, flavour, daemon.host, daemon.tag, suffix], capture_output=True,
                           text=True, timeout=180, env=python_support.env_with_package())
    assert child.returncode == 0, f"{flavour}: {child.stderr}"
    return json.loads(child.stdout)


def test_the_same_script_gives_the_same_results_through_glassbox_and_docker_py(daemon):
    reason = python_support.missing_reason()
    if reason:
        pytest.skip(reason)
    sdk_python = docker_sdk_python()
    if sdk_python is None:
        pytest.skip("no python3 with the docker SDK on PATH")
    ours = run_script(sys.executable, "glassbox", daemon, harness.unique("g").replace("-", ""))
    theirs = run_script(sdk_python, "docker", daemon, harness.unique("d").replace("-", ""))
    # The same glassbox package from the other interpreter (one extension serves both CPython 3.11s).
    ours_other = run_script(sdk_python, "glassbox", daemon, harness.unique("o").replace("-", ""))
    assert "cleanup_errors" not in ours and "cleanup_errors" not in theirs
    assert ours == theirs
    assert ours_other == ours
    # The comparison is not vacuous: these are what both must have seen.
    assert ours["wait"] == 3 and ours["stdout"] == "out\n" and ours["stderr"] == "err\n"
    assert ours["exec"] == [4, "x\n"] and ours["missing"] == 404 and ours["conflict"] == 409
    assert ours["network_containers"] == ["sleep-S"] and ours["volume"] == "vol-S"
