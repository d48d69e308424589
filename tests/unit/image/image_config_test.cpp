// ImageConfig: the typed image config. Parsing names the field at fault; writing it out again
// gives the same JSON value it was read from (unmodelled keys and Go's nulls included), except
// that ExposedPorts keys are normalized ("80" is "80/tcp").
#include "engine/image/image_config.h"

#include <gtest/gtest.h>

namespace engine::image {
namespace {

using nlohmann::json;

std::string parse_error(const json& doc)
{
    auto parsed = ImageConfig::parse(doc.dump(), "config.json");
    EXPECT_FALSE(parsed.ok()) << doc.dump() << " parsed";
    if (parsed.ok())
        return "";
    EXPECT_EQ(parsed.error().kind(), ErrorKind::InvalidArgument);
    return parsed.error().message();
}

TEST(ImageConfig, RoundTripKeepsEveryKeyModelledOrNot)
{
    json doc = json::parse(R"({
        "architecture": "arm64", "os": "linux", "variant": "v8", "os.version": "x",
        "created": "2024-01-02T03:04:05.123456789Z", "author": "me", "container": "abc", "docker_version": "24.0.7",
        "config": {
            "Hostname": "", "Tty": false, "Image": "sha256:00", "StopTimeout": 5,
            "Cmd": ["sh"], "Entrypoint": null, "Env": ["A=1", "B=2"], "WorkingDir": "/srv", "User": "1:1",
            "ExposedPorts": {"53/udp": {}, "8000-8010/tcp": {}}, "Volumes": {"/data": {}},
            "Labels": {"a": "b"}, "StopSignal": "SIGINT", "OnBuild": null, "Shell": ["/bin/bash", "-c"],
            "ArgsEscaped": true,
            "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000, "Retries": 3, "Future": "x"}
        },
        "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) CMD [\"sh\"]"], "Labels": null},
        "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "ADD x /", "comment": "c", "future": [1]},
                    {"created_by": "CMD", "empty_layer": true}],
        "rootfs": {"type": "layers", "diff_ids": ["sha256:aa"], "future": true}
    })");
    auto parsed = ImageConfig::parse(doc.dump(), "config.json");
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    const auto& config = parsed.value();
    EXPECT_EQ(config.architecture, "arm64");
    EXPECT_EQ(config.created_seconds(), 1704164645);
    EXPECT_EQ(config.defaults().env_value("B"), "2");
    EXPECT_EQ(config.defaults().healthcheck->retries, 3);
    EXPECT_EQ(config.diff_ids, std::vector<std::string> { "sha256:aa" });
    EXPECT_EQ(config.history_length(), 2u);
    EXPECT_FALSE(config.history->at(1).makes_layer());
    EXPECT_EQ(config.to_json(), doc);
}

TEST(ImageConfig, NullsStayNullAndSettingAFieldReplacesIt)
{
    auto config = ImageConfig::from_json(
        json::parse(R"({"config": {"Cmd": null, "Labels": null}, "history": null})"), "c");
    ASSERT_TRUE(config.ok()) << config.error().describe();
    auto& value = config.value();
    EXPECT_FALSE(value.defaults().cmd);
    EXPECT_TRUE(value.to_json()["config"]["Cmd"].is_null());
    EXPECT_TRUE(value.to_json()["history"].is_null());
    value.mutable_defaults().cmd = std::vector<std::string> { "sh" };
    value.mutable_defaults().set_null("Labels");
    value.history.emplace();
    auto out = value.to_json();
    EXPECT_EQ(out["config"]["Cmd"], json({ "sh" }));
    EXPECT_TRUE(out["config"]["Labels"].is_null());
    EXPECT_EQ(out["history"], json::array());
    value.mutable_defaults().set_null("Cmd");
    EXPECT_TRUE(value.to_json()["config"]["Cmd"].is_null());
}

TEST(ImageConfig, ExposedPortsAreNormalized)
{
    auto config
        = ImageConfig::from_json({ { "config",
                                     { { "ExposedPorts",
                                         { { "80", json::object() }, { "53/UDP", json::object() },
                                             { "9000-9001/tcp", json::object() } } } } } },
            "c");
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config.value().to_json()["config"]["ExposedPorts"],
        json({ { "80/tcp", json::object() }, { "53/udp", json::object() },
            { "9000-9001/tcp", json::object() } }));
    auto port = parse_exposed_port("8080");
    ASSERT_TRUE(port.ok());
    EXPECT_EQ(port.value().first, 8080);
    EXPECT_EQ(port.value().protocol, "tcp");
    EXPECT_FALSE(parse_exposed_port("0").ok());
    EXPECT_FALSE(parse_exposed_port("65536/tcp").ok());
    EXPECT_FALSE(parse_exposed_port("80/http").ok());
    EXPECT_FALSE(parse_exposed_port("90-80").ok());
}

TEST(ImageConfig, EachBadFieldIsNamed)
{
    EXPECT_NE(parse_error(json::array()).find("config.json must be a JSON object, got an array"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "architecture", 1 } })
                  .find("config.json: architecture must be a string, got a number"),
        std::string::npos);
    EXPECT_NE(
        parse_error({ { "created", false } }).find("created must be a string"), std::string::npos);
    EXPECT_NE(parse_error({ { "config", "x" } })
                  .find("config.json: config must be an object, got a string"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "config", { { "Cmd", { "sh", 1 } } } } })
                  .find("config.Cmd[1] must be a string, got a number"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "config", { { "Env", "A=1" } } } })
                  .find("config.Env must be an array of strings"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "config", { { "ExposedPorts", { { "http", json::object() } } } } } })
                  .find("config.ExposedPorts: invalid port \"http\""),
        std::string::npos);
    EXPECT_NE(parse_error({ { "config", { { "ExposedPorts", { { "80/tcp", 1 } } } } } })
                  .find("config.ExposedPorts[\"80/tcp\"] must be an object"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "config", { { "Labels", { { "a", 1 } } } } } })
                  .find("config.Labels[\"a\"] must be a string"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "config", { { "Healthcheck", { { "Interval", "1s" } } } } } })
                  .find("config.Healthcheck.Interval must be an integer"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "config", { { "ArgsEscaped", "yes" } } } })
                  .find("config.ArgsEscaped must be a boolean"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "container_config", { { "Volumes", json::array() } } } })
                  .find("container_config.Volumes must be an object"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "history", { { { "empty_layer", "no" } } } } })
                  .find("history[0].empty_layer must be a boolean"),
        std::string::npos);
    EXPECT_NE(parse_error({ { "rootfs", { { "diff_ids", { 1 } } } } })
                  .find("rootfs.diff_ids[0] must be a string"),
        std::string::npos);
    // Strict JSON: a duplicate key is refused before any field is read.
    auto duplicate = ImageConfig::parse(R"({"os":"linux","os":"windows"})", "config.json");
    ASSERT_FALSE(duplicate.ok());
    EXPECT_NE(duplicate.error().message().find("duplicate key \"os\""), std::string::npos);
}

TEST(ImageConfig, CmdMayBeOneStringAsDockerReadsIt)
{
    auto config = ImageConfig::from_json({ { "config", { { "Cmd", "sh" } } } }, "c");
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config.value().defaults().cmd, std::vector<std::string> { "sh" });
}

} // namespace
} // namespace engine::image
