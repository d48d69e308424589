// The image store: content-addressed blobs, unpacked layers, image configs, references and tags.
// Layout under <root>/image/:
//   blobs/sha256/<hex>          compressed or plain layer tars, configs, manifests (by digest)
//   layers/<diffid-hex>/fs      each layer unpacked once, shared by every image that has it
//   layers/<diffid-hex>/meta.json  diff id, size, which blob it came from
//   images/<config-hex>.json   the image record: config digest, layer diff ids, tags
//   repositories.json          "name:tag" -> image id
//   quarantine/<hex>           blobs that failed verification, kept for a look, never used
// All metadata is written atomically (write, fsync, rename). Kernel interfaces: none beyond files.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/image/image_config.h"
#include "engine/image/reference.h"

namespace engine::image {

// One layer as the store keeps it.
struct LayerInfo {
    std::string diff_id;      // "sha256:<hex>" of the uncompressed tar.
    std::string directory;    // Absolute path of the unpacked tree (the overlay lowerdir).
    std::uint64_t size { 0 }; // Bytes of the unpacked files.
};

// One entry of `docker history`.
struct HistoryEntry {
    std::string id;           // Image id for the top entry, "<missing>" otherwise.
    std::int64_t created { 0 };
    std::string created_by;
    std::uint64_t size { 0 };
    std::string comment;
    bool empty_layer { false };
    std::vector<std::string> tags;
};

struct ImageRecord {
    std::string id;                      // "sha256:<hex>" of the config blob (the image id).
    std::vector<std::string> repo_tags;  // "busybox:1.35.0", ...
    std::vector<LayerInfo> layers;       // Lowest first, as in rootfs.diff_ids.
    ImageConfig config;                  // Parsed from the config blob (whose digest is the id).
    std::string parent;                  // Parent image id for built images, "" otherwise.
    std::int64_t created { 0 };          // Seconds since the epoch, from config.created.
    std::uint64_t size { 0 };            // Sum of the layer sizes.
};

enum class ArchiveFormat { Docker, Oci };

// A change applied while importing, from `import --change` ("CMD ["sh"]", "ENV A=b", ...).
struct ImportOptions {
    std::string repo_tag;                // "" for an untagged import.
    std::vector<std::string> changes;
    std::string message;                 // Goes into history's comment.
    // config.created in seconds since the epoch. Unset: $SOURCE_DATE_EPOCH if set, else now.
    // A fixed value makes the same tar give the same image id (scripts/make-base-rootfs).
    std::optional<std::int64_t> created;
};

// What `rmi` did, in Docker's terms.
struct DeleteItem {
    std::string untagged; // "busybox:1.35.0"
    std::string deleted;  // "sha256:..."
};

class Store {
public:
    // Opens (and creates if missing) the store under <root>/image.
    static Result<std::unique_ptr<Store>> open(const std::string& root);

    // Resolves a name:tag, a full or short (>= 1 hex char, unique) image id, or "sha256:..." prefix.
    // NotFound: "No such image: <ref>".
    Result<ImageRecord> resolve(std::string_view reference) const;
    // The same for a name parsed already (a container's Config.Image).
    Result<ImageRecord> resolve(const ImageName& name) const;
    // Every image with its config, read from the blobs: after a long build that is every
    // intermediate image's whole history, so callers that only count use count().
    std::vector<ImageRecord> list() const;
    std::size_t count() const;

    // A rootfs tar (plain, gzip, bzip2 or xz) becomes a one-layer image. `source` is a path.
    Result<ImageRecord> import_rootfs(const std::string& tar_path, const ImportOptions& options);
    // Loads a `docker save` archive or an OCI image layout archive; returns the tags (or ids) loaded.
    Result<std::vector<std::string>> load(const std::string& archive_path);
    // Writes the images (name:tag or id) into one archive at `out_path`.
    Result<void> save(const std::vector<std::string>& references, const std::string& out_path, ArchiveFormat format);

    Result<void> tag(std::string_view source, std::string_view target);
    Result<void> tag(std::string_view source, const Reference& target);
    // Removes a tag, or the image when no tag is left (or `force`). `in_use(image_id)` returns the
    // name of a container that uses the image, or "" if none: a used image is a Conflict unless forced.
    Result<std::vector<DeleteItem>> remove(std::string_view reference, bool force,
        const std::function<std::string(const std::string& image_id)>& in_use);
    Result<std::vector<HistoryEntry>> history(std::string_view reference) const;

    // For the builder: a new image made of `parent`'s layers plus one layer from a tar at
    // `layer_tar` (or no new layer when empty), with `config` as its config (rootfs and history
    // are filled in by the store, which serializes the result once: the id is of those bytes).
    // Identical layers are stored once.
    Result<ImageRecord> commit(const std::optional<ImageRecord>& parent, const std::string& layer_tar,
        ImageConfig config);

    // Bytes of all unpacked layers, and which images share each layer (for system df).
    std::uint64_t total_layer_size() const;
    // Image ids that include the layer with this diff id.
    std::vector<std::string> images_with_layer(const std::string& diff_id) const;

    [[nodiscard]] const std::string& root() const { return m_root; }

    explicit Store(std::string root)
        : m_root(std::move(root))
    {
    }

