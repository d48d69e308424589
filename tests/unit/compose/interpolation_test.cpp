// Variable substitution and .env parsing, case by case against Compose's documented rules.
#include "engine/compose/interpolation.h"

#include <gtest/gtest.h>

namespace engine::compose {

namespace {

std::string sub(std::string_view text, const Environment& env)
{
    auto result = interpolate(text, env);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message());
    return result.ok() ? result.value() : std::string();
}

} // namespace

TEST(InterpolationTest, BracedAndBareVariablesAreReplaced)
{
    Environment env { { "TAG", "1.35.0" }, { "NAME", "web" } };

    EXPECT_EQ(sub("busybox:${TAG}", env), "busybox:1.35.0");
    EXPECT_EQ(sub("$NAME-1", env), "web-1");
    EXPECT_EQ(sub("${MISSING}x", env), "x");
}

TEST(InterpolationTest, ColonDashDefaultCoversUnsetAndEmptyButDashOnlyUnset)
{
    Environment env { { "EMPTY", "" } };

    EXPECT_EQ(sub("${EMPTY:-d}", env), "d");
    EXPECT_EQ(sub("${EMPTY-d}", env), "");
    EXPECT_EQ(sub("${UNSET-d}", env), "d");
    EXPECT_EQ(sub("${UNSET:-${EMPTY:-nested}}", env), "nested");
}

TEST(InterpolationTest, RequiredVariableFailsWithItsMessage)
{
    Environment env { { "EMPTY", "" } };

    auto unset = interpolate("${DB_PASSWORD:?set a password}", env);
    auto empty = interpolate("${EMPTY:?must not be empty}", env);
    auto empty_without_colon = interpolate("${EMPTY?only unset fails}", env);

    ASSERT_FALSE(unset.ok());
    EXPECT_EQ(unset.error().message(),
        "required variable DB_PASSWORD is missing a value: set a password");
    ASSERT_FALSE(empty.ok());
    ASSERT_TRUE(empty_without_colon.ok());
}

TEST(InterpolationTest, DoubleDollarIsALiteralDollar)
{
    EXPECT_EQ(sub("echo $$HOME $${X}", {}), "echo $HOME ${X}");
}

TEST(InterpolationTest, AlternativeValueAppliesOnlyWhenSet)
{
    Environment env { { "DEBUG", "1" } };

    EXPECT_EQ(sub("${DEBUG:+--verbose}", env), "--verbose");
    EXPECT_EQ(sub("${QUIET:+--quiet}", env), "");
}

TEST(InterpolationTest, UnclosedBraceIsAnError)
{
    auto result = interpolate("${OOPS", {});

    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find("invalid interpolation format"), std::string::npos);
}

TEST(InterpolationTest, EnvFileHandlesCommentsQuotesAndExport)
{
    auto env = parse_env_file(
        "# comment\nexport A=1\nB='x y'\nC=\"line\\nnext\"\nD=plain # trailing\n\n", ".env");

    ASSERT_TRUE(env.ok());
    EXPECT_EQ(env.value().at("A"), "1");
    EXPECT_EQ(env.value().at("B"), "x y");
    EXPECT_EQ(env.value().at("C"), "line\nnext");
    EXPECT_EQ(env.value().at("D"), "plain");
}

TEST(InterpolationTest, EnvFileErrorNamesFileAndLine)
{
    auto env = parse_env_file("A=1\n9BAD=2\n", "/p/.env");

    ASSERT_FALSE(env.ok());
    EXPECT_NE(env.error().message().find("/p/.env:2:"), std::string::npos) << env.error().message();
}

} // namespace engine::compose
