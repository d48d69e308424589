// The collector on the real kernel: each test creates one kind of object with plain syscalls,
// `ip` or `nft` (never touching eth0), takes a snapshot, finds the object with the right facts,
// and removes everything it made (processes by PID, links, cgroups, nft tables, temp dirs).
// Namespaces and mounts live in child processes, so killing the child removes them.
#include "engine/state/collector.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/state/collector_internal.h"
#include "engine/state/diff.h"
#include "engine/state/record.h"
#include "engine/state/snapshot_json.h"

using namespace engine::state; // NOLINT(google-build-using-namespace): test file.

// Designated initializers below name only the fields a test cares about; the rest keep their
// defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

extern "C" void on_term(int) { }

int run(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

class CollectorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (CAP_SYS_ADMIN)";
        char dir_template[] = "/tmp/glassbox-state-test-XXXXXX";
        ASSERT_NE(::mkdtemp(dir_template), nullptr);
        m_dir = dir_template;
        m_tag = engine::strings::random_hex_id(6);
    }

    void TearDown() override
    {
        // A test that failed half-way must not leave its namespaces held by the caches.
        clear_collector_caches();
        for (auto it = m_cleanups.rbegin(); it != m_cleanups.rend(); ++it)
            (*it)();
        for (pid_t pid : m_children) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        if (!m_dir.empty())
            (void)engine::fs::remove_tree(m_dir);
    }

    // Forks a child that runs `setup`, reports a number (its own PID unless `setup` returns
    // another) through a pipe, then sleeps until killed. Returns that number.
    int spawn(const std::function<int()>& setup)
    {
        int fds[2];
        if (::pipe(fds) != 0)
            return -1;
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(fds[0]);
            int reported = setup();
            (void)!::write(fds[1], &reported, sizeof(reported));
            ::close(fds[1]);
            while (true)
                ::pause();
        }
        ::close(fds[1]);
        m_children.push_back(pid);
        int reported = -1;
        if (::read(fds[0], &reported, sizeof(reported)) != sizeof(reported))
            reported = -1;
        ::close(fds[0]);
        return reported;
    }

    Snapshot collect(const EngineObjects& objects, CollectOptions options = {})
    {
        auto snapshot = collect_snapshot(objects, options);
        EXPECT_TRUE(snapshot.ok()) << snapshot.error().describe();
        return snapshot.ok() ? snapshot.release_value() : Snapshot {};
    }

    std::string m_dir;
    std::string m_tag;
    std::vector<pid_t> m_children;
    std::vector<std::function<void()>> m_cleanups;
};

TEST_F(CollectorTest, SigtermHandlerShowsAsCaught)
{
    int with_handler = spawn([] {
        struct sigaction action {};
        action.sa_handler = on_term;
        ::sigaction(SIGTERM, &action, nullptr);
        return static_cast<int>(::getpid());
    });
    int without_handler = spawn([] {
        ::signal(SIGTERM, SIG_DFL);
        return static_cast<int>(::getpid());
    });

    auto snapshot = collect({}, { .network = false, .nftables = false, .kernel_features = false });

    const auto* caught = find_process(snapshot, with_handler);
    const auto* plain = find_process(snapshot, without_handler);
    ASSERT_NE(caught, nullptr);
    ASSERT_NE(plain, nullptr);
    auto has_term = [](const ProcessInfo& p) {
        return std::find(p.signals_caught.begin(), p.signals_caught.end(), "TERM") != p.signals_caught.end();
    };
    EXPECT_TRUE(has_term(*caught));
    EXPECT_FALSE(has_term(*plain));
}

TEST_F(CollectorTest, ZombieShowsUnderItsParent)
{
    int parent = 0;
    int zombie = spawn([] {
        pid_t child = ::fork();
        if (child == 0)
            ::_exit(0);
        // Give the child time to exit; it stays a zombie because nobody waits for it.
        ::usleep(100000);
        return static_cast<int>(child);
    });
    parent = m_children.back();

    auto snapshot = collect({}, { .network = false, .nftables = false, .kernel_features = false });

    const auto* process = find_process(snapshot, zombie);
    ASSERT_NE(process, nullptr);
    EXPECT_EQ(process->state, "Z");
    EXPECT_EQ(process->state_name, "zombie");
    EXPECT_EQ(process->ppid, parent);
}

