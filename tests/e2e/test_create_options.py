"""Create options that dockerd puts in effect, run the same way against glassboxd and a private
dockerd 20.10 (tests/e2e/dockerd_harness.py): HostConfig.PidMode (host, container:<name>),
MacAddress, DeviceCgroupRules, VolumesFrom, bind propagation (-v ...:rslave and
Mounts[].BindOptions.Propagation, and which way mounts cross an rshared, rslave and rprivate bind),
MemorySwap's default of twice Memory, and CpuPeriod (with and without CpuQuota) in the cgroup. Each test compares
what the container sees, what inspect shows, and the status and wording of the refusals.

Where glassboxd refuses earlier than dockerd on purpose (a bad MAC address or device rule is a 400
at create on glassboxd; dockerd takes the create and fails the start with a 500), the tests say so
and compare the wording.
"""
import contextlib
import json
import os
import random
import subprocess
import tempfile

import pytest

from dockerd_harness import running_dockerd
from glassbox_harness import CLI, UnixHTTPConnection, unique

pytestmark = pytest.mark.skipif(os.environ.get("GLASSBOX_E2E_REFERENCE") == "dockerd",
                                reason="the file runs its own dockerd for the comparison")

# Outside the 10.100-249 pools the harness gives private daemons and the ranges other tests use.
OCTET = random.randint(0, 200)
SUBNETS = {"glassbox": f"10.96.{OCTET}.0/24", "docker": f"10.95.{OCTET}.0/24"}


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def call(peer, method, path, body=None):
    """One API call on either daemon's socket: (status, parsed JSON or None)."""
    conn = UnixHTTPConnection(peer.socket, timeout=60)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, "/v1.41" + path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data.strip() else None)
    finally:
        conn.close()


def inspect(peer, name):
    status, info = call(peer, "GET", f"/containers/{name}/json")
    assert status == 200, info
    return info


def message(body):
    return (body or {}).get("message", "")


@pytest.fixture(scope="module")
def dockerd(daemon):
    with running_dockerd(daemon) as peer:
        yield peer


@pytest.fixture
def peers(daemon, dockerd):
    """Both daemons by name; every container a test names with `track` is removed afterwards."""
    made = []

    def track(peer, name):
        made.append((peer, name))
        return name
    yield {"glassbox": daemon, "docker": dockerd}, track
    for peer, name in reversed(made):
        peer.docker("rm", "-f", "-v", name)


def create_and_start(peer, name, body):
    """POST create then start; returns (create status, create body, start status, start body)."""
    status, created = call(peer, "POST", f"/containers/create?name={name}", body)
    if status != 201:
        return status, created, None, None
    start_status, started = call(peer, "POST", f"/containers/{name}/start")
    return status, created, start_status, started


# [SECTION] PidMode


def test_pid_mode_host_and_container_are_in_effect_and_shown_as_dockerd_shows_them(peers, image):
    daemons, track = peers
    with open("/proc/1/comm") as f:
        host_init = f.read().strip()
    seen = {}
    for who, peer in daemons.items():
        target = track(peer, unique("gbpt"))
        ok(peer.docker("run", "-d", "--name", target, "--network", "none", image, "sleep", "300"))
        target_id = inspect(peer, target)["Id"]
        host = track(peer, unique("gbph"))
        joined = track(peer, unique("gbpj"))
        in_host = ok(peer.docker("run", "--name", host, "--network", "none", "--pid", "host", image,
                                 "cat", "/proc/1/comm")).strip()
        in_joined = ok(peer.docker("run", "--name", joined, "--network", "none", "--pid", f"container:{target}",
                                   image, "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline")).strip()
        seen[who] = {
            "host pid 1": in_host,
            "joined pid 1": in_joined,
            "host mode": inspect(peer, host)["HostConfig"]["PidMode"],
            "joined mode": inspect(peer, joined)["HostConfig"]["PidMode"].replace(target_id, "<id>"),
        }

    assert seen["glassbox"] == seen["docker"]
    assert seen["glassbox"]["host pid 1"] == host_init
    assert seen["glassbox"]["joined pid 1"] == "sleep 300"
    assert seen["glassbox"]["joined mode"] == "container:<id>"


