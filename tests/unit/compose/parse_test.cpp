// The compose parser: the model it builds from a realistic file, and the errors it gives for
// bad files (each must name the file, the line and the key).
#include "engine/compose/parse.h"

#include <gtest/gtest.h>

namespace engine::compose {

namespace {

const char* k_three_services = R"(
name: Demo_App
services:
  web:
    image: busybox:${TAG:-1.35.0}
    command: httpd -f -p 8080 -h /www
    ports:
      - "127.0.0.1:18080:8080"
      - target: 9090
        published: "19090"
    networks:
      front:
        aliases: [www]
    depends_on:
      app:
        condition: service_healthy
    volumes:
      - ./site:/www:ro
  app:
    image: busybox:1.35.0
    command: ["sh", "-c", "sleep 1000"]
    environment:
      MODE: production
      FROM_SHELL:
    env_file: app.env
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 3
      start_period: 1m30s
    depends_on: [db]
    networks: [front, back]
    deploy:
      resources:
        limits:
          memory: 64m
          cpus: "0.5"
  db:
    image: busybox:1.35.0
    environment:
      - A=1
      - B
    volumes:
      - data:/var/lib/db
      - type: tmpfs
        target: /cache
    secrets: [db_password]
    networks:
      back:
        ipv4_address: 10.99.0.10
    restart: on-failure:3
    stop_grace_period: 5s
    init: true
networks:
  front: {}
  back:
    driver: bridge
    ipam:
      config:
        - subnet: 10.99.0.0/24
volumes:
  data:
secrets:
  db_password:
    file: ./secret.txt
)";

Project parse_ok(std::string_view yaml, const Environment& env = {}, const std::string& name = {})
{
    auto project = parse_project(yaml, "compose.yaml", "/srv/demo", env, name);
    EXPECT_TRUE(project.ok()) << (project.ok() ? "" : project.error().message());
    return project.ok() ? project.release_value() : Project {};
}

std::string parse_error(std::string_view yaml, const Environment& env = {})
{
    auto project = parse_project(yaml, "compose.yaml", "/srv/demo", env);
    EXPECT_FALSE(project.ok());
    return project.ok() ? std::string() : project.error().message();
}

} // namespace

TEST(ComposeParseTest, ThreeServiceFileBuildsTheFullModel)
{
    // env_file is read from the project directory; point it at a file that does not exist
    // by dropping that key for this case.
    std::string yaml = k_three_services;
    yaml.replace(yaml.find("    env_file: app.env\n"), 22, "");

    auto project = parse_ok(yaml, { { "FROM_SHELL", "yes" } });

    EXPECT_EQ(project.name, "demo_app");
    ASSERT_EQ(project.services.size(), 3U);
    const auto& web = *project.service("web");
    EXPECT_EQ(web.image, "busybox:1.35.0");
    EXPECT_EQ(
        *web.command, (std::vector<std::string> { "httpd", "-f", "-p", "8080", "-h", "/www" }));
    ASSERT_EQ(web.ports.size(), 2U);
    EXPECT_EQ(web.ports[0].host_ip, "127.0.0.1");
    EXPECT_EQ(web.ports[0].published, "18080");
    EXPECT_EQ(web.ports[0].target, 8080);
    EXPECT_EQ(web.ports[1].target, 9090);
    ASSERT_EQ(web.volumes.size(), 1U);
    EXPECT_EQ(web.volumes[0].type, "bind");
    EXPECT_EQ(web.volumes[0].source, "/srv/demo/site");
    EXPECT_TRUE(web.volumes[0].read_only);
    EXPECT_EQ(web.networks[0].aliases, std::vector<std::string> { "www" });
    EXPECT_EQ(web.depends_on[0].condition, "service_healthy");

    const auto& app = *project.service("app");
    EXPECT_EQ(app.environment, (std::vector<std::string> { "MODE=production", "FROM_SHELL=yes" }));
    ASSERT_TRUE(app.healthcheck);
    EXPECT_EQ(app.healthcheck->test, (std::vector<std::string> { "CMD", "true" }));
    EXPECT_EQ(app.healthcheck->interval_ns, 1000000000LL);
    EXPECT_EQ(app.healthcheck->start_period_ns, 90000000000LL);
    EXPECT_EQ(app.healthcheck->retries, 3);
    EXPECT_EQ(app.memory_limit, 64LL * 1024 * 1024);
    EXPECT_EQ(app.nano_cpus, 500000000LL);
    EXPECT_EQ(app.networks.size(), 2U);

    const auto& db = *project.service("db");
    EXPECT_EQ(db.environment, std::vector<std::string> { "A=1" }); // B is unset in the shell.
    EXPECT_EQ(db.volumes[0].type, "volume");
    EXPECT_EQ(db.volumes[0].source, "data");
    EXPECT_EQ(db.volumes[1].type, "tmpfs");
    EXPECT_EQ(db.networks[0].ipv4_address, "10.99.0.10");
    EXPECT_EQ(db.restart, "on-failure:3");
    EXPECT_EQ(*db.stop_grace_period_ns, 5000000000LL);
    EXPECT_TRUE(*db.init);
    EXPECT_EQ(db.secrets[0].target, "db_password");

    EXPECT_EQ(project.network("front")->name, "demo_app_front");
    EXPECT_EQ(project.network("back")->ipam_config[0].subnet, "10.99.0.0/24");
    EXPECT_EQ(project.network("default"), nullptr); // Every service lists its networks.
    EXPECT_EQ(project.volume("data")->name, "demo_app_data");
    EXPECT_EQ(project.secret("db_password")->file, "/srv/demo/secret.txt");
}

