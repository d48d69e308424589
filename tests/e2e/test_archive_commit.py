"""The container filesystem endpoints through the real docker CLI against a private glassboxd:
docker cp both ways (running and stopped containers, a volume, `-` tar streams, and symlink and
".." escape attempts that must stay inside the container), docker diff, docker commit then run
the image, docker export; and the same calls against a private dockerd, comparing statuses, the
path stat header and the changes list (skipped with the reason when dockerd cannot run here).
"""
import base64
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time

import pytest

from glassbox_harness import UnixHTTPConnection, unique

pytestmark = pytest.mark.usefixtures("docker_cli")


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def raw(socket_path, method, path, body=None):
    """One request; returns (status, headers dict with lower-case names, body bytes)."""
    conn = UnixHTTPConnection(socket_path, timeout=60)
    try:
        conn.request(method, path, body=body,
                     headers={"Content-Type": "application/x-tar"} if body is not None else {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def path_stat(headers):
    return json.loads(base64.urlsafe_b64decode(headers["x-docker-container-path-stat"]))


def tar_of(entries):
    """A tar in memory from (name, bytes or None for a directory, or ("link", target))."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def running(daemon, image):
    name = unique("gbt-cp")
    ok(daemon.docker("run", "-d", "--name", name, image, "sleep", "300"))
    yield name
    daemon.docker("rm", "-f", name)


def test_cp_copies_a_file_into_and_out_of_a_running_container(daemon, running, tmp_path):
    source = tmp_path / "hello.txt"
    source.write_text("hello from the host\n")
    ok(daemon.docker("cp", str(source), f"{running}:/tmp/"))
    assert ok(daemon.docker("exec", running, "cat", "/tmp/hello.txt")) == "hello from the host\n"

    ok(daemon.docker("exec", running, "sh", "-c", "mkdir -p /srv/d/sub && echo inner > /srv/d/sub/f"))
    ok(daemon.docker("cp", f"{running}:/srv/d", str(tmp_path / "out")))
    assert (tmp_path / "out" / "sub" / "f").read_text() == "inner\n"
    # A file to a new name, as docker cp renames it.
    ok(daemon.docker("cp", f"{running}:/tmp/hello.txt", str(tmp_path / "renamed.txt")))
    assert (tmp_path / "renamed.txt").read_text() == "hello from the host\n"


def test_cp_works_on_a_created_container_and_lands_in_its_volume(daemon, image, tmp_path):
    name = unique("gbt-cpc")
    ok(daemon.docker("create", "--name", name, "-v", f"{name}-vol:/data", image, "cat", "/data/f", "/etc/f"))
    try:
        (tmp_path / "f").write_text("copied\n")
        ok(daemon.docker("cp", str(tmp_path / "f"), f"{name}:/etc/f"))
        ok(daemon.docker("cp", str(tmp_path / "f"), f"{name}:/data/f"))
        # The volume's own directory holds the file: the copy went through the mount.
        volume = json.loads(ok(daemon.docker("volume", "inspect", f"{name}-vol")))[0]
        with open(os.path.join(volume["Mountpoint"], "f")) as f:
            assert f.read() == "copied\n"
        ok(daemon.docker("start", "-a", name))
        assert ok(daemon.docker("logs", name)) == "copied\ncopied\n"
    finally:
        daemon.docker("rm", "-f", "-v", name)
        daemon.docker("volume", "rm", f"{name}-vol")


def test_cp_dash_streams_a_tar_both_ways(daemon, running):
    ok(daemon.docker("exec", running, "sh", "-c", "echo streamed > /tmp/s"))
    out = subprocess.run(["docker", "cp", f"{running}:/tmp/s", "-"], capture_output=True, env=daemon.env(),
                         timeout=60)
    assert out.returncode == 0, out.stderr
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        assert tar.getnames() == ["s"]
        assert tar.extractfile("s").read() == b"streamed\n"
    body = tar_of([("in-dir", None), ("in-dir/x", b"from stdin\n")])
    res = subprocess.run(["docker", "cp", "-", f"{running}:/tmp"], input=body, capture_output=True,
                         env=daemon.env(), timeout=60)
    assert res.returncode == 0, res.stderr
    assert ok(daemon.docker("exec", running, "cat", "/tmp/in-dir/x")) == "from stdin\n"


def test_cp_symlinks_and_dotdot_stay_inside_the_container(daemon, running, tmp_path):
    # A host directory the container's links point at, by absolute and by climbing path.
    host_dir = tempfile.mkdtemp(prefix="gbt-escape-")
    try:
        with open(os.path.join(host_dir, "secret"), "w") as f:
            f.write("host secret\n")
        climb = "../" * 12 + host_dir.lstrip("/")
        ok(daemon.docker("exec", running, "sh", "-c",
                         f"ln -s {host_dir} /abs && ln -s {climb} /rel && ln -s / /tmp/root"))
        for link in ("/abs", "/rel"):
            # Reading through the link looks inside the container, where the directory is absent.
            out = daemon.docker("cp", f"{running}:{link}/secret", str(tmp_path / "got"))
            assert out.returncode != 0 and "Could not find the file" in out.stderr, out
            assert not (tmp_path / "got").exists()
            # Writing through it fails the same way and never reaches the host directory.
            (tmp_path / "planted").write_text("planted\n")
            out = daemon.docker("cp", str(tmp_path / "planted"), f"{running}:{link}/")
            assert out.returncode != 0, out
        # A tar whose names climb out and whose symlink points at the host lands inside, or nowhere.
        evil = tar_of([("../../../../../../.." + host_dir + "/dotdot", b"x"),
                       ("hop", ("link", host_dir)), ("hop/via-link", b"y")])
        status, _, body = raw(daemon.socket, "PUT", f"/v1.41/containers/{running}/archive?path=/tmp", evil)
        assert status in (200, 400), body
        assert sorted(os.listdir(host_dir)) == ["secret"]
        # The root link resolves to the container's own root.
        stat_status, headers, _ = raw(daemon.socket, "HEAD", f"/v1.41/containers/{running}/archive?path=/tmp/root")
        assert stat_status == 200
        assert path_stat(headers)["linkTarget"] == "/"
    finally:
        shutil.rmtree(host_dir)


def test_archive_errors_are_dockerds(daemon, running):
    status, _, body = raw(daemon.socket, "HEAD", f"/v1.41/containers/{running}/archive?path=/nope")
    assert status == 404
    status, _, body = raw(daemon.socket, "GET", f"/v1.41/containers/{running}/archive?path=/nope")
    assert status == 404
    assert json.loads(body)["message"] == f"Could not find the file /nope in container {running}"
    status, _, body = raw(daemon.socket, "PUT", f"/v1.41/containers/{running}/archive?path=/etc/passwd",
                          tar_of([("f", b"x")]))
    # dockerd 20.10 answers 500 here: its "not a directory" error carries no client-error type.
    assert status == 500, body
    assert json.loads(body)["message"] == "extraction point is not a directory"
    status, _, body = raw(daemon.socket, "GET", "/v1.41/containers/gbt-no-such/archive?path=/")
    assert status == 404
    assert json.loads(body)["message"] == "No such container: gbt-no-such"


def test_diff_commit_and_export(daemon, image, tmp_path):
    name = unique("gbt-diff")
    ok(daemon.docker("run", "--name", name, image, "sh", "-c",
                     "echo added > /new && echo extra >> /etc/passwd && rm /bin/cat"))
    try:
        # dockerd's overlay2 order follows Go map iteration when the kernel has redirect_dir
        # (its naive diff), so only the set is Docker's; glassbox lists them in walk order.
        lines = ok(daemon.docker("diff", name)).splitlines()
        assert sorted(lines) == ["A /new", "C /bin", "C /etc", "C /etc/passwd", "D /bin/cat"], lines

        tag = f"gbt-committed/{name}:v1"
        image_id = ok(daemon.docker("commit", "-m", "a message", "-a", "an author",
                                    "-c", 'CMD ["head", "-c", "6", "/new"]', "-c", "ENV COMMITTED=yes",
                                    name, tag)).strip()
        assert image_id.startswith("sha256:")
        assert ok(daemon.docker("run", "--rm", tag)) == "added\n"
        assert "COMMITTED=yes" in ok(daemon.docker("run", "--rm", tag, "env"))
        info = json.loads(ok(daemon.docker("image", "inspect", tag)))[0]
        assert info["Id"] == image_id
        assert info["Author"] == "an author" and info["Comment"] == "a message"
        assert info["Config"]["Cmd"] == ["head", "-c", "6", "/new"]

        archive = tmp_path / "export.tar"
        ok(daemon.docker("export", "-o", str(archive), name))
        with tarfile.open(archive) as tar:
            names = set(tar.getnames())
            assert "new" in names and "etc/passwd" in names and "bin/sh" in names
            assert "bin/cat" not in names
            assert tar.extractfile("new").read() == b"added\n"
        ok(daemon.docker("rmi", tag))
    finally:
        daemon.docker("rm", "-f", name)


def test_cp_reaches_tmpfs_mounts_and_bound_files_and_archive_mode_takes_the_users_ids(daemon, image, tmp_path):
    bound = tmp_path / "bound.txt"
    bound.write_text("host file content\n")
    name = unique("gbt-cpm")
    ok(daemon.docker("run", "-d", "--name", name, "--user", "nobody", "--tmpfs", "/scratch",
                     "-v", f"{bound}:/etc/bound.txt", image, "sh", "-c", "echo in-tmpfs > /scratch/t; exec sleep 300"))
    try:
        deadline = time.monotonic() + 10
        while daemon.docker("exec", name, "test", "-e", "/scratch/t").returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        # Out of the tmpfs, which only the container's mount namespace has, and the bound file.
        assert tarfile.open(fileobj=io.BytesIO(subprocess.run(
            ["docker", "cp", f"{name}:/scratch/t", "-"], capture_output=True, env=daemon.env(),
            check=True).stdout)).extractfile("t").read() == b"in-tmpfs\n"
        ok(daemon.docker("cp", f"{name}:/etc/bound.txt", str(tmp_path / "back.txt")))
        assert (tmp_path / "back.txt").read_text() == "host file content\n"
        # Into the tmpfs: the container sees it there (not in the directory under the mount).
        source = tmp_path / "up.txt"
        source.write_text("uploaded\n")
        os.chown(source, 42, 43)
        ok(daemon.docker("cp", str(source), f"{name}:/scratch/"))
        assert ok(daemon.docker("exec", name, "cat", "/scratch/up.txt")) == "uploaded\n"
        # The CLI sends the host file's owner; -a (copyUIDGID) gives the container user's ids.
        assert ok(daemon.docker("exec", name, "stat", "-c", "%u:%g", "/scratch/up.txt")).strip() == "42:43"
        ok(daemon.docker("cp", "-a", str(source), f"{name}:/scratch/"))
        assert ok(daemon.docker("exec", name, "stat", "-c", "%u:%g", "/scratch/up.txt")).strip() == "65534:65534"
        # Nothing went into the directory under the tmpfs, in the container's own layer.
        assert "/scratch/up.txt" not in ok(daemon.docker("diff", name))
    finally:
        daemon.docker("rm", "-f", name)


def test_commit_records_the_author_in_the_image_history(daemon, image, tmp_path):
    name = unique("gbt-auth")
    ok(daemon.docker("run", "--name", name, image, "touch", "/authored"))
    tag = f"gbt-authored/{name}:v1"
    try:
        ok(daemon.docker("commit", "-a", "Ada <ada@example.com>", "-m", "with an author", name, tag))
        ok(daemon.docker("save", "-o", str(tmp_path / "image.tar"), tag))
        with tarfile.open(tmp_path / "image.tar") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            config = json.load(tar.extractfile(manifest[0]["Config"]))
        assert config["author"] == "Ada <ada@example.com>"
        last = config["history"][-1]
        assert (last["author"], last["comment"], last["created_by"]) == (
            "Ada <ada@example.com>", "with an author", "touch /authored")
        history = ok(daemon.docker("history", "--no-trunc", "--format", "{{.Comment}}|{{.CreatedBy}}", tag))
        assert history.splitlines()[0] == "with an author|touch /authored"
    finally:
        daemon.docker("rmi", tag)
        daemon.docker("rm", "-f", name)


def test_commit_refuses_a_config_field_of_the_wrong_type_naming_it(daemon, running):
    # The body of POST /commit is read into the typed image config; a wrong type is a 400 naming
    # the field, and no image is made.
    before = ok(daemon.docker("images", "-q", "--no-trunc")).split()
    status, _, body = raw(daemon.socket, "POST", f"/v1.41/commit?container={running}",
                          json.dumps({"Cmd": 5}).encode())
    assert status == 400, body
    assert "Config.Cmd must be an array of strings, got a number" in json.loads(body)["message"]
    status, _, body = raw(daemon.socket, "POST", f"/v1.41/commit?container={running}",
                          json.dumps({"ExposedPorts": {"http": {}}}).encode())
    assert status == 400, body
    assert 'Config.ExposedPorts: invalid port "http"' in json.loads(body)["message"]
    assert ok(daemon.docker("images", "-q", "--no-trunc")).split() == before


def test_commit_tag_and_import_refuse_a_digest_name_before_making_anything(daemon, running, image):
    # A "sha256:..." tag is read as a digest (a pull by digest sends it so), which no new image
    # can be named: dockerd refuses it first, so no untagged image may be left behind.
    digest = "sha256:" + "a" * 64
    before = ok(daemon.docker("images", "-aq", "--no-trunc")).split()
    for path in (f"/v1.41/commit?container={running}&repo=named&tag={digest}",
                 f"/v1.41/images/{image}/tag?repo=named&tag={digest}"):
        status, _, body = raw(daemon.socket, "POST", path)
        assert status == 400, (path, body)
        assert json.loads(body)["message"] == "invalid tag format", (path, body)
    status, _, body = raw(daemon.socket, "POST", f"/v1.41/commit?container={running}&repo=named@{digest}")
    assert status == 400, body
    assert json.loads(body)["message"] == "cannot commit to digest reference", body
    status, _, body = raw(daemon.socket, "POST", f"/v1.41/images/create?fromSrc=-&repo=named&tag={digest}",
                          tar_of([("hello.txt", b"hi")]))
    assert status == 400, body
    assert "invalid tag format" in body.decode(), body
    assert ok(daemon.docker("images", "-aq", "--no-trunc")).split() == before


# [SECTION] The same calls against a real dockerd.

@pytest.fixture(scope="module")
def dockerd(daemon):
    from dockerd_harness import running_dockerd
    with running_dockerd(daemon) as peer:
        yield peer


def observe(socket_path, docker, image):
    """The same scenario on one daemon; returns what must match."""
    name = unique("gbt-dif")
    ok(docker("run", "--name", name, image, "sh", "-c",
              "echo a > /new && mkdir -p /srv/x && ln -s /etc/passwd /lnk && rm /bin/cat && echo z >> /etc/group"))
    try:
        seen = {}
        for path in ("/new", "/srv", "/lnk", "/", "/etc/.", "/missing"):
            status, headers, body = raw(socket_path, "HEAD", f"/v1.41/containers/{name}/archive?path={path}")
            stat = path_stat(headers) if status == 200 else None
            if stat:
                stat.pop("mtime")
                if stat["mode"] & (1 << 31):
                    stat.pop("size")  # A directory's size depends on the filesystem.
            seen[f"HEAD {path}"] = (status, stat)
        for path, entries in (("/srv/x", [("f", b"1")]), ("/new", [("f", b"1")]), ("/missing", [("f", b"1")]),
                              ("", [("f", b"1")])):
            status, _, body = raw(socket_path, "PUT", f"/v1.41/containers/{name}/archive?path={path}",
                                  tar_of(entries))
            message = json.loads(body)["message"] if body.strip() else ""
            seen[f"PUT {path}"] = (status, message.replace(name, "NAME"))
        status, _, body = raw(socket_path, "GET", f"/v1.41/containers/{name}/changes")
        seen["changes"] = (status, sorted(json.dumps(c, sort_keys=True) for c in json.loads(body) or []))
        status, _, body = raw(socket_path, "POST", f"/v1.41/commit?container={name}&changes=BOGUS%20x")
        seen["commit bad change"] = (status,)
        status, _, body = raw(socket_path, "POST", "/v1.41/commit?container=gbt-nope")
        seen["commit missing"] = (status, json.loads(body)["message"])
        return seen
    finally:
        docker("rm", "-f", name)


def test_archive_and_changes_match_dockerd(daemon, dockerd, image):
    theirs = observe(dockerd.socket, dockerd.docker, image)
    ours = observe(daemon.socket, daemon.docker, image)
    differ = {key: (theirs[key], ours.get(key)) for key in theirs if theirs[key] != ours.get(key)}
    assert not differ, "dockerd vs glassbox:\n" + "\n".join(f"{k}: {v}" for k, v in differ.items())


def test_glassbox_cli_cp_diff_commit_export(daemon, running, tmp_path, glassbox_cli):
    (tmp_path / "in.txt").write_text("via glassbox\n")
    ok(daemon.cli("cp", str(tmp_path / "in.txt"), f"{running}:/tmp/"))
    ok(daemon.cli("cp", str(tmp_path / "in.txt"), f"{running}:/tmp/renamed"))
    assert ok(daemon.docker("exec", running, "cat", "/tmp/in.txt", "/tmp/renamed")) == "via glassbox\n" * 2
    ok(daemon.cli("cp", f"{running}:/tmp/renamed", str(tmp_path / "back.txt")))
    assert (tmp_path / "back.txt").read_text() == "via glassbox\n"
    assert "A /tmp/renamed" in ok(daemon.cli("diff", running)).splitlines()
    tag = f"gbt-cli-commit/{running}:v1"
    image_id = ok(daemon.cli("commit", "-m", "cli", "-c", "CMD [\"cat\", \"/tmp/renamed\"]", running, tag)).strip()
    assert image_id.startswith("sha256:")
    assert ok(daemon.docker("run", "--rm", tag)) == "via glassbox\n"
    ok(daemon.cli("export", "-o", str(tmp_path / "root.tar"), running))
    with tarfile.open(tmp_path / "root.tar") as tar:
        assert "tmp/renamed" in tar.getnames()
    ok(daemon.docker("rmi", tag))
