// Headless panel tests: each panel over a hand-built snapshot emits exactly the items expected
// (a node per link, an edge per veth pair, a row per layer, shared layers marked, a badge per
// namespace), and nothing for objects that are not there.
#include <gtest/gtest.h>

#include "engine/state/diff.h"
#include "tests/unit/visualizer/test_snapshots.h"
#include "visualizer/app.h"

namespace visualizer::testing {

using engine::state::Snapshot;

class PanelsTest : public HeadlessImGui { };

TEST_F(PanelsTest, NetworkPanelDrawsANodePerLinkAndAnEdgePerVethPair)
{
    auto snapshot = classroom_snapshot();
    NetworkPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_network_panel(snapshot, state, context); });

    // Host: eth0 (uplink), glassbox0, gb-web, gb-db, eth0.10; web: eth0; db: eth0, mv0. No lo, no
    // docker0, no other daemon's veth.
    EXPECT_EQ(count(items, "link-node"), 8);
    EXPECT_EQ(count(items, "netns-box"), 3);
    EXPECT_EQ(count(items, "netns-box", "host"), 1);
    EXPECT_EQ(count(items, "veth-edge"), 2);
    EXPECT_EQ(count(items, "bridge-port-edge"), 2);
    EXPECT_EQ(count(items, "parent-edge"), 2);
    EXPECT_EQ(count(items, "link-node", "vlan vlan=10"), 1);
    EXPECT_EQ(count(items, "link-node", " uplink"), 1);
    EXPECT_EQ(count(items, "link-node", "macvlan"), 1);
    EXPECT_TRUE(state.layout.layout_error.empty()) << state.layout.layout_error;
}

TEST_F(PanelsTest, NetworkLayoutPutsEveryLinkInsideItsNamespaceBox)
{
    auto snapshot = classroom_snapshot();
    NetworkPanelState state;

    draw_twice([&](const PanelContext& context) { draw_network_panel(snapshot, state, context); });

    ASSERT_EQ(state.layout.nodes.size(), 8U);
    for (const auto& node : state.layout.nodes) {
        const auto& box = state.layout.boxes[node.box];
        EXPECT_GE(node.center.x, box.min.x) << node.key;
        EXPECT_LE(node.center.x, box.max.x) << node.key;
        EXPECT_GE(node.center.y, box.min.y) << node.key;
        EXPECT_LE(node.center.y, box.max.y) << node.key;
    }
}

TEST_F(PanelsTest, NetworkPanelJoinsIpvlanAndVlanChildrenToTheirParentAcrossNamespaces)
{
    // What the kernel lab records for ipvlan L3 and 802.1q: a parent on the host, an ipvlan
    // child moved into a container's netns, and a VLAN sub-interface moved into another.
    Snapshot snapshot;
    snapshot.host_namespaces = { { "net", 1000 } };
    engine::state::LinkInfo parent;
    parent.netns = 1000;
    parent.index = 7;
    parent.name = "lab0";
    parent.kind = "dummy";
    parent.owner = "network:lab";
    engine::state::LinkInfo ipvlan;
    ipvlan.netns = 2000;
    ipvlan.index = 2;
    ipvlan.name = "eth0";
    ipvlan.kind = "ipvlan";
    ipvlan.mode = "l3";
    ipvlan.parent_index = 7;
    ipvlan.parent_netns = 1000;
    ipvlan.owner = ""; // The lab's own namespaces: no glassbox owner.
    engine::state::LinkInfo vlan = ipvlan;
    vlan.netns = 3000;
    vlan.kind = "vlan";
    vlan.mode = "";
    vlan.vlan_id = 20;
    vlan.owner = "";
    snapshot.links = { parent, ipvlan, vlan };
    NetworkPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_network_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "netns-box"), 3);
    EXPECT_EQ(count(items, "link-node"), 3);
    EXPECT_EQ(count(items, "parent-edge"), 2);
    EXPECT_EQ(count(items, "link-node", "ipvlan"), 1);
    EXPECT_EQ(count(items, "link-node", "vlan vlan=20"), 1);
    EXPECT_EQ(count(items, "veth-edge"), 0);
}

TEST_F(PanelsTest, NetworkPanelShowsLoopbackAndAllHostLinksOnlyWhenAsked)
{
    auto snapshot = classroom_snapshot();
    NetworkPanelState state;
    state.options.show_loopback = true;
    state.options.show_all_host_links = true;

    auto items = draw_twice([&](const PanelContext& context) { draw_network_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "link-node"), 12);
}

TEST_F(PanelsTest, NetworkPanelDrawsNothingForAnEmptySnapshot)
{
    Snapshot snapshot;
    NetworkPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_network_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "link-node"), 0);
    EXPECT_EQ(count(items, "netns-box"), 0);
    EXPECT_EQ(count(items, "veth-edge"), 0);
}

