// Store round trips in a temporary root: import, resolve, tag, rmi semantics, history, commit,
// save -> load in both archive formats, and persistence across reopening.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <set>

#include "engine/base/fs.h"
#include "engine/base/sha256.h"
#include "engine/image/store.h"
#include "tests/unit/image/test_tar.h"

namespace engine::image {
namespace {

using testing::Compression;
using testing::TarBuilder;
using testing::TempDir;
using testing::tree_of;

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto store = Store::open(m_dir / "root");
        ASSERT_TRUE(store.ok()) << store.error().describe();
        m_store = store.release_value();
    }

    std::string rootfs_tar(const std::string& name, const std::string& marker, Compression compression = Compression::None)
    {
        auto path = m_dir / name;
        TarBuilder(path, compression)
            .dir("bin")
            .file("bin/hello", "#!/bin/sh\necho " + marker + "\n", 0755)
            .symlink("bin/sh", "hello")
            .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
            .hardlink("etc/passwd-", "etc/passwd");
        return path;
    }

    ImageRecord import(const std::string& tag, const std::string& marker, std::int64_t created = 1700000000)
    {
        ImportOptions options;
        options.repo_tag = tag;
        options.created = created;
        auto record = m_store->import_rootfs(rootfs_tar(marker + ".tar", marker), options);
        EXPECT_TRUE(record.ok()) << record.error().describe();
        return record.ok() ? record.value() : ImageRecord {};
    }

    TempDir m_dir;
    std::unique_ptr<Store> m_store;
};

