// The plan: networks, then volumes, then services in dependency order; and the API bodies
// carry Compose's names and labels.
#include "engine/compose/plan.h"

#include <gtest/gtest.h>

#include "engine/compose/parse.h"

namespace engine::compose {

namespace {

Project parse_ok(std::string_view yaml)
{
    auto project = parse_project(yaml, "compose.yaml", "/srv/shop", {}, "shop");
    EXPECT_TRUE(project.ok()) << (project.ok() ? "" : project.error().message());
    return project.ok() ? project.release_value() : Project {};
}

const char* k_project = R"(
services:
  web:
    image: busybox:1.35.0
    depends_on:
      app:
        condition: service_healthy
    networks: [front]
  app:
    image: busybox:1.35.0
    depends_on: [db]
    networks: [front, back]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  db:
    image: busybox:1.35.0
    volumes: ["data:/data"]
    networks:
      back:
        aliases: [database]
networks:
  front:
  back:
volumes:
  data:
)";

} // namespace

TEST(ComposePlanTest, StartOrderPutsDependenciesFirst)
{
    auto project = parse_ok(k_project);

    auto order = start_order(project);

    ASSERT_TRUE(order.ok());
    EXPECT_EQ(order.value(), (std::vector<std::string> { "db", "app", "web" }));
}

TEST(ComposePlanTest, IndependentServicesKeepFileOrder)
{
    auto project = parse_ok("services:\n  c:\n    image: x\n  a:\n    image: x\n  b:\n    image: "
                            "x\n    depends_on: [c]\n");

    EXPECT_EQ(start_order(project).value(), (std::vector<std::string> { "c", "a", "b" }));
}

TEST(ComposePlanTest, PlanCreatesNetworksThenVolumesThenServices)
{
    auto project = parse_ok(k_project);

    auto steps = plan_up(project, {}, false);

    ASSERT_TRUE(steps.ok());
    std::vector<std::string> objects;
    for (const auto& step : steps.value())
        objects.push_back(step.object);
    EXPECT_EQ(objects,
        (std::vector<std::string> {
            "shop_front", "shop_back", "shop_data", "shop-db-1", "shop-app-1", "shop-web-1" }));
    EXPECT_EQ(steps.value()[5].detail, "start service web as shop-web-1 after app healthy");
}

TEST(ComposePlanTest, UpOfOneServiceIncludesItsDependencies)
{
    auto project = parse_ok(k_project);

    auto steps = plan_up(project, { "app" }, false);

    ASSERT_TRUE(steps.ok());
    EXPECT_EQ(steps.value().back().object, "shop-app-1");
    EXPECT_EQ(steps.value()[steps.value().size() - 2].object, "shop-db-1");
}

TEST(ComposePlanTest, ContainerBodyCarriesComposeLabelsAndNetworking)
{
    auto project = parse_ok(k_project);

    auto body = container_create_body(project, *project.service("db"), 1, false);

    const auto& labels = body["Labels"];
    EXPECT_EQ(labels["com.docker.compose.project"], "shop");
    EXPECT_EQ(labels["com.docker.compose.service"], "db");
    EXPECT_EQ(labels["com.docker.compose.container-number"], "1");
    EXPECT_EQ(labels["com.docker.compose.oneoff"], "False");
    EXPECT_EQ(labels["com.docker.compose.config-hash"].get<std::string>().size(), 64U);
    EXPECT_EQ(body["HostConfig"]["NetworkMode"], "shop_back");
    EXPECT_EQ(body["NetworkingConfig"]["EndpointsConfig"]["shop_back"]["Aliases"],
        Json({ "db", "database" }));
    EXPECT_EQ(body["HostConfig"]["Mounts"][0]["Source"], "shop_data");
    EXPECT_EQ(body["HostConfig"]["Mounts"][0]["Target"], "/data");
}

TEST(ComposePlanTest, SecondNetworkIsConnectedWithTheServiceAlias)
{
    auto project = parse_ok(k_project);

    auto connects = extra_network_connects(project, *project.service("app"));

    ASSERT_EQ(connects.size(), 1U);
    EXPECT_EQ(connects[0].first, "shop_back");
    EXPECT_EQ(connects[0].second["EndpointConfig"]["Aliases"], Json({ "app" }));
}

TEST(ComposePlanTest, HealthcheckIsSentInNanoseconds)
{
    auto project = parse_ok(k_project);

    auto body = container_create_body(project, *project.service("app"), 1, false);

    EXPECT_EQ(body["Healthcheck"]["Test"], Json({ "CMD", "true" }));
    EXPECT_EQ(body["Healthcheck"]["Interval"], 1000000000LL);
}

TEST(ComposePlanTest, ConfigHashChangesWithTheServiceButNotWithTheNumber)
{
    auto project = parse_ok(k_project);
    auto changed = project;
    changed.services[0].environment.push_back("X=1");

    auto hash = config_hash(project, project.services[0]);

    EXPECT_EQ(hash,
        container_create_body(
            project, project.services[0], 2, false)["Labels"]["com.docker.compose.config-hash"]);
    EXPECT_NE(hash, config_hash(changed, changed.services[0]));
}

TEST(ComposePlanTest, NetworkAndVolumeBodiesAreLabelledForTheProject)
{
    auto project = parse_ok(k_project);

    auto network = network_create_body(project, *project.network("front"));
    auto volume = volume_create_body(project, *project.volume("data"));

    EXPECT_EQ(network["Name"], "shop_front");
    EXPECT_EQ(network["Labels"]["com.docker.compose.network"], "front");
    EXPECT_EQ(network["Labels"]["com.docker.compose.project"], "shop");
    EXPECT_EQ(volume["Name"], "shop_data");
    EXPECT_EQ(volume["Labels"]["com.docker.compose.volume"], "data");
}

} // namespace engine::compose
