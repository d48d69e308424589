"""IPv6 on user-defined bridge networks, as dockerd 20.10 has it without --ipv6 on the daemon:
`docker network create --ipv6 --subnet fd..::/64` puts the subnet's first address on the bridge,
containers get the next addresses (or `--ip6`), a default route through the gateway and AAAA
answers from the embedded DNS; two containers ping each other over IPv6, a container on another
network cannot reach them (the isolation rules hold for IPv6 too), and disconnect and rm give
the addresses back. A differential part runs the same API calls against a private dockerd and
compares status codes, inspect fields and error messages.

Only unique local (fd00::/8) subnets are used, never fd00::/64 (the host's own uplink may use
it), and all traffic stays between glassbox's own namespaces and bridges.
"""
import json
import os
import random
import shutil
import subprocess

import pytest

from glassbox_harness import unique

# Random /48s below fd00::/8, different for glassbox and dockerd (both daemons share the host's
# routing table), and IPv4 subnets outside the pools the harness gives private daemons.
_R = random.randint(0x100, 0xfff)
GB6_A = f"fd6b:{_R:x}:a::/64"
GB6_B = f"fd6b:{_R:x}:b::/64"
GB4_A = f"10.96.{_R % 200}.0/24"
GB4_B = f"10.96.{_R % 200 + 1}.0/24"
D6 = f"fd6c:{_R:x}:a::/64"
D4 = f"10.95.{_R % 200}.0/24"


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def host(subnet, n):
    """The n-th address of an IPv6 /64 given as "prefix::/64"."""
    return subnet.split("::/")[0] + f"::{n:x}"


@pytest.fixture(scope="module")
def six(daemon):
    """Two IPv6 networks with pinned bridge names; two containers on the first (one with a
    static --ip6), one on the second. Everything is removed afterwards."""
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    tag = unique("g6")[-8:]
    nets = {"a": unique("gb6a"), "b": unique("gb6b")}
    bridges = {"a": f"gb6a{tag}", "b": f"gb6b{tag}"}
    containers = {"one": unique("gb6one"), "two": unique("gb6two"), "far": unique("gb6far")}
    try:
        for key, subnet4, subnet6 in (("a", GB4_A, GB6_A), ("b", GB4_B, GB6_B)):
            ok(daemon.docker("network", "create", "--ipv6", "--subnet", subnet4, "--subnet", subnet6,
                             "-o", f"com.docker.network.bridge.name={bridges[key]}", nets[key]))
        ok(daemon.docker("run", "-d", "--name", containers["one"], "--network", nets["a"], daemon.tag, "sleep", "300"))
        ok(daemon.docker("run", "-d", "--name", containers["two"], "--network", nets["a"], "--ip6", host(GB6_A, 0x42),
                         daemon.tag, "sleep", "300"))
        ok(daemon.docker("run", "-d", "--name", containers["far"], "--network", nets["b"], daemon.tag, "sleep", "300"))
        yield nets, bridges, containers
    finally:
        daemon.docker("rm", "-f", *containers.values())
        for net in nets.values():
            daemon.docker("network", "rm", net)


def inspect(daemon, kind, ref):
    return json.loads(ok(daemon.docker(kind, "inspect", ref)))[0]


def test_network_inspect_shows_ipv6_enabled_with_both_subnets(daemon, six):
    nets, _, containers = six
    info = inspect(daemon, "network", nets["a"])
    assert info["EnableIPv6"] is True
    configs = info["IPAM"]["Config"]
    assert {c["Subnet"] for c in configs} == {GB4_A, GB6_A}
    # dockerd shows an IPv6 gateway only when one was given.
    assert [c for c in configs if c["Subnet"] == GB6_A] == [{"Subnet": GB6_A}]
    addresses = {c["Name"]: c["IPv6Address"] for c in info["Containers"].values()}
    assert addresses == {containers["one"]: host(GB6_A, 2) + "/64", containers["two"]: host(GB6_A, 0x42) + "/64"}


