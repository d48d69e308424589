"""The fast start path changes nothing a student sees (issue 14): a container started by
`glassbox run -d` (the CLI's own request sequence, the path the performance work shortened) and one
started the old way, one Docker API request per step (POST /containers/create, then
POST /containers/{id}/start), give the same kernel snapshot up to what differs by nature: ids,
names, inodes, PIDs, indexes, addresses, MACs and counters. Both run on the default bridge, so the
comparison covers the veth pair, the address, the routes and the nft rules as well as the
processes, namespaces, mounts and cgroups.
"""
import json
import re

# Numbers in a snapshot are inodes, PIDs, indexes, times and counters: all differ by nature.
# Strings keep their shape with these parts masked.
MASKS = [
    # IPv6 addresses (link-local ones are made from the MAC) and MACs.
    (re.compile(r"\b[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}(/\d+)?"), "<ipv6-or-mac>"),
    (re.compile(r"\b[0-9a-f]{12,64}\b"), "<hex>"),
    # Names made from a short id, such as the host end of a veth (the bridge prefix, then hex).
    (re.compile(r"(?<=[a-z])[0-9a-f]*[0-9][0-9a-f]*[a-f][0-9a-f]*|(?<=[a-z])[0-9a-f]*[a-f][0-9a-f]*[0-9][0-9a-f]*"), "<hex>"),
    (re.compile(r"\b\d{1,3}(\.\d{1,3}){3}(/\d+)?\b"), "<ipv4>"),
    (re.compile(r"\d+"), "<n>"),
]


def normalized(value, replacements):
    if isinstance(value, dict):
        return {key: normalized(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((normalized(item, replacements) for item in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return 0
    text = str(value)
    for old, new in replacements:
        text = text.replace(old, new)
    for pattern, mask in MASKS:
        text = pattern.sub(mask, text)
    return text


def container_view(daemon, name):
    status, body = daemon.request("GET", f"/glassbox/v1/state?container={name}")
    assert status == 200, body
    state = json.loads(body)
    container = state["containers"][0]
    replacements = [(container["id"], "<id>"), (container["id"][:12], "<id>"), (name, "<name>")]
    # What the snapshot says about the container's own objects; the host-wide parts (other
    # containers' objects, the kernel's feature list, the time it was taken) are not its own.
    view = {kind: state.get(kind, []) for kind in ("containers", "processes", "namespaces", "mounts", "cgroups",
                                                    "links", "addresses", "routes", "neighbours", "fdb", "nft_rules")}
    view["processes"] = [p for p in view["processes"] if p.get("container_id") == container["id"]]
    # Neighbour entries come and go with traffic the kernel sends on its own.
    view.pop("neighbours")
    return normalized(view, replacements), state


def test_snapshot_of_a_fast_run_equals_one_started_step_by_step(daemon, image, name):
    fast, old = name + "-fast", name + "-old"
    started = daemon.cli("run", "-d", "--name", fast, image, "sleep", "300")
    assert started.returncode == 0, started.stderr
    try:
        status, created = daemon.api_json("POST", f"/v1.41/containers/create?name={old}",
                                          {"Image": image, "Cmd": ["sleep", "300"]})
        assert status == 201, created
        status, body = daemon.request("POST", f"/v1.41/containers/{created['Id']}/start")
        assert status == 204, body

        fast_view, fast_state = container_view(daemon, fast)
        old_view, old_state = container_view(daemon, old)

        # The comparison is not vacuous: each container shows its PID 1, its own namespaces, an
        # overlay root, cgroups and a veth with an address.
        for state in (fast_state, old_state):
            assert state["containers"][0]["pid"] > 0
            assert any(m["fstype"] == "overlay" for m in state["mounts"])
            assert state["cgroups"] and state["namespaces"]
            assert any(link["kind"] == "veth" for link in state["links"])
            assert state["addresses"]
        for kind in fast_view:
            assert fast_view[kind] == old_view[kind], f"{kind} differ between the fast and the step-by-step start"
    finally:
        daemon.cli("rm", "-f", fast, old)


def test_masks_keep_what_is_not_an_identity():
    replacements = [("abc", "<id>")]
    assert normalized({"mount_point": "/var/lib/x/abc/merged", "mtu": 1500, "up": True}, replacements) == \
        {"mount_point": "/var/lib/x/<id>/merged", "mtu": 0, "up": True}
    assert normalized("veth1a2b3c4d5e6f7", []) != normalized("eth0", [])
    assert normalized(["b", "a"], []) == ["a", "b"]
