"""The glassbox Python package against a private glassboxd: every public call of the
docker-SDK-shaped collections and of the glassbox-only API (state, diff, record, replay, features,
topology, lessons), the error classes (NotFound, Conflict, InvalidArgument, KernelFeatureMissing,
Timeout, DaemonUnavailable), timeouts and interrupting a blocked call."""
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time

import pytest

import glassbox_harness as harness
import python_support

glassbox = python_support.import_glassbox()
pytestmark = pytest.mark.skipif(glassbox is None, reason=python_support.missing_reason() or "")


@pytest.fixture(scope="module")
def gb(daemon):
    return glassbox.connect(daemon.host)


@pytest.fixture
def cleanup(gb):
    """Collects objects to remove after the test, whatever happened."""
    made = []
    yield made
    for obj in reversed(made):
        try:
            if isinstance(obj, glassbox.Container):
                obj.remove(force=True)
            else:
                obj.remove()
        except glassbox.NotFound:
            pass


def test_connect_reaches_the_daemon_named_by_host(gb, daemon):
    assert gb.ping() is True
    assert gb.version()["ApiVersion"] == "1.41"
    assert gb.api.socket_path == daemon.socket
    assert "Containers" in gb.info()


def test_connect_uses_glassbox_host_from_the_environment(daemon, monkeypatch):
    monkeypatch.setenv("GLASSBOX_HOST", daemon.host)
    assert glassbox.connect().api.socket_path == daemon.socket


def test_connect_to_a_silent_explicit_socket_raises_daemon_unavailable(tmp_path):
    with pytest.raises(glassbox.DaemonUnavailable) as caught:
        glassbox.connect(str(tmp_path / "nobody.sock"), timeout=2)
    assert caught.value.kind == "DaemonUnavailable"
    assert "nobody.sock" in str(caught.value)


def test_connect_starts_an_embedded_daemon_when_asked(daemon):
    tmp = tempfile.mkdtemp(prefix="gb-pyembed-")
    run_root = os.path.join(tmp, "run")
    flags = harness.Daemon(label="pyembed")._isolation_flags()
    client = glassbox.connect(os.path.join(run_root, "glassbox.sock"), start_daemon_if_needed=True,
                              root=os.path.join(tmp, "root"), run_root=run_root, daemon_args=flags)
    try:
        assert client.daemon_process is not None and client.daemon_process.poll() is None
        assert client.ping()
        assert os.path.exists(os.path.join(run_root, "glassboxd.log"))
    finally:
        client.stop_daemon()
    assert client.daemon_process.returncode is not None
    assert harness.mounts_under(tmp) == []
    shutil.rmtree(tmp, ignore_errors=True)


def test_run_detached_then_stop_wait_restart_kill_remove(gb, image, name):
    box = gb.containers.run(image, "sleep 300", name=name, detach=True)
    try:
        assert isinstance(box, glassbox.Container)
        # As in docker-py, run(detach=True) returns the object as created; reload() refreshes it.
        assert box.status == "created"
        box.reload()
        assert box.name == name and box.status == "running" and len(box.id) == 64 and box.short_id == box.id[:12]
        assert box.pid > 0
        assert gb.containers.get(name) == box
        assert name in [c.name for c in gb.containers.list()]
        box.stop(timeout=1)
        assert box.wait(timeout=30)["StatusCode"] == 137
        box.reload()
        assert box.status == "exited"
        assert name not in [c.name for c in gb.containers.list()]
        assert name in [c.name for c in gb.containers.list(all=True)]
        box.restart(timeout=1)
        box.reload()
        assert box.status == "running"
        box.kill(signal="SIGKILL")
        assert box.wait(timeout=30)["StatusCode"] == 137
        box.start()
        box.reload()
        assert box.status == "running"
        assert box.top()["Processes"]
    finally:
        box.remove(force=True)
    with pytest.raises(glassbox.NotFound):
        gb.containers.get(name)


