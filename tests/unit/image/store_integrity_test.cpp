// The image store's integrity under concurrency and damage: a load is all or nothing and shows
// nothing before it succeeds, its undo leaves alone the layers another load holds, a config blob
// rewritten in place is caught on the next read whatever stat shows, and a start records the
// blob sizes old records lack from the blobs that verify.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/base/fs.h"
#include "engine/base/sha256.h"
#include "engine/image/config.h"
#include "engine/image/store.h"
#include "tests/unit/image/test_tar.h"

namespace engine::image {
namespace {

using nlohmann::json;
using testing::TarBuilder;
using testing::TempDir;
using testing::tree_of;

class StoreIntegrityTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto store = Store::open(m_dir / "root");
        ASSERT_TRUE(store.ok()) << store.error().describe();
        m_store = store.release_value();
    }

    ImageRecord import(const std::string& tag, const std::string& marker)
    {
        auto tar = m_dir / (marker + ".tar");
        TarBuilder(tar).file("bin/hello", "#!/bin/sh\necho " + marker + "\n", 0755);
        ImportOptions options;
        options.repo_tag = tag;
        options.created = 1700000000;
        auto record = m_store->import_rootfs(tar, options);
        EXPECT_TRUE(record.ok()) << record.error().describe();
        return record.ok() ? record.value() : ImageRecord {};
    }

    // A layer tar with one file, as bytes.
    std::string layer(const std::string& name, const std::string& contents)
    {
        auto path = m_dir / (name + ".layer.tar");
        TarBuilder(path).file(name, contents);
        return fs::read_file(path).value();
    }

    [[nodiscard]] std::string image_dir() const { return m_dir / "root/image/"; }

    TempDir m_dir;
    std::unique_ptr<Store> m_store;
};

std::string diff_id_of(const std::string& tar)
{
    return "sha256:" + Sha256::hex(tar);
}

std::string config_for(const std::vector<std::string>& diff_ids, const std::string& marker)
{
    return json { { "architecture", "amd64" }, { "os", "linux" }, { "config", { { "Labels", { { "m", marker } } } } },
        { "rootfs", { { "type", "layers" }, { "diff_ids", diff_ids } } } }
        .dump();
}