TEST_F(CollectorTest, NewPidNamespaceShowsHostPidAndPid1)
{
    int pid1 = spawn([] {
        if (::unshare(CLONE_NEWPID) != 0)
            return -1;
        pid_t child = ::fork();
        if (child == 0) {
            while (true)
                ::pause();
        }
        return static_cast<int>(child);
    });
    ASSERT_GT(pid1, 0);
    m_cleanups.push_back([pid1] { ::kill(pid1, SIGKILL); });
    EngineObjects objects;
    objects.containers.push_back({ .id = "pidtest" + m_tag, .name = "pidtest", .status = "running", .pid = pid1 });

    auto snapshot = collect(objects, { .network = false, .nftables = false, .kernel_features = false });

    const auto* process = find_process(snapshot, pid1);
    ASSERT_NE(process, nullptr);
    EXPECT_EQ(process->nspid, (std::vector<int> { pid1, 1 }));
    EXPECT_EQ(process->container_id, "pidtest" + m_tag);
    const auto* ns = find_namespace(snapshot, "pid", process->namespaces.at("pid"));
    ASSERT_NE(ns, nullptr);
    EXPECT_EQ(ns->container_id, "pidtest" + m_tag);
    EXPECT_NE(process->namespaces.at("pid"), snapshot.host_namespaces.at("pid"));
}

TEST_F(CollectorTest, OverlayLowerdirsMapToLayersInOrder)
{
    for (const char* name : { "l1", "l2", "l3", "upper", "work", "merged" })
        ASSERT_TRUE(engine::fs::make_dirs(m_dir + "/" + name).ok());
    std::string options = "lowerdir=" + m_dir + "/l3:" + m_dir + "/l2:" + m_dir + "/l1,upperdir=" + m_dir
        + "/upper,workdir=" + m_dir + "/work";
    std::string merged = m_dir + "/merged";
    // The mount lives in the child's own mount namespace, so it disappears with the child.
    int holder = spawn([&] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return -1;
        if (::mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) != 0)
            return -errno;
        return static_cast<int>(::getpid());
    });
    ASSERT_GT(holder, 0) << "overlay mount failed: " << std::strerror(-holder);
    EngineObjects objects;
    ImageObject image { "sha256:img" + m_tag, { "test:layers" }, {} };
    for (const char* layer : { "l1", "l2", "l3" })
        image.layers.push_back({ std::string("sha256:") + layer, m_dir + "/" + layer, 0, std::string("RUN make ") + layer });
    objects.images.push_back(image);
    objects.containers.push_back({ .id = "ovl" + m_tag, .name = "ovl", .image_id = image.id, .status = "running",
        .pid = holder, .rootfs = merged, .upper_dir = m_dir + "/upper", .work_dir = m_dir + "/work",
        .lower_dirs = { m_dir + "/l3", m_dir + "/l2", m_dir + "/l1" } });

    auto snapshot = collect(objects, { .network = false, .nftables = false, .kernel_features = false });

    const MountInfo* overlay = nullptr;
    for (const auto& mount : snapshot.mounts) {
        if (mount.kind == "overlay" && mount.mount_point == merged)
            overlay = &mount;
    }
    ASSERT_NE(overlay, nullptr);
    ASSERT_EQ(overlay->lower_dirs.size(), 3U);
    EXPECT_EQ(overlay->lower_dirs[0].layer_diff_id, "sha256:l3");
    EXPECT_EQ(overlay->lower_dirs[1].layer_diff_id, "sha256:l2");
    EXPECT_EQ(overlay->lower_dirs[2].layer_diff_id, "sha256:l1");
    EXPECT_EQ(overlay->lower_dirs[0].created_by, "RUN make l3");
    EXPECT_EQ(overlay->lower_dirs[0].image_ids, (std::vector<std::string> { image.id }));
    EXPECT_EQ(overlay->upper_dir, m_dir + "/upper");
    EXPECT_EQ(overlay->container_id, "ovl" + m_tag);
}