TEST_F(StoreTest, ImportMakesOneLayerImage)
{
    ImportOptions options;
    options.repo_tag = "busybox:1.35.0";
    options.changes = { R"(CMD ["sh"])", "ENV A=b C=\"d e\"", "WORKDIR /srv", "USER nobody", "EXPOSE 80 53/udp",
        "LABEL org.example=yes", "VOLUME /data", "STOPSIGNAL SIGINT", "ENTRYPOINT echo hi" };
    options.message = "base image";
    options.created = 1700000000;
    auto record = m_store->import_rootfs(rootfs_tar("root.tar.gz", "gz", Compression::Gzip), options);
    ASSERT_TRUE(record.ok()) << record.error().describe();
    auto& image = record.value();
    EXPECT_EQ(image.id.substr(0, 7), "sha256:");
    EXPECT_EQ(image.repo_tags, std::vector<std::string> { "busybox:1.35.0" });
    ASSERT_EQ(image.layers.size(), 1u);
    const auto config = image.config.to_json();
    EXPECT_EQ(config["architecture"], "amd64");
    EXPECT_EQ(config["os"], "linux");
    EXPECT_EQ(config["rootfs"]["diff_ids"][0], image.layers[0].diff_id);
    EXPECT_EQ(config["config"]["Cmd"], nlohmann::json({ "sh" }));
    EXPECT_EQ(config["config"]["Entrypoint"], nlohmann::json({ "/bin/sh", "-c", "echo hi" }));
    EXPECT_EQ(config["config"]["Env"], nlohmann::json({ "A=b", "C=d e" }));
    EXPECT_EQ(config["config"]["WorkingDir"], "/srv");
    EXPECT_EQ(config["config"]["User"], "nobody");
    EXPECT_TRUE(config["config"]["ExposedPorts"].contains("80/tcp"));
    EXPECT_TRUE(config["config"]["ExposedPorts"].contains("53/udp"));
    EXPECT_EQ(config["config"]["Labels"]["org.example"], "yes");
    EXPECT_TRUE(config["config"]["Volumes"].contains("/data"));
    EXPECT_EQ(config["config"]["StopSignal"], "SIGINT");
    EXPECT_EQ(config["history"][0]["comment"], "base image");
    EXPECT_EQ(image.created, 1700000000);

    // The layer is unpacked, with its symlink and hardlink.
    auto& dir = image.layers[0].directory;
    EXPECT_EQ(fs::read_file(dir + "/bin/hello").value(), "#!/bin/sh\necho gz\n");
    char target[64] = {};
    ASSERT_GT(::readlink((dir + "/bin/sh").c_str(), target, sizeof target), 0);
    EXPECT_STREQ(target, "hello");
    struct stat a { }, b { };
    ASSERT_EQ(::stat((dir + "/etc/passwd").c_str(), &a), 0);
    ASSERT_EQ(::stat((dir + "/etc/passwd-").c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(image.layers[0].size, image.size);
    EXPECT_GT(image.size, 0u);

    // Image id is the sha256 of the stored config bytes.
    auto config_blob = fs::read_file(m_store->root() + "/image/blobs/sha256/" + image.id.substr(7));
    ASSERT_TRUE(config_blob.ok());
    EXPECT_EQ(image.id, "sha256:" + Sha256::hex(config_blob.value()));
    EXPECT_EQ(nlohmann::json::parse(config_blob.value()), config);
}

TEST_F(StoreTest, BadChangeIsRefusedWithTheInstruction)
{
    ImportOptions options;
    options.changes = { "RUN rm -rf /" };
    auto record = m_store->import_rootfs(rootfs_tar("x.tar", "x"), options);
    ASSERT_FALSE(record.ok());
    EXPECT_NE(record.error().message().find("run"), std::string::npos);
    EXPECT_EQ(record.error().kind(), ErrorKind::InvalidArgument);
}

TEST_F(StoreTest, SameTarAndTimeGiveSameImageId)
{
    auto first = import("a:1", "same");
    auto second = import("b:1", "same");
    EXPECT_EQ(first.id, second.id);
    EXPECT_EQ(m_store->list().size(), 1u);
    EXPECT_EQ(m_store->images_with_layer(first.layers[0].diff_id), std::vector<std::string> { first.id });
}

TEST_F(StoreTest, ResolveByTagAndIds)
{
    auto image = import("busybox:1.35.0", "one");
    auto hex = image.id.substr(7);
    for (std::string ref : { std::string("busybox:1.35.0"), std::string("docker.io/library/busybox:1.35.0"), image.id, hex,
             hex.substr(0, 12), "sha256:" + hex.substr(0, 5) }) {
        auto found = m_store->resolve(ref);
        ASSERT_TRUE(found.ok()) << ref << ": " << found.error().describe();
        EXPECT_EQ(found.value().id, image.id);
    }
    auto missing = m_store->resolve("busybox:latest");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(missing.error().message(), "No such image: busybox:latest");
}

TEST_F(StoreTest, PersistsAcrossReopen)
{
    auto image = import("busybox:1.35.0", "persist");
    m_store.reset();
    auto reopened = Store::open(m_dir / "root");
    ASSERT_TRUE(reopened.ok());
    auto found = reopened.value()->resolve("busybox:1.35.0");
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found.value().id, image.id);
    EXPECT_EQ(found.value().layers[0].directory, image.layers[0].directory);
    EXPECT_EQ(reopened.value()->total_layer_size(), image.size);
}

TEST_F(StoreTest, TagAndRemoveSemantics)
{
    auto image = import("busybox:1.35.0", "rmi");
    ASSERT_TRUE(m_store->tag("busybox:1.35.0", "mine:v1").ok());
    EXPECT_EQ(m_store->resolve("mine:v1").value().id, image.id);
    EXPECT_FALSE(m_store->tag("busybox:1.35.0", "Bad:Tag").ok());
    EXPECT_FALSE(m_store->tag("nothing:here", "x:y").ok());

    auto none = [](const std::string&) { return std::string(); };
    // By id with two tags: Conflict unless forced.
    auto by_id = m_store->remove(image.id.substr(7, 12), false, none);
    ASSERT_FALSE(by_id.ok());
    EXPECT_EQ(by_id.error().kind(), ErrorKind::Conflict);

    // Removing one of two tags only untags.
    auto untag = m_store->remove("mine:v1", false, none);
    ASSERT_TRUE(untag.ok());
    ASSERT_EQ(untag.value().size(), 1u);
    EXPECT_EQ(untag.value()[0].untagged, "mine:v1");
    EXPECT_TRUE(m_store->resolve(image.id).ok());

    // The last tag of an image a container uses: Conflict naming the container.
    auto used = m_store->remove("busybox:1.35.0", false, [](const std::string&) { return std::string("web"); });
    ASSERT_FALSE(used.ok());
    EXPECT_EQ(used.error().kind(), ErrorKind::Conflict);
    EXPECT_NE(used.error().message().find("web"), std::string::npos);

    // The last tag goes with the image and its layer.
    auto layer_dir = image.layers[0].directory;
    auto removed = m_store->remove("busybox:1.35.0", false, none);
    ASSERT_TRUE(removed.ok()) << removed.error().describe();
    ASSERT_GE(removed.value().size(), 2u);
    EXPECT_EQ(removed.value()[0].untagged, "busybox:1.35.0");
    EXPECT_EQ(removed.value()[1].deleted, image.id);
    EXPECT_FALSE(m_store->resolve(image.id).ok());
    EXPECT_FALSE(fs::exists(layer_dir));
    EXPECT_EQ(m_store->total_layer_size(), 0u);
}

TEST_F(StoreTest, CommitHistoryAndParentProtection)
{
    auto base = import("base:1", "base");
    auto layer = m_dir / "layer.tar";
    TarBuilder(layer).file("app/run", "run\n", 0755);
    ImageConfig config = base.config;
    config.container_config.emplace().cmd = std::vector<std::string> { "/bin/sh", "-c", "echo run > /app/run" };
    config.mutable_defaults().cmd = std::vector<std::string> { "/app/run" };
    config.created = "2024-01-02T03:04:05Z";
    auto child = m_store->commit(base, layer, config);
    ASSERT_TRUE(child.ok()) << child.error().describe();
    EXPECT_EQ(child.value().layers.size(), 2u);
    EXPECT_EQ(child.value().parent, base.id);
    ASSERT_TRUE(child.value().config.diff_ids);
    EXPECT_EQ(child.value().config.diff_ids->size(), 2u);
    ASSERT_TRUE(m_store->tag(child.value().id, "app:1").ok());

    // An empty commit (config only) adds an empty_layer history entry.
    ImageConfig config2 = child.value().config;
    config2.history.reset();
    config2.mutable_defaults().user = "nobody";
    auto meta_only = m_store->commit(child.value(), "", config2);
    ASSERT_TRUE(meta_only.ok()) << meta_only.error().describe();
    EXPECT_EQ(meta_only.value().layers.size(), 2u);

    auto history = m_store->history(meta_only.value().id);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history.value().size(), 3u);
    EXPECT_EQ(history.value()[0].id, meta_only.value().id);
    EXPECT_TRUE(history.value()[0].empty_layer);
    EXPECT_EQ(history.value()[0].size, 0u);
    EXPECT_EQ(history.value()[1].id, child.value().id);
    EXPECT_EQ(history.value()[1].tags, std::vector<std::string> { "app:1" });
    EXPECT_EQ(history.value()[1].created_by, "/bin/sh -c echo run > /app/run");
    EXPECT_EQ(history.value()[1].size, 4u);
    EXPECT_EQ(history.value()[2].id, base.id);
    EXPECT_EQ(history.value()[2].size, base.size);

    // The base is a parent: deleting it by id is refused; untagging it is fine.
    auto none = [](const std::string&) { return std::string(); };
    auto refused = m_store->remove(base.id, false, none);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind(), ErrorKind::Conflict);
    auto untagged = m_store->remove("base:1", false, none);
    ASSERT_TRUE(untagged.ok());
    EXPECT_TRUE(m_store->resolve(base.id).ok());
    // Base and child share the base layer.
    EXPECT_EQ(m_store->images_with_layer(base.layers[0].diff_id).size(), 3u);
}

