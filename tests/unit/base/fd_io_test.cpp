// The descriptor I/O loops of base/fs (read_chunks, write_all, copy_fd).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "engine/base/fd.h"
#include "engine/base/fs.h"

using namespace engine;

namespace {

TEST(FdIo, CopyFdCopiesEverythingThroughAPipe)
{
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    std::string data(50000, 'x');
    data += "end";
    ASSERT_TRUE(fs::write_all(write_end.get(), data, "pipe").ok());
    write_end.reset();
    std::string got;
    ASSERT_TRUE(fs::read_chunks(read_end.get(), "pipe", [&](std::string_view chunk) { got.append(chunk); }).ok());
    EXPECT_EQ(got, data);
}

TEST(FdIo, WriteAllNamesTheFileOnError)
{
    auto written = fs::write_all(-1, "x", "nowhere");
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().code(), EBADF);
    EXPECT_NE(written.error().describe().find("write nowhere"), std::string::npos);
}

} // namespace