TEST(ComposeParseTest, ServicesWithoutNetworksJoinTheProjectDefaultNetwork)
{
    auto project = parse_ok("services:\n  a:\n    image: busybox\n", {}, "p");

    ASSERT_NE(project.network("default"), nullptr);
    EXPECT_EQ(project.network("default")->name, "p_default");
    EXPECT_EQ(project.services[0].networks[0].name, "default");
}

TEST(ComposeParseTest, ProjectNameComesFromTheFolderWhenNotGiven)
{
    auto project
        = parse_project("services:\n  a:\n    image: x\n", "compose.yaml", "/home/me/My.Shop", {});

    ASSERT_TRUE(project.ok());
    EXPECT_EQ(project.value().name, "myshop");
}

TEST(ComposeParseTest, NormalizeProjectNameFollowsCompose)
{
    EXPECT_EQ(normalize_project_name("My Project_2"), "myproject_2");
    EXPECT_EQ(normalize_project_name("__x-Y"), "x-y");
    EXPECT_EQ(normalize_project_name("!!!"), "");
}

TEST(ComposeParseTest, UnknownKeyNamesFileLineAndKey)
{
    auto message = parse_error("services:\n  web:\n    image: busybox\n    imagee: typo\n");

    EXPECT_NE(message.find("compose.yaml:4: services.web.imagee: unknown key"), std::string::npos)
        << message;
}

TEST(ComposeParseTest, WrongTypeNamesFileLineAndKey)
{
    auto message = parse_error("services:\n  web:\n    image: busybox\n    ports:\n      a: 1\n");

    EXPECT_NE(message.find("compose.yaml:5: services.web.ports: expected a list, got a mapping"),
        std::string::npos)
        << message;
}

TEST(ComposeParseTest, DependencyCycleIsReportedWithItsPath)
{
    auto message = parse_error(R"(services:
  a:
    image: x
    depends_on: [b]
  b:
    image: x
    depends_on: [c]
  c:
    image: x
    depends_on: [a]
)");

    EXPECT_NE(message.find("compose.yaml:"), std::string::npos) << message;
    EXPECT_NE(message.find("depends_on: dependency cycle: a -> b -> c -> a"), std::string::npos)
        << message;
}

TEST(ComposeParseTest, MissingRequiredVariableNamesFileLineAndKey)
{
    auto message = parse_error("services:\n  db:\n    image: busybox\n    environment:\n      "
                               "PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD}\n");

    EXPECT_NE(message.find("compose.yaml:5: services.db.environment.PASSWORD: required variable "
                           "DB_PASSWORD is missing a value: set DB_PASSWORD"),
        std::string::npos)
        << message;
}

TEST(ComposeParseTest, UndeclaredNamedVolumeIsRefused)
{
    auto message
        = parse_error("services:\n  db:\n    image: busybox\n    volumes: [\"data:/d\"]\n");

    EXPECT_NE(message.find("named volume \"data\" is not declared"), std::string::npos) << message;
}

