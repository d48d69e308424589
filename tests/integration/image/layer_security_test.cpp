// Hostile layers from security.md section 1a, rows 1-10. Each test builds the tar with
// libarchive, unpacks it next to a victim directory, and checks that the victim is untouched:
// no new files, same link counts, same modes, same contents. Root is needed for mknod whiteouts,
// trusted.* xattrs and lchown, as in the daemon.
#include <gtest/gtest.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>

#include "engine/base/fs.h"
#include "engine/image/layer.h"
#include "engine/image/store.h"
#include "tests/unit/image/test_tar.h"

namespace engine::image {
namespace {

using testing::Compression;
using testing::TarBuilder;
using testing::TempDir;

struct NodeState {
    mode_t mode;
    nlink_t links;
    std::string contents;
    bool operator==(const NodeState&) const = default;
};

// Everything under `path`, without following symlinks.
std::map<std::string, NodeState> snapshot(const std::string& path)
{
    std::map<std::string, NodeState> out;
    struct stat st { };
    if (::lstat(path.c_str(), &st) != 0)
        return out;
    NodeState node { st.st_mode, st.st_nlink, "" };
    if (S_ISREG(st.st_mode))
        node.contents = fs::read_file(path).value();
    out[path] = node;
    if (S_ISDIR(st.st_mode))
        for (auto& name : fs::list_dir(path))
            out.merge(snapshot(path + "/" + name));
    return out;
}

class LayerSecurity : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (CAP_SYS_ADMIN, CAP_MKNOD)";
        ASSERT_TRUE(fs::make_dirs(root()).ok());
        ASSERT_TRUE(fs::make_dirs(victim() + "/sub").ok());
        ASSERT_TRUE(fs::write_file_atomic(victim() + "/hello", "hello\n", 0644).ok());
        ASSERT_TRUE(fs::write_file_atomic(victim() + "/sub/file", "file\n", 0600).ok());
        m_before = snapshot(victim());
    }
    void TearDown() override
    {
        if (!m_before.empty()) {
            EXPECT_EQ(snapshot(victim()), m_before) << "the victim directory changed";
        }
    }

    [[nodiscard]] std::string root() const { return m_dir / "root"; }
    [[nodiscard]] std::string victim() const { return m_dir / "victim"; }
    [[nodiscard]] std::string tar() const { return m_dir / "layer.tar"; }

    // Unpacks; either outcome is fine for the victim, the test says which it expects.
    Result<std::uint64_t> unpack(const std::string& path) { return unpack_layer(path, root()); }

    TempDir m_dir;
    std::map<std::string, NodeState> m_before;
};

// Row 1: "../" entries.
TEST_F(LayerSecurity, Row1DotDotEntriesStayInRoot)
{
    TarBuilder(tar()).file("../victim/dotdot", "x").file("/../victim/slash-dotdot", "x").file("dir/../foo", "foo").file("/bar", "bar");
    auto result = unpack(tar());
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_TRUE(fs::exists(root() + "/victim/dotdot"));
    EXPECT_TRUE(fs::exists(root() + "/victim/slash-dotdot"));
    EXPECT_EQ(fs::read_file(root() + "/foo").value(), "foo");
    EXPECT_EQ(fs::read_file(root() + "/bar").value(), "bar");
}

// Row 2: CVE-2014-6407, through a symlink and through a hardlink.
TEST_F(LayerSecurity, Row2SymlinkThenWriteThroughIt)
{
    TarBuilder(tar()).symlink("loophole-victim", "../victim").file("loophole-victim/file", "pwned");
    (void)unpack(tar());
    EXPECT_FALSE(fs::exists(victim() + "/file"));
}

TEST_F(LayerSecurity, Row2HardlinkThenWriteThroughIt)
{
    TarBuilder(tar()).hardlink("loophole-victim", "../victim").file("loophole-victim/file", "pwned");
    (void)unpack(tar());
    EXPECT_FALSE(fs::exists(victim() + "/file"));
}

// Row 3: CVE-2014-9356, absolute symlinks resolve inside the root.
TEST_F(LayerSecurity, Row3AbsoluteSymlinkResolvesInRoot)
{
    // The link target does not exist in the root: an error, and nothing written anywhere.
    TarBuilder(tar()).symlink("etc", victim()).file("etc/passwd", "pwned");
    EXPECT_FALSE(unpack(tar()).ok());
    // Once the root has that directory, the write lands there.
    TarBuilder(tar()).dir(victim()).symlink("etc", victim()).file("etc/passwd", "pwned");
    auto result = unpack(tar());
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(fs::read_file(root() + victim() + "/passwd").value(), "pwned");
}

