// The Engine on the real kernel, without the HTTP layer: lifecycle, PID 1 and signals, volumes,
// OOM, restart policies, recovery after a daemon restart, and clear errors for bad input.
// Each test uses its own engine root and run root and removes everything it made.
#include "engine/daemon/engine.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/runtime/runtime.h"
#include "engine/sys/linux_kernel.h"

using namespace engine;
using namespace std::chrono_literals;
using daemon::ContainerConfig;
using daemon::Engine;
using daemon::Status;

namespace {

class StringSink final : public daemon::OutputSink {
public:
    bool write(daemon::StreamKind stream, std::string_view data) override
    {
        std::lock_guard lock(m_mutex);
        (stream == daemon::StreamKind::Stderr ? m_err : m_out).append(data);
        return true;
    }
    std::string out()
    {
        std::lock_guard lock(m_mutex);
        return m_out;
    }
    std::string err()
    {
        std::lock_guard lock(m_mutex);
        return m_err;
    }

private:
    std::mutex m_mutex;
    std::string m_out;
    std::string m_err;
};

// A busybox rootfs tar made from the host's static busybox.
std::string make_busybox_tar(const std::string& dir)
{
    auto rootfs = dir + "/rootfs";
    (void)fs::make_dirs(rootfs + "/bin");
    (void)fs::make_dirs(rootfs + "/etc");
    (void)fs::make_dirs(rootfs + "/tmp");
    (void)fs::make_dirs(rootfs + "/data");
    (void)fs::write_file_atomic(rootfs + "/data/from-image", "seed\n");
    (void)fs::write_file_atomic(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
    (void)fs::write_file_atomic(rootfs + "/etc/group", "root:x:0:\nnogroup:x:65534:\n");
    auto command = "cp /bin/busybox " + rootfs + "/bin/busybox && for a in $(/bin/busybox --list | grep -vx busybox); do ln -sf busybox "
        + rootfs + "/bin/$a; done && tar -C " + rootfs + " -cf " + dir + "/rootfs.tar .";
    if (std::system(command.c_str()) != 0)
        return "";
    return dir + "/rootfs.tar";
}

class EngineTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (CAP_SYS_ADMIN) for namespaces, mounts and cgroups";
        if (!fs::exists("/bin/busybox"))
            GTEST_SKIP() << "needs /bin/busybox (Debian package busybox-static)";
        char tmpl[] = "/tmp/glassbox-engine-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_dir = tmpl;
        ASSERT_TRUE(runtime::become_subreaper().ok());
        open_engine();
        auto tar = make_busybox_tar(m_dir);
        ASSERT_FALSE(tar.empty());
        image::ImportOptions options;
        options.repo_tag = "busybox:test";
        auto imported = m_engine->import_image(tar, options);
        ASSERT_TRUE(imported.ok()) << imported.error().describe();
    }

    void open_engine()
    {
        daemon::EngineOptions options;
        options.root = m_dir + "/root";
        options.run_root = m_dir + "/run";
        auto bin = std::string(std::getenv("GLASSBOX_BUILD_DIR") ? std::getenv("GLASSBOX_BUILD_DIR") : ".") + "/bin";
        options.init_path = bin + "/glassbox-init";
        // The same names on every open, so a reopened engine (a daemon restart) finds and
        // finally removes what the first one made.
        options.bridge_name = "gbt" + m_suffix;
        options.bridge_prefix = "gt" + m_suffix.substr(0, 3) + "-";
        options.pool_prefix = "10.233.0.0/16";
        options.nft_table_name = "glassbox-test-" + m_suffix;
        auto engine = Engine::create(sys::linux_kernel(), options);
        ASSERT_TRUE(engine.ok()) << engine.error().describe();
        m_engine = engine.release_value();
    }

    void TearDown() override
    {
        if (m_engine) {
            (void)m_engine->reset(true);
            m_engine.reset();
        }
        if (!m_dir.empty())
            (void)fs::remove_tree(m_dir);
    }

