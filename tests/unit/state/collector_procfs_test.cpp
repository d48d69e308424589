// The collector over a procfs and cgroupfs written as plain files (CollectOptions::proc_root and
// pseudo_fs_root), without root: which container each mount belongs to and what kind it is, the
// container cgroups found through /proc/<pid>/cgroup, and the one-record file reader.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/state/collector.h"
#include "engine/state/collector_internal.h"

using namespace engine;
using namespace engine::state;
namespace stdfs = std::filesystem;

namespace {

class FakeProcfs : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/gb-state-procfs-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = pattern;
    }
    void TearDown() override { stdfs::remove_all(m_root); }

    std::string proc() const { return m_root + "/proc"; }

    void write(const std::string& path, const std::string& text) const
    {
        stdfs::create_directories(stdfs::path(m_root + path).parent_path());
        std::ofstream(m_root + path) << text;
    }

    // /proc/<pid> with stat, status, cmdline, cgroup, mountinfo and ns links: the mount namespace
    // is mnt:[`mnt`], the other types get `others` + 1, + 2, ... in namespace_types() order.
    void process(int pid, int ppid, const std::string& comm, const std::string& cgroup, std::uint64_t mnt,
        std::uint64_t others, const std::string& mountinfo) const
    {
        auto dir = "/proc/" + std::to_string(pid);
        std::string stat = std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid);
        for (int field = 5; field <= 52; ++field)
            stat += field == 22 ? " 4242" : " 0";
        write(dir + "/stat", stat + "\n");
        write(dir + "/status", "Name:\t" + comm + "\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
            "Threads:\t1\nNSpid:\t" + std::to_string(pid) + "\n");
        write(dir + "/cmdline", comm + std::string(1, '\0'));
        write(dir + "/cgroup", "0::" + cgroup + "\n");
        write(dir + "/mountinfo", mountinfo);
        stdfs::create_directories(m_root + dir + "/ns");
        std::uint64_t inode = others;
        for (const char* type : detail::namespace_types()) {
            std::string name = type;
            auto target = name + ":[" + std::to_string(name == "mnt" ? mnt : ++inode) + "]";
            stdfs::create_symlink(target, m_root + dir + "/ns/" + name);
        }
    }

    std::string m_root;
};

// A running container under /var/gb/<id> with its PID 1 and planned mounts.
ContainerObject container(const std::string& id, int pid, std::vector<ObjectMount> mounts)
{
    ContainerObject object;
    object.id = id;
    object.name = "name-" + id;
    object.status = "running";
    object.pid = pid;
    object.rootfs = "/var/gb/" + id + "/rootfs";
    object.upper_dir = "/var/gb/" + id + "/upper";
    object.mounts = std::move(mounts);
    return object;
}

const MountInfo* find_mount(const Snapshot& snapshot, std::uint64_t ns, const std::string& mount_point)
{
    for (const auto& mount : snapshot.mounts)
        if (mount.mount_namespace == ns && mount.mount_point == mount_point)
            return &mount;
    return nullptr;
}