TEST_F(LayerSecurity, Row3HardlinkSourceThroughAbsoluteSymlink)
{
    TarBuilder(tar()).symlink("lnk", victim()).hardlink("stolen", "lnk/hello");
    auto result = unpack(tar());
    EXPECT_FALSE(result.ok());
    EXPECT_FALSE(fs::exists(root() + "/stolen"));
}

// Row 4: two-hop symlink chain, and a relative escape before an absolute symlink.
TEST_F(LayerSecurity, Row4TwoHopSymlinkChain)
{
    TarBuilder(tar())
        .dir("inner")
        .symlink("inner/go_up", "..")
        .symlink("inner/go_up/escape", "../victim")
        .file("inner/go_up/escape/newfile", "pwned");
    (void)unpack(tar());
    EXPECT_FALSE(fs::exists(victim() + "/newfile"));
}

TEST_F(LayerSecurity, Row4RelativeEscapeBeforeAbsoluteSymlink)
{
    TarBuilder(tar())
        .symlink("up", "../../../..")
        .symlink("abs", "/up" + victim())
        .file("abs/newfile", "pwned")
        .file("up" + victim() + "/other", "pwned");
    (void)unpack(tar());
    EXPECT_FALSE(fs::exists(victim() + "/newfile"));
    EXPECT_FALSE(fs::exists(victim() + "/other"));
}

