// The simulated kernel's rules, without root: PIDs per PID namespace, signal delivery (a PID 1
// ignores what it has no handler for; SIGKILL from outside always works), orphans reparented to
// their namespace's init, zombies until reaped, the init's death ending its namespace, overlay
// copy-up and whiteouts on real directories, cgroup usage, and the procfs the collector reads.
#include <gtest/gtest.h>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <csignal>
#include <filesystem>
#include <thread>

#include "engine/base/fs.h"
#include "engine/runtime/container_spec.h"
#include "engine/sim/net/sim_network.h"
#include "engine/sim/netns_paths.h"
#include "engine/sim/programs.h"
#include "engine/sim/sim_fs.h"
#include "engine/sim/sim_kernel.h"
#include "engine/sim/sim_runtime.h"

namespace {

using engine::sim::ContainerFs;
using engine::sim::SimKernel;

class SimKernelTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/gb-simk-XXXXXX";
        dir = ::mkdtemp(pattern);
        kernel = std::make_unique<SimKernel>(dir + "/state", std::vector<std::string> { dir }, "unit test");
    }
    void TearDown() override
    {
        kernel.reset();
        std::filesystem::remove_all(dir);
    }

    // A container-like PID 1 in a new PID namespace, child of the daemon.
    pid_t container_init(const std::string& name = "sleep")
    {
        SimKernel::NewProcess request;
        request.argv = { name, "3600" };
        request.new_pid_namespace = true;
        request.namespaces["mnt"] = kernel->new_namespace("mnt");
        return kernel->spawn(request).value();
    }
    pid_t child_of(pid_t parent, const std::string& name = "sleep")
    {
        SimKernel::NewProcess request;
        request.parent = parent;
        request.argv = { name };
        return kernel->spawn(request).value();
    }

    std::string dir;
    std::unique_ptr<SimKernel> kernel;
};

TEST_F(SimKernelTest, ContainerInitIsPid1InItsNamespaceAndHasAHostPid)
{
    auto init = container_init();
    auto child = child_of(init);
    auto process = kernel->process(child).value();
    ASSERT_EQ(process.nspid.size(), 2u);
    EXPECT_EQ(process.nspid[0], child);
    EXPECT_EQ(process.nspid[1], 2);
    EXPECT_EQ(kernel->process(init)->nspid.back(), 1);
    EXPECT_EQ(kernel->pid_seen_by(child, init), 1);
    EXPECT_NE(kernel->process(init)->namespaces.at("pid"), kernel->host_namespace("pid"));
    EXPECT_EQ(kernel->process(init)->namespaces.at("net"), kernel->host_namespace("net"));
}

TEST_F(SimKernelTest, Pid1IgnoresSigtermWithoutAHandlerButDiesOfSigkill)
{
    auto init = container_init();
    ASSERT_TRUE(kernel->send_signal(init, SIGTERM).ok());
    EXPECT_EQ(kernel->process(init)->state, 'S');
    ASSERT_TRUE(kernel->send_signal(init, SIGKILL).ok());
    EXPECT_EQ(kernel->process(init)->state, 'Z');
    EXPECT_EQ(kernel->reap_exit(init), 137);
    EXPECT_FALSE(kernel->process(init).has_value());
}

TEST_F(SimKernelTest, OrdinaryProcessDiesOfSigtermWithoutAHandler)
{
    auto init = container_init();
    auto child = child_of(init);
    ASSERT_TRUE(kernel->send_signal(child, SIGTERM).ok());
    EXPECT_EQ(kernel->process(child)->state, 'Z');
    EXPECT_EQ(kernel->process(child)->exit_code, 128 + SIGTERM);
}

TEST_F(SimKernelTest, CaughtSignalIsQueuedForTheHandler)
{
    auto init = container_init();
    {
        auto state = kernel->signal_state(init);
        std::lock_guard lock(kernel->signal_mutex());
        state->caught |= std::uint64_t { 1 } << (SIGTERM - 1);
    }
    ASSERT_TRUE(kernel->send_signal(init, SIGTERM).ok());
    auto state = kernel->signal_state(init);
    std::lock_guard lock(kernel->signal_mutex());
    ASSERT_EQ(state->pending.size(), 1u);
    EXPECT_EQ(state->pending[0], SIGTERM);
    EXPECT_FALSE(state->killed);
}