    // Stores a layer tar (plain or compressed) and unpacks it once; returns its diff id. With
    // `expected_diff_id`, a tar whose uncompressed digest differs is refused before it is stored.
    // Thread-safe; used by import, load and commit.
    Result<LayerInfo> add_layer(const std::string& tar_path, const std::string& expected_diff_id = {});
    // The plain (uncompressed) tar of a layer, as `save` writes it.
    [[nodiscard]] std::string layer_tar_path(const std::string& diff_id) const;

private:
    // What the store keeps in memory per image. The config stays in its blob and is read when a
    // record is asked for (as dockerd's image store does): a build commits an image per step,
    // each config carrying the whole history so far, so keeping them all parsed grew the
    // daemon by the square of the instruction count (303 MiB after 900 ENV lines).
    struct ImageEntry {
        std::string id;
        std::vector<std::string> diff_ids;
        std::string parent;
        std::int64_t created { 0 };
        std::size_t history_length { 0 };   // Entries in config.history (for `history`).
        std::uint64_t config_size { 0 };    // Bytes of the config blob; 0 in records written before it was kept.
    };
    Result<void> load_state();
    // At open: removes layers no image uses and blobs no image or layer uses.
    void remove_unreferenced();
    // At open: records written before the store kept blob sizes (an image's config_size, a
    // layer's blob_size) get them from the blobs that hash to their names, so check_blobs covers
    // old images too.
    void backfill_blob_sizes();
    // At open: every blob an image or layer names is present with its recorded size.
    void check_blobs();
    void replace_damaged_layer_blob_locked(const std::string& diff_id, const std::string& plain, const struct stat& plain_stat);
    // Forgets a layer and removes its directory and blob (an rmi, or a load that is undone).
    Result<void> drop_layer_locked(const std::string& diff_id);
    // add_layer, with the layer held (m_layer_holds) until release_layers_locked: between storing
    // its layers and recording its image, an import, commit or load holds them, so an rmi or a
    // failed load that gives back a layer no image names yet leaves it alone. `created` says
    // whether this call stored the layer.
    Result<LayerInfo> add_held_layer(const std::string& tar_path, const std::string& expected_diff_id, bool& created);
    void release_layers_locked(const std::vector<std::string>& diff_ids);
    [[nodiscard]] bool image_uses_layer_locked(const std::string& diff_id) const;
    // Removes a layer no image names, at once or, while an operation holds it, when the last hold
    // is released (and still no image names it).
    void drop_unused_layer_locked(const std::string& diff_id);
    [[nodiscard]] std::string image_dir() const { return m_root + "/image"; }
    [[nodiscard]] std::string blob_path(const std::string& digest) const;
    [[nodiscard]] std::string temp_path(std::string_view what) const;
    // Everything below expects m_mutex to be held.
    Result<std::string> resolve_id_locked(std::string_view reference) const;
    Result<std::string> resolve_id_locked(const ImageName& name) const;
    // The record with its config read from the blob; the second form takes a config already
    // parsed (a commit has it in hand).
    Result<ImageRecord> record_locked(const ImageEntry& entry) const;
    [[nodiscard]] ImageRecord record_locked(const ImageEntry& entry, ImageConfig config) const;
    Result<ImageConfig> config_locked(const ImageEntry& entry) const;
    // Blob verification (docs/security.md, "Crashes, restarts and load"): a blob is hashed each
    // time it is read for use (a config is a few KiB: hashing it costs microseconds, and a cache
    // keyed by what stat shows would miss a rewrite in place); a start only checks that every
    // blob an image or layer names is present with its recorded size. A blob that fails is moved
    // to quarantine/ and its digest noted in m_damaged, so the error names the image and the blob
    // and nothing is deleted.
    Result<std::string> read_verified_blob_locked(const std::string& digest, const std::string& owner) const;
    // Checks a blob's presence and size at open (no hashing); false when it is damaged.
    bool check_blob_size_locked(const std::string& digest, std::uint64_t expected_size, const std::string& owner);
    Error quarantine_locked(const std::string& digest, const std::string& owner, const std::string& problem) const;
    // The damage recorded for an image (its config or one of its layers), or "" when none.
    [[nodiscard]] std::string damage_of_locked(const ImageEntry& entry) const;
    [[nodiscard]] std::vector<std::string> tags_locked(const std::string& id) const;
    Result<void> write_repositories_locked() const;
    Result<void> write_image_locked(const ImageEntry& entry) const;
    Result<ImageRecord> add_image_locked(const std::string& config_bytes, const std::vector<std::string>& diff_ids,
        const std::string& parent);
    Result<void> set_tag_locked(const Reference& reference, const std::string& id);
    Result<void> delete_image_locked(const std::string& id, std::vector<DeleteItem>& items);
    // One image of an archive being loaded, checked and with its layers stored (archive.cpp).
    struct LoadItem;
    // Records a load's images and tags in one hold of the lock, so no other request sees (or
    // starts using) part of a load; a failure half-way takes back what this call added.
    Result<std::vector<std::string>> publish_load_locked(const std::vector<LoadItem>& items);

    std::string m_root;
    mutable std::mutex m_mutex;
    std::map<std::string, ImageEntry> m_images;         // Image id -> image.
    std::map<std::string, std::string> m_repositories;  // "name:tag" -> image id.
    std::map<std::string, LayerInfo> m_layers;          // Diff id -> layer.
    std::map<std::string, std::uint64_t> m_blob_sizes;  // Layer diff id -> bytes of its plain tar, where recorded.
    mutable std::map<std::string, std::string> m_damaged;    // Blob digest -> why it cannot be used.
    struct LayerHold {
        unsigned count { 0 };               // Operations between add_layer and recording their image.
        bool drop_when_released { false };  // An rmi or a failed load gave the layer back meanwhile.
    };
    std::map<std::string, LayerHold> m_layer_holds;     // Diff id -> hold.
};

} // namespace engine::image
