// Router matching (literal routes first, one-segment and greedy parameters, HEAD falling back to
// GET) and the single ErrorKind -> status mapping.
#include "engine/api/router.h"

#include <gtest/gtest.h>

using namespace engine;
using namespace engine::api;

namespace {

Router image_router(std::string& hit)
{
    Router router;
    auto mark = [&hit](std::string name) { return [&hit, name](Exchange&) -> Result<void> { hit = name; return Ok {}; }; };
    router.add("GET", "/images/json", mark("list"));
    router.add("GET", "/images/{name*}/json", mark("inspect"));
    router.add("GET", "/images/{name*}/history", mark("history"));
    router.add("DELETE", "/images/{name*}", mark("delete"));
    router.add("GET", "/containers/{id}/json", mark("container"));
    return router;
}

} // namespace

TEST(RouterTest, GreedyImageRoutesDecideTheSuffixFromTheEnd)
{
    std::string hit;
    auto router = image_router(hit);

    auto inspect = router.match("GET", "/images/localhost:5000/foo/bar:1/json");
    auto history = router.match("GET", "/images/foo/bar:1/history");
    auto remove = router.match("DELETE", "/images/sha256:1cae9b38fe1a");
    auto list = router.match("GET", "/images/json");

    ASSERT_TRUE(inspect);
    EXPECT_EQ(inspect->params.at("name"), "localhost:5000/foo/bar:1");
    ASSERT_TRUE(history);
    EXPECT_EQ(history->params.at("name"), "foo/bar:1");
    ASSERT_TRUE(remove);
    EXPECT_EQ(remove->params.at("name"), "sha256:1cae9b38fe1a");
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->params.empty());
}

TEST(RouterTest, SingleSegmentParameterDoesNotSpanSlashes)
{
    std::string hit;
    auto router = image_router(hit);

    EXPECT_TRUE(router.match("GET", "/containers/web/json"));
    EXPECT_FALSE(router.match("GET", "/containers/a/b/json"));
    // Empty segments collapse: "/images//json" is the list, never an image with an empty name.
    auto collapsed = router.match("GET", "/images//json");
    ASSERT_TRUE(collapsed);
    EXPECT_FALSE(collapsed->params.count("name"));
    EXPECT_FALSE(router.match("POST", "/images/bb:1/json"));
}

TEST(RouterTest, ParametersArePercentDecoded)
{
    std::string hit;
    auto router = image_router(hit);

    auto m = router.match("GET", "/images/foo%2Fbar%3A1/json");

    ASSERT_TRUE(m);
    EXPECT_EQ(m->params.at("name"), "foo/bar:1");
}

TEST(RouterTest, HeadFallsBackToGet)
{
    std::string hit;
    auto router = image_router(hit);

    EXPECT_TRUE(router.match("HEAD", "/images/json"));
}

TEST(RouterTest, ErrorKindsMapToDockerStatusCodes)
{
    EXPECT_EQ(status_for(Error::not_found("No such container: x")), 404);
    EXPECT_EQ(status_for(Error::exists("name in use")), 409);
    EXPECT_EQ(status_for(Error::conflict("running")), 409);
    EXPECT_EQ(status_for(Error::invalid("bad")), 400);
    EXPECT_EQ(status_for(Error::make(ErrorKind::PermissionDenied, "active endpoints")), 403);
    EXPECT_EQ(status_for(Error::make(ErrorKind::NotModified, "already started")), 304);
    EXPECT_EQ(status_for(Error::unsupported("no")), 501);
    EXPECT_EQ(status_for(Error::system("boom")), 500);
    EXPECT_EQ(status_for(Error::from_errno("body too large", EMSGSIZE)), 413);
}

TEST(RouterTest, SplitPathDropsEmptySegments)
{
    EXPECT_EQ(split_path("/a//b/"), (std::vector<std::string> { "a", "b" }));
    EXPECT_TRUE(split_path("/").empty());
}