TEST_F(SimKernelTest, InitCannotBeKilledFromInsideItsNamespace)
{
    auto init = container_init();
    auto child = child_of(init);
    ASSERT_TRUE(kernel->signal_from(child, init, SIGKILL).ok());
    EXPECT_EQ(kernel->process(init)->state, 'S');
}

TEST_F(SimKernelTest, OrphansAreReparentedToTheNamespaceInit)
{
    auto init = container_init();
    auto middle = child_of(init);
    auto grandchild = child_of(middle);
    kernel->exit_process(middle, 0);
    EXPECT_EQ(kernel->process(grandchild)->ppid, init);
    // The dead middle process stays a zombie until its parent (init) reaps it.
    EXPECT_EQ(kernel->process(middle)->state, 'Z');
    auto reaped = kernel->wait_child(init, middle, 0);
    ASSERT_TRUE(reaped.has_value());
    EXPECT_EQ(reaped->second, 0);
    EXPECT_FALSE(kernel->process(middle).has_value());
}

TEST_F(SimKernelTest, ZombieStaysUntilReapedAndInitDeathKillsTheNamespace)
{
    auto init = container_init();
    auto child = child_of(init);
    auto other = child_of(init);
    kernel->exit_process(child, 3);
    EXPECT_EQ(kernel->process(child)->state, 'Z');
    EXPECT_TRUE(kernel->send_signal(init, SIGKILL).ok());
    // The init's death killed the rest of its namespace; its children (the zombie and the killed
    // one) went to the host's init, which reaps at once. The init waits for its parent.
    EXPECT_FALSE(kernel->process(other).has_value());
    EXPECT_FALSE(kernel->process(child).has_value());
    EXPECT_EQ(kernel->process(init)->state, 'Z');
    EXPECT_EQ(kernel->reap_exit(init), 137);
}

TEST_F(SimKernelTest, ExitNotificationBecomesReadableWhenTheProcessDies)
{
    auto init = container_init();
    auto fd = kernel->exit_notification(init).release_value();
    pollfd entry { fd.get(), POLLIN, 0 };
    EXPECT_EQ(::poll(&entry, 1, 0), 0);
    ASSERT_TRUE(kernel->send_signal(init, SIGKILL).ok());
    EXPECT_EQ(::poll(&entry, 1, 0), 1);
    EXPECT_EQ(kernel->reap_exit(init), 137);
}

TEST_F(SimKernelTest, CgroupCountsItsProcessesAndRefusesRmdirWhileBusy)
{
    ASSERT_TRUE(kernel->make_dir("/sys/fs/cgroup/glassbox", 0755).ok());
    ASSERT_TRUE(kernel->make_dir("/sys/fs/cgroup/glassbox/c1", 0755).ok());
    ASSERT_TRUE(kernel->write_file("/sys/fs/cgroup/glassbox/c1/pids.max", "5").ok());
    SimKernel::NewProcess request;
    request.argv = { "sleep" };
    request.new_pid_namespace = true;
    request.cgroup = "/glassbox/c1";
    auto init = kernel->spawn(request).value();
    child_of(init);
    EXPECT_EQ(kernel->read_file("/sys/fs/cgroup/glassbox/c1/pids.current").value(), "2\n");
    EXPECT_EQ(kernel->read_file("/sys/fs/cgroup/glassbox/c1/pids.max").value(), "5");
    EXPECT_EQ(kernel->remove_dir("/sys/fs/cgroup/glassbox/c1").error().code(), EBUSY);
    ASSERT_TRUE(kernel->write_file("/sys/fs/cgroup/glassbox/c1/cgroup.kill", "1").ok());
    EXPECT_EQ(kernel->read_file("/sys/fs/cgroup/glassbox/c1/pids.current").value(), "0\n");
    (void)kernel->reap_exit(init);
    EXPECT_TRUE(kernel->remove_dir("/sys/fs/cgroup/glassbox/c1").ok());
}