    ContainerConfig config(std::vector<std::string> cmd)
    {
        ContainerConfig c;
        c.image = image::ImageName::parse("busybox:test").value();
        c.cmd = std::move(cmd);
        c.network_mode = daemon::NetworkMode { .kind = daemon::NetworkMode::Kind::None, .name = {} };
        return c;
    }

    // Adds a -v spec as the API passes it: the text (for inspect) and the parsed MountSpec.
    static void bind(ContainerConfig& c, const std::string& spec)
    {
        c.binds.push_back(spec);
        c.bind_specs.push_back(volume::parse_volume_spec(spec).value());
    }

    // Runs to completion and returns the exit code.
    int run(const std::string& name, ContainerConfig c)
    {
        auto created = m_engine->create_container(name, std::move(c));
        EXPECT_TRUE(created.ok()) << created.error().describe();
        if (!created.ok())
            return -1;
        auto wait = m_engine->wait_container(created.value().id, "next-exit");
        EXPECT_TRUE(wait.ok());
        auto started = m_engine->start_container(created.value().id);
        EXPECT_TRUE(started.ok()) << started.error().describe();
        if (!started.ok())
            return -1;
        return wait.value()().status_code;
    }

    std::string logs(const std::string& ref)
    {
        StringSink sink;
        daemon::LogOptions options;
        EXPECT_TRUE(m_engine->container_logs(ref, options, sink).ok());
        return sink.out() + sink.err();
    }

    std::string m_dir;
    std::string m_suffix { strings::random_hex_id(6) };
    std::unique_ptr<Engine> m_engine;
};

} // namespace

TEST_F(EngineTest, RunKeepsStdoutAndStderrApartInTheLog)
{
    int code = run("echo", config({ "sh", "-c", "echo out; echo err >&2; exit 3" }));

    EXPECT_EQ(code, 3);
    StringSink sink;
    daemon::LogOptions only_stderr;
    only_stderr.stdout_stream = false;
    ASSERT_TRUE(m_engine->container_logs("echo", only_stderr, sink).ok());
    EXPECT_EQ(sink.err(), "err\n");
    EXPECT_EQ(sink.out(), "");
    EXPECT_EQ(m_engine->inspect_container("echo").value().state.exit_code, 3);
}

TEST_F(EngineTest, CommandRunsAsPidOneWithItsOwnNamespaces)
{
    auto created = m_engine->create_container("ns", config({ "sleep", "30" }));
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(m_engine->start_container("ns").ok());
    auto view = m_engine->inspect_container("ns").value();
    auto pid = std::to_string(view.state.pid);

    auto status = fs::read_file("/proc/" + pid + "/status").value();
    char host_ns[128] {};
    char container_ns[128] {};
    ASSERT_GT(::readlink("/proc/self/ns/pid", host_ns, sizeof host_ns - 1), 0);
    ASSERT_GT(::readlink(("/proc/" + pid + "/ns/pid").c_str(), container_ns, sizeof container_ns - 1), 0);

    EXPECT_NE(status.find("NSpid:\t" + pid + "\t1\n"), std::string::npos) << status;
    EXPECT_STRNE(host_ns, container_ns);
    ASSERT_TRUE(m_engine->kill_container("ns", "KILL").ok());
}

TEST_F(EngineTest, StopWaitsOutTheGracePeriodForPidOneWithoutHandler)
{
    ASSERT_TRUE(m_engine->create_container("sleeper", config({ "sleep", "60" })).ok());
    ASSERT_TRUE(m_engine->start_container("sleeper").ok());

    auto begin = std::chrono::steady_clock::now();
    ASSERT_TRUE(m_engine->stop_container("sleeper", 2).ok());
    auto took = std::chrono::steady_clock::now() - begin;

    EXPECT_GE(took, 1900ms);
    EXPECT_EQ(m_engine->inspect_container("sleeper").value().state.exit_code, 137);
}

