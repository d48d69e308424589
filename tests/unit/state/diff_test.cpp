// The snapshot diff on hand-built snapshots: additions, removals, changes, noise filtering, JSON.
#include "engine/state/diff.h"

#include <gtest/gtest.h>

#include "tests/unit/state/sample_snapshot.h"

using namespace engine::state; // NOLINT(google-build-using-namespace): test file.

namespace {

const Change* find_change(const Diff& diff, const std::string& key)
{
    for (const auto& change : diff.changes) {
        if (change.key == key)
            return &change;
    }
    return nullptr;
}

} // namespace

TEST(DiffTest, EqualSnapshotsHaveNoChanges)
{
    auto diff = diff_snapshots(sample_snapshot(), sample_snapshot());

    EXPECT_TRUE(diff.changes.empty());
    EXPECT_EQ(render_diff(diff), "no changes\n");
}

TEST(DiffTest, NewContainerNetworkShowsNamespaceVethPairAndOverlay)
{
    auto after = sample_snapshot();
    auto before = after;
    before.containers.clear();
    before.namespaces.clear();
    before.mounts.clear();
    before.links.resize(1); // Only the bridge existed.
    before.addresses.clear();
    before.routes.clear();
    before.processes.resize(1);
    before.cgroups.clear();

    auto diff = diff_snapshots(before, after);

    const auto* ns = find_change(diff, "net:[4026532500]");
    ASSERT_NE(ns, nullptr);
    EXPECT_EQ(ns->type, ChangeType::Added);
    EXPECT_EQ(ns->sentence, "new network namespace net:[4026532500] for container web (kept alive by /run/glassbox/netns/c0ffee)");
    const auto* veth = find_change(diff, "link:4026531840:5");
    ASSERT_NE(veth, nullptr);
    EXPECT_EQ(veth->sentence, "new veth pair gb-c0ffee (host, master glassbox0) <-> eth0 (in container web's netns)");
    const auto* overlay = find_change(diff, "mount:4026532502:900");
    ASSERT_NE(overlay, nullptr);
    EXPECT_EQ(overlay->sentence, "new overlay mount with 2 lower layers at / for container web");
    const auto* route = find_change(diff, "route:4026532500:main:default:2:0");
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(route->sentence, "new route default via 172.17.0.1 dev eth0 in container web's netns");
    // Exactly: container, process, namespace, mount, cgroup, two links, address, route.
    EXPECT_EQ(diff.changes.size(), 9U) << render_diff(diff);
}

TEST(DiffTest, RemovedLinkIsReportedWithBeforeContext)
{
    auto before = sample_snapshot();
    auto after = before;
    after.links.pop_back();

    auto diff = diff_snapshots(before, after);

    ASSERT_EQ(diff.changes.size(), 1U);
    EXPECT_EQ(diff.changes[0].type, ChangeType::Removed);
    EXPECT_EQ(render_diff(diff), "- removed veth pair eth0 (in container web's netns) <-> gb-c0ffee (host)\n");
}

TEST(DiffTest, ChangedFieldIsListed)
{
    auto before = sample_snapshot();
    auto after = before;
    after.links[0].mtu = 9000;

    auto diff = diff_snapshots(before, after);

    ASSERT_EQ(diff.changes.size(), 1U);
    EXPECT_EQ(diff.changes[0].type, ChangeType::Changed);
    EXPECT_EQ(diff.changes[0].fields, (std::vector<std::string> { "mtu: 0 -> 9000" }));
}

TEST(DiffTest, UsageCountersAreIgnoredUnlessAsked)
{
    auto before = sample_snapshot();
    auto after = before;
    after.cgroups[0].memory_current += 4096;

    EXPECT_TRUE(diff_snapshots(before, after).changes.empty());
    EXPECT_EQ(diff_snapshots(before, after, { .glassbox_only = false, .include_usage = true }).changes.size(), 1U);
}

TEST(DiffTest, ZombieTransitionIsNotNoise)
{
    auto before = sample_snapshot();
    auto after = before;
    after.processes[1].state = "Z";

    auto diff = diff_snapshots(before, after);

    ASSERT_EQ(diff.changes.size(), 1U);
    EXPECT_NE(diff.changes[0].sentence.find("zombie"), std::string::npos) << diff.changes[0].sentence;
}

TEST(DiffTest, GlassboxOnlyDropsHostObjects)
{
    auto before = sample_snapshot();
    auto after = before;
    ProcessInfo other;
    other.pid = 777;
    other.comm = "make";
    after.processes.push_back(other);

    EXPECT_EQ(diff_snapshots(before, after).changes.size(), 1U);
    EXPECT_TRUE(diff_snapshots(before, after, { .glassbox_only = true, .include_usage = false }).changes.empty());
}

TEST(DiffTest, JsonRoundTrip)
{
    auto before = sample_snapshot();
    auto after = before;
    after.links[0].mtu = 9000;
    after.nft_rules.clear();
    auto diff = diff_snapshots(before, after);

    auto back = diff_from_json(diff_to_json(diff));

    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(diff_to_json(back.value()), diff_to_json(diff));
    EXPECT_EQ(back.value().changes.size(), 2U);
}

TEST(DiffTest, FromJsonRejectsUnknownChangeType)
{
    nlohmann::json json = { { "changes", { { { "type", "moved" } } } } };

    auto result = diff_from_json(json);

    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find("changes[0]"), std::string::npos);
}