// Configs stay in their blobs (a build's chain of images would otherwise keep every history in
// memory); records carry the creation time and history length, so `history` names each ancestor
// after a reopen, and records written before they carried them are still read.
TEST_F(StoreTest, HistoryOfACommitChainHoldsAfterReopenWithOldAndNewRecords)
{
    auto base = import("base:1", "chain");
    std::vector<ImageRecord> chain { base };
    for (int i = 0; i < 3; ++i) {
        ImageConfig config = chain.back().config;
        config.history.reset();
        config.mutable_defaults().env = std::vector<std::string> { "STEP=" + std::to_string(i) };
        config.container_config.emplace().cmd
            = std::vector<std::string> { "/bin/sh", "-c", "#(nop) ENV STEP=" + std::to_string(i) };
        auto next = m_store->commit(chain.back(), "", config);
        ASSERT_TRUE(next.ok()) << next.error().describe();
        EXPECT_EQ(next.value().config.history_length(), chain.size() + 1);
        chain.push_back(next.release_value());
    }
    ASSERT_TRUE(m_store->tag(chain.back().id, "top:1").ok());
    auto check = [&](Store& store) {
        auto history = store.history("top:1");
        ASSERT_TRUE(history.ok()) << history.error().describe();
        ASSERT_EQ(history.value().size(), chain.size());
        for (size_t i = 0; i < chain.size(); ++i)
            EXPECT_EQ(history.value()[i].id, chain[chain.size() - 1 - i].id) << "entry " << i;
        auto top = store.resolve("top:1");
        ASSERT_TRUE(top.ok());
        EXPECT_EQ(top.value().config.defaults().env_value("STEP"), std::optional<std::string>("2"));
        EXPECT_EQ(top.value().created, chain.back().created);
        EXPECT_EQ(store.count(), chain.size());
        EXPECT_EQ(store.list().size(), chain.size());
    };
    m_store.reset();
    {
        auto reopened = Store::open(m_dir / "root");
        ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
        check(*reopened.value());
    }

    // The same store with records as older daemons wrote them (no created, no history_length).
    auto images = m_dir / "root/image/images";
    for (const auto& name : fs::list_dir(images)) {
        auto record = nlohmann::json::parse(fs::read_file(images + "/" + name).value());
        ASSERT_TRUE(record.contains("history_length")) << name;
        record.erase("created");
        record.erase("history_length");
        ASSERT_TRUE(fs::write_file_atomic(images + "/" + name, record.dump()).ok());
    }
    auto old = Store::open(m_dir / "root");
    ASSERT_TRUE(old.ok()) << old.error().describe();
    check(*old.value());
}

TEST_F(StoreTest, RefusesMoreThan125Layers)
{
    auto base = import("base:1", "deep");
    ImageRecord deep = base;
    deep.layers.assign(125, base.layers[0]);
    auto layer = m_dir / "one.tar";
    TarBuilder(layer).file("x", "x");
    auto result = m_store->commit(deep, layer, base.config);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find("limit is 125"), std::string::npos);
}

class SaveLoadTest : public StoreTest, public ::testing::WithParamInterface<ArchiveFormat> { };

TEST_P(SaveLoadTest, RoundTripKeepsImageId)
{
    auto base = import("busybox:1.35.0", "saved");
    auto layer = m_dir / "top.tar";
    TarBuilder(layer).file("top", "top\n");
    auto child = m_store->commit(base, layer, base.config);
    ASSERT_TRUE(child.ok());
    ASSERT_TRUE(m_store->tag(child.value().id, "team/app:v2").ok());
    auto archive = m_dir / "out.tar";
    auto saved = m_store->save({ "busybox:1.35.0", "team/app:v2" }, archive, GetParam());
    ASSERT_TRUE(saved.ok()) << saved.error().describe();

    auto other = Store::open(m_dir / "other");
    ASSERT_TRUE(other.ok());
    auto loaded = other.value()->load(archive);
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    EXPECT_EQ(loaded.value(), (std::vector<std::string> { "busybox:1.35.0", "team/app:v2" }));
    auto again = other.value()->resolve("team/app:v2");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value().id, child.value().id);
    EXPECT_EQ(again.value().layers.size(), 2u);
    EXPECT_EQ(fs::read_file(again.value().layers[1].directory + "/top").value(), "top\n");
    EXPECT_EQ(other.value()->resolve("busybox:1.35.0").value().id, base.id);

    // Loading twice is harmless.
    EXPECT_TRUE(other.value()->load(archive).ok());
    EXPECT_EQ(other.value()->list().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Formats, SaveLoadTest, ::testing::Values(ArchiveFormat::Docker, ArchiveFormat::Oci));

// The image id is the digest of the config bytes as they came: a config written the way dockerd
// writes it (Go's key order, nulls, fields glassbox does not model, "80" for a port) is stored,
// listed and saved again byte for byte, however the typed value reads it.
TEST_F(StoreTest, LoadedConfigKeepsItsBytesAndIdThroughLoadAndSave)
{
    auto image = import("busybox:1.35.0", "bytes");
    auto layer_tar = fs::read_file(m_store->layer_tar_path(image.layers[0].diff_id)).value();
    std::string config = R"({"architecture":"amd64","config":{"Hostname":"","Env":["PATH=/bin"],"Cmd":["sh"],)"
        R"("Image":"sha256:0000","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null,)"
        R"("ExposedPorts":{"80":{}}},"created":"2024-01-02T03:04:05.123456789Z","docker_version":"24.0.7",)"
        R"("history":[{"created":"2024-01-02T03:04:05Z","created_by":"/bin/sh -c #(nop) ADD file:x in / ","x-extra":1}],)"
        R"("os":"linux","rootfs":{"type":"layers","diff_ids":[")" + image.layers[0].diff_id + R"("]},"variant":"v8"})";
    auto hex = Sha256::hex(config);
    auto archive = m_dir / "go.tar";
    nlohmann::json manifest = { { { "Config", hex + ".json" }, { "RepoTags", { "go:1" } }, { "Layers", { "l/layer.tar" } } } };
    TarBuilder(archive).file("manifest.json", manifest.dump()).file(hex + ".json", config).file("l/layer.tar", layer_tar);
    auto loaded = m_store->load(archive);
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();

    auto record = m_store->resolve("go:1");
    ASSERT_TRUE(record.ok()) << record.error().describe();
    EXPECT_EQ(record.value().id, "sha256:" + hex);
    EXPECT_EQ(fs::read_file(m_store->root() + "/image/blobs/sha256/" + hex).value(), config);
    // Typed where it is modelled (the port normalized), kept as written where it is not.
    const auto& typed = record.value().config;
    ASSERT_TRUE(typed.config && typed.config->exposed_ports);
    EXPECT_EQ(typed.config->exposed_ports->begin()->key(), "80/tcp");
    EXPECT_EQ(typed.config->other.at("Hostname"), "");
    EXPECT_TRUE(typed.config->other.at("Volumes").is_null());
    EXPECT_EQ(typed.other.at("variant"), "v8");
    EXPECT_EQ(typed.history->at(0).other.at("x-extra"), 1);

    // Reopened (the config read from its blob) and saved: the same bytes, the same id.
    m_store.reset();
    m_store = Store::open(m_dir / "root").release_value();
    auto saved_path = m_dir / "saved.tar";
    ASSERT_TRUE(m_store->save({ "go:1" }, saved_path, ArchiveFormat::Docker).ok());
    auto other = Store::open(m_dir / "other").release_value();
    ASSERT_TRUE(other->load(saved_path).ok());
    EXPECT_EQ(other->resolve("go:1").value().id, "sha256:" + hex);
    EXPECT_EQ(fs::read_file(other->root() + "/image/blobs/sha256/" + hex).value(), config);
}