def test_containers_have_their_ipv6_address_gateway_and_default_route(daemon, six):
    nets, _, containers = six
    one = inspect(daemon, "container", containers["one"])["NetworkSettings"]["Networks"][nets["a"]]
    two = inspect(daemon, "container", containers["two"])["NetworkSettings"]["Networks"][nets["a"]]
    assert (one["GlobalIPv6Address"], one["GlobalIPv6PrefixLen"], one["IPv6Gateway"]) == (host(GB6_A, 2), 64, host(GB6_A, 1))
    assert one["IPAMConfig"] is None
    assert two["GlobalIPv6Address"] == host(GB6_A, 0x42)
    assert two["IPAMConfig"] == {"IPv6Address": host(GB6_A, 0x42)}
    addr = ok(daemon.docker("exec", containers["one"], "ip", "-6", "addr", "show", "eth0"))
    assert host(GB6_A, 2) + "/64" in addr
    routes = ok(daemon.docker("exec", containers["one"], "ip", "-6", "route"))
    assert f"default via {host(GB6_A, 1)} dev eth0" in routes, routes
    # The gateway is on the bridge.
    bridge = subprocess.run(["ip", "-6", "addr", "show", "dev", six[1]["a"]], capture_output=True, text=True).stdout
    assert host(GB6_A, 1) + "/64" in bridge


def test_two_containers_ping6_each_other_and_the_gateway(daemon, six):
    nets, _, containers = six
    ok(daemon.docker("exec", containers["one"], "ping", "-6", "-c", "2", "-W", "3", host(GB6_A, 0x42)))
    ok(daemon.docker("exec", containers["two"], "ping", "-6", "-c", "1", "-W", "3", host(GB6_A, 2)))
    ok(daemon.docker("exec", containers["one"], "ping", "-6", "-c", "1", "-W", "3", host(GB6_A, 1)))


def test_embedded_dns_answers_aaaa_for_a_container_name(daemon, six):
    _, _, containers = six
    answer = ok(daemon.docker("exec", containers["one"], "nslookup", "-type=AAAA", containers["two"]))
    assert host(GB6_A, 0x42) in answer, answer


def test_ipv6_networks_are_isolated_from_each_other(daemon, six):
    nets, bridges, containers = six
    far = host(GB6_B, 2)
    assert inspect(daemon, "container", containers["far"])["NetworkSettings"]["Networks"][nets["b"]]["GlobalIPv6Address"] == far
    # The far container answers on its own network (its gateway), so only isolation can stop it.
    ok(daemon.docker("exec", containers["far"], "ping", "-6", "-c", "1", "-W", "3", host(GB6_B, 1)))
    # The isolation rules are there, in glassbox's ip6 table, both ways.
    ruleset = subprocess.run(["nft", "-j", "list", "ruleset", "ip6"], capture_output=True, text=True)
    assert ruleset.returncode == 0, ruleset.stderr
    comments = {item["rule"].get("comment") for item in json.loads(ruleset.stdout)["nftables"] if "rule" in item}
    assert f"isolate {bridges['a']} from {bridges['b']}" in comments
    assert f"isolate {bridges['b']} from {bridges['a']}" in comments
    # With per-bridge forwarding on (Linux 6.17+), the packet would be routed but for those rules.
    knob = f"/proc/sys/net/ipv6/conf/{bridges['a']}/force_forwarding"
    if os.path.exists(knob):
        with open(knob) as f:
            assert f.read().strip() == "1"
    cross = daemon.docker("exec", containers["one"], "ping", "-6", "-c", "2", "-W", "2", far)
    assert cross.returncode != 0, cross.stdout


