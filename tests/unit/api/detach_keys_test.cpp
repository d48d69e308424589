// Detach keys on attach and exec (engine/api/handlers/streams.h): Docker's key names, and where
// the sequence is found in typed input, as measured on dockerd 20.10 (a byte that breaks a
// partial match is passed on and not taken as a new start; a match may span reads).
#include <gtest/gtest.h>

#include "engine/api/handlers/streams.h"

namespace engine::api::handlers {
namespace {

TEST(DetachKeys, ParsesDockersNamesToBytes)
{
    EXPECT_EQ(parse_detach_keys("ctrl-p,ctrl-q").value(), "\x10\x11");
    EXPECT_EQ(parse_detach_keys("").value(), "\x10\x11"); // The default.
    EXPECT_EQ(parse_detach_keys("ctrl-x,y").value(), "\x18y");
    EXPECT_EQ(parse_detach_keys("a").value(), "a");
    EXPECT_EQ(parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-_,DEL").value(), std::string("\x00\x1b\x1c\x1f\x7f", 5));
}

TEST(DetachKeys, RefusesAnUnknownKeyNamingIt)
{
    auto bad = parse_detach_keys("foo");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(bad.error().message(), "Unknown character: 'foo'");
    EXPECT_FALSE(parse_detach_keys("ctrl-P").ok()); // Docker's names are lower case.
    EXPECT_FALSE(parse_detach_keys("ctrl-p,,ctrl-q").ok());
}

TEST(DetachScanner, PassesWhatComesBeforeTheSequenceAndDropsTheRest)
{
    DetachScanner scanner("\x10\x11");
    EXPECT_EQ(scanner.feed("abc\n\x10\x11" "def\n"), "abc\n");
    EXPECT_TRUE(scanner.detached());
    EXPECT_EQ(scanner.feed("more"), "");
}

TEST(DetachScanner, AMatchMaySpanReads)
{
    DetachScanner scanner("\x10\x11");
    EXPECT_EQ(scanner.feed("D\x10"), "D");
    EXPECT_FALSE(scanner.detached());
    EXPECT_EQ(scanner.feed("\x11" "E"), "");
    EXPECT_TRUE(scanner.detached());
}

TEST(DetachScanner, ABrokenMatchReleasesTheHeldBytes)
{
    DetachScanner scanner("\x10\x11");
    EXPECT_EQ(scanner.feed("F\x10"), "F");
    EXPECT_EQ(scanner.feed("G"), "\x10G");
    EXPECT_FALSE(scanner.detached());
}

TEST(DetachScanner, TheByteThatBreaksAMatchIsNotANewStart)
{
    // dockerd passes "H\x10\x10\x11I" on whole: the second ctrl-p broke the first match.
    DetachScanner scanner("\x10\x11");
    EXPECT_EQ(scanner.feed("H\x10\x10\x11I"), "H\x10\x10\x11I");
    EXPECT_FALSE(scanner.detached());
    // After a broken match the next full sequence still detaches.
    EXPECT_EQ(scanner.feed("A\x10" "B\x10\x11" "C"), "A\x10" "B");
    EXPECT_TRUE(scanner.detached());
}

} // namespace
} // namespace engine::api::handlers
