"""Finding the daemon, and starting one when nobody answers, the way the `glassbox` CLI does
(engine/cli/context.cpp): the host is the argument, else $GLASSBOX_HOST, else
unix:///run/glassbox/glassbox.sock. Only when the default socket is silent (or the caller asks
with start_daemon=True) is `glassboxd` started, in its own session so a notebook interrupt never
reaches it, with its output in <run-root>/glassboxd.log, and polled until it answers.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from typing import List, Optional, Sequence, Tuple

from . import _glassbox

DEFAULT_RUN_ROOT = "/run/glassbox"
DEFAULT_HOST = "unix://" + DEFAULT_RUN_ROOT + "/glassbox.sock"


def resolve_host(host: Optional[str]) -> Tuple[str, bool]:
    """(host URL, whether the caller chose it). A bare absolute path becomes unix://PATH."""
    chosen = host or os.environ.get("GLASSBOX_HOST") or ""
    if not chosen:
        return DEFAULT_HOST, False
    if chosen.startswith("/"):
        chosen = "unix://" + chosen
    return chosen, True


def find_daemon() -> Optional[str]:
    """$GLASSBOX_DAEMON, else glassboxd in the build tree this package was built in
    (<build>/python/glassbox/ -> <build>/bin/glassboxd), else glassboxd on PATH."""
    candidates: List[str] = []
    if os.environ.get("GLASSBOX_DAEMON"):
        candidates.append(os.environ["GLASSBOX_DAEMON"])
    here = os.path.dirname(os.path.realpath(_glassbox.__file__))
    candidates.append(os.path.join(os.path.dirname(os.path.dirname(here)), "bin", "glassboxd"))
    on_path = shutil.which("glassboxd")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def find_cli() -> Optional[str]:
    """The `glassbox` CLI next to the daemon this package would start ($GLASSBOX_CLI first)."""
    if os.environ.get("GLASSBOX_CLI") and os.access(os.environ["GLASSBOX_CLI"], os.X_OK):
        return os.environ["GLASSBOX_CLI"]
    daemon = find_daemon()
    if daemon:
        cli = os.path.join(os.path.dirname(daemon), "glassbox")
        if os.access(cli, os.X_OK):
            return cli
    return shutil.which("glassbox")


def start_daemon(socket_path: str, root: Optional[str] = None, run_root: Optional[str] = None,
                 extra_args: Sequence[str] = (), wait: float = 10.0) -> subprocess.Popen:
    """Starts glassboxd serving `socket_path` and returns once it answers /_ping.

    root / run_root default to the daemon's own defaults (/var/lib/glassbox, /run/glassbox).
    Raises DaemonUnavailable when the binary is missing, exits early (with the log's tail) or stays
    silent for `wait` seconds.
    """
    daemon = find_daemon()
    if daemon is None:
        raise _glassbox.DaemonUnavailable(
            f"no daemon answers at unix://{socket_path} and glassboxd was not found "
            "(set GLASSBOX_DAEMON, or build it: scripts/setup)")
    log_dir = run_root or DEFAULT_RUN_ROOT
    os.makedirs(log_dir, mode=0o711, exist_ok=True)
    log_path = os.path.join(log_dir, "glassboxd.log")
    args = [daemon]
    if root:
        args += ["--root", root]
    if run_root:
        args += ["--run-root", run_root]
    args += ["-H", "unix://" + socket_path, *extra_args]
    with open(log_path, "ab") as log:
        # Its own session: Ctrl-C in the terminal or the notebook's interrupt must not stop it.
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    probe = _glassbox.Client(socket_path)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            probe.ping(timeout=2)
            return process
        except _glassbox.DaemonUnavailable:
            pass
        if process.poll() is not None:
            raise _glassbox.DaemonUnavailable(
                f"glassboxd exited at start-up (code {process.returncode}); see {log_path}:\n" + _tail(log_path))
        time.sleep(0.05)
    raise _glassbox.DaemonUnavailable(
        f"started glassboxd (pid {process.pid}) but it did not answer on unix://{socket_path} "
        f"within {wait:g} s; see {log_path}")


def _tail(path: str, lines: int = 5) -> str:
    try:
        with open(path, errors="replace") as f:
            return "\n".join(f.read().strip().splitlines()[-lines:])
    except OSError:
        return ""
