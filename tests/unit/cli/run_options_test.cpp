// run/create flags -> Docker create body: the shapes the daemon (and dockerd) expect.
#include "engine/cli/run_options.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

using engine::cli::Json;
using engine::cli::RunFlags;

namespace {

// Parses `glassbox run <args>` with the real flag table (only the flags `words` can name) and
// builds the create body.
engine::Result<Json> build(std::vector<std::string> args, const engine::cli::FlagWords& words = {})
{
    CLI::App app;
    RunFlags flags;
    auto* run = app.add_subcommand("run");
    engine::cli::add_run_flags(*run, flags, engine::cli::RunVerb::Run, words);
    args.insert(args.begin(), "run");
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return engine::cli::build_create_body(flags);
}

Json body_for(std::vector<std::string> args)
{
    auto body = build(std::move(args));
    EXPECT_TRUE(body.ok()) << (body.ok() ? "" : body.error().describe());
    return body.ok() ? body.value() : Json();
}

engine::Error error_for(std::vector<std::string> args)
{
    auto body = build(std::move(args));
    EXPECT_FALSE(body.ok());
    return body.ok() ? engine::Error::system("unexpected success") : body.error();
}

bool names(std::vector<const char*> words, const char* flag)
{
    return engine::cli::FlagWords(words).may_name(flag);
}

} // namespace

TEST(RunOptionsTest, LongWordNamesTheFlagBeforeItsValue)
{
    EXPECT_TRUE(names({ "--net=host" }, "--network,--net"));
    EXPECT_TRUE(names({ "run", "--rm", "busybox" }, "--rm"));
    EXPECT_FALSE(names({ "run", "--rm", "busybox" }, "--name"));
    EXPECT_FALSE(names({ "--network-alias", "a" }, "--network,--net"));
}

TEST(RunOptionsTest, ShortWordNamesEachOfItsLetters)
{
    EXPECT_TRUE(names({ "-it" }, "-i,--interactive"));
    EXPECT_TRUE(names({ "-it" }, "-t,--tty"));
    EXPECT_FALSE(names({ "-it" }, "-d,--detach"));
    EXPECT_TRUE(names({ "-eA=1" }, "-e,--env"));
    EXPECT_FALSE(names({ "-eA=1" }, "-P,--publish-all"));
    // An attached value's letters name more flags ("-edh" is -e with "dh", yet names -d and
    // -h), which registers more of them, never fewer.
    EXPECT_TRUE(names({ "-edh" }, "-h,--hostname"));
}

TEST(RunOptionsTest, HelpOrTheWholeTreeNamesEveryFlag)
{
    EXPECT_TRUE(names({}, "--privileged"));
    EXPECT_TRUE(names({ "run", "--help" }, "--privileged"));
    EXPECT_TRUE(names({ "run", "--help=x" }, "-d,--detach"));
    EXPECT_TRUE(names({ "run", "busybox" }, "IMAGE"));
}

TEST(RunOptionsTest, OnlyTheNamedFlagsGiveTheBodyEveryFlagGives)
{
    const std::vector<std::vector<std::string>> lines {
        { "--rm", "--network", "none", "busybox", "true" },
        { "-dit", "--name=web", "-eA=1", "-e", "B=2", "-p8080:80", "--net=host", "-m", "32m", "busybox", "sh", "-c", "x" },
        { "-h", "box", "-u", "1000", "-w", "/tmp", "--read-only", "--init", "--stop-timeout", "3", "alpine", "--rm", "-d" },
        { "--memory-swap", "-1", "-m", "1g", "--cpus", "0.5", "--pids-limit", "-1", "busybox" },
    };
    for (const auto& line : lines) {
        std::vector<const char*> words;
        for (const auto& word : line)
            words.push_back(word.c_str());
        auto all = build(line);
        auto named = build(line, engine::cli::FlagWords(words));
        ASSERT_TRUE(all.ok() && named.ok()) << line.front();
        EXPECT_EQ(named.value(), all.value()) << line.front();
    }
}

