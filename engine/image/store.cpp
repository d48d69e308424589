// The image store: ids, layers and tags in memory, mirrored to files under <root>/image written
// atomically; image configs stay in their blobs and are read on demand.
// Layers are decompressed once into blobs/sha256/<diffid-hex> (the plain tar, reused by `save`)
// and unpacked once into layers/<diffid-hex>/fs; images share them by diff id.
// Kernel interfaces: files only (see layer.cpp for the unpacking syscalls).
#include "engine/image/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>

#include "engine/base/fd.h"
#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/sha256.h"
#include "engine/base/strings.h"
#include "engine/image/config.h"
#include "engine/image/layer.h"

namespace engine::image {

namespace {

std::string hex_of(const std::string& digest)
{
    return strings::starts_with(digest, "sha256:") ? digest.substr(7) : digest;
}

std::string short_id(const std::string& id)
{
    return hex_of(id).substr(0, 12);
}

std::int64_t now_seconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Error no_such_image(std::string_view reference)
{
    return Error::not_found("No such image: " + std::string(reference));
}

} // namespace

// [SECTION] Opening and layout.

Result<std::unique_ptr<Store>> Store::open(const std::string& root)
{
    auto store = std::make_unique<Store>(root);
    for (const char* sub : { "/blobs/sha256", "/layers", "/images", "/tmp" })
        TRY_CTX(fs::make_dirs(store->image_dir() + sub, 0700), "open image store");
    // Leftovers of an interrupted import or load.
    for (auto& name : fs::list_dir(store->image_dir() + "/tmp"))
        (void)fs::remove_tree(store->image_dir() + "/tmp/" + name);
    TRY_CTX(store->load_state(), "open image store " + store->image_dir());
    store->remove_unreferenced();
    store->backfill_blob_sizes();
    store->check_blobs();
    return store;
}

// Blobs are hashed when they enter the store and again when they are read for use; hashing
// every blob at each start would make a start with big images slow (dockerd verifies on read
// too), so a start checks only that every blob an image or layer names is there with the size
// the store recorded. An image whose config blob or layer is damaged stays listed in the store
// (its tags and layers are kept) but cannot be used: the error names the image and the blob.
void Store::check_blobs()
{
    for (auto& [diff_id, layer] : m_layers) {
        auto size = m_blob_sizes.find(diff_id);
        check_blob_size_locked(diff_id, size != m_blob_sizes.end() ? size->second : 0, "layer " + diff_id);
    }
    for (auto& [id, entry] : m_images) {
        if (!m_damaged.count(id))
            check_blob_size_locked(id, entry.config_size, "image " + id);
        if (auto damage = damage_of_locked(entry); !damage.empty()) {
            auto tags = tags_locked(id);
            log::error("image store: image " + id + (tags.empty() ? "" : " (" + strings::join(tags, ", ") + ")")
                + " cannot be used: " + damage);
        }
    }
}

// Records written before the store kept blob sizes (an image's config_size, a layer meta.json's
// blob_size) left those blobs out of the size check at each start. A blob that hashes to its name
// gets its size recorded, the record rewritten atomically; one that does not is quarantined, as
// a read for use would do. Each such blob is hashed once, at the first start that finds it.
void Store::backfill_blob_sizes()
{
    for (auto& [diff_id, layer] : m_layers) {
        auto path = blob_path(diff_id);
        if (m_blob_sizes.count(diff_id) || m_damaged.count(diff_id) || !fs::exists(path))
            continue; // A missing blob is check_blobs' to name.
        auto owner = "layer " + diff_id;
        auto actual = Sha256::hex_of_file(path);
        struct stat st { };
        if (!actual.ok() || ::stat(path.c_str(), &st) != 0) {
            log::warn("image store: " + owner + ": cannot record the size of blob " + path + ": "
                + (actual.ok() ? std::string(std::strerror(errno)) : actual.error().describe()));
            continue;
        }
        if (actual.value() != hex_of(diff_id)) {
            (void)quarantine_locked(diff_id, owner, "hashes to sha256:" + actual.value());
            continue;
        }
        auto meta_path = image_dir() + "/layers/" + hex_of(diff_id) + "/meta.json";
        auto meta = read_json_file(meta_path);
        if (meta.ok() && meta.value().is_object()) {
            meta.value()["blob_size"] = static_cast<std::uint64_t>(st.st_size);
            if (auto written = fs::write_file_atomic(meta_path, meta.value().dump(2) + "\n", 0600); !written.ok()) {
                log::warn("image store: " + owner + ": " + written.error().describe());
                continue;
            }
        } else {
            log::warn("image store: " + owner + ": cannot record the size of its blob in " + meta_path
                + (meta.ok() ? ": not a JSON object" : ": " + meta.error().describe()));
            continue;
        }
        m_blob_sizes[diff_id] = static_cast<std::uint64_t>(st.st_size);
        log::info("image store: " + owner + ": recorded the size of its blob (" + std::to_string(st.st_size) + " bytes)");
    }
    for (auto& [id, entry] : m_images) {
        if (entry.config_size != 0 || m_damaged.count(id) || !fs::exists(blob_path(id)))
            continue;
        auto owner = "image " + id + " (its config)";
        auto bytes = read_verified_blob_locked(id, owner);
        if (!bytes.ok())
            continue; // Quarantined, and logged naming the image and the blob.
        // The whole record is written as a new one is, with the created and history_length
        // load_state read from the config when the record lacked them; a config that does not
        // parse keeps its record as it is.
        if (auto config = config_locked(entry); !config.ok()) {
            log::error("image store: " + owner + ": " + config.error().describe());
            continue;
        }
        entry.config_size = bytes.value().size();
        if (auto written = write_image_locked(entry); !written.ok())
            log::warn("image store: " + owner + ": " + written.error().describe());
        else
            log::info("image store: " + owner + ": recorded the size of its config blob (" + std::to_string(entry.config_size) + " bytes)");
    }
}

bool Store::check_blob_size_locked(const std::string& digest, std::uint64_t expected_size, const std::string& owner)
{
    struct stat st { };
    if (::stat(blob_path(digest).c_str(), &st) != 0) {
        m_damaged[digest] = "is missing from the image store";
        log::error("image store: " + owner + ": blob " + digest + " is missing");
        return false;
    }
    if (expected_size != 0 && static_cast<std::uint64_t>(st.st_size) != expected_size) {
        (void)quarantine_locked(digest, owner, "has " + std::to_string(st.st_size) + " bytes where the store recorded "
            + std::to_string(expected_size));
        return false;
    }
    return true;
}

Error Store::quarantine_locked(const std::string& digest, const std::string& owner, const std::string& problem) const
{
    auto directory = image_dir() + "/quarantine";
    auto target = directory + "/" + hex_of(digest);
    std::string reason = "failed verification (it " + problem + ")";
    if (auto made = fs::make_dirs(directory, 0700); !made.ok()) {
        log::warn("image store: " + made.error().describe());
    } else {
        if (fs::exists(target))
            target += "-" + strings::random_hex_id(8);
        if (::rename(blob_path(digest).c_str(), target.c_str()) == 0)
            reason += " and was moved to " + target;
        else
            log::warn("image store: could not move blob " + digest + " to " + target + ": " + std::strerror(errno));
    }
    m_damaged[digest] = reason;
    auto message = owner + ": blob " + digest + " " + reason;
    log::error("image store: " + message);
    return Error::system(message + "; remove the images that use it and load them again");
}

Result<std::string> Store::read_verified_blob_locked(const std::string& digest, const std::string& owner) const
{
    if (auto it = m_damaged.find(digest); it != m_damaged.end())
        return Error::system(owner + ": blob " + digest + " " + it->second + "; remove the images that use it and load them again");
    auto path = blob_path(digest);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st { };
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
        if (errno == ENOENT) {
            m_damaged[digest] = "is missing from the image store";
            return Error::system(owner + ": blob " + digest + " is missing from the image store");
        }
        return Error::from_errno("read blob " + digest + " (" + owner + ")", errno);
    }
    std::string bytes;
    TRY(fs::read_chunks(fd.get(), path, [&](std::string_view chunk) { bytes.append(chunk); }));
    // Hashed on every read: nothing stat shows (inode, size, mtime) proves the bytes unchanged,
    // as a rewrite in place followed by `touch -r` keeps all three.
    if (auto actual = Sha256::hex(bytes); actual != hex_of(digest))
        return quarantine_locked(digest, owner, "hashes to sha256:" + actual);
    return bytes;
}