// Two loads at once that share an image. The failing one (its second image's layer is not what
// its config says, found only after 16 MiB are hashed) stored layer L and, with the old code,
// recorded its first image and tags before it failed and took them back: a request could tag or
// load that image in between and lose it to the undo. Now nothing of the failing load is seen
// while it runs, and its undo leaves L alone while the other load (busy with a 16 MiB layer)
// holds it.
TEST_F(StoreIntegrityTest, AFailingLoadShowsNothingAndTakesBackNothingAConcurrentLoadUses)
{
    auto small = layer("small", "s");
    auto bad_big = layer("bad", std::string(16 << 20, 'b'));
    auto good_big = layer("good", std::string(16 << 20, 'g'));
    auto x_config = config_for({ diff_id_of(small) }, "x");
    auto y_config = config_for({ diff_id_of(small) }, "y");
    auto w_config = config_for({ diff_id_of(small), diff_id_of(good_big) }, "w");
    auto name_of = [](const std::string& config) { return Sha256::hex(config) + ".json"; };

    auto failing = m_dir / "failing.tar";
    TarBuilder(failing)
        .file("manifest.json",
            json::array({ json { { "Config", name_of(x_config) }, { "RepoTags", { "x:1", "f:1" } }, { "Layers", { "1/layer.tar" } } },
                json { { "Config", name_of(y_config) }, { "RepoTags", { "y:1" } }, { "Layers", { "2/layer.tar" } } } })
                .dump())
        .file(name_of(x_config), x_config)
        .file(name_of(y_config), y_config)
        .file("1/layer.tar", small)
        .file("2/layer.tar", bad_big);
    auto good = m_dir / "good.tar";
    TarBuilder(good)
        .file("manifest.json",
            json::array({ json { { "Config", name_of(x_config) }, { "RepoTags", { "x:1" } }, { "Layers", { "1/layer.tar" } } },
                json { { "Config", name_of(w_config) }, { "RepoTags", { "w:1" } }, { "Layers", { "1/layer.tar", "3/layer.tar" } } } })
                .dump())
        .file(name_of(x_config), x_config)
        .file(name_of(w_config), w_config)
        .file("1/layer.tar", small)
        .file("3/layer.tar", good_big);

    Result<std::vector<std::string>> failed = Error::invalid("not run");
    Result<std::vector<std::string>> loaded = Error::invalid("not run");
    std::atomic<bool> failing_done { false };
    std::thread failing_load([&] {
        failed = m_store->load(failing);
        failing_done = true;
    });
    std::thread good_load([&] { loaded = m_store->load(good); });
    // A request that finds the failing load's first image meanwhile starts using it: a tag.
    bool seen = false;
    while (!failing_done) {
        if (!seen && m_store->resolve("f:1").ok()) {
            seen = true;
            EXPECT_TRUE(m_store->tag("f:1", "mine:1").ok());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    failing_load.join();
    good_load.join();

    EXPECT_FALSE(seen) << "the failing load's first image and tag were visible before the load finished";
    ASSERT_FALSE(failed.ok());
    auto message = failed.error().describe();
    EXPECT_NE(message.find("manifest.json[1]"), std::string::npos) << message;
    EXPECT_NE(message.find("2/layer.tar"), std::string::npos) << message;
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    EXPECT_EQ(loaded.value(), (std::vector<std::string> { "x:1", "w:1" }));
    EXPECT_FALSE(m_store->resolve("f:1").ok());
    EXPECT_FALSE(m_store->resolve("y:1").ok());
    if (seen)
        EXPECT_TRUE(m_store->resolve("mine:1").ok()) << "a tag taken during the failing load was lost to its undo";
    for (const char* tag : { "x:1", "w:1" }) {
        auto image = m_store->resolve(tag);
        ASSERT_TRUE(image.ok()) << tag << ": " << image.error().describe();
        for (auto& info : image.value().layers)
            EXPECT_TRUE(fs::is_dir(info.directory)) << tag << ": layer " << info.diff_id;
    }
    EXPECT_EQ(m_store->count(), 2u);
    EXPECT_TRUE(m_store->save({ "x:1", "w:1" }, m_dir / "saved.tar", ArchiveFormat::Docker).ok());
    // Nothing was left that no image uses: a start removes nothing.
    auto tree = tree_of(m_store->root());
    m_store.reset();
    auto reopened = Store::open(m_dir / "root");
    ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
    EXPECT_EQ(tree_of(reopened.value()->root()), tree);
}

// The same archive loaded by two requests at once: both succeed and report the same images.
TEST_F(StoreIntegrityTest, TheSameArchiveLoadedTwiceAtOnceLoadsOnce)
{
    auto first = layer("first", "1");
    auto second = layer("second", std::string(1 << 20, '2'));
    auto config = config_for({ diff_id_of(first), diff_id_of(second) }, "twice");
    auto name = Sha256::hex(config) + ".json";
    auto archive = m_dir / "twice.tar";
    TarBuilder(archive)
        .file("manifest.json",
            json::array({ json { { "Config", name }, { "RepoTags", { "twice:1" } }, { "Layers", { "a/layer.tar", "b/layer.tar" } } } }).dump())
        .file(name, config)
        .file("a/layer.tar", first)
        .file("b/layer.tar", second);
    Result<std::vector<std::string>> results[2] = { Error::invalid("not run"), Error::invalid("not run") };
    std::thread loads[2];
    for (int i = 0; i < 2; ++i)
        loads[i] = std::thread([&, i] { results[i] = m_store->load(archive); });
    for (auto& load : loads)
        load.join();
    for (auto& result : results) {
        ASSERT_TRUE(result.ok()) << result.error().describe();
        EXPECT_EQ(result.value(), std::vector<std::string> { "twice:1" });
    }
    auto image = m_store->resolve("twice:1");
    ASSERT_TRUE(image.ok()) << image.error().describe();
    EXPECT_EQ(image.value().id, "sha256:" + Sha256::hex(config));
    EXPECT_EQ(fs::list_dir(image_dir() + "layers").size(), 2u);
    EXPECT_EQ(fs::list_dir(image_dir() + "tmp").size(), 0u);
}

// A config blob changed in place (same inode and size) with its times set back, as `touch -r`
// does: nothing stat shows has changed, and the next read still refuses it, naming the image
// and the blob, and moves it to quarantine/ rather than deleting it.
TEST_F(StoreIntegrityTest, AConfigRewrittenInPlaceWithItsTimesRestoredIsCaughtOnTheNextRead)
{
    auto image = import("a:1", "alpha");
    ASSERT_TRUE(m_store->resolve("a:1").ok());
    auto path = image_dir() + "blobs/sha256/" + image.id.substr(7);
    struct stat before { };
    ASSERT_EQ(::stat(path.c_str(), &before), 0);
    auto bytes = fs::read_file(path).value();
    char changed = static_cast<char>(bytes[bytes.size() / 2] ^ 0x20);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, &changed, 1, static_cast<off_t>(bytes.size() / 2)), 1);
    ::close(fd);
    timespec times[2] = { before.st_atim, before.st_mtim };
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    struct stat after { };
    ASSERT_EQ(::stat(path.c_str(), &after), 0);
    ASSERT_EQ(after.st_ino, before.st_ino);
    ASSERT_EQ(after.st_size, before.st_size);
    ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

    auto refused = m_store->resolve("a:1");
    ASSERT_FALSE(refused.ok());
    auto message = refused.error().describe();
    EXPECT_NE(message.find("image " + image.id), std::string::npos) << message;
    EXPECT_NE(message.find("blob " + image.id + " failed verification"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(path));
    auto quarantined = fs::read_file(image_dir() + "quarantine/" + image.id.substr(7));
    ASSERT_TRUE(quarantined.ok());
    EXPECT_EQ(quarantined.value()[bytes.size() / 2], changed);
}

// Records an older store wrote carry no config_size (image records) or blob_size (layer
// meta.json), which left those blobs out of the size check at every start. A start records them
// from the blobs that hash to their names, atomically, and the size check then covers the old
// image; a blob that does not hash to its name gets no size and is quarantined.
TEST_F(StoreIntegrityTest, AStartRecordsTheBlobSizesOldRecordsLackFromBlobsThatVerify)
{
    auto a = import("a:1", "alpha");
    auto b = import("b:1", "bravo");
    m_store.reset();
    auto record_path = [&](const ImageRecord& image) { return image_dir() + "images/" + image.id.substr(7) + ".json"; };
    auto meta_path = [&](const ImageRecord& image) { return image_dir() + "layers/" + image.layers[0].diff_id.substr(7) + "/meta.json"; };
    auto blob = [&](const std::string& digest) { return image_dir() + "blobs/sha256/" + digest.substr(7); };
    // As the oldest records were: no config_size, created or history_length; no blob_size.
    for (const auto* image : { &a, &b }) {
        auto record = read_json_file(record_path(*image)).value();
        record.erase("config_size");
        record.erase("created");
        record.erase("history_length");
        ASSERT_TRUE(fs::write_file_atomic(record_path(*image), record.dump(2)).ok());
        auto meta = read_json_file(meta_path(*image)).value();
        meta.erase("blob_size");
        ASSERT_TRUE(fs::write_file_atomic(meta_path(*image), meta.dump(2)).ok());
    }
    // b's config no longer hashes to its name, at the same size.
    auto b_bytes = fs::read_file(blob(b.id)).value();
    b_bytes[b_bytes.size() / 2] ^= 0x20;
    ASSERT_TRUE(fs::write_file_atomic(blob(b.id), b_bytes, 0600).ok());

    {
        auto reopened = Store::open(m_dir / "root");
        ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
        auto record = read_json_file(record_path(a)).value();
        EXPECT_EQ(record.value("config_size", std::uint64_t { 0 }), fs::read_file(blob(a.id)).value().size());
        EXPECT_EQ(record.value("created", std::int64_t { 0 }), 1700000000);
        EXPECT_EQ(record.value("history_length", std::size_t { 0 }), 1u);
        for (const auto* image : { &a, &b }) {
            struct stat st { };
            ASSERT_EQ(::stat(blob(image->layers[0].diff_id).c_str(), &st), 0);
            auto meta = read_json_file(meta_path(*image)).value();
            EXPECT_EQ(meta.value("blob_size", std::uint64_t { 0 }), static_cast<std::uint64_t>(st.st_size));
        }
        EXPECT_FALSE(read_json_file(record_path(b)).value().contains("config_size"));
        auto refused = reopened.value()->resolve("b:1");
        ASSERT_FALSE(refused.ok());
        EXPECT_NE(refused.error().describe().find("image " + b.id), std::string::npos) << refused.error().describe();
        EXPECT_TRUE(fs::exists(image_dir() + "quarantine/" + b.id.substr(7)));
        EXPECT_TRUE(reopened.value()->resolve("a:1").ok());
    }

    // Now the size check covers the old image: a layer blob one byte short is quarantined at
    // the next start, and saving the image names the layer.
    auto layer_blob = blob(a.layers[0].diff_id);
    auto layer_bytes = fs::read_file(layer_blob).value();
    ASSERT_TRUE(fs::write_file_atomic(layer_blob, layer_bytes.substr(0, layer_bytes.size() - 1), 0600).ok());
    auto reopened = Store::open(m_dir / "root");
    ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
    EXPECT_FALSE(fs::exists(layer_blob));
    EXPECT_TRUE(fs::exists(image_dir() + "quarantine/" + a.layers[0].diff_id.substr(7)));
    auto unsaved = reopened.value()->save({ "a:1" }, m_dir / "a.tar", ArchiveFormat::Docker);
    ASSERT_FALSE(unsaved.ok());
    EXPECT_NE(unsaved.error().describe().find(a.layers[0].diff_id), std::string::npos) << unsaved.error().describe();
    EXPECT_NE(unsaved.error().describe().find("bytes where the store recorded " + std::to_string(layer_bytes.size())),
        std::string::npos)
        << unsaved.error().describe();
}

} // namespace
} // namespace engine::image