def test_pid_mode_errors_match_dockerd(peers, image):
    daemons, track = peers
    results = {}
    for who, peer in daemons.items():
        stopped = track(peer, unique("gbps"))
        ok(peer.docker("create", "--name", stopped, "--network", "none", image, "sleep", "300"))
        stopped_id = inspect(peer, stopped)["Id"]
        missing = call(peer, "POST", "/containers/create",
                       {"Image": image, "Cmd": ["true"], "HostConfig": {"PidMode": "container:gb-no-such"}})
        joiner = track(peer, unique("gbpn"))
        _, _, start_status, started = create_and_start(
            peer, joiner, {"Image": image, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none", "PidMode": f"container:{stopped}"}})
        results[who] = (missing[0], message(missing[1]), start_status,
                        "is not running" in message(started).replace(stopped_id, stopped))

    assert results["glassbox"] == results["docker"]
    assert results["glassbox"][:2] == (400, "No such container: gb-no-such")


# [SECTION] MacAddress


def test_mac_address_is_the_interface_address_and_shown_in_inspect(peers, image):
    daemons, track = peers
    mac = "02:42:ac:11:0%d:55" % random.randint(0, 9)
    seen = {}
    for who, peer in daemons.items():
        network = unique("gbmn")
        ok(peer.docker("network", "create", "--subnet", SUBNETS[who], network))
        try:
            name = track(peer, unique("gbma"))
            created, _, started, body = create_and_start(peer, name, {
                "Image": image, "Cmd": ["sleep", "300"], "MacAddress": mac, "HostConfig": {"NetworkMode": network}})
            assert (created, started) == (201, 204), body
            inside = ok(peer.docker("exec", name, "cat", "/sys/class/net/eth0/address")).strip()
            info = inspect(peer, name)
            seen[who] = (inside, info["Config"].get("MacAddress"), info["NetworkSettings"]["Networks"][network]["MacAddress"])
            peer.docker("rm", "-f", name)
        finally:
            peer.docker("network", "rm", network)

    assert seen["glassbox"] == seen["docker"] == (mac, mac, mac)


def test_endpoint_mac_address_is_applied_on_glassbox(daemon, image):
    # dockerd 20.10 ignores EndpointsConfig.<net>.MacAddress (API 1.44 made it the way to ask);
    # glassboxd applies it, so the docker CLI 25+ and SDKs that send it get what they asked for.
    network = unique("gbme")
    name = unique("gbmf")
    mac = "02:42:ac:11:00:77"
    ok(daemon.docker("network", "create", "--subnet", SUBNETS["glassbox"], network))
    try:
        created, _, started, body = create_and_start(daemon, name, {
            "Image": image, "Cmd": ["sleep", "300"], "HostConfig": {"NetworkMode": network},
            "NetworkingConfig": {"EndpointsConfig": {network: {"MacAddress": mac}}}})
        assert (created, started) == (201, 204), body
        inside = ok(daemon.docker("exec", name, "cat", "/sys/class/net/eth0/address")).strip()
        shown = inspect(daemon, name)["NetworkSettings"]["Networks"][network]["MacAddress"]
    finally:
        daemon.docker("rm", "-f", name)
        daemon.docker("network", "rm", network)

    assert (inside, shown) == (mac, mac)


# [SECTION] DeviceCgroupRules


# Opening a node whose major has no driver fails with ENXIO once the device cgroup lets it
# through, and with EPERM while the cgroup refuses it: which one the container sees shows the rule.
PROBE = "mknod /tmp/probe c 42 7 && (cat /tmp/probe 2>&1; true)"


def test_device_cgroup_rule_opens_a_device_that_the_default_list_refuses(peers, image):
    daemons, track = peers
    seen = {}
    for who, peer in daemons.items():
        plain = track(peer, unique("gbdp"))
        ruled = track(peer, unique("gbdr"))
        refused = ok(peer.docker("run", "--name", plain, "--network", "none", image, "sh", "-c", PROBE)).strip()
        allowed = ok(peer.docker("run", "--name", ruled, "--network", "none", "--device-cgroup-rule", "c 42:7 rw",
                                 image, "sh", "-c", PROBE)).strip()
        seen[who] = (refused.split(": ")[-1], allowed.split(": ")[-1],
                     inspect(peer, ruled)["HostConfig"]["DeviceCgroupRules"])

    assert seen["glassbox"] == seen["docker"]
    assert seen["glassbox"] == ("Operation not permitted", "No such device or address", ["c 42:7 rw"])


def test_device_cgroup_allow_list_is_dockers_on_cgroup_v1(daemon, image):
    name = unique("gbdl")
    ok(daemon.docker("run", "-d", "--name", name, "--network", "none", "--device-cgroup-rule", "b 7:* r",
                     image, "sleep", "300"))
    try:
        cid = inspect(daemon, name)["Id"]
        path = f"/sys/fs/cgroup/devices/glassbox/{cid}/devices.list"
        if not os.path.exists(path):
            pytest.skip("no cgroup v1 devices hierarchy on this host")
        with open(path) as f:
            rules = f.read().split("\n")
    finally:
        daemon.docker("rm", "-f", name)

    for rule in ("c 1:3 rwm", "c 136:* rwm", "c 5:2 rwm", "b *:* m", "b 7:* r"):
        assert rule in rules
    assert "a *:* rwm" not in rules


# [SECTION] Bad values glassboxd refuses at create


@pytest.mark.parametrize("extra, words", [
    ({"MacAddress": "zz:00"}, "invalid MAC address"),
    ({"HostConfig": {"NetworkMode": "none", "DeviceCgroupRules": ["c 1:3 rwx"]}},
     "invalid device cgroup rule format: 'c 1:3 rwx'"),
])
def test_bad_value_is_refused_at_create_with_dockerds_words(peers, image, extra, words):
    daemons, track = peers
    results = {}
    for who, peer in daemons.items():
        name = track(peer, unique("gbbad"))
        body = {"Image": image, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}, **extra}
        created, created_body, started, start_body = create_and_start(peer, name, body)
        results[who] = (created, message(created_body) or message(start_body), started)

    # dockerd takes the create and fails the start (500); glassboxd refuses the create (400).
    assert results["docker"][0] == 201 and results["docker"][2] == 500
    assert results["glassbox"][0] == 400
    for who in results:
        assert words in results[who][1], results


# [SECTION] VolumesFrom


def mounts_of(info, volume_names):
    """Inspect's Mounts as comparable tuples (the daemons' volume paths and anonymous names differ)."""
    out = []
    for m in info["Mounts"]:
        name = m.get("Name", "")
        out.append((m["Type"], m["Destination"], m["RW"], m["Propagation"],
                    volume_names.get(name, "<anonymous>" if m["Type"] == "volume" else m["Source"])))
    return sorted(out)


def test_volumes_from_shares_volumes_and_binds_as_dockerd_does(peers, image, tmp_path):
    daemons, track = peers
    host_dir = tmp_path / "shared"
    host_dir.mkdir()
    (host_dir / "file").write_text("from the host\n")
    seen = {}
    for who, peer in daemons.items():
        volume = unique("gbvn")
        source = track(peer, unique("gbvs"))
        ok(peer.docker("run", "--name", source, "--network", "none", "-v", f"{host_dir}:/b1", "-v", "/data",
                       "-v", f"{volume}:/n1:ro", image, "sh", "-c", "echo from the source > /data/f"))
        reader = track(peer, unique("gbvr"))
        read = ok(peer.docker("run", "--name", reader, "--network", "none", "--volumes-from", source, image,
                              "cat", "/data/f", "/b1/file")).strip()
        readonly = track(peer, unique("gbvo"))
        write = peer.docker("run", "--name", readonly, "--network", "none", "--volumes-from", f"{source}:ro", image,
                            "sh", "-c", "touch /data/g")
        override = track(peer, unique("gbvv"))
        ok(peer.docker("create", "--name", override, "--network", "none", "--volumes-from", source,
                       "-v", f"{host_dir}:/data", image, "true"))
        names = {volume: "<named>"}
        seen[who] = {
            "read": read,
            "ro write fails": write.returncode != 0 and "Read-only file system" in write.stderr,
            "ro mounts": mounts_of(inspect(peer, readonly), names),
            "override mounts": mounts_of(inspect(peer, override), names),
            "shown": inspect(peer, readonly)["HostConfig"]["VolumesFrom"],
        }
        for name in (reader, readonly, override):
            peer.docker("rm", "-f", name)
        peer.docker("rm", "-f", "-v", source)
        peer.docker("volume", "rm", volume)
        seen[who]["shown"] = [entry.replace(source, "<source>") for entry in seen[who]["shown"]]

    assert seen["glassbox"] == seen["docker"]
    assert seen["glassbox"]["read"] == "from the source\nfrom the host"
    assert seen["glassbox"]["ro write fails"]


def test_volumes_from_errors_match_dockerd(peers, image):
    daemons, track = peers
    results = {}
    for who, peer in daemons.items():
        source = track(peer, unique("gbve"))
        ok(peer.docker("create", "--name", source, "--network", "none", "-v", "/data", image, "true"))
        missing = call(peer, "POST", "/containers/create",
                       {"Image": image, "Cmd": ["true"], "HostConfig": {"VolumesFrom": ["gb-no-such"]}})
        bad_mode = call(peer, "POST", "/containers/create",
                        {"Image": image, "Cmd": ["true"], "HostConfig": {"VolumesFrom": [f"{source}:xx"]}})
        results[who] = (missing[0], message(missing[1]), bad_mode[0], message(bad_mode[1]))

    assert results["docker"] == (400, "No such container: gb-no-such", 400, "invalid mode: xx")
    # glassboxd names the field in front of dockerd's words.
    assert results["glassbox"] == (400, "No such container: gb-no-such", 400, "HostConfig.VolumesFrom: invalid mode: xx")


# [SECTION] Bind propagation


@contextlib.contextmanager
def shared_tmpfs():
    """A tmpfs made a shared mount (so dockerd's and glassbox's checks let rshared through), with a
    subdirectory to mount on later; unmounted afterwards."""
    base = tempfile.mkdtemp(prefix="gb-propagation-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", base], check=True)
    try:
        subprocess.run(["mount", "--make-shared", base], check=True)
        os.mkdir(os.path.join(base, "later"))
        yield base
    finally:
        subprocess.run(["umount", "-R", "-l", base], capture_output=True)
        os.rmdir(base)