def test_rm_and_disconnect_give_the_ipv6_address_back(daemon, six):
    nets, _, _ = six
    first, second, third = unique("gb6x"), unique("gb6y"), unique("gb6z")
    fixed = host(GB6_A, 0x77)
    run = lambda name, net, *extra: daemon.docker("run", "-d", "--name", name, "--network", net, *extra,
                                                  daemon.tag, "sleep", "120")
    try:
        ok(run(first, nets["a"], "--ip6", fixed))
        assert run(second, nets["a"], "--ip6", fixed).returncode != 0
        daemon.docker("rm", "-f", second)
        ok(daemon.docker("rm", "-f", first))
        ok(run(second, nets["a"], "--ip6", fixed))
        # `network connect --ip6` to the address the second container holds fails, and works once
        # the second is disconnected.
        ok(run(third, nets["b"]))
        assert daemon.docker("network", "connect", "--ip6", fixed, nets["a"], third).returncode != 0
        ok(daemon.docker("network", "disconnect", nets["a"], second))
        assert second not in json.dumps(inspect(daemon, "network", nets["a"])["Containers"])
        ok(daemon.docker("network", "connect", "--ip6", fixed, nets["a"], third))
        settings = inspect(daemon, "container", third)["NetworkSettings"]["Networks"][nets["a"]]
        assert settings["GlobalIPv6Address"] == fixed
        assert settings["IPAMConfig"] == {"IPv6Address": fixed}
        addr = ok(daemon.docker("exec", third, "ip", "-6", "addr", "show", "eth1"))
        assert fixed + "/64" in addr
    finally:
        daemon.docker("rm", "-f", first, second, third)


def test_glassbox_cli_creates_an_ipv6_network(daemon, glassbox_cli):
    net = unique("gb6cli")
    subnet = f"fd6b:{_R:x}:c::/64"
    try:
        ok(daemon.cli("network", "create", "--ipv6", "--subnet", subnet, net))
        info = inspect(daemon, "network", net)
        assert info["EnableIPv6"] is True
        assert {"Subnet": subnet} in info["IPAM"]["Config"]
    finally:
        daemon.docker("network", "rm", net)