def test_run_in_the_foreground_returns_output_and_raises_container_error(gb, image, name):
    assert gb.containers.run(image, ["echo", "hello"], remove=True) == b"hello\n"
    with pytest.raises(glassbox.ContainerError) as caught:
        gb.containers.run(image, ["sh", "-c", "echo oops >&2; exit 3"], name=name, remove=True)
    assert caught.value.exit_status == 3 and b"oops" in caught.value.stderr
    assert isinstance(caught.value, glassbox.GlassboxError)
    assert name not in [c.name for c in gb.containers.list(all=True)]


def test_create_then_start_and_logs_split_by_stream(gb, image, name, cleanup):
    box = gb.containers.create(image, ["sh", "-c", "echo out; echo err >&2"], name=name,
                               environment={"A": "1"}, labels={"course": "os"})
    cleanup.append(box)
    assert box.status == "created" and box.labels == {"course": "os"}
    box.start()
    assert box.wait(timeout=30)["StatusCode"] == 0
    assert box.logs(stderr=False) == b"out\n"
    assert box.logs(stdout=False) == b"err\n"
    assert sorted(box.logs().splitlines()) == [b"err", b"out"]


def test_logs_stream_follows_new_output_until_closed(gb, image, name, cleanup):
    box = gb.containers.run(image, ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done; sleep 300"],
                            name=name, detach=True)
    cleanup.append(box)
    seen = b""
    stream = box.logs(stream=True)
    for chunk in stream:
        seen += chunk
        if b"line3" in seen:
            break
    stream.close()
    assert seen.split() == [b"line1", b"line2", b"line3"]


def test_exec_run_returns_exit_code_and_output(gb, image, name, cleanup):
    box = gb.containers.run(image, "sleep 300", name=name, detach=True)
    cleanup.append(box)
    result = box.exec_run("sh -c 'echo out; echo err >&2; exit 4'")
    assert isinstance(result, glassbox.ExecResult)
    assert result.exit_code == 4 and sorted(result.output.split()) == [b"err", b"out"]
    code, (out, err) = box.exec_run(["sh", "-c", "echo $GREETING; echo e >&2"], environment={"GREETING": "hi"},
                                    demux=True)
    assert (code, out, err) == (0, b"hi\n", b"e\n")
    assert box.exec_run("pwd", workdir="/tmp").output == b"/tmp\n"


def test_a_name_already_in_use_raises_conflict(gb, image, name, cleanup):
    cleanup.append(gb.containers.create(image, "true", name=name))
    with pytest.raises(glassbox.Conflict) as caught:
        gb.containers.create(image, "true", name=name)
    assert caught.value.status == 409 and caught.value.kind == "Conflict" and name in str(caught.value)


def test_a_missing_image_raises_not_found(gb):
    with pytest.raises(glassbox.NotFound) as caught:
        gb.containers.run("no-such-image:0.0", "true")
    assert caught.value.status == 404
    with pytest.raises(glassbox.NotFound):
        gb.images.get("no-such-image:0.0")


def test_a_bad_volume_spec_raises_invalid_argument(gb, image):
    with pytest.raises(glassbox.InvalidArgument) as caught:
        gb.containers.create(image, "true", volumes=["relative/path:/data:zz"])
    assert caught.value.status == 400 and isinstance(caught.value, ValueError)
    with pytest.raises(glassbox.InvalidArgument):
        gb.containers.create(image, "true", no_such_option=1)


def test_ipvlan_raises_kernel_feature_missing_where_the_kernel_lacks_it(gb, name):
    probe = gb.features().feature("link.ipvlan")
    if probe is None or probe.available:
        pytest.skip("this kernel has ipvlan, so the error cannot be provoked here")
    with pytest.raises(glassbox.KernelFeatureMissing) as caught:
        gb.networks.create(name, driver="ipvlan")
    assert caught.value.status == 501 and "CONFIG_IPVLAN" in str(caught.value)
    assert name not in [n.name for n in gb.networks.list()]