def propagation_of(peer, name, destination):
    """'shared', 'slave' or 'private', from the container's mountinfo for `destination`."""
    text = ok(peer.docker("exec", name, "cat", "/proc/self/mountinfo"))
    for line in text.splitlines():
        fields = line.split(" ")
        if fields[4] == destination:
            optional = fields[6:fields.index("-")]
            if any(o.startswith("shared:") for o in optional):
                return "shared"
            return "slave" if any(o.startswith("master:") for o in optional) else "private"
    return "absent"


def test_bind_propagation_is_applied_and_shown_as_dockerd_does(peers, image):
    if os.geteuid() != 0:
        pytest.skip("needs root to make a shared tmpfs mount")
    daemons, track = peers
    seen = {}
    with shared_tmpfs() as base:
        for who, peer in daemons.items():
            name = track(peer, unique("gbbp"))
            ok(peer.docker("run", "-d", "--name", name, "--network", "none",
                           "-v", f"{base}:/default", "-v", f"{base}:/rslave:rslave", "-v", f"{base}:/rprivate:rprivate",
                           "-v", f"{base}:/ro-rslave:ro,rslave", "-v", f"{base}:/rw-rslave:rw,rslave",
                           "--mount", f"type=bind,src={base},dst=/rshared,bind-propagation=rshared",
                           image, "sleep", "300"))
            kinds = {d: propagation_of(peer, name, d) for d in ("/default", "/rslave", "/rprivate", "/rshared")}
            # A mount made on the host after the start reaches a slave (or shared) bind only.
            later = os.path.join(base, "later")
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", later], check=True)
            try:
                arrived = {d: propagation_of(peer, name, d + "/later") != "absent" for d in ("/default", "/rslave")}
            finally:
                subprocess.run(["umount", "-l", later], capture_output=True)
            # dockerd's Mode is the -v options as written ("ro,rslave"), "" for --mount.
            shown = {m["Destination"]: (m["Propagation"], m["Mode"], m["RW"]) for m in inspect(peer, name)["Mounts"]}
            seen[who] = (kinds, arrived, shown)
            peer.docker("rm", "-f", name)

    assert seen["glassbox"] == seen["docker"]
    kinds, arrived, shown = seen["glassbox"]
    assert kinds == {"/default": "private", "/rslave": "slave", "/rprivate": "private", "/rshared": "shared"}
    assert arrived == {"/default": False, "/rslave": True}
    assert shown == {"/default": ("rprivate", "", True), "/rslave": ("rslave", "rslave", True),
                     "/rprivate": ("rprivate", "rprivate", True), "/ro-rslave": ("rslave", "ro,rslave", False),
                     "/rw-rslave": ("rslave", "rw,rslave", True), "/rshared": ("rshared", "", True)}


