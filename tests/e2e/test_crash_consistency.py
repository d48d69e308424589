"""Crash consistency: a private glassboxd is SIGKILLed at random moments while it creates, starts,
stops and removes containers, creates and removes volumes, runs containers that write into
volumes, creates networks, builds, loads, tags and removes images (100 trials), and restarted on
the same --root each time. After every restart the test checks what a crash must never leave
behind:

- the daemon starts and answers;
- every metadata record on disk parses (records are written to a temporary name, fsynced and
  renamed, so a reader sees the old file or the new one, never half of one), and no temporary file
  of an interrupted write is left;
- every blob an image record names (its config, its layers' tars) is present and its sha256 is its
  name, every layer an image names is unpacked, and there is no layer directory and no blob that
  no image uses (an interrupted load, build or rmi is reclaimed at the restart), and nothing is
  left in the image store's temporary directory;
- every volume is whole: a listed volume has its _data, and there is no volume directory without
  its record (a create or remove is one rename; the restart removes a staged or half-removed one);
- the containers, volumes and networks the API lists are exactly those on disk, and agree with the
  kernel: a container listed as running has its process, every process in the cgroup of one of
  this daemon's containers or build steps belongs to a listed running container, no such cgroup
  is left unless its container is running, every user
  network has its bridge,
  no address is allocated to a container that is not running, nothing is mounted under the
  daemon's temporary directory and no build step's directory is left.

The random moments come from a seeded generator (GLASSBOX_CRASH_SEED, printed), so a failure can
be replayed. The whole test takes 45 to 95 seconds on two cores, with the machine's load.
"""
import hashlib
import http.client
import io
import json
import os
import random
import subprocess
import threading
import time

import pytest

import glassbox_harness as harness

TRIALS = int(os.environ.get("GLASSBOX_CRASH_TRIALS", "100"))
BUDGET_SECONDS = 180


@pytest.fixture(scope="module")
def crashing_daemon():
    reason = harness.missing_reason(need_cli=False)
    if reason:
        pytest.skip(reason)
    d = harness.Daemon(label="crash").start()
    try:
        yield d
    finally:
        if d.proc.poll() is None:
            left = d.stop()
        else:
            d.log.close()
            left = harness.mounts_under(d.tmp)
        assert not left, f"glassboxd left mounts behind: {left}"


# [SECTION] The operations that get interrupted

def existing(d, kind):
    try:
        if kind == "containers":
            status, items = d.api_json("GET", "/v1.41/containers/json?all=1")
            return [c["Id"] for c in items] if status == 200 else []
        if kind == "running":
            status, items = d.api_json("GET", "/v1.41/containers/json")
            return [c["Id"] for c in items] if status == 200 else []
    except (OSError, ValueError):
        pass
    return []


def operation(d, rng, trial, build_dir):
    """One API call (or two) chosen at random; returns a function that performs it."""
    tag = d.tag
    kind = rng.choice(["create", "create", "start", "stop", "rm", "volume", "volume-rm", "volume-write",
                       "network", "build", "tag", "run", "load", "load", "rmi"])
    name = f"crash{trial}"
    network = getattr(d, "crash_network", None)

    def create(start=False):
        body = {"Image": tag, "Cmd": ["sleep", "300"], "HostConfig": {"Binds": [f"crashvol{trial % 3}:/data"]}}
        if network and rng.random() < 0.5:
            body["HostConfig"]["NetworkMode"] = network
        status, created = d.api_json("POST", f"/v1.41/containers/create?name={name}", body)
        if start and status == 201:
            d.request("POST", f"/v1.41/containers/{created['Id']}/start")

    def pick(kind_):
        ids = existing(d, kind_)
        return rng.choice(ids) if ids else None

    if kind == "create":
        return kind, lambda: create(False)
    if kind == "run":
        return kind, lambda: create(True)
    if kind == "start":
        target = pick("containers")
        return kind, lambda: target and d.request("POST", f"/v1.41/containers/{target}/start")
    if kind == "stop":
        target = pick("running")
        return kind, lambda: target and d.request("POST", f"/v1.41/containers/{target}/stop?t=0")
    if kind == "rm":
        target = pick("containers")
        return kind, lambda: target and d.request("DELETE", f"/v1.41/containers/{target}?force=1&v=1")
    if kind == "volume":
        return kind, lambda: d.api_json("POST", "/v1.41/volumes/create", {"Name": f"vol{trial}"})
    if kind == "volume-rm":
        status, volumes = d.api_json("GET", "/v1.41/volumes")
        names = [v["Name"] for v in (volumes or {}).get("Volumes") or []] if status == 200 else []
        target = rng.choice(names) if names else None
        return kind, lambda: target and d.request("DELETE", f"/v1.41/volumes/{target}?force=1")
    if kind == "volume-write":
        def write():
            # A container that writes a few hundred files into a named volume, killed under it.
            body = {"Image": tag, "HostConfig": {"Binds": [f"crashvol{trial % 3}:/data"]},
                    "Cmd": ["sh", "-c", "i=0; while [ $i -lt 300 ]; do echo $i > /data/f$i; i=$((i+1)); done; "
                            "rm -f /data/f*; sleep 300"]}
            status, created = d.api_json("POST", f"/v1.41/containers/create?name={name}", body)
            if status == 201:
                d.request("POST", f"/v1.41/containers/{created['Id']}/start")
        return kind, write
    if kind == "load":
        archive = save_archive(rng, f"crashload:t{trial}")
        return kind, lambda: load(d, archive)
    if kind == "rmi":
        status, images = d.api_json("GET", "/v1.41/images/json")
        tags = [t for i in (images or []) if status == 200 for t in i.get("RepoTags") or []
                if t.startswith(("crashload:", "crashbuild:"))]
        target = rng.choice(tags) if tags else None
        return kind, lambda: target and d.request("DELETE", f"/v1.41/images/{target}?force=1")
    if kind == "network":
        return kind, lambda: d.api_json("POST", "/v1.41/networks/create", {"Name": f"net{trial}"})
    if kind == "tag":
        return kind, lambda: d.request("POST", f"/v1.41/images/{tag}/tag?repo=crash&tag=t{trial}")

    def build():
        conn = harness.UnixHTTPConnection(d.socket, timeout=30)
        try:
            with open(build_dir + "/context.tar", "rb") as body:
                conn.request("POST", f"/v1.41/build?t=crashbuild:{trial}&nocache=1", body=body.read(),
                             headers={"Content-Type": "application/x-tar"})
            conn.getresponse().read()
        finally:
            conn.close()
    return kind, build