// A config whose modelled field has the wrong type is refused at load, naming the field.
TEST_F(StoreTest, LoadRefusesAConfigFieldOfTheWrongTypeNamingIt)
{
    auto image = import("busybox:1.35.0", "typed");
    auto layer_tar = fs::read_file(m_store->layer_tar_path(image.layers[0].diff_id)).value();
    auto config = image.config.to_json();
    for (auto [change, expect] : { std::pair<std::function<void(nlohmann::json&)>, std::string> {
                                       [](nlohmann::json& c) { c["config"]["Cmd"] = 7; }, "config.Cmd must be an array of strings, got a number" },
             std::pair<std::function<void(nlohmann::json&)>, std::string> {
                 [](nlohmann::json& c) { c["config"]["ExposedPorts"] = { { "http", nlohmann::json::object() } }; },
                 "config.ExposedPorts: invalid port \"http\"" } }) {
        auto bad = config;
        change(bad);
        auto bytes = bad.dump();
        auto hex = Sha256::hex(bytes);
        auto archive = m_dir / "typed.tar";
        nlohmann::json manifest = { { { "Config", hex + ".json" }, { "RepoTags", { "bad:1" } }, { "Layers", { "l/layer.tar" } } } };
        TarBuilder(archive).file("manifest.json", manifest.dump()).file(hex + ".json", bytes).file("l/layer.tar", layer_tar);
        auto loaded = m_store->load(archive);
        ASSERT_FALSE(loaded.ok()) << expect;
        EXPECT_NE(loaded.error().message().find(expect), std::string::npos) << loaded.error().describe();
        EXPECT_FALSE(m_store->resolve("bad:1").ok());
    }
}

TEST_F(StoreTest, LoadRejectsTraversalInManifest)
{
    auto image = import("busybox:1.35.0", "evil");
    auto hex = image.id.substr(7);
    auto config = fs::read_file(m_store->root() + "/image/blobs/sha256/" + hex).value();
    auto layer_tar = fs::read_file(m_store->layer_tar_path(image.layers[0].diff_id)).value();
    struct Case {
        std::string config_name;
        std::string layer_name;
        std::string expect;
    };
    for (auto& c : { Case { "../../x", "l/layer.tar", "Config" }, Case { hex + ".json", "../y/layer.tar", "leaves the archive" },
             Case { hex + ".json", "/etc/passwd", "invalid path" }, Case { "abc.json", "l/layer.tar", "sha256" } }) {
        auto archive = m_dir / "evil.tar";
        nlohmann::json manifest = { { { "Config", c.config_name }, { "RepoTags", { "evil:1" } }, { "Layers", { c.layer_name } } } };
        TarBuilder(archive).file("manifest.json", manifest.dump()).file(hex + ".json", config).file("l/layer.tar", layer_tar);
        auto loaded = m_store->load(archive);
        ASSERT_FALSE(loaded.ok()) << c.config_name << " " << c.layer_name;
        EXPECT_NE(loaded.error().message().find(c.expect), std::string::npos) << loaded.error().describe();
    }
}

TEST_F(StoreTest, LoadRejectsDuplicateKeysAndWrongDigest)
{
    auto image = import("busybox:1.35.0", "dup");
    auto hex = image.id.substr(7);
    auto config = fs::read_file(m_store->root() + "/image/blobs/sha256/" + hex).value();
    auto layer_tar = fs::read_file(m_store->layer_tar_path(image.layers[0].diff_id)).value();

    auto archive = m_dir / "dup.tar";
    std::string manifest = R"([{"Config":")" + hex + R"(.json","Config":"x.json","Layers":["l/layer.tar"]}])";
    TarBuilder(archive).file("manifest.json", manifest).file(hex + ".json", config).file("l/layer.tar", layer_tar);
    auto loaded = m_store->load(archive);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message().find("duplicate key"), std::string::npos) << loaded.error().describe();

    // A config whose bytes do not hash to its name.
    auto wrong = m_dir / "wrong.tar";
    nlohmann::json good_manifest = { { { "Config", hex + ".json" }, { "Layers", { "l/layer.tar" } } } };
    TarBuilder(wrong).file("manifest.json", good_manifest.dump()).file(hex + ".json", config + " ").file("l/layer.tar", layer_tar);
    auto mismatch = m_store->load(wrong);
    ASSERT_FALSE(mismatch.ok());
    EXPECT_NE(mismatch.error().message().find("digest"), std::string::npos) << mismatch.error().describe();

    // A layer that is not the one the config names.
    auto other_layer = m_dir / "o.tar";
    TarBuilder(other_layer).file("different", "x");
    auto swapped = m_dir / "swapped.tar";
    TarBuilder(swapped).file("manifest.json", good_manifest.dump()).file(hex + ".json", config)
        .file("l/layer.tar", fs::read_file(other_layer).value());
    auto diff = m_store->load(swapped);
    ASSERT_FALSE(diff.ok());
    EXPECT_NE(diff.error().message().find("diff id"), std::string::npos) << diff.error().describe();
    // The refused layer was checked before it was stored: only the imported image's layer and
    // its blobs (layer tar, config) are there.
    EXPECT_EQ(fs::list_dir(m_store->root() + "/image/layers").size(), 1u);
    EXPECT_EQ(fs::list_dir(m_store->root() + "/image/blobs/sha256").size(), 2u);
}