TEST_F(CollectorTest, VethPairShowsEachEndInItsNamespaceWithItsPeer)
{
    int holder = spawn([] { return ::unshare(CLONE_NEWNET) == 0 ? static_cast<int>(::getpid()) : -1; });
    ASSERT_GT(holder, 0);
    std::string host_end = "gbt" + m_tag;
    std::string inner_end = "gbi" + m_tag;
    ASSERT_EQ(run("ip link add " + host_end + " type veth peer name " + inner_end + " netns " + std::to_string(holder)), 0);
    m_cleanups.push_back([host_end] { run("ip link del " + host_end); });
    EngineObjects objects;
    objects.containers.push_back({ .id = "veth" + m_tag, .name = "vethbox", .status = "running", .pid = holder });

    auto snapshot = collect(objects, { .nftables = false, .kernel_features = false });

    const LinkInfo* outer = nullptr;
    const LinkInfo* inner = nullptr;
    for (const auto& link : snapshot.links) {
        if (link.name == host_end && link.netns == snapshot.host_namespaces["net"])
            outer = &link;
        if (link.name == inner_end)
            inner = &link;
    }
    ASSERT_NE(outer, nullptr);
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(outer->kind, "veth");
    EXPECT_EQ(outer->peer_name, inner_end);
    EXPECT_EQ(outer->peer_netns, inner->netns);
    EXPECT_EQ(outer->peer_index, inner->index);
    EXPECT_EQ(inner->peer_name, host_end);
    EXPECT_EQ(inner->peer_netns, outer->netns);
    EXPECT_EQ(inner->container_id, "veth" + m_tag);
    EXPECT_EQ(outer->owner, "container:veth" + m_tag);
    auto diff = diff_snapshots(Snapshot {}, snapshot, { .glassbox_only = true, .include_usage = false });
    EXPECT_NE(render_diff(diff).find("veth pair " + host_end + " (host) <-> " + inner_end + " (in container vethbox's netns)"),
        std::string::npos)
        << render_diff(diff);
}

TEST_F(CollectorTest, MacvlanChildShowsParentAndMode)
{
    // Everything lives in the child's network namespace: a veth pair as the lab uplink, and a
    // macvlan on one end. Nothing touches the host's interfaces.
    int holder = spawn([] { return ::unshare(CLONE_NEWNET) == 0 ? static_cast<int>(::getpid()) : -1; });
    ASSERT_GT(holder, 0);
    std::string in_ns = "nsenter -t " + std::to_string(holder) + " -n ";
    ASSERT_EQ(run(in_ns + "ip link add uplink type veth peer name uplink-peer"), 0);
    ASSERT_EQ(run(in_ns + "ip link add mv0 link uplink type macvlan mode bridge"), 0);

    auto snapshot = collect({}, { .nftables = false, .kernel_features = false });

    auto netns = engine::state::detail::read_namespace_inode("/proc", holder, "net");
    const LinkInfo* macvlan = nullptr;
    for (const auto& link : snapshot.links) {
        if (link.netns == netns && link.name == "mv0")
            macvlan = &link;
    }
    ASSERT_NE(macvlan, nullptr);
    EXPECT_EQ(macvlan->kind, "macvlan");
    EXPECT_EQ(macvlan->parent_name, "uplink");
    EXPECT_EQ(macvlan->parent_netns, netns);
    EXPECT_EQ(macvlan->mode, "bridge");
}

TEST_F(CollectorTest, CgroupMemoryLimitShowsWithUsage)
{
    // On v2 (or hybrid with memory on v2) the limit is memory.max; otherwise v1's memory hierarchy.
    std::string v2 = "/sys/fs/cgroup/unified";
    std::string controllers;
    bool memory_on_v2 = false;
    if (engine::fs::exists("/sys/fs/cgroup/cgroup.controllers"))
        v2 = "/sys/fs/cgroup";
    if (auto text = engine::fs::read_file(v2 + "/cgroup.controllers"); text.ok())
        memory_on_v2 = text.value().find("memory") != std::string::npos;
    std::string dir = (memory_on_v2 ? v2 : std::string("/sys/fs/cgroup/memory")) + "/glassbox-state-test-" + m_tag;
    if (!engine::fs::exists(memory_on_v2 ? v2 : "/sys/fs/cgroup/memory"))
        GTEST_SKIP() << "no memory controller mounted";
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
    m_cleanups.push_back([dir] { ::rmdir(dir.c_str()); });
    std::string limit_file = dir + (memory_on_v2 ? "/memory.max" : "/memory.limit_in_bytes");
    ASSERT_EQ(std::system(("echo 67108864 > " + limit_file).c_str()), 0) << limit_file;
    std::string procs = dir + "/cgroup.procs";
    int member = spawn([procs] {
        auto self = std::to_string(::getpid());
        int fd = ::open(procs.c_str(), O_WRONLY);
        if (fd < 0 || ::write(fd, self.data(), self.size()) < 0)
            return -1;
        ::close(fd);
        // Touch 4 MiB so the cgroup has usage to show.
        static std::vector<char> memory(4 << 20, 1);
        return static_cast<int>(::getpid());
    });
    ASSERT_GT(member, 0);
    // The child must leave the cgroup before rmdir: killing it (in TearDown's order, cleanups
    // run first) would leave the directory busy, so kill it here in the cleanup.
    m_cleanups.push_back([member] {
        ::kill(member, SIGKILL);
        ::waitpid(member, nullptr, 0);
    });
    EngineObjects objects;
    objects.containers.push_back({ .id = "mem" + m_tag, .name = "memtest", .status = "running", .pid = member,
        .cgroup_paths = { dir } });

    auto snapshot = collect(objects, { .network = false, .nftables = false, .kernel_features = false });

    const CgroupInfo* cgroup = nullptr;
    for (const auto& item : snapshot.cgroups) {
        if (item.directory == dir)
            cgroup = &item;
    }
    ASSERT_NE(cgroup, nullptr);
    EXPECT_EQ(cgroup->memory_max, 67108864);
    EXPECT_GT(cgroup->memory_current, 0);
    EXPECT_EQ(cgroup->container_id, "mem" + m_tag);
    EXPECT_EQ(cgroup->processes, (std::vector<int> { member }));
}

