"""pytest fixtures for the end-to-end suites: one private glassboxd per test module (its own temp
--root, --run-root and socket, the busybox base image imported), stopped by PID at the end with a
check that it left no mount behind. Tests skip with the reason when the daemon cannot run here.
"""
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glassbox_harness as harness  # noqa: E402

# The docker SDK suite is unittest under the python3 that has the docker package (scripts/test).
collect_ignore = ["docker_sdk"]


@pytest.fixture(scope="module")
def daemon(request):
    if os.environ.get("GLASSBOX_E2E_REFERENCE") == "dockerd":
        yield from reference_dockerd()
        return
    reason = harness.missing_reason(need_cli=False)
    if reason:
        pytest.skip(reason)
    d = harness.Daemon(label=request.module.__name__.replace("test_", "")[:12])
    d.start()
    try:
        yield d
    finally:
        alive_before_stop = d.proc.poll() is None
        left = d.stop()
        assert alive_before_stop, "glassboxd died during the tests:\n" + d.log_text()
        assert not left, f"glassboxd left mounts behind: {left}"


def reference_dockerd():
    """GLASSBOX_E2E_REFERENCE=dockerd runs the docker CLI suite against a real, private dockerd
    instead, to check that the suite's expectations are Docker's own."""
    from dockerd_harness import Dockerd, dockerd_path
    if dockerd_path() is None or not os.path.isfile(harness.BASE_TAR) or not harness.base_tag():
        pytest.skip("reference run needs dockerd and the base image tar")
    peer = Dockerd().start()
    peer.tag = harness.base_tag()
    try:
        assert peer.docker("import", harness.BASE_TAR, peer.tag).returncode == 0
        yield peer
    finally:
        peer.stop()


@pytest.fixture
def glassbox_cli():
    if not os.access(harness.CLI, os.X_OK):
        pytest.skip(f"the glassbox CLI is not built yet ({harness.CLI}); run scripts/setup")
    return harness.CLI


@pytest.fixture
def docker_cli():
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    return shutil.which("docker")


@pytest.fixture
def image(daemon):
    return daemon.tag


@pytest.fixture
def name():
    return harness.unique("gbt")