// CVE-2021-21285: a malformed manifest.json or config crashed dockerd. Each one here is refused
// with the field at fault named, and the store is left exactly as it was: no image, tag, layer,
// blob or temporary file.
TEST_F(StoreTest, LoadRefusesEveryMalformedManifestAndConfigAndLeavesTheStoreAlone)
{
    auto image = import("busybox:1.35.0", "malformed");
    auto hex = image.id.substr(7);
    auto config_text = fs::read_file(m_store->root() + "/image/blobs/sha256/" + hex).value();
    auto layer_tar = fs::read_file(m_store->layer_tar_path(image.layers[0].diff_id)).value();
    // A second layer, stored by no image yet: a load that fails after storing it must take it away.
    auto extra_path = m_dir / "extra.tar";
    TarBuilder(extra_path).file("extra", "x");
    auto extra_tar = fs::read_file(extra_path).value();
    auto extra_diff = "sha256:" + Sha256::hex(extra_tar);
    auto config_json = nlohmann::json::parse(config_text);

    using nlohmann::json;
    struct Case {
        std::string what;
        std::string manifest;              // manifest.json's text; "" for the default with `config`.
        std::optional<json> config;        // The config to name, if not the imported one.
        std::string expect;
    };
    auto good_entry = [&](const std::string& config_name) {
        return json { { "Config", config_name }, { "RepoTags", { "ok:1" } }, { "Layers", { "l/layer.tar" } } };
    };
    auto with = [&](const std::string& key, json value) {
        auto entry = good_entry(hex + ".json");
        entry[key] = std::move(value);
        return json::array({ entry }).dump();
    };
    auto without = [&](const std::string& key) {
        auto entry = good_entry(hex + ".json");
        entry.erase(key);
        return json::array({ entry }).dump();
    };
    auto config_with = [&](const std::function<void(json&)>& change) {
        auto changed = config_json;
        change(changed);
        return changed;
    };
    std::vector<Case> cases {
        { "manifest an object", R"({"Config":"x"})", {}, "manifest.json must be an array, got an object" },
        { "manifest a number", "7", {}, "manifest.json must be an array, got a number" },
        { "manifest empty", "[]", {}, "manifest.json lists no image" },
        { "entry a number", "[1]", {}, "manifest.json[0] must be an object, got a number" },
        { "entry null", "[null]", {}, "manifest.json[0] must be an object, got null" },
        { "Config a number", with("Config", 5), {}, "manifest.json[0].Config must be a string, got a number" },
        { "Config an object", with("Config", json::object()), {}, "manifest.json[0].Config must be a string, got an object" },
        { "Config null", with("Config", nullptr), {}, "manifest.json[0].Config must be a string, got null" },
        { "Config missing", without("Config"), {}, "manifest.json[0].Config must be a string, got nothing" },
        { "Layers a number", with("Layers", 3), {}, "manifest.json[0].Layers must be an array of strings, got a number" },
        { "Layers an object", with("Layers", json::object()), {}, "manifest.json[0].Layers must be an array of strings, got an object" },
        { "Layers null", with("Layers", nullptr), {}, "manifest.json[0].Layers must be an array of strings, got null" },
        { "Layers missing", without("Layers"), {}, "manifest.json[0].Layers must be an array of strings, got nothing" },
        { "a layer a number", with("Layers", { "l/layer.tar", 4 }), {}, "manifest.json[0].Layers[1] must be a string, got a number" },
        { "Layers empty", with("Layers", json::array()), {}, "lists 1 diff_ids but the manifest has 0 layers" },
        { "Layers longer than diff_ids", with("Layers", { "l/layer.tar", "l/layer.tar" }), {}, "lists 1 diff_ids but the manifest has 2 layers" },
        { "RepoTags a number", with("RepoTags", 1), {}, "manifest.json[0].RepoTags must be an array of strings, got a number" },
        { "RepoTags an object", with("RepoTags", json::object()), {}, "manifest.json[0].RepoTags must be an array of strings, got an object" },
        { "a tag a number", with("RepoTags", { "ok:1", 2 }), {}, "manifest.json[0].RepoTags[1] must be a string, got a number" },
        { "a tag of 1 MiB", with("RepoTags", { std::string(1 << 20, 'a') }), {},
            "manifest.json[0].RepoTags[0] is 1048576 bytes long; a reference is at most 384" },
        { "a tag malformed", with("RepoTags", { "Bad Tag" }), {}, "manifest.json[0].RepoTags[0]" },
        { "a tag twice", with("RepoTags", { "ok:1", "ok:1" }), {}, "manifest.json[0].RepoTags[1] \"ok:1\" is listed twice" },
        { "a tag twice across entries", json::array({ good_entry(hex + ".json"), good_entry(hex + ".json") }).dump(), {},
            "manifest.json[1].RepoTags[0] \"ok:1\" is listed twice" },
        // The second entry is malformed: the first must not have been loaded either.
        { "a bad second entry", json::array({ good_entry(hex + ".json"), json { { "Config", 1 } } }).dump(), {},
            "manifest.json[1].Config must be a string, got a number" },
        { "config an array", "", json::array({ 1 }), "must be a JSON object, got an array" },
        { "config a string", "", json("text"), "must be a JSON object, got a string" },
        { "rootfs missing", "", config_with([](json& c) { c.erase("rootfs"); }), "rootfs must be an object, got nothing" },
        { "rootfs a number", "", config_with([](json& c) { c["rootfs"] = 1; }), "rootfs must be an object, got a number" },
        { "diff_ids an object", "", config_with([](json& c) { c["rootfs"]["diff_ids"] = json::object(); }),
            "rootfs.diff_ids must be an array, got an object" },
        { "diff_ids null", "", config_with([](json& c) { c["rootfs"]["diff_ids"] = nullptr; }), "rootfs.diff_ids must be an array, got null" },
        { "diff_ids empty", "", config_with([](json& c) { c["rootfs"]["diff_ids"] = json::array(); }),
            "lists 0 diff_ids but the manifest has 1 layers" },
        { "a diff_id a number", "", config_with([](json& c) { c["rootfs"]["diff_ids"] = { 1 }; }), "rootfs.diff_ids[0] is not a sha256 digest" },
        { "diff_ids longer than Layers", "", config_with([&](json& c) { c["rootfs"]["diff_ids"].push_back(extra_diff); }),
            "lists 2 diff_ids but the manifest has 1 layers" },
    };
    const auto tree_before = tree_of(m_store->root());
    const auto count_before = m_store->count();
    for (const auto& c : cases) {
        auto config_name = hex + ".json";
        std::string config_bytes = config_text;
        if (c.config) {
            config_bytes = c.config->dump();
            config_name = Sha256::hex(config_bytes) + ".json";
        }
        auto manifest = c.manifest.empty() ? json::array({ good_entry(config_name) }).dump() : c.manifest;
        auto archive = m_dir / "malformed.tar";
        TarBuilder(archive).file("manifest.json", manifest).file(config_name, config_bytes).file("l/layer.tar", layer_tar);
        auto loaded = m_store->load(archive);
        ASSERT_FALSE(loaded.ok()) << c.what;
        EXPECT_EQ(loaded.error().kind(), ErrorKind::InvalidArgument) << c.what << ": " << loaded.error().describe();
        EXPECT_NE(loaded.error().describe().find(c.expect), std::string::npos) << c.what << ": " << loaded.error().describe();
        EXPECT_LT(loaded.error().describe().size(), 2000u) << c.what;
        EXPECT_EQ(tree_of(m_store->root()), tree_before) << c.what;
        EXPECT_EQ(m_store->count(), count_before) << c.what;
        EXPECT_FALSE(m_store->resolve("ok:1").ok()) << c.what;
    }

    // A two-layer image whose second layer is not what its diff_id says: the first layer (new to
    // the store) was stored before the second was checked, and goes again.
    auto two = config_with([&](json& c) { c["rootfs"]["diff_ids"] = { extra_diff, image.layers[0].diff_id }; });
    auto two_bytes = two.dump();
    auto two_name = Sha256::hex(two_bytes) + ".json";
    auto two_layers = [&](const std::string& name, const json& repo_tags, const std::string& second) {
        auto path = m_dir / name;
        auto entry = json { { "Config", two_name }, { "RepoTags", repo_tags }, { "Layers", { "a/layer.tar", "b/layer.tar" } } };
        TarBuilder(path).file("manifest.json", json::array({ entry }).dump()).file(two_name, two_bytes)
            .file("a/layer.tar", extra_tar).file("b/layer.tar", second);
        return path;
    };
    auto refused = m_store->load(two_layers("swapped-second.tar", { "ok:1" }, extra_tar));
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().describe().find("b/layer.tar"), std::string::npos) << refused.error().describe();
    EXPECT_EQ(tree_of(m_store->root()), tree_before);

    // RepoTags null or missing is an untagged image, as dockerd loads it; the same archive with
    // the right second layer loads.
    auto accepted = m_store->load(two_layers("fine.tar", nullptr, layer_tar));
    ASSERT_TRUE(accepted.ok()) << accepted.error().describe();
    EXPECT_EQ(accepted.value(), (std::vector<std::string> { "sha256:" + Sha256::hex(two_bytes) }));
}