TEST_F(FakeProcfs, MountsBelongToTheContainerWhoseRootfsOrNamespaceHoldsThem)
{
    const int host = ::getpid();
    process(host, 1, "glassboxd", "/", 1, 100,
        "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "2 1 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
        "3 1 0:40 / /var/gb/a/rootfs rw - overlay overlay rw,lowerdir=/l1,upperdir=/var/gb/a/upper,workdir=/var/gb/a/work\n"
        "4 3 8:1 /volumes/data/_data /var/gb/a/rootfs/data rw - ext4 /dev/sda1 rw\n"
        "5 1 0:41 / /var/gb/b/rootfs/run rw - tmpfs tmpfs rw\n"
        "6 1 0:42 / /var/gb/b/rootfs/proc rw - proc proc rw\n"
        "7 1 0:43 / /var/gb/bx/run rw - tmpfs tmpfs rw\n");
    process(1001, host, "sleep", "/glassbox/a", 2, 200,
        "10 0 0:40 / / rw - overlay overlay rw,lowerdir=/l1,upperdir=/var/gb/a/upper,workdir=/var/gb/a/work\n"
        "11 10 8:1 /volumes/data/_data /data rw - ext4 /dev/sda1 rw\n"
        "12 10 8:1 /containers/a/hostname /etc/hostname rw - ext4 /dev/sda1 rw\n"
        "13 10 0:44 / /tmp rw - tmpfs tmpfs rw\n");
    process(1002, host, "sleep", "/glassbox/b", 3, 300,
        "20 0 0:45 / / rw - overlay overlay rw,lowerdir=/l1,upperdir=/var/gb/b/upper,workdir=/var/gb/b/work\n"
        "21 20 0:41 / /run rw - tmpfs tmpfs rw\n");
    write("/fs/sys/fs/cgroup/glassbox/a/memory.current", "123\n");
    write("/fs/sys/fs/cgroup/glassbox/a/memory.max", "max\n");
    write("/fs/sys/fs/cgroup/glassbox/a/cgroup.procs", "1001\n");

    EngineObjects objects;
    objects.containers = { container("a", 1001,
                               { { "volume", "data", "/volumes/data/_data", "/data", false },
                                   { "bind", "", "/containers/a/hostname", "/etc/hostname", false } }),
        container("b", 1002, { { "tmpfs", "", "", "/run", false } }) };

    CollectOptions options;
    options.proc_root = proc();
    options.pseudo_fs_root = m_root + "/fs";
    options.network = false;
    options.nftables = false;
    options.kernel_features = false;
    auto taken = collect_snapshot(objects, options);
    ASSERT_TRUE(taken.ok()) << taken.error().describe();
    const auto& snapshot = taken.value();

    struct Expected {
        std::uint64_t ns;
        const char* mount_point;
        const char* kind;
        const char* container;
        const char* volume;
    };
    for (const auto& expected : std::initializer_list<Expected> {
             { 1, "/", "ext4", "", "" },
             { 1, "/var/gb/a/rootfs", "overlay", "a", "" },         // By its upperdir.
             { 1, "/var/gb/a/rootfs/data", "volume", "a", "data" }, // A planned mount under the rootfs.
             { 1, "/var/gb/b/rootfs/run", "tmpfs", "b", "" },
             { 1, "/var/gb/b/rootfs/proc", "proc", "b", "" },       // Under the rootfs, not planned.
             { 1, "/var/gb/bx/run", "tmpfs", "", "" },              // A sibling of b's directory.
             { 2, "/", "overlay", "a", "" },
             { 2, "/data", "volume", "a", "data" },                 // Planned, inside a's namespace.
             { 2, "/etc/hostname", "bind", "a", "" },
             { 2, "/tmp", "tmpfs", "a", "" },                       // In a's namespace, not planned.
             { 3, "/", "overlay", "b", "" },
             { 3, "/run", "tmpfs", "b", "" },
         }) {
        SCOPED_TRACE(std::to_string(expected.ns) + " " + expected.mount_point);
        const auto* mount = find_mount(snapshot, expected.ns, expected.mount_point);
        ASSERT_NE(mount, nullptr);
        EXPECT_EQ(mount->kind, expected.kind);
        EXPECT_EQ(mount->container_id, expected.container);
        EXPECT_EQ(mount->owner, std::string(expected.container).empty() ? "" : std::string("container:") + expected.container);
        EXPECT_EQ(mount->volume_name, expected.volume);
    }

    // a's cgroup, found through /proc/1001/cgroup and the host's cgroup2 mount.
    const CgroupInfo* cgroup = nullptr;
    for (const auto& candidate : snapshot.cgroups)
        if (candidate.directory == "/sys/fs/cgroup/glassbox/a")
            cgroup = &candidate;
    ASSERT_NE(cgroup, nullptr);
    EXPECT_EQ(cgroup->container_id, "a");
    EXPECT_EQ(cgroup->memory_current, 123);
    EXPECT_EQ(cgroup->memory_max, -1);
    EXPECT_EQ(cgroup->processes, std::vector<int> { 1001 });
}