def test_a_call_that_outlives_its_timeout_raises_timeout_promptly(gb, image, name, cleanup):
    box = gb.containers.run(image, "sleep 300", name=name, detach=True)
    cleanup.append(box)
    started = time.monotonic()
    with pytest.raises(glassbox.Timeout) as caught:
        box.wait(timeout=0.4)
    took = time.monotonic() - started
    assert 0.35 <= took < 2.0
    assert isinstance(caught.value, TimeoutError) and caught.value.kind == "Timeout"
    # The connection was cancelled, not leaked: the daemon still answers, the container still runs.
    box.reload()
    assert box.status == "running"
    with pytest.raises(glassbox.InvalidArgument):
        gb.api.request("GET", "/_ping", timeout=-1, versioned=False)


class Interrupted(Exception):
    pass


def test_a_signal_interrupts_a_blocked_call(gb, image, name, cleanup):
    box = gb.containers.run(image, "sleep 300", name=name, detach=True)
    cleanup.append(box)

    def handler(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGUSR1, handler)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
    started = time.monotonic()
    try:
        timer.start()
        with pytest.raises(Interrupted):
            box.wait()
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
    assert time.monotonic() - started < 2.0
    assert gb.ping()


def test_images_build_reports_progress_and_get_list_layers_remove(gb, image, tmp_path, name):
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\nRUN echo built > /built.txt\nCMD [\"cat\", \"/built.txt\"]\n")
    messages = []
    built, log = gb.images.build(path=str(tmp_path), tag=f"{name}:1", progress=messages.append)
    try:
        assert messages == log and any("Step 2/3" in m.get("stream", "") for m in messages)
        assert built.tags == [f"{name}:1"]
        assert gb.images.get(f"{name}:1") == built
        assert f"{name}:1" in [t for i in gb.images.list() for t in i.tags]
        assert gb.containers.run(f"{name}:1", remove=True) == b"built\n"
        layers = built.layers()
        base_layers = len(gb.images.get(image).attrs["RootFS"]["Layers"])
        assert len(layers) == base_layers + 1
        assert any(len(row["images"]) > 1 for row in layers)
        assert "echo built" in layers[len(layers) - 1]["created_by"]
        assert "<table" in layers._repr_html_()
        assert built.history()
    finally:
        gb.images.remove(f"{name}:1", force=True)
    with pytest.raises(glassbox.NotFound):
        gb.images.get(f"{name}:1")


def test_a_failing_build_raises_build_failed(gb, image, tmp_path, name):
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\nRUN exit 7\n")
    with pytest.raises(glassbox.BuildFailed) as caught:
        gb.images.build(path=str(tmp_path), tag=f"{name}:1", progress=False)
    assert "7" in str(caught.value)


def test_images_load_streams_a_saved_tar_with_progress(gb, image, tmp_path, name):
    tar_path = tmp_path / "saved.tar"
    gb.images.get(image).tag(name, "saved")
    try:
        with gb.api.open_stream("GET", f"/images/get?names={name}:saved", mode="raw") as stream, \
                open(tar_path, "wb") as out:
            for chunk in stream:
                out.write(chunk)
        gb.images.remove(f"{name}:saved")
        messages = []
        loaded = gb.images.load(path=str(tar_path), progress=messages.append)
        assert [t for i in loaded for t in i.tags if t == f"{name}:saved"]
        assert messages
    finally:
        gb.images.remove(f"{name}:saved", force=True)


def test_volumes_create_list_get_remove(gb, image, name, cleanup):
    volume = gb.volumes.create(name, labels={"course": "os"})
    assert volume.name == name and volume.id == name
    assert gb.volumes.get(name).attrs["Labels"] == {"course": "os"}
    assert name in [v.name for v in gb.volumes.list()]
    box = gb.containers.run(image, ["sh", "-c", "echo kept > /data/f"], volumes={name: {"bind": "/data", "mode": "rw"}},
                            remove=True)
    assert box == b""
    assert gb.containers.run(image, ["cat", "/data/f"], volumes=[f"{name}:/data:ro"], remove=True) == b"kept\n"
    volume.remove()
    with pytest.raises(glassbox.NotFound):
        gb.volumes.get(name)