def test_an_ipv6_subnet_the_host_already_routes_is_refused(daemon):
    """A subnet the host reaches through another link (here a veth this test makes, standing
    in for the uplink) is refused, so a glassbox bridge never takes the host's router address."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make the stand-in link")
    link, subnet, net = f"gb6d{_R:x}", f"fd6b:{_R:x}:e::/64", unique("gb6clash")
    # A veth pair: this kernel may lack dummy links; both ends go with the delete.
    made = subprocess.run(["ip", "link", "add", link, "type", "veth", "peer", "name", f"gb6e{_R:x}"],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    try:
        subprocess.run(["ip", "link", "set", link, "up"], check=True)
        subprocess.run(["ip", "-6", "route", "add", subnet, "dev", link], check=True)
        refused = daemon.docker("network", "create", "--ipv6", "--subnet", subnet, net)
        assert refused.returncode != 0
        assert f"routes through {link}" in refused.stderr, refused.stderr
        assert daemon.docker("network", "inspect", net).returncode != 0
    finally:
        daemon.docker("network", "rm", net)
        subprocess.run(["ip", "link", "delete", link], capture_output=True)


# [SECTION] The same calls against a private dockerd.

def attempt(call):
    """(0, the answer) or (status, dockerd's or glassbox's words) of one API call."""
    import docker
    try:
        return 0, call()
    except docker.errors.APIError as error:
        return error.status_code, str(error.explanation)


def assert_same_answers(ours, theirs):
    """Each answer the same as dockerd's; for an error, the same status with dockerd's words
    within ours."""
    differences = []
    for key in theirs:
        mine, reference = ours[key], theirs[key]
        if isinstance(reference, tuple) and len(reference) == 2 and isinstance(reference[0], int) and reference[0]:
            same_words = reference[1].split(": ")[-1].lower() in mine[1].lower() or reference[1].lower() in mine[1].lower()
            if mine[0] != reference[0] or not same_words:
                differences.append((key, mine, reference))
        elif mine != reference:
            differences.append((key, mine, reference))
    assert not differences, "\n".join(f"{key}: glassbox {mine!r}, dockerd {reference!r}" for key, mine, reference in differences)


def probe(api, image, subnet4, subnet6, tag):
    """Runs the IPv6 calls whose answers must match, on one daemon; returns comparable results
    (addresses are given relative to the subnet, so the two daemons' subnets compare)."""
    from docker.types import IPAMConfig, IPAMPool

    results, made_networks, made_containers = {}, [], []

    def network(name, pools, enable_ipv6):
        ipam = IPAMConfig(pool_configs=[IPAMPool(**pool) for pool in pools])
        status, answer = attempt(lambda: api.create_network(name, driver="bridge", ipam=ipam, enable_ipv6=enable_ipv6))
        if status == 0:
            made_networks.append(answer["Id"])
        return status, answer

    prefix = subnet6.split("::/")[0]
    prefix4 = subnet4.rsplit(".", 1)[0] + "."
    def rel(value):
        if isinstance(value, dict):
            return {k: rel(v) for k, v in value.items()}
        return value.replace(prefix, "<6>").replace(prefix4, "<4>.") if isinstance(value, str) else value
    try:
        results["ipv6 without subnet"] = network(f"{tag}-nosub", [], True)
        results["ipv6 with only an ipv4 subnet"] = network(f"{tag}-v4only", [{"subnet": subnet4.rsplit(".", 2)[0] + ".251.0/24"}], True)
        status, created = network(f"{tag}-six", [{"subnet": subnet4}, {"subnet": subnet6}], True)
        assert status == 0, created
        results["overlap"] = network(f"{tag}-overlap", [{"subnet": prefix + "::/48"}], True)
        results["gateway outside"] = network(f"{tag}-gw", [{"subnet": prefix.rsplit(":", 1)[0] + ":7fff::/64",
                                                            "gateway": prefix + "::1"}], True)
        status, quiet = network(f"{tag}-quiet", [{"subnet": prefix.rsplit(":", 1)[0] + ":7ffe::/64"}], False)
        if status == 0:
            info = api.inspect_network(quiet["Id"])
            results["subnet without EnableIPv6"] = (info["EnableIPv6"], [sorted(c) for c in info["IPAM"]["Config"]
                                                                         if ":" in c["Subnet"]])
        else:
            results["subnet without EnableIPv6"] = (status, quiet)
        info = api.inspect_network(created["Id"])
        # The whole IPAM.Config: neither daemon shows a gateway that was not given with its subnet.
        results["inspect"] = {"EnableIPv6": info["EnableIPv6"], "Config": [rel(c) for c in info["IPAM"]["Config"]]}

        def container(name, net, ipv6=None):
            endpoint = api.create_endpoint_config(ipv6_address=ipv6) if ipv6 else api.create_endpoint_config()
            status, made = attempt(lambda: api.create_container(
                image, "sleep 60", name=name, host_config=api.create_host_config(network_mode=net),
                networking_config=api.create_networking_config({net: endpoint})))
            if status:
                return status, made
            made_containers.append(made["Id"])
            status, error = attempt(lambda: api.start(made["Id"]))
            if status:
                return status, error
            settings = api.inspect_container(made["Id"])["NetworkSettings"]["Networks"][net]
            return 0, {key: rel(settings[key]) for key in ("GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPv6Gateway",
                                                           "IPAMConfig")}

        results["auto"] = container(f"{tag}-auto", f"{tag}-six")
        results["static"] = container(f"{tag}-static", f"{tag}-six", prefix + "::99")
        results["invalid address"] = container(f"{tag}-bad", f"{tag}-six", "10.1.2.3")
        status, plain = network(f"{tag}-plain", [{"subnet": subnet4.rsplit(".", 2)[0] + ".250.0/24"}], False)
        assert status == 0, plain
        results["ip6 on a network without ipv6"] = container(f"{tag}-noipv6", f"{tag}-plain", prefix + "::5")
    finally:
        for container_id in made_containers:
            attempt(lambda: api.remove_container(container_id, force=True))
        for network_id in made_networks:
            attempt(lambda: api.remove_network(network_id))
    return results


def test_ipv6_calls_answer_as_dockerd_does(daemon):
    docker = pytest.importorskip("docker")
    from dockerd_harness import running_dockerd
    with running_dockerd(daemon) as peer:
        gb_api = docker.APIClient(base_url=daemon.host, version="1.41")
        d_api = docker.APIClient(base_url=peer.host, version="1.41")
        try:
            ours = probe(gb_api, daemon.tag, GB4_B.replace("10.96.", "10.94."), f"fd6b:{_R:x}:d::/64", unique("gbd6"))
            theirs = probe(d_api, daemon.tag, D4, D6, unique("dkd6"))
        finally:
            gb_api.close()
            d_api.close()
    assert set(ours) == set(theirs)
    assert_same_answers(ours, theirs)


# [SECTION] IPv6 AuxiliaryAddresses and IPv6 on macvlan, against a private dockerd.

def global_ipv6_on_eth0(api, container_id):
    """The container's global IPv6 addresses on eth0, read from /proc/net/if_inet6."""
    import ipaddress
    exec_id = api.exec_create(container_id, "cat /proc/net/if_inet6")["Id"]
    found = []
    for line in api.exec_start(exec_id).decode().splitlines():
        fields = line.split()
        if len(fields) == 6 and fields[5] == "eth0" and fields[3] == "00":
            found.append(ipaddress.IPv6Address(bytes.fromhex(fields[0])).compressed)
    return sorted(found)


def probe_aux_and_macvlan(api, image, subnets4, subnets6, tag, parent):
    """On one daemon: an IPv6 bridge network with AuxiliaryAddresses in its IPv6 entry (and one
    whose auxiliary address is outside the subnet), and an IPv6 macvlan network on `parent`
    (glassbox's lab uplink; None lets glassbox take it, its default). Returns comparable results
    with addresses relative to the subnets, and the parent the macvlan network got."""
    from docker.types import IPAMConfig, IPAMPool

    prefixes = [s.split("::/")[0] for s in subnets6] + [s.rsplit(".", 1)[0] + "." for s in subnets4]
    def rel(value):
        if isinstance(value, (list, tuple)):
            return [rel(v) for v in value]
        if isinstance(value, dict):
            return {k: rel(v) for k, v in value.items()}
        if isinstance(value, str):
            for n, prefix in enumerate(prefixes):
                value = value.replace(prefix, f"<{n}>")
        return value

    results, made_networks, made_containers = {}, [], []
    def network(name, driver, pools, options=None):
        ipam = IPAMConfig(pool_configs=[IPAMPool(**pool) for pool in pools])
        status, answer = attempt(lambda: api.create_network(name, driver=driver, ipam=ipam, enable_ipv6=True,
                                                            options=options))
        if status == 0:
            made_networks.append(answer["Id"])
            info = api.inspect_network(answer["Id"])
            return 0, {"Driver": info["Driver"], "EnableIPv6": info["EnableIPv6"],
                       "Config": rel(info["IPAM"]["Config"])}
        return status, rel(answer)

    def container(name, net):
        status, made = attempt(lambda: api.create_container(image, "sleep 60", name=name,
                                                            host_config=api.create_host_config(network_mode=net)))
        if status:
            return status, made
        made_containers.append(made["Id"])
        status, error = attempt(lambda: api.start(made["Id"]))
        if status:
            return status, error
        settings = api.inspect_container(made["Id"])["NetworkSettings"]["Networks"][net]
        return 0, rel({"GlobalIPv6Address": settings["GlobalIPv6Address"], "GlobalIPv6PrefixLen":
                       settings["GlobalIPv6PrefixLen"], "IPv6Gateway": settings["IPv6Gateway"],
                       "eth0": global_ipv6_on_eth0(api, made["Id"])})

    six, mac6, outside6 = (s.split("::/")[0] for s in subnets6)
    got_parent = None
    try:
        results["aux6 network"] = network(f"{tag}-aux", "bridge", [
            {"subnet": subnets4[0], "aux_addresses": {"router4": subnets4[0].rsplit(".", 1)[0] + ".2"}},
            {"subnet": subnets6[0], "aux_addresses": {"router": six + "::2", "printer": six + "::3"}}])
        results["aux6 container"] = container(f"{tag}-aux-c", f"{tag}-aux")
        results["aux6 outside the subnet"] = network(f"{tag}-auxout", "bridge", [
            {"subnet": subnets6[2], "aux_addresses": {"stray": six + "::9"}}])
        options = {"parent": parent} if parent else None
        results["macvlan ipv6 network"] = network(f"{tag}-mv", "macvlan",
                                                  [{"subnet": subnets4[1]}, {"subnet": subnets6[1]}], options)
        if results["macvlan ipv6 network"][0] == 0:
            got_parent = api.inspect_network(f"{tag}-mv")["Options"].get("parent")
        results["macvlan ipv6 container"] = container(f"{tag}-mv-c", f"{tag}-mv")
    finally:
        for container_id in made_containers:
            attempt(lambda: api.remove_container(container_id, force=True))
        for network_id in made_networks:
            attempt(lambda: api.remove_network(network_id))
    return results, got_parent


def test_ipv6_auxiliary_addresses_and_macvlan_ipv6_answer_as_dockerd_does(daemon):
    docker = pytest.importorskip("docker")
    from dockerd_harness import running_dockerd
    gb_api = docker.APIClient(base_url=daemon.host, version="1.41")
    try:
        # glassbox first: its macvlan network takes the lab uplink, which dockerd's then names as
        # its parent (never a real host interface).
        ours, uplink = probe_aux_and_macvlan(
            gb_api, daemon.tag, [f"10.93.{_R % 200}.0/24", f"10.93.{_R % 200 + 1}.0/24"],
            [f"fd6b:{_R:x}:e::/64", f"fd6b:{_R:x}:f::/64", f"fd6b:{_R:x}:10::/64"], unique("gbx6"), None)
    finally:
        gb_api.close()
    if "CONFIG_MACVLAN" in str(ours["macvlan ipv6 network"]):
        pytest.skip(f"this kernel has no macvlan: {ours['macvlan ipv6 network']}")
    assert uplink and uplink.endswith("uplink"), (uplink, ours)
    with running_dockerd(daemon) as peer:
        d_api = docker.APIClient(base_url=peer.host, version="1.41")
        try:
            theirs, _ = probe_aux_and_macvlan(
                d_api, daemon.tag, [f"10.92.{_R % 200}.0/24", f"10.92.{_R % 200 + 1}.0/24"],
                [f"fd6c:{_R:x}:e::/64", f"fd6c:{_R:x}:f::/64", f"fd6c:{_R:x}:10::/64"], unique("dkx6"), uplink)
        finally:
            d_api.close()
    # The auxiliary addresses are skipped, and the macvlan child carries the IPv6 address.
    assert ours["aux6 container"][1]["GlobalIPv6Address"] == "<0>::4", ours
    assert ours["macvlan ipv6 container"][1]["eth0"] == ["<1>::2"], ours
    assert set(ours) == set(theirs)
    assert_same_answers(ours, theirs)


def test_a_macvlan_ipv6_container_reaches_the_lab_router_over_ipv6(daemon):
    """On the lab uplink the lab side answers as the network's IPv6 gateway, as a home router
    would; the container's IPv6 default route goes through it."""
    net, name = unique("gbmv6"), unique("gbmv6c")
    subnet6 = f"fd6b:{_R:x}:11::/64"
    made = daemon.docker("network", "create", "-d", "macvlan", "--ipv6", "--subnet", f"10.93.{_R % 200 + 2}.0/24",
                         "--subnet", subnet6, net)
    if made.returncode != 0 and "CONFIG_MACVLAN" in made.stderr:
        pytest.skip(f"this kernel has no macvlan: {made.stderr}")
    try:
        ok(made)
        ok(daemon.docker("run", "-d", "--name", name, "--network", net, daemon.tag, "sleep", "300"))
        routes = ok(daemon.docker("exec", name, "ip", "-6", "route"))
        assert f"default via {host(subnet6, 1)} dev eth0" in routes, routes
        ok(daemon.docker("exec", name, "ping", "-6", "-c", "1", "-W", "3", host(subnet6, 1)))
    finally:
        daemon.docker("rm", "-f", name)
        daemon.docker("network", "rm", net)
