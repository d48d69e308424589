// Timeline recording: a file written here replays to equal snapshots, without root.
#include "engine/state/record.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "engine/base/fs.h"
#include "engine/state/snapshot_json.h"
#include "tests/unit/state/sample_snapshot.h"

using namespace engine::state; // NOLINT(google-build-using-namespace): test file.

class RecordTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir_template[] = "/tmp/glassbox-state-record-XXXXXX";
        ASSERT_NE(::mkdtemp(dir_template), nullptr);
        m_dir = dir_template;
    }
    void TearDown() override { (void)engine::fs::remove_tree(m_dir); }

    std::string m_dir;
};

TEST_F(RecordTest, WrittenTimelineReplaysToEqualSnapshots)
{
    auto first = sample_snapshot();
    auto second = first;
    second.generation = 8;
    second.links.pop_back();
    auto path = m_dir + "/lesson.timeline";
    {
        auto writer = TimelineWriter::create(path);
        ASSERT_TRUE(writer.ok()) << writer.error().describe();
        ASSERT_TRUE(writer.value().write_snapshot(first).ok());
        ASSERT_TRUE(writer.value().write_event({ { "Type", "container" }, { "Action", "start" } }).ok());
        ASSERT_TRUE(writer.value().write_snapshot(second).ok());
        ASSERT_TRUE(writer.value().sync().ok());
    }

    auto entries = read_timeline(path);

    ASSERT_TRUE(entries.ok()) << entries.error().describe();
    ASSERT_EQ(entries.value().size(), 3U);
    EXPECT_EQ(snapshot_to_json(entries.value()[0].snapshot), snapshot_to_json(first));
    EXPECT_EQ(entries.value()[1].type, TimelineEntry::Type::Event);
    EXPECT_EQ(entries.value()[1].event["Action"], "start");
    EXPECT_EQ(snapshot_to_json(entries.value()[2].snapshot), snapshot_to_json(second));
}

TEST_F(RecordTest, MalformedLineIsNamedByNumber)
{
    auto path = m_dir + "/bad.timeline";
    ASSERT_TRUE(engine::fs::write_file_atomic(path,
        "{\"type\":\"header\",\"format\":\"glassbox-timeline\",\"schema_version\":1}\n{oops\n").ok());

    auto entries = read_timeline(path);

    ASSERT_FALSE(entries.ok());
    EXPECT_NE(entries.error().message().find("line 2"), std::string::npos) << entries.error().message();
}

TEST_F(RecordTest, LineNestedDeeperThanTheLimitIsRefusedNamingTheLine)
{
    // 100000 levels: parsing would succeed, and destroying the value then overflowed the stack.
    auto path = m_dir + "/deep.timeline";
    std::string deep = "{\"type\":\"event\",\"event\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    ASSERT_TRUE(engine::fs::write_file_atomic(path,
        "{\"type\":\"header\",\"format\":\"glassbox-timeline\",\"schema_version\":1}\n" + deep + "\n").ok());

    auto entries = read_timeline(path);

    ASSERT_FALSE(entries.ok());
    EXPECT_NE(entries.error().message().find("line 2"), std::string::npos) << entries.error().message();
    EXPECT_NE(entries.error().message().find("nested deeper than 256 levels"), std::string::npos) << entries.error().message();
    EXPECT_LT(entries.error().message().size(), 400U);
}

TEST_F(RecordTest, MalformedHugeLineIsQuotedShortly)
{
    auto path = m_dir + "/long.timeline";
    std::string garbage = "{\"type\":\"event\",\"event\":\"" + std::string(1 << 20, 'x');
    ASSERT_TRUE(engine::fs::write_file_atomic(path,
        "{\"type\":\"header\",\"format\":\"glassbox-timeline\",\"schema_version\":1}\n" + garbage + "\n").ok());

    auto entries = read_timeline(path);

    ASSERT_FALSE(entries.ok());
    EXPECT_NE(entries.error().message().find("not JSON"), std::string::npos) << entries.error().message();
    EXPECT_LT(entries.error().message().size(), 1000U);
}

TEST_F(RecordTest, FileWithoutHeaderIsRejected)
{
    auto path = m_dir + "/plain.json";
    ASSERT_TRUE(engine::fs::write_file_atomic(path, "{\"a\":1}\n").ok());

    auto reader = TimelineReader::open(path);

    ASSERT_FALSE(reader.ok());
    EXPECT_EQ(reader.error().kind(), engine::ErrorKind::InvalidArgument);
}

TEST_F(RecordTest, MissingFileIsAnError)
{
    EXPECT_FALSE(TimelineReader::open(m_dir + "/absent").ok());
}