TEST_F(SimKernelTest, ProcfsShowsNamespacesSignalMasksAndZombies)
{
    auto init = container_init();
    auto child = child_of(init);
    kernel->exit_process(child, 0);
    kernel->refresh_procfs();
    auto proc = kernel->procfs_root();
    auto link = std::filesystem::read_symlink(proc + "/" + std::to_string(init) + "/ns/pid").string();
    EXPECT_EQ(link, "pid:[" + std::to_string(kernel->process(init)->namespaces.at("pid")) + "]");
    auto status = engine::fs::read_file(proc + "/" + std::to_string(init) + "/status").value();
    EXPECT_NE(status.find("NSpid:\t" + std::to_string(init) + "\t1\n"), std::string::npos) << status;
    auto zombie = engine::fs::read_file(proc + "/" + std::to_string(child) + "/stat").value();
    EXPECT_NE(zombie.find(") Z "), std::string::npos) << zombie;
    // A zombie has released its namespaces.
    EXPECT_FALSE(std::filesystem::is_symlink(proc + "/" + std::to_string(child) + "/ns/pid"));
    EXPECT_TRUE(std::filesystem::exists(proc + "/self/status"));
}

TEST_F(SimKernelTest, UnsharedNetworkNamespaceIsBoundToItsFile)
{
    std::uint64_t inode = 0;
    std::thread([&] {
        ASSERT_TRUE(kernel->unshare(CLONE_NEWNET).ok());
        ASSERT_TRUE(kernel->mount({ "/proc/thread-self/ns/net", dir + "/ns1", "", 0, "" }).ok());
        inode = kernel->netns_at(dir + "/ns1");
    }).join();
    EXPECT_NE(inode, 0u);
    EXPECT_NE(inode, kernel->host_namespace("net"));
    ASSERT_TRUE(kernel->umount(dir + "/ns1", 0).ok());
    EXPECT_EQ(kernel->netns_at(dir + "/ns1"), 0u);
}

TEST_F(SimKernelTest, NamespaceLinksOfTheSimulatedProcfsNameTheModelsNamespaces)
{
    engine::sim::SimNetwork network;
    engine::sim::NamespacePathNetlink netlink(*kernel, network);
    std::uint64_t inode = 0;
    std::thread([&] {
        ASSERT_TRUE(kernel->unshare(CLONE_NEWNET).ok());
        ASSERT_TRUE(kernel->mount({ "/proc/thread-self/ns/net", dir + "/sandbox", "", 0, "" }).ok());
        inode = kernel->netns_at(dir + "/sandbox");
    }).join();
    ASSERT_TRUE(network.add_namespace(dir + "/sandbox").ok());
    std::filesystem::create_symlink("net:[" + std::to_string(inode) + "]", dir + "/container-ns");
    std::filesystem::create_symlink("net:[" + std::to_string(kernel->host_namespace("net")) + "]", dir + "/host-ns");
    EXPECT_EQ(netlink.key_of(dir + "/container-ns"), dir + "/sandbox");
    EXPECT_EQ(netlink.key_of(dir + "/host-ns"), "");
    EXPECT_EQ(netlink.key_of(dir + "/sandbox"), dir + "/sandbox");
    // The collector's dump through the procfs link is the sandbox's own.
    auto dump = netlink.dump_namespace(dir + "/container-ns", { dir + "/host-ns", dir + "/container-ns" });
    ASSERT_TRUE(dump.ok()) << dump.error().describe();
    ASSERT_EQ(dump.value().links.size(), 1u);
    EXPECT_EQ(dump.value().links[0].link.name, "lo");
    ASSERT_TRUE(kernel->umount(dir + "/sandbox", 0).ok());
}

TEST_F(SimKernelTest, UnmountingAnOverlayMovesWhatWasWrittenThroughTheMountPointToItsUpperDir)
{
    // No real overlay is mounted: the builder's COPY writes into the mount point directory.
    for (auto sub : { "/lower/app", "/upper/app", "/work", "/rootfs/app/sub" })
        std::filesystem::create_directories(dir + sub);
    (void)engine::fs::write_file_atomic(dir + "/upper/app/kept", "kept\n");
    ASSERT_TRUE(kernel->mount({ "overlay", dir + "/rootfs", "overlay", 0,
        "lowerdir=" + dir + "/lower,upperdir=" + dir + "/upper,workdir=" + dir + "/work" }).ok());
    (void)engine::fs::write_file_atomic(dir + "/rootfs/app/hello.sh", "echo hi\n");
    (void)engine::fs::write_file_atomic(dir + "/rootfs/app/sub/data", "data\n");
    ASSERT_TRUE(kernel->umount(dir + "/rootfs", 0).ok());
    EXPECT_EQ(engine::fs::read_file(dir + "/upper/app/hello.sh").value(), "echo hi\n");
    EXPECT_EQ(engine::fs::read_file(dir + "/upper/app/sub/data").value(), "data\n");
    EXPECT_EQ(engine::fs::read_file(dir + "/upper/app/kept").value(), "kept\n");
    EXPECT_TRUE(std::filesystem::is_empty(dir + "/rootfs"));
    EXPECT_FALSE(std::filesystem::exists(dir + "/lower/app/hello.sh"));
}