TEST_F(PanelsTest, NetworkLayoutIsKeptUntilTheTopologyChanges)
{
    auto snapshot = classroom_snapshot();
    NetworkPanelState state;
    draw_twice([&](const PanelContext& context) { draw_network_panel(snapshot, state, context); });
    auto signature = state.layout.signature;

    auto later = snapshot;
    later.generation = 8;
    later.processes.clear();
    draw_twice([&](const PanelContext& context) { draw_network_panel(later, state, context); });
    EXPECT_EQ(state.layout.signature, signature);

    later.generation = 9;
    later.links.pop_back(); // mv0 is gone.
    auto items = draw_twice([&](const PanelContext& context) { draw_network_panel(later, state, context); });
    EXPECT_NE(state.layout.signature, signature);
    EXPECT_EQ(count(items, "link-node"), 7);
    EXPECT_EQ(count(items, "parent-edge"), 1);
}

TEST_F(PanelsTest, ImagesPanelDrawsARowPerLayerAndMarksSharedLayers)
{
    auto snapshot = classroom_snapshot();
    ImagesPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_images_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "image-stack"), 2);
    EXPECT_EQ(count(items, "layer-row"), 4);
    EXPECT_EQ(count(items, "layer-row", "shared"), 2); // The base layer, once in each stack.
    EXPECT_EQ(count(items, "overlay-mount"), 1);       // web's root overlay on its image.
}

TEST_F(PanelsTest, ImagesPanelDrawsNoRowsWithoutImages)
{
    Snapshot snapshot;
    ImagesPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_images_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "layer-row"), 0);
    EXPECT_EQ(count(items, "image-stack"), 0);
}

TEST_F(PanelsTest, ProcessesPanelDrawsABadgePerContainerNamespaceAndMarksZombies)
{
    auto snapshot = classroom_snapshot();
    ProcessesPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_processes_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "namespace-badge"), 4); // web net/pid/mnt, db net; not the host's.
    EXPECT_EQ(count(items, "process-row"), 2);     // web's two; no host process, db has none.
    EXPECT_EQ(count(items, "process-row", "zombie"), 1);
    EXPECT_EQ(count(items, "process-ns-badge"), 8); // Four namespaces for each of the two.
    EXPECT_EQ(count(items, "process-tree"), 2);
}

TEST_F(PanelsTest, ProcessesPanelListsHostNamespacesOnlyWhenAsked)
{
    auto snapshot = classroom_snapshot();
    ProcessesPanelState state;
    state.show_host_namespaces = true;

    auto items = draw_twice([&](const PanelContext& context) { draw_processes_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "namespace-badge"), 5);
}

TEST(ProcessesPanelTest, SignalDispositionReportsBlockedBeforeIgnoredBeforeCaught)
{
    auto snapshot = classroom_snapshot();
    const auto& sleep = snapshot.processes[0];
    const auto& shell = snapshot.processes[1];

    EXPECT_EQ(signal_disposition(sleep, "TERM"), "ignored");
    EXPECT_EQ(signal_disposition(sleep, "CHLD"), "blocked");
    EXPECT_EQ(signal_disposition(sleep, "KILL"), "default");
    EXPECT_EQ(signal_disposition(shell, "INT"), "caught");
}

TEST_F(PanelsTest, ContainersPanelDrawsARowPerContainerWithItsPublishedPorts)
{
    auto snapshot = classroom_snapshot();
    ContainersPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_containers_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "container-row"), 2);
    EXPECT_EQ(published_ports(snapshot, snapshot.containers[0]), std::vector<std::string> { "8080->80/tcp" });
    EXPECT_TRUE(published_ports(snapshot, snapshot.containers[1]).empty());
}

TEST_F(PanelsTest, VolumesPanelTellsNamedAnonymousBindAndTmpfsApart)
{
    auto snapshot = classroom_snapshot();
    VolumesPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_volumes_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "volume-row", "named"), 1);
    EXPECT_EQ(count(items, "volume-row", "anonymous"), 1);
    EXPECT_EQ(count(items, "mount-row"), 4); // Not the overlay root or /proc.
    EXPECT_EQ(count(items, "mount-row", "named volume"), 1);
    EXPECT_EQ(count(items, "mount-row", "anonymous volume"), 1);
    EXPECT_EQ(count(items, "mount-row", "bind (host access)"), 1);
    EXPECT_EQ(count(items, "mount-row", "tmpfs"), 1);
}

TEST_F(PanelsTest, CgroupsPanelDrawsGaugesForContainerCgroupsOnly)
{
    auto snapshot = classroom_snapshot();
    CgroupsPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_cgroups_panel(snapshot, state, context); });

    EXPECT_EQ(count(items, "cgroup-gauges"), 1);
}

