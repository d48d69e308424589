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

    assert 400 <= status < 500, f"HTTP {status} {answer[:300]!r}"
    assert b"nested deeper than 256 levels" in answer
    assert daemon.request("GET", "/v1.41/images/deep:config/json")[0] == 404
    assert_alive(daemon)
