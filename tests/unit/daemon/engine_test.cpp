// daemon::Engine over the simulated kernel, without root: sim::FakeKernel for mounts and
// cgroups, sim::FakeNetlink and sim::FakeNftables for networking, and a stand-in for the runtime
// that starts a plain child process (no namespaces) which the Engine supervises exactly as it
// does a container's PID 1. Covers create, start, stop, remove, the restart policies and the
// recovery after a daemon restart; tests/integration/daemon runs the same life on the real kernel.
#include "engine/daemon/engine.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/base/fs.h"
#include "engine/sim/fake_kernel.h"
#include "engine/sim/fake_netlink.h"
#include "engine/sim/fake_nftables.h"

using namespace engine;
using namespace std::chrono_literals;
using daemon::ContainerConfig;
using daemon::Engine;
using daemon::Status;

namespace {

// The stand-in runtime: "exit N" ends at once with status N; "sleep" waits for a signal (and so
// ends with 128 + the signal, as a shell's sleep would). The child does nothing else: no
// namespace, no mount, no exec.
struct ChildRuntime {
    std::atomic<int> starts { 0 };

    Result<runtime::StartedProcess> start(sys::Kernel&, const runtime::ContainerSpec& spec)
    {
        ++starts;
        const auto& args = spec.process.args;
        if (args.empty())
            return Error::invalid("no command");
        if (args[0] == "missing")
            return Error::not_found("exec: \"missing\": executable file not found in $PATH");
        int code = args[0] == "exit" && args.size() > 1 ? std::atoi(args[1].c_str()) : 0;
        bool sleep = args[0] == "sleep";
        pid_t pid = ::fork();
        if (pid < 0)
            return Error::from_errno("fork", errno);
        if (pid == 0) {
            if (sleep) {
                ::signal(SIGTERM, SIG_DFL);
                for (;;)
                    ::pause();
            }
            ::_exit(code);
        }
        runtime::StartedProcess started;
        started.pid = pid;
        return started;
    }
};

class EngineOverFakes : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/glassbox-engine-unit-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_options.root = m_dir + "/root";
        m_options.run_root = m_dir + "/run";
        m_options.bridge_name = "gbu0";
        m_options.bridge_prefix = "gbu-";
        m_options.pool_prefix = "10.232.0.0/16";
        m_options.nft_table_name = "glassbox_engine_unit";
        m_options.embedded_dns = false; // It would bind the (simulated) gateway address.
        m_options.netlink = &m_netlink;
        m_options.nftables = &m_nftables;
        m_options.start_process = [this](sys::Kernel& kernel, const runtime::ContainerSpec& spec) {
            return m_runtime.start(kernel, spec);
        };
        // The engine's directories are real files; mounts, namespaces and cgroups are simulated.
        m_kernel.use_host_files_under(m_dir);
        import_image();
        open();
    }

    void TearDown() override
    {
        m_engine.reset();
        std::filesystem::remove_all(m_dir);
    }

    // A one-file image, "unit:latest", in the engine's own store.
    void import_image()
    {
        auto rootfs = m_dir + "/rootfs";
        ASSERT_TRUE(fs::make_dirs(rootfs + "/etc").ok());
        ASSERT_TRUE(fs::write_file_atomic(rootfs + "/etc/hostname", "image\n").ok());
        auto command = "tar -C " + rootfs + " -cf " + m_dir + "/rootfs.tar .";
        ASSERT_EQ(std::system(command.c_str()), 0);
        auto store = image::Store::open(m_options.root);
        ASSERT_TRUE(store.ok()) << store.error().describe();
        auto imported = store.value()->import_rootfs(m_dir + "/rootfs.tar", { .repo_tag = "unit:latest" });
        ASSERT_TRUE(imported.ok()) << imported.error().describe();
    }

    void open()
    {
        m_engine.reset();
        auto engine = Engine::create(m_kernel, m_options);
        ASSERT_TRUE(engine.ok()) << engine.error().describe();
        m_engine = engine.release_value();
    }

    static ContainerConfig config(std::vector<std::string> cmd)
    {
        ContainerConfig config;
        config.image = image::ImageName::parse("unit:latest").value();
        config.cmd = std::move(cmd);
        return config;
    }

    Status status(const std::string& ref)
    {
        auto view = m_engine->inspect_container(ref);
        return view.ok() ? view.value().state.status : Status::Dead;
    }

    // Waits (bounded) until the container is in `wanted`.
    bool wait_for(const std::string& ref, Status wanted, std::chrono::milliseconds limit = 5000ms)
    {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (status(ref) == wanted)
                return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }

    std::string m_dir;
    daemon::EngineOptions m_options;
    sim::FakeKernel m_kernel;
    sim::FakeNetlink m_netlink;
    sim::FakeNftables m_nftables;
    ChildRuntime m_runtime;
    std::unique_ptr<Engine> m_engine;
};