// `docker load` of two images whose second has a layer that is not what its diff_id says:
// the first image was loaded (its layer, config and tags stored, one tag moved from another
// image) before the second failed, and the load takes all of it back, naming the entry at fault.
TEST_F(StoreTest, AMultiImageLoadThatFailsHalfWayLoadsNothing)
{
    using nlohmann::json;
    auto image = import("busybox:1.35.0", "kept");
    auto layer_tar = fs::read_file(m_store->layer_tar_path(image.layers[0].diff_id)).value();
    auto first_path = m_dir / "first-layer.tar";
    TarBuilder(first_path).file("first", "1");
    auto first_tar = fs::read_file(first_path).value();
    auto config_for = [](const std::string& diff_id, const std::string& marker) {
        return json { { "architecture", "amd64" }, { "os", "linux" }, { "config", { { "Labels", { { "m", marker } } } } },
            { "rootfs", { { "type", "layers" }, { "diff_ids", { diff_id } } } } }.dump();
    };
    auto first_config = config_for("sha256:" + Sha256::hex(first_tar), "first");
    auto second_config = config_for("sha256:" + Sha256::hex(first_tar), "second");
    auto first_name = Sha256::hex(first_config) + ".json";
    auto second_name = Sha256::hex(second_config) + ".json";
    auto manifest = json::array({
        json { { "Config", first_name }, { "RepoTags", { "first:1", "busybox:1.35.0" } }, { "Layers", { "1/layer.tar" } } },
        json { { "Config", second_name }, { "RepoTags", { "second:1" } }, { "Layers", { "2/layer.tar" } } },
    });
    auto archive = m_dir / "two.tar";
    TarBuilder(archive).file("manifest.json", manifest.dump()).file(first_name, first_config).file(second_name, second_config)
        .file("1/layer.tar", first_tar).file("2/layer.tar", layer_tar);
    const auto tree_before = tree_of(m_store->root());

    auto loaded = m_store->load(archive);
    ASSERT_FALSE(loaded.ok());
    auto message = loaded.error().describe();
    EXPECT_NE(message.find("manifest.json[1]"), std::string::npos) << message;
    EXPECT_NE(message.find("2/layer.tar"), std::string::npos) << message;
    EXPECT_NE(message.find("nothing from the archive was loaded"), std::string::npos) << message;
    EXPECT_EQ(m_store->count(), 1u);
    EXPECT_FALSE(m_store->resolve("first:1").ok());
    EXPECT_FALSE(m_store->resolve("second:1").ok());
    ASSERT_TRUE(m_store->resolve("busybox:1.35.0").ok());
    EXPECT_EQ(m_store->resolve("busybox:1.35.0").value().id, image.id);
    EXPECT_EQ(tree_of(m_store->root()), tree_before);
    // What the store wrote is what a restart reads.
    m_store.reset();
    auto reopened = Store::open(m_dir / "root");
    ASSERT_TRUE(reopened.ok());
    EXPECT_EQ(reopened.value()->resolve("busybox:1.35.0").value().id, image.id);
    EXPECT_FALSE(reopened.value()->resolve("first:1").ok());
}

