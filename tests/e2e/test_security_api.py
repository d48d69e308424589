"""Hostile API input against a private glassboxd: deeply nested JSON in every place a client's
JSON is parsed (request bodies, filters, build parameters), and huge values of the wrong type.
Each must be refused with a 4xx whose message does not echo the input, the daemon must keep
answering /_ping, and its memory must stay bounded.
"""
import json
import urllib.parse

import pytest

from glassbox_harness import UnixHTTPConnection


def nested(depth, open_="[", close="]"):
    return open_ * depth + close * depth


def raw_request(daemon, method, path, body=b"", timeout=60):
    conn = UnixHTTPConnection(daemon.socket, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def assert_alive(daemon):
    assert daemon.proc.poll() is None, "glassboxd died:\n" + daemon.log_text()
    assert daemon.request("GET", "/_ping", timeout=10)[0] == 200


def create_bodies(depth):
    deep = nested(depth)
    deep_object = nested(depth, '{"a":', "}").replace('{"a":}', '{"a":1}')
    return {
        "Labels": '{"Image":"busybox","Labels":' + deep_object + "}",
        "Cmd": '{"Image":"busybox","Cmd":' + deep + "}",
        "Env": '{"Image":"busybox","Env":' + deep + "}",
        "Image": '{"Image":' + deep + "}",
        "HostConfig": '{"Image":"busybox","HostConfig":{"Binds":' + deep + "}}",
    }


@pytest.mark.parametrize("depth", [100000, 1000000])
def test_deep_json_bodies_get_400_without_echo_and_the_daemon_lives(daemon, depth):
    before = rss_kib(daemon.pid)
    targets = [(f"/v1.41/containers/create ({field})", "/v1.41/containers/create", body)
               for field, body in create_bodies(depth).items()]
    deep = nested(depth)
    targets += [
        ("networks/create", "/v1.41/networks/create", '{"Name":"x","Labels":' + deep + "}"),
        ("volumes/create", "/v1.41/volumes/create", '{"Name":"x","DriverOpts":' + deep + "}"),
        ("whole body", "/v1.41/containers/create", deep),
    ]
    for label, path, body in targets:
        status, answer = raw_request(daemon, "POST", path, body.encode())

        assert status == 400, f"{label}: HTTP {status} {answer[:300]!r}"
        assert len(answer) < 400, f"{label}: the error echoes the input ({len(answer)} bytes)"
        assert b"nested deeper than 256 levels" in answer, f"{label}: {answer[:300]!r}"
        assert_alive(daemon)

    grown_mib = (rss_kib(daemon.pid) - before) / 1024
    print(f"depth {depth}: RSS grew by {grown_mib:.1f} MiB over {len(targets)} requests")
    assert grown_mib < 200, f"daemon RSS grew by {grown_mib:.0f} MiB"


def test_deep_json_in_query_parameters_gets_400(daemon):
    deep = urllib.parse.quote('{"label":' + nested(100000) + "}")
    for path in (f"/v1.41/containers/json?filters={deep}",
                 f"/v1.41/images/json?filters={deep}",
                 f"/v1.41/build?buildargs={urllib.parse.quote(nested(100000))}"):
        status, answer = raw_request(daemon, "POST" if "/build" in path else "GET", path)

        assert status == 400, f"{path[:40]}: HTTP {status} {answer[:300]!r}"
        assert len(answer) < 400, f"{path[:40]}: the error echoes the input"
        assert_alive(daemon)


def test_shallow_but_deep_enough_body_still_works(daemon):
    # Depth 20 is far more than Docker's bodies use; the limit must not get in the way of them.
    labels = {"a": "b"}
    body = {"Image": daemon.tag, "Cmd": ["true"], "Labels": labels,
            "HostConfig": {"LogConfig": {"Type": "json-file", "Config": {}}}}
    status, answer = raw_request(daemon, "POST", "/v1.41/containers/create", json.dumps(body).encode())
    assert status == 201, answer
    cid = json.loads(answer)["Id"]
    assert daemon.request("DELETE", f"/v1.41/containers/{cid}?force=1")[0] == 204


def test_huge_values_of_the_wrong_type_are_not_echoed(daemon):
    huge = "x" * (5 * 1024 * 1024)
    for body in ({"Image": daemon.tag, "Hostname": [huge]},
                 {"Image": daemon.tag, "Labels": {huge: 1}},
                 {"Image": huge},
                 {"Image": daemon.tag, "HostConfig": {"PortBindings": {huge: 1}}}):
        status, answer = raw_request(daemon, "POST", "/v1.41/containers/create", json.dumps(body).encode())

        assert 400 <= status < 500, f"HTTP {status} {answer[:300]!r}"
        assert len(answer) < 2500, f"the error echoes the input ({len(answer)} bytes)"
        assert_alive(daemon)


def test_image_load_with_a_deeply_nested_config_is_refused(daemon):
    # Image configs come from `load` and registries; one nested 100000 deep used to load, and
    # the next inspect of it killed the daemon.
    import hashlib
    import io
    import tarfile

    config = ('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},'
              '"config":{"Env":' + nested(100000) + "}}").encode()
    digest = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": digest + ".json", "RepoTags": ["deep:config"], "Layers": []}]).encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for name, data in (("manifest.json", manifest), (digest + ".json", config)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

    status, answer = raw_request(daemon, "POST", "/v1.41/images/load", archive.getvalue())

    # dockerd answers a load that fails after the stream started with 200 and an errorDetail
    # object in the stream (the docker CLI and SDK read it there); glassboxd does the same.
    assert status == 200 or 400 <= status < 500, f"HTTP {status} {answer[:300]!r}"
    assert b"nested deeper than 256 levels" in answer
    if status == 200:
        assert b'"errorDetail"' in answer, answer[:300]
    assert daemon.request("GET", "/v1.41/images/deep:config/json")[0] == 404
    assert_alive(daemon)


# [SECTION] Values Docker refuses at create (each answer names the field)

@pytest.mark.parametrize("host_config, config, field", [
    ({"ShmSize": -1}, {}, "HostConfig.ShmSize"),
    ({"Ulimits": [{"Name": "nofile", "Soft": 1e20, "Hard": 1e20}]}, {}, "HostConfig.Ulimits[0].Soft"),
    ({"Ulimits": [{"Name": "nofile", "Soft": 2048, "Hard": 1024}]}, {}, "HostConfig.Ulimits[0].Soft"),
    ({"Ulimits": [{"Name": "bogus", "Soft": 1, "Hard": 1}]}, {}, "HostConfig.Ulimits[0].Name"),
    ({"Memory": 1e20}, {}, "HostConfig.Memory"),
    ({"Memory": 18446744073709551615}, {}, "HostConfig.Memory"),
    ({}, {"Hostname": "web\n127.0.0.1 evil"}, "Hostname"),
    ({}, {"Hostname": "h" * 65}, "Hostname"),
    ({"Dns": ["8.8.8.8\nnameserver 10.0.0.1"]}, {}, "HostConfig.Dns[0]"),
    ({"ExtraHosts": ["a:1.2.3.4\n5.6.7.8 b"]}, {}, "HostConfig.ExtraHosts[0]"),
    ({"Binds": ["vol:/proc"]}, {}, "HostConfig.Binds[0]"),
    ({"Binds": ["/tmp:/proc/sys/kernel:ro"]}, {}, "HostConfig.Binds[0]"),
    ({"Binds": ["/tmp:/data", "vol://proc/."]}, {}, "HostConfig.Binds[1]"),
    ({"Binds": ["vol:/x/../sys"]}, {}, "HostConfig.Binds[0]"),
    ({"Binds": ["vol:/"]}, {}, "HostConfig.Binds[0]"),
    ({"Mounts": [{"Type": "volume", "Target": "/dev"}]}, {}, "HostConfig.Mounts[0].Target"),
    ({"Tmpfs": {"/proc": ""}}, {}, "HostConfig.Tmpfs"),
    ({}, {"Volumes": {"/proc": {}}}, "Volumes"),
])
def test_create_refuses_values_docker_refuses_naming_the_field(daemon, host_config, config, field):
    body = {"Image": daemon.tag, "Cmd": ["true"], **config, "HostConfig": host_config}

    status, answer = raw_request(daemon, "POST", "/v1.41/containers/create", json.dumps(body).encode())

    assert status == 400, f"HTTP {status} {answer[:300]!r}"
    assert json.loads(answer)["message"].startswith(field), answer


def test_create_still_accepts_ordinary_mounts_and_limits(daemon):
    body = {"Image": daemon.tag, "Cmd": ["true"], "Hostname": "web-1.example", "Volumes": {"/data": {}},
            "HostConfig": {"Binds": ["/tmp:/mnt/tmp:ro"], "Tmpfs": {"/run": ""}, "ShmSize": 67108864,
                           "Dns": ["10.0.0.2", "fd00::53"], "Memory": 67108864.0,
                           "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 4096}],
                           "Mounts": [{"Type": "tmpfs", "Target": "/dev/shm2"}]}}

    status, answer = raw_request(daemon, "POST", "/v1.41/containers/create", json.dumps(body).encode())

    assert status == 201, answer
    assert daemon.request("DELETE", f"/v1.41/containers/{json.loads(answer)['Id']}?force=1")[0] == 204


# [SECTION] State directory and socket modes (CVE-2021-41091, CVE-2014-3499)

def test_state_directories_and_socket_are_closed_to_other_users(daemon):
    import os
    import stat
    import subprocess

    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(daemon.root) == 0o710
    assert mode(os.path.join(daemon.root, "volumes")) == 0o700
    assert mode(os.path.join(daemon.root, "containers")) == 0o700
    assert mode(daemon.socket) == 0o660

    def as_nobody():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)

    # The temp directory above the root is private to root too; what matters is the root itself.
    os.chmod(daemon.tmp, 0o711)
    looked = subprocess.run(["ls", os.path.join(daemon.root, "volumes")], preexec_fn=as_nobody,
                            capture_output=True, text=True, timeout=10)
    assert looked.returncode != 0 and "Permission denied" in looked.stderr, looked
    connected = subprocess.run(["/usr/bin/python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX);"
                                f" s.connect({daemon.socket!r})"], preexec_fn=as_nobody,
                               capture_output=True, text=True, timeout=10)
    assert connected.returncode != 0 and "Permission denied" in connected.stderr, connected