// [SECTION] Overlay semantics on real directories.

class ContainerFsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/gb-simfs-XXXXXX";
        dir = ::mkdtemp(pattern);
        for (auto sub : { "/lower1/etc", "/lower2/etc", "/upper", "/vol" })
            std::filesystem::create_directories(dir + sub);
        (void)engine::fs::write_file_atomic(dir + "/lower1/etc/os", "base\n");
        (void)engine::fs::write_file_atomic(dir + "/lower1/etc/old", "old\n");
        (void)engine::fs::write_file_atomic(dir + "/lower2/etc/os", "top layer\n");
        (void)engine::fs::write_file_atomic(dir + "/vol/note", "in volume\n");
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    ContainerFs view() { return ContainerFs({ dir + "/lower2", dir + "/lower1" }, dir + "/upper", { { dir + "/vol", "/data", false } }); }
    std::string dir;
};

TEST_F(ContainerFsTest, UpperLayerWinsAndTopLowerHidesTheOneBelow)
{
    auto fs = view();
    EXPECT_EQ(fs.read("/etc/os").value(), "top layer\n");
    EXPECT_EQ(fs.read("/etc/old").value(), "old\n");
    EXPECT_EQ(fs.read("/data/note").value(), "in volume\n");
}

TEST_F(ContainerFsTest, WritingALowerFileCopiesItUpAndLeavesTheLayerAlone)
{
    auto fs = view();
    ASSERT_TRUE(fs.write("/etc/old", "more\n", true).ok());
    EXPECT_EQ(fs.read("/etc/old").value(), "old\nmore\n");
    EXPECT_EQ(engine::fs::read_file(dir + "/upper/etc/old").value(), "old\nmore\n");
    EXPECT_EQ(engine::fs::read_file(dir + "/lower1/etc/old").value(), "old\n");
}

TEST_F(ContainerFsTest, RemovingALowerFileLeavesAWhiteout)
{
    auto fs = view();
    ASSERT_TRUE(fs.remove("/etc/old").ok());
    EXPECT_FALSE(fs.exists("/etc/old"));
    EXPECT_TRUE(std::filesystem::exists(dir + "/upper/etc/.wh.old"));
    EXPECT_TRUE(std::filesystem::exists(dir + "/lower1/etc/old"));
    auto names = fs.list("/etc").value();
    EXPECT_EQ(names, (std::vector<std::string> { "os" }));
    // Writing the name again replaces the whiteout.
    ASSERT_TRUE(fs.write("/etc/old", "new\n", false).ok());
    EXPECT_EQ(fs.read("/etc/old").value(), "new\n");
    EXPECT_FALSE(std::filesystem::exists(dir + "/upper/etc/.wh.old"));
}

TEST_F(ContainerFsTest, WritesToAVolumeGoToItsHostDirectory)
{
    auto fs = view();
    ASSERT_TRUE(fs.write("/data/note", "second\n", true).ok());
    EXPECT_EQ(engine::fs::read_file(dir + "/vol/note").value(), "in volume\nsecond\n");
    EXPECT_FALSE(std::filesystem::exists(dir + "/upper/data"));
}

// [SECTION] Programs in a simulated container.

std::string read_all(int fd)
{
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    return out;
}

