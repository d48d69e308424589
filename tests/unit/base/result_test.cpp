#include "engine/base/result.h"

#include <cerrno>

#include <gtest/gtest.h>

using engine::Error;
using engine::ErrorKind;
using engine::Ok;
using engine::Result;

static Result<int> parse_positive(int value)
{
    if (value <= 0)
        return Error::invalid("value must be positive");
    return value;
}

static Result<int> doubled(int value)
{
    auto parsed = TRY_CTX(parse_positive(value), "double " + std::to_string(value));
    return parsed * 2;
}

TEST(ResultTest, TryPropagatesValueOnSuccess)
{
    auto result = doubled(21);

    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value(), 42);
}

TEST(ResultTest, ContextIsPrependedOutermostFirst)
{
    auto result = doubled(-1);

    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message(), "double -1: value must be positive");
    EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
}

TEST(ResultTest, ErrnoErrorsDescribeTheSystemMessageLast)
{
    auto error = Error::from_errno("open /nonexistent", ENOENT).with_context("prepare rootfs");

    EXPECT_EQ(error.kind(), ErrorKind::NotFound);
    EXPECT_EQ(error.describe(), "prepare rootfs: open /nonexistent: No such file or directory");
}
