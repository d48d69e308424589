"""Docker's list filters, as the docker CLI sends them: several `label` filters must all match
(dockerd's MatchKVList) on containers, images, volumes and networks alike, while several values
of another key are alternatives. A differential part runs the same listings on a private dockerd
(skipped with the reason when it cannot start).
"""
import json
from urllib.parse import quote

import pytest

from glassbox_harness import unique
from dockerd_harness import running_dockerd


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def names(output):
    return sorted(line for line in output.split() if line)


def make_objects(docker, tag, prefix):
    """Two of each kind: `both` carries labels a=1 and b=2, `one` only a=1. Returns the names."""
    both, one = unique(prefix + "both"), unique(prefix + "one")
    for name, labels in ((both, ["a=1", "b=2"]), (one, ["a=1"])):
        flags = [arg for label in labels for arg in ("--label", label)]
        ok(docker("volume", "create", *flags, name))
        ok(docker("network", "create", *flags, name))
        ok(docker("create", "--name", name, "--network", "none", *flags, tag, "true"))
        # An image with those labels: a commit of the container, labelled by --change.
        changes = [arg for label in labels for arg in ("--change", f"LABEL {label}")]
        ok(docker("commit", *changes, name, f"{name}:1"))
    return both, one


def remove_objects(docker, both, one):
    docker("rm", "-f", both, one)
    docker("rmi", f"{both}:1", f"{one}:1")
    docker("volume", "rm", both, one)
    docker("network", "rm", both, one)


def listings(docker, prefix):
    """What each `ls` shows for label a=1 AND b=2, and for label a=1 alone, among our objects."""
    out = {}
    for labels in (("a=1", "b=2"), ("a=1",)):
        flags = [arg for label in labels for arg in ("--filter", f"label={label}")]
        key = "+".join(labels)
        out[("volume", key)] = names(ok(docker("volume", "ls", "-q", *flags)))
        out[("network", key)] = names(ok(docker("network", "ls", "--format", "{{.Name}}", *flags)))
        out[("container", key)] = names(ok(docker("ps", "-a", "--format", "{{.Names}}", *flags)))
        out[("image", key)] = names(ok(docker("images", "--format", "{{.Repository}}", *flags)))
    return {k: [n for n in v if n.startswith(prefix)] for k, v in out.items()}


def expected(both, one):
    out = {}
    for kind in ("volume", "network", "container", "image"):
        out[(kind, "a=1+b=2")] = [both]
        out[(kind, "a=1")] = sorted([both, one])
    return out


def test_every_label_filter_must_match_on_each_list(daemon):
    both, one = make_objects(daemon.docker, daemon.tag, "gbf")
    try:
        assert listings(daemon.docker, "gbf") == expected(both, one)
    finally:
        remove_objects(daemon.docker, both, one)


def test_values_of_one_key_are_alternatives_and_bad_filters_are_refused(daemon):
    a, b = unique("gbfa"), unique("gbfb")
    ok(daemon.docker("volume", "create", a))
    ok(daemon.docker("volume", "create", b))
    try:
        listed = names(ok(daemon.docker("volume", "ls", "-q", "--filter", f"name={a}", "--filter", f"name={b}")))
        assert listed == sorted([a, b])
        status, body = daemon.api_json("GET", "/v1.41/volumes?filters=" + quote(json.dumps({"colour": ["red"]})))
        assert status == 400 and "invalid filter 'colour'" in body["message"]
        status, body = daemon.api_json("GET", "/v1.41/images/json?filters=" + quote(json.dumps({"dangling": ["maybe"]})))
        assert status == 400 and "dangling" in body["message"]
    finally:
        daemon.docker("volume", "rm", a, b)


def test_label_filters_list_the_same_objects_as_dockerd(daemon):
    with running_dockerd(daemon) as dockerd:
        both, one = make_objects(dockerd.docker, daemon.tag, "gbf")
        try:
            assert listings(dockerd.docker, "gbf") == expected(both, one)
        finally:
            remove_objects(dockerd.docker, both, one)
