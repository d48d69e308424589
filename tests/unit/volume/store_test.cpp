#include <stdlib.h>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/volume/volume.h"

namespace fs = engine::fs;
using engine::ErrorKind;
using engine::volume::Store;

class VolumeStoreTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/glassbox-volume-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_root = tmpl;
        m_store = Store::open(m_root).release_value();
    }
    void TearDown() override { (void)fs::remove_tree(m_root); }

    std::string m_root;
    std::unique_ptr<Store> m_store;
};

TEST_F(VolumeStoreTest, CreateIsIdempotentAndKeepsData)
{
    auto first = m_store->create("data");
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(fs::write_file_atomic(first.value().mountpoint + "/file", "kept").ok());

    auto second = m_store->create("data");

    ASSERT_TRUE(second.ok());
    EXPECT_EQ(fs::read_file(second.value().mountpoint + "/file").value(), "kept");
    EXPECT_EQ(m_store->list().size(), 1U);
}

TEST_F(VolumeStoreTest, RemoveRefusesAVolumeInUseUnlessForced)
{
    ASSERT_TRUE(m_store->create("busy").ok());

    auto refused = m_store->remove("busy", false, "web");
    auto forced = m_store->remove("busy", true, "web");

    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), ErrorKind::Conflict);
    EXPECT_NE(refused.error().message().find("web"), std::string::npos);
    EXPECT_TRUE(forced.ok());
    EXPECT_FALSE(m_store->get("busy").ok());
}

TEST_F(VolumeStoreTest, InvalidNamesAreRejected)
{
    auto result = m_store->create("../escape");

    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_FALSE(fs::exists(m_root + "/escape"));
}

TEST_F(VolumeStoreTest, AnonymousVolumesAreMarked)
{
    auto anonymous = m_store->create_anonymous();

    ASSERT_TRUE(anonymous.ok());
    EXPECT_EQ(anonymous.value().name.size(), 64U);
    EXPECT_TRUE(m_store->get(anonymous.value().name).value().anonymous);
}

TEST_F(VolumeStoreTest, OpenRemovesWhatAnInterruptedCreateOrRemoveLeft)
{
    ASSERT_TRUE(m_store->create("kept").ok());
    ASSERT_TRUE(m_store->create("removed").ok());
    auto volumes = m_root + "/volumes";
    // A create killed before its rename, a remove killed after its rename, and a directory
    // without a record (what a crash between mkdir and the record write left before).
    ASSERT_TRUE(fs::make_dirs(volumes + "/.new-staged/_data").ok());
    ASSERT_TRUE(fs::write_file_atomic(volumes + "/.new-staged/volume.json", R"({"Name":"staged"})").ok());
    ASSERT_EQ(::rename((volumes + "/removed").c_str(), (volumes + "/.gone-removed-0123").c_str()), 0);
    ASSERT_TRUE(fs::make_dirs(volumes + "/norecord/_data").ok());
    EXPECT_EQ(m_store->list().size(), 1U); // Staged and renamed-away directories are never listed.

    auto reopened = Store::open(m_root);

    ASSERT_TRUE(reopened.ok());
    EXPECT_EQ(fs::list_dir(volumes), std::vector<std::string> { "kept" });
    EXPECT_TRUE(reopened.value()->get("kept").ok());
    EXPECT_FALSE(reopened.value()->get(".new-staged").ok());
    // The name of a record-less directory can be created again.
    EXPECT_TRUE(reopened.value()->create("norecord").ok());
}

TEST_F(VolumeStoreTest, CopyTreeKeepsSymlinksWithoutFollowingThem)
{
    auto source = m_root + "/src";
    ASSERT_TRUE(fs::make_dirs(source + "/dir").ok());
    ASSERT_TRUE(fs::write_file_atomic(source + "/dir/file", "content").ok());
    ASSERT_EQ(::symlink("/etc/passwd", (source + "/link").c_str()), 0);
    auto dest = m_store->create("filled").value().mountpoint;

    ASSERT_TRUE(engine::volume::copy_tree(source, dest).ok());

    EXPECT_EQ(fs::read_file(dest + "/dir/file").value(), "content");
    char target[64] {};
    ASSERT_GT(::readlink((dest + "/link").c_str(), target, sizeof target - 1), 0);
    EXPECT_STREQ(target, "/etc/passwd");
}