def save_archive(rng, repo_tag):
    """A `docker save` archive of a one-layer image whose layer (about 2 MB of random bytes) the
    store has never seen, so the load stores, unpacks and records a new layer each time."""
    layer = harness.tar_of({"crash/data": rng.randbytes(2 << 20), "crash/small": b"x\n"})
    diff_hex = hashlib.sha256(layer).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
                         "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_hex}"]},
                         "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "crash test"}]}).encode()
    config_hex = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": f"{config_hex}.json", "RepoTags": [repo_tag],
                            "Layers": [f"{diff_hex}/layer.tar"]}]).encode()
    return harness.tar_of({"manifest.json": manifest, f"{config_hex}.json": config,
                           f"{diff_hex}/layer.tar": layer})


def load(d, archive):
    conn = harness.UnixHTTPConnection(d.socket, timeout=30)
    try:
        conn.request("POST", "/v1.41/images/load?quiet=1", body=archive,
                     headers={"Content-Type": "application/x-tar"})
        conn.getresponse().read()
    finally:
        conn.close()


def make_build_context(directory, image):
    import tarfile
    dockerfile = (f"FROM {image}\nRUN echo one > /one && sleep 0.2\nCOPY hello /hello\n"
                  "RUN mkdir -p /d && for i in 1 2 3 4 5; do echo $i > /d/$i; done\n").encode()
    with tarfile.open(os.path.join(directory, "context.tar"), "w") as tar:
        for name, data in (("Dockerfile", dockerfile), ("hello", b"hello\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


# [SECTION] What must hold after each restart

def records(root):
    """Every metadata JSON file the daemon keeps (not files inside layers, volumes or rootfs)."""
    skip = {"_data", "fs", "rootfs", "upper", "work", "diff", "blobs", "context"}
    for base, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x not in skip]
        for f in files:
            yield os.path.join(base, f)


def check_consistent(d, trial, what):
    where = f"trial {trial} (killed during {what})"
    problems = []
    for path in records(d.root):
        name = os.path.basename(path)
        if ".tmp-" in name or name.endswith(".tmp"):
            problems.append(f"temporary file of an interrupted write left: {path}")
        elif name.endswith(".json"):
            try:
                with open(path) as f:
                    json.load(f)
            except ValueError as error:
                problems.append(f"record does not parse: {path}: {error}")

    problems += image_store_problems(d)

    status, listed = d.api_json("GET", "/v1.41/containers/json?all=1")
    assert status == 200, f"{where}: containers/json answered {status}"
    listed_ids = {c["Id"] for c in listed}
    on_disk = {x for x in os.listdir(os.path.join(d.root, "containers"))
               if os.path.isfile(os.path.join(d.root, "containers", x, "config.v2.json"))}
    if listed_ids != on_disk:
        problems.append(f"containers listed {sorted(listed_ids - on_disk)} not on disk, "
                        f"on disk {sorted(on_disk - listed_ids)} not listed")
    leftover_dirs = set(os.listdir(os.path.join(d.root, "containers"))) - on_disk
    if leftover_dirs:
        problems.append(f"container directories without a record: {sorted(leftover_dirs)}")
    running = {}
    for c in listed:
        status, info = d.api_json("GET", f"/v1.41/containers/{c['Id']}/json")
        if info["State"]["Running"]:
            running[c["Id"]] = info
            if not os.path.exists(f"/proc/{info['State']['Pid']}"):
                problems.append(f"container {c['Id'][:12]} is listed running but pid {info['State']['Pid']} is gone")

    # Every process of a container or build step this daemon ever made belongs to a running
    # container (cgroups are named glassbox/<id> and glassbox/build-<step id>).
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                groups = {line.rstrip("\n").split(":", 2)[2] for line in f}
        except OSError:
            continue
        for group in groups:
            name = group.rpartition("/glassbox/")[2] if "/glassbox/" in group else ""
            if name in d.crash_seen and name not in running:
                problems.append(f"orphan process {pid} in cgroup {group}")
    # And no cgroup of one of them is left unless its container is running (v2 and v1 layouts).
    parents = ["/sys/fs/cgroup/glassbox"] + [f"/sys/fs/cgroup/{h}/glassbox" for h in os.listdir("/sys/fs/cgroup")
                                              if os.path.isdir(f"/sys/fs/cgroup/{h}/glassbox")]
    for parent in parents:
        for name in sorted(set(os.listdir(parent)) & d.crash_seen if os.path.isdir(parent) else ()):
            if name not in running:
                problems.append(f"cgroup {parent}/{name} left, and its container is not running")

    # Volumes and networks: the API and the disk agree; each user network has its bridge.
    status, volumes = d.api_json("GET", "/v1.41/volumes")
    vol_listed = {v["Name"] for v in volumes["Volumes"] or []}
    vol_dir = os.path.join(d.root, "volumes")
    vol_disk = {x for x in os.listdir(vol_dir) if os.path.isfile(os.path.join(vol_dir, x, "volume.json"))}
    if vol_listed != vol_disk:
        problems.append(f"volumes listed {sorted(vol_listed ^ vol_disk)} differ from disk")
    vol_orphans = {x for x in os.listdir(vol_dir) if os.path.isdir(os.path.join(vol_dir, x))} - vol_disk
    if vol_orphans:
        problems.append(f"volume directories without a record: {sorted(vol_orphans)}")
    for v in sorted(vol_listed & vol_disk):
        if not os.path.isdir(os.path.join(vol_dir, v, "_data")):
            problems.append(f"volume {v} has a record but no _data")
    status, networks = d.api_json("GET", "/v1.41/networks")
    links = subprocess.run(["ip", "-o", "link", "show", "type", "bridge"], capture_output=True, text=True).stdout
    for net in networks:
        bridge = (net.get("Options") or {}).get("com.docker.network.bridge.name")
        if net["Name"] not in ("bridge", "host", "none") and bridge and f" {bridge}:" not in links:
            problems.append(f"network {net['Name']} has no bridge {bridge}")

    # Addresses: every allocated address belongs to a running container (or is a gateway).
    ipam_path = os.path.join(d.root, "network", "ipam.json")
    if os.path.exists(ipam_path):
        with open(ipam_path) as f:
            ipam = json.load(f)
        in_use = set()
        for info in running.values():
            for endpoint in (info["NetworkSettings"].get("Networks") or {}).values():
                in_use.add(endpoint.get("IPAddress"))
        for net_id, pool in ipam.get("networks", {}).items():
            leaked = set(pool.get("allocated", [])) - in_use - {pool.get("gateway")}
            if leaked:
                problems.append(f"addresses allocated but used by no running container: {sorted(leaked)}")

    tmp_dir = os.path.join(d.root, "tmp")
    mounted = harness.mounts_under(tmp_dir)
    if mounted:
        problems.append(f"mounts left under the daemon's tmp: {mounted}")
    steps = os.path.join(tmp_dir, "build-steps")
    if os.path.isdir(steps) and os.listdir(steps):
        problems.append(f"build step directories left: {os.listdir(steps)}")
    leftovers = [x for x in os.listdir(tmp_dir) if x != "build-steps"] if os.path.isdir(tmp_dir) else []
    if leftovers:
        problems.append(f"temporary files left in {tmp_dir}: {leftovers}")
    for point in harness.mounts_under(d.root):
        cid = point[len(os.path.join(d.root, "containers")) + 1:].split("/")[0]
        if cid not in running:
            problems.append(f"mount of a container that is not running: {point}")
    assert not problems, f"{where}:\n  " + "\n  ".join(problems) + "\n" + d.log_text()[-1500:]


VERIFIED = {}  # blob path -> (inode, size, mtime) of the file whose sha256 matched its name.


def blob_problem(path, hex_name):
    """None when the blob is there and hashes to its name. Blobs never change once stored, so one
    that was verified and is still the same file is not hashed again."""
    try:
        st = os.stat(path)
    except OSError:
        return f"blob {path} is missing"
    key = (st.st_ino, st.st_size, st.st_mtime_ns)
    if VERIFIED.get(path) == key:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != hex_name:
        return f"blob {path} has sha256 {digest.hexdigest()}"
    VERIFIED[path] = key
    return None


def image_store_problems(d):
    """Every blob an image record names is present and verified; no layer or blob is unused."""
    image_dir = os.path.join(d.root, "image")
    blobs = os.path.join(image_dir, "blobs", "sha256")
    problems = []
    used_layers, used_blobs = set(), set()
    records = os.path.join(image_dir, "images")
    for name in os.listdir(records):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(records, name)) as f:
            record = json.load(f)
        config_hex = name[:-5]
        used_blobs.add(config_hex)
        problem = blob_problem(os.path.join(blobs, config_hex), config_hex)
        if problem:
            problems.append(f"image {config_hex[:12]}: config {problem}")
        for diff_id in record.get("layers", []):
            layer_hex = diff_id.split(":", 1)[1]
            used_layers.add(layer_hex)
            used_blobs.add(layer_hex)
            if not os.path.isfile(os.path.join(image_dir, "layers", layer_hex, "meta.json")):
                problems.append(f"image {config_hex[:12]} names layer {layer_hex[:12]}, which is not unpacked")
            problem = blob_problem(os.path.join(blobs, layer_hex), layer_hex)
            if problem:
                problems.append(f"image {config_hex[:12]}: layer {problem}")
    orphan_layers = set(os.listdir(os.path.join(image_dir, "layers"))) - used_layers
    if orphan_layers:
        problems.append(f"layer directories no image uses: {sorted(orphan_layers)}")
    orphan_blobs = set(os.listdir(blobs)) - used_blobs
    if orphan_blobs:
        problems.append(f"blobs no image uses: {sorted(orphan_blobs)}")
    left = os.listdir(os.path.join(image_dir, "tmp"))
    if left:
        problems.append(f"temporary files left in the image store: {left}")
    return problems