TEST(RunOptionsTest, LimitsPortsAndVolumesBecomeDockerShapedHostConfig)
{
    auto body = body_for({ "-m", "32m", "--cpus", "1.5", "-p", "8080:80", "-v", "a:/b", "busybox", "echo", "hi" });

    EXPECT_EQ(body["Image"], "busybox");
    EXPECT_EQ(body["Cmd"], Json::array({ "echo", "hi" }));
    EXPECT_EQ(body["HostConfig"]["Memory"], 32 * 1024 * 1024);
    EXPECT_EQ(body["HostConfig"]["NanoCpus"], 1500000000);
    EXPECT_EQ(body["ExposedPorts"], Json({ { "80/tcp", Json::object() } }));
    EXPECT_EQ(body["HostConfig"]["PortBindings"]["80/tcp"], Json::parse(R"([{"HostIp":"","HostPort":"8080"}])"));
    EXPECT_EQ(body["HostConfig"]["Binds"], Json::array({ "a:/b" }));
    EXPECT_EQ(body["HostConfig"]["NetworkMode"], "default");
    EXPECT_TRUE(body["NetworkingConfig"]["EndpointsConfig"].contains("default"));
    EXPECT_EQ(body["HostConfig"]["RestartPolicy"], Json::parse(R"({"Name":"no","MaximumRetryCount":0})"));
    EXPECT_EQ(body["AttachStdout"], true);
    EXPECT_EQ(body["AttachStdin"], false);
}

TEST(RunOptionsTest, InteractiveTtyRemoveAndDetachSetDockerFlags)
{
    auto attached = body_for({ "-it", "--rm", "busybox", "sh" });
    auto detached = body_for({ "-d", "--name", "web", "busybox" });

    EXPECT_EQ(attached["Tty"], true);
    EXPECT_EQ(attached["OpenStdin"], true);
    EXPECT_EQ(attached["StdinOnce"], true);
    EXPECT_EQ(attached["AttachStdin"], true);
    EXPECT_EQ(attached["HostConfig"]["AutoRemove"], true);
    EXPECT_EQ(detached["AttachStdout"], false);
    EXPECT_EQ(detached["AttachStderr"], false);
    EXPECT_TRUE(detached["Cmd"].is_null());
}

TEST(RunOptionsTest, CommandFlagsAfterImageBelongToTheContainer)
{
    auto body = body_for({ "-e", "A=1", "busybox", "sh", "-c", "echo -e x", "-e", "B" });

    EXPECT_EQ(body["Env"], Json::array({ "A=1" }));
    EXPECT_EQ(body["Cmd"], Json::array({ "sh", "-c", "echo -e x", "-e", "B" }));
}

TEST(RunOptionsTest, NetworkAliasesIpAndPrivilegesAreSent)
{
    auto body = body_for({ "--network", "n1", "--network-alias", "db", "--ip", "10.9.0.5", "--cap-add", "NET_ADMIN",
        "--cap-drop", "ALL", "--privileged", "--read-only", "--init", "--restart", "on-failure:3",
        "--dns", "10.0.0.1", "--add-host", "h=1.2.3.4", "--security-opt", "no-new-privileges", "-l", "k=v", "-l", "flag",
        "--stop-signal", "SIGINT", "--stop-timeout", "3", "--pids-limit", "64", "--cpu-shares", "512", "--tmpfs",
        "/run:size=1m", "--expose", "70-71", "-P", "-w", "/srv", "-u", "1000:1000", "--hostname", "box", "--entrypoint",
        "/bin/sh", "busybox" });

    EXPECT_EQ(body["HostConfig"]["NetworkMode"], "n1");
    EXPECT_EQ(body["NetworkingConfig"]["EndpointsConfig"]["n1"]["Aliases"], Json::array({ "db" }));
    EXPECT_EQ(body["NetworkingConfig"]["EndpointsConfig"]["n1"]["IPAMConfig"]["IPv4Address"], "10.9.0.5");
    EXPECT_EQ(body["HostConfig"]["CapAdd"], Json::array({ "NET_ADMIN" }));
    EXPECT_EQ(body["HostConfig"]["CapDrop"], Json::array({ "ALL" }));
    EXPECT_EQ(body["HostConfig"]["Privileged"], true);
    EXPECT_EQ(body["HostConfig"]["ReadonlyRootfs"], true);
    EXPECT_EQ(body["HostConfig"]["Init"], true);
    EXPECT_EQ(body["HostConfig"]["RestartPolicy"], Json::parse(R"({"Name":"on-failure","MaximumRetryCount":3})"));
    EXPECT_TRUE(body["HostConfig"]["Links"].is_null());
    EXPECT_EQ(body["HostConfig"]["Dns"], Json::array({ "10.0.0.1" }));
    EXPECT_EQ(body["HostConfig"]["ExtraHosts"], Json::array({ "h:1.2.3.4" }));
    EXPECT_EQ(body["HostConfig"]["SecurityOpt"], Json::array({ "no-new-privileges" }));
    EXPECT_EQ(body["Labels"], Json::parse(R"({"k":"v","flag":""})"));
    EXPECT_EQ(body["StopSignal"], "SIGINT");
    EXPECT_EQ(body["StopTimeout"], 3);
    EXPECT_EQ(body["HostConfig"]["PidsLimit"], 64);
    EXPECT_EQ(body["HostConfig"]["CpuShares"], 512);
    EXPECT_EQ(body["HostConfig"]["Tmpfs"], Json::parse(R"({"/run":"size=1m"})"));
    EXPECT_TRUE(body["ExposedPorts"].contains("70/tcp"));
    EXPECT_TRUE(body["ExposedPorts"].contains("71/tcp"));
    EXPECT_EQ(body["HostConfig"]["PublishAllPorts"], true);
    EXPECT_EQ(body["WorkingDir"], "/srv");
    EXPECT_EQ(body["User"], "1000:1000");
    EXPECT_EQ(body["Hostname"], "box");
    EXPECT_EQ(body["Entrypoint"], Json::array({ "/bin/sh" }));
}