def test_networks_create_connect_disconnect_remove(gb, image, name, cleanup):
    network = gb.networks.create(name, driver="bridge")
    cleanup.append(network)
    box = gb.containers.run(image, "sleep 300", name=name + "-c", detach=True)
    cleanup.append(box)
    assert gb.networks.get(name) == network and name in [n.name for n in gb.networks.list()]
    assert [n.name for n in gb.networks.list(names=[name])] == [name]
    network.connect(box)
    network.reload()
    assert [c.name for c in network.containers] == [box.name]
    links = re.findall(rb"^\d+: (eth\d+)", box.exec_run("ip -o link").output, re.M)
    assert links == [b"eth0", b"eth1"]
    assert "<table" in network._repr_html_()
    network.disconnect(box)
    network.reload()
    assert network.containers == []
    box.remove(force=True)
    network.remove()
    with pytest.raises(glassbox.NotFound):
        gb.networks.get(name)


def test_state_returns_typed_objects_that_convert_to_dicts(gb, image, name, cleanup):
    box = gb.containers.run(image, "sleep 300", name=name, detach=True)
    cleanup.append(box)
    box.reload()
    snap = gb.state()
    assert isinstance(snap, glassbox.Snapshot) and snap.generation > 0
    info = snap.container(name)
    assert isinstance(info, glassbox.ContainerInfo) and info.pid == box.pid and info.status == "running"
    assert info.namespaces["net"] != snap.host_namespaces["net"]
    pid1 = snap.process(info.pid)
    assert isinstance(pid1, glassbox.ProcessInfo) and pid1.comm == "sleep" and pid1.nspid[-1] == 1
    assert pid1.key == f"process:{pid1.pid}@{pid1.start_time}"
    ns = [n for n in snap.namespaces if n.container_id == info.id]
    assert {n.type for n in ns} >= {"pid", "net", "mnt"} and isinstance(ns[0], glassbox.NamespaceInfo)
    assert any(m.kind == "overlay" and m.container_id == info.id for m in snap.mounts)
    assert any(l.kind == "veth" and l.container_id == info.id for l in snap.links)
    assert snap.layers and snap.images and snap.networks
    as_dict = snap.to_dict()
    assert json.loads(json.dumps(as_dict))["generation"] == snap.generation
    assert pid1.to_dict()["key"] == pid1.key
    assert glassbox.Snapshot.from_dict(as_dict) .to_dict() == as_dict
    narrow = gb.state(container=name)
    assert [c.name for c in narrow.containers] == [name]
    assert list(gb.state(kind="links").processes) == []
    html = snap._repr_html_()
    assert name in html and "<table" in html
    with pytest.raises(glassbox.NotFound):
        gb.state(container="no-such-container")
    with pytest.raises(glassbox.InvalidArgument):
        gb.state(kind="no-such-kind")
    with pytest.raises(glassbox.InvalidArgument):
        glassbox.Snapshot.from_dict({"schema_version": "x"})


def test_diff_of_a_callable_a_command_and_a_generation(gb, image, name):
    before = gb.state(kind="containers")
    diff = gb.diff(lambda: gb.networks.create(name))
    assert isinstance(diff, glassbox.Diff) and isinstance(diff.result, glassbox.Network)
    added = {(c.kind, c.type) for c in diff.changes}
    assert ("networks", "added") in added and ("links", "added") in added
    assert "#dafbe1" in diff._repr_html_()
    removed = gb.diff(["network", "rm", name])
    assert removed.result.returncode == 0
    assert ("networks", "removed") in {(c.kind, c.type) for c in removed.changes}
    assert "#ffebe9" in removed._repr_html_()
    since = gb.diff(before)
    assert since.from_generation == before.generation
    assert not [c for c in since.changes if c.kind == "networks"]  # created and removed since then
    assert "+" in diff.text()