TEST_F(CollectorTest, PublishedPortRuleShowsInNftables)
{
    std::string table = "glassbox-test-" + m_tag;
    ASSERT_EQ(run("nft add table ip " + table), 0);
    m_cleanups.push_back([table] { run("nft delete table ip " + table); });
    ASSERT_EQ(run("nft 'add chain ip " + table + " prerouting { type nat hook prerouting priority dstnat; }'"), 0);
    ASSERT_EQ(run("nft add rule ip " + table + " prerouting tcp dport 18080 dnat to 10.251.0.2:80"), 0);

    auto snapshot = collect({}, { .processes = ProcessScope::Glassbox, .network = false, .kernel_features = false });

    const NftRule* rule = nullptr;
    for (const auto& item : snapshot.nft_rules) {
        if (item.table == table)
            rule = &item;
    }
    ASSERT_NE(rule, nullptr) << engine::strings::join(snapshot.warnings, "\n");
    EXPECT_EQ(rule->family, "ip");
    EXPECT_EQ(rule->chain, "prerouting");
    EXPECT_NE(rule->text.find("tcp dport 18080"), std::string::npos) << rule->text;
    EXPECT_NE(rule->text.find("dnat to 10.251.0.2:80"), std::string::npos) << rule->text;
}

// [SECTION] Caches

// The mounts of namespace `ns` in `snapshot`, as JSON (every field compared at once).
std::vector<std::string> mounts_of(const Snapshot& snapshot, std::uint64_t ns)
{
    std::vector<std::string> mounts;
    Snapshot only;
    for (const auto& mount : snapshot.mounts)
        if (mount.mount_namespace == ns)
            only.mounts.push_back(mount);
    auto json = snapshot_to_json(only);
    for (const auto& mount : json["mounts"])
        mounts.push_back(mount.dump());
    return mounts;
}

std::uint64_t mount_namespace_of(int pid)
{
    return detail::read_namespace_inode("/proc", pid, "mnt");
}

bool cached(std::uint64_t ns)
{
    auto inodes = cached_mount_namespaces();
    return std::find(inodes.begin(), inodes.end(), ns) != inodes.end();
}

std::uint64_t network_namespace_of(int pid)
{
    return detail::read_namespace_inode("/proc", pid, "net");
}

bool network_cached(std::uint64_t ns)
{
    auto inodes = cached_network_namespaces();
    return std::find(inodes.begin(), inodes.end(), ns) != inodes.end();
}

// The network facts of namespace `ns` in `snapshot` as JSON, and the host ends of veths whose
// peer is in it (every field compared at once).
std::string network_of(const Snapshot& snapshot, std::uint64_t ns)
{
    Snapshot only;
    for (const auto& link : snapshot.links)
        if (link.netns == ns || link.peer_netns == ns)
            only.links.push_back(link);
    for (const auto& address : snapshot.addresses)
        if (address.netns == ns)
            only.addresses.push_back(address);
    for (const auto& route : snapshot.routes)
        if (route.netns == ns)
            only.routes.push_back(route);
    for (const auto& neighbour : snapshot.neighbours)
        if (neighbour.netns == ns)
            only.neighbours.push_back(neighbour);
    auto json = snapshot_to_json(only);
    return json["links"].dump() + json["addresses"].dump() + json["routes"].dump() + json["neighbours"].dump();
}

