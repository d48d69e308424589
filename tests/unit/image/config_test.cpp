// apply_change: a `--change` is one Dockerfile line, so quoting, escapes and $VAR expansion
// follow the Dockerfile's rules, and a change that fails leaves the config untouched.
#include <gtest/gtest.h>

#include "engine/image/config.h"

namespace engine::image {
namespace {

// The tests write configs as JSON; apply_change works on the typed defaults.
ContainerDefaults typed(const nlohmann::json& config)
{
    auto parsed = ContainerDefaults::from_json(config, "config");
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().describe());
    return parsed.ok() ? parsed.release_value() : ContainerDefaults {};
}

nlohmann::json changed(const nlohmann::json& config, std::string_view change)
{
    auto defaults = typed(config);
    auto result = apply_change(defaults, change);
    EXPECT_TRUE(result.ok()) << change << ": " << (result.ok() ? "" : result.error().describe());
    return defaults.to_json();
}

std::string change_error(nlohmann::json& config, std::string_view change)
{
    auto defaults = typed(config);
    auto result = apply_change(defaults, change);
    config = defaults.to_json();
    EXPECT_FALSE(result.ok()) << change << " applied unexpectedly";
    if (result.ok())
        return "";
    EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
    return result.error().message();
}

TEST(ApplyChange, ShellFormCmdRunsThroughSh)
{
    auto config = changed(nlohmann::json::object(), "CMD echo hi there");
    EXPECT_EQ(config["Cmd"], nlohmann::json({ "/bin/sh", "-c", "echo hi there" }));
}

TEST(ApplyChange, JsonFormEntrypointIsTakenAsWritten)
{
    auto config = changed(nlohmann::json::object(), R"(entrypoint ["/bin/app", "--flag", "$HOME"])");
    EXPECT_EQ(config["Entrypoint"], nlohmann::json({ "/bin/app", "--flag", "$HOME" }));
}

TEST(ApplyChange, EnvPairsRemoveQuotesAndReplaceExistingKeys)
{
    nlohmann::json config = { { "Env", { "PATH=/bin", "A=old" } } };
    config = changed(config, R"(ENV A="new value" B='x y' C=plain\ escaped)");
    EXPECT_EQ(config["Env"], nlohmann::json({ "PATH=/bin", "A=new value", "B=x y", "C=plain escaped" }));
}

TEST(ApplyChange, EnvLegacyFormTakesTheRestOfTheLine)
{
    auto config = changed(nlohmann::json::object(), "ENV GREETING hello big world");
    EXPECT_EQ(config["Env"], nlohmann::json({ "GREETING=hello big world" }));
}

TEST(ApplyChange, VariablesExpandFromTheConfigsOwnEnv)
{
    nlohmann::json config = { { "Env", { "PATH=/usr/bin" } } };
    config = changed(config, "ENV PATH=$PATH:/opt/bin");
    EXPECT_EQ(config["Env"], nlohmann::json({ "PATH=/usr/bin:/opt/bin" }));
    config = changed(config, "WORKDIR ${APP:-/srv}/data");
    EXPECT_EQ(config["WorkingDir"], "/srv/data");
}

TEST(ApplyChange, LabelsExposeVolumesUserAndStopSignal)
{
    auto config = changed(nlohmann::json::object(), R"(LABEL "course.topic"="images" level=1)");
    config = changed(config, "EXPOSE 80 53/udp");
    config = changed(config, R"(VOLUME ["/data", "/logs"])");
    config = changed(config, "VOLUME /cache");
    config = changed(config, "USER 1000:1000");
    config = changed(config, "STOPSIGNAL SIGQUIT");
    EXPECT_EQ(config["Labels"]["course.topic"], "images");
    EXPECT_EQ(config["Labels"]["level"], "1");
    EXPECT_TRUE(config["ExposedPorts"].contains("80/tcp"));
    EXPECT_TRUE(config["ExposedPorts"].contains("53/udp"));
    EXPECT_TRUE(config["Volumes"].contains("/data"));
    EXPECT_TRUE(config["Volumes"].contains("/logs"));
    EXPECT_TRUE(config["Volumes"].contains("/cache"));
    EXPECT_EQ(config["User"], "1000:1000");
    EXPECT_EQ(config["StopSignal"], "SIGQUIT");
}

TEST(ApplyChange, RelativeWorkdirJoinsThePreviousOne)
{
    nlohmann::json config = { { "WorkingDir", "/app" } };
    EXPECT_EQ(changed(config, "WORKDIR src")["WorkingDir"], "/app/src");
}

TEST(ApplyChange, ErrorsNameTheChangeAndLeaveTheConfigAsItWas)
{
    nlohmann::json config = { { "Env", { "A=1" } } };
    const auto before = config;
    EXPECT_NE(change_error(config, "RUN rm -rf /").find("invalid change \"RUN rm -rf /\": run is not one of"),
        std::string::npos);
    EXPECT_NE(change_error(config, "EXPOSE 80 99999").find("invalid port \"99999\""), std::string::npos);
    EXPECT_NE(change_error(config, "VOLUME relative").find("must be absolute"), std::string::npos);
    EXPECT_NE(change_error(config, R"(ENV A="unterminated)").find("invalid change"), std::string::npos);
    EXPECT_NE(change_error(config, "ENV B=2\nCMD x").find("one line"), std::string::npos);
    EXPECT_NE(change_error(config, "CMD").find("invalid change \"CMD\""), std::string::npos);
    EXPECT_EQ(config, before);
}

} // namespace
} // namespace engine::image