std::string Store::damage_of_locked(const ImageEntry& entry) const
{
    if (auto it = m_damaged.find(entry.id); it != m_damaged.end())
        return "config blob " + entry.id + " " + it->second;
    for (auto& diff_id : entry.diff_ids)
        if (!m_layers.count(diff_id))
            return "layer " + diff_id + " is missing from the image store";
    return {};
}

// A daemon killed between storing a layer and recording the image that uses it (a load, import
// or build step cut short), or half-way through deleting an image (record first, then layers,
// then blobs), leaves layers no image names and blobs no layer or image names. Nothing can
// reach them any more, so the start removes them; a container only reaches layers through its
// image, which `rmi` keeps while a container uses it.
void Store::remove_unreferenced()
{
    std::set<std::string> used_layers;
    for (auto& [id, entry] : m_images)
        used_layers.insert(entry.diff_ids.begin(), entry.diff_ids.end());
    for (auto it = m_layers.begin(); it != m_layers.end();) {
        if (used_layers.count(it->first)) {
            ++it;
            continue;
        }
        log::info("image store: removing layer " + it->first + ", which no image uses (an interrupted load, build or rmi)");
        it = m_layers.erase(it);
    }
    for (auto& name : fs::list_dir(image_dir() + "/layers")) {
        if (is_sha256_hex(name) && m_layers.count("sha256:" + name))
            continue;
        if (auto removed = fs::remove_tree(image_dir() + "/layers/" + name); !removed.ok())
            log::warn("image store: " + removed.error().describe());
    }
    for (auto& name : fs::list_dir(image_dir() + "/blobs/sha256")) {
        auto digest = "sha256:" + name;
        // A blob an image names as a layer is kept even when the layer directory is gone.
        if (m_images.count(digest) || m_layers.count(digest) || used_layers.count(digest))
            continue;
        log::info("image store: removing blob " + digest + ", which no image or layer uses");
        ::unlink((image_dir() + "/blobs/sha256/" + name).c_str());
    }
}

