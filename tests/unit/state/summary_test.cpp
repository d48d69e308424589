// The readable views: `glassbox state` summary, `--kind` listings and `glassbox replay` lines.
#include <gtest/gtest.h>

#include "engine/state/summary.h"
#include "sample_snapshot.h"

using namespace engine::state; // NOLINT(google-build-using-namespace): test file.

TEST(StateSummary, ShowsPid1WithHostPidAndNspid)
{
    auto text = render_summary(sample_snapshot());
    EXPECT_NE(text.find("container web (c0ffee), running, image busybox:latest"), std::string::npos) << text;
    EXPECT_NE(text.find("PID 1: host PID 4242, NSpid [4242, 1]"), std::string::npos) << text;
    EXPECT_NE(text.find("catches TERM"), std::string::npos) << text;
}

TEST(StateSummary, ShowsOverlayLayersTopmostFirst)
{
    auto text = render_summary(sample_snapshot());
    auto first = text.find("1. layer l2 made by \"RUN x\"");
    auto second = text.find("2. layer l1 made by \"ADD rootfs.tar /\"");
    ASSERT_NE(first, std::string::npos) << text;
    ASSERT_NE(second, std::string::npos) << text;
    EXPECT_LT(first, second);
    EXPECT_NE(text.find("overlay with 2 lower layers"), std::string::npos) << text;
}

TEST(StateSummary, ShowsCgroupLimitAndUsage)
{
    auto text = render_summary(sample_snapshot());
    EXPECT_NE(text.find("cgroup unified:/glassbox/c0ffee: memory 1.05MB used of 67.1MB"), std::string::npos) << text;
}

TEST(StateSummary, ShowsVethPeerAddressAndRouteInContainerNetns)
{
    auto text = render_summary(sample_snapshot());
    EXPECT_NE(text.find("network namespace net:[4026532500]"), std::string::npos) << text;
    EXPECT_NE(text.find("eth0 veth <-> gb-c0ffee (the host, master glassbox0)"), std::string::npos) << text;
    EXPECT_NE(text.find("inet 172.17.0.2/16"), std::string::npos) << text;
    EXPECT_NE(text.find("routes: default via 172.17.0.1 dev eth0"), std::string::npos) << text;
    EXPECT_NE(text.find("tcp dport 8080 dnat to 172.17.0.2:80"), std::string::npos) << text;
}

TEST(StateSummary, NamespacesSharedWithTheHostAreNamed)
{
    auto snapshot = sample_snapshot();
    snapshot.containers[0].namespaces["user"] = 4026531837;
    snapshot.host_namespaces["user"] = 4026531837;
    auto text = render_summary(snapshot);
    EXPECT_NE(text.find("namespaces: net:[4026532500] pid:[4026532501]; shared with the host: user"), std::string::npos) << text;
}

TEST(StateSummary, KindListingHasOneSentencePerObject)
{
    auto text = render_kind(sample_snapshot(), "links");
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
    EXPECT_NE(text.find("bridge glassbox0 (host)"), std::string::npos) << text;
    EXPECT_EQ(render_kind(sample_snapshot(), "fdb"), "no fdb\n");
}

TEST(StateSummary, TimelineEntries)
{
    TimelineEntry snapshot_entry;
    snapshot_entry.time = "T1";
    snapshot_entry.snapshot = sample_snapshot();
    EXPECT_EQ(render_timeline_entry(snapshot_entry),
        "T1 snapshot 7: 1 container (web running), 2 processes, 1 mount, 3 links\n");

    TimelineEntry event;
    event.type = TimelineEntry::Type::Event;
    event.time = "T2";
    event.event = { { "type", "event" },
        { "event", { { "Type", "container" }, { "Action", "start" }, { "Actor", { { "ID", "c0ffee" }, { "Attributes", { { "name", "web" } } } } } } } };
    EXPECT_EQ(render_timeline_entry(event), "T2 event: container start web\n");

    event.event = { { "type", "change" }, { "text", "+ new process 1\n+ new link x\n" } };
    EXPECT_EQ(render_timeline_entry(event), "T2 kernel changes:\n  + new process 1\n  + new link x\n");
}