TEST_F(PanelsTest, ChangesPanelListsTheDiffAndOtherPanelsShowRemovedObjects)
{
    auto before = classroom_snapshot();
    auto after = before;
    after.generation = 8;
    after.containers.pop_back(); // db removed.
    engine::state::ContainerInfo cache;
    cache.id = "cccc3333";
    cache.name = "cache";
    after.containers.push_back(cache);
    auto diff = engine::state::diff_snapshots(before, after);
    auto marks = marks_for(diff);
    PanelContext context;
    context.diff = &diff;
    context.marks = marks.get();
    context.highlight_age = 0.5;
    ChangesPanelState changes;
    ContainersPanelState containers;

    auto change_items = draw_twice([&](const PanelContext& c) { draw_changes_panel(after, changes, c); }, context);
    auto container_items = draw_twice([&](const PanelContext& c) { draw_containers_panel(after, containers, c); }, context);

    EXPECT_EQ(count(change_items, "change-row", "added"), 1);
    EXPECT_EQ(count(change_items, "change-row", "removed"), 1);
    EXPECT_EQ(count(container_items, "removed-ghost"), 1);
    EXPECT_NE(context.highlight("container:cccc3333"), 0U);
    EXPECT_EQ(context.highlight("container:aaaa1111"), 0U);
    context.highlight_age = highlight_seconds + 1;
    EXPECT_EQ(context.highlight("container:cccc3333"), 0U);
}

TEST_F(PanelsTest, BuildPanelMarksTheCurrentDockerfileLineAndEachStep)
{
    BuildLog log;
    log.dockerfile = "FROM busybox\nRUN echo hi > /hi\n\nCOPY a /a\nCMD [\"sh\"]\n";
    log.steps = { { 1, 4, 1, "FROM busybox", "", "", 0, "sha256:i1", {}, 0 },
        { 2, 4, 2, "RUN echo hi > /hi", "miss", "sha256:l2", 512, "sha256:i2", { "A /hi" }, 1 },
        { 3, 4, 4, "COPY a /a", "hit", "sha256:l3", 100, "sha256:i3", { "A /a" }, 1 } };
    BuildPanelState state;
    state.selected_step = 2;

    auto items = draw_twice([&](const PanelContext& context) { draw_build_panel(&log, state, context); });

    EXPECT_EQ(count(items, "dockerfile-line"), 5);
    EXPECT_EQ(count(items, "dockerfile-line", "current"), 1);
    EXPECT_EQ(count(items, "build-step"), 3);
    EXPECT_EQ(count(items, "build-step", "hit"), 1);
    EXPECT_EQ(count(items, "build-step", "miss"), 1);
    EXPECT_EQ(count(items, "build-file-change"), 1);
}

TEST_F(PanelsTest, BuildPanelDrawsNoStepsBeforeABuild)
{
    BuildPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_build_panel(nullptr, state, context); });

    EXPECT_EQ(count(items, "build-step"), 0);
}

TEST_F(PanelsTest, LessonPanelDrawsEachCheckWithItsResult)
{
    LessonView lesson;
    lesson.lesson_title = "Namespaces";
    lesson.step_title = "Run a container";
    lesson.count = 3;
    lesson.commands = { "glassbox run -d --name web busybox sleep 100" };
    lesson.checks = { { "container(web).status == \"running\"", true, "", "" },
        { "count(process(in: container(web))) == 2", false, "1", "start a second process" } };
    LessonPanelState state;

    auto items = draw_twice([&](const PanelContext& context) { draw_lesson_panel(&lesson, state, context); });
    auto none = draw_twice([&](const PanelContext& context) { draw_lesson_panel(nullptr, state, context); });

    EXPECT_EQ(count(items, "lesson-check"), 2);
    EXPECT_EQ(count(items, "lesson-check", "failed"), 1);
    EXPECT_EQ(count(none, "lesson-check"), 0);
}

TEST_F(PanelsTest, WholeAppDrawsEveryPanelAndQueuesNoRequestUntouched)
{
    Frame frame;
    frame.snapshot = std::make_shared<const Snapshot>(classroom_snapshot());
    AppState state;
    std::vector<UiRequest> requests;
    std::vector<DrawnItem> items;

    for (int i = 0; i < 2; ++i) {
        items.clear();
        ImGui::NewFrame();
        draw_app(frame, state, nullptr, requests, &items);
        ImGui::Render();
    }

    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 0);
    EXPECT_EQ(count(items, "container-row"), 2);
    EXPECT_EQ(count(items, "link-node"), 8);
    EXPECT_EQ(count(items, "layer-row"), 4);
    EXPECT_TRUE(requests.empty());
}

TEST(AppTest, EveryPanelHasANameAndAShortcut)
{
    for (const auto& info : panel_infos()) {
        EXPECT_EQ(find_panel(info.name), &info);
        EXPECT_EQ(std::string(info.shortcut).substr(0, 1), "F");
    }
    EXPECT_EQ(find_panel("nope"), nullptr);
}

} // namespace visualizer::testing