TEST_F(EngineOverFakes, CreateRecordsAContainerThatIsNotStarted)
{
    auto created = m_engine->create_container("first", config({ "exit", "0" }));
    ASSERT_TRUE(created.ok()) << created.error().describe();
    auto view = m_engine->inspect_container("first");
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view.value().id, created.value().id);
    EXPECT_EQ(view.value().state.status, Status::Created);
    EXPECT_EQ(m_runtime.starts, 0);
    EXPECT_TRUE(fs::exists(m_options.root + "/containers/" + created.value().id + "/config.v2.json"));
}

TEST_F(EngineOverFakes, CreateRefusesADuplicateNameAndAMissingImage)
{
    ASSERT_TRUE(m_engine->create_container("twice", config({ "exit", "0" })).ok());
    auto again = m_engine->create_container("twice", config({ "exit", "0" }));
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind(), ErrorKind::Conflict);
    auto missing = config({ "exit", "0" });
    missing.image = image::ImageName::parse("nothere:latest").value();
    auto result = m_engine->create_container("nope", missing);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind(), ErrorKind::NotFound);
}

TEST_F(EngineOverFakes, CreateTakesAnImageIdOrItsPrefixAndKeepsTheTextAsTyped)
{
    auto created = m_engine->create_container("named", config({ "exit", "0" }));
    ASSERT_TRUE(created.ok()) << created.error().describe();
    auto id = m_engine->inspect_container("named").value().image_id;
    for (const auto& text : { id, id.substr(7, 12) }) {
        auto by_id = config({ "exit", "0" });
        by_id.image = image::ImageName::parse(text).value();
        auto made = m_engine->create_container("", by_id);
        ASSERT_TRUE(made.ok()) << text << ": " << made.error().describe();
        auto view = m_engine->inspect_container(made.value().id).value();
        EXPECT_EQ(view.image_id, id);
        EXPECT_EQ(view.config.image.text, text);
    }
}

TEST_F(EngineOverFakes, StartMountsTheRootJoinsTheBridgeAndRecordsTheExitCode)
{
    ASSERT_TRUE(m_engine->create_container("runs", config({ "exit", "3" })).ok());
    ASSERT_TRUE(m_engine->start_container("runs").ok());
    ASSERT_TRUE(wait_for("runs", Status::Exited));
    auto view = m_engine->inspect_container("runs").value();
    EXPECT_EQ(view.state.exit_code, 3);
    EXPECT_EQ(m_runtime.starts, 1);
    // The overlay root was mounted through the kernel seam, and is unmounted after the exit.
    auto calls = m_kernel.calls();
    EXPECT_NE(std::find(calls.begin(), calls.end(), "mount overlay on " + view.rootfs), calls.end());
    auto mounted = m_kernel.mounted();
    EXPECT_EQ(std::find(mounted.begin(), mounted.end(), view.rootfs), mounted.end());
    // The sandbox got a veth on the default bridge, which is gone with the run.
    bool veth_created = false;
    for (const auto& call : m_netlink.calls())
        veth_created = veth_created || call.rfind("create_link veth gbu-", 0) == 0;
    EXPECT_TRUE(veth_created);
    auto links = m_netlink.list_links("").value();
    for (const auto& link : links)
        EXPECT_NE(link.kind, "veth") << link.name << " left after the container exited";
}

TEST_F(EngineOverFakes, StartOfAMissingCommandFailsWith127)
{
    ASSERT_TRUE(m_engine->create_container("bad", config({ "missing" })).ok());
    auto started = m_engine->start_container("bad");
    ASSERT_FALSE(started.ok());
    auto view = m_engine->inspect_container("bad").value();
    EXPECT_EQ(view.state.exit_code, 127);
    EXPECT_NE(view.state.status, Status::Running);
    EXPECT_TRUE(m_kernel.mounted().empty());
}