TEST_F(EngineTest, StopEndsAtOnceWithInitInFront)
{
    if (!fs::exists(std::string(std::getenv("GLASSBOX_BUILD_DIR") ? std::getenv("GLASSBOX_BUILD_DIR") : ".") + "/bin/glassbox-init"))
        GTEST_SKIP() << "glassbox-init is not built";
    auto c = config({ "sleep", "60" });
    c.init = true;
    ASSERT_TRUE(m_engine->create_container("inited", c).ok());
    ASSERT_TRUE(m_engine->start_container("inited").ok());

    auto begin = std::chrono::steady_clock::now();
    ASSERT_TRUE(m_engine->stop_container("inited", 10).ok());
    auto took = std::chrono::steady_clock::now() - begin;

    EXPECT_LT(took, 1000ms);
    EXPECT_EQ(m_engine->inspect_container("inited").value().state.exit_code, 143);
}

TEST_F(EngineTest, NamedVolumeOutlivesItsContainerAndStartsFromImageContent)
{
    auto writer = config({ "sh", "-c", "cat /data/from-image > /data/copy; echo hello > /data/note" });
    bind(writer, "notes:/data");
    ASSERT_EQ(run("writer", writer), 0);
    ASSERT_TRUE(m_engine->remove_container("writer", false, true).ok());

    auto reader = config({ "sh", "-c", "cat /data/note /data/copy" });
    bind(reader, "notes:/data");
    ASSERT_EQ(run("reader", reader), 0);

    EXPECT_EQ(logs("reader"), "hello\nseed\n");
    EXPECT_TRUE(m_engine->volumes().get("notes").ok());
}