std::string Store::blob_path(const std::string& digest) const
{
    return image_dir() + "/blobs/sha256/" + hex_of(digest);
}

std::string Store::layer_tar_path(const std::string& diff_id) const
{
    return blob_path(diff_id);
}

std::string Store::temp_path(std::string_view what) const
{
    return image_dir() + "/tmp/" + std::string(what) + "-" + strings::random_hex_id(16);
}

Result<void> Store::load_state()
{
    for (auto& name : fs::list_dir(image_dir() + "/layers")) {
        auto meta_path = image_dir() + "/layers/" + name + "/meta.json";
        if (!is_sha256_hex(name) || !fs::exists(meta_path))
            continue;
        auto meta = TRY(read_json_file(meta_path));
        LayerInfo layer;
        layer.diff_id = "sha256:" + name;
        layer.directory = image_dir() + "/layers/" + name + "/fs";
        layer.size = meta.value("size", std::uint64_t { 0 });
        m_layers[layer.diff_id] = layer;
        if (meta.contains("blob_size") && meta["blob_size"].is_number_unsigned())
            m_blob_sizes[layer.diff_id] = meta["blob_size"].get<std::uint64_t>();
    }
    for (auto& name : fs::list_dir(image_dir() + "/images")) {
        if (!strings::ends_with(name, ".json") || !is_sha256_hex(name.substr(0, name.size() - 5)))
            continue;
        auto path = image_dir() + "/images/" + name;
        auto record = TRY(read_json_file(path));
        ImageEntry entry;
        entry.id = "sha256:" + name.substr(0, 64);
        entry.diff_ids = record.value("layers", std::vector<std::string> {});
        entry.parent = record.value("parent", "");
        if (record.contains("config_size") && record["config_size"].is_number_unsigned())
            entry.config_size = record["config_size"].get<std::uint64_t>();
        // An image whose config blob is gone is kept, tags and layers included, and refused
        // when used (check_blobs names it): dropping it would let the start delete its layers.
        if (!fs::exists(blob_path(entry.id))) {
            m_damaged[entry.id] = "is missing from the image store";
        } else if (record.contains("created") && record["created"].is_number_integer() && record.contains("history_length")
            && record["history_length"].is_number_unsigned()) {
            // Records written since configs left memory carry what the store needs, so a start
            // does not parse every config (thousands of build steps made that take seconds).
            entry.created = record["created"].get<std::int64_t>();
            entry.history_length = record["history_length"].get<std::size_t>();
        } else if (auto config = config_locked(entry); config.ok()) {
            entry.created = config.value().created_seconds();
            entry.history_length = config.value().history_length();
        } else {
            log::error("image store: " + config.error().describe());
        }
        m_images[entry.id] = std::move(entry);
    }
    auto repositories_path = image_dir() + "/repositories.json";
    if (fs::exists(repositories_path)) {
        auto repositories = TRY(read_json_file(repositories_path));
        for (auto& [tag, id] : repositories.items())
            if (id.is_string() && m_images.count(id.get<std::string>()))
                m_repositories[tag] = id.get<std::string>();
    }
    return Ok {};
}