// Whether an open file of this process is namespace `ns`, or a socket in it (SIOCGSKNS: a
// rtnetlink socket holds the namespace it was opened in).
bool network_namespace_held(std::uint64_t ns)
{
    for (const auto& name : engine::fs::list_dir("/proc/self/fd")) {
        int fd = std::atoi(name.c_str());
        char target[256];
        auto length = ::readlink(("/proc/self/fd/" + name).c_str(), target, sizeof(target) - 1);
        if (length <= 0)
            continue;
        std::string link(target, static_cast<size_t>(length));
        if (link == "net:[" + std::to_string(ns) + "]")
            return true;
        if (!link.starts_with("socket:"))
            continue;
        int netns = ::ioctl(fd, SIOCGSKNS);
        if (netns < 0)
            continue;
        struct stat info {};
        bool same = ::fstat(netns, &info) == 0 && info.st_ino == ns;
        ::close(netns);
        if (same)
            return true;
    }
    return false;
}

// Whether host link `link`, a veth whose peer is in a namespace that lost its last holder, is
// gone within seconds: the kernel removes a namespace's veths (and their other ends) when the
// namespace goes, which a held namespace never does; its cleanup runs a moment later, on a
// kernel worker.
bool link_gone_soon(const std::string& link)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (run("ip link show " + link) == 0) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        ::usleep(20 * 1000);
    }
    return true;
}

TEST_F(CollectorTest, SnapshotFromWarmCacheEqualsColdOne)
{
    std::string dir = m_dir + "/tmp";
    ASSERT_TRUE(engine::fs::make_dirs(dir).ok());
    int holder = spawn([&] {
        if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0
            || ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m") != 0)
            return -1;
        return static_cast<int>(::getpid());
    });
    ASSERT_GT(holder, 0);
    auto ns = mount_namespace_of(holder);
    auto net = network_namespace_of(holder);
    std::string host_end = "gbw" + m_tag;
    std::string in_ns = "nsenter -t " + std::to_string(holder) + " -n ";
    ASSERT_EQ(run("ip link add " + host_end + " type veth peer name eth0 netns " + std::to_string(holder)), 0);
    m_cleanups.push_back([host_end] { run("ip link del " + host_end); });
    ASSERT_EQ(run(in_ns + "ip link set eth0 up"), 0);
    ASSERT_EQ(run(in_ns + "ip addr add 10.97.0.2/24 dev eth0"), 0);
    ASSERT_EQ(run(in_ns + "ip route add default via 10.97.0.1"), 0);
    // A neighbour the kernel may turn DELAY without a word: the namespace is read again once its
    // facts are a second old, without asking for netnsids again.
    ASSERT_EQ(run(in_ns + "ip neigh add 10.97.0.9 lladdr 02:00:00:00:00:09 dev eth0 nud stale"), 0);
    EngineObjects objects;
    objects.containers.push_back({ .id = "warm" + m_tag, .name = "warm", .status = "running", .pid = holder });
    CollectOptions options { .processes = ProcessScope::Glassbox, .nftables = false, .kernel_features = false };

    collect(objects, options);  // Fills the caches.
    ASSERT_TRUE(cached(ns));
    ASSERT_TRUE(network_cached(net));
    ::usleep(1100 * 1000);
    auto warm = collect(objects, options);
    options.use_caches = false;
    auto cold = collect(objects, options);

    auto warm_mounts = mounts_of(warm, ns);
    EXPECT_FALSE(warm_mounts.empty());
    EXPECT_EQ(warm_mounts, mounts_of(cold, ns));
    auto warm_network = network_of(warm, net);
    EXPECT_NE(warm_network.find("10.97.0.2/24"), std::string::npos) << warm_network;
    EXPECT_NE(warm_network.find("10.97.0.9"), std::string::npos) << warm_network;
    EXPECT_NE(warm_network.find("\"" + host_end + "\""), std::string::npos) << warm_network;
    EXPECT_EQ(warm_network, network_of(cold, net));
}

