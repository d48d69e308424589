// Hostile tar streams from docs/security.md rows 11, 12 and 16: gigabytes of padding, a huge PAX
// header, a huge GNU sparse map, an oversized manifest. Each is written byte by byte (a sparse
// file where the attack is gigabytes of zeros, so nothing that large is ever on disk) and fed to
// what `load`, `import` and layer pulls use; the test asserts that the attack was refused or
// streamed in bounded memory, measured as the growth of this process's peak RSS (VmHWM, reset
// through /proc/self/clear_refs before each attack).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/base/fs.h"
#include "engine/image/layer.h"
#include "engine/image/store.h"
#include "tests/unit/image/test_tar.h"

namespace engine::image {
namespace {

using testing::header;
using testing::padded;
using testing::pax_record;
using testing::TempDir;

constexpr std::uint64_t k_mib = std::uint64_t { 1 } << 20;
constexpr std::uint64_t k_gib = std::uint64_t { 1 } << 30;

void write_at(const std::string& path, const std::string& bytes, off_t offset)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), offset), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
}

void extend_to(const std::string& path, std::uint64_t size) { ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(size)), 0); }

std::uint64_t status_kib(const char* field)
{
    auto status = fs::read_file("/proc/self/status").value();
    auto at = status.find(std::string(field) + ":");
    return at == std::string::npos ? 0 : std::stoull(status.substr(at + std::strlen(field) + 1));
}

// Peak RSS growth (MiB) while `attack` runs.
template <typename F>
double peak_growth_mib(F&& attack)
{
    // "5" resets VmHWM to the current RSS (proc(5), Linux 4.0+).
    int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        EXPECT_EQ(::write(fd, "5", 1), 1);
        ::close(fd);
    }
    auto before = status_kib("VmRSS");
    attack();
    auto peak = status_kib("VmHWM");
    return peak > before ? static_cast<double>(peak - before) / 1024.0 : 0.0;
}

class HostileStream : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (the unpacker keeps owners, as in the daemon)";
        ASSERT_TRUE(fs::make_dirs(m_dir / "fs").ok());
    }
    [[nodiscard]] std::string root() const { return m_dir / "fs"; }
    TempDir m_dir;
};

// Row 11 (CVE-2017-14992): 8 GiB of zero padding after a plain tar's end. The unpacker stops at
// the end marker; a sparse file keeps the test's disk use at a few blocks.
TEST_F(HostileStream, Row11EightGibOfPaddingIsNotReadIntoMemory)
{
    auto tar = m_dir / "padded.tar";
    write_at(tar, header("hello", '0', 6) + padded("hello\n") + std::string(1024, '\0'), 0);
    extend_to(tar, 8 * k_gib);

    auto began = std::chrono::steady_clock::now();
    Result<std::uint64_t> unpacked = Error::invalid("not run");
    double growth = peak_growth_mib([&] { unpacked = unpack_layer(tar, root()); });
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

    ASSERT_TRUE(unpacked.ok()) << unpacked.error().describe();
    EXPECT_EQ(fs::read_file(root() + "/hello").value(), "hello\n");
    EXPECT_LT(growth, 16.0) << "peak RSS grew by " << growth << " MiB";
    EXPECT_LT(seconds, 10.0);
}

// The same padding inside the archive, as the data of a directory entry (which has none): the
// reader skips it by seeking and goes on to the next entry.
TEST_F(HostileStream, Row11EightGibSkippedAsADirectorysDataIsNotReadIntoMemory)
{
    auto tar = m_dir / "dir-padding.tar";
    write_at(tar, header("dir/", '5', 8 * k_gib), 0);
    write_at(tar, header("after", '0', 6) + padded("after\n") + std::string(1024, '\0'), static_cast<off_t>(512 + 8 * k_gib));

    auto began = std::chrono::steady_clock::now();
    Result<std::uint64_t> unpacked = Error::invalid("not run");
    double growth = peak_growth_mib([&] { unpacked = unpack_layer(tar, root()); });
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

    EXPECT_LT(growth, 16.0) << "peak RSS grew by " << growth << " MiB";
    EXPECT_LT(seconds, 10.0);
    // libarchive gives a directory no data and reads the next header where the padding starts:
    // zeros, the end of the archive. Either way nothing was buffered.
    std::printf("8 GiB as a directory's data: %s, \"after\" %s, peak RSS +%.1f MiB, %.2f s\n",
        unpacked.ok() ? "unpacked" : unpacked.error().message().c_str(), fs::exists(root() + "/after") ? "unpacked" : "not reached",
        growth, seconds);
}

