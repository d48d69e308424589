// The daemon's kept snapshots: all but the newest two are packed (deflated JSON), a packed one
// comes back equal to what was kept, lookups by generation and by time reach packed ones, the
// oldest go beyond 64, and memory stays bounded when nobody calls pack().
#include "engine/daemon/kept_snapshots.h"

#include <gtest/gtest.h>

#include "engine/base/strings.h"
#include "engine/state/snapshot_json.h"
#include "tests/unit/state/sample_snapshot.h"

using namespace engine;
using namespace engine::daemon;

namespace {

std::shared_ptr<const state::Snapshot> snapshot_at(std::uint64_t generation, int second)
{
    auto snapshot = sample_snapshot();
    snapshot.generation = generation;
    snapshot.taken_at = "2024-01-02T03:04:" + std::string(second < 10 ? "0" : "") + std::to_string(second) + ".000000000Z";
    snapshot.hostname = "host-" + std::to_string(generation);
    return std::make_shared<const state::Snapshot>(std::move(snapshot));
}

} // namespace

TEST(KeptSnapshotsTest, PackedSnapshotUnpacksToTheSameJsonAndIsSmaller)
{
    auto original = sample_snapshot();
    auto packed = pack_snapshot(original);
    ASSERT_TRUE(packed.ok()) << packed.error().describe();
    auto text = state::snapshot_to_json_text(original);
    EXPECT_EQ(packed.value().text_size, text.size());
    EXPECT_LT(packed.value().bytes.size(), text.size());
    auto back = unpack_snapshot(packed.value());
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(state::snapshot_to_json_text(back.value()), text);
}

TEST(KeptSnapshotsTest, CorruptPackedBytesAreAnErrorNotACrash)
{
    auto packed = pack_snapshot(sample_snapshot());
    ASSERT_TRUE(packed.ok());
    auto broken = packed.value();
    broken.bytes[broken.bytes.size() / 2] ^= 0x5a;
    broken.bytes.resize(broken.bytes.size() - 3);
    EXPECT_FALSE(unpack_snapshot(broken).ok());
}

TEST(KeptSnapshotsTest, AllButTheNewestTwoArePackedAndEachIsFoundByGeneration)
{
    KeptSnapshots kept;
    for (std::uint64_t g = 1; g <= 5; ++g)
        kept.add(snapshot_at(g, static_cast<int>(g)));
    kept.pack();
    auto usage = kept.usage();
    EXPECT_EQ(usage.kept, 5u);
    EXPECT_EQ(usage.whole, KeptSnapshots::whole);
    EXPECT_GT(usage.packed_bytes, 0u);
    for (std::uint64_t g = 1; g <= 5; ++g) {
        auto found = kept.find(g);
        ASSERT_TRUE(found.ok()) << g << ": " << found.error().describe();
        EXPECT_EQ(found.value()->generation, g);
        EXPECT_EQ(state::snapshot_to_json_text(*found.value()), state::snapshot_to_json_text(*snapshot_at(g, static_cast<int>(g))));
    }
    EXPECT_FALSE(kept.find(6).ok());
}

TEST(KeptSnapshotsTest, NewestBeforeATimeReachesPackedOnes)
{
    KeptSnapshots kept;
    for (std::uint64_t g = 1; g <= 6; ++g)
        kept.add(snapshot_at(g, static_cast<int>(g * 10)));
    kept.pack();
    std::chrono::system_clock::time_point when;
    ASSERT_TRUE(strings::parse_rfc3339("2024-01-02T03:04:25Z", when));
    auto found = kept.newest_before(when);
    ASSERT_TRUE(found.ok()) << found.error().describe();
    EXPECT_EQ(found.value()->generation, 2u); // Taken at :20, packed.
    ASSERT_TRUE(strings::parse_rfc3339("2024-01-02T03:04:05Z", when));
    EXPECT_FALSE(kept.newest_before(when).ok());
}

TEST(KeptSnapshotsTest, TheOldestGoBeyondCapacityAndWholeOnesStayBoundedWithoutPack)
{
    KeptSnapshots kept;
    for (std::uint64_t g = 1; g <= KeptSnapshots::capacity + 10; ++g) {
        kept.add(snapshot_at(g, static_cast<int>(g % 60)));
        EXPECT_LE(kept.usage().whole, 6u) << "after generation " << g;
    }
    EXPECT_EQ(kept.usage().kept, KeptSnapshots::capacity);
    EXPECT_FALSE(kept.find(10).ok());
    EXPECT_TRUE(kept.find(11).ok());
    EXPECT_TRUE(kept.find(KeptSnapshots::capacity + 10).ok());
}
