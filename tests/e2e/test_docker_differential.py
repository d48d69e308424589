"""Differential tests against a real dockerd (docker.io), where it is installed: the same busybox
image imported into both daemons, the same command sequence, then inspect and ps JSON compared by
keys and value types (fields glassbox lacks are printed), and image save/load both ways.
"""
import json
import os

import pytest

from dockerd_harness import running_dockerd
from glassbox_harness import CLI, unique

# Keys glassbox must have wherever dockerd has them; deeper differences are only printed.
REQUIRED_CONTAINER_KEYS = ["Id", "Created", "Path", "Args", "State", "Image", "Name",
                           "RestartCount", "HostConfig", "Mounts", "Config", "NetworkSettings",
                           "State.Status", "State.Running", "State.Pid", "State.ExitCode",
                           "State.StartedAt", "State.FinishedAt", "State.OOMKilled",
                           "Config.Image", "Config.Cmd", "Config.Env", "Config.Hostname",
                           "HostConfig.NetworkMode", "HostConfig.AutoRemove"]
REQUIRED_PS_KEYS = ["ID", "Names", "Image", "Command", "CreatedAt", "Status", "State", "Mounts"]
REQUIRED_IMAGE_KEYS = ["Id", "RepoTags", "Created", "Size", "Config", "RootFS", "RootFS.Layers",
                       "Architecture", "Os"]


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def type_name(value):
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def flatten(value, prefix=""):
    """{"a": {"b": 1}} -> {"a": dict, "a.b": number}; lists are compared by their first item."""
    out = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out[path] = type_name(item)
            out.update(flatten(item, path))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        out.update(flatten(value[0], prefix + "[]"))
    return out


def compare(what, docker_json, glassbox_json, required):
    theirs, ours = flatten(docker_json), flatten(glassbox_json)
    lacking = sorted(k for k in theirs if k not in ours)
    mismatched = sorted(f"{k}: docker {theirs[k]}, glassbox {ours[k]}" for k in theirs
                        if k in ours and "NoneType" not in (theirs[k], ours[k])
                        and theirs[k] != ours[k])
    print(f"\n{what}: glassbox lacks {len(lacking)} of dockerd's {len(theirs)} fields")
    for key in lacking:
        print(f"  missing {key} ({theirs[key]})")
    for line in mismatched:
        print(f"  type differs {line}")
    missing_required = [k for k in required if k in theirs and k not in ours]
    assert not missing_required, f"{what}: glassbox lacks required fields {missing_required}"
    assert not mismatched, f"{what}: value types differ: {mismatched}"


@pytest.fixture(scope="module")
def dockerd(daemon):
    if not os.access(CLI, os.X_OK):
        pytest.skip(f"the glassbox CLI is not built yet ({CLI})")
    with running_dockerd(daemon, must_start=True) as peer:
        yield peer
    assert not os.path.exists(peer.tmp), f"dockerd's directory {peer.tmp} is still there"


def test_inspect_and_ps_have_dockers_fields_and_types(daemon, dockerd, image):
    name = unique("gbdiff")
    both = {"docker": dockerd.docker, "glassbox": daemon.docker}
    views = {}
    for who, docker in both.items():
        ok(docker("run", "-d", "--name", name, "--network", "none", "-e", "A=1", image, "sleep", "300"))
        ok(docker("exec", name, "true"))
        views[who] = {
            "running": json.loads(ok(docker("inspect", name)))[0],
            "ps": json.loads(ok(docker("ps", "-a", "--no-trunc", "--filter", f"name={name}",
                                       "--format", "{{json .}}")).splitlines()[0]),
            "image": json.loads(ok(docker("image", "inspect", image)))[0],
        }
        ok(docker("stop", "-t", "1", name))
        views[who]["stopped"] = json.loads(ok(docker("inspect", name)))[0]
        ok(docker("rm", name))

    for what, required in (("running", REQUIRED_CONTAINER_KEYS), ("stopped", REQUIRED_CONTAINER_KEYS),
                           ("ps", REQUIRED_PS_KEYS), ("image", REQUIRED_IMAGE_KEYS)):
        compare(f"{what} ", views["docker"][what], views["glassbox"][what], required)
    for who in both:
        assert views[who]["stopped"]["State"]["ExitCode"] == 137, who
        assert views[who]["running"]["Config"]["Cmd"] == ["sleep", "300"], who


def test_glassbox_save_loads_into_docker(daemon, dockerd, image, tmp_path):
    alias = f"gbt-saved/busybox:{unique('v')}"
    archive = tmp_path / "from-glassbox.tar"
    ok(daemon.cli("tag", image, alias))

    ok(daemon.cli("save", "-o", str(archive), alias))
    loaded = ok(dockerd.docker("load", "-i", str(archive)))
    out = ok(dockerd.docker("run", "--rm", "--network", "none", alias, "echo", "hi"))

    assert f"Loaded image: {alias}" in loaded
    assert out == "hi\n"
    ours = json.loads(ok(daemon.cli("image", "inspect", alias)))[0]["Id"]
    theirs = json.loads(ok(dockerd.docker("image", "inspect", alias)))[0]["Id"]
    assert ours == theirs, "the image ID (sha256 of its config) changed on the way"
    ok(daemon.cli("rmi", alias))
    ok(dockerd.docker("rmi", alias))


def test_docker_save_loads_into_glassbox(daemon, dockerd, image, tmp_path):
    alias = f"gbt-docker/busybox:{unique('v')}"
    archive = tmp_path / "from-docker.tar"
    ok(dockerd.docker("tag", image, alias))

    ok(dockerd.docker("save", "-o", str(archive), alias))
    ok(daemon.cli("load", "-i", str(archive)))
    out = ok(daemon.cli("run", "--rm", "--network", "none", alias, "echo", "hi"))

    assert out == "hi\n"
    theirs = json.loads(ok(dockerd.docker("image", "inspect", alias)))[0]["Id"]
    ours = json.loads(ok(daemon.cli("image", "inspect", alias)))[0]["Id"]
    assert ours == theirs
    ok(daemon.cli("rmi", alias))
    ok(dockerd.docker("rmi", alias))
