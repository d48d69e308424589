"""glassbox.connect() and the client object it returns: the docker-SDK-shaped collections
(containers, images, volumes, networks) plus what only glassbox has: state() (the kernel snapshot
as typed objects), diff() (what a callable or a command changed in the kernel), record(), features()
(the kernel probe), topology() and lessons.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from . import _glassbox
from .daemon import find_cli, resolve_host, start_daemon
from .display import NetworkTopology
from .models import (DEFAULT_TIMEOUT, ContainerCollection, ImageCollection, NetworkCollection,
                     VolumeCollection)


class Recorder:
    """A recording in progress (see Glassbox.record). Use as a context manager, or call stop()."""

    def __init__(self, recording: _glassbox.Recording):
        self._recording = recording
        self.result: Optional[Dict[str, Any]] = None

    @property
    def path(self) -> str:
        return self._recording.path

    @property
    def active(self) -> bool:
        return self._recording.active

    def stop(self, settle: float = 3.0) -> Dict[str, Any]:
        """Ends the recording once the daemon has reported the last changes (at most `settle`
        seconds); returns {"path", "snapshots", "events", "changes"}."""
        if self.result is None:
            self.result = dict(self._recording.stop(settle))
        return self.result

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class Glassbox:
    """A connection to one glassboxd. Collections: containers, images, volumes, networks (as in
    docker-py's DockerClient); `api` is the low-level _glassbox.Client."""

    def __init__(self, host: str, daemon_process: Optional[subprocess.Popen] = None):
        self.host = host
        self.api = _glassbox.Client(host)
        self.daemon_process = daemon_process
        self.containers = ContainerCollection(self)
        self.images = ImageCollection(self)
        self.volumes = VolumeCollection(self)
        self.networks = NetworkCollection(self)
        self._lessons: Any = None

    def __repr__(self) -> str:
        return f"<glassbox.Glassbox {self.host}>"

    # [SECTION] System

    def ping(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> bool:
        return self.api.ping(timeout=timeout)

    def version(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self.api.request("GET", "/version", timeout=timeout)

    def info(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self.api.request("GET", "/info", timeout=timeout)

    @property
    def kernel_mode(self) -> str:
        """"real", or "simulated" when the daemon runs on glassbox's simulated kernel
        (docs/simulated-kernel.md); the reason is in `simulated_reason`."""
        return str(self.version().get("GlassboxKernel", "real"))

    @property
    def simulated_reason(self) -> str:
        """Why the daemon runs on the simulated kernel ("" on the real one)."""
        return str(self.version().get("GlassboxSimulatedReason", ""))

    def df(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self.api.request("GET", "/system/df", timeout=timeout)

    def close(self) -> None:
        """Nothing to release (each call has its own connection); here for docker-py's shape.
        A daemon this client started keeps running, as the CLI's does."""

    def stop_daemon(self, timeout: float = 20.0) -> None:
        """Stops the daemon this client started (by its PID), if it started one."""
        process = self.daemon_process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    # [SECTION] Kernel state

    def state(self, container: str = "", kind: str = "", generation: Optional[int] = None,
              timeout: Optional[float] = DEFAULT_TIMEOUT) -> _glassbox.Snapshot:
        """A fresh snapshot of what glassbox made in the kernel (or the kept one `generation`),
        optionally narrowed to one container and/or one kind ("links", "mounts", ...)."""
        return self.api.state(container=container, kind=kind, generation=generation, timeout=timeout)

    def features(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> _glassbox.KernelInfo:
        """The kernel probe: release, cgroup layout, and each feature (link.macvlan, link.ipvlan,
        ...) with whether this kernel has it and why not."""
        return self.api.features(timeout=timeout)

    def topology(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> NetworkTopology:
        """Networks and the containers on them, drawn as an SVG in Jupyter."""
        return NetworkTopology(self.state(timeout=timeout))

    def _generation(self, timeout: Optional[float]) -> int:
        # The kind filter keeps the answer small; the daemon still takes and keeps a full snapshot.
        return self.api.state(kind="containers", timeout=timeout).generation

    def diff(self, what: Any = None, *, since: Optional[str] = None, all: bool = False, usage: bool = False,
             timeout: Optional[float] = DEFAULT_TIMEOUT, command_timeout: Optional[float] = None) -> _glassbox.Diff:
        """What changed in the kernel.

        `what` may be a callable (snapshot, call it, snapshot again), a glassbox CLI command as a
        list or a string (["run", "--rm", "busybox:1.35.0", "true"]; a leading "glassbox" is
        optional), a Snapshot or a generation number (from then to now), or None with `since`
        ("5m", an RFC 3339 time). all=True keeps host objects, usage=True keeps counters. The diff
        gets `.result` (the callable's return value, or the command's CompletedProcess)."""
        query: Dict[str, Any] = {}
        result: Any = None
        if what is None:
            if since is None:
                raise _glassbox.InvalidArgument("diff: give a callable, a command, a generation or since=")
            query["since"] = since
        elif isinstance(what, _glassbox.Snapshot):
            query["from"] = what.generation
        elif isinstance(what, int) and not isinstance(what, bool):
            query["from"] = what
        else:
            before = self._generation(timeout)
            if callable(what):
                result = what()
            else:
                result = self.run_cli(what, timeout=command_timeout)
            query["from"] = before
            query["to"] = self._generation(timeout)
        if all:
            query["all"] = 1
        if usage:
            query["usage"] = 1
        diff, extras = self.api.diff(query, timeout=timeout)
        diff.result = result
        diff.extras = extras
        return diff

    def run_cli(self, command: Union[str, Sequence[str]], timeout: Optional[float] = None,
                check: bool = False) -> subprocess.CompletedProcess:
        """Runs a `glassbox` CLI command against this daemon and returns the CompletedProcess (text)."""
        words = shlex.split(command) if isinstance(command, str) else list(command)
        if words and (words[0] == "glassbox" or words[0].endswith("/glassbox")):
            words = words[1:]
        if not words:
            raise _glassbox.InvalidArgument("empty glassbox command")
        cli = find_cli()
        if cli is None:
            raise _glassbox.GlassboxError("the glassbox CLI was not found (set GLASSBOX_CLI or run scripts/setup)")
        return subprocess.run([cli, "-H", self.host, *words], capture_output=True, text=True, timeout=timeout,
                              check=check, stdin=subprocess.DEVNULL)

    def record(self, path: str, duration: Optional[float] = None, until: Optional[Callable[[], Any]] = None,
               all: bool = False, timeout: Optional[float] = 30.0) -> Union[Recorder, Dict[str, Any]]:
        """Records snapshots, engine events and kernel changes into a timeline file (what
        `glassbox record` writes; glassbox.replay reads it back without root or a daemon).

        With `until`, records while that callable runs; with `duration`, for that many seconds;
        either way returns {"path", "snapshots", "events", "changes"}. With neither, returns a
        Recorder to stop() (or use `with gb.record(path) as rec:`)."""
        recorder = Recorder(self.api.start_recording(path, all=all, timeout=timeout))
        if until is None and duration is None:
            return recorder
        try:
            if until is not None:
                outcome = until()
            else:
                deadline = time.monotonic() + float(duration)
                while time.monotonic() < deadline:
                    time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
                outcome = None
        except BaseException:
            recorder.stop(settle=0.5)
            raise
        counts = recorder.stop()
        counts["result"] = outcome
        return counts

    @property
    def lessons(self) -> Any:
        """The guided lessons (list, start, show, check, hint, next, solve, reset)."""
        if self._lessons is None:
            from .lessons import Lessons
            self._lessons = Lessons(self)
        return self._lessons


def connect(host: Optional[str] = None, timeout: float = 10.0, start_daemon_if_needed: Optional[bool] = None,
            root: Optional[str] = None, run_root: Optional[str] = None,
            daemon_args: Sequence[str] = ()) -> Glassbox:
    """Connects to glassboxd: `host` (unix:///path.sock or a path), else $GLASSBOX_HOST, else
    unix:///run/glassbox/glassbox.sock. When the default socket does not answer, starts
    glassboxd with the default roots, as the CLI does. An explicit host is not started unless
    start_daemon_if_needed=True (then with `root`, `run_root` and `daemon_args`)."""
    url, explicit = resolve_host(host)
    client = Glassbox(url)
    try:
        client.api.ping(timeout=timeout)
        return client
    except _glassbox.DaemonUnavailable:
        allowed = (not explicit) if start_daemon_if_needed is None else start_daemon_if_needed
        if not allowed:
            raise
    process = start_daemon(client.api.socket_path, root=root, run_root=run_root, extra_args=daemon_args)
    client.daemon_process = process
    print(f"glassbox: started glassboxd (pid {process.pid}, socket {url})", file=sys.stderr)
    return client