TEST_F(FakeProcfs, PlainFileMountinfoIsReadAfreshEverySnapshot)
{
    // A plain file cannot say it changed (poll always reports it readable), so a simulated
    // kernel's mount table is never kept between snapshots.
    const int host = ::getpid();
    process(host, 1, "glassboxd", "/", 7, 100, "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
    CollectOptions options;
    options.proc_root = proc();
    options.network = false;
    options.nftables = false;
    options.kernel_features = false;
    auto first = collect_snapshot({}, options);
    ASSERT_TRUE(first.ok()) << first.error().describe();
    EXPECT_NE(find_mount(first.value(), 7, "/"), nullptr);
    EXPECT_TRUE(cached_mount_namespaces().empty());

    write("/proc/" + std::to_string(host) + "/mountinfo",
        "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 0:50 / /mnt rw - tmpfs tmpfs rw\n");
    auto second = collect_snapshot({}, options);
    ASSERT_TRUE(second.ok()) << second.error().describe();
    EXPECT_NE(find_mount(second.value(), 7, "/mnt"), nullptr);
}

TEST_F(FakeProcfs, OneRecordReaderReadsWholeFilesOfAnySize)
{
    std::string big(10000, 'x');
    big[4095] = '\n';
    write("/big", big);
    write("/empty", "");
    std::string text = "stale";
    ASSERT_TRUE(detail::read_one_record_file(m_root + "/big", text));
    EXPECT_EQ(text, big);
    ASSERT_TRUE(detail::read_one_record_file(m_root + "/empty", text));
    EXPECT_EQ(text, "");
    EXPECT_FALSE(detail::read_one_record_file(m_root + "/missing", text));
    // A procfs record: the same text as reading until read(2) returns 0.
    std::string whole;
    ASSERT_TRUE(detail::read_small_file("/proc/self/cmdline", whole));
    ASSERT_TRUE(detail::read_one_record_file("/proc/self/cmdline", text));
    EXPECT_EQ(text, whole);
}

TEST_F(FakeProcfs, PidListReaderReadsWholeListsOfAnySize)
{
    // Past 4 KiB the list is read on until read(2) returns 0; shorter, one read is the whole file.
    std::string big;
    for (int pid = 100000; big.size() < 10000; ++pid)
        big += std::to_string(pid) + "\n";
    write("/big.procs", big);
    write("/small.procs", "1\n42\n");
    int dir = ::open(m_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir, 0);
    std::string text = "stale";
    EXPECT_TRUE(detail::read_pid_list_at(dir, "big.procs", text));
    EXPECT_EQ(text, big);
    EXPECT_TRUE(detail::read_pid_list_at(dir, "small.procs", text));
    EXPECT_EQ(text, "1\n42\n");
    EXPECT_FALSE(detail::read_pid_list_at(dir, "missing.procs", text));
    ::close(dir);
    // A real cgroup.procs (a seq_file): the same text as reading until read(2) returns 0.
    for (const char* hierarchy : { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/pids" }) {
        std::string whole;
        if (!detail::read_small_file(std::string(hierarchy) + "/cgroup.procs", whole))
            continue;
        int cgroup = ::open(hierarchy, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(cgroup, 0);
        EXPECT_TRUE(detail::read_pid_list_at(cgroup, "cgroup.procs", text));
        ::close(cgroup);
        // Processes may come and go between the two reads; the shape is what must match.
        EXPECT_FALSE(text.empty());
        EXPECT_EQ(text.back(), '\n');
        EXPECT_EQ(text.size() > 4000, whole.size() > 4000) << hierarchy;
    }
}

TEST_F(FakeProcfs, ProcessThatExitsMidReadIsLeftOut)
{
    // 1002 was listed and its stat read, but it exited before its status was: it is no process
    // of the snapshot, and the others are read as usual.
    const int host = ::getpid();
    process(host, 1, "glassboxd", "/", 1, 100, "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
    process(1001, host, "sleep", "/", 1, 100, "");
    process(1002, host, "gone", "/", 1, 100, "");
    stdfs::remove(m_root + "/proc/1002/status");
    CollectOptions options;
    options.proc_root = proc();
    options.network = false;
    options.nftables = false;
    options.kernel_features = false;
    options.use_caches = false;
    auto taken = collect_snapshot({}, options);
    ASSERT_TRUE(taken.ok()) << taken.error().describe();
    std::vector<int> pids;
    for (const auto& process : taken.value().processes)
        pids.push_back(process.pid);
    std::vector<int> expected { 1001, host };
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(pids, expected);
}

TEST(ProcfsReader, KernelThreadsShowTheEmptyCmdlineTheKernelGivesThem)
{
    // read_process does not read a kernel thread's cmdline (it has no memory to hold one); what it
    // shows must still be what the file says, for kernel threads and the rest alike.
    int kernel_threads = 0;
    for (int pid : detail::list_pids("/proc")) {
        ProcessInfo process;
        std::string text;
        if (!detail::read_process("/proc", pid, process) || !detail::read_small_file("/proc/" + std::to_string(pid) + "/cmdline", text))
            continue; // Exited meanwhile.
        SCOPED_TRACE("PID " + std::to_string(pid) + " " + process.comm);
        EXPECT_EQ(process.cmdline, detail::parse_cmdline(text));
        kernel_threads += process.ppid == 2 ? 1 : 0;
    }
    if (kernel_threads == 0)
        GTEST_SKIP() << "no kernel threads visible in /proc (a PID namespace of its own)";
}

TEST(ProcfsReader, EachKernelThreadShowsTheNamespacesItsOwnLinksName)
{
    // Kernel threads do not all share the initial namespaces: kdevtmpfs unshares a mount
    // namespace of its own. So none may be given another's (reading one and reusing it for the
    // rest, tried to save eight readlinks a thread, showed kdevtmpfs in the host's).
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root (reading another process's ns links needs ptrace access)";
    int kernel_threads = 0;
    for (int pid : detail::list_pids("/proc")) {
        ProcessInfo process;
        if (!detail::read_process("/proc", pid, process) || process.ppid != 2)
            continue;
        SCOPED_TRACE("PID " + std::to_string(pid) + " " + process.comm);
        std::map<std::string, std::uint64_t> linked;
        for (const char* type : detail::namespace_types())
            if (auto inode = detail::read_namespace_inode("/proc", pid, type))
                linked[type] = inode;
        if (linked.empty())
            continue; // Exited meanwhile.
        EXPECT_EQ(process.namespaces, linked);
        ++kernel_threads;
    }
    if (kernel_threads == 0)
        GTEST_SKIP() << "no kernel threads visible in /proc (a PID namespace of its own)";
}

TEST(ReadPool, RunsEveryItemOnceWhenItemsOutnumberThreads)
{
    for (int round = 0; round < 3; ++round) {
        std::vector<std::atomic<int>> calls(1000);
        detail::read_in_parallel(calls.size(), 1, [&](size_t i) { calls[i].fetch_add(1); });
        for (size_t i = 0; i < calls.size(); ++i)
            ASSERT_EQ(calls[i].load(), 1) << "item " << i << " in round " << round;
    }
    // The pool is started once and kept small.
    EXPECT_LE(detail::read_pool_threads(), detail::read_pool_max_helpers);
}

TEST(ReadPool, CallersAtOnceEachGetAllTheirItems)
{
    // A second caller while the pool is busy does its own items; nothing is lost or mixed up.
    std::vector<std::vector<int>> seen(4, std::vector<int>(500, 0));
    std::vector<std::thread> callers;
    for (size_t caller = 0; caller < seen.size(); ++caller)
        callers.emplace_back([&, caller] { detail::read_in_parallel(500, 1, [&](size_t i) { seen[caller][i] += 1; }); });
    for (auto& thread : callers)
        thread.join();
    for (const auto& items : seen)
        EXPECT_EQ(items, std::vector<int>(500, 1));
}

TEST(ReadPool, AnExceptionReachesTheCallerAfterEveryItemStopped)
{
    std::atomic<int> running { 0 };
    std::atomic<int> after_return { 0 };
    std::atomic<bool> returned { false };
    EXPECT_THROW(detail::read_in_parallel(200, 1, [&](size_t i) {
        running.fetch_add(1);
        if (i == 50)
            throw std::runtime_error("item 50");
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        if (returned)
            after_return.fetch_add(1);
        running.fetch_sub(1);
    }),
        std::runtime_error);
    returned.store(true);
    // The pool still works after a failed job.
    std::atomic<int> calls { 0 };
    detail::read_in_parallel(100, 1, [&](size_t) { calls.fetch_add(1); });
    EXPECT_EQ(calls.load(), 100);
    EXPECT_EQ(after_return.load(), 0);
    EXPECT_EQ(running.load(), 1); // Only the throwing call did not count itself out.
}

} // namespace
