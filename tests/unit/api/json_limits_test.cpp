// Hostile input from clients: the nesting-depth scanner that runs before nlohmann parses anything,
// the parse wrapper every request body, filters and build parameter goes through, and error
// messages that never quote more than a short piece of the input, and the header-field limit.
#include <string>

#include <gtest/gtest.h>

#include "engine/api/docker_json.h"
#include "engine/api/http.h"

using namespace engine::api;

namespace {

std::string nested(std::size_t depth, char open = '[', char close = ']')
{
    return std::string(depth, open) + std::string(depth, close);
}

} // namespace

TEST(JsonLimitsTest, DepthAtTheLimitPassesOneMoreFails)
{
    EXPECT_TRUE(check_json_depth(nested(k_max_json_depth)).ok());

    auto deeper = check_json_depth(nested(k_max_json_depth + 1));

    ASSERT_FALSE(deeper.ok());
    EXPECT_EQ(deeper.error().message(), "JSON nested deeper than 256 levels");
}

TEST(JsonLimitsTest, ObjectsAndArraysCountTogether)
{
    std::string text;
    for (int i = 0; i < 200; ++i)
        text += "{\"a\":[";
    text += "1";
    for (int i = 0; i < 200; ++i)
        text += "]}";

    auto result = check_json_depth(text);

    EXPECT_FALSE(result.ok()); // 400 levels.
}

TEST(JsonLimitsTest, BracketsInsideStringsAndEscapedQuotesDoNotCount)
{
    std::string brackets(100000, '[');
    // The escaped quote does not end the string; the brackets after it are still inside.
    std::string text = "{\"Cmd\":[\"" + brackets + "\\\"" + brackets + "\"],\"k\\\\\":{}}";

    auto result = check_json_depth(text);

    EXPECT_TRUE(result.ok()) << result.error().message();
    EXPECT_TRUE(parse_client_json(text, "request body").ok());
}

TEST(JsonLimitsTest, UnbalancedClosersAreLeftToTheParser)
{
    EXPECT_TRUE(check_json_depth("]]]]}}}[[").ok());

    auto parsed = parse_client_json("]]]]}}}[[", "request body");

    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.error().message().find("invalid JSON in request body"), std::string::npos);
}

TEST(JsonLimitsTest, MillionDeepBodyIsRefusedWithoutEchoingIt)
{
    std::string body = "{\"Image\":\"busybox\",\"Labels\":" + nested(1000000) + "}";

    auto parsed = parse_client_json(body, "request body");

    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind(), engine::ErrorKind::InvalidArgument);
    EXPECT_EQ(parsed.error().message(), "invalid JSON in request body: JSON nested deeper than 256 levels");
}

TEST(JsonLimitsTest, ParseErrorQuotesAtMostAShortPieceOfTheInput)
{
    // An unterminated 1 MB string: nlohmann's message quotes the token it was reading.
    std::string body = "{\"Image\":\"" + std::string(1 << 20, 'x');

    auto parsed = parse_client_json(body, "request body");

    ASSERT_FALSE(parsed.ok());
    EXPECT_LT(parsed.error().message().size(), 2 * k_max_quoted_bytes + 100);
}

TEST(JsonLimitsTest, QuoteForErrorCutsOnACharacterBoundaryAndSaysHowLong)
{
    std::string text = std::string(199, 'a') + "\xC3\xA9" + std::string(50, 'b'); // 'é' straddles 200.

    auto quoted = quote_for_error(text);

    EXPECT_EQ(quoted, std::string(199, 'a') + "... (251 bytes)");
    EXPECT_EQ(quote_for_error("short"), "short");
}

TEST(JsonLimitsTest, WrongTypeErrorQuotesAShortPieceOfTheValue)
{
    auto body = nlohmann::json::parse("{\"Image\":\"busybox\",\"Hostname\":[\"" + std::string(100000, 'x') + "\"]}");

    auto config = container_config_from_json(body);

    ASSERT_FALSE(config.ok());
    EXPECT_NE(config.error().message().find("Hostname: expected a string"), std::string::npos);
    EXPECT_LT(config.error().message().size(), 300u);
}

TEST(JsonLimitsTest, DeepFiltersAreRefused)
{
    auto filters = parse_filters("{\"label\":" + nested(5000) + "}");

    ASSERT_FALSE(filters.ok());
    EXPECT_NE(filters.error().message().find("nested deeper than 256"), std::string::npos);
}

TEST(JsonLimitsTest, HeadWithTooManyHeaderFieldsIsRefused)
{
    std::string head = "GET /_ping HTTP/1.1\r\n";
    for (std::size_t i = 0; i <= k_max_header_fields; ++i)
        head += "X-" + std::to_string(i) + ": y\r\n";
    head += "\r\n";
    Request request;

    auto parsed = parse_request_head(head, request);

    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().message(), "too many header fields (limit 256)");
}
