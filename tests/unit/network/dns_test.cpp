#include "engine/network/dns.h"

#include <gtest/gtest.h>

using namespace engine;
using namespace engine::network;

namespace {

TEST(DnsTest, QueryRoundTripsThroughTheDecoder)
{
    auto bytes = encode_query(0xbeef, "Web.Example", DnsTypeA);

    auto message = decode_message(bytes.data(), bytes.size()).value();

    EXPECT_EQ(message.id, 0xbeef);
    EXPECT_FALSE(message.is_response());
    ASSERT_EQ(message.questions.size(), 1U);
    EXPECT_EQ(message.questions[0].name, "web.example");
    EXPECT_EQ(message.questions[0].type, DnsTypeA);
}

TEST(DnsTest, ResponseCarriesAnswersThroughACompressionPointer)
{
    auto query_bytes = encode_query(7, "db", DnsTypeA);
    auto query = decode_message(query_bytes.data(), query_bytes.size()).value();

    auto bytes = encode_response(query, { Ipv4::parse("10.0.0.3").value(), Ipv4::parse("10.0.0.4").value() }, DnsRcodeNoError);
    auto response = decode_message(bytes.data(), bytes.size()).value();

    EXPECT_TRUE(response.is_response());
    EXPECT_EQ(response.rcode(), DnsRcodeNoError);
    ASSERT_EQ(response.answers.size(), 2U);
    EXPECT_EQ(response.answers[1].str(), "10.0.0.4");
    EXPECT_EQ(response.questions[0].name, "db");
}

TEST(DnsTest, MalformedMessagesAreErrorsNotCrashes)
{
    std::vector<std::uint8_t> truncated { 0, 1, 0, 0, 0, 1 };
    EXPECT_FALSE(decode_message(truncated.data(), truncated.size()).ok());
    // A name that points at itself.
    std::vector<std::uint8_t> loop { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
    EXPECT_FALSE(decode_message(loop.data(), loop.size()).ok());
    // A label longer than the message.
    std::vector<std::uint8_t> overrun { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 'a' };
    EXPECT_FALSE(decode_message(overrun.data(), overrun.size()).ok());
}

TEST(DnsTest, AaaaAnswersCarryIpv6AddressesBesideTheAAnswers)
{
    auto query_bytes = encode_query(9, "web", DnsTypeAaaa);
    auto query = decode_message(query_bytes.data(), query_bytes.size()).value();

    auto bytes = encode_response(query, {}, DnsRcodeNoError, { Ipv6::parse("fd42::2").value(), Ipv6::parse("fd42::3").value() });
    auto response = decode_message(bytes.data(), bytes.size()).value();

    EXPECT_TRUE(response.answers.empty());
    ASSERT_EQ(response.answers6.size(), 2U);
    EXPECT_EQ(response.answers6[0].str(), "fd42::2");
    EXPECT_EQ(response.answers6[1].str(), "fd42::3");
    EXPECT_EQ(response.questions[0].type, DnsTypeAaaa);
}

} // namespace
