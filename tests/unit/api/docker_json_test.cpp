// Docker JSON mapping: the docker CLI's full create body (as `docker run -d` sends it to dockerd),
// docker-py's sparse one (py-run_detach_full, with its "NetworkingConfig":{"bridge":null}), type errors that
// name the field, and the inspect/ps/event shapes the clients read.
#include "engine/api/docker_json.h"

#include <gtest/gtest.h>

#include "engine/base/strings.h"

using namespace engine;
using namespace engine::api;

namespace {

// The body docker CLI 28.2.2 sent for `docker run -d --name web bb:1 sleep 1000`.
const char* k_cli_create_body = R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["sleep","1000"],"Image":"bb:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}})";

// docker-py 7.1.0's body for containers.run(..., detach=True) with ports, volumes, env, labels.
const char* k_py_create_body = R"({"ExposedPorts": {"80/tcp": {}}, "Tty": false, "OpenStdin": false, "StdinOnce": false, "AttachStdin": false, "AttachStdout": false, "AttachStderr": false, "Env": ["A=1"], "Cmd": ["sleep", "30"], "Image": "bb:1", "Volumes": {"/data": {}}, "NetworkDisabled": false, "HostConfig": {"NetworkMode": "bridge", "Binds": ["pyvol:/data:rw"], "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8082"}]}}, "NetworkingConfig": {"bridge": null}, "Labels": {"k": "v"}})";

} // namespace

TEST(DockerJsonTest, CliCreateBodyMapsToContainerConfig)
{
    auto config = container_config_from_json(Json::parse(k_cli_create_body));

    ASSERT_TRUE(config.ok()) << config.error().describe();
    auto& c = config.value();
    EXPECT_EQ(c.image.text, "bb:1");
    ASSERT_TRUE(c.cmd.has_value());
    EXPECT_EQ(*c.cmd, (std::vector<std::string> { "sleep", "1000" }));
    EXPECT_FALSE(c.entrypoint.has_value());
    EXPECT_TRUE(c.env.empty());
    EXPECT_TRUE(c.network_mode.is(engine::daemon::NetworkMode::Kind::Default));
    EXPECT_EQ(c.restart_policy.name, "no");
    EXPECT_FALSE(c.auto_remove);
    EXPECT_FALSE(c.pids_limit.has_value()); // PidsLimit 0 means unlimited.
    EXPECT_TRUE(c.console_size.empty());    // [0,0] means no size.
    EXPECT_TRUE(c.binds.empty());
}

TEST(DockerJsonTest, DockerPyCreateBodyMapsToContainerConfig)
{
    auto config = container_config_from_json(Json::parse(k_py_create_body));

    ASSERT_TRUE(config.ok()) << config.error().describe();
    auto& c = config.value();
    EXPECT_EQ(c.network_mode.text(), "bridge");
    EXPECT_EQ(c.network_mode.network(), "bridge");
    EXPECT_EQ(c.binds, (std::vector<std::string> { "pyvol:/data:rw" }));
    ASSERT_EQ(c.bind_specs.size(), 1u);
    EXPECT_EQ(c.bind_specs[0].source, "pyvol");
    EXPECT_EQ(c.bind_specs[0].target, "/data");
    engine::daemon::ContainerPort http { 80, "tcp" };
    ASSERT_EQ(c.port_bindings.at(http).size(), 1u);
    EXPECT_EQ(c.port_bindings.at(http)[0].host_port, 8082);
    EXPECT_EQ(c.port_bindings.at(http)[0].host_ip, "");
    EXPECT_TRUE(c.exposed_ports.count("80/tcp"));
    EXPECT_TRUE(c.volumes.count("/data"));
    EXPECT_EQ(c.env, (std::vector<std::string> { "A=1" }));
    EXPECT_EQ(c.labels.at("k"), "v");
}

