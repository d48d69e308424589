"""Networks and stats over the Docker API, as dockerd 20.10 answers them: stats with per-interface
counters that grow after a ping, `docker stats --no-stream` columns, network connect with a static
address, an alias served by the embedded DNS and a MAC, IPAM ranges, gateways and auxiliary
addresses in inspect, names with spaces, and a differential part comparing overlap errors and
inspect fields with a private dockerd (skipped with the reason when it cannot start).
"""
import json
import random
import shutil

import pytest

from glassbox_harness import unique

# Outside the 10.100-249 pools the harness gives private daemons, so no test daemon routes these.
OCTET = random.randint(0, 200)
GB_SUBNET = f"10.98.{OCTET}.0/24"
DOCKERD_SUBNET = f"10.99.{OCTET}.0/24"


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def create_body(name, subnet):
    base = subnet.rsplit(".", 1)[0]
    return {"Name": name, "CheckDuplicate": True, "Options": {"foo": "bar"},
            "IPAM": {"Config": [{"Subnet": subnet, "IPRange": f"{base}.128/25", "Gateway": f"{base}.254",
                                 "AuxiliaryAddresses": {"router": f"{base}.130"}}]}}


@pytest.fixture
def lab(daemon, docker_cli):
    """A user-defined network (name with a space) and two containers on it; removed afterwards."""
    net = unique("gb net")
    status, body = daemon.api_json("POST", "/v1.41/networks/create", create_body(net, GB_SUBNET))
    assert status == 201, body
    names = [unique("gbn1"), unique("gbn2")]
    for name in names:
        ok(daemon.docker("run", "-d", "--name", name, "--network", net, daemon.tag, "sleep", "120"))
    yield net, names
    ok(daemon.docker("rm", "-f", *names))
    ok(daemon.docker("network", "rm", net))


def test_network_inspect_shows_the_range_gateway_aux_addresses_and_options(daemon, lab):
    net, names = lab
    status, info = daemon.api_json("GET", f"/v1.41/networks/{net.replace(' ', '%20')}")
    assert status == 200
    config = info["IPAM"]["Config"][0]
    base = GB_SUBNET.rsplit(".", 1)[0]
    assert config == {"Subnet": GB_SUBNET, "IPRange": f"{base}.128/25", "Gateway": f"{base}.254",
                      "AuxiliaryAddresses": {"router": f"{base}.130"}}
    assert info["Options"] == {"foo": "bar"}
    addresses = sorted(c["IPv4Address"] for c in info["Containers"].values())
    # From the range, the auxiliary address skipped.
    assert addresses == [f"{base}.128/24", f"{base}.129/24"]


def test_stats_networks_counters_grow_after_a_ping(daemon, lab):
    net, (first, second) = lab
    status, before = daemon.api_json("GET", f"/v1.41/containers/{first}/stats?stream=0")
    assert status == 200
    assert before["preread"] != "0001-01-01T00:00:00Z"
    assert before["precpu_stats"]["system_cpu_usage"] > 0
    assert before["cpu_stats"]["system_cpu_usage"] > before["precpu_stats"]["system_cpu_usage"]
    assert before["memory_stats"]["limit"] > 0 and before["pids_stats"]["current"] >= 1
    assert "io_service_bytes_recursive" in before["blkio_stats"]
    ok(daemon.docker("exec", first, "ping", "-c", "3", "-W", "2", second))
    status, after = daemon.api_json("GET", f"/v1.41/containers/{first}/stats?stream=0&one-shot=1")
    assert status == 200
    assert after["networks"]["eth0"]["tx_packets"] >= before["networks"]["eth0"]["tx_packets"] + 3
    assert after["networks"]["eth0"]["rx_bytes"] > before["networks"]["eth0"]["rx_bytes"]
    table = ok(daemon.docker("stats", "--no-stream", first)).splitlines()
    assert table[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT",
                                "MEM", "%", "NET", "I/O", "BLOCK", "I/O", "PIDS"]
    net_io = table[1].split("%")[2].split("   ")[1].strip()  # After MEM %: "2.22kB / 1.04kB".
    assert first in table[1] and net_io != "0B / 0B", table[1]