class SimRuntimeTest : public SimKernelTest {
protected:
    engine::runtime::ContainerSpec spec(std::vector<std::string> args)
    {
        std::filesystem::create_directories(dir + "/layer/bin");
        std::filesystem::create_directories(dir + "/upper");
        (void)engine::fs::write_file_atomic(dir + "/layer/etc-file", "x");
        engine::runtime::ContainerSpec s;
        s.id = "c0ffee";
        s.hostname = "lab-one";
        s.lower_dirs = { dir + "/layer" };
        s.upper_dir = dir + "/upper";
        s.rootfs = dir + "/rootfs";
        s.cgroup_name = "glassbox/c0ffee";
        s.process.args = std::move(args);
        return s;
    }
};

TEST_F(SimRuntimeTest, ShellRunsCommandsWithExitCodesAndHostname)
{
    auto started = engine::sim::start_simulated_container(*kernel,
        spec({ "sh", "-c", "hostname; echo hi > /greeting; cat /greeting && false || echo fallback; exit 7" }), nullptr);
    ASSERT_TRUE(started.ok()) << started.error().describe();
    auto out = read_all(started.value().stdout_fd.get());
    EXPECT_EQ(out, "lab-one\nhi\nfallback\n");
    EXPECT_EQ(kernel->reap_exit(started.value().pid), 7);
    EXPECT_EQ(engine::fs::read_file(dir + "/upper/greeting").value(), "hi\n");
}