TEST(RunOptionsTest, LinkIsRefusedAsLegacyWithTheLessonNamed)
{
    auto error = error_for({ "--link", "db:db", "busybox" });
    EXPECT_EQ(error.kind(), engine::ErrorKind::InvalidArgument);
    EXPECT_NE(error.describe().find("--link db:db is refused"), std::string::npos) << error.describe();
    EXPECT_NE(error.describe().find("lesson 08"), std::string::npos) << error.describe();
}

TEST(RunOptionsTest, AnonymousVolumeMountAndSwapAreSeparated)
{
    auto body = body_for({ "-v", "/anon", "--mount", "type=volume,src=v1,dst=/m,readonly", "-m", "64m", "--memory-swap",
        "-1", "busybox" });

    EXPECT_EQ(body["Volumes"], Json::parse(R"({"/anon":{}})"));
    EXPECT_TRUE(body["HostConfig"]["Binds"].is_null());
    EXPECT_EQ(body["HostConfig"]["Mounts"], Json::parse(R"([{"Type":"volume","Source":"v1","Target":"/m","ReadOnly":true}])"));
    EXPECT_EQ(body["HostConfig"]["MemorySwap"], -1);
}

TEST(RunOptionsTest, BadValuesNameTheFlag)
{
    EXPECT_NE(error_for({ "-m", "12q", "busybox" }).message().find("-m/--memory"), std::string::npos);
    EXPECT_NE(error_for({ "--cpus", "lots", "busybox" }).message().find("--cpus"), std::string::npos);
    EXPECT_NE(error_for({ "-p", "99999:80", "busybox" }).message().find("99999"), std::string::npos);
    EXPECT_NE(error_for({ "--restart", "sometimes", "busybox" }).message().find("--restart"), std::string::npos);
    EXPECT_NE(error_for({ "--rm", "--restart", "always", "busybox" }).message().find("--rm"), std::string::npos);
    EXPECT_NE(error_for({ "-v", "a:relative", "busybox" }).message().find("-v a:relative"), std::string::npos);
    EXPECT_NE(error_for({ "--mount", "type=bind,dst=/x", "busybox" }).message().find("source is required"), std::string::npos);
}

TEST(MemoryUnitsTest, DockerUnitsAreBinaryAndCaseInsensitive)
{
    EXPECT_EQ(engine::cli::parse_memory_bytes("32m").value(), 32LL << 20);
    EXPECT_EQ(engine::cli::parse_memory_bytes("32M").value(), 32LL << 20);
    EXPECT_EQ(engine::cli::parse_memory_bytes("1g").value(), 1LL << 30);
    EXPECT_EQ(engine::cli::parse_memory_bytes("1.5g").value(), 3LL << 29);
    EXPECT_EQ(engine::cli::parse_memory_bytes("512k").value(), 512LL << 10);
    EXPECT_EQ(engine::cli::parse_memory_bytes("100").value(), 100);
    EXPECT_EQ(engine::cli::parse_memory_bytes("2GiB").value(), 2LL << 30);
    EXPECT_EQ(engine::cli::parse_memory_bytes("10b").value(), 10);
    EXPECT_FALSE(engine::cli::parse_memory_bytes("").ok());
    EXPECT_FALSE(engine::cli::parse_memory_bytes("m").ok());
    EXPECT_FALSE(engine::cli::parse_memory_bytes("-5m").ok());
    EXPECT_FALSE(engine::cli::parse_memory_bytes("5x").ok());
}