TEST_F(EngineTest, RemovedContainersDirectoryIsGoneAtOnceAndDeletedBehindTheCaller)
{
    ASSERT_EQ(run("gone", config({ "sh", "-c", "echo x > /written" })), 0);
    auto id = m_engine->inspect_container("gone").value().id;
    auto dir = m_dir + "/root/containers/" + id;
    ASSERT_TRUE(fs::exists(dir + "/upper/written"));

    ASSERT_TRUE(m_engine->remove_container("gone", false, true).ok());

    EXPECT_FALSE(fs::exists(dir));
    // Set aside in <root>/tmp and deleted there by a thread of the engine.
    auto aside = m_dir + "/root/tmp/removed-" + id;
    for (int i = 0; i < 100 && fs::exists(aside); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(fs::exists(aside));
}

TEST_F(EngineTest, AnonymousVolumeIsRemovedWithRmV)
{
    auto c = config({ "true" });
    c.volumes["/scratch"] = nlohmann::json::object();
    ASSERT_EQ(run("anon", c), 0);
    auto view = m_engine->inspect_container("anon").value();
    ASSERT_EQ(view.mounts.size(), 1U);
    auto name = view.mounts[0].name;
    ASSERT_TRUE(m_engine->volumes().get(name).ok());

    ASSERT_TRUE(m_engine->remove_container("anon", false, true).ok());

    EXPECT_FALSE(m_engine->volumes().get(name).ok());
}

TEST_F(EngineTest, MemoryLimitKillsAGreedyProcessWithOomKilled)
{
    auto c = config({ "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1" });
    c.memory = 32 * 1024 * 1024;
    c.memory_swap = 32 * 1024 * 1024;

    int code = run("greedy", c);

    EXPECT_EQ(code, 137);
    EXPECT_TRUE(m_engine->inspect_container("greedy").value().state.oom_killed);
}

TEST_F(EngineTest, OnFailurePolicyRestartsUpToTheLimit)
{
    auto c = config({ "sh", "-c", "exit 1" });
    c.restart_policy = { "on-failure", 2 };
    ASSERT_TRUE(m_engine->create_container("flaky", c).ok());
    ASSERT_TRUE(m_engine->start_container("flaky").ok());

    auto deadline = std::chrono::steady_clock::now() + 10s;
    daemon::ContainerView view;
    do {
        std::this_thread::sleep_for(100ms);
        view = m_engine->inspect_container("flaky").value();
    } while ((view.state.restart_count < 2 || view.state.status != Status::Exited) && std::chrono::steady_clock::now() < deadline);

    EXPECT_EQ(view.state.restart_count, 2);
    EXPECT_EQ(view.state.status, Status::Exited);
    EXPECT_EQ(view.state.exit_code, 1);
}

TEST_F(EngineTest, RestartedDaemonFindsEveryContainerWithItsStatus)
{
    ASSERT_EQ(run("done", config({ "sh", "-c", "exit 4" })), 4);
    ASSERT_TRUE(m_engine->create_container("fresh", config({ "true" })).ok());
    m_engine.reset();

    open_engine();

    auto done = m_engine->inspect_container("done");
    auto fresh = m_engine->inspect_container("fresh");
    ASSERT_TRUE(done.ok());
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(done.value().state.status, Status::Exited);
    EXPECT_EQ(done.value().state.exit_code, 4);
    EXPECT_EQ(fresh.value().state.status, Status::Created);
}

TEST_F(EngineTest, BadInputGivesClearErrorsAndChangesNothing)
{
    auto unknown = m_engine->create_container("", [&] { auto c = config({ "true" }); c.image = image::ImageName::parse("nope:1").value(); return c; }());
    // A -v spec is parsed at the API's edge, so the Engine only ever sees MountSpecs.
    auto bad_volume = volume::parse_volume_spec("a:b:c:d");
    ASSERT_TRUE(m_engine->create_container("taken", config({ "sleep", "5" })).ok());
    auto in_use = m_engine->create_container("taken", config({ "true" }));
    ASSERT_TRUE(m_engine->start_container("taken").ok());
    auto bad_signal = m_engine->kill_container("taken", "SIGNOPE");

    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(unknown.error().message(), "No such image: nope:1");
    ASSERT_FALSE(bad_volume.ok());
    EXPECT_NE(bad_volume.error().message().find("a:b:c:d"), std::string::npos);
    ASSERT_FALSE(in_use.ok());
    EXPECT_EQ(in_use.error().kind(), ErrorKind::Conflict);
    ASSERT_FALSE(bad_signal.ok());
    EXPECT_EQ(bad_signal.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(m_engine->list_containers(true, {}).value().size(), 1U);
    ASSERT_TRUE(m_engine->remove_container("taken", true, true).ok());
}

TEST_F(EngineTest, ExecGetsTheContainersCapabilitiesNotTheDefaults)
{
    auto c = config({ "sleep", "30" });
    c.cap_drop = { "NET_RAW", "chown" };
    ASSERT_TRUE(m_engine->create_container("capped", c).ok());
    ASSERT_TRUE(m_engine->start_container("capped").ok());
    auto pid = std::to_string(m_engine->inspect_container("capped").value().state.pid);
    auto status = fs::read_file("/proc/" + pid + "/status").value();
    auto line_of = [](const std::string& text) { return text.substr(text.find("CapEff:"), text.find('\n', text.find("CapEff:")) - text.find("CapEff:")); };

    daemon::ExecConfig exec;
    exec.cmd = { "grep", "CapEff", "/proc/self/status" };
    auto id = m_engine->exec_create("capped", exec);
    ASSERT_TRUE(id.ok()) << id.error().describe();
    auto sink = std::make_shared<StringSink>();
    auto attachment = m_engine->exec_start(id.value(), false, sink);
    ASSERT_TRUE(attachment.ok()) << attachment.error().describe();
    attachment.value().wait_done();

    EXPECT_EQ(sink->out(), line_of(status) + "\n");
    ASSERT_TRUE(m_engine->remove_container("capped", true, true).ok());
}
