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

} // namespace
