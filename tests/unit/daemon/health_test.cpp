// Healthcheck rules without a container: the status machine Docker applies to probe results,
// the JSON shapes, and how a service's settings merge with the image's HEALTHCHECK.
#include "engine/daemon/health.h"

#include <gtest/gtest.h>

namespace engine::daemon {

namespace {

HealthProbe probe(int exit_code)
{
    return { "s", "e", exit_code, "" };
}

} // namespace

TEST(HealthTest, SuccessMakesHealthyAndResetsTheStreak)
{
    HealthState state { "starting", 2, {} };

    bool changed = apply_probe(state, probe(0), 3, false);

    EXPECT_TRUE(changed);
    EXPECT_EQ(state.status, "healthy");
    EXPECT_EQ(state.failing_streak, 0);
}

TEST(HealthTest, RetriesFailuresInARowMakeUnhealthy)
{
    HealthState state { "healthy", 0, {} };

    apply_probe(state, probe(1), 3, false);
    apply_probe(state, probe(1), 3, false);
    EXPECT_EQ(state.status, "healthy");
    bool changed = apply_probe(state, probe(1), 3, false);

    EXPECT_TRUE(changed);
    EXPECT_EQ(state.status, "unhealthy");
    EXPECT_EQ(state.failing_streak, 3);
}

TEST(HealthTest, FailuresInsideTheStartPeriodAreNotCountedWhileStarting)
{
    HealthState state { "starting", 0, {} };

    apply_probe(state, probe(1), 1, true);

    EXPECT_EQ(state.status, "starting");
    EXPECT_EQ(state.failing_streak, 0);
}

TEST(HealthTest, LogKeepsTheLastFiveProbes)
{
    HealthState state { "starting", 0, {} };

    for (int i = 0; i < 7; ++i)
        apply_probe(state, probe(i == 6 ? 0 : 1), 100, false);

    ASSERT_EQ(state.log.size(), k_health_log_entries);
    EXPECT_EQ(state.log.back().exit_code, 0);
}

TEST(HealthTest, ConfigJsonRoundTripsAndRejectsABadTest)
{
    HealthConfig config { { "CMD-SHELL", "true" }, 1000000000, 2000000000, 0, 4 };

    auto parsed = health_config_from_json(health_config_to_json(config));
    auto bad = health_config_from_json({ { "Test", { "RUN", "x" } } });
    auto wrong_type = health_config_from_json({ { "Interval", "1s" } });

    ASSERT_TRUE(parsed.ok());
    ASSERT_TRUE(parsed.value());
    EXPECT_EQ(parsed.value()->test, config.test);
    EXPECT_EQ(parsed.value()->timeout_ns, 2000000000);
    EXPECT_EQ(parsed.value()->retries, 4);
    EXPECT_FALSE(bad.ok());
    ASSERT_FALSE(wrong_type.ok());
    EXPECT_NE(wrong_type.error().message().find("Healthcheck.Interval"), std::string::npos);
}

TEST(HealthTest, ImageHealthcheckFillsWhatTheContainerLeftUnset)
{
    ContainerConfig config;
    config.healthcheck = HealthConfig { {}, 5000000000, 0, 0, 0 };
    nlohmann::json image { { "Healthcheck",
        { { "Test", { "CMD", "true" } }, { "Interval", 1 }, { "Retries", 7 } } } };

    auto defaults = image::ContainerDefaults::from_json(image, "config");
    ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
    merge_image_healthcheck(config, defaults.value());

    ASSERT_TRUE(config.healthcheck);
    EXPECT_EQ(config.healthcheck->test, (std::vector<std::string> { "CMD", "true" }));
    EXPECT_EQ(config.healthcheck->interval_ns, 5000000000);
    EXPECT_EQ(config.healthcheck->retries, 7);
    EXPECT_TRUE(health_enabled(config));
}

TEST(HealthTest, StatusSuffixMatchesDockerPs)
{
    EXPECT_EQ(health_status_suffix({ "healthy", 0, {} }), " (healthy)");
    EXPECT_EQ(health_status_suffix({ "starting", 0, {} }), " (health: starting)");
    EXPECT_EQ(health_status_suffix({}), "");
}

} // namespace engine::daemon