def test_rshared_bind_sends_container_mounts_to_the_host_and_rslave_only_receives(peers, image):
    # A mount made in the container under an rshared bind appears on the host (the bind is a peer
    # of the host's mount); under rslave host mounts come in and nothing goes out; under rprivate
    # neither. The container needs CAP_SYS_ADMIN to mount (--privileged would be more than that,
    # and the private dockerd cannot give every capability on this host).
    if os.geteuid() != 0:
        pytest.skip("needs root to make a shared tmpfs mount")
    daemons, track = peers
    modes = ("rshared", "rslave", "rprivate")
    seen = {}
    for who, peer in daemons.items():
        with shared_tmpfs() as base:
            for mode in modes:
                os.mkdir(os.path.join(base, "from-" + mode))
            name = track(peer, unique("gbbo"))
            binds = [a for mode in modes for a in ("-v", f"{base}:/{mode}:{mode}")]
            ok(peer.docker("run", "-d", "--name", name, "--network", "none", "--cap-add", "SYS_ADMIN", *binds,
                           image, "sleep", "300"))
            try:
                ok(peer.docker("exec", name, "sh", "-c", " && ".join(
                    f"mount -t tmpfs -o size=1m tmpfs /{mode}/from-{mode}" for mode in modes)))
                sent = {mode: os.path.ismount(os.path.join(base, "from-" + mode)) for mode in modes}
                later = os.path.join(base, "later")
                subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", later], check=True)
                received = {mode: propagation_of(peer, name, f"/{mode}/later") != "absent" for mode in modes}
            finally:
                peer.docker("rm", "-f", name)
            seen[who] = (sent, received)

    assert seen["glassbox"] == seen["docker"]
    assert seen["glassbox"] == ({"rshared": True, "rslave": False, "rprivate": False},
                                {"rshared": True, "rslave": True, "rprivate": False})