TEST_F(EngineOverFakes, StopSignalsTheProcessAndRecordsTheSignal)
{
    ASSERT_TRUE(m_engine->create_container("sleeper", config({ "sleep" })).ok());
    ASSERT_TRUE(m_engine->start_container("sleeper").ok());
    EXPECT_EQ(status("sleeper"), Status::Running);
    auto pid = m_engine->inspect_container("sleeper").value().state.pid;
    EXPECT_GT(pid, 0);
    ASSERT_TRUE(m_engine->stop_container("sleeper", 5).ok());
    auto view = m_engine->inspect_container("sleeper").value();
    EXPECT_EQ(view.state.status, Status::Exited);
    EXPECT_EQ(view.state.exit_code, 128 + SIGTERM);
    EXPECT_TRUE(view.state.stopped_by_user);
    EXPECT_NE(::kill(pid, 0), 0); // Reaped: the PID is gone.
}

TEST_F(EngineOverFakes, StoppingAStoppedContainerIsNotModified)
{
    ASSERT_TRUE(m_engine->create_container("idle", config({ "exit", "0" })).ok());
    auto stopped = m_engine->stop_container("idle", 1);
    ASSERT_FALSE(stopped.ok());
    EXPECT_EQ(stopped.error().kind(), ErrorKind::NotModified);
}

TEST_F(EngineOverFakes, RemoveOfARunningContainerNeedsForce)
{
    ASSERT_TRUE(m_engine->create_container("busy", config({ "sleep" })).ok());
    ASSERT_TRUE(m_engine->start_container("busy").ok());
    auto refused = m_engine->remove_container("busy", false, false);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), ErrorKind::Conflict);
    auto id = m_engine->inspect_container("busy").value().id;
    ASSERT_TRUE(m_engine->remove_container("busy", true, false).ok());
    EXPECT_EQ(m_engine->inspect_container("busy").error().kind(), ErrorKind::NotFound);
    EXPECT_FALSE(fs::exists(m_options.root + "/containers/" + id));
    EXPECT_FALSE(fs::exists(m_options.run_root + "/network/netns/" + id));
}

TEST_F(EngineOverFakes, AutoRemoveRemovesTheContainerAfterItExits)
{
    auto c = config({ "exit", "0" });
    c.auto_remove = true;
    ASSERT_TRUE(m_engine->create_container("gone", c).ok());
    ASSERT_TRUE(m_engine->start_container("gone").ok());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (m_engine->inspect_container("gone").ok() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(m_engine->inspect_container("gone").ok());
}

TEST_F(EngineOverFakes, OnFailureRestartsUpToTheLimit)
{
    auto c = config({ "exit", "1" });
    c.restart_policy = { "on-failure", 2 };
    ASSERT_TRUE(m_engine->create_container("flaky", c).ok());
    ASSERT_TRUE(m_engine->start_container("flaky").ok());
    // 1 start + 2 restarts (after 100 ms and 200 ms of backoff), then it stays exited.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (m_runtime.starts < 3 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(wait_for("flaky", Status::Exited));
    std::this_thread::sleep_for(600ms);
    EXPECT_EQ(m_runtime.starts, 3);
    auto view = m_engine->inspect_container("flaky").value();
    EXPECT_EQ(view.state.status, Status::Exited);
    EXPECT_EQ(view.state.restart_count, 2);
    EXPECT_EQ(view.state.exit_code, 1);
}

TEST_F(EngineOverFakes, OnFailureDoesNotRestartASuccess)
{
    auto c = config({ "exit", "0" });
    c.restart_policy = { "on-failure", 5 };
    ASSERT_TRUE(m_engine->create_container("fine", c).ok());
    ASSERT_TRUE(m_engine->start_container("fine").ok());
    ASSERT_TRUE(wait_for("fine", Status::Exited));
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(m_runtime.starts, 1);
}

TEST_F(EngineOverFakes, AStoppedAlwaysContainerIsNotRestarted)
{
    auto c = config({ "sleep" });
    c.restart_policy = { "always", 0 };
    ASSERT_TRUE(m_engine->create_container("kept", c).ok());
    ASSERT_TRUE(m_engine->start_container("kept").ok());
    ASSERT_TRUE(m_engine->stop_container("kept", 5).ok());
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(m_runtime.starts, 1);
    EXPECT_EQ(status("kept"), Status::Exited);
}

TEST_F(EngineOverFakes, InvalidRestartPolicyIsRefusedAtCreate)
{
    auto c = config({ "exit", "0" });
    c.restart_policy = { "sometimes", 0 };
    auto created = m_engine->create_container("odd", c);
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind(), ErrorKind::InvalidArgument);
}