Result<void> Store::write_repositories_locked() const
{
    nlohmann::json out = nlohmann::json::object();
    for (auto& [tag, id] : m_repositories)
        out[tag] = id;
    return fs::write_file_atomic(image_dir() + "/repositories.json", out.dump(2) + "\n", 0600);
}

Result<void> Store::write_image_locked(const ImageEntry& entry) const
{
    nlohmann::json out = {
        { "id", entry.id },
        { "config_digest", entry.id },
        { "layers", entry.diff_ids },
        { "parent", entry.parent },
        { "tags", tags_locked(entry.id) },
        { "created", entry.created },
        { "history_length", entry.history_length },
        { "config_size", entry.config_size },
    };
    return fs::write_file_atomic(image_dir() + "/images/" + hex_of(entry.id) + ".json", out.dump(2) + "\n", 0600);
}

// [SECTION] Layers.

Result<LayerInfo> Store::add_layer(const std::string& tar_path, const std::string& expected_diff_id)
{
    bool stored = false;
    auto layer = TRY(add_held_layer(tar_path, expected_diff_id, stored));
    std::lock_guard lock(m_mutex);
    release_layers_locked({ layer.diff_id });
    return layer;
}

Result<LayerInfo> Store::add_held_layer(const std::string& tar_path, const std::string& expected_diff_id, bool& created)
{
    created = false;
    // Decompress to a temporary plain tar, hashing as it goes; the hash is the diff id.
    auto plain = temp_path("layer");
    auto hex = TRY_CTX(decompress_to_file(tar_path, plain), "add layer " + tar_path);
    auto diff_id = "sha256:" + hex;
    struct stat plain_stat { };
    if (::stat(plain.c_str(), &plain_stat) != 0) {
        int saved_errno = errno;
        ::unlink(plain.c_str());
        return Error::from_errno("add layer " + tar_path + ": stat " + plain, saved_errno);
    }
    // Checked before anything is published: a layer its image's config does not name never
    // enters the store.
    if (!expected_diff_id.empty() && diff_id != expected_diff_id) {
        ::unlink(plain.c_str());
        return Error::invalid("the layer's diff id is " + diff_id + ", but the config says " + expected_diff_id);
    }
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_layers.find(diff_id); it != m_layers.end()) {
            replace_damaged_layer_blob_locked(diff_id, plain, plain_stat);
            ++m_layer_holds[diff_id].count;
            return it->second;
        }
    }
    // Unpack outside the lock into a private directory, then publish it with one rename.
    auto staging = temp_path("unpack");
    TRY(fs::make_dirs(staging + "/fs", 0755));
    UnpackOptions unpack;
    unpack.header_scan = ""; // decompress_to_file scanned it.
    auto unpacked = unpack_layer(plain, staging + "/fs", unpack);
    if (!unpacked.ok()) {
        ::unlink(plain.c_str());
        (void)fs::remove_tree(staging);
        return unpacked.release_error().with_context("add layer " + tar_path);
    }
    nlohmann::json meta = { { "diff_id", diff_id }, { "size", unpacked.value() }, { "blob", diff_id },
        { "blob_size", static_cast<std::uint64_t>(plain_stat.st_size) } };
    TRY(fs::write_file_atomic(staging + "/meta.json", meta.dump(2) + "\n", 0600));

    std::lock_guard lock(m_mutex);
    if (auto it = m_layers.find(diff_id); it != m_layers.end()) {
        // Another thread stored the same layer meanwhile.
        replace_damaged_layer_blob_locked(diff_id, plain, plain_stat);
        (void)fs::remove_tree(staging);
        ++m_layer_holds[diff_id].count;
        return it->second;
    }
    auto final_dir = image_dir() + "/layers/" + hex;
    (void)fs::remove_tree(final_dir);
    if (::rename(plain.c_str(), blob_path(diff_id).c_str()) != 0)
        return Error::from_errno("store layer blob " + diff_id, errno);
    if (::rename(staging.c_str(), final_dir.c_str()) != 0)
        return Error::from_errno("store layer " + diff_id, errno);
    LayerInfo layer { diff_id, final_dir + "/fs", unpacked.value() };
    m_layers[diff_id] = layer;
    m_blob_sizes[diff_id] = static_cast<std::uint64_t>(plain_stat.st_size);
    m_damaged.erase(diff_id);
    ++m_layer_holds[diff_id].count;
    created = true;
    return layer;
}