TEST(DockerJsonTest, MountsBecomeMountSpecs)
{
    auto body = Json::parse(R"({"Image":"bb:1","HostConfig":{"Mounts":[
        {"Type":"volume","Source":"v1","Target":"/m","ReadOnly":true,"VolumeOptions":{"NoCopy":true}},
        {"Type":"bind","Source":"/srv/a,b","Target":"/srv","BindOptions":{"Propagation":"rslave"}},
        {"Type":"tmpfs","Target":"/run","TmpfsOptions":{"SizeBytes":65536,"Mode":1023}}]}})");

    auto config = container_config_from_json(body);

    ASSERT_TRUE(config.ok()) << config.error().describe();
    using engine::volume::MountSpec;
    EXPECT_EQ(config.value().mounts, (std::vector<MountSpec> {
        { .type = MountSpec::Type::Volume, .source = "v1", .target = "/m", .read_only = true, .no_copy = true },
        // A comma in a path is only a character: no text form is parsed on the way.
        { .type = MountSpec::Type::Bind, .source = "/srv/a,b", .target = "/srv", .propagation = "rslave" },
        { .type = MountSpec::Type::Tmpfs, .target = "/run", .tmpfs_options = "size=65536,mode=1777" },
    }));
    EXPECT_EQ(config.value().mounts_json.size(), 3u);
}

TEST(DockerJsonTest, BadMountsNameTheFieldAtFault)
{
    auto error = [](const char* mounts) {
        auto body = Json::parse(std::string(R"({"Image":"bb:1","HostConfig":{"Mounts":)") + mounts + "}}");
        auto config = container_config_from_json(body);
        EXPECT_FALSE(config.ok()) << mounts;
        return config.ok() ? std::string() : config.error().message();
    };

    EXPECT_EQ(error(R"([{"Type":"npipe","Target":"/x"}])"),
        "HostConfig.Mounts[0].Type: unknown mount type \"npipe\" (use volume, bind or tmpfs)");
    EXPECT_EQ(error(R"([{"Type":"volume","Target":"/x"},{"Type":"bind","Target":"/y"}])"),
        "invalid mount config for type \"bind\": field Source must not be empty");
    EXPECT_EQ(error(R"([{"Type":"bind","Source":"/srv","Target":"/y","BindOptions":{"Propagation":"bogus"}}])"),
        "invalid mount config for type \"bind\": invalid propagation mode: bogus");
    EXPECT_EQ(error(R"([{"Type":"volume","Source":"v","Target":""}])"), "HostConfig.Mounts[0].Target: a mount needs a target path");
}

TEST(DockerJsonTest, PortBindingsAreParsedOnce)
{
    auto body = Json::parse(R"({"Image":"bb:1","HostConfig":{
        "PortBindings":{"53/udp":[{"HostIp":"127.0.0.1","HostPort":"5353"}],"80/tcp":[{"HostIp":"","HostPort":""}]}}})");

    auto config = container_config_from_json(body);

    ASSERT_TRUE(config.ok()) << config.error().describe();
    using engine::daemon::PortBinding;
    EXPECT_EQ(config.value().port_bindings.at({ 53, "udp" }), (std::vector<PortBinding> { { "127.0.0.1", 5353 } }));
    EXPECT_EQ(config.value().port_bindings.at({ 80, "tcp" }), (std::vector<PortBinding> { { "", 0 } }));
}

TEST(DockerJsonTest, BadPortBindingNamesTheField)
{
    auto error = [](const char* host_config) {
        auto config = container_config_from_json(Json::parse(std::string(R"({"Image":"bb:1","HostConfig":)") + host_config + "}"));
        EXPECT_FALSE(config.ok()) << host_config;
        return config.ok() ? std::string() : config.error().message();
    };

    EXPECT_EQ(error(R"({"PortBindings":{"80/tcp":[{"HostPort":"80a"}]}})"),
        "HostConfig.PortBindings.80/tcp[0]: HostPort \"80a\" is not a port number (1..65535)");
    EXPECT_EQ(error(R"({"PortBindings":{"80/tcp":[{"HostIp":"localhost","HostPort":"80"}]}})"),
        "HostConfig.PortBindings.80/tcp[0]: HostIp \"localhost\" is not an IP address");
    // What the docker CLI sends for -p [::1]:8080:80: refused at create, naming the binding,
    // since ports are published on IPv4 only.
    EXPECT_EQ(error(R"({"PortBindings":{"80/tcp":[{"HostIp":"::1","HostPort":"8080"}]}})"),
        "HostConfig.PortBindings.80/tcp[0]: HostIp \"::1\" is an IPv6 address: glassbox publishes ports on IPv4 host "
        "addresses only (use an IPv4 address such as 127.0.0.1, or none for every address)");
    EXPECT_EQ(error(R"({"PortBindings":{"80/sctp":[]}})"), "HostConfig.PortBindings: port \"80/sctp\": the protocol must be tcp or udp");
}