// Row 5: hardlink escapes; a hardlink to a symlink; a legal absolute hardlink.
TEST_F(LayerSecurity, Row5HardlinksCannotReachVictim)
{
    for (const std::string& target : { std::string("../victim/hello"), std::string("/../victim/hello"), victim() + "/hello", "../../" + victim() + "/hello" }) {
        TarBuilder(tar()).hardlink("link", target);
        auto result = unpack(tar());
        EXPECT_FALSE(result.ok()) << target;
    }
    TarBuilder(tar()).symlink("sym", victim() + "/hello").hardlink("sym-link", "sym").file("sym", "replaced", 04777);
    (void)unpack(tar());
    struct stat st { };
    ASSERT_EQ(::lstat((root() + "/sym-link").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << "a hardlink to a symlink links the symlink itself";
}

TEST_F(LayerSecurity, Row5AbsoluteHardlinkIsLegalInsideRoot)
{
    TarBuilder(tar()).file("usr/bin/perl", "perl", 0755).hardlink("usr/bin/perlbug", "/usr/bin/perl");
    auto result = unpack(tar());
    ASSERT_TRUE(result.ok()) << result.error().describe();
    struct stat a { }, b { };
    ASSERT_EQ(::stat((root() + "/usr/bin/perl").c_str(), &a), 0);
    ASSERT_EQ(::stat((root() + "/usr/bin/perlbug").c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(a.st_nlink, 2u);
}

// Row 6: a symlink from a lower layer, writes/whiteouts/hardlinks from an upper one. Both are
// applied to the same directory (worse than the store, which unpacks each layer on its own).
TEST_F(LayerSecurity, Row6LowerSymlinkUpperWrite)
{
    TarBuilder(tar()).symlink("etc", victim());
    ASSERT_TRUE(unpack(tar()).ok());
    auto upper = m_dir / "upper.tar";
    TarBuilder(upper).file("etc/x", "pwned").file("etc/.wh.hello", "").hardlink("etc/y", "etc/hello").file("etc/sub/file", "pwned", 0777);
    (void)unpack(upper);
    EXPECT_FALSE(fs::exists(victim() + "/x"));
    EXPECT_FALSE(fs::exists(victim() + "/y"));
}

TEST_F(LayerSecurity, Row6FileTypeReplacements)
{
    // DirectoryOverrideSymlink and SymlinkOverrideDirectory.
    TarBuilder(tar()).dir("d").file("d/a", "a").symlink("d", victim()).file("d/b", "b");
    (void)unpack(tar());
    EXPECT_FALSE(fs::exists(victim() + "/b"));
    TarBuilder(tar()).symlink("s", victim()).dir("s").file("s/c", "c");
    auto result = unpack(tar());
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_TRUE(fs::exists(root() + "/s/c"));
}

// Row 7: whiteout abuse.
TEST_F(LayerSecurity, Row7InvalidWhiteoutNames)
{
    for (std::string name : { ".wh.", ".wh..", ".wh..." }) {
        TarBuilder(tar()).file(name, "");
        auto result = unpack(tar());
        ASSERT_FALSE(result.ok()) << name;
        EXPECT_NE(result.error().message().find("invalid whiteout entry"), std::string::npos);
    }
}

TEST_F(LayerSecurity, Row7WhiteoutUnderSymlinkedDirectory)
{
    TarBuilder(tar()).symlink("d", victim()).file("d/.wh.hello", "").file("d/.wh.sub", "").symlink("e", "../victim").file("e/.wh..wh..opq", "");
    (void)unpack(tar());
    char value[4] = {};
    EXPECT_LT(::getxattr(victim().c_str(), "trusted.overlay.opaque", value, sizeof value), 0);
}

// Row 8: CVE-2021-32760, chmod through a planted symlink.
TEST_F(LayerSecurity, Row8ModeChangeThroughSymlink)
{
    TarBuilder(tar()).symlink("x", victim() + "/hello").file("x", "", 04777).dir("y", 04777);
    ASSERT_TRUE(fs::make_dirs(root()).ok());
    auto result = unpack(tar());
    ASSERT_TRUE(result.ok()) << result.error().describe();
    struct stat st { };
    ASSERT_EQ(::lstat((root() + "/x").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 04777u);
}

// Rows 9 and 10: never run a decompressor from the image (or from PATH): libarchive decodes
// gzip and xz in this process. Trojans in the layer and first on PATH would leave a marker.
class NoDecompressorProcess : public LayerSecurity, public ::testing::WithParamInterface<Compression> { };

TEST_P(NoDecompressorProcess, Rows9And10)
{
    auto marker = m_dir / "trojan-ran";
    auto trojan = "#!/bin/sh\ntouch " + marker + "\ntouch /injected-glassbox-test\nexit 1\n";
    auto bin = m_dir / "bin";
    ASSERT_TRUE(fs::make_dirs(bin).ok());
    for (const char* name : { "xz", "unxz", "gzip", "gunzip", "pigz", "unpigz", "bzip2", "zstd" })
        ASSERT_TRUE(fs::write_file_atomic(bin + "/" + name, trojan, 0755).ok());
    std::string old_path = ::getenv("PATH") ? ::getenv("PATH") : "";
    ::setenv("PATH", (bin + ":" + old_path).c_str(), 1);

    auto layer = m_dir / "layer.compressed";
    TarBuilder(layer, GetParam())
        .file("usr/local/sbin/xz", trojan, 0755)
        .file("usr/bin/xz", trojan, 0755)
        .file("bin/gzip", trojan, 0755)
        .file("payload", "payload");
    // Two layers in a row: the second would find the first one's trojans if it ever chrooted.
    auto first = unpack(layer);
    auto second = unpack(layer);
    ::setenv("PATH", old_path.c_str(), 1);
    ASSERT_TRUE(first.ok()) << first.error().describe();
    ASSERT_TRUE(second.ok()) << second.error().describe();
    EXPECT_EQ(fs::read_file(root() + "/payload").value(), "payload");
    EXPECT_FALSE(fs::exists(marker));
    EXPECT_FALSE(fs::exists("/injected-glassbox-test"));
    EXPECT_FALSE(fs::exists(root() + "/injected-glassbox-test"));

    // The same through the store (import decompresses once, then unpacks the plain tar).
    ::setenv("PATH", (bin + ":" + old_path).c_str(), 1);
    auto store = Store::open(m_dir / "store");
    ASSERT_TRUE(store.ok());
    auto imported = store.value()->import_rootfs(layer, {});
    ::setenv("PATH", old_path.c_str(), 1);
    ASSERT_TRUE(imported.ok()) << imported.error().describe();
    EXPECT_FALSE(fs::exists(marker));
}

INSTANTIATE_TEST_SUITE_P(Compressions, NoDecompressorProcess, ::testing::Values(Compression::Gzip, Compression::Xz, Compression::Bzip2));

} // namespace
} // namespace engine::image