def test_features_reports_the_kernel_probe(gb):
    kernel = gb.features()
    assert isinstance(kernel, glassbox.KernelInfo) and kernel.release == os.uname().release
    names = {f.name for f in kernel.features}
    assert {"overlayfs", "link.veth", "link.ipvlan"} <= names
    assert kernel.feature("link.veth").available is True
    assert kernel.feature("no.such") is None
    assert "link.ipvlan" in kernel._repr_html_()


def test_topology_draws_networks_and_containers(gb, image, name, cleanup):
    network = gb.networks.create(name)
    cleanup.append(network)
    box = gb.containers.run(image, "sleep 300", name=name + "-t", network=name, detach=True)
    cleanup.append(box)
    svg = gb.topology()._repr_svg_()
    assert svg.startswith("<svg") and name in svg and box.name in svg


def test_record_until_a_callable_then_replay(gb, image, name, tmp_path):
    path = str(tmp_path / "session.timeline")

    def session():
        box = gb.containers.run(image, "sleep 300", name=name, detach=True)
        time.sleep(1.2)
        box.remove(force=True)
        return "done"

    counts = gb.record(path, until=session)
    assert counts["result"] == "done" and counts["snapshots"] >= 2 and counts["events"] >= 2
    timeline = glassbox.replay(path)
    assert len(timeline.snapshots) == counts["snapshots"]
    assert any(e.get("event", {}).get("Action") == "start" for e in timeline.events if e.get("type") == "event")
    assert any(s.container(name) for s in timeline.snapshots)
    assert "<table" in timeline._repr_html_()
    with gb.record(str(tmp_path / "second.timeline")) as recorder:
        assert recorder.active
    assert recorder.result["snapshots"] >= 1


def test_replay_of_a_malformed_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.timeline"
    bad.write_text('{"type":"header","format":"glassbox-timeline","schema_version":1,"created_at":"x"}\nnot json\n')
    with pytest.raises(glassbox.InvalidArgument) as caught:
        glassbox.replay(str(bad))
    assert "bad.timeline line 2" in str(caught.value)
    with pytest.raises(glassbox.GlassboxError):
        glassbox.replay(str(tmp_path / "missing.timeline"))


def test_lessons_list_start_check_hint_and_solve(gb, tmp_path):
    if not hasattr(glassbox._glassbox, "LessonRunner"):
        pytest.skip("this build has no lesson runner (engine/lesson not built)")
    from glassbox.lessons import Lessons
    lessons = Lessons(gb, progress_path=str(tmp_path / "progress.json"))
    listed = {lesson["id"]: lesson for lesson in lessons.list()}
    assert "00-template" in listed and listed["00-template"]["step_count"] >= 2
    step = lessons.start("00-template")
    assert step["index"] == 0 and step["lesson"] == "00-template"
    report = lessons.check()
    assert report.passed is False and lessons.hint()
    assert "FAIL" in report._repr_html_()
    solved = lessons.solve("00-template")
    assert solved["passed"] is True, solved
    with pytest.raises(glassbox.NotFound):
        lessons.start("no-such-lesson")


