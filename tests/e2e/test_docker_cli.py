"""The real docker CLI (28.x) against glassboxd: DOCKER_HOST=unix://<private socket> docker ...
One test per command of the "Docker compatibility" issue; the exit codes and outputs asserted are
the ones the real dockerd gives.
"""
import json
import os
import pty
import re
import select
import tty
import subprocess
import time

import pytest

from glassbox_harness import unique

pytestmark = pytest.mark.usefixtures("docker_cli")


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def inspect(daemon, what):
    data = json.loads(ok(daemon.docker("inspect", what)))
    assert isinstance(data, list) and len(data) == 1
    return data[0]


def wait_for(predicate, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def run_detached(daemon, image, *cmd, name=None, extra=()):
    name = name or unique("gbt")
    out = ok(daemon.docker("run", "-d", "--name", name, *extra, image, *cmd))
    assert re.fullmatch(r"[0-9a-f]{64}\n", out), out
    return name


def wait_exited(daemon, name):
    wait_for(lambda: not inspect(daemon, name)["State"]["Running"], what=f"{name} to exit")


# [SECTION] System

def test_version(daemon):
    out = ok(daemon.docker("version", "--format", "{{json .Server}}"))
    server = json.loads(out)
    assert server["ApiVersion"] == "1.41"
    assert server["Os"] == "linux"


def test_info(daemon):
    info = json.loads(ok(daemon.docker("info", "--format", "{{json .}}")))
    assert isinstance(info["Containers"], int)
    assert isinstance(info["Images"], int) and info["Images"] >= 1
    assert info["OSType"] == "linux"


def test_system_df(daemon):
    out = ok(daemon.docker("system", "df"))
    assert "Images" in out and "Containers" in out and "Local Volumes" in out


# [SECTION] ps

def test_ps_lists_running_and_ps_a_lists_created(daemon, image, name):
    ok(daemon.docker("create", "--name", name, image, "true"))

    running = ok(daemon.docker("ps", "--format", "{{.Names}}")).split()
    everything = ok(daemon.docker("ps", "-a", "--format", "{{.Names}}")).split()

    assert name not in running
    assert name in everything
    assert ok(daemon.docker("ps")).startswith("CONTAINER ID")
    ok(daemon.docker("rm", name))


def test_ps_filter_by_name_and_status(daemon, image, name):
    other = unique("gbt")
    run_detached(daemon, image, "sleep", "300", name=name)
    ok(daemon.docker("create", "--name", other, image, "true"))

    by_name = ok(daemon.docker("ps", "-a", "--filter", f"name={name}", "--format", "{{.Names}}"))
    created = ok(daemon.docker("ps", "-a", "--filter", "status=created", "--format", "{{.Names}}"))
    running = ok(daemon.docker("ps", "--filter", "status=running", "--format", "{{.Names}}"))

    assert by_name.split() == [name]
    assert other in created.split() and name not in created.split()
    assert name in running.split() and other not in running.split()
    ok(daemon.docker("rm", "-f", name, other))


# [SECTION] run

def test_run_rm_echo(daemon, image, name):
    result = daemon.docker("run", "--rm", "--name", name, image, "echo", "hi")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "hi\n"
    assert name not in ok(daemon.docker("ps", "-a", "--format", "{{.Names}}")).split()


def test_run_rm_exit_code(daemon, image):
    result = daemon.docker("run", "--rm", image, "sh", "-c", "exit 3")

    assert result.returncode == 3, result.stderr


def test_run_detached_with_name(daemon, image, name):
    run_detached(daemon, image, "sleep", "300", name=name)

    state = inspect(daemon, name)["State"]

    assert state["Running"] is True and state["Pid"] > 1
    ok(daemon.docker("rm", "-f", name))


def test_run_interactive_pipes_stdin(daemon, image):
    result = daemon.docker("run", "--rm", "-i", image, "sh", "-c", "cat; echo done",
                           input="hello-stdin\nsecond line\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello-stdin\nsecond line\ndone\n"


def test_run_tty_under_a_pseudo_terminal(daemon, image):
    master, slave = pty.openpty()
    tty.setraw(slave)  # Our side of the terminal adds nothing; "\r\n" comes from the container's pty.
    proc = subprocess.Popen(["docker", "run", "--rm", "-t", image, "sh", "-c", "tty; echo tty-out"],
                            stdin=slave, stdout=slave, stderr=slave, env=daemon.env(),
                            start_new_session=True)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the slave side is closed.
                    break
                if not chunk:
                    break
                output += chunk
            elif proc.poll() is not None:
                break
        rc = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)

    text = output.decode(errors="replace")
    assert rc == 0, text
    assert re.search(r"/dev/pts/\d+", text), text
    assert "tty-out\r\n" in text, repr(text)


# [SECTION] exec

def test_exec_runs_in_the_container_and_returns_its_exit_code(daemon, image, name):
    run_detached(daemon, image, "sleep", "300", name=name)

    hostname = ok(daemon.docker("exec", name, "hostname")).strip()
    failing = daemon.docker("exec", name, "sh", "-c", "exit 5")

    assert hostname == inspect(daemon, name)["Config"]["Hostname"]
    assert failing.returncode == 5
    ok(daemon.docker("rm", "-f", name))


def test_exec_interactive_pipes_stdin(daemon, image, name):
    run_detached(daemon, image, "sleep", "300", name=name)

    result = daemon.docker("exec", "-i", name, "sh", "-c", "cat > /tmp/in; cat /tmp/in",
                           input="via-exec\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "via-exec\n"
    ok(daemon.docker("rm", "-f", name))


# [SECTION] logs

def test_logs_keeps_stdout_and_stderr_apart(daemon, image, name):
    run_detached(daemon, image, "sh", "-c", "echo to-out; echo to-err >&2", name=name)
    wait_exited(daemon, name)

    result = daemon.docker("logs", name)

    assert result.returncode == 0
    assert result.stdout == "to-out\n"
    assert result.stderr == "to-err\n"
    ok(daemon.docker("rm", name))


def test_logs_follow_ends_when_the_container_exits(daemon, image, name):
    run_detached(daemon, image, "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.5; done",
                 name=name)

    started = time.monotonic()
    result = daemon.docker("logs", "-f", name, timeout=30)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "line1\nline2\nline3\n"
    assert time.monotonic() - started < 15
    ok(daemon.docker("rm", name))


def test_logs_tail(daemon, image, name):
    run_detached(daemon, image, "sh", "-c", "for i in 1 2 3 4 5; do echo $i; done", name=name)
    wait_exited(daemon, name)

    assert ok(daemon.docker("logs", "--tail", "2", name)) == "4\n5\n"
    ok(daemon.docker("rm", name))


# [SECTION] stop, kill, restart, rm

def test_stop_kills_a_pid1_that_ignores_sigterm_after_the_timeout(daemon, image, name):
    run_detached(daemon, image, "sleep", "300", name=name)

    started = time.monotonic()
    out = ok(daemon.docker("stop", "-t", "1", name))
    elapsed = time.monotonic() - started

    assert out.strip() == name
    state = inspect(daemon, name)["State"]
    assert state["Running"] is False and state["ExitCode"] == 137
    assert 0.8 < elapsed < 10
    ok(daemon.docker("rm", name))


def test_kill_sends_sigkill_and_rejects_unknown_signals(daemon, image, name):
    run_detached(daemon, image, "sleep", "300", name=name)

    bad = daemon.docker("kill", "-s", "SIGNOPE", name)
    ok(daemon.docker("kill", name))
    wait_exited(daemon, name)

    assert bad.returncode != 0 and "NOPE" in bad.stderr
    assert inspect(daemon, name)["State"]["ExitCode"] == 137
    ok(daemon.docker("rm", name))


def test_restart_starts_a_new_process(daemon, image, name):
    run_detached(daemon, image, "sleep", "300", name=name)
    before = inspect(daemon, name)["State"]

    ok(daemon.docker("restart", "-t", "1", name))

    after = inspect(daemon, name)["State"]
    assert after["Running"] is True
    assert after["Pid"] != before["Pid"]
    assert after["StartedAt"] != before["StartedAt"]
    ok(daemon.docker("rm", "-f", name))


def test_rm_refuses_a_running_container_and_rm_f_removes_it(daemon, image, name):
    run_detached(daemon, image, "sleep", "300", name=name)

    refused = daemon.docker("rm", name)
    forced = daemon.docker("rm", "-f", name)

    assert refused.returncode != 0 and "Error response from daemon" in refused.stderr
    assert forced.returncode == 0 and forced.stdout.strip() == name
    assert daemon.docker("inspect", name).returncode != 0


# [SECTION] inspect

def test_inspect_container_image_and_volume(daemon, image, name):
    volume = unique("gbv")
    ok(daemon.docker("volume", "create", volume))
    ok(daemon.docker("create", "--name", name, "-v", f"{volume}:/data", image, "true"))

    container = inspect(daemon, name)
    img = json.loads(ok(daemon.docker("image", "inspect", image)))[0]
    vol = json.loads(ok(daemon.docker("volume", "inspect", volume)))[0]

    assert re.fullmatch(r"[0-9a-f]{64}", container["Id"])
    assert container["Name"] == "/" + name
    assert container["Config"]["Image"] == image
    assert container["State"]["Status"] == "created"
    assert [m["Name"] for m in container["Mounts"]] == [volume]
    assert image in img["RepoTags"] and img["Id"].startswith("sha256:")
    assert vol["Name"] == volume and vol["Driver"] == "local"
    assert os.path.isdir(vol["Mountpoint"])
    ok(daemon.docker("rm", name))
    ok(daemon.docker("volume", "rm", volume))


def test_inspect_unknown_object_fails_cleanly(daemon):
    result = daemon.docker("inspect", "no-such-object-anywhere")

    assert result.returncode == 1
    assert "no-such-object-anywhere" in result.stderr


# [SECTION] volumes

def test_volume_create_ls_inspect_rm(daemon):
    volume = unique("gbv")

    assert ok(daemon.docker("volume", "create", volume)).strip() == volume
    assert volume in ok(daemon.docker("volume", "ls", "--format", "{{.Name}}")).split()
    assert json.loads(ok(daemon.docker("volume", "inspect", volume)))[0]["Name"] == volume
    assert ok(daemon.docker("volume", "rm", volume)).strip() == volume
    assert volume not in ok(daemon.docker("volume", "ls", "--format", "{{.Name}}")).split()
    assert daemon.docker("volume", "inspect", volume).returncode != 0


def test_named_volume_data_is_seen_from_a_second_container(daemon, image):
    volume = unique("gbv")

    ok(daemon.docker("run", "--rm", "-v", f"{volume}:/data", image, "sh", "-c",
                     "echo kept > /data/file"))
    out = ok(daemon.docker("run", "--rm", "-v", f"{volume}:/data", image, "cat", "/data/file"))

    assert out == "kept\n"
    ok(daemon.docker("volume", "rm", volume))


# [SECTION] events

def test_events_since_until_show_the_life_of_a_container(daemon, image, name):
    since = int(time.time()) - 1
    ok(daemon.docker("run", "--rm", "--name", name, image, "true"))
    until = int(time.time()) + 1

    out = ok(daemon.docker("events", "--since", str(since), "--until", str(until),
                           "--filter", f"container={name}", "--format", "{{json .}}", timeout=30))

    actions = [json.loads(line)["Action"] for line in out.splitlines() if line.strip()]
    for action in ("create", "start", "die", "destroy"):
        assert action in actions, actions
    assert actions.index("create") < actions.index("start") < actions.index("die")


# [SECTION] images

def test_images_lists_the_base_image(daemon, image):
    out = ok(daemon.docker("images", "--format", "{{.Repository}}:{{.Tag}}"))

    assert image in out.split()


def test_tag_and_rmi(daemon, image):
    alias = f"gbt-local/alias:{unique('t')}"

    ok(daemon.docker("tag", image, alias))
    tagged = ok(daemon.docker("images", "--format", "{{.Repository}}:{{.Tag}}")).split()
    removed = ok(daemon.docker("rmi", alias))
    after = ok(daemon.docker("images", "--format", "{{.Repository}}:{{.Tag}}")).split()

    assert alias in tagged
    assert f"Untagged: {alias}" in removed
    assert alias not in after and image in after


def test_rmi_unknown_image_fails(daemon):
    result = daemon.docker("rmi", "gbt-none/never:1")

    assert result.returncode != 0 and "gbt-none/never:1" in result.stderr


def test_history(daemon, image):
    rows = ok(daemon.docker("history", "--format", "{{.ID}} {{.Size}}", image)).splitlines()

    assert len(rows) >= 1


def test_pull_fails_cleanly_without_hanging(daemon):
    # A loopback registry that does not exist: no traffic leaves the machine.
    result = daemon.docker("pull", "127.0.0.1:9/gbt/none:1", timeout=60)

    assert result.returncode != 0
    assert result.stderr.strip(), "pull failed without a message"


def test_run_of_a_missing_command_exits_127_and_rm_removes_it(daemon, image):
    name = unique("gbt-nope")

    result = daemon.docker("run", "--rm", "--name", name, image, "gbt-no-such-command", timeout=30)

    assert result.returncode == 127, result.stderr
    assert 'exec: "gbt-no-such-command": executable file not found in $PATH' in result.stderr
    assert daemon.docker("inspect", name).returncode != 0