TEST(DockerJsonTest, NetworkModeIsParsedOnce)
{
    auto joined = container_config_from_json(Json::parse(R"({"Image":"bb:1","HostConfig":{"NetworkMode":"container:web"}})"));
    auto empty = container_config_from_json(Json::parse(R"({"Image":"bb:1","HostConfig":{"NetworkMode":"container:"}})"));

    ASSERT_TRUE(joined.ok()) << joined.error().describe();
    EXPECT_TRUE(joined.value().network_mode.is(engine::daemon::NetworkMode::Kind::Container));
    EXPECT_EQ(joined.value().network_mode.name, "web");
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().message(),
        "HostConfig.NetworkMode: invalid network mode \"container:\": invalid container format container:<name|id>");
}

TEST(DockerJsonTest, ImagePidModeAndVolumesFromAreParsedOnce)
{
    auto config = container_config_from_json(Json::parse(R"({"Image":"busybox","HostConfig":{
        "PidMode":"container:web","VolumesFrom":["data:ro","logs"]}})"));

    ASSERT_TRUE(config.ok()) << config.error().describe();
    auto& c = config.value();
    EXPECT_EQ(c.image.text, "busybox");
    ASSERT_TRUE(c.image.reference);
    EXPECT_EQ(c.image.reference->str(), "busybox:latest");
    EXPECT_TRUE(c.pid_mode.is(daemon::PidMode::Kind::Container));
    EXPECT_EQ(c.pid_mode.container, "web");
    ASSERT_EQ(c.volumes_from.size(), 2U);
    EXPECT_EQ(c.volumes_from[0].container, "data");
    EXPECT_TRUE(c.volumes_from[0].read_only());
    EXPECT_EQ(c.volumes_from[1].text(), "logs");
}

TEST(DockerJsonTest, BadImagePidModeOrVolumesFromNamesTheValue)
{
    auto error = [](const std::string& body) {
        auto config = container_config_from_json(Json::parse(body));
        EXPECT_FALSE(config.ok()) << body;
        return config.ok() ? std::string() : config.error().message();
    };

    EXPECT_EQ(error(R"({"Image":"Busybox"})"), "invalid reference format: repository name must be lowercase (in \"Busybox\")");
    EXPECT_EQ(error(R"({"Image":"bb:1","HostConfig":{"PidMode":"private"}})"),
        "HostConfig.PidMode: invalid PID mode: \"private\" (use host or container:<name|id>)");
    EXPECT_EQ(error(R"({"Image":"bb:1","HostConfig":{"VolumesFrom":["data:xx"]}})"), "HostConfig.VolumesFrom: invalid mode: xx");
}

TEST(DockerJsonTest, InspectShowsImagePidModeAndVolumesFromAsSent)
{
    auto config = container_config_from_json(Json::parse(R"({"Image":"busybox","HostConfig":{
        "PidMode":"host","VolumesFrom":["data:rw","logs"]}})"));
    ASSERT_TRUE(config.ok()) << config.error().describe();
    daemon::ContainerView view;
    view.id = std::string(64, 'a');
    view.config = config.value();

    auto json = container_inspect_json(view);

    EXPECT_EQ(json["Config"]["Image"], "busybox");
    EXPECT_EQ(json["HostConfig"]["PidMode"], "host");
    EXPECT_EQ(json["HostConfig"]["VolumesFrom"], Json::array({ "data:rw", "logs" }));
    view.config.volumes_from.clear();
    view.config.pid_mode = {};
    EXPECT_EQ(container_inspect_json(view)["HostConfig"]["VolumesFrom"], nullptr);
    EXPECT_EQ(container_inspect_json(view)["HostConfig"]["PidMode"], "");
}

TEST(DockerJsonTest, WrongTypeNamesTheField)
{
    auto config = container_config_from_json(Json::parse(R"({"Image":"bb:1","HostConfig":{"Memory":"lots"}})"));

    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(config.error().message().find("HostConfig.Memory"), std::string::npos);
}

TEST(DockerJsonTest, MissingImageIsInvalid)
{
    EXPECT_FALSE(container_config_from_json(Json::parse(R"({"Cmd":["true"]})")).ok());
    EXPECT_FALSE(container_config_from_json(Json::parse("[]")).ok());
}