def test_connect_with_a_static_address_alias_and_mac(daemon, lab):
    docker = pytest.importorskip("docker")
    net, (first, _) = lab
    base = GB_SUBNET.rsplit(".", 1)[0]
    client = docker.DockerClient(base_url=daemon.host)
    extra = unique("gbn3")
    try:
        client.containers.run(daemon.tag, "sleep 120", name=extra, detach=True)
        status, body = daemon.api_json("POST", f"/v1.41/networks/{net.replace(' ', '%20')}/connect", {
            "Container": extra, "EndpointConfig": {"IPAMConfig": {"IPv4Address": f"{base}.7"},
                                                   "Aliases": ["db-alias"], "Links": [f"{first}:lk"],
                                                   "MacAddress": "02:42:0a:62:00:77"}})
        assert status == 200, body
        inside = ok(daemon.docker("exec", extra, "ip", "addr", "show", "eth1"))
        assert f"{base}.7/24" in inside and "02:42:0a:62:00:77" in inside
        answer = ok(daemon.docker("exec", first, "nslookup", "db-alias"))
        assert f"{base}.7" in answer
        # Connecting twice is refused; disconnecting something not attached is dockerd's 500.
        status, _ = daemon.api_json("POST", f"/v1.41/networks/{net.replace(' ', '%20')}/connect",
                                    {"Container": extra})
        assert status >= 400
        client.networks.get(net).disconnect(extra)
        status, body = daemon.api_json("POST", f"/v1.41/networks/{net.replace(' ', '%20')}/disconnect",
                                       {"Container": extra})
        assert status == 500 and "is not connected to the network" in body["message"]
    finally:
        client.containers.get(extra).remove(force=True)
        client.close()


def test_overlap_and_inspect_match_dockerd(daemon, docker_cli):
    from dockerd_harness import Dockerd, dockerd_path
    if dockerd_path() is None:
        pytest.skip("dockerd is not installed (Debian package docker.io)")
    peer = Dockerd()
    try:
        peer.start()
    except RuntimeError as error:
        peer.stop()
        pytest.skip(f"dockerd cannot start here: {error}")
    made = {"glassbox": [], "dockerd": []}
    try:
        results = {}
        for who, request, subnet in (("glassbox", daemon.api_json, GB_SUBNET), ("dockerd", None, DOCKERD_SUBNET)):
            if who == "dockerd":
                def request(method, path, body=None):
                    data = json.dumps(body) if body is not None else None
                    args = ["curl", "-s", "-w", "\n%{http_code}", "--unix-socket", peer.socket, "-X", method,
                            "-H", "Content-Type: application/json", f"http://d{path}"]
                    import subprocess
                    out = subprocess.run(args + (["-d", data] if data else []), capture_output=True,
                                         text=True, timeout=30).stdout
                    text, _, code = out.rpartition("\n")
                    return int(code), (json.loads(text) if text.strip() else None)
                if shutil.which("curl") is None:
                    pytest.skip("curl is needed to talk to dockerd's socket")
            name = unique("diff net")
            status, body = request("POST", "/v1.41/networks/create", create_body(name, subnet))
            assert status == 201, (who, body)
            made[who].append(body["Id"])
            wider = subnet.rsplit(".", 2)[0] + ".0.0/16"
            overlap = request("POST", "/v1.41/networks/create", {"Name": unique("ov"), "IPAM": {"Config": [{"Subnet": wider}]}})
            aux = request("POST", "/v1.41/networks/create", {"Name": unique("ax"), "IPAM": {"Config": [
                {"Subnet": "10.97.250.0/24", "AuxiliaryAddresses": {"x": "10.97.251.1"}}]}})
            status, inspect = request("GET", f"/v1.41/networks/{body['Id']}")
            results[who] = (overlap, aux, inspect)
        (gb_overlap, gb_aux, gb_inspect), (d_overlap, d_aux, d_inspect) = results["glassbox"], results["dockerd"]
        assert gb_overlap == d_overlap
        assert gb_aux[0] == d_aux[0]
        assert gb_aux[1]["message"] == d_aux[1]["message"].replace("10.97", "10.97")
        for key in ("Name", "Driver", "Scope", "Internal", "Attachable", "Options", "EnableIPv6"):
            if key != "Name":
                assert gb_inspect[key] == d_inspect[key], key
        # The whole IPAM.Config, with each daemon's subnet prefix written the same way.
        relative = lambda config, subnet: json.loads(json.dumps(config).replace(subnet.rsplit(".", 1)[0] + ".", "<net>."))
        assert relative(gb_inspect["IPAM"]["Config"], GB_SUBNET) == relative(d_inspect["IPAM"]["Config"], DOCKERD_SUBNET)
    finally:
        for network_id in made["glassbox"]:
            daemon.request("DELETE", f"/v1.41/networks/{network_id}")
        for network_id in made["dockerd"]:
            peer.docker("network", "rm", network_id)
        peer.stop()


# [SECTION] The same docker CLI calls against a private dockerd, compared.

