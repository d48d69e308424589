"""A build whose client hangs up is cancelled (its RUN process killed, its step directory and
mounts removed, no image tagged), and `docker load` of a tar that is not an image is answered as
dockerd answers it: a 200 whose JSON stream carries errorDetail, with no path of the daemon's in
the message; a load of two images whose second fails loads neither.
"""
import os
import socket
import time

import glassbox_harness as harness


def in_cgroups(names):
    """PIDs in any of the cgroups glassbox/<name> (read from /proc/<pid>/cgroup)."""
    wanted = {f"/glassbox/{name}" for name in names}
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                paths = {line.rstrip("\n").split(":", 2)[2] for line in f}
        except OSError:
            continue
        if paths & wanted:
            found.append(pid)
    return found


def step_processes(d):
    """PIDs of this daemon's running build steps (their cgroups are named for their directories)."""
    steps = os.path.join(d.root, "tmp", "build-steps")
    ids = os.listdir(steps) if os.path.isdir(steps) else []
    return in_cgroups([f"build-{i}" for i in ids])


def test_a_build_stops_when_its_client_hangs_up(daemon):
    body = harness.tar_of({"Dockerfile": f"FROM {daemon.tag}\nRUN sleep 30\n".encode()})
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(daemon.socket)
    client.sendall(b"POST /v1.41/build?t=gbt-cancelled:1 HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Type: application/x-tar\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    deadline = time.monotonic() + 20
    while not step_processes(daemon):
        assert time.monotonic() < deadline, "the RUN step never started"
        time.sleep(0.1)
    steps_dir = os.path.join(daemon.root, "tmp", "build-steps")
    names = [f"build-{i}" for i in os.listdir(steps_dir)]
    client.close()
    started = time.monotonic()
    while in_cgroups(names) and time.monotonic() - started < 10:
        time.sleep(0.1)
    gone_after = time.monotonic() - started
    print(f"RUN step killed {gone_after:.2f} s after the client hung up")
    assert not in_cgroups(names), "the RUN step kept running after its client left"
    time.sleep(0.5)
    steps = os.path.join(daemon.root, "tmp", "build-steps")
    assert not os.path.isdir(steps) or os.listdir(steps) == []
    assert harness.mounts_under(os.path.join(daemon.root, "tmp")) == []
    assert daemon.request("GET", "/v1.41/images/gbt-cancelled:1/json")[0] == 404


def load(daemon, body):
    conn = harness.UnixHTTPConnection(daemon.socket)
    try:
        conn.request("POST", "/v1.41/images/load?quiet=1", body=body, headers={"Content-Type": "application/x-tar"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_load_errors_have_dockerds_shape_without_daemon_paths(daemon):
    import json
    cases = {
        "not a tar": (b"this is not a tar at all" * 100, "Error processing tar file"),
        "a tar without an image": (harness.tar_of({"hello.txt": b"hi\n"}), "manifest.json"),
        "a truncated tar": (harness.tar_of({"hello.txt": b"hi\n" * 300})[:700], "Error processing tar file"),
    }
    for what, (body, wanted) in cases.items():
        status, answer = load(daemon, body)
        assert status == 200, (what, answer)
        message = json.loads(answer.decode().strip().splitlines()[-1])
        assert message["errorDetail"]["message"] == message["error"], (what, message)
        assert wanted in message["error"], (what, message)
        assert daemon.root not in message["error"] and "/tmp/" not in message["error"], (what, message)
    assert os.listdir(os.path.join(daemon.root, "tmp")) in ([], ["build-steps"])


def test_a_two_image_load_whose_second_layer_is_bad_loads_neither(daemon):
    """A load is all or nothing: the first image of the archive is taken back when the second
    fails its diff id, and the error names the entry (dockerd would keep the first)."""
    import hashlib
    import json
    layers = [harness.tar_of({f"file{i}": f"content {i}\n".encode()}) for i in (1, 2)]
    configs = []
    for i, diff_source in ((1, layers[0]), (2, layers[0])):
        # The second config names the first layer's diff id but its archive holds another layer.
        configs.append(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"n": str(i)}},
                                   "rootfs": {"type": "layers",
                                              "diff_ids": ["sha256:" + hashlib.sha256(diff_source).hexdigest()]}}).encode())
    names = [hashlib.sha256(c).hexdigest() + ".json" for c in configs]
    manifest = [{"Config": names[i], "RepoTags": [f"halfway{i}:1"], "Layers": [f"l{i}/layer.tar"]} for i in (0, 1)]
    body = harness.tar_of({"manifest.json": json.dumps(manifest).encode(), names[0]: configs[0], names[1]: configs[1],
                           "l0/layer.tar": layers[0], "l1/layer.tar": layers[1]})
    status, answer = load(daemon, body)
    assert status == 200, answer
    message = json.loads(answer.decode().strip().splitlines()[-1])
    assert "manifest.json[1]" in message["error"] and "nothing from the archive was loaded" in message["error"], message
    for i in (0, 1):
        assert daemon.request("GET", f"/v1.41/images/halfway{i}:1/json")[0] == 404