TEST(PortBindingTest, HostIpRandomPortUdpAndRanges)
{
    Json exposed = Json::object();
    Json bindings = Json::object();

    ASSERT_TRUE(engine::cli::add_port_binding("127.0.0.1::80", exposed, bindings).ok());
    ASSERT_TRUE(engine::cli::add_port_binding("9090:90/udp", exposed, bindings).ok());
    ASSERT_TRUE(engine::cli::add_port_binding("8000-8001:7000-7001", exposed, bindings).ok());
    ASSERT_TRUE(engine::cli::add_port_binding("443", exposed, bindings).ok());

    EXPECT_EQ(bindings["80/tcp"], Json::parse(R"([{"HostIp":"127.0.0.1","HostPort":""}])"));
    EXPECT_EQ(bindings["90/udp"], Json::parse(R"([{"HostIp":"","HostPort":"9090"}])"));
    EXPECT_EQ(bindings["7001/tcp"][0]["HostPort"], "8001");
    EXPECT_EQ(bindings["443/tcp"][0]["HostPort"], "");
    EXPECT_TRUE(exposed.contains("7000/tcp"));
    EXPECT_FALSE(engine::cli::add_port_binding("80/icmp", exposed, bindings).ok());
    EXPECT_FALSE(engine::cli::add_port_binding("1:2:3:4", exposed, bindings).ok());
}

TEST(EnvFileTest, CommentsBlankLinesAndInheritedNames)
{
    char dir_template[] = "/tmp/glassbox-cli-env-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    std::string path = std::string(dir_template) + "/env";
    std::ofstream(path) << "# comment\n\nA=1\nB = spaced\nGLASSBOX_TEST_INHERITED\nGLASSBOX_TEST_UNSET_NAME\n";
    ::setenv("GLASSBOX_TEST_INHERITED", "yes", 1);

    auto entries = engine::cli::read_env_file(path);

    ASSERT_TRUE(entries.ok());
    EXPECT_EQ(entries.value(), (std::vector<std::string> { "A=1", "B = spaced", "GLASSBOX_TEST_INHERITED=yes" }));
    EXPECT_FALSE(engine::cli::read_env_file(std::string(dir_template) + "/missing").ok());
    ::unlink(path.c_str());
    ::rmdir(dir_template);
}

TEST(RunOptionsTest, LessonEnvironmentLabelsTheContainerWithoutOverridingTheUser)
{
    setenv("GLASSBOX_LESSON", "01-first-container", 1);

    auto labelled = body_for({ "-l", "k=v", "busybox" });
    auto chosen = body_for({ "-l", "glassbox.lesson=mine", "busybox" });
    unsetenv("GLASSBOX_LESSON");
    auto plain = body_for({ "busybox" });

    EXPECT_EQ(labelled["Labels"], Json::parse(R"({"k":"v","glassbox.lesson":"01-first-container"})"));
    EXPECT_EQ(chosen["Labels"]["glassbox.lesson"], "mine");
    EXPECT_FALSE(plain["Labels"].contains("glassbox.lesson"));
}

TEST(RunOptionsTest, PidMacDeviceRulesAndVolumesFromAreSentAsTheApiNamesThem)
{
    auto body = body_for({ "--pid", "container:web", "--mac-address", "02:42:ac:11:00:66", "--device-cgroup-rule",
        "c 42:7 rw", "--volumes-from", "data:ro", "--volumes-from", "logs", "busybox" });

    EXPECT_EQ(body["HostConfig"]["PidMode"], "container:web");
    EXPECT_EQ(body["MacAddress"], "02:42:ac:11:00:66");
    EXPECT_EQ(body["HostConfig"]["DeviceCgroupRules"], Json::array({ "c 42:7 rw" }));
    EXPECT_EQ(body["HostConfig"]["VolumesFrom"], Json::array({ "data:ro", "logs" }));
}
