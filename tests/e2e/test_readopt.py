"""Re-adoption after a daemon crash: glassboxd is SIGKILLed while containers run (one on the
default bridge, one on a user bridge network), and the restarted daemon finds the same processes
(same PID, same start time) and supervises them again instead of killing them.

Checks: the container is still running with the same PID and `ps` lists it once; `exec` works;
the user network's DNS still answers; output the container writes after the restart reaches its
log (the daemon reopens the same stdout pipe); `stop` ends it promptly and records its exit; `rm`
releases its address, cgroup and mounts, and no process of it is left. About 15 s.

A container publishing a port (-p HOSTPORT:80, httpd inside) answers on 127.0.0.1:HOSTPORT
before the crash and again after the restart (the new daemon starts the port's proxy again and
puts its DNAT rules back in its nft table), and after `rm` the rules are gone and the port is free
to bind. A second one publishes -p 80, a host port the kernel chose: it keeps that port after the
restart (the record holds the ports as bound). About 6 s more.
"""
import glob
import os
import socket
import subprocess
import time

import pytest

import glassbox_harness as harness


@pytest.fixture(scope="module")
def daemon():
    reason = harness.missing_reason()
    if reason:
        pytest.skip(reason)
    d = harness.Daemon(label="readopt").start()
    try:
        yield d
    finally:
        left = d.stop()
        assert not left, f"glassboxd left mounts behind: {left}"


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}: {result.stdout}{result.stderr}"
    return result.stdout


def inspect(d, name):
    status, info = d.api_json("GET", f"/v1.41/containers/{name}/json")
    assert status == 200, info
    return info


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()[19]


def alive(pid):
    """A process, not a zombie, with this PID."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return False
    return text[text.rindex(")") + 2:].split()[0] not in ("Z", "X")


def cgroup_dirs(container_id):
    """The container's cgroup directories on this host's layout (v2, or each v1 hierarchy)."""
    return glob.glob(f"/sys/fs/cgroup/glassbox/{container_id}") + glob.glob(f"/sys/fs/cgroup/*/glassbox/{container_id}")


def wait_until(predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_restart_after_sigkill_readopts_running_containers(daemon):
    d = daemon
    net = harness.unique("gbra-net")
    plain, web = harness.unique("gbra-plain"), harness.unique("gbra-web")
    ok(d.cli("network", "create", net))
    # PID 1 is a shell that prints a line on SIGUSR1, to show the output pipe is read again.
    ok(d.cli("run", "-d", "--name", plain, d.tag, "sh", "-c",
             "trap 'echo after the restart' USR1; echo before the crash; while :; do sleep 1 & wait; done"))
    ok(d.cli("run", "-d", "--name", web, "--network", net, d.tag, "sleep", "300"))
    assert wait_until(lambda: "before the crash" in d.cli("logs", plain).stdout)
    before = {name: inspect(d, name) for name in (plain, web)}
    pids = {name: info["State"]["Pid"] for name, info in before.items()}
    starts = {name: start_time(pid) for name, pid in pids.items()}
    web_id = before[web]["Id"]
    assert all(cgroup_dirs(info["Id"]) for info in before.values())
    web_ip = before[web]["NetworkSettings"]["Networks"][net]["IPAddress"]
    assert web_ip

    d.kill_and_restart()

    for name in (plain, web):
        info = inspect(d, name)
        assert info["State"]["Running"], f"{name} not running after the restart: {info['State']}"
        assert info["State"]["Pid"] == pids[name]
        assert start_time(pids[name]) == starts[name], f"{name}'s PID names another process now"
    assert inspect(d, web)["NetworkSettings"]["Networks"][net]["IPAddress"] == web_ip
    status, listed = d.api_json("GET", "/v1.41/containers/json")
    assert status == 200
    ids = [c["Id"] for c in listed]
    for name in (plain, web):
        assert ids.count(before[name]["Id"]) == 1, f"ps lists {name} {ids.count(before[name]['Id'])} times"
    ps = ok(d.cli("ps"))
    assert ps.count(plain) == 1 and ps.count(web) == 1, ps

    assert ok(d.cli("exec", plain, "echo", "exec works")).strip() == "exec works"
    # The embedded DNS of the user network answers for the re-adopted container, from inside it.
    answer = ok(d.cli("exec", web, "nslookup", web))
    assert web_ip in answer, answer
    status, stats = d.api_json("GET", f"/v1.41/containers/{web}/stats?stream=false")
    assert status == 200 and stats.get("pids_stats", {}).get("current", 0) >= 1, stats
    status, _ = d.api_json("POST", f"/v1.41/containers/{plain}/kill?signal=USR1")
    assert status == 204
    assert wait_until(lambda: "after the restart" in d.cli("logs", plain).stdout), d.cli("logs", plain).stdout

    # stop: PID 1 has no handler for SIGTERM (a namespace's init ignores it), so -t 1 ends in SIGKILL.
    began = time.monotonic()
    ok(d.cli("stop", "-t", "1", web))
    assert time.monotonic() - began < 10
    state = inspect(d, web)["State"]
    assert not state["Running"] and state["Status"] == "exited", state
    # The status is known when it could be read from the zombie; otherwise 255 says why.
    assert state["ExitCode"] == 137 or (state["ExitCode"] == 255 and "re-adopted" in state["Error"]), state
    assert state["FinishedAt"] != "0001-01-01T00:00:00Z"
    assert wait_until(lambda: not alive(pids[web]))

    ok(d.cli("rm", web))
    ok(d.cli("rm", "-f", plain))
    assert wait_until(lambda: not alive(pids[plain]))
    status, network = d.api_json("GET", f"/v1.41/networks/{net}")
    assert status == 200 and not network["Containers"], network
    for name in (plain, web):
        cid = before[name]["Id"]
        assert not cgroup_dirs(cid), f"cgroup of {name} left: {cgroup_dirs(cid)}"
        assert not harness.mounts_under(os.path.join(d.root, "containers", cid)), f"mounts of {name} left"
    assert not os.path.exists(os.path.join(d.run_root, "network", "netns", web_id))
    ok(d.cli("network", "rm", net))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port):
    """The reply to GET / on 127.0.0.1:port, or "" when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as conn:
            conn.settimeout(3)
            conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
            reply = b""
            while chunk := conn.recv(4096):
                reply += chunk
            return reply.decode(errors="replace")
    except OSError:
        return ""