// A layer already in the store whose blob was found damaged gets the blob just hashed in its
// place (a load of the same image repairs it); otherwise the new copy is not needed.
void Store::replace_damaged_layer_blob_locked(const std::string& diff_id, const std::string& plain, const struct stat& plain_stat)
{
    if (m_damaged.count(diff_id) && ::rename(plain.c_str(), blob_path(diff_id).c_str()) == 0) {
        log::info("image store: layer blob " + diff_id + " was damaged and is replaced by the copy just loaded");
        m_damaged.erase(diff_id);
        m_blob_sizes[diff_id] = static_cast<std::uint64_t>(plain_stat.st_size);
        return;
    }
    ::unlink(plain.c_str());
}

std::uint64_t Store::total_layer_size() const
{
    std::lock_guard lock(m_mutex);
    std::uint64_t total = 0;
    for (auto& [id, layer] : m_layers)
        total += layer.size;
    return total;
}

std::vector<std::string> Store::images_with_layer(const std::string& diff_id) const
{
    std::lock_guard lock(m_mutex);
    std::vector<std::string> out;
    for (auto& [id, entry] : m_images)
        if (std::find(entry.diff_ids.begin(), entry.diff_ids.end(), diff_id) != entry.diff_ids.end())
            out.push_back(id);
    return out;
}

// [SECTION] Images and references.

std::vector<std::string> Store::tags_locked(const std::string& id) const
{
    std::vector<std::string> tags;
    for (auto& [tag, image] : m_repositories)
        if (image == id)
            tags.push_back(tag);
    return tags;
}

Result<ImageConfig> Store::config_locked(const ImageEntry& entry) const
{
    auto bytes = TRY(read_verified_blob_locked(entry.id, "image " + entry.id + " (its config)"));
    return ImageConfig::parse(bytes, blob_path(entry.id));
}

Result<ImageRecord> Store::record_locked(const ImageEntry& entry) const
{
    if (auto damage = damage_of_locked(entry); !damage.empty())
        return Error::system("image " + entry.id + ": " + damage + "; remove the image and load it again");
    return record_locked(entry, TRY(config_locked(entry)));
}

ImageRecord Store::record_locked(const ImageEntry& entry, ImageConfig config) const
{
    ImageRecord record;
    record.id = entry.id;
    record.repo_tags = tags_locked(entry.id);
    record.config = std::move(config);
    record.parent = entry.parent;
    record.created = entry.created;
    for (auto& diff_id : entry.diff_ids) {
        auto it = m_layers.find(diff_id);
        LayerInfo layer = it != m_layers.end() ? it->second : LayerInfo { diff_id, "", 0 };
        record.size += layer.size;
        record.layers.push_back(layer);
    }
    return record;
}

Result<std::string> Store::resolve_id_locked(std::string_view reference) const
{
    if (reference.empty())
        return no_such_image(reference);
    return resolve_id_locked(TRY(ImageName::parse(reference)));
}

Result<std::string> Store::resolve_id_locked(const ImageName& name) const
{
    if (name.text.empty())
        return no_such_image(name.text);
    if (is_sha256_digest(name.text) && m_images.count(name.text))
        return name.text;
    // A name first, as Docker does: "abc" may be both a repository and an id prefix.
    if (const auto& ref = name.reference) {
        if (!ref->tag.empty()) {
            if (auto it = m_repositories.find(ref->str()); it != m_repositories.end())
                return it->second;
        } else if (m_images.count(ref->digest)) {
            return ref->digest;
        }
    }
    if (!name.id_prefix.empty()) {
        std::string found;
        for (auto& [id, entry] : m_images) {
            if (strings::starts_with(hex_of(id), name.id_prefix)) {
                if (!found.empty())
                    return Error::invalid("multiple IDs found with provided prefix: " + name.id_prefix);
                found = id;
            }
        }
        if (!found.empty())
            return found;
    }
    return no_such_image(name.text);
}

Result<ImageRecord> Store::resolve(std::string_view reference) const
{
    std::lock_guard lock(m_mutex);
    auto id = TRY(resolve_id_locked(reference));
    return record_locked(m_images.at(id));
}

Result<ImageRecord> Store::resolve(const ImageName& name) const
{
    std::lock_guard lock(m_mutex);
    auto id = TRY(resolve_id_locked(name));
    return record_locked(m_images.at(id));
}

std::vector<ImageRecord> Store::list() const
{
    std::lock_guard lock(m_mutex);
    std::vector<ImageRecord> out;
    for (auto& [id, entry] : m_images) {
        auto record = record_locked(entry);
        if (record.ok())
            out.push_back(record.release_value());
        else
            log::warn("image store: listing without " + id + ": " + record.error().describe());
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.created > b.created; });
    return out;
}