TEST_F(CollectorTest, MountChangesInCachedNamespaceShowInNextSnapshot)
{
    std::string dir = m_dir + "/tmp";
    ASSERT_TRUE(engine::fs::make_dirs(dir).ok());
    int holder = spawn([&] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return -1;
        return static_cast<int>(::getpid());
    });
    ASSERT_GT(holder, 0);
    auto ns = mount_namespace_of(holder);
    EngineObjects objects;
    objects.containers.push_back({ .id = "chg" + m_tag, .name = "chg", .status = "running", .pid = holder });
    CollectOptions options { .network = false, .nftables = false, .kernel_features = false };
    auto in_namespace = [&](const std::string& command) {
        return run("nsenter -t " + std::to_string(holder) + " -m " + command);
    };
    auto mount_at = [&](const Snapshot& snapshot) -> const MountInfo* {
        for (const auto& mount : snapshot.mounts)
            if (mount.mount_namespace == ns && mount.mount_point == dir)
                return &mount;
        return nullptr;
    };

    EXPECT_EQ(mount_at(collect(objects, options)), nullptr);
    ASSERT_TRUE(cached(ns));

    ASSERT_EQ(in_namespace("mount -t tmpfs -o size=1m gbtest " + dir), 0);
    auto mounted = collect(objects, options);
    const auto* mount = mount_at(mounted);
    ASSERT_NE(mount, nullptr);
    EXPECT_EQ(mount->fstype, "tmpfs");
    EXPECT_EQ(mount->options.substr(0, 2), "rw");

    ASSERT_EQ(in_namespace("mount -o remount,ro " + dir), 0);
    auto remounted = collect(objects, options);
    ASSERT_NE(mount_at(remounted), nullptr);
    EXPECT_EQ(mount_at(remounted)->options.substr(0, 2), "ro");

    // A change of propagation type alone is not signalled by the kernel: it shows once the
    // cached table is older than the cache's limit (a second).
    ASSERT_EQ(in_namespace("mount --make-shared " + dir), 0);
    ::usleep(1100 * 1000);
    auto shared = collect(objects, options);
    ASSERT_NE(mount_at(shared), nullptr);
    EXPECT_EQ(mount_at(shared)->propagation.substr(0, 7), "shared:");

    ASSERT_EQ(in_namespace("umount " + dir), 0);
    EXPECT_EQ(mount_at(collect(objects, options)), nullptr);
    EXPECT_TRUE(cached(ns));
}

TEST_F(CollectorTest, NetworkChangesInCachedNamespaceShowInNextSnapshot)
{
    int holder = spawn([] { return ::unshare(CLONE_NEWNET) == 0 ? static_cast<int>(::getpid()) : -1; });
    ASSERT_GT(holder, 0);
    auto ns = network_namespace_of(holder);
    EngineObjects objects;
    objects.containers.push_back({ .id = "nchg" + m_tag, .name = "nchg", .status = "running", .pid = holder });
    CollectOptions options { .processes = ProcessScope::Glassbox, .nftables = false, .kernel_features = false };
    std::string in_ns = "nsenter -t " + std::to_string(holder) + " -n ";
    auto link_of = [&](const Snapshot& snapshot, const std::string& name) -> const LinkInfo* {
        for (const auto& link : snapshot.links)
            if (link.netns == ns && link.name == name)
                return &link;
        return nullptr;
    };
    // Whether one of `items` (addresses, routes, neighbours) in the namespace matches.
    auto any_in_ns = [&](const auto& items, auto match) {
        return std::any_of(items.begin(), items.end(), [&](const auto& item) { return item.netns == ns && match(item); });
    };
    auto has_address = [&](const Snapshot& snapshot, const std::string& address) {
        return any_in_ns(snapshot.addresses, [&](const AddressInfo& item) { return item.address == address; });
    };

    // A link into another namespace: each dump asks for the netnsids again (RTM_GETNSID) through
    // the socket the next dump uses.
    std::string host_end = "gbc" + m_tag;
    ASSERT_EQ(run("ip link add " + host_end + " type veth peer name eth0 netns " + std::to_string(holder)), 0);
    m_cleanups.push_back([host_end] { run("ip link del " + host_end); });
    auto peer_named = [&](const Snapshot& snapshot) {
        const auto* eth0 = link_of(snapshot, "eth0");
        return eth0 && eth0->peer_name == host_end;
    };

    auto first = collect(objects, options);
    EXPECT_EQ(link_of(first, "a0"), nullptr);
    EXPECT_TRUE(peer_named(first));
    ASSERT_TRUE(network_cached(ns));

    ASSERT_EQ(run(in_ns + "ip link add a0 type veth peer name b0"), 0);
    auto added = collect(objects, options);
    ASSERT_NE(link_of(added, "a0"), nullptr);
    EXPECT_FALSE(link_of(added, "a0")->up);

    EXPECT_TRUE(peer_named(added));

    ASSERT_EQ(run(in_ns + "ip addr add 10.96.0.1/24 dev a0"), 0);
    auto addressed = collect(objects, options);
    EXPECT_TRUE(has_address(addressed, "10.96.0.1/24"));
    EXPECT_TRUE(peer_named(addressed));

    ASSERT_EQ(run(in_ns + "ip link set a0 up"), 0);
    auto up = collect(objects, options);
    ASSERT_NE(link_of(up, "a0"), nullptr);
    EXPECT_TRUE(link_of(up, "a0")->up);

    ASSERT_EQ(run(in_ns + "ip route add 10.95.0.0/24 dev a0"), 0);
    EXPECT_TRUE(any_in_ns(collect(objects, options).routes,
        [](const RouteInfo& route) { return route.destination == "10.95.0.0/24"; }));

    ASSERT_EQ(run(in_ns + "ip neigh add 10.96.0.2 lladdr 02:00:00:00:00:01 dev a0 nud permanent"), 0);
    auto neighboured = collect(objects, options);
    EXPECT_TRUE(any_in_ns(neighboured.neighbours,
        [](const NeighbourInfo& n) { return n.address == "10.96.0.2" && n.mac == "02:00:00:00:00:01"; }));

    ASSERT_EQ(run(in_ns + "ip link set a0 down"), 0);
    auto down = collect(objects, options);
    ASSERT_NE(link_of(down, "a0"), nullptr);
    EXPECT_FALSE(link_of(down, "a0")->up);

    ASSERT_EQ(run(in_ns + "ip link del a0"), 0);
    auto deleted = collect(objects, options);
    EXPECT_EQ(link_of(deleted, "a0"), nullptr);
    EXPECT_EQ(link_of(deleted, "b0"), nullptr);
    EXPECT_FALSE(has_address(deleted, "10.96.0.1/24"));
    EXPECT_TRUE(network_cached(ns));
}