TEST_F(StoreTest, OpenRemovesLayersAndBlobsNoImageUses)
{
    // What a daemon killed between storing a layer and recording its image leaves: a layer and
    // its blob, plus a config blob whose image record was never written.
    auto kept = import("keep:1", "keep");
    auto orphan = m_store->add_layer(rootfs_tar("orphan.tar", "orphan"));
    ASSERT_TRUE(orphan.ok()) << orphan.error().describe();
    auto blobs = m_store->root() + "/image/blobs/sha256/";
    auto stray = blobs + std::string(64, 'a');
    ASSERT_TRUE(fs::write_file_atomic(stray, "{}").ok());
    auto orphan_dir = m_store->root() + "/image/layers/" + orphan.value().diff_id.substr(7);
    ASSERT_TRUE(fs::is_dir(orphan_dir));

    auto reopened = Store::open(m_store->root());
    ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
    EXPECT_FALSE(fs::exists(orphan_dir));
    EXPECT_FALSE(fs::exists(blobs + orphan.value().diff_id.substr(7)));
    EXPECT_FALSE(fs::exists(stray));
    // The image that uses its layer keeps everything.
    auto resolved = reopened.value()->resolve("keep:1");
    ASSERT_TRUE(resolved.ok()) << resolved.error().describe();
    EXPECT_TRUE(fs::is_dir(resolved.value().layers[0].directory));
    EXPECT_TRUE(fs::exists(blobs + kept.id.substr(7)));
    EXPECT_TRUE(fs::exists(blobs + kept.layers[0].diff_id.substr(7)));
}

// Replaces a blob's bytes with others of the same length through a new inode, as a disk error
// or a hand edit would change them, without the size check at open noticing.
void corrupt_same_size(const std::string& path)
{
    auto bytes = fs::read_file(path);
    ASSERT_TRUE(bytes.ok());
    auto changed = bytes.value();
    changed[changed.size() / 2] ^= 0x20;
    ASSERT_TRUE(fs::write_file_atomic(path, changed, 0600).ok());
}

TEST_F(StoreTest, DamagedBlobsAreQuarantinedNamedAndRepairedByALoadNotDeleted)
{
    auto a = import("a:1", "alpha");
    auto b = import("b:1", "bravo");
    auto archive = m_dir / "both.tar";
    ASSERT_TRUE(m_store->save({ "a:1", "b:1" }, archive, ArchiveFormat::Docker).ok());
    auto image_dir = m_store->root() + "/image/";
    auto a_config = image_dir + "blobs/sha256/" + a.id.substr(7);
    auto b_layer_blob = image_dir + "blobs/sha256/" + b.layers[0].diff_id.substr(7);
    const auto b_layer_bytes = fs::read_file(b_layer_blob).value();

    // Read for use: a config whose bytes changed is refused naming the image and the blob, and
    // moved to quarantine/ rather than deleted.
    corrupt_same_size(a_config);
    auto refused = m_store->resolve("a:1");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message().find("image " + a.id), std::string::npos) << refused.error().describe();
    EXPECT_NE(refused.error().message().find("failed verification"), std::string::npos) << refused.error().describe();
    EXPECT_FALSE(fs::exists(a_config));
    EXPECT_TRUE(fs::exists(image_dir + "quarantine/" + a.id.substr(7)));
    // A layer blob is verified as `save` copies it.
    corrupt_same_size(b_layer_blob);
    auto unsaved = m_store->save({ "b:1" }, m_dir / "b.tar", ArchiveFormat::Docker);
    ASSERT_FALSE(unsaved.ok());
    EXPECT_NE(unsaved.error().message().find(b.layers[0].diff_id), std::string::npos) << unsaved.error().describe();
    EXPECT_FALSE(fs::exists(m_dir / "b.tar"));
    EXPECT_TRUE(fs::exists(image_dir + "quarantine/" + b.layers[0].diff_id.substr(7)));

    // At a start: an image whose config blob is gone keeps its tag and its layers (the start
    // used to drop it and then delete its layers as unused) and is refused when used; a layer
    // blob of the wrong size (put back with a byte more than the store recorded) is quarantined;
    // the image on that layer still runs, and saving it fails naming the size.
    auto b_config = image_dir + "blobs/sha256/" + b.id.substr(7);
    ASSERT_TRUE(fs::write_file_atomic(b_layer_blob, b_layer_bytes + "x", 0600).ok());
    m_store.reset();
    {
        auto reopened = Store::open(m_dir / "root");
        ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
        auto& store = *reopened.value();
        auto still_refused = store.resolve("a:1");
        ASSERT_FALSE(still_refused.ok());
        EXPECT_NE(still_refused.error().message().find("is missing"), std::string::npos) << still_refused.error().describe();
        EXPECT_TRUE(fs::is_dir(a.layers[0].directory));
        EXPECT_TRUE(store.resolve("b:1").ok());
        EXPECT_FALSE(fs::exists(b_layer_blob));
        auto unsaved_at_start = store.save({ "b:1" }, m_dir / "b.tar", ArchiveFormat::Docker);
        ASSERT_FALSE(unsaved_at_start.ok());
        auto message = unsaved_at_start.error().describe();
        EXPECT_NE(message.find("layer blob " + b.layers[0].diff_id), std::string::npos) << message;
        EXPECT_NE(message.find("has " + std::to_string(b_layer_bytes.size() + 1) + " bytes where the store recorded "
                      + std::to_string(b_layer_bytes.size())),
            std::string::npos)
            << message;
        // A damaged image can still be removed.
        auto removed = store.remove("a:1", false, {});
        ASSERT_TRUE(removed.ok()) << removed.error().describe();
        EXPECT_FALSE(fs::is_dir(a.layers[0].directory));
    }
    auto shorter = fs::read_file(b_config);
    ASSERT_TRUE(shorter.ok());
    ASSERT_TRUE(fs::write_file_atomic(b_config, shorter.value().substr(1), 0600).ok());
    auto reopened = Store::open(m_dir / "root");
    ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
    auto& store = *reopened.value();
    auto short_config = store.resolve("b:1");
    ASSERT_FALSE(short_config.ok());
    EXPECT_NE(short_config.error().message().find("bytes where the store recorded"), std::string::npos)
        << short_config.error().describe();

    // Loading the images again writes the blobs anew.
    auto loaded = store.load(archive);
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    EXPECT_TRUE(store.resolve("a:1").ok());
    EXPECT_TRUE(store.resolve("b:1").ok());
    EXPECT_TRUE(store.save({ "a:1", "b:1" }, m_dir / "again.tar", ArchiveFormat::Docker).ok());
    EXPECT_EQ(Sha256::hex_of_file(b_layer_blob).value(), b.layers[0].diff_id.substr(7));
}