// A daemon that died leaves records saying "running"; the next one ends what is left, records
// exit 255, and starts again only what a restart policy asks for.
TEST_F(EngineOverFakes, RecoveryAfterACrashRecordsExitAndHonoursRestartPolicies)
{
    auto plain = m_engine->create_container("plain", config({ "sleep" }));
    auto always = config({ "sleep" });
    always.restart_policy = { "always", 0 };
    auto restarted = m_engine->create_container("restarted", always);
    ASSERT_TRUE(plain.ok() && restarted.ok());
    m_engine.reset();
    for (const auto& id : { plain.value().id, restarted.value().id }) {
        auto path = m_options.root + "/containers/" + id + "/config.v2.json";
        auto doc = nlohmann::json::parse(fs::read_file(path).value());
        doc["State"]["Status"] = "running";
        doc["State"]["Running"] = true;
        doc["State"]["Pid"] = 999999;
        ASSERT_TRUE(fs::write_file_atomic(path, doc.dump(), 0600).ok());
    }
    open();
    auto view = m_engine->inspect_container("plain").value();
    EXPECT_EQ(view.state.status, Status::Exited);
    EXPECT_EQ(view.state.exit_code, 255);
    EXPECT_NE(view.state.error.find("daemon stopped"), std::string::npos) << view.state.error;
    EXPECT_EQ(status("restarted"), Status::Running);
    EXPECT_EQ(m_runtime.starts, 1);
}

// A child of the test that stands for a container's PID 1 left running by a daemon that died:
// its stdout is a pipe whose read end the test closes (the daemon's end, gone with it). On
// SIGUSR1 it writes "after the restart" there.
static pid_t orphan_writer(std::uint64_t& stdout_pipe)
{
    int fds[2];
    if (::pipe(fds) != 0)
        return -1;
    struct stat st { };
    ::fstat(fds[0], &st);
    stdout_pipe = st.st_ino;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::close(fds[0]);
        ::close(fds[1]);
        ::signal(SIGUSR1, [](int) {
            static const char line[] = "after the restart\n";
            (void)!::write(1, line, sizeof line - 1);
        });
        for (;;)
            ::pause();
    }
    ::close(fds[0]);
    ::close(fds[1]);
    return pid;
}

static std::uint64_t start_time_of(pid_t pid)
{
    auto text = fs::read_file("/proc/" + std::to_string(pid) + "/stat").value();
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) { }
    return std::stoull(field);
}

// A daemon that died while a container ran, and the next one: the container's record says
// running as a child of the test (orphan_writer), whose recorded start time is off by `skew`
// (non-zero: the PID names another process now). Returns that child, for the test to reap.
class ReadoptionOverFakes : public EngineOverFakes {
protected:
    pid_t crash_leaving(const std::string& name, std::uint64_t skew)
    {
        auto created = m_engine->create_container(name, config({ "sleep" }));
        EXPECT_TRUE(created.ok());
        m_engine.reset();
        std::uint64_t stdout_pipe = 0;
        pid_t pid = orphan_writer(stdout_pipe);
        EXPECT_GT(pid, 0);
        m_kernel.use_host_files_under("/proc/" + std::to_string(pid));
        auto path = m_options.root + "/containers/" + created.value().id + "/config.v2.json";
        auto doc = nlohmann::json::parse(fs::read_file(path).value());
        doc["State"]["Status"] = "running";
        doc["State"]["Pid"] = pid;
        doc["State"]["PidStartTime"] = start_time_of(pid) + skew;
        doc["State"]["StdoutPipe"] = stdout_pipe;
        EXPECT_TRUE(fs::write_file_atomic(path, doc.dump(), 0600).ok());
        open();
        return pid;
    }
};