TEST_F(SimRuntimeTest, TailOfDevNullAsPid1OutlivesSigtermAndDiesOfSigkill)
{
    auto started = engine::sim::start_simulated_container(*kernel, spec({ "tail", "-f", "/dev/null" }), nullptr);
    ASSERT_TRUE(started.ok());
    auto pid = started.value().pid;
    ASSERT_TRUE(kernel->send_signal(pid, SIGTERM).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(kernel->process(pid)->state, 'S');
    ASSERT_TRUE(kernel->send_signal(pid, SIGKILL).ok());
    EXPECT_EQ(read_all(started.value().stdout_fd.get()), "");
    EXPECT_EQ(kernel->reap_exit(pid), 137);
}

TEST_F(SimRuntimeTest, TrapHandlerRunsOnSigtermAndExitsCleanly)
{
    auto started = engine::sim::start_simulated_container(*kernel,
        spec({ "sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; sleep 3600" }), nullptr);
    ASSERT_TRUE(started.ok());
    auto pid = started.value().pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto status = kernel->process(pid);
    ASSERT_TRUE(status.has_value());
    // The trap runs once the foreground sleep (a child) has ended, as in a real shell.
    ASSERT_TRUE(kernel->send_signal(pid, SIGTERM).ok());
    for (const auto& process : kernel->processes())
        if (process.ppid == pid)
            (void)kernel->send_signal(process.pid, SIGTERM);
    EXPECT_EQ(read_all(started.value().stdout_fd.get()), "ready\nbye\n");
    EXPECT_EQ(kernel->reap_exit(pid), 0);
}

TEST_F(SimRuntimeTest, ZombieMakerLeavesZombiesInThePs)
{
    auto started = engine::sim::start_simulated_container(*kernel, spec({ "zombies", "2" }), nullptr);
    ASSERT_TRUE(started.ok());
    auto pid = started.value().pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int zombies = 0;
    for (const auto& process : kernel->processes())
        if (process.ppid == pid && process.state == 'Z')
            zombies++;
    EXPECT_EQ(zombies, 2);
    ASSERT_TRUE(kernel->send_signal(pid, SIGKILL).ok());
    EXPECT_EQ(kernel->reap_exit(pid), 137);
}

TEST_F(SimRuntimeTest, ShellRunsAScriptFileWithCommandSubstitutionAndExecChangesTheProcessImage)
{
    std::filesystem::create_directories(dir + "/layer/app");
    (void)engine::fs::write_file_atomic(dir + "/layer/app/banner", "built by glassbox\n");
    (void)engine::fs::write_file_atomic(dir + "/layer/app/hello.sh",
        "#!/bin/sh\n# says hello, then becomes sleep\necho \"hello from $(hostname): $(cat /app/banner)\"\nexec sleep 3600\n");
    auto started = engine::sim::start_simulated_container(*kernel, spec({ "/bin/sh", "/app/hello.sh" }), nullptr);
    ASSERT_TRUE(started.ok()) << started.error().describe();
    auto pid = started.value().pid;
    std::optional<engine::sim::SimProcess> process;
    for (int i = 0; i < 100 && (!process || process->comm != "sleep"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        process = kernel->process(pid);
    }
    ASSERT_TRUE(process.has_value());
    EXPECT_EQ(process->comm, "sleep");
    EXPECT_EQ(process->argv, (std::vector<std::string> { "sleep", "3600" }));
    ASSERT_TRUE(kernel->send_signal(pid, SIGKILL).ok());
    EXPECT_EQ(read_all(started.value().stdout_fd.get()), "hello from lab-one: built by glassbox\n");
    EXPECT_EQ(kernel->reap_exit(pid), 137);
}

TEST_F(SimRuntimeTest, MkdirMakesDirectoriesInTheUpperDirAndRefusesAnExistingOne)
{
    auto started = engine::sim::start_simulated_container(*kernel,
        spec({ "sh", "-c", "mkdir -p /www/a/b && echo page > /www/a/b/index.html && mkdir /www" }), nullptr);
    ASSERT_TRUE(started.ok());
    EXPECT_EQ(read_all(started.value().stderr_fd.get()), "mkdir: can't create directory '/www': File exists\n");
    EXPECT_EQ(kernel->reap_exit(started.value().pid), 1);
    EXPECT_EQ(engine::fs::read_file(dir + "/upper/www/a/b/index.html").value(), "page\n");
}

TEST_F(SimRuntimeTest, WgetGetsThePageOfAnHttpdListeningInTheNetworkModel)
{
    engine::sim::SimNetwork network;
    ASSERT_TRUE(network.set_link_up("", "lo", true).ok());
    auto server = engine::sim::start_simulated_container(*kernel,
        spec({ "sh", "-c", "mkdir -p /www && echo 'hello from web' > /www/index.html && exec httpd -f -p 8080 -h /www" }), &network);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    int clients = 0;
    // Each wget is a container of its own, with its own cgroup and upper directory.
    auto wget = [&](const std::string& url) {
        auto s = spec({ "wget", "-qO-", url });
        s.id = "c1ient" + std::to_string(++clients);
        s.cgroup_name = "glassbox/" + s.id;
        s.upper_dir = dir + "/" + s.id;
        std::filesystem::create_directories(s.upper_dir);
        return engine::sim::start_simulated_container(*kernel, s, &network);
    };
    auto client = [&](const std::string& url, int expected_status) {
        auto started = wget(url);
        EXPECT_TRUE(started.ok());
        if (!started.ok())
            return std::string();
        auto out = read_all(started.value().stdout_fd.get()) + read_all(started.value().stderr_fd.get());
        EXPECT_EQ(kernel->reap_exit(started.value().pid), expected_status) << url << ": " << out;
        return out;
    };
    // httpd binds once its shell has made the page and exec'd it.
    std::string page;
    for (int i = 0; i < 50 && page != "hello from web\n"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        auto started = wget("http://127.0.0.1:8080/");
        ASSERT_TRUE(started.ok()) << started.error().describe();
        page = read_all(started.value().stdout_fd.get());
        (void)kernel->reap_exit(started.value().pid);
    }
    EXPECT_EQ(page, "hello from web\n");
    EXPECT_NE(client("http://127.0.0.1:8080/missing", 1).find("404 Not Found"), std::string::npos);
    EXPECT_NE(client("http://127.0.0.1:8081/", 1).find("Connection refused"), std::string::npos);
    ASSERT_TRUE(kernel->send_signal(server.value().pid, SIGKILL).ok());
    EXPECT_EQ(kernel->reap_exit(server.value().pid), 137);
    // The port is free again once httpd is gone.
    EXPECT_NE(client("http://127.0.0.1:8080/", 1).find("Connection refused"), std::string::npos);
}

TEST_F(SimRuntimeTest, NamesResolveThroughTheEnginesDnsAfterEtcHosts)
{
    engine::sim::SimNetwork network;
    ASSERT_TRUE(network.set_link_up("", "lo", true).ok());
    std::filesystem::create_directories(dir + "/layer/etc");
    (void)engine::fs::write_file_atomic(dir + "/layer/etc/hosts", "127.0.0.1\tlocalhost\n");
    std::vector<std::string> asked;
    engine::sim::NameLookup lookup = [&](const std::string& container, const std::string& name) {
        asked.push_back(container + " " + name);
        return name == "db" ? std::vector<std::string> { "127.0.0.1" } : std::vector<std::string> {};
    };
    auto started = engine::sim::start_simulated_container(*kernel,
        spec({ "sh", "-c", "ping -c 1 localhost && ping -c 1 db && nslookup db && ping -c 1 nowhere" }), &network, lookup);
    ASSERT_TRUE(started.ok());
    auto out = read_all(started.value().stdout_fd.get());
    auto err = read_all(started.value().stderr_fd.get());
    EXPECT_EQ(kernel->reap_exit(started.value().pid), 1) << out << err;
    EXPECT_NE(out.find("PING db (127.0.0.1)"), std::string::npos) << out;
    EXPECT_NE(out.find("Name:\tdb\nAddress: 127.0.0.1"), std::string::npos) << out;
    EXPECT_NE(err.find("ping: bad address 'nowhere'"), std::string::npos) << err;
    // localhost came from /etc/hosts without asking the DNS.
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "c0ffee localhost"), 0);
}

