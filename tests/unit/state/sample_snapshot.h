// A small hand-built snapshot for the state unit tests: the host, one container "web" on the
// bridge glassbox0 with a veth pair, an overlay root of two layers, a cgroup and an nft rule.
#pragma once

#include "engine/state/snapshot.h"

inline engine::state::Snapshot sample_snapshot()
{
    using namespace engine::state; // NOLINT(google-build-using-namespace): test helper.
    constexpr std::uint64_t host_net = 4026531840;
    constexpr std::uint64_t web_net = 4026532500;
    Snapshot s;
    s.generation = 7;
    s.taken_at = "2024-01-02T03:04:05.000000000Z";
    s.kernel.release = "6.18.0";
    s.kernel.cgroup_layout = "hybrid";
    s.host_namespaces = { { "net", host_net }, { "pid", 4026531836 } };
    s.containers.push_back({ "c0ffee", "web", "sha256:aaa", { "busybox:latest" }, "running", 4242,
        { { "net", web_net }, { "pid", 4026532501 } }, { 4242 }, "/var/lib/glassbox/c0ffee/merged",
        { "/sys/fs/cgroup/unified/glassbox/c0ffee" }, "/run/glassbox/netns/c0ffee", {}, { "n1" } });
    s.images.push_back({ "sha256:aaa", { "busybox:latest" }, { "sha256:l1", "sha256:l2" } });
    s.layers.push_back({ "sha256:l1", "/var/lib/glassbox/layers/l1/fs", 1000, "ADD rootfs.tar /", { "sha256:aaa" }, { "c0ffee" } });
    s.networks.push_back({ "n1", "bridge", "bridge", "glassbox0", "", "172.17.0.0/16", "172.17.0.1",
        { { "c0ffee", "web", "172.17.0.2", "02:42:ac:11:00:02", "gb-c0ffee" } } });

    ProcessInfo init;
    init.pid = 1;
    init.comm = "systemd";
    init.state = "S";
    init.namespaces = { { "net", host_net }, { "pid", 4026531836 } };
    s.processes.push_back(init);
    ProcessInfo web;
    web.pid = 4242;
    web.ppid = 100;
    web.start_time = 555;
    web.nspid = { 4242, 1 };
    web.comm = "sh";
    web.state = "S";
    web.signals_caught = { "TERM" };
    web.namespaces = { { "net", web_net }, { "pid", 4026532501 } };
    web.container_id = "c0ffee";
    web.owner = "container:c0ffee";
    s.processes.push_back(web);

    s.namespaces.push_back({ "net", web_net, 4242, { 4242 }, { "/run/glassbox/netns/c0ffee" }, "c0ffee", "container:c0ffee" });

    MountInfo root;
    root.mount_namespace = 4026532502;
    root.mount_id = 900;
    root.mount_point = "/";
    root.fstype = "overlay";
    root.kind = "overlay";
    root.lower_dirs = { { "/var/lib/glassbox/layers/l2/fs", "sha256:l2", { "sha256:aaa" }, "RUN x" },
        { "/var/lib/glassbox/layers/l1/fs", "sha256:l1", { "sha256:aaa" }, "ADD rootfs.tar /" } };
    root.container_id = "c0ffee";
    root.owner = "container:c0ffee";
    s.mounts.push_back(root);

    CgroupInfo cgroup;
    cgroup.hierarchy = "unified";
    cgroup.path = "/glassbox/c0ffee";
    cgroup.memory_current = 1 << 20;
    cgroup.memory_max = 64 << 20;
    cgroup.container_id = "c0ffee";
    cgroup.owner = "container:c0ffee";
    s.cgroups.push_back(cgroup);

    LinkInfo bridge;
    bridge.netns = host_net;
    bridge.index = 4;
    bridge.name = "glassbox0";
    bridge.kind = "bridge";
    bridge.owner = "network:n1";
    s.links.push_back(bridge);
    LinkInfo host_end;
    host_end.netns = host_net;
    host_end.index = 5;
    host_end.name = "gb-c0ffee";
    host_end.kind = "veth";
    host_end.master_index = 4;
    host_end.master_name = "glassbox0";
    host_end.peer_index = 2;
    host_end.peer_name = "eth0";
    host_end.peer_netns = web_net;
    host_end.owner = "container:c0ffee";
    s.links.push_back(host_end);
    LinkInfo inner = host_end;
    inner.netns = web_net;
    inner.index = 2;
    inner.name = "eth0";
    inner.master_index = 0;
    inner.master_name = "";
    inner.peer_index = 5;
    inner.peer_name = "gb-c0ffee";
    inner.peer_netns = host_net;
    inner.container_id = "c0ffee";
    s.links.push_back(inner);

    s.addresses.push_back({ web_net, 2, "eth0", "inet", "172.17.0.2/16", "global", "c0ffee", "container:c0ffee" });
    s.routes.push_back({ web_net, "inet", "main", "default", "172.17.0.1", 2, "eth0", "boot", "universe", 0, "c0ffee", "container:c0ffee" });
    s.nft_rules.push_back({ "ip", "glassbox", "prerouting", 7, "tcp dport 8080 dnat to 172.17.0.2:80", "", "glassbox" });
    return s;
}