// A restarted daemon re-adopts a running container's process (same PID, same start time): it
// stays running, its output reaches the log again through the same pipe, and its exit is seen
// through the pidfd and recorded with the status read from the zombie.
TEST_F(ReadoptionOverFakes, RestartReadoptsARunningContainerAndSeesItsExit)
{
    pid_t pid = crash_leaving("adopted", 0);
    ASSERT_GT(pid, 0);
    auto view = m_engine->inspect_container("adopted").value();
    EXPECT_EQ(view.state.status, Status::Running);
    EXPECT_EQ(view.state.pid, pid);
    EXPECT_EQ(m_runtime.starts, 0);

    ::kill(pid, SIGUSR1);
    bool logged = false;
    for (int i = 0; i < 500 && !logged; ++i) {
        auto log = fs::read_file(view.log_path);
        logged = log.ok() && log.value().find("after the restart") != std::string::npos;
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(logged) << "output written after the re-adoption did not reach " << view.log_path;

    ASSERT_TRUE(m_engine->kill_container("adopted", "SIGKILL").ok());
    ASSERT_TRUE(wait_for("adopted", Status::Exited));
    view = m_engine->inspect_container("adopted").value();
    // The test is the parent and has not reaped it, so the status is still in its zombie.
    EXPECT_EQ(view.state.exit_code, 128 + SIGKILL);
    EXPECT_EQ(view.state.error, "");
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
}

// A recorded PID that now names another process (its start time differs) is not adopted: the
// container is recorded as exited, as when the process is gone.
TEST_F(ReadoptionOverFakes, RestartDoesNotAdoptAProcessThatReusedThePid)
{
    pid_t pid = crash_leaving("reused", 1);
    ASSERT_GT(pid, 0);
    auto view = m_engine->inspect_container("reused").value();
    EXPECT_EQ(view.state.status, Status::Exited);
    EXPECT_EQ(view.state.exit_code, 255);
    EXPECT_EQ(view.state.pid, 0);
    ::kill(pid, SIGKILL);
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
}

TEST_F(EngineOverFakes, ContainersAndNamesSurviveADaemonRestart)
{
    auto created = m_engine->create_container("durable", config({ "exit", "0" }));
    ASSERT_TRUE(created.ok());
    open();
    auto view = m_engine->inspect_container("durable");
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view.value().id, created.value().id);
    EXPECT_EQ(m_engine->create_container("durable", config({ "exit", "0" })).error().kind(), ErrorKind::Conflict);
}

TEST_F(EngineOverFakes, ResetStopsItsContainersAndLeavesOtherDaemonsCgroups)
{
    // A cgroup of a container this daemon does not know (another daemon's), in every hierarchy
    // of this host's layout: every daemon on the host shares the glassbox/ parent.
    auto foreign = runtime::Cgroup::for_name("glassbox/foreign").paths();
    for (const auto& path : foreign)
        m_kernel.put_dir(path);
    ASSERT_TRUE(m_engine->create_container("victim", config({ "sleep" })).ok());
    ASSERT_TRUE(m_engine->start_container("victim").ok());
    auto report = m_engine->reset(false);
    ASSERT_TRUE(report.ok()) << report.error().describe();
    auto has = [&](const std::string& line) {
        return std::find(report.value().begin(), report.value().end(), line) != report.value().end();
    };
    EXPECT_TRUE(has("stopped container victim"));
    EXPECT_FALSE(has("removed cgroup glassbox/foreign"));
    for (const auto& path : foreign)
        EXPECT_TRUE(m_kernel.path_exists(path)) << path;
    EXPECT_EQ(status("victim"), Status::Exited);
    EXPECT_FALSE(m_nftables.has_table("glassbox_engine_unit"));
}

TEST_F(EngineOverFakes, NetworkCreateConnectAndRemoveGoThroughTheManager)
{
    network::NetworkConfig net;
    net.name = "appnet";
    net.subnet = "10.232.99.0/24";
    auto created = m_engine->create_network(net);
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_EQ(created.value().name, "appnet");
    auto c = config({ "sleep" });
    c.network_mode = daemon::NetworkMode::parse("appnet").value();
    ASSERT_TRUE(m_engine->create_container("member", c).ok());
    ASSERT_TRUE(m_engine->start_container("member").ok());
    auto view = m_engine->inspect_container("member").value();
    ASSERT_EQ(view.endpoints.size(), 1U);
    EXPECT_EQ(view.endpoints[0].ip_address.rfind("10.232.99.", 0), 0U) << view.endpoints[0].ip_address;
    EXPECT_FALSE(m_engine->remove_network("appnet").ok()); // Still has an endpoint.
    ASSERT_TRUE(m_engine->stop_container("member", 5).ok());
    ASSERT_TRUE(m_engine->remove_network("appnet").ok());
}

} // namespace
