// HTTP request parsing as the Docker clients exercise it: heads and bodies split across reads,
// chunked bodies, version prefixes, query decoding, booleans in every spelling, filters JSON,
// size limits, and the multiplexed stream framing.
#include "engine/api/http.h"

#include <gtest/gtest.h>

using namespace engine::api;

TEST(HttpTest, ParsesHeadAndStripsVersionPrefix)
{
    std::string raw = "GET /v1.41/containers/json?all=1&filters=%7B%22name%22%3A%7B%22tgt%22%3Atrue%7D%7D HTTP/1.1\r\n"
                      "Host: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\n\r\n";
    Request request;

    auto used = parse_request_head(raw, request);

    ASSERT_TRUE(used.ok());
    EXPECT_EQ(used.value(), raw.size());
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.path, "/containers/json");
    EXPECT_EQ(request.api_version, "1.41");
    EXPECT_EQ(request.header("HOST").value_or(""), "api.moby.localhost");
    EXPECT_TRUE(request.query_bool("all", false).value());
    auto filters = request.filters();
    ASSERT_TRUE(filters.ok());
    ASSERT_EQ(filters.value().at("name").size(), 1u);
    EXPECT_EQ(filters.value().at("name")[0], "tgt");
}

TEST(HttpTest, IncompleteHeadAsksForMoreBytes)
{
    Request request;
    std::string part = "POST /v1.41/networks/create HTTP/1.1\r\nContent-Length: 10\r\n";

    auto used = parse_request_head(part, request);

    ASSERT_TRUE(used.ok());
    EXPECT_EQ(used.value(), 0u);
}

TEST(HttpTest, PathWithoutPrefixIsKept)
{
    EXPECT_EQ(strip_version_prefix("/_ping").second, "/_ping");
    EXPECT_EQ(strip_version_prefix("/_ping").first, "");
    EXPECT_EQ(strip_version_prefix("/v1.24/version").second, "/version");
    EXPECT_EQ(strip_version_prefix("/volumes/v1").second, "/volumes/v1");
    EXPECT_EQ(strip_version_prefix("/v1.4x/a").second, "/v1.4x/a");
}

TEST(HttpTest, BooleansInEverySpelling)
{
    for (auto text : { "1", "true", "True", "TRUE" })
        EXPECT_EQ(parse_bool(text), std::optional<bool>(true)) << text;
    for (auto text : { "0", "false", "False", "" })
        EXPECT_EQ(parse_bool(text), std::optional<bool>(false)) << text;
    EXPECT_FALSE(parse_bool("maybe").has_value());

    Request request;
    ASSERT_TRUE(parse_request_head("DELETE /v1.41/containers/x?v=False&link=False&force=True&bad=2 HTTP/1.1\r\n\r\n", request).ok());
    EXPECT_FALSE(request.query_bool("v", true).value());
    EXPECT_TRUE(request.query_bool("force", false).value());
    EXPECT_FALSE(request.query_bool("bad", false).ok());
}

TEST(HttpTest, UrlDecodingKeepsMalformedEscapes)
{
    EXPECT_EQ(url_decode("docker.io%2Flibrary%2Falpine", true), "docker.io/library/alpine");
    EXPECT_EQ(url_decode("a+b", true), "a b");
    EXPECT_EQ(url_decode("a+b", false), "a+b");
    EXPECT_EQ(url_decode("100%", true), "100%");
    EXPECT_EQ(url_decode("%zz", true), "%zz");
}

TEST(HttpTest, FiltersAcceptOldListFormAndRejectGarbage)
{
    auto old = parse_filters(R"({"status":["running","exited"]})");
    ASSERT_TRUE(old.ok());
    EXPECT_EQ(old.value().at("status").size(), 2u);
    EXPECT_FALSE(parse_filters("{not json").ok());
    EXPECT_FALSE(parse_filters("[1]").ok());
}

TEST(HttpTest, MalformedHeadIsRejected)
{
    Request request;
    EXPECT_FALSE(parse_request_head("GARBAGE\r\n\r\n", request).ok());
    EXPECT_FALSE(parse_request_head("GET / HTTP/2.0\r\n\r\n", request).ok());
    EXPECT_FALSE(parse_request_head("GET / HTTP/1.1\r\nno colon here\r\n\r\n", request).ok());
    EXPECT_FALSE(parse_request_head("GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", request).ok());
}

TEST(HttpTest, OversizedHeadIsRejected)
{
    std::string raw = "GET / HTTP/1.1\r\nX-Big: " + std::string(k_max_head_bytes + 10, 'a');
    Request request;

    auto used = parse_request_head(raw, request);

    EXPECT_FALSE(used.ok());
}

TEST(HttpTest, ContentLengthBodyArrivesInPieces)
{
    auto decoder = BodyDecoder::content_length(11);
    std::string body;

    auto a = decoder.feed("hello ", body);
    EXPECT_FALSE(decoder.done());
    auto b = decoder.feed("worldEXTRA", body);

    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(b.value(), 5u); // The rest belongs to the next request.
    EXPECT_TRUE(decoder.done());
    EXPECT_EQ(body, "hello world");
}

TEST(HttpTest, ChunkedBodySplitAtEveryByte)
{
    std::string wire = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nNEXT";
    auto decoder = BodyDecoder::chunked();
    std::string body;
    size_t used = 0;

    for (size_t i = 0; i < wire.size() && !decoder.done(); ++i) {
        auto n = decoder.feed(std::string_view(wire).substr(i, 1), body);
        ASSERT_TRUE(n.ok());
        used += n.value();
    }

    EXPECT_TRUE(decoder.done());
    EXPECT_EQ(body, "hello world");
    EXPECT_EQ(wire.substr(used), "NEXT");
}

TEST(HttpTest, ChunkedBodyWithBadSizeFails)
{
    auto decoder = BodyDecoder::chunked();
    std::string body;

    auto n = decoder.feed("zz\r\nabc\r\n", body);

    EXPECT_FALSE(n.ok());
}

TEST(HttpTest, FrameHeaderIsStreamThenBigEndianLength)
{
    auto frame = encode_frame(1, "hi\n");

    ASSERT_EQ(frame.size(), 11u);
    EXPECT_EQ(frame.substr(0, 8), std::string("\x01\x00\x00\x00\x00\x00\x00\x03", 8));
    EXPECT_EQ(frame.substr(8), "hi\n");
    auto big = encode_frame(2, std::string(0x010203, 'x'));
    EXPECT_EQ(big.substr(0, 8), std::string("\x02\x00\x00\x00\x00\x01\x02\x03", 8));
}

TEST(HttpTest, ChunkEncodingUsesHexLength)
{
    EXPECT_EQ(encode_chunk(std::string(26, 'a')), "1a\r\n" + std::string(26, 'a') + "\r\n");
}