TEST_F(StoreTest, AnImageWhoseLayerIsGoneIsRefusedNamingTheLayer)
{
    auto a = import("a:1", "alpha");
    m_store.reset();
    ASSERT_TRUE(fs::remove_tree(m_dir / "root/image/layers/" + a.layers[0].diff_id.substr(7)).ok());
    auto reopened = Store::open(m_dir / "root");
    ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
    auto refused = reopened.value()->resolve("a:1");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message().find("layer " + a.layers[0].diff_id + " is missing"), std::string::npos)
        << refused.error().describe();
}

TEST_F(StoreTest, LoadRejectsAmbiguousOciIndex)
{
    auto archive = m_dir / "ambiguous.tar";
    TarBuilder(archive)
        .file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")
        .file("index.json", R"({"schemaVersion":2,"manifests":[],"layers":[]})");
    auto loaded = m_store->load(archive);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message().find("ambiguous"), std::string::npos) << loaded.error().describe();

    auto bad_digest = m_dir / "bad-digest.tar";
    TarBuilder(bad_digest)
        .file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")
        .file("index.json", R"({"schemaVersion":2,"manifests":[{"digest":"sha256:../../etc/passwd"}]})");
    auto rejected = m_store->load(bad_digest);
    ASSERT_FALSE(rejected.ok());
    EXPECT_NE(rejected.error().message().find("invalid digest"), std::string::npos) << rejected.error().describe();
}

// An archive is untrusted: a member of the wrong type (where nlohmann's value() would throw) is
// load's error, or an entry skipped, never an exception out of the store.
TEST_F(StoreTest, LoadOfWronglyTypedOciMembersIsAnErrorNotAnException)
{
    std::string array_blob = "[]";
    auto hex = Sha256::hex(array_blob);
    auto array_manifest = m_dir / "array-manifest.tar";
    TarBuilder(array_manifest)
        .file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")
        .file("index.json", R"({"schemaVersion":2,"manifests":[{"digest":"sha256:)" + hex + R"("}]})")
        .file("blobs/sha256/" + hex, array_blob);
    std::optional<Result<std::vector<std::string>>> loaded;
    EXPECT_NO_THROW(loaded.emplace(m_store->load(array_manifest)));
    ASSERT_TRUE(loaded && !loaded->ok());
    EXPECT_NE(loaded->error().message().find("needs config and layers"), std::string::npos) << loaded->error().describe();

    auto numeric_os = m_dir / "numeric-os.tar";
    TarBuilder(numeric_os)
        .file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")
        .file("index.json", R"({"schemaVersion":2,"manifests":[{"digest":"sha256:)" + hex + R"(","platform":{"os":7,"architecture":[]}}]})")
        .file("blobs/sha256/" + hex, array_blob);
    EXPECT_NO_THROW((void)m_store->load(numeric_os));

    auto numeric_layout = m_dir / "numeric-layout.tar";
    TarBuilder(numeric_layout)
        .file("oci-layout", R"({"imageLayoutVersion":1})")
        .file("index.json", R"({"schemaVersion":2,"manifests":[]})");
    std::optional<Result<std::vector<std::string>>> refused;
    EXPECT_NO_THROW(refused.emplace(m_store->load(numeric_layout)));
    ASSERT_TRUE(refused && !refused->ok());
    EXPECT_TRUE(m_store->list().empty());
}

} // namespace
} // namespace engine::image

namespace engine::image {
namespace {

// scripts/make-base-rootfs is deterministic: two runs import as the same image id.
TEST(BaseRootfs, SameMachineSameImageId)
{
    std::string source = __FILE__;
    auto script = source.substr(0, source.rfind("tests/unit/image/")) + "scripts/make-base-rootfs";
    if (::access("/bin/busybox", X_OK) != 0 || ::access(script.c_str(), X_OK) != 0)
        GTEST_SKIP() << "needs busybox-static and " << script;
    testing::TempDir dir;
    std::vector<std::string> ids;
    for (const char* run : { "one", "two" }) {
        // The file name goes into the history comment, so both runs use the same one.
        ASSERT_TRUE(fs::make_dirs(dir / run).ok());
        auto name = std::string(run) + "/base.tar";
        auto command = script + " " + (dir / name) + " > " + (dir / "tag");
        ASSERT_EQ(std::system(command.c_str()), 0);
        auto tag = fs::read_file(dir / "tag").value();
        EXPECT_EQ(tag.rfind("busybox:", 0), 0u);
        EXPECT_EQ(tag.find("latest"), std::string::npos);
        auto store = Store::open(dir / name + ".store").release_value();
        ImportOptions options;
        options.repo_tag = tag.substr(0, tag.find('\n'));
        options.created = 0;
        auto image = store->import_rootfs(dir / name, options);
        ASSERT_TRUE(image.ok()) << image.error().describe();
        auto fs_dir = image.value().layers[0].directory;
        char target[32] = {};
        ASSERT_GT(::readlink((fs_dir + "/bin/sh").c_str(), target, sizeof target), 0);
        EXPECT_STREQ(target, "/bin/busybox");
        struct stat st { };
        ASSERT_EQ(::stat((fs_dir + "/tmp").c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 01777u);
        EXPECT_NE(fs::read_file(fs_dir + "/etc/passwd").value().find("nobody:x:65534:65534"), std::string::npos);
        ids.push_back(image.value().id);
    }
    EXPECT_EQ(ids[0], ids[1]);
}

} // namespace
} // namespace engine::image