TEST_F(SimRuntimeTest, ProcInAContainerIsThePidNamespacesOwnView)
{
    auto started = engine::sim::start_simulated_container(*kernel,
        spec({ "sh", "-c", "cat /proc/1/status; ls /proc; cat /proc/self/cgroup; ls -l /proc/1/ns; test -d /proc/1 && echo dir" }),
        nullptr);
    ASSERT_TRUE(started.ok()) << started.error().describe();
    auto init = started.value().pid;
    auto inodes = kernel->process(init)->namespaces;
    auto out = read_all(started.value().stdout_fd.get());
    EXPECT_EQ(kernel->reap_exit(init), 0) << read_all(started.value().stderr_fd.get());

    // PID 1 as its namespace numbers it: no parent there, NSpid from this level down.
    EXPECT_NE(out.find("Name:\tsh\nState:\tS (sleeping)\nPid:\t1\nPPid:\t0\n"), std::string::npos) << out;
    EXPECT_NE(out.find("NSpid:\t1\n"), std::string::npos) << out;
    // Only the container's PIDs: 1 and the ls reading it, never a host PID.
    EXPECT_NE(out.find("\n1\n"), std::string::npos) << out;
    EXPECT_EQ(out.find(std::to_string(init)), std::string::npos) << out;
    EXPECT_NE(out.find("self\n0::/\n"), std::string::npos) << out;
    EXPECT_NE(out.find("net -> net:[" + std::to_string(inodes.at("net")) + "]\n"), std::string::npos) << out;
    EXPECT_NE(out.find("pid -> pid:[" + std::to_string(inodes.at("pid")) + "]\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\ndir\n"), std::string::npos) << out;
}

TEST_F(SimRuntimeTest, ProcFilesTheSimulationDoesNotModelSaySoAndProcIsReadOnly)
{
    auto started = engine::sim::start_simulated_container(*kernel,
        spec({ "sh", "-c", "cat /proc/meminfo; cat /proc/7/status; touch /proc/x; echo 1 > /proc/sys/x; exit 3" }), nullptr);
    ASSERT_TRUE(started.ok()) << started.error().describe();
    auto err = read_all(started.value().stderr_fd.get());
    EXPECT_EQ(kernel->reap_exit(started.value().pid), 3);

    EXPECT_NE(err.find("cat: /proc/meminfo is not modelled: the simulated kernel's /proc has, for each process of this PID "
                       "namespace, status, stat, cmdline, cgroup, mountinfo and ns/"),
        std::string::npos)
        << err;
    EXPECT_NE(err.find("cat: can't open '/proc/7/status': No such file or directory\n"), std::string::npos) << err;
    EXPECT_NE(err.find("touch: /proc/x: writing to /proc is not modelled"), std::string::npos) << err;
    EXPECT_NE(err.find("sh: /proc/sys/x: writing to /proc is not modelled"), std::string::npos) << err;
    // Nothing landed in the container's upper directory under the procfs mount.
    EXPECT_FALSE(std::filesystem::exists(dir + "/upper/proc"));
}

TEST_F(SimRuntimeTest, UnknownProgramFailsLikeAMissingExecutable)
{
    auto started = engine::sim::start_simulated_container(*kernel, spec({ "nope" }), nullptr);
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().describe().find("executable file not found"), std::string::npos);
}

} // namespace
