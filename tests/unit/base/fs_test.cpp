#include "engine/base/fs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

namespace fs = engine::fs;

class FsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/glassbox-fs-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_dir = tmpl;
    }
    void TearDown() override { (void)fs::remove_tree(m_dir); }
    std::string m_dir;
};

TEST_F(FsTest, AtomicWriteReplacesContentsAndLeavesNoTemporaryFile)
{
    auto path = m_dir + "/state.json";
    ASSERT_TRUE(fs::write_file_atomic(path, "old").ok());

    ASSERT_TRUE(fs::write_file_atomic(path, "new").ok());

    EXPECT_EQ(fs::read_file(path).value(), "new");
    EXPECT_EQ(fs::list_dir(m_dir).size(), 1U);
}

TEST_F(FsTest, RemoveTreeDeletesSymlinkButNotItsTarget)
{
    auto outside = m_dir + "/outside";
    ASSERT_TRUE(fs::make_dirs(outside + "/keep").ok());
    ASSERT_TRUE(fs::make_dirs(m_dir + "/tree/sub").ok());
    ASSERT_EQ(::symlink(outside.c_str(), (m_dir + "/tree/sub/link").c_str()), 0);

    ASSERT_TRUE(fs::remove_tree(m_dir + "/tree").ok());

    EXPECT_FALSE(fs::exists(m_dir + "/tree"));
    EXPECT_TRUE(fs::is_dir(outside + "/keep"));
}

TEST_F(FsTest, MakeDirsFailsWhenAFileIsInTheWay)
{
    ASSERT_TRUE(fs::write_file_atomic(m_dir + "/file", "x").ok());

    auto result = fs::make_dirs(m_dir + "/file/sub");

    EXPECT_FALSE(result.ok());
}