TEST_F(CollectorTest, ExitedContainersNamespacesAreNotHeld)
{
    auto start = [&](const std::string& host_end) {
        int pid = spawn([] { return ::unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 ? static_cast<int>(::getpid()) : -1; });
        if (pid > 0 && run("ip link add " + host_end + " type veth peer name eth0 netns " + std::to_string(pid)) == 0)
            m_cleanups.push_back([host_end] { run("ip link del " + host_end); });
        return pid;
    };
    auto stop = [&](int pid) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        std::erase(m_children, pid);
    };
    // Whether any of this process's open files is a mountinfo, or a link to namespace `ns`.
    auto mounts_held = [](int pid, std::uint64_t ns) {
        for (const auto& name : engine::fs::list_dir("/proc/self/fd")) {
            char target[256];
            auto length = ::readlink(("/proc/self/fd/" + name).c_str(), target, sizeof(target) - 1);
            if (length <= 0)
                continue;
            std::string link(target, static_cast<size_t>(length));
            if (link.starts_with("/proc/" + std::to_string(pid) + "/mountinfo") || link == "mnt:[" + std::to_string(ns) + "]")
                return true;
        }
        return false;
    };
    CollectOptions options { .processes = ProcessScope::Glassbox, .nftables = false, .kernel_features = false };
    auto expect_released = [&](int pid, std::uint64_t mnt, std::uint64_t net, const std::string& host_end) {
        EXPECT_FALSE(cached(mnt));
        EXPECT_FALSE(mounts_held(pid, mnt));
        EXPECT_FALSE(network_cached(net));
        EXPECT_FALSE(network_namespace_held(net));
        EXPECT_TRUE(link_gone_soon(host_end));
    };

    // Released by the daemon's call when the container's processes have gone.
    std::string first_end = "gbx" + m_tag;
    int first = start(first_end);
    ASSERT_GT(first, 0);
    auto first_mnt = mount_namespace_of(first);
    auto first_net = network_namespace_of(first);
    EngineObjects objects;
    objects.containers.push_back({ .id = "gone" + m_tag, .name = "gone", .status = "running", .pid = first });
    collect(objects, options);
    ASSERT_TRUE(cached(first_mnt));
    ASSERT_TRUE(network_cached(first_net));
    EXPECT_TRUE(mounts_held(first, first_mnt));
    EXPECT_TRUE(network_namespace_held(first_net));
    stop(first);
    release_unreachable_namespaces();
    expect_released(first, first_mnt, first_net, first_end);

    // Closed by the next collection, which no longer sees the namespaces.
    std::string second_end = "gby" + m_tag;
    int second = start(second_end);
    ASSERT_GT(second, 0);
    auto second_mnt = mount_namespace_of(second);
    auto second_net = network_namespace_of(second);
    objects.containers[0].pid = second;
    collect(objects, options);
    ASSERT_TRUE(cached(second_mnt));
    ASSERT_TRUE(network_cached(second_net));
    stop(second);
    collect({}, options);
    expect_released(second, second_mnt, second_net, second_end);
}

