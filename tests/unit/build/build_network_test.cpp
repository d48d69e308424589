// ?networkmode= of a build is parsed once, at the API, into build::BuildNetwork.
#include "engine/build/builder.h"

#include <gtest/gtest.h>

using engine::build::BuildNetwork;
using engine::build::parse_build_network;

namespace {

TEST(BuildNetworkTest, DefaultAndNoneGiveLoopbackOnlyAndHostSharesTheHosts)
{
    EXPECT_EQ(parse_build_network("").value(), BuildNetwork::None);
    EXPECT_EQ(parse_build_network("default").value(), BuildNetwork::None);
    EXPECT_EQ(parse_build_network("none").value(), BuildNetwork::None);
    EXPECT_EQ(parse_build_network("host").value(), BuildNetwork::Host);
}

TEST(BuildNetworkTest, AnyOtherModeIsRefusedNamingIt)
{
    auto refused = parse_build_network("bridge");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), engine::ErrorKind::InvalidArgument);
    EXPECT_EQ(refused.error().message(), "networkmode bridge is not supported for builds (use none or host)");
}

} // namespace