std::size_t Store::count() const
{
    std::lock_guard lock(m_mutex);
    return m_images.size();
}

Result<ImageRecord> Store::add_image_locked(const std::string& config_bytes, const std::vector<std::string>& diff_ids,
    const std::string& parent)
{
    if (diff_ids.size() > max_layer_count)
        return Error::invalid("image has " + std::to_string(diff_ids.size()) + " layers; the limit is "
            + std::to_string(max_layer_count) + " (max depth exceeded)");
    for (auto& diff_id : diff_ids)
        if (!m_layers.count(diff_id))
            return Error::not_found("layer " + diff_id + " is not in the store");
    auto hex = Sha256::hex(config_bytes);
    ImageEntry entry;
    entry.id = "sha256:" + hex;
    // The one parse of these bytes: the record carries the typed value from here on.
    auto config = TRY(ImageConfig::parse(config_bytes, "image config " + entry.id));
    entry.diff_ids = diff_ids;
    entry.parent = parent;
    entry.created = config.created_seconds();
    entry.history_length = config.history_length();
    entry.config_size = config_bytes.size();
    if (auto it = m_images.find(entry.id); it != m_images.end()) {
        // The same config again: a damaged config blob is written anew from these bytes.
        if (m_damaged.count(entry.id)) {
            TRY(fs::write_file_atomic(blob_path(entry.id), config_bytes, 0600));
            m_damaged.erase(entry.id);
            log::info("image store: config blob " + entry.id + " was damaged and is written again");
        }
        return record_locked(it->second, std::move(config));
    }
    TRY(fs::write_file_atomic(blob_path(entry.id), config_bytes, 0600));
    TRY(write_image_locked(entry));
    auto id = entry.id;
    m_images[id] = std::move(entry);
    return record_locked(m_images.at(id), std::move(config));
}

Result<void> Store::set_tag_locked(const Reference& reference, const std::string& id)
{
    if (!reference.digest.empty())
        return Error::invalid("refusing to create a tag with a digest reference: " + reference.str());
    auto key = reference.str();
    auto previous = m_repositories.find(key);
    std::string old_id = previous != m_repositories.end() ? previous->second : "";
    m_repositories[key] = id;
    TRY(write_repositories_locked());
    TRY(write_image_locked(m_images.at(id)));
    if (!old_id.empty() && old_id != id && m_images.count(old_id))
        TRY(write_image_locked(m_images.at(old_id)));
    return Ok {};
}

Result<void> Store::tag(std::string_view source, std::string_view target)
{
    return tag(source, TRY_CTX(parse_reference(target), "tag " + std::string(target)));
}

Result<void> Store::tag(std::string_view source, const Reference& target)
{
    std::lock_guard lock(m_mutex);
    auto id = TRY(resolve_id_locked(source));
    return set_tag_locked(target, id);
}

// [SECTION] Import and commit.

Result<ImageRecord> Store::import_rootfs(const std::string& tar_path, const ImportOptions& options)
{
    std::optional<Reference> reference;
    if (!options.repo_tag.empty())
        reference = TRY_CTX(parse_reference(options.repo_tag), "import " + tar_path);
    ContainerDefaults container_config;
    for (auto& change : options.changes)
        TRY_CTX(apply_change(container_config, change), "import " + tar_path);

    std::int64_t created = now_seconds();
    if (options.created) {
        created = *options.created;
    } else if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
        std::uint64_t value = 0;
        if (strings::parse_uint(epoch, value))
            created = static_cast<std::int64_t>(value);
    }

    bool stored = false;
    auto layer = TRY_CTX(add_held_layer(tar_path, {}, stored), "import " + tar_path);
    auto base = tar_path.substr(tar_path.rfind('/') == std::string::npos ? 0 : tar_path.rfind('/') + 1);
    ImageConfig config;
    config.architecture = "amd64";
    config.os = "linux";
    config.created = created_string(created);
    config.config = std::move(container_config);
    config.rootfs_type = "layers";
    config.diff_ids = std::vector { layer.diff_id };
    HistoryItem item;
    item.created = config.created;
    item.comment = options.message.empty() ? "Imported from " + base : options.message;
    config.history = std::vector { std::move(item) };
    std::lock_guard lock(m_mutex);
    auto added = add_image_locked(config.to_json().dump(), { layer.diff_id }, "");
    // The layer was held from add_held_layer until the image that uses it was recorded.
    release_layers_locked({ layer.diff_id });
    if (!added.ok())
        return added.release_error().with_context("import " + tar_path);
    auto record = added.release_value();
    if (reference) {
        TRY(set_tag_locked(*reference, record.id));
        record.repo_tags = tags_locked(record.id);
    }
    return record;
}

