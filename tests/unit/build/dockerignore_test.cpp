// Unit tests for .dockerignore matching and the layer-sharing report.
#include "engine/build/dockerignore.h"

#include <gtest/gtest.h>

#include "engine/build/layer_sharing.h"

using engine::build::clean_relative_path;
using engine::build::DockerIgnore;

TEST(DockerIgnoreTest, MatchesFilesDirectoriesAndDoubleStar)
{
    auto ignore = DockerIgnore::parse("# comment\n*.log\n/build\nsecrets/**\n**/*.tmp\n");

    ASSERT_TRUE(ignore.ok()) << ignore.error().message();
    EXPECT_TRUE(ignore.value().excluded("app.log"));
    EXPECT_FALSE(ignore.value().excluded("src/app.log")); // '*' stays within one element.
    EXPECT_TRUE(ignore.value().excluded("build"));
    EXPECT_TRUE(ignore.value().excluded("build/out/a.o")); // Below an excluded directory.
    EXPECT_TRUE(ignore.value().excluded("secrets/a/b"));
    EXPECT_TRUE(ignore.value().excluded("deep/er/x.tmp"));
    EXPECT_FALSE(ignore.value().excluded("src/main.c"));
}

TEST(DockerIgnoreTest, LastMatchWinsAndExceptionsReinclude)
{
    auto ignore = DockerIgnore::parse("docs\n!docs/README.md\n*.md\n!KEEP.md\n");

    ASSERT_TRUE(ignore.ok());
    EXPECT_TRUE(ignore.value().excluded("docs/guide.txt"));
    // "!docs/README.md" re-includes it, then "*.md" (one element) does not match docs/README.md.
    EXPECT_FALSE(ignore.value().excluded("docs/README.md"));
    EXPECT_TRUE(ignore.value().excluded("NOTES.md"));
    EXPECT_FALSE(ignore.value().excluded("KEEP.md"));
    EXPECT_TRUE(ignore.value().has_exceptions());
}

TEST(DockerIgnoreTest, UnclosedBracketNamesTheLine)
{
    auto ignore = DockerIgnore::parse("ok\nbad[\n");

    ASSERT_FALSE(ignore.ok());
    EXPECT_NE(ignore.error().message().find(".dockerignore:2"), std::string::npos);
}

TEST(DockerIgnoreTest, CleanRelativePath)
{
    EXPECT_EQ(clean_relative_path("./a//b/../c/"), "a/c");
    EXPECT_EQ(clean_relative_path("/"), "");
    EXPECT_EQ(clean_relative_path("../../etc/passwd"), "etc/passwd");
}

TEST(LayerSharingTest, SplitsSharedAndUniqueSizes)
{
    using engine::image::ImageRecord;
    using engine::image::LayerInfo;
    ImageRecord base { "sha256:base", { "busybox:1" }, { LayerInfo { "sha256:l1", "/l1", 1000 } }, {}, "", 0, 1000 };
    ImageRecord app { "sha256:app", { "app:1" },
        { LayerInfo { "sha256:l1", "/l1", 1000 }, LayerInfo { "sha256:l2", "/l2", 20 } }, {}, "", 0, 1020 };
    ImageRecord other { "sha256:other", {}, { LayerInfo { "sha256:l3", "/l3", 5 } }, {}, "", 0, 5 };

    auto report = engine::build::layer_sharing({ base, app, other });

    ASSERT_EQ(report.images.size(), 3u);
    EXPECT_EQ(report.images[0].shared_size, 1000u);
    EXPECT_EQ(report.images[0].unique_size, 0u);
    EXPECT_EQ(report.images[1].shared_size, 1000u);
    EXPECT_EQ(report.images[1].unique_size, 20u);
    EXPECT_EQ(report.images[2].shared_size, 0u);
    EXPECT_EQ(report.images[2].unique_size, 5u);
    ASSERT_EQ(report.layers.size(), 3u);
    EXPECT_EQ(report.layers[0].image_ids, (std::vector<std::string> { "sha256:base", "sha256:app" }));
    EXPECT_EQ(report.total_layer_bytes, 1025u);
    EXPECT_EQ(report.naive_bytes, 2025u);
}
