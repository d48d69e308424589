#include "engine/network/nft.h"

#include <gtest/gtest.h>

using namespace engine::network;

namespace {

TEST(NftTest, RulesetIsolatesNetworksMasqueradesAndPublishes)
{
    NftRuleset ruleset { .table = "gbtest", .networks = { { "br-a", "10.1.0.0/24", false }, { "br-b", "10.2.0.0/24", true } },
        .ports = { { "tcp", "", 8080, "10.1.0.2", 80 } }, .masquerade = true };

    auto text = build_ruleset(ruleset).dump();

    EXPECT_NE(text.find("isolate br-a from br-b"), std::string::npos);
    EXPECT_NE(text.find("isolate br-b from br-a"), std::string::npos);
    EXPECT_NE(text.find("outbound NAT br-a"), std::string::npos);
    EXPECT_EQ(text.find("outbound NAT br-b"), std::string::npos); // Internal: no NAT.
    EXPECT_NE(text.find("internal br-b"), std::string::npos);
    EXPECT_NE(text.find("\"dnat\":{\"addr\":\"10.1.0.2\",\"port\":80}"), std::string::npos);
}

TEST(NftTest, Ipv6NetworksGetTheSameIsolationInAnIp6Table)
{
    NftRuleset ruleset { .table = "gbtest", .networks = { { "br-a", "10.1.0.0/24", false, "fd42:a::/64" }, { "br-b", "10.2.0.0/24", false, "" } } };

    auto batch = build_ruleset(ruleset)["nftables"];

    std::vector<std::string> ip6_rules;
    bool ip6_table_added_last = false;
    for (const auto& command : batch) {
        if (command.contains("add") && command["add"].contains("rule") && command["add"]["rule"]["family"] == "ip6")
            ip6_rules.push_back(command["add"]["rule"]["comment"]);
        if (command.contains("add") && command["add"].contains("table"))
            ip6_table_added_last = command["add"]["table"]["family"] == "ip6";
    }
    // Both directions, the IPv4-only network's bridge included (IPv6 would reach it routed); no
    // NAT rule for IPv6.
    EXPECT_EQ(ip6_rules, (std::vector<std::string> { "isolate br-a from br-b", "isolate br-b from br-a" }));
    EXPECT_TRUE(ip6_table_added_last);
}

TEST(NftTest, WithoutIpv6TheIp6TableIsOnlyDeleted)
{
    NftRuleset ruleset { .table = "gbtest", .networks = { { "br-a", "10.1.0.0/24", false, "" } } };

    int adds = 0, deletes = 0;
    auto batch = build_ruleset(ruleset)["nftables"];
    for (const auto& command : batch) {
        for (const auto& verb : { "add", "delete" })
            if (command.contains(verb) && command[verb].contains("table") && command[verb]["table"]["family"] == "ip6")
                ++(std::string(verb) == "add" ? adds : deletes);
    }
    EXPECT_EQ(adds, 1);    // Added and deleted in one batch: gone whether or not it was there.
    EXPECT_EQ(deletes, 1);
}

} // namespace