TEST_F(CollectorTest, NetworkNamespaceReachedThroughANetnsFileIsReleasedOnceTheFileGoes)
{
    // As the daemon's sandboxes are: a namespace no process is in, kept by a bind-mounted file.
    std::string name = "gbtest-" + m_tag;
    std::string file = "/run/netns/" + name;
    std::string host_end = "gbz" + m_tag;
    ASSERT_EQ(run("ip netns add " + name), 0);
    m_cleanups.push_back([name] { run("ip netns del " + name); });
    ASSERT_EQ(run("ip link add " + host_end + " type veth peer name eth0 netns " + name), 0);
    m_cleanups.push_back([host_end] { run("ip link del " + host_end); });
    struct stat info {};
    ASSERT_EQ(::stat(file.c_str(), &info), 0);
    std::uint64_t ns = info.st_ino;
    EngineObjects objects;
    objects.containers.push_back({ .id = "nfile" + m_tag, .name = "nfile", .status = "running", .netns_path = file });
    collect(objects, { .processes = ProcessScope::Glassbox, .nftables = false, .kernel_features = false });
    ASSERT_TRUE(network_cached(ns));

    release_unreachable_namespaces(); // The file still leads to it: kept.
    EXPECT_TRUE(network_cached(ns));
    ASSERT_EQ(run("ip netns del " + name), 0);
    release_unreachable_namespaces();
    EXPECT_FALSE(network_cached(ns));
    EXPECT_FALSE(network_namespace_held(ns));
    EXPECT_TRUE(link_gone_soon(host_end)) << "the namespace outlived its file";
}

TEST_F(CollectorTest, AnotherProgramsNamespacesAreReadButNotHeld)
{
    // A process in its own mount and network namespaces that is no container of the engine (a
    // service with a private network, another engine's container): a snapshot shows its links
    // and mounts, but keeps no watch or mountinfo of them open, since nothing would release them.
    std::string host_end = "gbf" + m_tag;
    int pid = spawn([] { return ::unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 ? static_cast<int>(::getpid()) : -1; });
    ASSERT_GT(pid, 0);
    ASSERT_EQ(run("ip link add " + host_end + " type veth peer name eth0 netns " + std::to_string(pid)), 0);
    m_cleanups.push_back([host_end] { run("ip link del " + host_end); });
    auto mnt = mount_namespace_of(pid);
    auto net = network_namespace_of(pid);

    auto snapshot = collect({}, { .nftables = false, .kernel_features = false });
    bool seen = false;
    for (const auto& link : snapshot.links)
        seen = seen || (link.netns == net && link.name == "eth0" && link.peer_name == host_end);
    EXPECT_TRUE(seen) << "its veth end is in the snapshot";
    bool mounts_seen = false;
    for (const auto& mount : snapshot.mounts)
        mounts_seen = mounts_seen || mount.mount_namespace == mnt;
    EXPECT_TRUE(mounts_seen) << "its mount table is in the snapshot";
    EXPECT_FALSE(network_cached(net));
    EXPECT_FALSE(cached(mnt));
    EXPECT_FALSE(network_namespace_held(net));
}

TEST_F(CollectorTest, RecordedLiveSnapshotReplaysEqual)
{
    auto snapshot = collect({}, { .processes = ProcessScope::Glassbox, .nftables = false });
    auto path = m_dir + "/live.timeline";
    {
        auto writer = TimelineWriter::create(path);
        ASSERT_TRUE(writer.ok());
        ASSERT_TRUE(writer.value().write_snapshot(snapshot).ok());
    }

    auto entries = read_timeline(path);

    ASSERT_TRUE(entries.ok()) << entries.error().describe();
    ASSERT_EQ(entries.value().size(), 1U);
    EXPECT_EQ(snapshot_to_json(entries.value()[0].snapshot), snapshot_to_json(snapshot));
    EXPECT_TRUE(diff_snapshots(snapshot, entries.value()[0].snapshot, { .glassbox_only = false, .include_usage = true })
                    .changes.empty());
}

} // namespace
