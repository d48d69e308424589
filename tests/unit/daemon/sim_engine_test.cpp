// The Engine on the simulated kernel (sim::SimKernel, sim::SimNetwork, the simulated runtime),
// as glassboxd --kernel=sim wires it, without root: create, start, exec, logs, stop (a PID 1
// without a handler waits out the grace period, then SIGKILL: 137), remove, and the snapshot
// labelled "simulated".
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "engine/base/fs.h"
#include "engine/daemon/engine.h"
#include "engine/image/store.h"
#include "engine/sim/net/sim_network.h"
#include "engine/sim/sim_kernel.h"
#include "engine/sim/sim_runtime.h"

namespace {

using namespace engine;
using namespace engine::daemon;
using namespace std::chrono_literals;

struct TextSink final : OutputSink {
    std::mutex mutex;
    std::string text;
    bool write(StreamKind, std::string_view data) override
    {
        std::lock_guard lock(mutex);
        text += data;
        return true;
    }
};

class EngineOverSimKernel : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/gb-simengine-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_kernel = std::make_unique<sim::SimKernel>(m_dir + "/run/sim", std::vector<std::string> { m_dir }, "unit test");
        m_nftables = std::make_unique<sim::SimNftables>(m_network);
        m_options.root = m_dir + "/root";
        m_options.run_root = m_dir + "/run";
        m_options.pool_prefix = "10.233.0.0/16";
        m_options.embedded_dns = false;
        m_options.netlink = &m_network;
        m_options.nftables = m_nftables.get();
        auto* kernel = m_kernel.get();
        m_options.start_process = [kernel](sys::Kernel&, const runtime::ContainerSpec& spec) {
            return sim::start_simulated_container(*kernel, spec, nullptr);
        };
        m_options.exec_process = [kernel](sys::Kernel&, const runtime::ContainerSpec& spec, pid_t pid,
                                     const runtime::ProcessSpec& process) {
            return sim::exec_in_simulated_container(*kernel, spec, pid, process, nullptr);
        };
        auto rootfs = m_dir + "/rootfs";
        ASSERT_TRUE(fs::make_dirs(rootfs + "/etc").ok());
        ASSERT_TRUE(fs::write_file_atomic(rootfs + "/etc/motd", "from the image\n").ok());
        ASSERT_EQ(std::system(("tar -C " + rootfs + " -cf " + m_dir + "/rootfs.tar .").c_str()), 0);
        {
            auto store = image::Store::open(m_options.root);
            ASSERT_TRUE(store.ok());
            ASSERT_TRUE(store.value()->import_rootfs(m_dir + "/rootfs.tar", { .repo_tag = "unit:latest" }).ok());
        }
        auto engine = Engine::create(*m_kernel, m_options);
        ASSERT_TRUE(engine.ok()) << engine.error().describe();
        m_engine = engine.release_value();
    }
    void TearDown() override
    {
        if (m_engine) {
            auto containers = m_engine->list_containers(true, {});
            for (const auto& view : containers.ok() ? containers.value() : std::vector<ContainerView> {})
                (void)m_engine->remove_container(view.id, true, true);
            m_engine->shutdown();
        }
        m_engine.reset();
        m_kernel.reset();
        std::filesystem::remove_all(m_dir);
    }
    std::string run(std::vector<std::string> cmd, const std::string& name = "")
    {
        ContainerConfig config;
        config.image = image::ImageName::parse("unit:latest").value();
        config.cmd = std::move(cmd);
        auto created = m_engine->create_container(name, config);
        EXPECT_TRUE(created.ok()) << created.error().describe();
        auto started = m_engine->start_container(created.value().id);
        EXPECT_TRUE(started.ok()) << started.error().describe();
        return created.value().id;
    }
    int wait_exit(const std::string& id)
    {
        auto wait = m_engine->wait_container(id, "not-running");
        return wait.ok() ? wait.value()().status_code : -1;
    }

    std::string m_dir;
    std::unique_ptr<sim::SimKernel> m_kernel;
    sim::SimNetwork m_network;
    std::unique_ptr<sim::SimNftables> m_nftables;
    EngineOptions m_options;
    std::unique_ptr<Engine> m_engine;
};

TEST_F(EngineOverSimKernel, ContainerRunsItsProgramAndTheLogKeepsTheOutput)
{
    auto id = run({ "sh", "-c", "cat /etc/motd; hostname; exit 4" });
    EXPECT_EQ(wait_exit(id), 4);
    TextSink sink;
    LogOptions options;
    ASSERT_TRUE(m_engine->container_logs(id, options, sink).ok());
    EXPECT_EQ(sink.text, "from the image\n" + id.substr(0, 12) + "\n");
}

TEST_F(EngineOverSimKernel, StopOfAPid1WithoutHandlerWaitsThenKills)
{
    auto id = run({ "tail", "-f", "/dev/null" }, "idle");
    auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(m_engine->stop_container(id, 1).ok());
    EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
    EXPECT_EQ(m_engine->inspect_container(id).value().state.exit_code, 137);
    ASSERT_TRUE(m_engine->remove_container(id, false, false).ok());
    EXPECT_FALSE(m_engine->inspect_container(id).ok());
}

TEST_F(EngineOverSimKernel, StopOfAProgramWithAHandlerIsQuickAndClean)
{
    auto id = run({ "graceful" });
    auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(m_engine->stop_container(id, 10).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    EXPECT_EQ(m_engine->inspect_container(id).value().state.exit_code, 0);
}

TEST_F(EngineOverSimKernel, ExecSeesTheContainersPidNamespaceAndFiles)
{
    auto id = run({ "sleep", "3600" });
    ExecConfig exec;
    exec.cmd = { "sh", "-c", "ps; echo changed > /etc/motd; cat /etc/motd" };
    auto exec_id = m_engine->exec_create(id, exec);
    ASSERT_TRUE(exec_id.ok());
    auto sink = std::make_shared<TextSink>();
    auto attached = m_engine->exec_start(exec_id.value(), false, sink);
    ASSERT_TRUE(attached.ok()) << attached.error().describe();
    attached.value().wait_done();
    for (int i = 0; i < 100 && !m_engine->exec_inspect(exec_id.value()).value().exited; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(m_engine->exec_inspect(exec_id.value()).value().exit_code, 0);
    EXPECT_NE(sink->text.find("1     root      0:00 sleep 3600"), std::string::npos) << sink->text;
    EXPECT_NE(sink->text.find("changed\n"), std::string::npos);
    // Copy-up: the change is in the container's upper directory, not in the image's layer.
    auto view = m_engine->inspect_container(id).value();
    EXPECT_EQ(fs::read_file(view.upper_dir + "/etc/motd").value(), "changed\n");
    EXPECT_EQ(fs::read_file(view.lower_dirs.back() + "/etc/motd").value(), "from the image\n");
}

TEST_F(EngineOverSimKernel, SnapshotIsLabelledSimulatedAndShowsThePid1)
{
    auto id = run({ "sleep", "3600" });
    auto snapshot = m_engine->take_snapshot();
    ASSERT_TRUE(snapshot.ok()) << snapshot.error().describe();
    EXPECT_EQ(snapshot.value()->kernel.mode, "simulated");
    EXPECT_EQ(snapshot.value()->kernel.simulated_reason, "unit test");
    auto pid = m_engine->inspect_container(id).value().state.pid;
    bool found = false;
    for (const auto& process : snapshot.value()->processes)
        if (process.pid == pid) {
            found = true;
            EXPECT_EQ(process.nspid.back(), 1);
            EXPECT_EQ(process.container_id, id);
        }
    EXPECT_TRUE(found);
}

} // namespace
