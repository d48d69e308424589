"""A real dockerd for differential tests and benchmarks, isolated from the host: its own socket,
--data-root and --exec-root under a mkdtemp directory, and no network changes to the host
(--bridge=none --iptables=false --ip-forward=false --ip-masq=false). Stopped by PID; its data
root is removed afterwards (after unmounting anything it left mounted there).
"""
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time

from glassbox_harness import mounts_under


def dockerd_path():
    return shutil.which("dockerd")


class Dockerd:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="gb-dockerd-")
        self.socket = os.path.join(self.tmp, "docker.sock")
        self.host = "unix://" + self.socket
        self.proc = None
        self.log_path = os.path.join(self.tmp, "dockerd.log")
        # Its own cgroup parent (instead of "docker" in every hierarchy), removed in stop().
        self.cgroup_parent = os.path.basename(self.tmp)

    def start(self):
        args = [dockerd_path(), "--host", self.host,
                "--data-root", os.path.join(self.tmp, "data"),
                "--exec-root", os.path.join(self.tmp, "exec"),
                "--pidfile", os.path.join(self.tmp, "dockerd.pid"),
                "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false",
                "--ip-masq=false", "--userland-proxy=false", "--storage-driver=overlay2",
                "--cgroup-parent=/" + self.cgroup_parent, "--log-level=warn"]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited with {self.proc.returncode}:\n{self.log_text()}")
            if self.docker("version", "--format", "{{.Server.Version}}", timeout=10).returncode == 0:
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("dockerd did not answer within 60 s:\n" + self.log_text())

    def env(self, **extra):
        env = dict(os.environ, DOCKER_HOST=self.host)
        env.pop("DOCKER_CONTEXT", None)
        env.update(extra)
        return env

    def docker(self, *args, timeout=120, input=None):
        return subprocess.run(["docker", *args], capture_output=True, text=True, env=self.env(),
                              timeout=timeout, input=input,
                              stdin=None if input else subprocess.DEVNULL)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        """Removes its containers, stops dockerd by PID, unmounts leftovers, deletes its data."""
        if self.proc is not None and self.proc.poll() is None:
            ids = self.docker("ps", "-aq", timeout=30).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, timeout=60)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.log.close()
        # dockerd started containerd (and shims) itself; anything of ours still running has our
        # directory on its command line.
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if self.tmp.encode() in f.read():
                        os.kill(int(pid), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
        for point in sorted(mounts_under(self.tmp), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True)
        if not mounts_under(self.tmp):
            shutil.rmtree(self.tmp, ignore_errors=True)
        for hierarchy in os.listdir("/sys/fs/cgroup"):
            path = os.path.join("/sys/fs/cgroup", hierarchy, self.cgroup_parent)
            if os.path.isdir(path) and not os.path.islink(os.path.join("/sys/fs/cgroup", hierarchy)):
                try:
                    os.rmdir(path)
                except OSError:
                    pass


@contextlib.contextmanager
def running_dockerd(daemon=None, must_start=False):
    """A started private dockerd for a differential test, stopped afterwards. With `daemon`, the
    glassbox base image is imported into it under the same tag. A missing docker CLI or dockerd
    skips with the reason; a dockerd that cannot start skips too, or fails when `must_start` (the
    suite whose whole point is the comparison)."""
    import pytest
    from glassbox_harness import BASE_TAR

    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    if dockerd_path() is None:
        pytest.skip("dockerd is not installed (Debian package docker.io)")
    if daemon is not None and not hasattr(daemon, "import_image"):
        pytest.skip("the suite runs against dockerd itself (GLASSBOX_E2E_REFERENCE)")
    peer = Dockerd()
    try:
        peer.start()
    except RuntimeError as error:
        peer.stop()
        (pytest.fail if must_start else pytest.skip)(f"dockerd cannot start here: {str(error)[:300]}")
    try:
        if daemon is not None:
            imported = peer.docker("import", BASE_TAR, daemon.tag)
            assert imported.returncode == 0, imported.stderr
        yield peer
    finally:
        peer.stop()
