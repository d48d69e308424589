"""Attach and exec sessions on hijacked connections, against a private glassboxd and the same
calls against a private dockerd (skipped with the reason when dockerd cannot run here):
`attach?logs=1&stream=0` returns what an exited container wrote and closes; detach keys (the
default ctrl-p,ctrl-q, a custom sequence, a bad one) end a TTY session and leave the process
running, and are ignored without a TTY, as dockerd does; the resize endpoints answer with dockerd's
status codes; the docker CLI sends the detach keys of its config file and detaches with them.
Raw sockets, so every byte after the response head is compared.
"""
import json
import os
import pty
import select
import socket
import subprocess
import time

import pytest

from glassbox_harness import unique

pytestmark = pytest.mark.usefixtures("docker_cli")


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout.strip()


def session(socket_path, method, path, body=b"", send=(), wait=3.0, upgrade=True):
    """One request on a raw connection; `send` is stdin written after the head, one piece every
    0.2 s. Returns (status, bytes after the head, whether the server closed the connection)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(socket_path)
    try:
        head = f"{method} {path} HTTP/1.1\r\nHost: docker\r\nContent-Length: {len(body)}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        head += "Connection: Upgrade\r\nUpgrade: tcp\r\n" if upgrade else "Connection: close\r\n"
        sock.sendall(head.encode() + b"\r\n" + body)
        time.sleep(0.3)
        for piece in send:
            sock.sendall(piece)
            time.sleep(0.2)
        data, closed = b"", False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    finally:
        sock.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.") else 0
    return status, rest, closed


def request(socket_path, method, path, body=None):
    status, rest, _ = session(socket_path, method, path, json.dumps(body).encode() if body is not None else b"",
                              upgrade=False, wait=15)
    return status, rest


def message(rest):
    """The error message of a JSON answer (dockerd's hijacked attach errors are plain text)."""
    text = rest.decode(errors="replace").strip()
    try:
        return json.loads(text)["message"]
    except (ValueError, KeyError):
        return text


# What the glassboxd tests saw, so the comparison with dockerd runs each scenario only on dockerd.
OBSERVED = {}


def container_state(peer, name):
    return ok(peer.docker("inspect", "-f", "{{.State.Status}}", name))


# [SECTION] Attach with logs and no stream


def attach_logs_observations(peer, image):
    name = unique("gbt-al")
    ok(peer.docker("run", "--name", name, image, "sh", "-c", "echo out1; sleep 0.2; echo err1 >&2"))
    try:
        seen = {}
        for query in ("logs=1&stream=0&stdout=1&stderr=1", "logs=1&stream=0&stdout=1", "logs=1&stream=0"):
            status, rest, closed = session(peer.socket, "POST", f"/v1.41/containers/{name}/attach?{query}")
            seen[query] = (status, rest, closed)
            status, rest, closed = session(peer.socket, "POST", f"/v1.41/containers/{name}/attach?{query}",
                                           upgrade=False)
            seen[query + " (no upgrade)"] = (status, rest, closed)
        return seen
    finally:
        peer.docker("rm", "-f", name)


def test_attach_logs_without_stream_returns_the_logs_and_closes(daemon, image):
    seen = OBSERVED["attach logs"] = attach_logs_observations(daemon, image)
    both = b"\x01\x00\x00\x00\x00\x00\x00\x05out1\n\x02\x00\x00\x00\x00\x00\x00\x05err1\n"
    assert seen["logs=1&stream=0&stdout=1&stderr=1"] == (101, both, True)
    assert seen["logs=1&stream=0&stdout=1&stderr=1 (no upgrade)"] == (200, both, True)
    assert seen["logs=1&stream=0&stdout=1"] == (101, both[:13], True)
    assert seen["logs=1&stream=0"] == (101, b"", True)


# [SECTION] Detach keys


def detach_observations(peer, image):
    """What a TTY and a non-TTY attach and exec do with detach keys in their input."""
    seen = {}
    for tty in (True, False):
        name = unique("gbt-dk")
        flags = ["-dit"] if tty else ["-di"]
        ok(peer.docker("run", *flags, "--name", name, image, "cat"))
        try:
            base = f"/v1.41/containers/{name}/attach?stream=1&stdin=1&stdout=1&stderr=1"
            for label, query, typed in (
                ("default", "", [b"abc\n\x10\x11def\n"]),
                ("split", "", [b"D\x10", b"\x11E\n"]),
                ("custom", "&detachKeys=ctrl-x,y", [b"ab\x10c\n\x18ydef\n"]),
                ("broken", "", [b"H\x10\x10\x11I\n"]),
            ):
                status, rest, closed = session(peer.socket, "POST", base + query, send=typed, wait=0.8)
                seen[(tty, label)] = (status, closed, container_state(peer, name))
            status, rest, _ = session(peer.socket, "POST", base + "&detachKeys=foo", wait=0.8)
            seen[(tty, "bad")] = (status, message(rest))
            # An exec with custom keys; dockerd 20.10 reports a TTY exec's detach as an error
            # with exit code 126, so only the connection closing is compared.
            status, rest = request(peer.socket, "POST", f"/v1.41/containers/{name}/exec",
                                   {"Cmd": ["cat"], "AttachStdin": True, "AttachStdout": True, "Tty": tty,
                                    "DetachKeys": "ctrl-x,y"})
            assert status == 201, rest
            exec_id = json.loads(rest)["Id"]
            status, rest, closed = session(peer.socket, "POST", f"/v1.41/exec/{exec_id}/start",
                                           json.dumps({"Detach": False, "Tty": tty}).encode(),
                                           send=[b"hi\n\x18ymore\n"], wait=0.8)
            status_json, inspect = request(peer.socket, "GET", f"/v1.41/exec/{exec_id}/json")
            seen[(tty, "exec")] = (status, closed, json.loads(inspect)["DetachKeys"])
            status, rest = request(peer.socket, "POST", f"/v1.41/containers/{name}/exec",
                                   {"Cmd": ["cat"], "AttachStdin": True, "DetachKeys": "bad-key"})
            seen[(tty, "exec bad")] = (status, message(rest))
        finally:
            peer.docker("rm", "-f", name)
    return seen


def test_detach_keys_end_a_tty_session_and_the_process_runs_on(daemon, image):
    seen = OBSERVED["detach"] = detach_observations(daemon, image)
    for label in ("default", "split", "custom"):
        assert seen[(True, label)] == (101, True, "running"), label
    # A ctrl-p that breaks a partial match is passed on, not taken as a new start.
    assert seen[(True, "broken")] == (101, False, "running")
    # Without a TTY the bytes go to the process unchanged.
    for label in ("default", "split", "custom", "broken"):
        assert seen[(False, label)] == (101, False, "running"), label
    for tty in (True, False):
        assert seen[(tty, "bad")] == (400, "Invalid detach keys (foo) provided")
        assert seen[(tty, "exec bad")] == (500, "Invalid escape keys (bad-key) provided")
    assert seen[(True, "exec")] == (101, True, "GHk=")
    assert seen[(False, "exec")] == (101, False, "GHk=")


def test_exec_detached_with_keys_keeps_running(daemon, image, name):
    if not hasattr(daemon, "import_image"):
        pytest.skip("dockerd 20.10 reports a TTY exec's detach as a failure (exit code 126) and the process runs on")
    ok(daemon.docker("run", "-d", "--name", name, image, "sleep", "300"))
    try:
        status, rest = request(daemon.socket, "POST", f"/v1.41/containers/{name}/exec",
                               {"Cmd": ["sh", "-c", "cat; echo done > /tmp/finished"], "AttachStdin": True,
                                "AttachStdout": True, "Tty": True})
        exec_id = json.loads(rest)["Id"]
        status, rest, closed = session(daemon.socket, "POST", f"/v1.41/exec/{exec_id}/start",
                                       b'{"Detach":false,"Tty":true}', send=[b"typed\n\x10\x11"], wait=3)
        assert (status, closed) == (101, True)
        inspect = json.loads(request(daemon.socket, "GET", f"/v1.41/exec/{exec_id}/json")[1])
        assert inspect["Running"] is True and inspect["ExitCode"] is None
        assert ok(daemon.docker("exec", name, "sh", "-c", "test -e /tmp/finished || echo still-reading")) == "still-reading"
    finally:
        daemon.docker("rm", "-f", name)


# [SECTION] Resize


def resize_observations(peer, image):
    seen = {}
    running, exited = unique("gbt-rs"), unique("gbt-rx")
    ok(peer.docker("run", "-d", "--name", running, image, "sleep", "300"))
    ok(peer.docker("run", "--name", exited, image, "true"))
    try:
        for label, path in (
            ("running", f"/v1.41/containers/{running}/resize?h=40&w=120"),
            ("exited", f"/v1.41/containers/{exited}/resize?h=40&w=120"),
            ("unknown", "/v1.41/containers/gbt-no-such-container/resize?h=40&w=120"),
            ("bad h", f"/v1.41/containers/{running}/resize?h=x&w=120"),
            ("no size", f"/v1.41/containers/{running}/resize"),
            ("exec unknown", "/v1.41/exec/gbt-no-such-exec/resize?h=40&w=120"),
        ):
            status, rest = request(peer.socket, "POST", path)
            seen[label] = (status, message(rest).replace(running, "RUNNING").replace(exited, "EXITED"))
        for tty in (False, True):
            status, rest = request(peer.socket, "POST", f"/v1.41/containers/{running}/exec",
                                   {"Cmd": ["sleep", "1"], "Tty": tty})
            exec_id = json.loads(rest)["Id"]
            request(peer.socket, "POST", f"/v1.41/exec/{exec_id}/start", {"Detach": True, "Tty": tty})
            seen[(tty, "exec running")] = request(peer.socket, "POST", f"/v1.41/exec/{exec_id}/resize?h=40&w=120")[0]
            status, rest = request(peer.socket, "POST", f"/v1.41/exec/{exec_id}/resize?h=x&w=1")
            seen[(tty, "exec bad h")] = (status, message(rest))
            time.sleep(1.5)
            status, rest = request(peer.socket, "POST", f"/v1.41/exec/{exec_id}/resize?h=40&w=120")
            seen[(tty, "exec ended")] = (status, message(rest))
        # Inspect the running container's id to normalise the exited one's message.
        exited_id = ok(peer.docker("inspect", "-f", "{{.Id}}", exited))
        seen["exited"] = (seen["exited"][0], seen["exited"][1].replace(exited_id, "EXITED"))
        return seen
    finally:
        peer.docker("rm", "-f", running, exited)


def test_resize_answers_as_dockerd_does(daemon, image):
    seen = OBSERVED["resize"] = resize_observations(daemon, image)
    assert seen["running"] == (200, "")
    assert seen["exited"] == (409, "Container EXITED is not running")
    assert seen["unknown"] == (404, "No such container: gbt-no-such-container")
    assert seen["bad h"] == (400, 'strconv.Atoi: parsing "x": invalid syntax')
    assert seen["no size"] == (400, 'strconv.Atoi: parsing "": invalid syntax')
    assert seen["exec unknown"] == (404, "No such exec instance: gbt-no-such-exec")
    for tty in (False, True):
        assert seen[(tty, "exec running")] == 200
        assert seen[(tty, "exec bad h")] == (400, 'strconv.Atoi: parsing "x": invalid syntax')
        assert seen[(tty, "exec ended")] == (404, "no such exec")


# [SECTION] The same calls against dockerd


@pytest.fixture(scope="module")
def dockerd(daemon):
    from dockerd_harness import running_dockerd
    with running_dockerd(daemon) as peer:
        yield peer


def test_attach_detach_and_resize_match_dockerd(daemon, dockerd, image):
    for key, observe in (("attach logs", attach_logs_observations), ("detach", detach_observations),
                         ("resize", resize_observations)):
        ours = OBSERVED.get(key) or observe(daemon, image)
        assert ours == observe(dockerd, image), key


# [SECTION] The docker CLI


def run_in_pty(argv, env, typed, wait=10.0):
    """Runs argv on a pseudo-terminal (docker attach -t and exec -it want one), types `typed`
    once it is running and returns (exit code, what it printed)."""
    pid, master = pty.fork()
    if pid == 0:  # The child: exec the CLI on the terminal.
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    output = b""
    try:
        time.sleep(1.0)
        for piece in typed:
            os.write(master, piece)
            time.sleep(0.3)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), output
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return None, output
    finally:
        os.close(master)


def test_docker_cli_detaches_with_the_keys_of_its_config_file(daemon, image, name, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"detachKeys": "ctrl-x,y"}))
    env = daemon.env() if hasattr(daemon, "env") else dict(os.environ, DOCKER_HOST=daemon.host)
    env = dict(env, DOCKER_CONFIG=str(tmp_path), TERM="xterm")
    env.pop("DOCKER_CONTEXT", None)
    ok(daemon.docker("run", "-dit", "--name", name, image, "sh"))
    try:
        # The CLI finds the keys in its own input too and ends with "read escape sequence" and
        # exit code 1, as it does against dockerd; the container runs on.
        code, output = run_in_pty(["docker", "attach", name], env, [b"echo attached-$((6*7))\r", b"\x18", b"y"])
        assert code == 1, output
        assert b"attached-42" in output
        assert b"read escape sequence" in output
        assert container_state(daemon, name) == "running"

        code, output = run_in_pty(["docker", "exec", "-it", name, "sh"], env, [b"echo in-exec-$((7*6))\r", b"\x18", b"y"])
        assert code == 1, output
        assert b"in-exec-42" in output
        assert b"read escape sequence" in output
        assert container_state(daemon, name) == "running"
    finally:
        daemon.docker("rm", "-f", name)
