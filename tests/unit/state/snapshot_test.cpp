// Snapshot identity keys, signal decoding, JSON round trip and filters, on hand-built snapshots.
#include "engine/state/snapshot.h"

#include <gtest/gtest.h>

#include "engine/state/snapshot_json.h"
#include "tests/unit/state/sample_snapshot.h"

using namespace engine::state; // NOLINT(google-build-using-namespace): test file.

TEST(SnapshotTest, DecodeSignalMaskNamesTermAndInt)
{
    auto names = decode_signal_mask("0000000000004002");

    EXPECT_EQ(names, (std::vector<std::string> { "INT", "TERM" }));
}

TEST(SnapshotTest, DecodeSignalMaskNamesRealtimeSignals)
{
    // Bits 31 (signal 32, RTMIN), 33 (RTMIN+2) and 63 (RTMAX).
    auto names = decode_signal_mask("8000000280000000");

    EXPECT_EQ(names, (std::vector<std::string> { "RTMIN", "RTMIN+2", "RTMAX" }));
}

TEST(SnapshotTest, DecodeSignalMaskRejectsGarbage)
{
    EXPECT_TRUE(decode_signal_mask("zz").empty());
}

TEST(SnapshotTest, IdentityKeysNameTypeAndInode)
{
    NamespaceInfo ns;
    ns.type = "net";
    ns.inode = 4026532001;

    EXPECT_EQ(identity_key(ns), "net:[4026532001]");
}

TEST(SnapshotTest, JsonRoundTripGivesEqualSnapshot)
{
    auto snapshot = sample_snapshot();

    auto json = snapshot_to_json(snapshot);
    auto back = snapshot_from_json(json);

    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(snapshot_to_json(back.value()), json);
    EXPECT_EQ(json["links"][1]["key"], "link:4026531840:5");
}

TEST(SnapshotTest, FromJsonNamesTheBadField)
{
    auto json = snapshot_to_json(sample_snapshot());
    json["processes"][0]["pid"] = "not a number";

    auto result = snapshot_from_json(json);

    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find("processes[0]"), std::string::npos) << result.error().message();
}

TEST(SnapshotTest, ParseRefusesNestingDeeperThanTheLimit)
{
    std::string deep = "{\"schema_version\":1,\"warnings\":" + std::string(100000, '[') + std::string(100000, ']') + "}";

    auto result = parse_snapshot(deep);

    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find("nested deeper than 256 levels"), std::string::npos) << result.error().message();
}

TEST(SnapshotTest, ParseWithTheDepthCheckStillReadsAWrittenSnapshot)
{
    auto text = snapshot_to_json(sample_snapshot()).dump();

    auto result = parse_snapshot(text);

    ASSERT_TRUE(result.ok()) << result.error().message();
    EXPECT_EQ(snapshot_to_json(result.value()), snapshot_to_json(sample_snapshot()));
}

TEST(SnapshotTest, FromJsonRejectsNewerSchema)
{
    auto json = snapshot_to_json(sample_snapshot());
    json["schema_version"] = snapshot_schema_version + 1;

    auto result = snapshot_from_json(json);

    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind(), engine::ErrorKind::InvalidArgument);
}

TEST(SnapshotTest, FilterByContainerKeepsOnlyItsObjects)
{
    auto snapshot = sample_snapshot();

    auto filtered = filter_snapshot(snapshot, { "web", "" });

    ASSERT_TRUE(filtered.ok());
    ASSERT_EQ(filtered.value().containers.size(), 1U);
    for (const auto& process : filtered.value().processes)
        EXPECT_EQ(process.container_id, "c0ffee");
    EXPECT_EQ(filtered.value().links.size(), 2U); // eth0 inside, gb-c0ffee on the host.
    EXPECT_EQ(filtered.value().images.size(), 1U);
}

TEST(SnapshotTest, FilterByKindKeepsOneArray)
{
    auto json = snapshot_to_json(sample_snapshot(), { "", "links" });

    ASSERT_TRUE(json.ok());
    EXPECT_TRUE(json.value().contains("links"));
    EXPECT_FALSE(json.value().contains("processes"));
}

TEST(SnapshotTest, FilterRejectsUnknownKindAndContainer)
{
    auto bad_kind = filter_snapshot(sample_snapshot(), { "", "widgets" });
    auto bad_container = filter_snapshot(sample_snapshot(), { "nope", "" });

    ASSERT_FALSE(bad_kind.ok());
    EXPECT_EQ(bad_kind.error().kind(), engine::ErrorKind::InvalidArgument);
    ASSERT_FALSE(bad_container.ok());
    EXPECT_EQ(bad_container.error().kind(), engine::ErrorKind::NotFound);
}

TEST(SnapshotTest, DescribeNetnsNamesHostAndContainer)
{
    auto snapshot = sample_snapshot();

    EXPECT_EQ(describe_netns(snapshot, 4026531840), "the host");
    EXPECT_EQ(describe_netns(snapshot, 4026532500), "container web's netns");
}
