// Layer unpacking and write_layer_tar without root: whiteouts (0/0 char devices may be made
// unprivileged since Linux 5.8), cleaned names, the opaque marker (needs root: trusted.* xattr).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/base/fs.h"
#include "engine/image/layer.h"
#include "tests/unit/image/test_tar.h"

namespace engine::image {
namespace {

using testing::TarBuilder;
using testing::TempDir;

bool is_whiteout(const std::string& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

TEST(Layer, WhiteoutsBecomeOverlayFormat)
{
    TempDir dir;
    auto tar = dir / "layer.tar";
    TarBuilder(tar).dir("etc").file("etc/.wh.hosts", "").file("etc/keep", "k").file(".wh.gone", "");
    ASSERT_TRUE(fs::make_dirs(dir / "fs").ok());
    auto result = unpack_layer(tar, dir / "fs");
    if (!result.ok() && result.error().code() == EPERM)
        GTEST_SKIP() << "this kernel does not allow unprivileged whiteouts (needs Linux 5.8)";
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_TRUE(is_whiteout(dir / "fs/etc/hosts"));
    EXPECT_TRUE(is_whiteout(dir / "fs/gone"));
    EXPECT_FALSE(fs::exists(dir / "fs/etc/.wh.hosts"));
    EXPECT_EQ(fs::read_file(dir / "fs/etc/keep").value(), "k");
}

TEST(Layer, InvalidWhiteoutNamesAreRejected)
{
    for (std::string name : { ".wh.", ".wh..", ".wh...", "sub/.wh.." }) {
        TempDir dir;
        auto tar = dir / "layer.tar";
        TarBuilder(tar).dir("sub").file(name, "");
        ASSERT_TRUE(fs::make_dirs(dir / "fs").ok());
        auto result = unpack_layer(tar, dir / "fs");
        ASSERT_FALSE(result.ok()) << name;
        EXPECT_NE(result.error().message().find("invalid whiteout entry"), std::string::npos) << result.error().describe();
        EXPECT_TRUE(fs::exists(dir / "fs/sub"));
    }
}

TEST(Layer, UncleanNamesLandInsideTheRoot)
{
    TempDir dir;
    auto tar = dir / "layer.tar";
    TarBuilder(tar).file("dir/../foo", "foo").file("/bar", "bar").file("../../up", "up").file("./a/./b", "b");
    ASSERT_TRUE(fs::make_dirs(dir / "fs").ok());
    auto result = unpack_layer(tar, dir / "fs");
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(fs::read_file(dir / "fs/foo").value(), "foo");
    EXPECT_EQ(fs::read_file(dir / "fs/bar").value(), "bar");
    EXPECT_EQ(fs::read_file(dir / "fs/up").value(), "up");
    EXPECT_EQ(fs::read_file(dir / "fs/a/b").value(), "b");
    EXPECT_FALSE(fs::exists(dir / "up"));
    EXPECT_EQ(result.value(), 9u);
}

TEST(Layer, DeviceNodesAreRefused)
{
    TempDir dir;
    auto tar = dir / "layer.tar";
    TarBuilder(tar).device("dev/sda", AE_IFBLK, 8, 0);
    ASSERT_TRUE(fs::make_dirs(dir / "fs").ok());
    auto result = unpack_layer(tar, dir / "fs");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find("device node dev/sda"), std::string::npos);
}

TEST(Layer, WriteLayerTarRoundTrip)
{
    TempDir dir;
    auto upper = dir / "upper";
    ASSERT_TRUE(fs::make_dirs(upper + "/etc/opaque").ok());
    ASSERT_TRUE(fs::write_file_atomic(upper + "/etc/file", "data", 0640).ok());
    ASSERT_EQ(::link((upper + "/etc/file").c_str(), (upper + "/etc/link").c_str()), 0);
    ASSERT_EQ(::symlink("file", (upper + "/etc/sym").c_str()), 0);
    ASSERT_EQ(::chmod((upper + "/etc").c_str(), 0711), 0);
    if (::mknod((upper + "/etc/deleted").c_str(), S_IFCHR, makedev(0, 0)) != 0)
        GTEST_SKIP() << "cannot create whiteouts here: " << errno;
    bool opaque = ::setxattr((upper + "/etc/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0;

    auto tar = dir / "layer.tar";
    auto digest = write_layer_tar(upper, tar);
    ASSERT_TRUE(digest.ok()) << digest.error().describe();
    EXPECT_EQ(digest.value().size, 4u);
    EXPECT_EQ(digest.value().diff_id.size(), 71u);
    // Deterministic: the same tree gives the same diff id.
    EXPECT_EQ(write_layer_tar(upper, dir / "again.tar").value().diff_id, digest.value().diff_id);

    // The tar carries Docker-format whiteouts, and unpacking it restores the overlay form.
    ASSERT_TRUE(fs::make_dirs(dir / "fs").ok());
    auto unpacked = unpack_layer(tar, dir / "fs");
    ASSERT_TRUE(unpacked.ok()) << unpacked.error().describe();
    EXPECT_TRUE(is_whiteout(dir / "fs/etc/deleted"));
    EXPECT_EQ(fs::read_file(dir / "fs/etc/file").value(), "data");
    struct stat file_st { }, link_st { }, dir_st { };
    ASSERT_EQ(::stat((dir / "fs/etc/file").c_str(), &file_st), 0);
    ASSERT_EQ(::stat((dir / "fs/etc/link").c_str(), &link_st), 0);
    ASSERT_EQ(::stat((dir / "fs/etc").c_str(), &dir_st), 0);
    EXPECT_EQ(file_st.st_ino, link_st.st_ino);
    EXPECT_EQ(file_st.st_mode & 07777, 0640u);
    EXPECT_EQ(dir_st.st_mode & 07777, 0711u);
    char target[16] = {};
    ASSERT_EQ(::readlink((dir / "fs/etc/sym").c_str(), target, sizeof target), 4);
    EXPECT_STREQ(target, "file");
    if (opaque) {
        char value[4] = {};
        EXPECT_EQ(::getxattr((dir / "fs/etc/opaque").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
        EXPECT_EQ(value[0], 'y');
    }
}

TEST(Layer, OpaqueMarkerAppliesWhateverTheOrder)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root (trusted.* xattrs need CAP_SYS_ADMIN)";
    TempDir dir;
    auto tar = dir / "layer.tar";
    // The marker comes after a child of the same directory: that child must survive.
    TarBuilder(tar).dir("d").file("d/new", "new").file("d/.wh..wh..opq", "").file("d/later", "l");
    ASSERT_TRUE(fs::make_dirs(dir / "fs").ok());
    auto result = unpack_layer(tar, dir / "fs");
    ASSERT_TRUE(result.ok()) << result.error().describe();
    char value[4] = {};
    EXPECT_EQ(::getxattr((dir / "fs/d").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
    EXPECT_EQ(fs::read_file(dir / "fs/d/new").value(), "new");
    EXPECT_EQ(fs::read_file(dir / "fs/d/later").value(), "l");
    EXPECT_FALSE(fs::exists(dir / "fs/d/.wh..wh..opq"));
}

TEST(Layer, CompressedLayersDecompressInProcess)
{
    for (auto compression : { testing::Compression::Gzip, testing::Compression::Bzip2, testing::Compression::Xz }) {
        TempDir dir;
        TarBuilder(dir / "layer", compression).file("hello", "hello");
        auto plain = dir / "plain.tar";
        auto hex = decompress_to_file(dir / "layer", plain);
        ASSERT_TRUE(hex.ok()) << hex.error().describe();
        EXPECT_EQ(hex.value().size(), 64u);
        ASSERT_TRUE(fs::make_dirs(dir / "fs").ok());
        ASSERT_TRUE(unpack_layer(dir / "layer", dir / "fs").ok());
        EXPECT_EQ(fs::read_file(dir / "fs/hello").value(), "hello");
    }
}

// A gzip-compressed tar with one file of `megabytes` MiB of zeros: about 1 KB per MiB.
void write_gzip_bomb(const std::string& path, int megabytes)
{
    auto* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    archive_write_set_filter_option(a, "gzip", "compression-level", "1");
    ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
    auto* entry = archive_entry_new();
    archive_entry_set_pathname(entry, "zeros");
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(megabytes) << 20);
    archive_write_header(a, entry);
    archive_entry_free(entry);
    std::string chunk(1 << 20, '\0');
    for (int i = 0; i < megabytes; ++i)
        archive_write_data(a, chunk.data(), chunk.size());
    archive_write_close(a);
    archive_write_free(a);
}

TEST(Layer, GzipBombIsRefusedAndWhatItWroteIsRemoved)
{
    TempDir dir;
    // 600 MiB from about 600 KB: past the 512 MiB floor of the quota and 100 times the input.
    write_gzip_bomb(dir / "bomb.tar.gz", 600);
    struct stat st { };
    ASSERT_EQ(::stat((dir / "bomb.tar.gz").c_str(), &st), 0);
    ASSERT_LT(static_cast<std::uint64_t>(st.st_size) * k_decompression_ratio, k_decompression_floor);

    auto plain = dir / "plain.tar";
    auto decompressed = decompress_to_file(dir / "bomb.tar.gz", plain);
    ASSERT_TRUE(fs::make_dirs(dir / "fs").ok());
    auto unpacked = unpack_layer(dir / "bomb.tar.gz", dir / "fs");

    ASSERT_FALSE(decompressed.ok());
    EXPECT_EQ(decompressed.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(decompressed.error().message().find("refused as a decompression bomb"), std::string::npos)
        << decompressed.error().message();
    EXPECT_FALSE(fs::exists(plain));
    ASSERT_FALSE(unpacked.ok());
    EXPECT_NE(unpacked.error().message().find("refused as a decompression bomb"), std::string::npos)
        << unpacked.error().message();
    // The header scan before the unpack meets the quota first: nothing was written.
    EXPECT_FALSE(fs::exists(dir / "fs/zeros"));
    // Without the scan (a layer, which decompress_to_file scanned) the unpacker's own quota stops
    // the entry: never the whole 600 MiB.
    UnpackOptions unscanned;
    unscanned.header_scan = "";
    auto unpacked_unscanned = unpack_layer(dir / "bomb.tar.gz", dir / "fs", unscanned);
    ASSERT_FALSE(unpacked_unscanned.ok());
    EXPECT_NE(unpacked_unscanned.error().message().find("refused as a decompression bomb"), std::string::npos)
        << unpacked_unscanned.error().message();
    ASSERT_EQ(::stat((dir / "fs/zeros").c_str(), &st), 0);
    EXPECT_LE(static_cast<std::uint64_t>(st.st_blocks) * 512, k_decompression_floor + (1 << 20));
}

TEST(Layer, LayerWithinTheQuotaStillDecompresses)
{
    TempDir dir;
    write_gzip_bomb(dir / "zeros.tar.gz", 8);

    auto hex = decompress_to_file(dir / "zeros.tar.gz", dir / "plain.tar");

    ASSERT_TRUE(hex.ok()) << hex.error().describe();
    EXPECT_TRUE(fs::exists(dir / "plain.tar"));
}

} // namespace
} // namespace engine::image