def test_the_type_stubs_name_every_public_name_of_the_extension():
    import ast
    stub = os.path.join(harness.REPO, "python", "glassbox", "_glassbox.pyi")
    tree = ast.parse(open(stub).read())
    declared = {node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    declared |= {t.id for node in tree.body if isinstance(node, ast.AnnAssign) for t in [node.target]}
    public = {name for name in dir(glassbox._glassbox) if not name.startswith("_")}
    # The opaque list classes are typed through _ObjectList in the stubs.
    public = {name for name in public if not name.endswith("List")}
    assert public - declared == set()
    assert {name for name in declared if not name.startswith("_")} - public == set()


def test_rename_pause_unpause_logs_options_and_container_prune(gb, image, name, cleanup):
    box = gb.containers.run(image, ["sh", "-c", "echo a; echo b; echo c; sleep 300"], name=name, detach=True)
    cleanup.append(box)
    box.rename(name + "-new")
    box.reload()
    assert box.name == name + "-new"
    try:
        box.pause()
    except glassbox.KernelFeatureMissing as error:
        # The engine answers 501 (its Unsupported kind) while it has no freezer cgroup support.
        assert error.status == 501 and "freezer" in str(error)
    else:
        box.reload()
        assert box.status == "paused"
        box.unpause()
    box.reload()
    assert box.status == "running"
    deadline = time.monotonic() + 10
    while box.logs() != b"a\nb\nc\n" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert box.logs(tail=1) == b"c\n"
    assert re.match(rb"^\d{4}-\d\d-\d\dT\S+ a$", box.logs(timestamps=True).splitlines()[0])
    assert box.state().container(box.name).pid == box.pid
    done = gb.containers.create(image, "true", name=name + "-done")
    done.start()
    done.wait(timeout=30)
    pruned = gb.containers.prune()
    assert done.id in (pruned.get("ContainersDeleted") or [])
    with pytest.raises(glassbox.NotFound):
        done.reload()


def test_import_image_tags_a_root_filesystem_tar(gb, name):
    imported = gb.images.import_image(harness.BASE_TAR, name, "imported")
    try:
        assert f"{name}:imported" in imported.tags
        assert gb.containers.run(f"{name}:imported", ["echo", "ok"], remove=True) == b"ok\n"
    finally:
        gb.images.remove(f"{name}:imported")


def test_collection_remove_and_prune_of_volumes_and_networks(gb, name):
    gb.volumes.create(name)
    gb.volumes.remove(name)
    assert name not in [v.name for v in gb.volumes.list()]
    gb.networks.create(name)
    gb.networks.remove(name)
    assert name not in [n.name for n in gb.networks.list()]
    gb.volumes.create(name + "-p")
    gb.networks.create(name + "-p")
    assert name + "-p" in (gb.volumes.prune().get("VolumesDeleted") or [])
    assert name + "-p" in (gb.networks.prune().get("NetworksDeleted") or [])
    assert isinstance(gb.images.prune(), dict)
    assert "LayersSize" in gb.df()


def test_record_for_a_duration(gb, tmp_path):
    started = time.monotonic()
    counts = gb.record(str(tmp_path / "timed.timeline"), duration=1.0)
    assert time.monotonic() - started >= 1.0
    assert counts["snapshots"] >= 1 and counts["result"] is None
    assert len(glassbox.replay(str(tmp_path / "timed.timeline")).snapshots) == counts["snapshots"]


INTERRUPTED_CHILD = """
import signal, sys, glassbox
# Python leaves SIGINT ignored when it starts with it ignored (a background job); a terminal or a
# Jupyter kernel has this handler, which raises KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)
box = glassbox.connect(sys.argv[1]).containers.get(sys.argv[2])
print("waiting", flush=True)
try:
    box.wait()
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_ctrl_c_interrupts_a_wait_with_keyboard_interrupt(gb, daemon, image, name, cleanup):
    """What a notebook's interrupt does: SIGINT to the process blocked in a call."""
    import subprocess
    import sys
    box = gb.containers.run(image, "sleep 300", name=name, detach=True)
    cleanup.append(box)
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED_CHILD, daemon.host, name], stdout=subprocess.PIPE,
                             text=True, env=python_support.env_with_package())
    try:
        assert child.stdout.readline().strip() == "waiting"
        time.sleep(0.3)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=10)
        assert time.monotonic() - sent < 2.0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert out.strip() == "interrupted" and child.returncode == 0