def network_scenario(peer, image, v4, v6):
    """Runs the calls on one daemon and returns what must match, addresses written relative to
    the daemon's own subnets: IPAM.Config with and without a given subnet and gateway; disconnect
    from a container's only network and connect again, running and stopped; and --ip6 on a
    network that has an IPv6 subnet but was created without --ipv6."""
    base = v4.rsplit(".", 2)[0]  # "10.92" or "10.91"
    prefix6 = v6.split("::/")[0]

    def rel(value):
        return json.loads(json.dumps(value).replace(base + ".", "<4>.").replace(prefix6, "<6>"))

    def inspect(kind, ref):
        return json.loads(ok(peer.docker(kind, "inspect", ref)))[0]

    def networks_of(name):
        info = inspect("container", name)
        label = {made: "<" + key + ">" for key, made in nets.items()}
        return (label.get(info["HostConfig"]["NetworkMode"], info["HostConfig"]["NetworkMode"]),
                sorted(label.get(n, n) for n in info["NetworkSettings"]["Networks"]))

    nets = {key: unique("gbdn" + key) for key in ("auto", "subnet", "gw", "six")}
    containers = {key: unique("gbdc" + key) for key in ("run", "stopped", "ip6")}
    out = {}
    try:
        ok(peer.docker("network", "create", nets["auto"]))
        ok(peer.docker("network", "create", "--subnet", f"{base}.{OCTET}.0/24", nets["subnet"]))
        ok(peer.docker("network", "create", "--subnet", f"{base}.{OCTET + 1}.0/24", "--gateway",
                       f"{base}.{OCTET + 1}.9", nets["gw"]))
        ok(peer.docker("network", "create", "--subnet", f"{base}.{OCTET + 2}.0/24", "--subnet", v6, nets["six"]))
        out["auto keys"] = [sorted(c) for c in inspect("network", nets["auto"])["IPAM"]["Config"]]
        for key in ("subnet", "gw", "six"):
            out[key] = rel(inspect("network", nets[key])["IPAM"]["Config"])

        net = nets["subnet"]
        ok(peer.docker("run", "-d", "--name", containers["run"], "--network", net, image, "sleep", "120"))
        ok(peer.docker("create", "--name", containers["stopped"], "--network", net, image, "sleep", "120"))
        for key in ("run", "stopped"):
            name = containers[key]
            ok(peer.docker("network", "disconnect", net, name))
            out[key + " disconnected"] = networks_of(name)
            ok(peer.docker("network", "connect", net, name))
            if key == "stopped":
                ok(peer.docker("start", name))
            out[key + " connected"] = networks_of(name)
            settings = inspect("container", name)["NetworkSettings"]["Networks"][net]
            out[key + " address"] = rel(settings["IPAddress"]).startswith(f"<4>.{OCTET}.")
            inside = ok(peer.docker("exec", name, "ip", "-4", "-o", "addr"))
            out[key + " inside"] = settings["IPAddress"] + "/24" in inside
        # Disconnected while it runs, then restarted: it comes back with loopback only.
        ok(peer.docker("network", "disconnect", net, containers["run"]))
        ok(peer.docker("restart", "-t", "0", containers["run"]))
        out["restarted disconnected"] = networks_of(containers["run"])
        links = ok(peer.docker("exec", containers["run"], "ip", "-o", "link"))
        out["restarted links"] = sorted(line.split(":")[1].strip().split("@")[0] for line in links.splitlines())

        made = peer.docker("run", "-d", "--name", containers["ip6"], "--network", nets["six"], "--ip6",
                           prefix6 + "::9", image, "sleep", "120")
        out["ip6 without --ipv6"] = made.returncode
        if made.returncode == 0:
            settings = inspect("container", containers["ip6"])["NetworkSettings"]["Networks"][nets["six"]]
            out["ip6 settings"] = rel({k: settings[k] for k in ("IPAMConfig", "GlobalIPv6Address", "IPv6Gateway")})
            inside = ok(peer.docker("exec", containers["ip6"], "ip", "-6", "addr", "show", "scope", "global"))
            out["ip6 inside"] = prefix6 in inside
    finally:
        peer.docker("rm", "-f", *containers.values())
        for name in nets.values():
            peer.docker("network", "rm", name)
    return out


def test_ipam_gateway_disconnect_and_ip6_without_ipv6_match_dockerd(daemon, docker_cli):
    from dockerd_harness import running_dockerd
    suffix = f"{random.randint(0x100, 0xfff):x}"
    with running_dockerd(daemon) as peer:
        theirs = network_scenario(peer, daemon.tag, "10.91.0.0/16", f"fd6d:{suffix}:b::/64")
    ours = network_scenario(daemon, daemon.tag, "10.92.0.0/16", f"fd6d:{suffix}:a::/64")
    assert ours == theirs
    # What dockerd showed, spelled out.
    assert theirs["auto keys"] == [["Gateway", "Subnet"]]
    assert theirs["subnet"] == [{"Subnet": f"<4>.{OCTET}.0/24"}]
    assert theirs["gw"] == [{"Subnet": f"<4>.{OCTET + 1}.0/24", "Gateway": f"<4>.{OCTET + 1}.9"}]
    assert theirs["run disconnected"] == ("<subnet>", []) and theirs["run connected"] == ("<subnet>", ["<subnet>"])
    assert theirs["restarted links"] == ["lo"]
    assert theirs["ip6 settings"]["IPAMConfig"] == {"IPv6Address": "<6>::9"}
    assert theirs["ip6 settings"]["GlobalIPv6Address"] == ""
