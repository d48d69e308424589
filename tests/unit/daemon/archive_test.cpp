// The pure parts of the container filesystem endpoints (engine/daemon/archive.h): Go's file-mode
// bits, the X-Docker-Container-Path-Stat header byte for byte as dockerd 20.10 sent it, and the
// walk of an overlay upper directory that `docker diff` and commit read. No root needed; the
// cases that need a whiteout device or a trusted xattr skip without it.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/daemon/archive.h"

namespace engine::daemon {
namespace {

namespace stdfs = std::filesystem;

struct stat stat_of(mode_t mode, off_t size, time_t seconds, long nanoseconds)
{
    struct stat st { };
    st.st_mode = mode;
    st.st_size = size;
    st.st_mtim.tv_sec = seconds;
    st.st_mtim.tv_nsec = nanoseconds;
    return st;
}

TEST(GoFileMode, CarriesTypeAndSpecialBitsWhereGoPutsThem)
{
    EXPECT_EQ(go_file_mode(S_IFREG | 0644), 0644u);
    EXPECT_EQ(go_file_mode(S_IFDIR | 0755), 2147484141u); // As dockerd reports "/".
    EXPECT_EQ(go_file_mode(S_IFDIR | 01777), 2148532735u); // /tmp: dir and sticky.
    EXPECT_EQ(go_file_mode(S_IFLNK | 0777), 134218239u);
    EXPECT_EQ(go_file_mode(S_IFREG | 04755), go_mode::setuid | 0755u);
    EXPECT_EQ(go_file_mode(S_IFREG | 02755), go_mode::setgid | 0755u);
    EXPECT_EQ(go_file_mode(S_IFCHR | 0666), go_mode::device | go_mode::char_device | 0666u);
    EXPECT_EQ(go_file_mode(S_IFBLK | 0660), go_mode::device | 0660u);
    EXPECT_EQ(go_file_mode(S_IFIFO | 0600), go_mode::named_pipe | 0600u);
    EXPECT_EQ(go_file_mode(S_IFSOCK | 0755), go_mode::socket | 0755u);
}

// The headers below are what dockerd 20.10 answered to HEAD /containers/{id}/archive on the
// busybox base image (whose files have a zero mtime).
TEST(PathStatHeader, MatchesDockerdByteForByte)
{
    auto tmp = path_stat_from("tmp", stat_of(S_IFDIR | 01777, 4096, 0, 0));
    EXPECT_EQ(tmp.mtime, "1970-01-01T00:00:00Z");
    EXPECT_EQ(path_stat_header(tmp),
        "eyJuYW1lIjoidG1wIiwic2l6ZSI6NDA5NiwibW9kZSI6MjE0ODUzMjczNSwibXRpbWUiOiIxOTcwLTAxLTAxVDAwOjAwOjAwWiIsImxpbmtUYXJnZXQiOiIifQ==");

    auto sh = path_stat_from("sh", stat_of(S_IFLNK | 0777, 12, 0, 0));
    sh.link_target = "/bin/busybox";
    EXPECT_EQ(path_stat_header(sh),
        "eyJuYW1lIjoic2giLCJzaXplIjoxMiwibW9kZSI6MTM0MjE4MjM5LCJtdGltZSI6IjE5NzAtMDEtMDFUMDA6MDA6MDBaIiwibGlua1RhcmdldCI6Ii9iaW4vYnVzeWJveCJ9");

    auto root = path_stat_from("/", stat_of(S_IFDIR | 0755, 4096, 1796119651, 24616674));
    EXPECT_EQ(root.mtime, "2026-12-01T10:07:31.024616674Z");
    EXPECT_EQ(path_stat_header(root),
        "eyJuYW1lIjoiLyIsInNpemUiOjQwOTYsIm1vZGUiOjIxNDc0ODQxNDEsIm10aW1lIjoiMjAyNi0xMi0wMVQxMDowNzozMS4wMjQ2MTY2NzRaIiwibGlua1RhcmdldCI6IiJ9");
}

TEST(PathStatHeader, MtimeDropsTrailingZerosAsGoDoes)
{
    EXPECT_EQ(path_stat_from("f", stat_of(S_IFREG | 0644, 1, 1796119650, 500000000)).mtime, "2026-12-01T10:07:30.5Z");
    EXPECT_EQ(path_stat_from("f", stat_of(S_IFREG | 0644, 1, 1796119650, 0)).mtime, "2026-12-01T10:07:30Z");
    EXPECT_EQ(path_stat_from("f", stat_of(S_IFREG | 0644, 1, 1796119650, 10)).mtime, "2026-12-01T10:07:30.00000001Z");
}

TEST(Base64Url, UsesGosUrlAlphabetWithPadding)
{
    EXPECT_EQ(base64_url(""), "");
    EXPECT_EQ(base64_url("f"), "Zg==");
    EXPECT_EQ(base64_url("fo"), "Zm8=");
    EXPECT_EQ(base64_url("foo"), "Zm9v");
    EXPECT_EQ(base64_url("\xfb\xff\xfe"), "-__-"); // '+' and '/' in the standard alphabet.
}

// [SECTION] The changes walk.

class ChangesWalk : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir_template[] = "/tmp/gb-archive-test-XXXXXX";
        ASSERT_NE(::mkdtemp(dir_template), nullptr);
        m_dir = dir_template;
        lower = m_dir + "/lower";
        upper = m_dir + "/upper";
        stdfs::create_directories(lower);
        stdfs::create_directories(upper);
    }
    void TearDown() override { stdfs::remove_all(m_dir); }