def test_sigkill_at_random_moments_leaves_a_consistent_store(crashing_daemon, tmp_path):
    d = crashing_daemon
    seed = int(os.environ.get("GLASSBOX_CRASH_SEED", str(random.randrange(1 << 30))))
    print(f"GLASSBOX_CRASH_SEED={seed}")
    rng = random.Random(seed)
    make_build_context(str(tmp_path), d.tag)
    status, net = d.api_json("POST", "/v1.41/networks/create", {"Name": "crashnet"})
    assert status == 201, net
    d.crash_network = "crashnet"
    d.crash_seen = set()

    started = time.monotonic()
    kinds = {}
    for trial in range(TRIALS):
        # Spread the trials over the budget; builds get longer before the kill.
        kind, act = operation(d, rng, trial, str(tmp_path))
        kinds[kind] = kinds.get(kind, 0) + 1
        worker = threading.Thread(target=lambda: _swallow(act), daemon=True)
        worker.start()
        time.sleep(rng.uniform(0, {"build": 1.2, "load": 0.4, "volume-write": 0.6}.get(kind, 0.25)))
        remember(d)
        d.kill_and_restart()
        worker.join(timeout=30)
        check_consistent(d, trial, kind)
        # Keep the store small: remove containers beyond a handful (through the live daemon).
        ids = existing(d, "containers")
        for cid in ids[8:]:
            d.request("DELETE", f"/v1.41/containers/{cid}?force=1&v=1", timeout=60)
        if time.monotonic() - started > BUDGET_SECONDS:
            # A loaded machine: stop early rather than overrun the suite's time (reported, not
            # asserted: timings are never asserted).
            print(f"stopping after {trial + 1} of {TRIALS} trials: the {BUDGET_SECONDS} s budget is used up")
            break
    print(f"{sum(kinds.values())} trials in {time.monotonic() - started:.1f} s: {kinds}")

    # The next normal stop leaves no mount behind (the fixture checks it too).
    d.remove_all_containers()
    check_consistent(d, TRIALS, "nothing (final check)")


def remember(d):
    """The container ids and build step cgroup names that exist at the moment of the kill."""
    d.crash_seen.update(os.listdir(os.path.join(d.root, "containers")))
    steps = os.path.join(d.root, "tmp", "build-steps")
    if os.path.isdir(steps):
        d.crash_seen.update(f"build-{x}" for x in os.listdir(steps))


def _swallow(act):
    try:
        act()
    except (OSError, ValueError, TypeError, KeyError, AttributeError, http.client.HTTPException):
        pass  # The daemon was killed under the request: that is the point.
