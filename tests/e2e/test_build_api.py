"""POST /build with the parameters docker clients send, against a private glassboxd and the same
builds against a private dockerd (skipped with the reason when dockerd cannot run here): extra
hosts, network mode none, target (and a missing one), labels, build args with an unset value and
an undeclared one, memory and CPU limits seen by a RUN step, cachefrom, platform, squash refused,
gzip, bzip2 and xz contexts, and a failing RUN with dockerd's words. Each build prints lines that
start with XX; what is compared is the status, those lines, the error text and whether an
{"aux": {"ID": ...}} message came. The gaps still open are listed in KNOWN_GAPS.
"""
import bz2
import gzip
import io
import json
import lzma
import tarfile
import urllib.parse

import pytest

from glassbox_harness import UnixHTTPConnection


def context(files, compression=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    return {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress, None: lambda data: data}[compression](raw)


def build(socket_path, params, body):
    """One POST /build; returns (status, XX lines, error messages, whether an aux ID came)."""
    conn = UnixHTTPConnection(socket_path, timeout=180)
    try:
        query = urllib.parse.urlencode(dict(params, rm="1", forcerm="1", nocache="1"))
        conn.request("POST", "/v1.41/build?" + query, body=body, headers={"Content-Type": "application/x-tar"})
        response = conn.getresponse()
        status, text = response.status, response.read().decode(errors="replace")
    finally:
        conn.close()
    messages = []
    for line in text.splitlines():
        try:
            messages.append(json.loads(line))
        except ValueError:
            messages.append({"raw": line})
    marks = [m["stream"].strip() for m in messages if "stream" in m and m["stream"].strip().startswith("XX")]
    errors = [m.get("error") or m.get("message") for m in messages if "error" in m or "message" in m]
    aux = any("aux" in m and "ID" in m["aux"] for m in messages)
    return status, marks, errors, aux


def cases(base):
    def dockerfile(body):
        return {"Dockerfile": (f"FROM {base}\n" + body).encode()}
    return {
        "extrahosts": ({"extrahosts": "myhost:10.1.2.3"}, dockerfile("RUN echo XX$(grep myhost /etc/hosts)\n"), None),
        "networkmode none": ({"networkmode": "none"}, dockerfile("RUN echo XX$(ls /sys/class/net | tr '\\n' ' ')\n"), None),
        "target": ({"target": "one"}, {"Dockerfile": (f"FROM {base} AS one\nRUN echo XXone\nFROM {base} AS two\n"
                                                      "RUN echo XXtwo\n").encode()}, None),
        "target missing": ({"target": "nope"}, dockerfile("RUN true\n"), None),
        "labels": ({"labels": json.dumps({"a": "1"})}, dockerfile("LABEL b=2\n"), None),
        "buildargs unset": ({"buildargs": json.dumps({"U": None, "V": "v"})}, dockerfile("ARG U\nARG V\nRUN echo XX[$U][$V]\n"), None),
        "buildargs undeclared": ({"buildargs": json.dumps({"Z": "z"})}, dockerfile("RUN echo XX[$Z]\n"), None),
        "memory": ({"memory": str(64 * 1024 * 1024), "memswap": "-1"},
                   dockerfile("RUN echo XX$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)\n"), None),
        "cpu": ({"cpushares": "512", "cpuquota": "50000", "cpuperiod": "100000"},
                dockerfile("RUN echo XX$(cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max)\n"), None),
        "squash": ({"squash": "1"}, dockerfile("RUN true\n"), None),
        "platform": ({"platform": "linux/arm64"}, dockerfile("RUN echo XXplatform\n"), None),
        "cachefrom": ({"cachefrom": json.dumps([base])}, dockerfile("RUN echo XXcachefrom\n"), None),
        "failing run": ({}, dockerfile("RUN exit 3\n"), None),
        "gzip context": ({}, dockerfile("RUN echo XXgz\n"), "gz"),
        "bzip2 context": ({}, dockerfile("RUN echo XXbz2\n"), "bz2"),
        "xz context": ({}, dockerfile("RUN echo XXxz\n"), "xz"),
    }


def observe(peer, image):
    return {name: build(peer.socket, params, context(files, compression))
            for name, (params, files, compression) in cases(image).items()}


@pytest.fixture(scope="module")
def dockerd(daemon):
    from dockerd_harness import running_dockerd
    with running_dockerd(daemon) as peer:
        yield peer


# Where glassboxd still answers differently, measured against dockerd 20.10. The list is exact:
# a gap that gets closed makes the test fail until it is taken off.
KNOWN_GAPS = {
    # RUN steps do not get the extra hosts in /etc/hosts yet.
    "extrahosts",
    # dockerd checks the target before it streams (400); glassboxd reports it in the stream (200).
    "target missing",
    # A RUN step cannot read its cgroup's limits (/sys/fs/cgroup is not mounted in it), so the
    # memory and CPU limits are not compared here.
    "memory",
    "cpu",
}


def test_build_parameters_answer_as_dockerd(daemon, dockerd, image):
    ours, theirs = observe(daemon, image), observe(dockerd, image)
    differ = {name: (theirs[name], ours[name]) for name in theirs if theirs[name] != ours[name]}
    report = "dockerd vs glassboxd:\n" + "\n".join(f"{k}: {v}" for k, v in differ.items())
    assert set(differ) == KNOWN_GAPS, report