def bindable(port):
    """Whether a listening socket can take 0.0.0.0:port (SO_REUSEADDR: the proxy's closed
    connections may linger in TIME_WAIT; only a listener still holding the port makes this fail)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            s.listen()
        except OSError:
            return False
    return True


def dnat_rules(d, port):
    """The daemon's nft rules that publish host port `port`, or None where its table is unknown."""
    args = list(d.proc.args)
    if "--nft-table" not in args:
        return None
    table = args[args.index("--nft-table") + 1]
    listing = subprocess.run(["nft", "list", "table", "ip", table], capture_output=True, text=True)
    return [line for line in listing.stdout.splitlines() if f"publish {port}/tcp" in line]


def test_published_port_answers_again_after_the_restart_and_is_freed_by_rm(daemon):
    d = daemon
    name = harness.unique("gbra-port")
    port = free_port()
    chosen_name = harness.unique("gbra-chosen")
    fixed = free_port()
    while fixed == port:
        fixed = free_port()
    serve = "mkdir -p /www && echo hi from the container > /www/index.html && exec httpd -f -p 80 -h /www"
    ok(d.cli("run", "-d", "--name", name, "-p", f"{port}:80", d.tag, "sh", "-c", serve))
    # Container port 80 published twice: on a fixed host port and on one the kernel chooses.
    ok(d.cli("run", "-d", "--name", chosen_name, "-p", f"{fixed}:80", "-p", "80", d.tag, "sh", "-c", serve))
    try:
        assert wait_until(lambda: "hi from the container" in http_get(port)), http_get(port)
        chosen_ports = {int(b["HostPort"]) for b in inspect(d, chosen_name)["NetworkSettings"]["Ports"]["80/tcp"]}
        assert fixed in chosen_ports and len(chosen_ports) == 2, chosen_ports
        chosen = (chosen_ports - {fixed}).pop()
        assert wait_until(lambda: "hi from the container" in http_get(chosen)), http_get(chosen)
        info = inspect(d, name)
        assert info["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"] == str(port), info["NetworkSettings"]
        pid = info["State"]["Pid"]
        container_ip = info["NetworkSettings"]["IPAddress"]
        before = dnat_rules(d, port)
        assert before is None or len(before) == 2, before

        d.kill_and_restart()

        info = inspect(d, name)
        assert info["State"]["Running"] and info["State"]["Pid"] == pid, info["State"]
        assert info["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"] == str(port), info["NetworkSettings"]
        # Through the userland proxy (loopback), and to the container's own address.
        assert "hi from the container" in http_get(port), http_get(port)
        with socket.create_connection((container_ip, 80), timeout=3):
            pass
        after = dnat_rules(d, port)
        assert after is None or (len(after) == 2 and all(f"{container_ip}:80" in rule for rule in after)), after
        # The port the kernel chose is the same after the restart (not handed the fixed one's
        # record), and answers.
        chosen_info = inspect(d, chosen_name)
        after_ports = {int(b["HostPort"]) for b in chosen_info["NetworkSettings"]["Ports"]["80/tcp"]}
        assert after_ports == {fixed, chosen}, chosen_info["NetworkSettings"]
        assert "hi from the container" in http_get(chosen), http_get(chosen)
    finally:
        ok(d.cli("rm", "-f", name))
        ok(d.cli("rm", "-f", chosen_name))
    assert wait_until(lambda: not alive(pid))
    assert http_get(port) == ""
    assert bindable(port), f"port {port} still held after rm"
    gone = dnat_rules(d, port)
    assert gone is None or gone == [], gone


def test_an_rm_container_whose_run_ended_while_the_daemon_was_down_is_removed_at_start(daemon):
    # No record of an --rm container's exit is written (it is removed right after), so a daemon
    # that was down when the run ended removes it as it starts, as dockerd's restore does, rather
    # than showing it exited with a made-up code.
    import signal
    d = daemon
    name = harness.unique("gbra-rm")
    ok(d.cli("run", "-d", "--rm", "--name", name, "--network", "none", d.tag, "sleep", "300"))
    info = inspect(d, name)
    pid = info["State"]["Pid"]
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(timeout=20)
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not alive(pid))
    d.relaunch(d.proc.args)
    assert d.api_json("GET", f"/v1.41/containers/{name}/json")[0] == 404
    assert not glob.glob(os.path.join(d.root, "containers", info["Id"]))