    static void write(const std::string& path, const std::string& text = "x")
    {
        stdfs::create_directories(stdfs::path(path).parent_path());
        std::ofstream(path) << text;
    }
    // The same mode and mtime as `reference`, as overlayfs's copy-up leaves a directory.
    static void same_dir_as(const std::string& path, const std::string& reference)
    {
        struct stat st { };
        ASSERT_EQ(::stat(reference.c_str(), &st), 0);
        stdfs::create_directories(path);
        ::chmod(path.c_str(), st.st_mode & 07777);
        timespec times[2] = { st.st_atim, st.st_mtim };
        ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    }

    std::string lower;
    std::string upper;

private:
    std::string m_dir;
};

TEST_F(ChangesWalk, AnEmptyUpperHasNoChanges)
{
    write(lower + "/etc/passwd");
    auto changes = upper_dir_changes(upper, { lower });
    ASSERT_TRUE(changes.ok()) << changes.error().describe();
    EXPECT_TRUE(changes.value().empty());
}

TEST_F(ChangesWalk, ListsAddedAndModifiedInDockerdsOrderWithTheParentAsModified)
{
    write(lower + "/etc/passwd");
    write(lower + "/etc/group");
    write(upper + "/etc/passwd", "changed");
    write(upper + "/etc/new.conf");
    same_dir_as(upper + "/etc", lower + "/etc");
    write(upper + "/added/deep/file");

    auto changes = upper_dir_changes(upper, { lower });
    ASSERT_TRUE(changes.ok()) << changes.error().describe();
    std::vector<FileChange> expected = {
        { "/added", 1 },
        { "/added/deep", 1 },
        { "/added/deep/file", 1 },
        { "/etc", 0 },
        { "/etc/new.conf", 1 },
        { "/etc/passwd", 0 },
    };
    EXPECT_EQ(changes.value(), expected);
}

TEST_F(ChangesWalk, AnUnchangedCopiedUpDirectoryIsLeftOutWhenOnlyAFileBelowChanged)
{
    write(lower + "/etc/passwd");
    write(upper + "/etc/passwd", "changed");
    same_dir_as(upper + "/etc", lower + "/etc");

    auto changes = upper_dir_changes(upper, { lower });
    ASSERT_TRUE(changes.ok());
    std::vector<FileChange> expected = { { "/etc/passwd", 0 } };
    EXPECT_EQ(changes.value(), expected);
}

TEST_F(ChangesWalk, TheTopmostLowerLayerDecidesAndSkippedPathsAreLeftOut)
{
    auto lower2 = lower + "2";
    stdfs::create_directories(lower2);
    write(lower2 + "/only-in-top");
    write(upper + "/only-in-top", "new");
    write(upper + "/.dockerenv");
    write(upper + "/proc/self/x");

    auto changes = upper_dir_changes(upper, { lower, lower2 }, { "/.dockerenv", "/proc" });
    ASSERT_TRUE(changes.ok());
    std::vector<FileChange> expected = { { "/only-in-top", 0 } };
    EXPECT_EQ(changes.value(), expected);
}

TEST_F(ChangesWalk, AWhiteoutIsADeletionAndAnOpaqueDirectoryHidesTheLowerOne)
{
    write(lower + "/gone");
    write(lower + "/var/cache/old");
    if (::mknod((upper + "/gone").c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0)
        GTEST_SKIP() << "mknod of a 0/0 whiteout needs CAP_MKNOD: " << std::strerror(errno);
    stdfs::create_directories(upper + "/var/cache");
    if (::setxattr((upper + "/var/cache").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        GTEST_SKIP() << "trusted.overlay.opaque needs CAP_SYS_ADMIN: " << std::strerror(errno);

    auto changes = upper_dir_changes(upper, { lower });
    ASSERT_TRUE(changes.ok()) << changes.error().describe();
    std::vector<FileChange> expected = { { "/gone", 2 }, { "/var", 0 }, { "/var/cache", 2 } };
    EXPECT_EQ(changes.value(), expected);
}

TEST_F(ChangesWalk, AMissingUpperDirectoryIsAnErrorNamingIt)
{
    auto changes = upper_dir_changes(upper + "/nope", { lower });
    ASSERT_FALSE(changes.ok());
    EXPECT_NE(changes.error().describe().find("nope"), std::string::npos);
}

} // namespace
} // namespace engine::daemon
