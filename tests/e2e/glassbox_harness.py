"""Shared by the pytest suites (Debian python3) and the docker SDK suite (unittest, pyenv python3):
finds the build, starts a private glassboxd (own --root, --run-root and socket under a mkdtemp
directory), imports the busybox base image into it, and stops it again by PID, checking that the
daemon left no mount behind. Standard library only, so both interpreters can import it.
"""
import http.client
import re
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("GLASSBOX_BUILD_DIR") or os.path.join(REPO, "build")
CLI = os.path.join(BUILD, "bin", "glassbox")
DAEMON = os.path.join(BUILD, "bin", "glassboxd")
BASE_TAR = os.environ.get("GLASSBOX_BASE_TAR") or os.path.join(BUILD, "images", "busybox-rootfs.tar")
BASE_TAG_FILE = os.path.join(BUILD, "images", "base-image.tag")


def base_tag():
    """The tag scripts/make-base-rootfs chose for the base image (e.g. busybox:1.35.0)."""
    if os.environ.get("GLASSBOX_BASE_TAG"):
        return os.environ["GLASSBOX_BASE_TAG"]
    try:
        with open(BASE_TAG_FILE) as f:
            return f.read().strip()
    except OSError:
        return None


def missing_reason(need_cli=True):
    """Why a private daemon (and, with need_cli, the glassbox CLI) cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (glassboxd mounts overlays and creates namespaces)"
    for path in (DAEMON, CLI) if need_cli else (DAEMON,):
        if not os.access(path, os.X_OK):
            return f"{os.path.basename(path)} is not built yet ({path}); run scripts/setup"
    if not os.path.isfile(BASE_TAR) or not base_tag():
        return f"base image tar {BASE_TAR} or its tag file is missing; run scripts/setup"
    return None


def mounts_under(*dirs):
    """Mount points in this mount namespace that lie under any of dirs."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if any(point == d or point.startswith(d.rstrip("/") + "/") for d in dirs):
                found.append(point)
    return found


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("glassbox", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


class Daemon:
    """One private glassboxd. start() returns once it answers /_ping and has the base image."""

    def __init__(self, label="e2e", kernel=None, user=None):
        self.label = label
        self.tmp = None
        self.proc = None
        self.tag = base_tag()
        # kernel: None (the daemon's default) or "sim" (docs/simulated-kernel.md); user: run the
        # daemon as this user (setpriv; the test itself runs as root), e.g. "nobody".
        self.kernel = kernel
        self.user = user

    def as_user(self, argv):
        """argv run as the daemon's user (setpriv), or unchanged when it has none."""
        if not self.user:
            return list(argv)
        return ["setpriv", f"--reuid={self.user}", f"--regid={self.user_group()}", "--clear-groups", *argv]

    def user_group(self):
        import grp
        import pwd
        return grp.getgrgid(pwd.getpwnam(self.user).pw_gid).gr_name

    # [SECTION] Life cycle

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix=f"gb-{self.label}-")
        self.root = os.path.join(self.tmp, "root")
        self.run_root = os.path.join(self.tmp, "run")
        self.socket = os.path.join(self.run_root, "glassbox.sock")
        self.host = "unix://" + self.socket
        os.makedirs(self.run_root)
        self.log_path = os.path.join(self.tmp, "glassboxd.log")
        args = [DAEMON, "--root", self.root, "--run-root", self.run_root, "-H", self.host]
        args += self._isolation_flags()
        if self.kernel:
            args.append(f"--kernel={self.kernel}")
        if self.user:
            import pwd
            entry = pwd.getpwnam(self.user)
            for path in (self.tmp, self.run_root):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            args = self.as_user(args)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"glassboxd exited with {self.proc.returncode} before answering:\n"
                                   + self.log_text())
            try:
                if self.request("GET", "/_ping", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("glassboxd did not answer /_ping within 30 s:\n" + self.log_text())
            time.sleep(0.1)
        status, body = self.import_image(BASE_TAR, self.tag)
        if status != 200:
            self.stop()
            raise RuntimeError(f"import {BASE_TAR} as {self.tag}: HTTP {status} {body[:300]!r}")
        return self

    def import_image(self, tar_path, tag):
        """POST /images/create?fromSrc=- with the tar as body: what `docker import` sends."""
        repo, _, version = tag.rpartition(":")
        conn = UnixHTTPConnection(self.socket, timeout=120)
        try:
            with open(tar_path, "rb") as body:
                conn.request("POST", f"/v1.41/images/create?fromSrc=-&repo={repo}&tag={version}",
                             body=body, headers={"Content-Type": "application/x-tar",
                                                 "Content-Length": str(os.path.getsize(tar_path))})
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if response.status == 200 and b'"error' in data:
            return 500, data
        return response.status, data

    def _isolation_flags(self):
        """Own bridge, link prefix, address pool and nft table, where the daemon has the flags, so
        several daemons (other tests, other developers) never share a kernel object."""
        try:
            help_text = subprocess.run([DAEMON, "--help"], capture_output=True, text=True,
                                       timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            return []
        suffix = uuid.uuid4().hex[:5]
        # Class-B pool in 10.x chosen from the suffix: distinct per daemon with high probability.
        octet = 100 + int(suffix[:2], 16) % 150
        wanted = {
            "--bridge": f"gbt{suffix}",
            "--link-prefix": f"gb{suffix[:3]}",
            "--subnet": f"10.{octet}.255.0/24",
            "--address-pool": f"10.{octet}.0.0/17",
            "--nft-table": f"glassbox_t{suffix}",
        }
        flags = []
        for flag, value in wanted.items():
            if re.search(rf"^\s*{re.escape(flag)}\s", help_text, re.M):
                flags += [flag, value]
        # The daemon removes its bridge, nft table, netns files and cgroups when it stops.
        if re.search(r"^\s*--reset-on-exit\s", help_text, re.M):
            flags.append("--reset-on-exit")
        return flags

    def remove_all_containers(self):
        """Force-removes every container (with its anonymous volumes) through the API."""
        try:
            status, listing = self.api_json("GET", "/v1.41/containers/json?all=1")
        except (OSError, ValueError):
            return
        for container in listing if status == 200 else []:
            try:
                self.request("DELETE", f"/v1.41/containers/{container['Id']}?force=1&v=1", timeout=60)
            except OSError:
                pass

    def stop(self):
        """Removes the containers, then SIGTERM by PID (SIGKILL after 20 s); returns the mounts
        left under the daemon's directories (normally none)."""
        if self.proc is not None and self.proc.poll() is None:
            self.remove_all_containers()
            self.proc.send_signal(signal.SIGTERM)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None:
            self.log.close()
        left = mounts_under(self.tmp) if self.tmp else []
        if self.tmp and not left:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return left

    def kill_and_restart(self):
        """SIGKILL by PID (a crash: nothing of the daemon's cleanup runs), then the same command
        line on the same directories; returns once the new daemon answers /_ping."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)
        self.proc = subprocess.Popen(self.proc.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "glassboxd did not restart after a crash:\n" + self.log_text()
            try:
                if self.request("GET", "/_ping", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("glassboxd did not answer within 30 s of a restart:\n" + self.log_text())

    def relaunch(self, args):
        """Starts glassboxd again with argv `args` (its directories as before), logging to the same
        file, and returns once it answers /_ping; raises with the log if it exits or stays silent."""
        if self.log.closed:
            self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("glassboxd exited at the restart:\n" + self.log_text())
            try:
                if self.request("GET", "/_ping", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("glassboxd did not answer within 30 s of a restart:\n" + self.log_text())
            time.sleep(0.1)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # [SECTION] Clients

    def env(self, **extra):
        env = dict(os.environ, DOCKER_HOST=self.host, GLASSBOX_HOST=self.host)
        env.pop("DOCKER_CONTEXT", None)
        env.update(extra)
        return env

    def cli(self, *args, timeout=60, input=None):
        """Runs build/bin/glassbox -H <our socket> args; returns the CompletedProcess (text)."""
        return subprocess.run([CLI, "-H", self.host, *args], capture_output=True, text=True,
                              timeout=timeout, input=input, stdin=None if input else subprocess.DEVNULL)

    def docker(self, *args, timeout=60, input=None, extra_env=None):
        """Runs the real docker CLI with DOCKER_HOST pointing at this daemon."""
        env = self.env()
        env.update(extra_env or {})
        return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                              input=input, env=env,
                              stdin=None if input else subprocess.DEVNULL)

    def request(self, method, path, body=None, timeout=30):
        """One HTTP request on the daemon's socket; returns (status, body bytes)."""
        conn = UnixHTTPConnection(self.socket, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def api_json(self, method, path, body=None):
        status, data = self.request(method, path, body)
        return status, (json.loads(data) if data.strip() else None)

    def container_pid(self, name):
        status, info = self.api_json("GET", f"/v1.41/containers/{name}/json")
        if status != 200:
            raise AssertionError(f"inspect {name}: HTTP {status} {info}")
        return info["State"]["Pid"]

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))


def tar_of(files):
    """An uncompressed tar (bytes) of {name: bytes}: a build context or a fake archive."""
    import io
    import tarfile
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