Result<ImageRecord> Store::commit(const std::optional<ImageRecord>& parent, const std::string& layer_tar, ImageConfig config)
{
    std::vector<std::string> diff_ids;
    if (parent) {
        for (auto& layer : parent->layers)
            diff_ids.push_back(layer.diff_id);
    }
    const std::size_t parent_history = parent ? parent->config.history_length() : 0;
    std::optional<LayerInfo> layer;
    if (!layer_tar.empty()) {
        bool stored = false;
        layer = TRY_CTX(add_held_layer(layer_tar, {}, stored), "commit");
        diff_ids.push_back(layer->diff_id);
    }
    if (!config.created)
        config.created = created_string(now_seconds());
    if (!config.architecture)
        config.architecture = "amd64";
    if (!config.os)
        config.os = "linux";
    // A caller-supplied history longer than the parent's is the builder's full history; else the
    // store adds one entry, described like `docker commit` does (the container's command).
    if (config.history_length() <= parent_history) {
        auto history = parent_history > 0 ? *parent->config.history : std::vector<HistoryItem> {};
        HistoryItem entry;
        entry.created = config.created;
        // `docker commit -a`: dockerd records the author in the history entry too.
        entry.author = config.author;
        if (config.container_config && config.container_config->cmd)
            if (auto created_by = strings::join(*config.container_config->cmd, " "); !created_by.empty())
                entry.created_by = created_by;
        entry.comment = config.comment;
        if (!layer)
            entry.empty_layer = true;
        history.push_back(std::move(entry));
        config.history = std::move(history);
    }
    config.rootfs_type = "layers";
    config.diff_ids = diff_ids;
    config.other.erase("rootfs");
    std::lock_guard lock(m_mutex);
    auto record = parent && !m_images.count(parent->id) ? Result<ImageRecord>(no_such_image(parent->id).with_context("commit"))
                                                        : add_image_locked(config.to_json().dump(), diff_ids, parent ? parent->id : "");
    // The new layer was held from add_held_layer until the image that uses it was recorded.
    if (layer)
        release_layers_locked({ layer->diff_id });
    return record;
}

// [SECTION] Removal and history.

Result<void> Store::delete_image_locked(const std::string& id, std::vector<DeleteItem>& items)
{
    auto entry = m_images.at(id);
    for (auto& tag : tags_locked(id)) {
        m_repositories.erase(tag);
        items.push_back({ tag, "" });
    }
    TRY(write_repositories_locked());
    m_images.erase(id);
    if (::unlink((image_dir() + "/images/" + hex_of(id) + ".json").c_str()) != 0 && errno != ENOENT)
        return Error::from_errno("remove image record " + id, errno);
    ::unlink(blob_path(id).c_str());
    m_damaged.erase(id);
    items.push_back({ "", id });
    // Layers no other image uses go too, in top-down order as Docker reports them. A layer an
    // import, commit or load holds (it stored or found it and has not recorded its image yet)
    // goes when that operation lets go of it, if no image uses it then.
    for (auto it = entry.diff_ids.rbegin(); it != entry.diff_ids.rend(); ++it) {
        if (image_uses_layer_locked(*it) || !m_layers.count(*it))
            continue;
        if (auto hold = m_layer_holds.find(*it); hold != m_layer_holds.end()) {
            hold->second.drop_when_released = true;
            continue;
        }
        TRY(drop_layer_locked(*it));
        items.push_back({ "", *it });
    }
    return Ok {};
}

Result<void> Store::drop_layer_locked(const std::string& diff_id)
{
    m_layers.erase(diff_id);
    m_blob_sizes.erase(diff_id);
    m_damaged.erase(diff_id);
    TRY(fs::remove_tree(image_dir() + "/layers/" + hex_of(diff_id)));
    ::unlink(blob_path(diff_id).c_str());
    return Ok {};
}

bool Store::image_uses_layer_locked(const std::string& diff_id) const
{
    return std::any_of(m_images.begin(), m_images.end(), [&](const auto& image) {
        const auto& ids = image.second.diff_ids;
        return std::find(ids.begin(), ids.end(), diff_id) != ids.end();
    });
}

