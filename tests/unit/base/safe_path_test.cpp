// safe_path: a hostile tree (symlinks to the host, "..", absolute links) cannot make glassbox
// open or create anything outside the root it names.
#include "engine/base/safe_path.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "engine/base/fs.h"

using namespace engine;

namespace {

class SafePath : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/glassbox-safe-path-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_root = m_dir + "/root";
        m_outside = m_dir + "/outside";
        ASSERT_TRUE(fs::make_dirs(m_root + "/etc").ok());
        ASSERT_TRUE(fs::make_dirs(m_outside).ok());
        ASSERT_TRUE(fs::write_file_atomic(m_root + "/etc/passwd", "inside\n").ok());
        ASSERT_TRUE(fs::write_file_atomic(m_outside + "/passwd", "outside\n").ok());
        m_root_fd.reset(::open(m_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(m_root_fd.valid());
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    std::string read(const UniqueFd& fd) { return fs::read_file("/proc/self/fd/" + std::to_string(fd.get())).value(); }

    std::string m_dir, m_root, m_outside;
    UniqueFd m_root_fd;
};

TEST_F(SafePath, DotDotStopsAtTheRoot)
{
    auto fd = safe_path::open_in_root(m_root_fd.get(), "../../../etc/passwd", O_RDONLY);
    ASSERT_TRUE(fd.ok()) << fd.error().describe();
    EXPECT_EQ(read(fd.value()), "inside\n");
}

TEST_F(SafePath, AnAbsoluteSymlinkCountsFromTheRoot)
{
    ASSERT_EQ(::symlink("/etc/passwd", (m_root + "/link").c_str()), 0);
    auto fd = safe_path::open_in_root(m_root_fd.get(), "/link", O_RDONLY);
    ASSERT_TRUE(fd.ok()) << fd.error().describe();
    EXPECT_EQ(read(fd.value()), "inside\n");
}

TEST_F(SafePath, ARelativeSymlinkCannotClimbOut)
{
    ASSERT_EQ(::symlink("../outside/passwd", (m_root + "/sneaky").c_str()), 0);
    auto fd = safe_path::open_in_root(m_root_fd.get(), "sneaky", O_RDONLY);
    // "../outside" from the root is the root's own /outside, which does not exist.
    ASSERT_FALSE(fd.ok());
    EXPECT_EQ(fd.error().code(), ENOENT);
}

TEST_F(SafePath, NoSymlinksRefusesAnySymlink)
{
    ASSERT_EQ(::symlink("/etc/passwd", (m_root + "/link").c_str()), 0);
    auto fd = safe_path::open_in_root(m_root_fd.get(), "link", O_RDONLY, safe_path::NoSymlinks);
    ASSERT_FALSE(fd.ok());
    EXPECT_EQ(fd.error().code(), ELOOP);
}

TEST_F(SafePath, MagicLinksAreRefused)
{
    ASSERT_EQ(::symlink("/proc/self/root/etc", (m_root + "/magic").c_str()), 0);
    ASSERT_TRUE(fs::make_dirs(m_root + "/proc/self").ok());
    // Inside the root, /proc/self/root does not exist: nothing reaches the host's /proc.
    auto fd = safe_path::open_in_root(m_root_fd.get(), "magic/passwd", O_RDONLY);
    EXPECT_FALSE(fd.ok());
}

TEST_F(SafePath, TheEmptyPathIsTheRoot)
{
    auto fd = safe_path::open_in_root(m_root_fd.get(), "", O_RDONLY | O_DIRECTORY);
    ASSERT_TRUE(fd.ok());
    struct stat a { }, b { };
    ASSERT_EQ(::fstat(fd.value().get(), &a), 0);
    ASSERT_EQ(::fstat(m_root_fd.get(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(SafePath, CleanRelativeDropsDotsAndNeverClimbs)
{
    EXPECT_EQ(safe_path::clean_relative("/../victim"), "victim");
    EXPECT_EQ(safe_path::clean_relative("a/./b/../c//"), "a/c");
    EXPECT_EQ(safe_path::clean_relative("../../.."), "");
}

TEST_F(SafePath, MakeDirsCreatesEachMissingLevel)
{
    std::vector<std::string> created;
    auto fd = safe_path::make_dirs_in_root(m_root_fd.get(), "/a/b/c", 0755,
        [&](int, const std::string&, const std::string& shown) -> Result<void> {
            created.push_back(shown);
            return Ok {};
        });
    ASSERT_TRUE(fd.ok()) << fd.error().describe();
    EXPECT_TRUE(fs::is_dir(m_root + "/a/b/c"));
    EXPECT_EQ(created, (std::vector<std::string> { "/a", "/a/b", "/a/b/c" }));
}

TEST_F(SafePath, MakeDirsThroughASymlinkToTheHostCreatesNothingOutside)
{
    // An image's /escape -> the host's directory outside the root. Inside the root the link
    // dangles, so the walk fails rather than follow it out.
    ASSERT_EQ(::symlink(m_outside.c_str(), (m_root + "/escape").c_str()), 0);
    auto fd = safe_path::make_dirs_in_root(m_root_fd.get(), "escape/made", 0755);
    ASSERT_FALSE(fd.ok());
    EXPECT_EQ(fd.error().code(), ENOENT);
    EXPECT_FALSE(fs::exists(m_outside + "/made"));
}

TEST_F(SafePath, MakeDirsThroughAnAbsoluteSymlinkFollowsItInsideTheRoot)
{
    ASSERT_EQ(::symlink("/etc", (m_root + "/conf").c_str()), 0);
    auto fd = safe_path::make_dirs_in_root(m_root_fd.get(), "conf/app", 0755);
    ASSERT_TRUE(fd.ok()) << fd.error().describe();
    EXPECT_TRUE(fs::is_dir(m_root + "/etc/app"));
}

TEST_F(SafePath, MakeDirsOverAFileFails)
{
    auto fd = safe_path::make_dirs_in_root(m_root_fd.get(), "etc/passwd/sub", 0755);
    ASSERT_FALSE(fd.ok());
    EXPECT_EQ(fd.error().code(), ENOTDIR);
}

} // namespace
