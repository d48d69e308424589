// Docker's list filters without a daemon: label filters are ANDed (dockerd's MatchKVList), the
// other keys take any of their values, and bad keys or values are refused in dockerd's words.
#include "engine/daemon/filters.h"

#include <gtest/gtest.h>

#include "engine/daemon/engine.h"

namespace engine::daemon {

namespace {

ContainerView container(const std::string& name, Status status, std::map<std::string, std::string> labels)
{
    ContainerView view;
    view.id = "0123456789abcdef";
    view.name = name;
    view.state.status = status;
    view.config.labels = std::move(labels);
    view.image_id = "sha256:aaaa";
    view.config.image = engine::image::ImageName::parse("busybox:1.36").value();
    return view;
}

bool passes(const ContainerView& view, const Filters& filters)
{
    auto result = container_passes_filters(view, filters, {});
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().describe());
    return result.ok() && result.value();
}

} // namespace

TEST(FiltersTest, EveryLabelFilterMustMatch)
{
    std::map<std::string, std::string> labels { { "project", "shop" }, { "service", "web" } };
    EXPECT_TRUE(labels_match_all(labels, { "project=shop", "service=web" }));
    EXPECT_TRUE(labels_match_all(labels, { "project" }));
    EXPECT_FALSE(labels_match_all(labels, { "project=shop", "service=db" }));
    EXPECT_FALSE(labels_match_all(labels, { "oneoff" }));
    EXPECT_TRUE(labels_match_all(labels, {}));
}

TEST(FiltersTest, ComposeServiceLabelsSelectOnlyThatServicesContainers)
{
    auto web = container("shop_web_1", Status::Running, { { "com.docker.compose.project", "shop" }, { "com.docker.compose.service", "web" } });
    auto db = container("shop_db_1", Status::Running, { { "com.docker.compose.project", "shop" }, { "com.docker.compose.service", "db" } });
    Filters filters { { "label", { "com.docker.compose.project=shop", "com.docker.compose.service=web" } } };
    EXPECT_TRUE(passes(web, filters));
    EXPECT_FALSE(passes(db, filters));
}

TEST(FiltersTest, OtherKeysAcceptAnyOfTheirValues)
{
    auto web = container("web", Status::Exited, {});
    web.state.exit_code = 3;
    EXPECT_TRUE(passes(web, { { "status", { "running", "exited" } } }));
    EXPECT_FALSE(passes(web, { { "status", { "running" } } }));
    EXPECT_TRUE(passes(web, { { "exited", { "1", "3" } } }));
    EXPECT_TRUE(passes(web, { { "name", { "^/we" } } }));
    EXPECT_FALSE(passes(web, { { "name", { "^/db" } } }));
    EXPECT_TRUE(passes(web, { { "id", { "0123" } } }));
    EXPECT_TRUE(passes(web, { { "ancestor", { "busybox:1.36" } } }));
}

TEST(FiltersTest, AncestorResolvesAReferenceThroughTheResolver)
{
    auto web = container("web", Status::Running, {});
    ImageResolver resolve = [](const std::string& ref) -> std::optional<std::string> {
        return ref == "my-busybox" ? std::optional<std::string>("sha256:aaaa") : std::nullopt;
    };
    EXPECT_TRUE(container_passes_filters(web, { { "ancestor", { "my-busybox" } } }, resolve).value());
    EXPECT_FALSE(container_passes_filters(web, { { "ancestor", { "alpine" } } }, resolve).value());
}

TEST(FiltersTest, UnknownKeysAndBadValuesAreRefusedInDockerdsWords)
{
    auto web = container("web", Status::Running, {});
    auto bad_key = container_passes_filters(web, { { "colour", { "red" } } }, {});
    ASSERT_FALSE(bad_key.ok());
    EXPECT_EQ(bad_key.error().message(), "invalid filter 'colour'");
    auto bad_status = container_passes_filters(web, { { "status", { "sleeping" } } }, {});
    ASSERT_FALSE(bad_status.ok());
    EXPECT_EQ(bad_status.error().message(), "invalid filter 'status=sleeping'");
    auto bad_name = container_passes_filters(web, { { "name", { "([" } } }, {});
    ASSERT_FALSE(bad_name.ok());
    EXPECT_EQ(bad_name.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(filter_bool("True"), true);
    EXPECT_EQ(filter_bool("0"), false);
    EXPECT_EQ(filter_bool("maybe"), std::nullopt);
}

} // namespace engine::daemon
