// Source tests: recordings (good, truncated, another schema version, not JSON), build events
// becoming a build log, and the live source fed stream lines by hand (no daemon).
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "engine/state/record.h"
#include "engine/state/snapshot_json.h"
#include "tests/unit/visualizer/test_snapshots.h"
#include "visualizer/sources/build_events.h"
#include "visualizer/sources/live_source.h"
#include "visualizer/sources/replay_source.h"

namespace visualizer::testing {

namespace {

class TempDir {
public:
    TempDir()
    {
        char pattern[] = "/tmp/viz-test-XXXXXX";
        m_path = ::mkdtemp(pattern);
    }
    ~TempDir() { std::system(("rm -rf " + m_path).c_str()); }
    [[nodiscard]] std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

void write(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

nlohmann::json build_event(const std::string& action, nlohmann::json attributes)
{
    return { { "Type", "build" }, { "Action", action }, { "Actor", { { "ID", "b1" }, { "Attributes", attributes } } } };
}

nlohmann::json stream_line(const nlohmann::json& event) { return { { "type", "event" }, { "event", event } }; }

// A recording of a three-step build between two snapshots.
std::string write_build_recording(const TempDir& dir)
{
    auto path = dir.file("build.timeline");
    auto writer = engine::state::TimelineWriter::create(path);
    EXPECT_TRUE(writer.ok());
    auto before = classroom_snapshot();
    EXPECT_TRUE(writer.value().write_snapshot(before).ok());
    EXPECT_TRUE(writer.value().write_event(stream_line(build_event("start", { { "dockerfile", "FROM busybox\nRUN a\nRUN b\n" } }))).ok());
    for (int step = 1; step <= 3; ++step) {
        nlohmann::json attributes = { { "step", std::to_string(step) }, { "total", "3" }, { "line", std::to_string(step) },
            { "instruction", step == 1 ? "FROM busybox" : "RUN x" }, { "cache", step == 1 ? "" : "miss" },
            { "layer", step == 1 ? "" : "sha256:l" + std::to_string(step) }, { "size", "100" }, { "changes", "A /f\nD /g" },
            { "changes_total", "2" } };
        EXPECT_TRUE(writer.value().write_event(stream_line(build_event("step", attributes))).ok());
    }
    EXPECT_TRUE(writer.value().write_event(stream_line(build_event("end", { { "image", "sha256:done" } }))).ok());
    auto after = before;
    after.generation = 8;
    after.containers.pop_back();
    EXPECT_TRUE(writer.value().write_snapshot(after).ok());
    return path;
}

} // namespace

TEST(BuildEventsTest, StepsAccumulateIntoTheLogOfTheirBuild)
{
    std::shared_ptr<const BuildLog> log;

    log = apply_build_event(log, build_event("start", { { "dockerfile", "FROM x\n" } }));
    log = apply_build_event(log, build_event("step", { { "step", "1" }, { "line", "1" }, { "cache", "hit" }, { "changes", "A /a\nC /b\n" }, { "size", "42" } }));
    log = apply_build_event(log, build_event("end", { { "error", "boom" } }));

    ASSERT_EQ(log->steps.size(), 1U);
    EXPECT_EQ(log->dockerfile, "FROM x\n");
    EXPECT_EQ(log->steps[0].cache, "hit");
    EXPECT_EQ(log->steps[0].size, 42U);
    EXPECT_EQ(log->steps[0].changes, (std::vector<std::string> { "A /a", "C /b" }));
    EXPECT_TRUE(log->finished);
    EXPECT_TRUE(log->failed);
    EXPECT_EQ(log->result, "boom");
}

TEST(BuildEventsTest, MalformedAttributesReadAsZeroInsteadOfThrowing)
{
    auto log = apply_build_event(nullptr, build_event("step", { { "step", "many" }, { "size", 12 } }));

    ASSERT_EQ(log->steps.size(), 1U);
    EXPECT_EQ(log->steps[0].step, 0);
    EXPECT_EQ(log->steps[0].size, 0U);
}

TEST(ReplaySourceTest, RecordedBuildStepsToItsThirdInstruction)
{
    TempDir dir;
    auto path = write_build_recording(dir);

    auto source = ReplaySource::open(path);

    ASSERT_TRUE(source.ok()) << source.error().describe();
    auto& replay = *source.value();
    EXPECT_EQ(replay.size(), 7);
    EXPECT_EQ(replay.position(), 0);
    int third = replay.position_of_build_step(3);
    ASSERT_EQ(third, 4);
    replay.seek(third);
    auto frame = replay.latest();
    ASSERT_TRUE(frame->build);
    EXPECT_EQ(frame->build->steps.size(), 3U);
    EXPECT_EQ(frame->build->steps.back().changes.size(), 2U);
    EXPECT_FALSE(frame->build->finished);
    replay.seek(6);
    EXPECT_TRUE(replay.latest()->diff);
    EXPECT_EQ(replay.latest()->snapshot->containers.size(), 1U);
    EXPECT_EQ(replay.position_of_build_step(4), -1);
}

TEST(ReplaySourceTest, PlayingStepsForwardAndStopsAtTheEnd)
{
    TempDir dir;
    auto source = ReplaySource::open(write_build_recording(dir));
    ASSERT_TRUE(source.ok());
    auto& replay = *source.value();
    replay.start(0.01);

    replay.set_playing(true);
    for (int i = 0; i < 200 && replay.playing(); ++i)
        ::usleep(10000);

    EXPECT_FALSE(replay.playing());
    EXPECT_EQ(replay.position(), replay.size() - 1);
    replay.stop();
}

TEST(ReplaySourceTest, TruncatedRecordingIsNamedAsTruncated)
{
    TempDir dir;
    auto good = write_build_recording(dir);
    std::ifstream in(good);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto path = dir.file("cut.timeline");
    write(path, text.substr(0, text.size() - 40));

    auto source = ReplaySource::open(path);

    ASSERT_FALSE(source.ok());
    auto message = source.error().describe();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(ReplaySourceTest, OtherSchemaVersionIsRefusedWithTheVersion)
{
    TempDir dir;
    auto path = dir.file("future.timeline");
    write(path, "{\"type\":\"header\",\"format\":\"glassbox-timeline\",\"schema_version\":99}\n");

    auto source = ReplaySource::open(path);

    ASSERT_FALSE(source.ok());
    auto message = source.error().describe();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("schema_version 99"), std::string::npos) << message;
}

TEST(ReplaySourceTest, NotJsonIsRefusedNamingTheFile)
{
    TempDir dir;
    auto path = dir.file("notes.txt");
    write(path, "hello, this is not a recording\n");

    auto source = ReplaySource::open(path);

    ASSERT_FALSE(source.ok());
    auto message = source.error().describe();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("not JSON"), std::string::npos) << message;
}

TEST(ReplaySourceTest, RecordingWithoutSnapshotsIsRefused)
{
    TempDir dir;
    auto path = dir.file("empty.timeline");
    write(path, "{\"type\":\"header\",\"format\":\"glassbox-timeline\",\"schema_version\":1}\n");

    auto source = ReplaySource::open(path);

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().describe().find("no snapshot"), std::string::npos);
}

TEST(LiveSourceTest, SnapshotLinesPublishFramesWithTheDiffBetweenThem)
{
    LiveSource source("/nonexistent.sock");
    int notified = 0;
    source.set_on_change([&] { ++notified; });
    auto first = classroom_snapshot();
    auto second = first;
    second.generation = 8;
    second.containers.pop_back();

    source.handle_line({ { "type", "snapshot" }, { "snapshot", engine::state::snapshot_to_json(first) } });
    auto frame = source.latest();
    EXPECT_TRUE(frame->connected);
    EXPECT_EQ(frame->snapshot->generation, 7U);
    EXPECT_FALSE(frame->diff);
    source.handle_line({ { "type", "tick" } });
    source.handle_line({ { "type", "snapshot" }, { "snapshot", engine::state::snapshot_to_json(second) } });
    source.handle_line(stream_line(build_event("step", { { "step", "1" } })));
    frame = source.latest();

    EXPECT_EQ(frame->snapshot->generation, 8U);
    ASSERT_TRUE(frame->diff);
    ASSERT_TRUE(frame->marks);
    EXPECT_EQ(frame->marks->count("container:bbbb2222"), 1U);
    ASSERT_TRUE(frame->build);
    EXPECT_EQ(frame->build->steps.size(), 1U);
    EXPECT_EQ(notified, 3);
}

TEST(LiveSourceTest, MissingDaemonShowsDisconnectedAndKeepsRetrying)
{
    LiveSource source("/nonexistent/glassbox.sock");

    source.start();
    for (int i = 0; i < 100 && source.latest()->status.rfind("disconnected", 0) != 0; ++i)
        ::usleep(20000);
    auto frame = source.latest();
    source.stop();

    EXPECT_FALSE(frame->connected);
    EXPECT_EQ(frame->status.rfind("disconnected", 0), 0U) << frame->status;
    EXPECT_NE(frame->status.find("/nonexistent/glassbox.sock"), std::string::npos) << frame->status;
}

} // namespace visualizer::testing