TEST(ComposeParseTest, DependencyOnUnknownServiceIsRefused)
{
    auto message = parse_error("services:\n  web:\n    image: busybox\n    depends_on: [dbb]\n");

    EXPECT_NE(
        message.find("compose.yaml:4: services.web.depends_on: service \"dbb\" is not defined"),
        std::string::npos)
        << message;
}

TEST(ComposeParseTest, BadConditionIsRefused)
{
    auto message = parse_error("services:\n  a:\n    image: x\n  web:\n    image: x\n    "
                               "depends_on:\n      a:\n        condition: healthy\n");

    EXPECT_NE(
        message.find("compose.yaml:8: services.web.depends_on.a.condition: unknown condition"),
        std::string::npos)
        << message;
}

TEST(ComposeParseTest, MalformedYamlReportsTheParserLine)
{
    auto message = parse_error("services:\n  web:\n    image: [unclosed\n");

    EXPECT_EQ(message.rfind("compose.yaml:", 0), 0U) << message;
}

TEST(ComposeParseTest, AliasBombIsRefusedAsExcessiveAliasing)
{
    std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    std::string previous = "a";
    for (char level = 'b'; level <= 'h'; ++level) {
        std::string name(1, level);
        yaml += name + ": &" + name + " [";
        for (int i = 0; i < 10; ++i)
            yaml += std::string(i ? ", " : "") + "*" + previous;
        yaml += "]\n";
        previous = name;
    }
    yaml += "services:\n  web:\n    image: busybox\n";

    auto message = parse_error(yaml);

    EXPECT_NE(message.find("excessive aliasing"), std::string::npos) << message;
}

TEST(ComposeParseTest, AliasInsideItsOwnAnchorIsRefusedNotFollowedForever)
{
    // yaml-cpp turns this into a cyclic node; walking it recursed until the stack overflowed.
    auto message = parse_error("x-a: &a [1, *a]\nservices:\n  web:\n    image: busybox\n");

    EXPECT_NE(message.find("alias refers to its own anchor"), std::string::npos) << message;
}

TEST(ComposeParseTest, DocumentNestedDeeperThanTheLimitIsRefused)
{
    std::string deep = "x-deep: " + std::string(k_max_node_depth + 10, '[') + std::string(k_max_node_depth + 10, ']');

    auto message = parse_error(deep + "\nservices:\n  web:\n    image: busybox\n");

    EXPECT_NE(message.find("nests deeper than 256 levels"), std::string::npos) << message;
}

TEST(ComposeParseTest, DurationsAndSizesPastInt64AreRefusedNotWrapped)
{
    // Found by the compose fuzzer: converting 4e62 to int64 is undefined behaviour.
    EXPECT_FALSE(parse_duration_ns("444444444444444444444444444444444444444s").ok());
    EXPECT_FALSE(parse_duration_ns("99999999999999999999").ok());
    EXPECT_FALSE(parse_duration_ns("9300000000").ok());
    EXPECT_FALSE(parse_bytes("444444444444444444444444444444g").ok());
    EXPECT_EQ(parse_duration_ns("9000000000").value(), 9000000000LL * 1000000000LL);
    EXPECT_EQ(parse_bytes("8g").value(), 8LL << 30);
}

TEST(ComposeParseTest, CommandStringIsSplitLikeAShell)
{
    auto words = split_command(R"(sh -c 'echo "a b"' "c d" e\ f)");

    ASSERT_TRUE(words.ok());
    EXPECT_EQ(
        words.value(), (std::vector<std::string> { "sh", "-c", "echo \"a b\"", "c d", "e f" }));
}

TEST(ComposeParseTest, DurationsAndSizesParse)
{
    EXPECT_EQ(parse_duration_ns("1m30s").value(), 90000000000LL);
    EXPECT_EQ(parse_duration_ns("500ms").value(), 500000000LL);
    EXPECT_FALSE(parse_duration_ns("5 minutes").ok());
    EXPECT_EQ(parse_bytes("1g").value(), 1024LL * 1024 * 1024);
    EXPECT_EQ(parse_bytes("512").value(), 512);
    EXPECT_FALSE(parse_bytes("lots").ok());
}

TEST(ComposeParseTest, ExtensionKeysAreIgnored)
{
    auto project = parse_ok(
        "x-common: &c\n  image: busybox\nservices:\n  a:\n    image: busybox\n    x-note: hi\n", {},
        "p");

    EXPECT_EQ(project.services.size(), 1U);
}

} // namespace engine::compose
