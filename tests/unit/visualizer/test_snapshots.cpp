// Fixtures for the visualizer tests (test_snapshots.h).
#include "tests/unit/visualizer/test_snapshots.h"

namespace visualizer::testing {

using namespace engine::state;

namespace {

constexpr std::uint64_t host_net = 4026531840;
constexpr std::uint64_t web_net = 4026532500;
constexpr std::uint64_t db_net = 4026532600;

LinkInfo link(std::uint64_t netns, int index, std::string name, std::string kind, std::string owner)
{
    LinkInfo link;
    link.netns = netns;
    link.index = index;
    link.name = std::move(name);
    link.kind = std::move(kind);
    link.owner = std::move(owner);
    link.up = true;
    link.mac = "02:42:ac:11:00:" + std::to_string(10 + index);
    return link;
}

} // namespace

Snapshot classroom_snapshot()
{
    Snapshot snapshot;
    snapshot.generation = 7;
    snapshot.host_namespaces = { { "net", host_net }, { "pid", 4026531836 }, { "mnt", 4026531841 } };

    ContainerInfo web;
    web.id = "aaaa1111";
    web.name = "web";
    web.image_id = "sha256:img-a";
    web.image_tags = { "web:latest" };
    web.status = "running";
    web.pid = 1000;
    web.namespaces = { { "net", web_net }, { "pid", 4026532501 }, { "mnt", 4026532502 } };
    web.processes = { 1000, 1001 };
    web.networks = { "n1" };
    web.volumes = { "data" };
    ContainerInfo db = web;
    db.id = "bbbb2222";
    db.name = "db";
    db.image_id = "sha256:img-b";
    db.image_tags = { "db:latest" };
    db.pid = 2000;
    db.namespaces = { { "net", db_net } };
    db.processes = {};
    db.volumes = {};
    snapshot.containers = { web, db };

    // [Network] The host: uplink eth0, a bridge, two veths, and a VLAN sub-interface.
    auto uplink = link(host_net, 2, "eth0", "", "");
    auto bridge = link(host_net, 3, "glassbox0", "bridge", "network:n1");
    auto veth_web = link(host_net, 4, "gb-web", "veth", "container:aaaa1111");
    veth_web.master_index = 3;
    veth_web.peer_index = 2;
    veth_web.peer_netns = web_net;
    auto veth_db = link(host_net, 5, "gb-db", "veth", "container:bbbb2222");
    veth_db.master_index = 3;
    veth_db.peer_index = 2;
    veth_db.peer_netns = db_net;
    auto vlan = link(host_net, 6, "eth0.10", "vlan", "network:n2");
    vlan.vlan_id = 10;
    vlan.parent_index = 2;
    auto host_lo = link(host_net, 1, "lo", "", "");
    auto docker0 = link(host_net, 9, "docker0", "bridge", ""); // Not glassbox's: hidden by default.
    auto foreign = link(host_net, 12, "gbother", "veth", "container:ffff9999"); // Another daemon's.
    // Inside web and db.
    auto web_lo = link(web_net, 1, "lo", "", "container:aaaa1111");
    auto web_eth = link(web_net, 2, "eth0", "veth", "container:aaaa1111");
    web_eth.peer_index = 4;
    web_eth.peer_netns = host_net;
    web_eth.container_id = "aaaa1111";
    auto db_eth = link(db_net, 2, "eth0", "veth", "container:bbbb2222");
    db_eth.peer_index = 5;
    db_eth.peer_netns = host_net;
    auto db_macvlan = link(db_net, 3, "mv0", "macvlan", "container:bbbb2222");
    db_macvlan.parent_index = 2;
    db_macvlan.parent_netns = host_net;
    db_macvlan.mode = "bridge";
    snapshot.links = { host_lo, uplink, bridge, veth_web, veth_db, vlan, docker0, foreign, web_lo, web_eth, db_eth, db_macvlan };
    snapshot.addresses = { { host_net, 3, "glassbox0", "inet", "172.18.0.1/16", "global", "", "network:n1" },
        { web_net, 2, "eth0", "inet", "172.18.0.2/16", "global", "aaaa1111", "container:aaaa1111" } };
    RouteInfo default_route;
    default_route.netns = host_net;
    default_route.family = "inet";
    default_route.table = "main";
    default_route.destination = "default";
    default_route.link_index = 2;
    snapshot.routes = { default_route };
    NetworkInfo network;
    network.id = "n1";
    network.name = "frontend";
    network.driver = "bridge";
    network.bridge_name = "glassbox0";
    network.endpoints = { { "aaaa1111", "web", "172.18.0.2/16", "", "gb-web" } };
    NetworkInfo vlan_network;
    vlan_network.id = "n2";
    vlan_network.name = "lab-vlan10";
    vlan_network.driver = "macvlan";
    vlan_network.parent = "eth0.10";
    snapshot.networks = { network, vlan_network };
    NftRule rule;
    rule.family = "ip";
    rule.table = "glassbox";
    rule.chain = "prerouting";
    rule.handle = 4;
    rule.text = "tcp dport 8080 dnat to 172.18.0.2:80";
    snapshot.nft_rules = { rule };

    // [Namespaces and processes]
    snapshot.namespaces = { { "net", web_net, 1000, { 1000, 1001 }, {}, "aaaa1111", "container:aaaa1111" },
        { "pid", 4026532501, 1000, { 1000, 1001 }, {}, "aaaa1111", "container:aaaa1111" },
        { "mnt", 4026532502, 1000, { 1000, 1001 }, {}, "aaaa1111", "container:aaaa1111" },
        { "net", db_net, 2000, { 2000 }, {}, "bbbb2222", "container:bbbb2222" },
        { "net", host_net, 1, { 1 }, {}, "", "" } };
    ProcessInfo sleep;
    sleep.pid = 1000;
    sleep.ppid = 50;
    sleep.start_time = 100;
    sleep.nspid = { 1000, 1 };
    sleep.comm = "sleep";
    sleep.state = "S";
    sleep.signals_ignored = { "TERM" };
    sleep.signals_blocked = { "CHLD" };
    sleep.namespaces = { { "net", web_net }, { "pid", 4026532501 }, { "mnt", 4026532502 }, { "uts", 4026531838 } };
    sleep.container_id = "aaaa1111";
    ProcessInfo zombie = sleep;
    zombie.pid = 1001;
    zombie.ppid = 1000;
    zombie.nspid = { 1001, 2 };
    zombie.comm = "sh";
    zombie.state = "Z";
    zombie.signals_ignored = {};
    zombie.signals_blocked = {};
    zombie.signals_caught = { "INT" };
    ProcessInfo host_process;
    host_process.pid = 1;
    host_process.comm = "init";
    snapshot.processes = { sleep, zombie, host_process };

    // [Images] Two images sharing their base layer.
    snapshot.images = { { "sha256:img-a", { "web:latest" }, { "sha256:base", "sha256:web-app" } },
        { "sha256:img-b", { "db:latest" }, { "sha256:base", "sha256:db-app" } } };
    snapshot.layers = { { "sha256:base", "/l/base", 4 << 20, "ADD rootfs.tar /", { "sha256:img-a", "sha256:img-b" }, {} },
        { "sha256:web-app", "/l/web", 2048, "RUN echo web > /index.html", { "sha256:img-a" }, { "aaaa1111" } },
        { "sha256:db-app", "/l/db", 4096, "COPY db.conf /etc/", { "sha256:img-b" }, {} } };
    MountInfo root;
    root.mount_namespace = 4026532502;
    root.mount_id = 900;
    root.mount_point = "/";
    root.kind = "overlay";
    root.lower_dirs = { { "/l/web", "sha256:web-app", { "sha256:img-a" }, "RUN echo" }, { "/l/base", "sha256:base", {}, "ADD" } };
    root.upper_dir = "/c/aaaa1111/upper";
    root.container_id = "aaaa1111";

    // [Volumes and mounts]
    std::string anonymous(64, 'e');
    snapshot.volumes = { { "data", "local", "/v/data/_data", { "aaaa1111" } }, { anonymous, "local", "/v/anon/_data", { "aaaa1111" } } };
    MountInfo volume = root;
    volume.mount_id = 901;
    volume.kind = "volume";
    volume.volume_name = "data";
    volume.mount_point = "/data";
    MountInfo anonymous_volume = volume;
    anonymous_volume.mount_id = 902;
    anonymous_volume.volume_name = anonymous;
    anonymous_volume.mount_point = "/cache";
    MountInfo bind = root;
    bind.mount_id = 903;
    bind.kind = "bind";
    bind.mount_point = "/host-etc";
    bind.root = "/etc";
    MountInfo tmpfs = root;
    tmpfs.mount_id = 904;
    tmpfs.kind = "tmpfs";
    tmpfs.mount_point = "/run";
    MountInfo proc = root;
    proc.mount_id = 905;
    proc.kind = "proc";
    proc.mount_point = "/proc";
    snapshot.mounts = { root, volume, anonymous_volume, bind, tmpfs, proc };

    // [cgroups]
    CgroupInfo cgroup;
    cgroup.hierarchy = "unified";
    cgroup.path = "/glassbox/aaaa1111";
    cgroup.memory_current = 50 << 20;
    cgroup.memory_max = 64 << 20;
    cgroup.pids_current = 2;
    cgroup.pids_max = 100;
    cgroup.cpu_usage_usec = 1500000;
    cgroup.cpu_quota_usec = 50000;
    cgroup.cpu_period_usec = 100000;
    cgroup.container_id = "aaaa1111";
    CgroupInfo host_cgroup;
    host_cgroup.hierarchy = "unified";
    host_cgroup.path = "/system.slice";
    snapshot.cgroups = { cgroup, host_cgroup };
    return snapshot;
}

int count(const std::vector<DrawnItem>& items, const std::string& kind, const std::string& flags)
{
    int total = 0;
    for (const auto& item : items) {
        if (item.kind == kind && (flags == "*" || item.flags == flags))
            ++total;
    }
    return total;
}

void HeadlessImGui::SetUp()
{
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1600, 1000);
    io.IniFilename = nullptr;
    unsigned char* pixels = nullptr;
    int width = 0;
    int height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
}

void HeadlessImGui::TearDown() { ImGui::DestroyContext(); }

int HeadlessImGui::run_frame(const std::function<void()>& draw)
{
    ImGui::GetIO().DeltaTime = 1.0F / 60.0F;
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(1600, 1000));
    ImGui::Begin("panel under test");
    draw();
    ImGui::End();
    ImGui::Render();
    return ImGui::GetDrawData()->TotalVtxCount;
}

std::vector<DrawnItem> HeadlessImGui::draw_twice(const std::function<void(const PanelContext&)>& draw, PanelContext context)
{
    std::vector<DrawnItem> items;
    context.drawn = &items;
    run_frame([&] { draw(context); });
    items.clear();
    run_frame([&] { draw(context); });
    return items;
}

} // namespace visualizer::testing