TEST(DockerJsonTest, StatusTextMatchesDocker)
{
    using namespace std::chrono;
    auto now = system_clock::now();
    daemon::ContainerState state;
    EXPECT_EQ(container_status_text(state, now), "Created");

    state.status = daemon::Status::Running;
    state.started_at = engine::strings::rfc3339_nano(now - seconds(3));
    EXPECT_EQ(container_status_text(state, now), "Up 3 seconds");

    state.status = daemon::Status::Exited;
    state.exit_code = 2;
    state.finished_at = engine::strings::rfc3339_nano(now - seconds(2));
    EXPECT_EQ(container_status_text(state, now), "Exited (2) 2 seconds ago");
}

TEST(DockerJsonTest, InspectHasTheFieldsClientsRead)
{
    daemon::ContainerView view;
    view.id = std::string(64, 'a');
    view.name = "web";
    view.config.image = engine::image::ImageName::parse("bb:1").value();
    view.config.tty = true;
    view.ports["80/tcp"] = { { "", 8080 } };
    view.endpoints.push_back({ .network_id = "n", .network_name = "bridge", .endpoint_id = "e",
        .ip_address = "172.17.0.2", .prefix_length = 16, .gateway = "172.17.0.1", .mac_address = "02:42:ac:11:00:02", .aliases = {} });

    auto json = container_inspect_json(view);

    EXPECT_EQ(json["Name"], "/web");
    EXPECT_EQ(json["Config"]["Tty"], true);
    EXPECT_EQ(json["Config"]["Hostname"], std::string(12, 'a'));
    EXPECT_EQ(json["State"]["Status"], "created");
    EXPECT_EQ(json["NetworkSettings"]["Ports"]["80/tcp"][0]["HostIp"], "0.0.0.0");
    EXPECT_EQ(json["NetworkSettings"]["IPAddress"], "172.17.0.2");
    EXPECT_EQ(json["NetworkSettings"]["Networks"]["bridge"]["Gateway"], "172.17.0.1");
    EXPECT_EQ(json["GraphDriver"]["Name"], "overlay2");
    EXPECT_EQ(json["Driver"], "overlay2");
}

TEST(DockerJsonTest, SummaryListsPublishedAndExposedPorts)
{
    daemon::ContainerView view;
    view.id = "abc";
    view.name = "p";
    view.ports["80/tcp"] = { { "", 8080 } };
    view.config.exposed_ports["80/tcp"] = Json::object();
    view.config.exposed_ports["70/udp"] = Json::object();

    auto json = container_summary_json(view, std::chrono::system_clock::now());

    EXPECT_EQ(json["Names"][0], "/p");
    ASSERT_EQ(json["Ports"].size(), 2u);
    EXPECT_EQ(json["Ports"][0]["PublicPort"], 8080);
    EXPECT_EQ(json["Ports"][1]["Type"], "udp");
    EXPECT_FALSE(json["Ports"][1].contains("PublicPort"));
}

TEST(DockerJsonTest, ContainerEventHasLegacyAndNewFields)
{
    daemon::Event event { .type = "container", .action = "create", .actor_id = "cid",
        .attributes = { { "image", "bb:1" }, { "name", "evt" } }, .time_nano = 1795825657892655840 };

    auto json = event_json(event);

    EXPECT_EQ(json["status"], "create");
    EXPECT_EQ(json["from"], "bb:1");
    EXPECT_EQ(json["Actor"]["Attributes"]["name"], "evt");
    EXPECT_EQ(json["time"], 1795825657);
    EXPECT_EQ(json["timeNano"], 1795825657892655840);
    EXPECT_TRUE(event_matches(event, { { "type", { "container" } }, { "event", { "create" } } }));
    EXPECT_FALSE(event_matches(event, { { "type", { "network" } } }));
    EXPECT_TRUE(event_matches(event, { { "container", { "evt" } } }));
}

TEST(DockerJsonTest, NetworkCreateBodyFromCli)
{
    auto body = Json::parse(R"({"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.99.0.0/24","Gateway":"10.99.0.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"n1","CheckDuplicate":true})");

    auto config = network_config_from_json(body);

    ASSERT_TRUE(config.ok());
    EXPECT_EQ(config.value().name, "n1");
    EXPECT_EQ(config.value().subnet, "10.99.0.0/24");
    EXPECT_EQ(config.value().gateway, "10.99.0.1");
}
