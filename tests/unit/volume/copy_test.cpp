// Filling a volume from the image (copy_tree_in_root): the image's path is resolved inside the
// container's root, so symlinks in the image cannot make the copy read the host (CVE-2022-23648,
// docs/security.md row 17). No root needed: plain directories stand for the rootfs.
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/volume/copy.h"

namespace fs = engine::fs;
using engine::volume::copy_tree_in_root;

class CopyInRootTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/glassbox-volume-copy-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_dir = tmpl;
        ASSERT_TRUE(fs::make_dirs(rootfs() + "/data/sub").ok());
        ASSERT_TRUE(fs::write_file_atomic(rootfs() + "/data/sub/file", "image").ok());
        ASSERT_TRUE(fs::make_dirs(host() + "/secret").ok());
        ASSERT_TRUE(fs::write_file_atomic(host() + "/secret/data", "host secret").ok());
        ASSERT_TRUE(fs::make_dirs(volume()).ok());
    }
    void TearDown() override { (void)fs::remove_tree(m_dir); }

    [[nodiscard]] std::string rootfs() const { return m_dir + "/rootfs"; }
    [[nodiscard]] std::string host() const { return m_dir + "/host"; }
    [[nodiscard]] std::string volume() const { return m_dir + "/volume"; }

    std::string m_dir;
};

TEST_F(CopyInRootTest, SymlinksToTheHostAreResolvedInsideTheRootAndCopyNothing)
{
    // Absolute, relative with "..", and the volume path itself a symlink.
    ASSERT_EQ(::symlink(host().c_str(), (rootfs() + "/abs").c_str()), 0);
    ASSERT_EQ(::symlink(("../../../../../.." + host()).c_str(), (rootfs() + "/rel").c_str()), 0);
    ASSERT_EQ(::symlink((host() + "/secret").c_str(), (rootfs() + "/direct").c_str()), 0);

    for (const char* path : { "/abs/secret", "/rel/secret", "/direct", "/../../host/secret" }) {
        auto copied = copy_tree_in_root(rootfs(), path, volume());

        ASSERT_TRUE(copied.ok()) << path << ": " << copied.error().describe();
        EXPECT_TRUE(fs::list_dir(volume()).empty()) << path << " copied the host's files";
    }
}

TEST_F(CopyInRootTest, SymlinksInsideTheRootAreFollowedThere)
{
    // VOLUME /link where /link -> /data: the volume is mounted at /data, and filled from it.
    ASSERT_EQ(::symlink("/data", (rootfs() + "/link").c_str()), 0);

    ASSERT_TRUE(copy_tree_in_root(rootfs(), "/link", volume()).ok());

    EXPECT_EQ(fs::read_file(volume() + "/sub/file").value(), "image");
}
