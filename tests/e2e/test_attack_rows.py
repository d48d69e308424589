"""The attack table of docs/security.md, rows that need a whole daemon: each test loads or builds a
hostile image into a private glassboxd, tries the attack, and asserts that it failed and that the
host is unharmed (a victim directory outside the daemon's root keeps its contents, nothing is
created where the attack aimed). The row number is in each test's name.
"""
import hashlib
import io
import json
import os
import shutil
import socket
import tarfile
import tempfile
import time

import pytest

import glassbox_harness as harness

# [SECTION] Hostile images


def tar_bytes(members):
    """A plain tar of (TarInfo, bytes-or-None) pairs."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def entry(name, kind=tarfile.REGTYPE, data=None, mode=0o644, target="", xattrs=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = target
    info.mtime = 1700000000
    if xattrs:
        info.pax_headers = {f"SCHILY.xattr.{key}": value for key, value in xattrs.items()}
    return info, data


def directory(name, mode=0o755):
    return entry(name, tarfile.DIRTYPE, mode=mode)


def symlink(name, target):
    return entry(name, tarfile.SYMTYPE, target=target, mode=0o777)


def load_image(daemon, tag, layers, config=None):
    """`docker load` of an image made of the base image's layer and `layers` (each a list of tar
    members), with `config` as its container config. Returns (HTTP status, answer)."""
    with open(harness.BASE_TAR, "rb") as f:
        blobs = [f.read()] + [tar_bytes(members) for members in layers]
    diff_ids = ["sha256:" + hashlib.sha256(blob).hexdigest() for blob in blobs]
    image_config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": dict({"Cmd": ["sh"]}, **(config or {})),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }).encode()
    config_name = hashlib.sha256(image_config).hexdigest() + ".json"
    layer_names = [f"l{i}/layer.tar" for i in range(len(blobs))]
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": layer_names}]).encode()
    archive = tar_bytes([entry("manifest.json", data=manifest), entry(config_name, data=image_config)]
                        + [entry(name, data=blob) for name, blob in zip(layer_names, blobs)])
    conn = harness.UnixHTTPConnection(daemon.socket, timeout=120)
    try:
        conn.request("POST", "/v1.41/images/load?quiet=1", body=archive,
                     headers={"Content-Type": "application/x-tar"})
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    if response.status == 200 and b'"error' in answer:
        return 500, answer
    return response.status, answer


def must_load(daemon, tag, layers, config=None):
    status, answer = load_image(daemon, tag, layers, config)
    assert status == 200, f"load {tag}: HTTP {status} {answer[:400]!r}"
    return tag


# [SECTION] Containers through the API


def create(daemon, image, cmd, **extra):
    host_config = extra.pop("HostConfig", {})
    body = dict({"Image": image, "Cmd": cmd, "HostConfig": dict({"NetworkMode": "none"}, **host_config)}, **extra)
    status, answer = daemon.api_json("POST", "/v1.41/containers/create", body)
    return status, answer


def run(daemon, image, cmd, timeout=60, **extra):
    """create, start, wait; returns (error or None, exit code, output). An error is the create's
    or the start's refusal."""
    status, answer = create(daemon, image, cmd, **extra)
    if status != 201:
        return f"create: HTTP {status} {answer}", None, ""
    cid = answer["Id"]
    try:
        status, body = daemon.request("POST", f"/v1.41/containers/{cid}/start")
        if status != 204:
            return f"start: HTTP {status} {body.decode(errors='replace')}", None, ""
        status, waited = daemon.request("POST", f"/v1.41/containers/{cid}/wait", timeout=timeout)
        assert status == 200, waited
        code = json.loads(waited)["StatusCode"]
        return None, code, logs(daemon, cid)
    finally:
        daemon.request("DELETE", f"/v1.41/containers/{cid}?force=1&v=1", timeout=60)


def logs(daemon, cid):
    status, raw = daemon.request("GET", f"/v1.41/containers/{cid}/logs?stdout=1&stderr=1")
    assert status == 200, raw
    out = b""
    while len(raw) >= 8 and raw[0] in (0, 1, 2) and raw[1:4] == b"\0\0\0":
        size = int.from_bytes(raw[4:8], "big")
        out += raw[8:8 + size]
        raw = raw[8 + size:]
    return (out + raw).decode(errors="replace")


def snapshot(path):
    """Every name under `path` with its mode and contents, symlinks not followed."""
    found = {}
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(top, name)
            st = os.lstat(full)
            data = None
            if os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as f:
                    data = f.read()
            found[os.path.relpath(full, path)] = (st.st_mode, data)
    return found


@pytest.fixture
def victim():
    """A host directory outside the daemon's root that attacks aim at: it must not change."""
    path = tempfile.mkdtemp(prefix="gb-victim-")
    os.makedirs(os.path.join(path, "secret"))
    with open(os.path.join(path, "secret", "data"), "w") as f:
        f.write("host secret\n")
    before = snapshot(path)
    yield path
    after = snapshot(path)
    shutil.rmtree(path, ignore_errors=True)
    assert after == before, f"the host directory {path} changed: {sorted(set(after) ^ set(before))}"


# [SECTION] Row 17: image Volumes


def test_row17_image_volume_under_a_symlink_to_the_host_copies_nothing_in(daemon, victim):
    # /a points at the victim (absolute and relative); the image asks for a volume below it. The
    # engine fills a new volume from the image's content at its path: that path must be resolved
    # inside the container's root, where /a/secret does not exist.
    image = must_load(daemon, harness.unique("row17").lower() + ":1", [[
        symlink("a", victim), symlink("r", "../../../../../../../../.." + victim),
    ]], {"Volumes": {"/a/secret": {}, "/r/secret": {}}})
    error, code, out = run(daemon, image, ["sh", "-c", "cat /a/secret/data /r/secret/data; echo ---; ls -A /a/secret /r/secret"])

    assert error is None, error
    assert "host secret" not in out, out
    # The volumes are mounted at /a/secret and /r/secret inside the root: empty, as the image has
    # nothing there, and the victim got no directory of its own from the mount target.
    assert out.split("---")[1].split() == ["/a/secret:", "/r/secret:"], out


@pytest.mark.parametrize("path", ["/proc", "/proc/sys", "//proc", "/./proc/", "/sys", "/dev", "/", "/../../etc"])
def test_row18_image_volume_on_a_system_path_is_refused_at_create(daemon, path):
    image = must_load(daemon, harness.unique("row18").lower() + ":1", [[directory("data")]], {"Volumes": {path: {}}})
    status, answer = create(daemon, image, ["true"])

    assert status == 400, (status, answer)
    assert "invalid volume path" in answer["message"], answer
