// snapshot_to_json_text must be byte-identical to dumping the snapshot_to_json DOM (keys sorted,
// strings escaped and invalid UTF-8 replaced as nlohmann does), on small, big and odd snapshots.
#include <gtest/gtest.h>

#include <string>

#include "engine/state/snapshot_json.h"
#include "tests/unit/state/sample_snapshot.h"

using namespace engine::state; // NOLINT(google-build-using-namespace): test file.

namespace {

std::string dom_text(const Snapshot& snapshot)
{
    return snapshot_to_json(snapshot).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A host with 50 running containers, as the state endpoint sees it under load: per container
// a veth pair, 25 mounts with an overlay root, 6 processes, 8 namespaces, a cgroup, addresses,
// routes, neighbours, fdb entries and a published port's nft rule.
Snapshot big_snapshot()
{
    Snapshot s = sample_snapshot();
    s.hostname = "loaded-host";
    s.kernel.features = { { "overlay", true, "" }, { "cgroup2", true, "/sys/fs/cgroup" }, { "nft", false, "no nf_tables" } };
    s.warnings = { "cgroup v1 memory hierarchy missing" };
    s.links.clear();
    for (int c = 0; c < 50; ++c) {
        std::string id = "c" + std::to_string(1000000 + c) + "deadbeefcafe";
        std::string owner = "container:" + id;
        std::uint64_t net = 4026532600 + c * 10;
        std::string ip = "172.18." + std::to_string(c / 200) + "." + std::to_string(c % 200 + 2);
        ContainerInfo container { id, "web-" + std::to_string(c), "sha256:aaa", { "busybox:latest" }, "running",
            10000 + c * 10, { { "net", net }, { "pid", net + 1 }, { "mnt", net + 2 } }, {}, "/var/lib/glassbox/" + id + "/merged",
            { "/sys/fs/cgroup/glassbox/" + id }, "/run/glassbox/netns/" + id, { "data-" + std::to_string(c) }, { "n1" } };
        for (int p = 0; p < 6; ++p) {
            ProcessInfo process;
            process.pid = 10000 + c * 10 + p;
            process.ppid = p == 0 ? 900 : 10000 + c * 10;
            process.start_time = 123456 + p;
            process.nspid = { process.pid, p + 1 };
            process.comm = p == 0 ? "sh" : "worker";
            process.cmdline = { "/bin/sh", "-c", "while true; do echo \"tick\"; sleep 1; done" };
            process.state = "S";
            process.state_name = "sleeping";
            process.threads = 1;
            process.signals_caught = { "INT", "TERM", "CHLD" };
            process.signals_blocked = { "RTMIN+1" };
            process.cgroup = "/glassbox/" + id;
            process.namespaces = container.namespaces;
            process.container_id = id;
            process.owner = owner;
            container.processes.push_back(process.pid);
            s.processes.push_back(process);
        }
        for (const char* type : { "mnt", "uts", "ipc", "pid", "net", "cgroup", "user", "time" })
            s.namespaces.push_back({ type, net + static_cast<std::uint64_t>(type[0]), 10000 + c * 10, { 10000 + c * 10 }, {}, id, owner });
        for (int m = 0; m < 25; ++m) {
            MountInfo mount;
            mount.mount_namespace = net + 2;
            mount.mount_id = 2000 + c * 100 + m;
            mount.parent_id = m == 0 ? 1 : 2000 + c * 100;
            mount.device = "0:" + std::to_string(50 + m);
            mount.root = "/";
            mount.mount_point = m == 0 ? "/" : "/proc/sys/path-" + std::to_string(m);
            mount.options = "rw,nosuid,nodev,noexec,relatime";
            mount.propagation = m % 3 == 0 ? "master:1" : "";
            mount.fstype = m == 0 ? "overlay" : "tmpfs";
            mount.source = m == 0 ? "overlay" : "tmpfs";
            mount.super_options = "rw,size=65536k,mode=755";
            mount.kind = m == 0 ? "overlay" : "tmpfs";
            if (m == 0) {
                mount.lower_dirs = { { "/var/lib/glassbox/layers/l2/fs", "sha256:l2", { "sha256:aaa" }, "RUN x" },
                    { "/var/lib/glassbox/layers/l1/fs", "sha256:l1", { "sha256:aaa" }, "ADD rootfs.tar /" } };
                mount.upper_dir = "/var/lib/glassbox/" + id + "/upper";
                mount.work_dir = "/var/lib/glassbox/" + id + "/work";
            }
            mount.container_id = id;
            mount.owner = owner;
            s.mounts.push_back(mount);
        }
        CgroupInfo cgroup;
        cgroup.hierarchy = "unified";
        cgroup.path = "/glassbox/" + id;
        cgroup.directory = "/sys/fs/cgroup/glassbox/" + id;
        cgroup.memory_current = 3 << 20;
        cgroup.pids_current = 6;
        cgroup.cpu_usage_usec = 123456789;
        cgroup.processes = container.processes;
        cgroup.container_id = id;
        cgroup.owner = owner;
        s.cgroups.push_back(cgroup);
        LinkInfo lo;
        lo.netns = net;
        lo.index = 1;
        lo.name = "lo";
        lo.mac = "00:00:00:00:00:00";
        lo.mtu = 65536;
        lo.up = true;
        lo.oper_state = "unknown";
        lo.container_id = id;
        lo.owner = owner;
        LinkInfo eth = lo;
        eth.index = 2;
        eth.name = "eth0";
        eth.kind = "veth";
        eth.mac = "02:42:ac:12:00:02";
        eth.mtu = 1500;
        eth.oper_state = "up";
        eth.peer_index = 100 + c;
        eth.peer_name = "gb-" + id.substr(0, 8);
        eth.peer_netns = 4026531840;
        LinkInfo host_end = eth;
        host_end.netns = 4026531840;
        host_end.index = 100 + c;
        host_end.name = eth.peer_name;
        host_end.mac = "ee:ee:ee:00:00:01";
        host_end.master_index = 4;
        host_end.master_name = "glassbox0";
        host_end.bridge_port_state = "forwarding";
        host_end.peer_index = 2;
        host_end.peer_name = "eth0";
        host_end.peer_netns = net;
        host_end.container_id = "";
        s.links.insert(s.links.end(), { lo, eth, host_end });
        s.addresses.push_back({ net, 1, "lo", "inet", "127.0.0.1/8", "host", id, owner });
        s.addresses.push_back({ net, 2, "eth0", "inet", ip + "/16", "global", id, owner });
        s.addresses.push_back({ net, 2, "eth0", "inet6", "fe80::42:acff:fe12:2/64", "link", id, owner });
        s.routes.push_back({ net, "inet", "main", "default", "172.18.0.1", 2, "eth0", "boot", "universe", 0, id, owner });
        s.routes.push_back({ net, "inet", "main", "172.18.0.0/16", "", 2, "eth0", "kernel", "link", 0, id, owner });
        s.routes.push_back({ net, "inet", "local", ip, "", 2, "eth0", "kernel", "host", 0, id, owner });
        s.neighbours.push_back({ net, 2, "eth0", "172.18.0.1", "02:42:00:00:00:01", "reachable", id, owner });
        s.fdb.push_back({ 4026531840, 100 + c, eth.peer_name, 4, "glassbox0", "02:42:ac:12:00:02", 1, "reachable", owner });
        s.nft_rules.push_back({ "ip", "glassbox", "prerouting", static_cast<std::uint64_t>(10 + c),
            "tcp dport " + std::to_string(8000 + c) + " dnat to " + ip + ":80", "glassbox publish", "glassbox" });
        s.networks[0].endpoints.push_back({ id, container.name, ip, "02:42:ac:12:00:02", eth.peer_name });
        s.containers.push_back(container);
    }
    // Host processes, to reach ~300 in all.
    const int host_processes = 300 - static_cast<int>(s.processes.size());
    for (int p = 0; p < host_processes; ++p) {
        ProcessInfo process;
        process.pid = 200 + p;
        process.ppid = 1;
        process.comm = "kworker/" + std::to_string(p);
        process.state = "I";
        process.state_name = "idle";
        process.namespaces = s.host_namespaces;
        s.processes.push_back(process);
    }
    return s;
}

} // namespace

TEST(SnapshotJsonTextTest, EmptySnapshotMatchesTheDomDump)
{
    EXPECT_EQ(snapshot_to_json_text(Snapshot {}), dom_text(Snapshot {}));
}

TEST(SnapshotJsonTextTest, SampleSnapshotMatchesTheDomDump)
{
    EXPECT_EQ(snapshot_to_json_text(sample_snapshot()), dom_text(sample_snapshot()));
}

TEST(SnapshotJsonTextTest, FiftyContainerSnapshotMatchesTheDomDump)
{
    auto snapshot = big_snapshot();
    ASSERT_EQ(snapshot.containers.size(), 51U);
    ASSERT_GE(snapshot.processes.size(), 300U);

    EXPECT_EQ(snapshot_to_json_text(snapshot), dom_text(snapshot));
}

TEST(SnapshotJsonTextTest, EveryFieldSetAndUnsetMatchesTheDomDump)
{
    // Default-constructed elements (every field empty, zero or -1) in every collection.
    Snapshot unset;
    unset.kernel.features.emplace_back();
    for_each_collection(unset, [](const char*, auto& items) { items.emplace_back(); });
    unset.networks[0].endpoints.emplace_back();
    unset.mounts[0].lower_dirs.emplace_back();
    unset.warnings.emplace_back();
    unset.host_namespaces[""] = 0;
    EXPECT_EQ(snapshot_to_json_text(unset), dom_text(unset));

    // The sample with extremes: negative numbers, largest unsigned values, true and false.
    Snapshot set = sample_snapshot();
    set.generation = UINT64_MAX;
    set.kernel.mode = "simulated";
    set.kernel.simulated_reason = "not root";
    set.kernel.features = { { "overlay", true, "ok" }, { "nft", false, "" } };
    set.processes[0].uid = -1;
    set.processes[0].pid = INT32_MIN;
    set.cgroups[0].frozen = true;
    set.cgroups[0].memory_max = INT64_MIN;
    set.nft_rules[0].handle = UINT64_MAX;
    set.links[0].up = true;
    set.links[1].vlan_id = 100;
    EXPECT_EQ(snapshot_to_json_text(set), dom_text(set));
}

TEST(SnapshotJsonTextTest, TrickyStringsAreEscapedAsTheDomEscapesThem)
{
    const std::vector<std::string> tricky {
        "",
        "say \"hi\"",
        "back\\slash",
        std::string("nul\0byte", 8),
        "\x01\x08\x09\x0a\x0c\x0d\x1f",
        "del\x7f",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3",   // Valid 2-, 3- and 4-byte UTF-8.
        "lone \x80 continuation",
        "truncated \xe2\x82",                           // A sequence cut short mid-string...
        "at the end \xf0\x9f",                          // ...and at the end.
        "overlong \xc0\xaf",
        "surrogate \xed\xa0\x80",
        "bad lead \xff\xfe",
        "\xc3",
        "mixed \xc3\x28 \"q\" \x1b[0m \xe2\x82\xac",
    };
    Snapshot s = sample_snapshot();
    s.hostname = tricky[6];
    s.warnings = tricky;
    s.processes[1].cmdline = tricky;
    s.host_namespaces["odd \"key\" \xff"] = 1;
    for (const auto& text : tricky) {
        NftRule rule { "ip", "glassbox", "chain", 1, text, text, text };
        s.nft_rules.push_back(rule);
        Snapshot one;
        one.taken_at = text;
        EXPECT_EQ(snapshot_to_json_text(one), dom_text(one)) << "string: " << nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    }
    EXPECT_EQ(snapshot_to_json_text(s), dom_text(s));
}