def test_bind_propagation_errors_match_dockerd(peers, image, tmp_path):
    daemons, track = peers
    results = {}
    private_source = None
    with open("/proc/self/mountinfo") as f:
        # tmp_path's own mount; the check only means something where it is not shared.
        for line in f:
            fields = line.split(" ")
            if str(tmp_path).startswith(fields[4]) and not any(o.startswith("shared:") for o in fields[6:fields.index("-")]):
                private_source = tmp_path
    for who, peer in daemons.items():
        bad_mode = call(peer, "POST", "/containers/create", {"Image": image, "Cmd": ["true"], "HostConfig": {
            "Mounts": [{"Type": "bind", "Source": str(tmp_path), "Target": "/b", "BindOptions": {"Propagation": "bogus"}}]}})
        on_volume = call(peer, "POST", "/containers/create", {"Image": image, "Cmd": ["true"], "HostConfig": {
            "Binds": [f"{unique('gbbv')}:/b:rshared"]}})
        not_shared = None
        if private_source is not None:
            name = track(peer, unique("gbbs"))
            _, _, status, body = create_and_start(peer, name, {"Image": image, "Cmd": ["true"], "HostConfig": {
                "NetworkMode": "none", "Binds": [f"{private_source}:/b:rshared"]}})
            not_shared = (status, message(body).split(" is mounted on ")[-1])
        results[who] = (bad_mode[0], message(bad_mode[1]), "field BindOptions must not be specified" in message(on_volume[1]),
                        not_shared)

    assert results["glassbox"] == results["docker"]
    assert results["glassbox"][:3] == (400, 'invalid mount config for type "bind": invalid propagation mode: bogus', True)


# [SECTION] MemorySwap


def test_memory_swap_defaults_to_twice_memory_as_dockerd_records_it(peers, image):
    daemons, track = peers
    seen = {}
    for who, peer in daemons.items():
        default = track(peer, unique("gbsd"))
        unlimited = track(peer, unique("gbsu"))
        ok(peer.docker("create", "--name", default, "--network", "none", "-m", "32m", image, "true"))
        ok(peer.docker("create", "--name", unlimited, "--network", "none", "-m", "32m", "--memory-swap", "-1", image, "true"))
        seen[who] = tuple((inspect(peer, n)["HostConfig"]["Memory"], inspect(peer, n)["HostConfig"]["MemorySwap"])
                          for n in (default, unlimited))

    assert seen["glassbox"] == seen["docker"] == ((32 << 20, 64 << 20), (32 << 20, -1))


def test_memory_swap_default_reaches_the_cgroup(daemon, image):
    name = unique("gbsc")
    ok(daemon.docker("run", "-d", "--name", name, "--network", "none", "-m", "32m", image, "sleep", "300"))
    try:
        cid = inspect(daemon, name)["Id"]
        path = f"/sys/fs/cgroup/memory/glassbox/{cid}/memory.memsw.limit_in_bytes"
        if not os.path.exists(path):
            pytest.skip("no memory.memsw.limit_in_bytes here (cgroup v2, or swap accounting off)")
        with open(path) as f:
            limit = int(f.read())
    finally:
        daemon.docker("rm", "-f", name)

    assert limit == 64 << 20


