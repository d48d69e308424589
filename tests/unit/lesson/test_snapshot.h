// A hand-built snapshot in the JSON form of GET /glassbox/v1/state, for the check language
// tests: container web (running sleep as PID 1, a zombie child, a veth to bridge glassbox0, an
// overlay root on two layers), container db (stopped), images app:1 and app:2 sharing a base
// layer, a volume data mounted by web at /data, network back, one dnat rule.
#pragma once

#include <nlohmann/json.hpp>

namespace engine::lesson::testing {

inline nlohmann::json sample_snapshot()
{
    return nlohmann::json::parse(R"({
  "schema_version": 1, "hostname": "lab",
  "host_namespaces": { "net": 100, "pid": 101, "mnt": 102 },
  "kernel": { "release": "6.1.0", "cgroup_layout": "v2",
              "features": [ { "name": "link.macvlan", "available": true, "detail": "" },
                            { "name": "link.ipvlan", "available": false, "detail": "kernel built without CONFIG_IPVLAN" } ] },
  "containers": [
    { "key": "container:c0ffee", "id": "c0ffee", "name": "web", "image_id": "sha256:i1", "image_tags": ["app:1"],
      "status": "running", "pid": 4242, "namespaces": { "net": 500, "pid": 501, "mnt": 502, "uts": 503 },
      "processes": [4242, 4243], "volumes": ["data"], "networks": ["n1"] },
    { "key": "container:dbdbdb", "id": "dbdbdb", "name": "db", "image_id": "sha256:i2", "image_tags": ["app:2"],
      "status": "exited", "pid": 0, "namespaces": {}, "processes": [], "volumes": [], "networks": [] }
  ],
  "processes": [
    { "key": "process:4242@1", "pid": 4242, "ppid": 10, "nspid": [4242, 1], "comm": "sleep", "cmdline": ["sleep", "3600"],
      "state": "S", "signals_caught": [], "signals_ignored": ["PIPE"], "signals_blocked": ["HUP"],
      "namespaces": { "net": 500, "pid": 501 }, "container_id": "c0ffee" },
    { "key": "process:4243@2", "pid": 4243, "ppid": 4242, "nspid": [4243, 7], "comm": "sh", "state": "Z",
      "signals_caught": ["TERM"], "namespaces": { "net": 500, "pid": 501 }, "container_id": "c0ffee" },
    { "key": "process:10@0", "pid": 10, "ppid": 1, "nspid": [10], "comm": "glassboxd", "state": "S",
      "namespaces": { "net": 100, "pid": 101 }, "container_id": "" }
  ],
  "images": [
    { "key": "image:sha256:i1", "id": "sha256:i1", "tags": ["app:1"], "layers": ["sha256:base", "sha256:top1"] },
    { "key": "image:sha256:i2", "id": "sha256:i2", "tags": ["app:2"], "layers": ["sha256:base", "sha256:top2"] },
    { "key": "image:sha256:i3", "id": "sha256:i3", "tags": ["other:1"], "layers": ["sha256:lone"] }
  ],
  "layers": [
    { "key": "layer:sha256:base", "diff_id": "sha256:base", "size": 1000, "created_by": "ADD rootfs.tar /", "image_ids": ["sha256:i1", "sha256:i2"], "container_ids": ["c0ffee"] },
    { "key": "layer:sha256:top1", "diff_id": "sha256:top1", "size": 10, "created_by": "RUN echo 1", "image_ids": ["sha256:i1"], "container_ids": ["c0ffee"] }
  ],
  "volumes": [ { "key": "volume:data", "name": "data", "driver": "local", "mountpoint": "/v/data", "container_ids": ["c0ffee"] } ],
  "networks": [ { "key": "network:n1", "id": "n1", "name": "back", "driver": "bridge", "bridge_name": "glassbox0",
                  "subnet": "172.18.0.0/16", "gateway": "172.18.0.1",
                  "endpoints": [ { "container_id": "c0ffee", "container_name": "web", "ip_address": "172.18.0.2" } ] } ],
  "namespaces": [ { "key": "net:[500]", "type": "net", "inode": 500, "members": [4242, 4243], "container_id": "c0ffee" },
                  { "key": "net:[100]", "type": "net", "inode": 100, "members": [10] } ],
  "mounts": [
    { "key": "mount:502:1", "mount_namespace": 502, "mount_id": 1, "mount_point": "/", "fstype": "overlay", "kind": "overlay",
      "lower_dirs": [ { "path": "/l/top1", "layer_diff_id": "sha256:top1" }, { "path": "/l/base", "layer_diff_id": "sha256:base" } ],
      "upper_dir": "/c/upper", "container_id": "c0ffee" },
    { "key": "mount:502:2", "mount_namespace": 502, "mount_id": 2, "mount_point": "/data", "kind": "volume", "volume_name": "data", "container_id": "c0ffee" }
  ],
  "cgroups": [ { "key": "cgroup:unified:/glassbox/c0ffee", "hierarchy": "unified", "path": "/glassbox/c0ffee", "memory_max": 67108864, "pids_current": 2, "container_id": "c0ffee" } ],
  "links": [
    { "key": "link:100:4", "netns": 100, "index": 4, "name": "glassbox0", "kind": "bridge", "up": true },
    { "key": "link:100:5", "netns": 100, "index": 5, "name": "gb-c0ffee", "kind": "veth", "master_index": 4, "master_name": "glassbox0",
      "peer_index": 2, "peer_name": "eth0", "peer_netns": 500 },
    { "key": "link:500:1", "netns": 500, "index": 1, "name": "lo", "kind": "", "container_id": "c0ffee" },
    { "key": "link:500:2", "netns": 500, "index": 2, "name": "eth0", "kind": "veth", "peer_index": 5, "peer_name": "gb-c0ffee",
      "peer_netns": 100, "container_id": "c0ffee" }
  ],
  "addresses": [ { "key": "address:500:2:172.18.0.2/16", "netns": 500, "link_index": 2, "link_name": "eth0", "family": "inet", "address": "172.18.0.2/16" } ],
  "routes": [ { "key": "route:500:main:default:2:0", "netns": 500, "table": "main", "destination": "default", "gateway": "172.18.0.1", "link_index": 2, "link_name": "eth0" } ],
  "nft_rules": [ { "key": "nft:ip:glassbox:prerouting:7", "family": "ip", "table": "glassbox", "chain": "prerouting", "handle": 7,
                   "text": "tcp dport 8080 dnat to 172.18.0.2:80" } ],
  "neighbours": [], "fdb": [], "warnings": []
})");
}

} // namespace engine::lesson::testing