void Store::drop_unused_layer_locked(const std::string& diff_id)
{
    if (!m_layers.count(diff_id) || image_uses_layer_locked(diff_id))
        return;
    if (auto hold = m_layer_holds.find(diff_id); hold != m_layer_holds.end()) {
        hold->second.drop_when_released = true;
        return;
    }
    if (auto dropped = drop_layer_locked(diff_id); !dropped.ok())
        log::warn("image store: " + dropped.error().describe());
}

void Store::release_layers_locked(const std::vector<std::string>& diff_ids)
{
    for (const auto& diff_id : diff_ids) {
        auto hold = m_layer_holds.find(diff_id);
        if (hold == m_layer_holds.end() || --hold->second.count > 0)
            continue;
        bool drop = hold->second.drop_when_released;
        m_layer_holds.erase(hold);
        if (drop)
            drop_unused_layer_locked(diff_id);
    }
}

Result<std::vector<DeleteItem>> Store::remove(std::string_view reference, bool force,
    const std::function<std::string(const std::string& image_id)>& in_use)
{
    std::lock_guard lock(m_mutex);
    auto id = TRY(resolve_id_locked(reference));
    auto tags = tags_locked(id);
    std::vector<DeleteItem> items;

    // Was a tag named (rather than an id)?
    std::string named_tag;
    if (auto parsed = parse_reference(reference); parsed.ok() && !parsed.value().tag.empty()
        && m_repositories.count(parsed.value().str()))
        named_tag = parsed.value().str();

    auto user = in_use ? in_use(id) : std::string();
    bool has_children = std::any_of(m_images.begin(), m_images.end(), [&](auto& other) { return other.second.parent == id; });

    if (!named_tag.empty() && (tags.size() > 1 || has_children)) {
        // Other tags (or child images) keep the image: only the tag goes.
        m_repositories.erase(named_tag);
        TRY(write_repositories_locked());
        TRY(write_image_locked(m_images.at(id)));
        items.push_back({ named_tag, "" });
        return items;
    }
    if (named_tag.empty() && tags.size() > 1 && !force)
        return Error::conflict("conflict: unable to delete " + short_id(id)
            + " (must be forced) - image is referenced in multiple repositories");
    if (!user.empty()) {
        if (!force) {
            std::string what = named_tag.empty() ? short_id(id) : "repository reference \"" + named_tag + "\"";
            return Error::conflict("conflict: unable to remove " + what + " (must force) - container " + user
                + " is using its referenced image " + short_id(id));
        }
        // Forced while a container uses it: untag, keep the layers the container runs on.
        for (auto& tag : tags) {
            m_repositories.erase(tag);
            items.push_back({ tag, "" });
        }
        TRY(write_repositories_locked());
        TRY(write_image_locked(m_images.at(id)));
        return items;
    }
    if (has_children && !force)
        return Error::conflict("conflict: unable to delete " + short_id(id) + " (cannot be forced) - image has dependent child images");
    TRY(delete_image_locked(id, items));
    return items;
}

Result<std::vector<HistoryEntry>> Store::history(std::string_view reference) const
{
    std::lock_guard lock(m_mutex);
    auto id = TRY(resolve_id_locked(reference));
    const auto& entry = m_images.at(id);
    std::vector<HistoryEntry> out;
    auto config = TRY(config_locked(entry));
    size_t layer_index = 0;
    for (const auto& item : config.history.value_or(std::vector<HistoryItem> {})) {
        HistoryEntry h;
        h.id = "<missing>";
        h.created_by = item.created_by.value_or("");
        h.comment = item.comment.value_or("");
        h.empty_layer = !item.makes_layer();
        h.created = item.created_seconds();
        if (!h.empty_layer && layer_index < entry.diff_ids.size()) {
            auto it = m_layers.find(entry.diff_ids[layer_index++]);
            if (it != m_layers.end())
                h.size = it->second.size;
        }
        out.push_back(std::move(h));
    }
    // Each ancestor that is still in the store names the entry its own history ends at.
    std::string current = id;
    std::set<std::string> seen;
    while (!current.empty() && m_images.count(current) && seen.insert(current).second) {
        auto& image = m_images.at(current);
        auto length = image.history_length;
        if (length > 0 && length <= out.size()) {
            out[length - 1].id = current;
            out[length - 1].tags = tags_locked(current);
        }
        current = image.parent;
    }
    if (out.empty())
        out.push_back({ id, entry.created, "", 0, "", false, tags_locked(id) });
    std::reverse(out.begin(), out.end());
    out.front().id = id;
    out.front().tags = tags_locked(id);
    return out;
}

} // namespace engine::image
