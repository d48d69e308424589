// The collector's text parsers (procfs, mountinfo, overlay options, nftables listings), on
// captured text, without a kernel.
#include <gtest/gtest.h>

#include "engine/state/collector_internal.h"

using namespace engine::state; // NOLINT(google-build-using-namespace): test file.
using namespace engine::state::detail; // NOLINT(google-build-using-namespace): test file.

TEST(ParsersTest, StatWithParenthesesInCommand)
{
    ProcessInfo process;

    bool ok = parse_stat("42 (a (b) c) Z 7 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0", process);

    ASSERT_TRUE(ok);
    EXPECT_EQ(process.comm, "a (b) c");
    EXPECT_EQ(process.state, "Z");
    EXPECT_EQ(process.ppid, 7);
    EXPECT_EQ(process.start_time, 12345U);
}

TEST(ParsersTest, StatusGivesNspidUidsAndSignals)
{
    ProcessInfo process;

    parse_status("Name:\tsh\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\n"
                 "Threads:\t1\nNSpid:\t4242\t1\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\n"
                 "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000004\nSigCgt:\t0000000000004000\n",
        process);

    EXPECT_EQ(process.state_name, "sleeping");
    EXPECT_EQ(process.uid, 1000);
    EXPECT_EQ(process.euid, 0);
    EXPECT_EQ(process.gid, 5);
    EXPECT_EQ(process.nspid, (std::vector<int> { 4242, 1 }));
    EXPECT_EQ(process.signals_caught, (std::vector<std::string> { "TERM" }));
    EXPECT_EQ(process.signals_ignored, (std::vector<std::string> { "QUIT" }));
    EXPECT_EQ(process.signals_pending, (std::vector<std::string> { "KILL" }));
}

TEST(ParsersTest, ProcCgroupHybrid)
{
    auto entries = parse_proc_cgroup("4:memory:/glassbox/x\n1:cpu,cpuacct:/\n0::/glassbox/x\n");

    ASSERT_EQ(entries.size(), 3U);
    EXPECT_EQ(entries[0], (std::pair<std::string, std::string> { "memory", "/glassbox/x" }));
    EXPECT_EQ(entries[2], (std::pair<std::string, std::string> { "unified", "/glassbox/x" }));
}

TEST(ParsersTest, MountinfoWithOptionalFieldsAndEscapes)
{
    auto mounts = parse_mountinfo(
        "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n"
        "garbage line\n"
        "40 36 0:50 / /merged rw - overlay overlay rw,lowerdir=/l2:/l1,upperdir=/u,workdir=/w\n",
        99);

    ASSERT_EQ(mounts.size(), 2U);
    EXPECT_EQ(mounts[0].mount_point, "/mnt two");
    EXPECT_EQ(mounts[0].propagation, "master:1 shared:2");
    EXPECT_EQ(mounts[0].fstype, "ext3");
    EXPECT_EQ(mounts[0].root, "/mnt1");
    EXPECT_EQ(mounts[1].mount_namespace, 99U);
    EXPECT_EQ(mounts[1].fstype, "overlay");
}

TEST(ParsersTest, OverlayOptionsKeepLowerOrder)
{
    std::vector<std::string> lowers;
    std::string upper;
    std::string work;

    parse_overlay_options("rw,lowerdir=/a/l3:/a/l2:/a/l1,upperdir=/a/u,workdir=/a/w,index=off", lowers, upper, work);

    EXPECT_EQ(lowers, (std::vector<std::string> { "/a/l3", "/a/l2", "/a/l1" }));
    EXPECT_EQ(upper, "/a/u");
    EXPECT_EQ(work, "/a/w");
}

TEST(ParsersTest, NamespaceLink)
{
    EXPECT_EQ(parse_namespace_link("net:[4026531840]"), 4026531840U);
    EXPECT_EQ(parse_namespace_link("net:4026531840"), 0U);
}

TEST(ParsersTest, NftRulesJoinTextByHandle)
{
    const char* json = R"({"nftables":[{"metainfo":{}},
        {"table":{"family":"ip","name":"glassbox","handle":1}},
        {"chain":{"family":"ip","table":"glassbox","name":"prerouting","handle":1}},
        {"rule":{"family":"ip","table":"glassbox","chain":"prerouting","handle":3,"expr":[]}}]})";
    const char* text = "table ip glassbox { # handle 1\n"
                       "\tchain prerouting { # handle 1\n"
                       "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
                       "\t\ttcp dport 8080 dnat to 172.17.0.2:80 # handle 3\n"
                       "\t}\n}\n";

    auto rules = parse_nft_rules(json, text, "glassbox");

    ASSERT_TRUE(rules.ok()) << rules.error().describe();
    ASSERT_EQ(rules.value().size(), 1U);
    EXPECT_EQ(rules.value()[0].text, "tcp dport 8080 dnat to 172.17.0.2:80");
    EXPECT_EQ(rules.value()[0].chain, "prerouting");
}

TEST(ParsersTest, NftRejectsNonJson)
{
    EXPECT_FALSE(parse_nft_rules("{", "", "glassbox").ok());
}