# [SECTION] CpuPeriod


def cfs_of(pid):
    """(quota, period) of the CPU controller of the cgroup `pid` is in, as cpu.max writes them:
    v1's cpu.cfs_quota_us and cpu.cfs_period_us (quota "max" for -1) or v2's cpu.max."""
    with open(f"/proc/{pid}/cgroup") as f:
        entries = [line.rstrip("\n").split(":", 2) for line in f]
    for _, controllers, path in entries:
        if "cpu" in controllers.split(","):
            base = next(b for b in (f"/sys/fs/cgroup/{controllers}", "/sys/fs/cgroup/cpu") if os.path.isdir(b))
            with open(f"{base}{path}/cpu.cfs_quota_us") as q, open(f"{base}{path}/cpu.cfs_period_us") as p:
                quota = q.read().strip()
                return ("max" if quota == "-1" else quota, p.read().strip())
    path = next(path for hierarchy, _, path in entries if hierarchy == "0")
    with open(f"/sys/fs/cgroup{path}/cpu.max") as f:
        return tuple(f.read().split())


def test_cpu_period_alone_reaches_the_cgroup_as_dockerd_writes_it(peers, image):
    daemons, track = peers
    seen = {}
    for who, peer in daemons.items():
        alone = track(peer, unique("gbcp"))
        both = track(peer, unique("gbcq"))
        ok(peer.docker("run", "-d", "--name", alone, "--network", "none", "--cpu-period", "50000", image, "sleep", "300"))
        ok(peer.docker("run", "-d", "--name", both, "--network", "none", "--cpu-period", "50000", "--cpu-quota", "25000",
                       image, "sleep", "300"))
        seen[who] = tuple(cfs_of(inspect(peer, n)["State"]["Pid"]) for n in (alone, both))

    assert seen["glassbox"] == seen["docker"] == (("max", "50000"), ("25000", "50000"))


@pytest.mark.parametrize("host_config", [{"CpuPeriod": 500}, {"CpuPeriod": 2000000}, {"CpuQuota": 500},
                                         {"NanoCpus": 1000000000, "CpuPeriod": 50000}])
def test_cpu_period_and_quota_out_of_range_are_refused_at_create_as_dockerd_does(peers, image, host_config):
    daemons, track = peers
    results = {}
    for who, peer in daemons.items():
        status, body = call(peer, "POST", f"/containers/create?name={track(peer, unique('gbcr'))}",
                            {"Image": image, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none", **host_config}})
        results[who] = (status, message(body))

    assert results["glassbox"] == results["docker"]
    assert results["glassbox"][0] == 400


# [SECTION] The glassbox CLI


def test_glassbox_cli_run_has_the_docker_flags(daemon, image):
    if not os.access(CLI, os.X_OK):
        pytest.skip(f"the glassbox CLI is not built yet ({CLI})")
    target = unique("gbct")
    name = unique("gbcc")
    ok(daemon.cli("run", "-d", "--name", target, "--network", "none", "-v", "/data", image, "sleep", "300"))
    try:
        out = ok(daemon.cli("run", "--name", name, "--network", "none", "--pid", f"container:{target}",
                            "--volumes-from", f"{target}:ro", "--device-cgroup-rule", "c 42:7 rw",
                            "--mac-address", "02:42:ac:11:00:66", image, "sh", "-c", "cat /proc/1/comm; " + PROBE))
        info = inspect(daemon, name)
        target_id = inspect(daemon, target)["Id"]
    finally:
        daemon.cli("rm", "-f", name)
        daemon.cli("rm", "-f", "-v", target)

    assert out.split("\n")[0] == "sleep"
    assert out.strip().endswith("No such device or address")
    assert info["HostConfig"]["PidMode"] == f"container:{target_id}"
    assert info["HostConfig"]["VolumesFrom"] == [f"{target}:ro"]
    assert info["HostConfig"]["DeviceCgroupRules"] == ["c 42:7 rw"]
    assert info["Config"]["MacAddress"] == "02:42:ac:11:00:66"
    assert [(m["Destination"], m["RW"]) for m in info["Mounts"]] == [("/data", False)]