// decompress_to_file (every layer goes through it to be hashed) streams a plain tar with 256 MiB
// of padding through a fixed buffer: memory does not grow with the stream.
TEST_F(HostileStream, Row11PaddingIsStreamedWhenALayerIsHashed)
{
    auto tar = m_dir / "padded.tar";
    write_at(tar, header("hello", '0', 6) + padded("hello\n") + std::string(1024, '\0'), 0);
    extend_to(tar, 256 * k_mib);

    Result<std::string> hex = Error::invalid("not run");
    double growth = peak_growth_mib([&] { hex = decompress_to_file(tar, m_dir / "plain.tar"); });

    ASSERT_TRUE(hex.ok()) << hex.error().describe();
    struct stat st { };
    ASSERT_EQ(::stat((m_dir / "plain.tar").c_str(), &st), 0);
    EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), 256 * k_mib);
    EXPECT_LT(growth, 16.0) << "peak RSS grew by " << growth << " MiB";
}

// Row 12 (CVE-2022-2879): a PAX extended header of 100 MiB before an ordinary file.
TEST_F(HostileStream, Row12HundredMibPaxHeaderIsRefusedWithoutBuffering)
{
    auto tar = m_dir / "pax.tar";
    auto records = pax_record("comment", std::string(100 * k_mib, 'a'));
    write_at(tar, header("PaxHeaders/big", 'x', records.size()) + padded(records) + header("big", '0', 6) + padded("hello\n")
            + std::string(1024, '\0'),
        0);

    Result<std::uint64_t> unpacked = Error::invalid("not run");
    double growth = peak_growth_mib([&] { unpacked = unpack_layer(tar, root()); });

    // The header scan refuses it before libarchive reads it, at libarchive's own limit (which
    // libarchive refuses as "Special header too large").
    ASSERT_FALSE(unpacked.ok());
    EXPECT_NE(unpacked.error().message().find("more than the 1048576-byte limit"), std::string::npos) << unpacked.error().describe();
    EXPECT_LT(growth, 16.0) << "peak RSS grew by " << growth << " MiB";
}

// Row 12 (CVE-2025-58183): a GNU sparse 1.0 file whose map has a million entries (a 9 MB map).
// libarchive would read the whole map into a list at header time, about 76 bytes per entry (76
// MiB measured when it still did). Every layer is decompressed and hashed by decompress_to_file
// before it is unpacked, and its header scan refuses the sparse entry there, naming it, without
// the map ever reaching libarchive's tar reader.
TEST_F(HostileStream, Row12HugeSparseMapIsRefusedBeforeItIsRead)
{
    auto tar = m_dir / "sparse.tar";
    constexpr size_t k_entries = 1'000'000;
    std::string map = std::to_string(k_entries) + "\n";
    map.reserve(k_entries * 12);
    for (size_t i = 0; i < k_entries; ++i)
        map += std::to_string(i * 2) + "\n1\n";
    auto data = padded(map) + std::string(k_entries, 'x');
    auto records = pax_record("GNU.sparse.major", "1") + pax_record("GNU.sparse.minor", "0")
        + pax_record("GNU.sparse.name", "sparse") + pax_record("GNU.sparse.realsize", std::to_string(k_entries * 2));
    write_at(tar, header("PaxHeaders/sparse", 'x', records.size()) + padded(records) + header("GNUSparseFile.0/sparse", '0', data.size())
            + padded(data) + std::string(1024, '\0'),
        0);

    Result<std::string> hex = Error::invalid("not run");
    double growth = peak_growth_mib([&] { hex = decompress_to_file(tar, m_dir / "plain.tar"); });

    ASSERT_FALSE(hex.ok());
    EXPECT_EQ(hex.error().message(), "layer entry sparse: sparse files are not supported in layers");
    EXPECT_FALSE(fs::exists(m_dir / "plain.tar"));
    EXPECT_LT(growth, 16.0) << "peak RSS grew by " << growth << " MiB";
}

// Row 16: a manifest.json past the 4 MiB limit for image documents is refused, naming the file,
// before it is parsed.
TEST_F(HostileStream, Row16OversizedManifestIsRefusedBeforeParsing)
{
    auto store = Store::open(m_dir / "store");
    ASSERT_TRUE(store.ok()) << store.error().describe();
    std::string manifest = "[" + std::string(5 * k_mib, ' ') + "]";
    testing::TarBuilder(m_dir / "big-manifest.tar").file("manifest.json", manifest);

    Result<std::vector<std::string>> loaded = Error::invalid("not run");
    double growth = peak_growth_mib([&] { loaded = store.value()->load(m_dir / "big-manifest.tar"); });

    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message().find("manifest.json is larger than the 4194304-byte limit"), std::string::npos)
        << loaded.error().describe();
    EXPECT_LT(growth, 32.0) << "peak RSS grew by " << growth << " MiB";
}

} // namespace
} // namespace engine::image
