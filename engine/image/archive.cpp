// `docker load` and `docker save`: the Docker archive format (manifest.json, <config>.json,
// <layer>/layer.tar, repositories) and the OCI image layout (oci-layout, index.json,
// blobs/sha256/<hex>). Archives are untrusted: they are unpacked like a layer into a private
// directory, every path named inside them is resolved with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_SYMLINKS) under that directory, digests must be sha256 hex and are checked against
// the exact bytes parsed, and JSON with duplicate keys is refused (security.md rows 13-14).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "engine/base/fd.h"
#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/safe_path.h"
#include "engine/base/sha256.h"
#include "engine/base/strings.h"
#include "engine/image/config.h"
#include "engine/image/layer.h"
#include "engine/image/store.h"

namespace engine::image {

namespace {

constexpr size_t max_document_size = 4 * 1024 * 1024;
constexpr const char* oci_manifest_type = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* oci_index_type = "application/vnd.oci.image.index.v1+json";
constexpr const char* oci_config_type = "application/vnd.oci.image.config.v1+json";
constexpr const char* oci_layer_type = "application/vnd.oci.image.layer.v1.tar";

std::string hex_of(const std::string& digest)
{
    return strings::starts_with(digest, "sha256:") ? digest.substr(7) : digest;
}

// A file named inside the archive, opened under the unpack root. ".." components and absolute
// paths are refused outright; symlinks are not followed at all.
Result<UniqueFd> open_in_archive(int root_fd, const std::string& path, const std::string& field)
{
    if (path.empty() || path.front() == '/')
        return Error::invalid("invalid path in " + field + ": \"" + path + "\"");
    for (auto& part : strings::split(path, '/'))
        if (part == "..")
            return Error::invalid("invalid path in " + field + ": \"" + path + "\" leaves the archive");
    auto opened = safe_path::open_in_root(root_fd, path, O_RDONLY, safe_path::NoSymlinks);
    if (!opened.ok())
        return Error::from_errno("open " + path + " (from " + field + ")", opened.error().code()).with_context("load");
    auto out = opened.release_value();
    struct stat st { };
    if (::fstat(out.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return Error::invalid(path + " (from " + field + ") is not a regular file");
    return out;
}

std::string fd_path(const UniqueFd& fd)
{
    return "/proc/self/fd/" + std::to_string(fd.get());
}

Result<std::string> read_document(int root_fd, const std::string& path, const std::string& field)
{
    auto fd = TRY(open_in_archive(root_fd, path, field));
    struct stat st { };
    ::fstat(fd.get(), &st);
    if (static_cast<size_t>(st.st_size) > max_document_size)
        return Error::invalid(path + " is larger than the " + std::to_string(max_document_size) + "-byte limit for image documents");
    return fs::read_file(fd_path(fd));
}

Result<nlohmann::json> read_archive_json(int root_fd, const std::string& archive_path, const std::string& path)
{
    auto bytes = TRY(read_document(root_fd, path, "archive"));
    return parse_json_strict(bytes, archive_path + ": " + path);
}

// A JSON value's type as the error messages name it.
std::string json_type(const nlohmann::json& value)
{
    return value.is_null() ? "null" : value.is_object() ? "an object" : value.is_array() ? "an array"
        : value.is_string() ? "a string" : value.is_boolean() ? "a boolean" : "a number";
}

// An image config's bytes parsed and checked against the `layer_count` layers the manifest
// lists: an object whose rootfs.diff_ids is an array of that many sha256 digests, and whose
// modelled fields have their types (ImageConfig::from_json names the field that does not).
Result<ImageConfig> checked_config(const std::string& config_bytes, const std::string& config_path, std::size_t layer_count)
{
    auto config = TRY(parse_json_strict(config_bytes, "config " + config_path));
    if (!config.is_object())
        return Error::invalid("config " + config_path + " must be a JSON object, got " + json_type(config));
    if (!config.contains("rootfs") || !config["rootfs"].is_object())
        return Error::invalid("config " + config_path + ": rootfs must be an object, got "
            + (config.contains("rootfs") ? json_type(config["rootfs"]) : std::string("nothing")));
    auto& rootfs = config["rootfs"];
    if (!rootfs.contains("diff_ids") || !rootfs["diff_ids"].is_array())
        return Error::invalid("config " + config_path + ": rootfs.diff_ids must be an array, got "
            + (rootfs.contains("diff_ids") ? json_type(rootfs["diff_ids"]) : std::string("nothing")));
    auto& diff_ids = rootfs["diff_ids"];
    if (diff_ids.size() != layer_count)
        return Error::invalid("config " + config_path + " lists " + std::to_string(diff_ids.size()) + " diff_ids but the manifest has "
            + std::to_string(layer_count) + " layers");
    if (layer_count > max_layer_count)
        return Error::invalid("image has " + std::to_string(layer_count) + " layers; the limit is "
            + std::to_string(max_layer_count) + " (max depth exceeded)");
    for (std::size_t i = 0; i < diff_ids.size(); ++i)
        if (!diff_ids[i].is_string() || !is_sha256_digest(diff_ids[i].get<std::string>()))
            return Error::invalid("config " + config_path + ": rootfs.diff_ids[" + std::to_string(i) + "] is not a sha256 digest");
    return ImageConfig::from_json(config, "config " + config_path);
}

// A descriptor's digest, validated: only sha256 with 64 lowercase hex characters.
Result<std::string> descriptor_hex(const nlohmann::json& descriptor, const std::string& field)
{
    if (!descriptor.is_object() || !descriptor.contains("digest") || !descriptor["digest"].is_string())
        return Error::invalid(field + ": descriptor has no digest");
    auto digest = descriptor["digest"].get<std::string>();
    if (!is_sha256_digest(digest))
        return Error::invalid(field + ": invalid digest \"" + digest + "\" (want sha256:<64 hex>)");
    return digest.substr(7);
}

// Names from an OCI index entry: containerd's full name, else a ref.name that is a full reference.
// A string member of an archive document, which is untrusted: `fallback` when the document is
// not an object or lacks the key, "" when the member is not a string (nlohmann's value() would
// throw there, turning a bad archive into an exception instead of load's error stream).
std::string string_member(const nlohmann::json& document, const char* key, const std::string& fallback)
{
    if (!document.is_object())
        return fallback;
    auto found = document.find(key);
    if (found == document.end())
        return fallback;
    return found->is_string() ? found->get<std::string>() : std::string();
}

std::optional<Reference> oci_name(const nlohmann::json& descriptor)
{
    if (!descriptor.contains("annotations") || !descriptor["annotations"].is_object())
        return {};
    auto& annotations = descriptor["annotations"];
    for (const char* key : { "io.containerd.image.name", "org.opencontainers.image.ref.name" }) {
        if (!annotations.contains(key) || !annotations[key].is_string())
            continue;
        auto text = annotations[key].get<std::string>();
        if (text.find(':') == std::string::npos && text.find('/') == std::string::npos)
            continue; // A bare tag: OCI allows it, but it names no repository.
        auto parsed = parse_reference(text);
        if (parsed.ok() && !parsed.value().tag.empty())
            return parsed.value();
    }
    return {};
}

// Writes archive entries with fixed times and owners, so the same images give the same bytes.
class ArchiveWriter {
public:
    ~ArchiveWriter()
    {
        if (m_archive)
            archive_write_free(m_archive);
    }

    Result<void> open(const std::string& path)
    {
        m_path = path;
        m_archive = archive_write_new();
        archive_write_set_format_pax_restricted(m_archive);
        if (archive_write_open_filename(m_archive, path.c_str()) != ARCHIVE_OK)
            return error("create");
        return Ok {};
    }

    Result<void> add_directory(const std::string& name)
    {
        if (!m_names.insert(name).second)
            return Ok {};
        auto* entry = new_entry(name, AE_IFDIR, 0755, 0);
        int rc = archive_write_header(m_archive, entry);
        archive_entry_free(entry);
        return rc == ARCHIVE_OK ? Result<void>(Ok {}) : Result<void>(error("write " + name + " to"));
    }

    Result<void> add_bytes(const std::string& name, std::string_view bytes)
    {
        if (!m_names.insert(name).second)
            return Ok {};
        auto* entry = new_entry(name, AE_IFREG, 0644, static_cast<std::int64_t>(bytes.size()));
        int rc = archive_write_header(m_archive, entry);
        archive_entry_free(entry);
        if (rc != ARCHIVE_OK || (!bytes.empty() && archive_write_data(m_archive, bytes.data(), bytes.size()) < 0))
            return error("write " + name + " to");
        return Ok {};
    }

    // With `hasher`, the bytes copied are hashed too (a blob is verified as it is read).
    Result<void> add_file(const std::string& name, const std::string& source, Sha256* hasher = nullptr)
    {
        if (!m_names.insert(name).second)
            return Ok {};
        UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st { };
        if (!fd.valid() || ::fstat(fd.get(), &st) != 0)
            return Error::from_errno("open " + source, errno);
        auto* entry = new_entry(name, AE_IFREG, 0644, st.st_size);
        int rc = archive_write_header(m_archive, entry);
        archive_entry_free(entry);
        if (rc != ARCHIVE_OK)
            return error("write " + name + " to");
        char buffer[1 << 16];
        for (;;) {
            auto n = ::read(fd.get(), buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return Error::from_errno("read " + source, errno);
            if (n == 0)
                break;
            if (hasher)
                hasher->update(buffer, static_cast<size_t>(n));
            if (archive_write_data(m_archive, buffer, static_cast<size_t>(n)) < 0)
                return error("write " + name + " to");
        }
        return Ok {};
    }

    Result<void> close()
    {
        if (archive_write_close(m_archive) != ARCHIVE_OK)
            return error("finish");
        return Ok {};
    }

private:
    static archive_entry* new_entry(const std::string& name, unsigned type, int mode, std::int64_t size)
    {
        auto* entry = archive_entry_new();
        archive_entry_set_pathname(entry, name.c_str());
        archive_entry_set_filetype(entry, type);
        archive_entry_set_perm(entry, static_cast<mode_t>(mode));
        archive_entry_set_size(entry, size);
        archive_entry_set_uid(entry, 0);
        archive_entry_set_gid(entry, 0);
        archive_entry_set_mtime(entry, 0, 0);
        return entry;
    }

    Error error(const std::string& what)
    {
        const char* text = archive_error_string(m_archive);
        return Error::system(what + " " + m_path + ": " + (text ? text : "libarchive error"));
    }

    archive* m_archive { nullptr };
    std::string m_path;
    std::set<std::string> m_names;
};

} // namespace

// [SECTION] Load.

namespace {

// One image of an archive, checked before anything from the archive is stored.
struct ArchiveImage {
    std::string where;                     // "load <archive>: manifest.json[1]", to name it in errors.
    std::string config_bytes;              // Hashed against the digest the archive names it by.
    std::vector<std::string> layer_paths;  // Inside the unpacked archive.
    std::vector<std::string> layer_hexes;  // OCI: the digest each layer blob must hash to; empty for Docker.
    std::vector<std::string> diff_ids;     // rootfs.diff_ids of the config, one per layer path.
    std::vector<Reference> tags;           // Empty for an untagged image.
};

// Reads, hashes and checks one image's config.
Result<void> read_config(int root_fd, const std::string& config_path, const std::string& config_hex, ArchiveImage& image)
{
    image.config_bytes = TRY_CTX(read_document(root_fd, config_path, "Config"), image.where);
    if (auto actual = Sha256::hex(image.config_bytes); actual != config_hex)
        return Error::invalid(image.where + ": config " + config_path + " has digest sha256:" + actual + ", expected sha256:"
            + config_hex);
    auto config = TRY_CTX(checked_config(image.config_bytes, config_path, image.layer_paths.size()), image.where);
    image.diff_ids = config.diff_ids.value_or(std::vector<std::string> {});
    return Ok {};
}

// A `docker save` archive's manifest.json, every entry and its config checked, so a malformed
// one anywhere in the manifest is refused before the first layer is stored.
Result<std::vector<ArchiveImage>> plan_docker(int root_fd, const std::string& archive_path)
{
    auto manifest = TRY(read_archive_json(root_fd, archive_path, "manifest.json"));
    if (!manifest.is_array())
        return Error::invalid(archive_path + ": manifest.json must be an array, got " + json_type(manifest));
    if (manifest.empty())
        return Error::invalid(archive_path + ": manifest.json lists no image");

    std::vector<ArchiveImage> plan;
    std::set<std::string> seen_tags;
    for (std::size_t index = 0; index < manifest.size(); ++index) {
        auto& item = manifest[index];
        auto where = archive_path + ": manifest.json[" + std::to_string(index) + "]";
        if (!item.is_object())
            return Error::invalid(where + " must be an object, got " + json_type(item));
        if (!item.contains("Config") || !item["Config"].is_string())
            return Error::invalid(where + ".Config must be a string, got "
                + (item.contains("Config") ? json_type(item["Config"]) : std::string("nothing")));
        if (!item.contains("Layers") || !item["Layers"].is_array())
            return Error::invalid(where + ".Layers must be an array of strings, got "
                + (item.contains("Layers") ? json_type(item["Layers"]) : std::string("nothing")));
        ArchiveImage planned;
        planned.where = "load " + where;
        auto config_path = item["Config"].get<std::string>();
        // "<hex>.json" (classic) or "blobs/sha256/<hex>" (Docker 25+) name their own digest.
        auto base = config_path.substr(config_path.rfind('/') == std::string::npos ? 0 : config_path.rfind('/') + 1);
        if (strings::ends_with(base, ".json"))
            base = base.substr(0, base.size() - 5);
        if (!is_sha256_hex(base))
            return Error::invalid(where + ".Config \"" + strings::shorten(config_path, 200) + "\" is not named by a sha256 digest");
        auto& layers = item["Layers"];
        for (std::size_t i = 0; i < layers.size(); ++i) {
            if (!layers[i].is_string())
                return Error::invalid(where + ".Layers[" + std::to_string(i) + "] must be a string, got " + json_type(layers[i]));
            planned.layer_paths.push_back(layers[i].get<std::string>());
        }
        // RepoTags may be missing or null (an untagged image), otherwise an array of references.
        if (item.contains("RepoTags") && !item["RepoTags"].is_null()) {
            auto& tags = item["RepoTags"];
            if (!tags.is_array())
                return Error::invalid(where + ".RepoTags must be an array of strings, got " + json_type(tags));
            for (std::size_t i = 0; i < tags.size(); ++i) {
                auto field = where + ".RepoTags[" + std::to_string(i) + "]";
                if (!tags[i].is_string())
                    return Error::invalid(field + " must be a string, got " + json_type(tags[i]));
                auto text = tags[i].get<std::string>();
                // A reference is at most 255 bytes of name, a colon and 128 of tag: a longer
                // one is refused without echoing it whole.
                if (text.size() > 384)
                    return Error::invalid(field + " is " + std::to_string(text.size()) + " bytes long; a reference is at most 384");
                auto reference = TRY_CTX(parse_reference(text), field);
                if (!seen_tags.insert(reference.str()).second)
                    return Error::invalid(field + " \"" + reference.str() + "\" is listed twice in manifest.json");
                planned.tags.push_back(reference);
            }
        }
        TRY(read_config(root_fd, config_path, base, planned));
        plan.push_back(std::move(planned));
    }
    return plan;
}

// An OCI image layout's index.json, nested indexes followed, every manifest and config checked
// before the first layer is stored.
Result<std::vector<ArchiveImage>> plan_oci(int root_fd, const std::string& archive_path)
{
    auto layout = TRY(read_archive_json(root_fd, archive_path, "oci-layout"));
    if (!layout.is_object() || string_member(layout, "imageLayoutVersion", "") != "1.0.0")
        return Error::invalid(archive_path + ": oci-layout must have imageLayoutVersion 1.0.0");
    auto index = TRY(read_archive_json(root_fd, archive_path, "index.json"));

    std::vector<ArchiveImage> plan;
    // (descriptor, name from the top-level index entry); nested indexes inherit the name.
    std::vector<std::pair<nlohmann::json, std::optional<Reference>>> pending;
    auto add_index = [&](const nlohmann::json& document, const std::string& what, const std::optional<Reference>& name) -> Result<void> {
        if (!document.is_object() || !document.contains("manifests") || !document["manifests"].is_array())
            return Error::invalid(what + " has no manifests array");
        if (document.contains("layers") || document.contains("config"))
            return Error::invalid(what + " is ambiguous: it has both manifests and layers/config");
        for (auto& descriptor : document["manifests"]) {
            if (descriptor.contains("platform") && descriptor["platform"].is_object()) {
                auto& platform = descriptor["platform"];
                if (string_member(platform, "os", "linux") != "linux" || string_member(platform, "architecture", "amd64") != "amd64")
                    continue;
            }
            pending.emplace_back(descriptor, name ? name : oci_name(descriptor));
        }
        return Ok {};
    };
    TRY_CTX(add_index(index, "index.json", std::nullopt), "load " + archive_path);

    size_t visited = 0;
    while (!pending.empty()) {
        if (++visited > 1000)
            return Error::invalid(archive_path + ": index.json nests too many manifests");
        auto [descriptor, name] = pending.front();
        pending.erase(pending.begin());
        auto hex = TRY_CTX(descriptor_hex(descriptor, "index.json"), "load " + archive_path);
        auto path = "blobs/sha256/" + hex;
        auto bytes = TRY(read_document(root_fd, path, "index.json"));
        if (Sha256::hex(bytes) != hex)
            return Error::invalid(archive_path + ": " + path + " does not match its digest");
        auto document = TRY(parse_json_strict(bytes, archive_path + ": " + path));
        auto media_type = string_member(descriptor, "mediaType", string_member(document, "mediaType", ""));
        if (media_type == oci_index_type || media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
            || (document.is_object() && document.contains("manifests"))) {
            TRY_CTX(add_index(document, path, name), "load " + archive_path);
            continue;
        }
        if (!document.is_object() || !document.contains("config") || !document.contains("layers") || !document["layers"].is_array())
            return Error::invalid(archive_path + ": manifest " + path + " needs config and layers");
        ArchiveImage planned;
        planned.where = "load " + archive_path + ": manifest " + path;
        auto config_hex = TRY(descriptor_hex(document["config"], path + " config"));
        for (auto& layer : document["layers"]) {
            auto layer_hex = TRY(descriptor_hex(layer, path + " layers"));
            planned.layer_paths.push_back("blobs/sha256/" + layer_hex);
            planned.layer_hexes.push_back(layer_hex);
        }
        if (name)
            planned.tags.push_back(*name);
        TRY(read_config(root_fd, "blobs/sha256/" + config_hex, config_hex, planned));
        plan.push_back(std::move(planned));
    }
    if (plan.empty())
        return Error::invalid(archive_path + ": index.json has no linux/amd64 image");
    return plan;
}

} // namespace

struct Store::LoadItem {
    ArchiveImage image;
};

// Runs with the lock held from the first image to the last tag, so a load's images and tags
// appear together: no tag, build or run can start using one of them before the load is sure to
// succeed, and the undo below (which restores every tag this call moved and removes every image
// it added) takes back nothing another request has seen.
Result<std::vector<std::string>> Store::publish_load_locked(const std::vector<LoadItem>& items)
{
    std::vector<std::string> added;                               // Image ids this call recorded.
    std::vector<std::pair<std::string, std::string>> moved;       // (tag, image id it named before, or "").
    std::vector<std::string> loaded;
    auto publish = [&]() -> Result<void> {
        for (const auto& item : items) {
            const auto& image = item.image;
            auto id = "sha256:" + Sha256::hex(image.config_bytes);
            bool had = m_images.count(id) > 0;
            TRY_CTX(add_image_locked(image.config_bytes, image.diff_ids, ""), image.where);
            if (!had)
                added.push_back(id);
            for (const auto& reference : image.tags) {
                auto previous = m_repositories.find(reference.str());
                moved.emplace_back(reference.str(), previous != m_repositories.end() ? previous->second : "");
                TRY_CTX(set_tag_locked(reference, id), image.where);
                loaded.push_back(reference.str());
            }
            if (image.tags.empty())
                loaded.push_back(id);
        }
        return Ok {};
    };
    auto published = publish();
    if (published.ok())
        return loaded;

    auto report = [](const Result<void>& written) {
        if (!written.ok())
            log::warn("image store: undoing a load: " + written.error().describe());
    };
    std::set<std::string> retagged;
    for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
        const auto& [tag, previous] = *it;
        if (previous.empty() || !m_images.count(previous)) {
            m_repositories.erase(tag);
        } else {
            m_repositories[tag] = previous;
            retagged.insert(previous);
        }
    }
    report(write_repositories_locked());
    for (const auto& id : retagged)
        report(write_image_locked(m_images.at(id)));
    for (const auto& id : added) {
        std::vector<DeleteItem> items_deleted;
        if (m_images.count(id))
            report(delete_image_locked(id, items_deleted));
    }
    return published.release_error();
}

// `docker load` is all or nothing: dockerd keeps the images it loaded before a failure, which a
// client cannot tell from the error alone. Everything in the archive is checked first; then the
// layers are stored without the lock (each held, so no rmi or other failed load removes one
// meanwhile); then the images and tags are recorded in one hold of the lock. A failure gives
// back only the layers this load stored that no image uses and no other operation holds by then.
Result<std::vector<std::string>> Store::load(const std::string& archive_path)
{
    // Unpack like a layer (same in-root resolution), but names starting with ".wh." are files.
    auto staging = temp_path("load");
    TRY(fs::make_dirs(staging, 0700));
    auto cleanup = [&] { (void)fs::remove_tree(staging); };
    UnpackOptions options;
    options.whiteouts = false;
    options.keep_owners = false;
    auto unpacked = unpack_layer(archive_path, staging, options);
    if (!unpacked.ok()) {
        cleanup();
        return unpacked.release_error().with_context("load " + archive_path);
    }
    UniqueFd root(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) {
        cleanup();
        return Error::from_errno("open " + staging, errno);
    }
    Result<std::vector<ArchiveImage>> plan = Error::invalid(archive_path
        + ": neither a docker save archive (manifest.json) nor an OCI image layout (index.json)");
    if (fs::exists(staging + "/manifest.json"))
        plan = plan_docker(root.get(), archive_path);
    else if (fs::exists(staging + "/index.json"))
        plan = plan_oci(root.get(), archive_path);
    if (!plan.ok()) {
        cleanup();
        return plan.release_error();
    }

    std::vector<LoadItem> items;
    for (auto& image : plan.value())
        items.push_back({ std::move(image) });
    std::vector<std::string> held;     // One entry per hold this load took.
    std::vector<std::string> created;  // Layers this load stored.
    std::set<std::pair<std::string, std::string>> stored; // (path, diff id) already stored by this load.
    auto store_layers = [&]() -> Result<void> {
        for (const auto& item : items) {
            const auto& image = item.image;
            for (std::size_t i = 0; i < image.layer_paths.size(); ++i) {
                const auto& path = image.layer_paths[i];
                if (!stored.emplace(path, image.diff_ids[i]).second)
                    continue; // A layer several images of the archive share.
                auto where = image.where + ": layer " + path;
                auto fd = TRY_CTX(open_in_archive(root.get(), path, "Layers"), image.where);
                if (!image.layer_hexes.empty()) {
                    auto blob_hex = TRY_CTX(Sha256::hex_of_file(fd_path(fd)), where);
                    if (blob_hex != image.layer_hexes[i])
                        return Error::invalid(where + " has digest sha256:" + blob_hex + ", expected sha256:" + image.layer_hexes[i]);
                }
                bool stored_now = false;
                auto layer = TRY_CTX(add_held_layer(fd_path(fd), image.diff_ids[i], stored_now), where);
                held.push_back(layer.diff_id);
                if (stored_now)
                    created.push_back(layer.diff_id);
            }
        }
        return Ok {};
    };
    auto result = [&]() -> Result<std::vector<std::string>> {
        TRY(store_layers());
        std::lock_guard lock(m_mutex);
        return publish_load_locked(items);
    }();
    {
        std::lock_guard lock(m_mutex);
        if (!result.ok())
            for (const auto& diff_id : created)
                drop_unused_layer_locked(diff_id);
        release_layers_locked(held);
    }
    cleanup();
    if (!result.ok() && (items.size() > 1 || !created.empty()))
        return result.release_error().with_context("nothing from the archive was loaded");
    return result;
}

// [SECTION] Save.

Result<void> Store::save(const std::vector<std::string>& references, const std::string& out_path, ArchiveFormat format)
{
    struct Saved {
        std::string id;
        std::vector<std::string> tags;
        std::string config_bytes;
    };
    std::vector<Saved> images;
    std::map<std::string, std::vector<std::string>> layers_of;
    {
        std::lock_guard lock(m_mutex);
        for (auto& reference : references) {
            auto id = TRY_CTX(resolve_id_locked(reference), "save");
            std::vector<std::string> tags;
            // A name:tag saves that tag; an id saves the image untagged, as Docker does.
            if (auto parsed = parse_reference(reference); parsed.ok() && !parsed.value().tag.empty()
                && m_repositories.count(parsed.value().str()))
                tags.push_back(parsed.value().str());
            auto it = std::find_if(images.begin(), images.end(), [&](auto& saved) { return saved.id == id; });
            if (it == images.end()) {
                const auto& entry = m_images.at(id);
                if (auto damage = damage_of_locked(entry); !damage.empty())
                    return Error::system("save: image " + id + ": " + damage + "; remove the image and load it again");
                for (const auto& diff_id : entry.diff_ids)
                    if (auto damaged = m_damaged.find(diff_id); damaged != m_damaged.end())
                        return Error::system("save: image " + id + ": layer blob " + diff_id + " " + damaged->second
                            + "; remove the images that use it and load them again");
                auto config_bytes = TRY_CTX(read_verified_blob_locked(id, "image " + id + " (its config)"), "save");
                images.push_back({ id, tags, std::move(config_bytes) });
            } else {
                it->tags.insert(it->tags.end(), tags.begin(), tags.end());
            }
            layers_of[id] = m_images.at(id).diff_ids;
        }
    }
    if (images.empty())
        return Error::invalid("save: no images given");

    auto temporary = out_path + ".tmp-" + strings::random_hex_id(8);
    ArchiveWriter writer;
    TRY(writer.open(temporary));
    auto write_all = [&]() -> Result<void> {
        nlohmann::json manifest = nlohmann::json::array();
        nlohmann::json repositories = nlohmann::json::object();
        nlohmann::json index = { { "schemaVersion", 2 }, { "mediaType", oci_index_type }, { "manifests", nlohmann::json::array() } };
        bool oci = format == ArchiveFormat::Oci;
        std::set<std::string> copied_layers;
        if (oci) {
            TRY(writer.add_bytes("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
            TRY(writer.add_directory("blobs/"));
            TRY(writer.add_directory("blobs/sha256/"));
        }
        for (auto& saved : images) {
            const auto& config_bytes = saved.config_bytes;
            auto config_hex = hex_of(saved.id);
            auto config_name = oci ? "blobs/sha256/" + config_hex : config_hex + ".json";
            TRY(writer.add_bytes(config_name, config_bytes));
            nlohmann::json layer_names = nlohmann::json::array();
            nlohmann::json oci_layers = nlohmann::json::array();
            for (auto& diff_id : layers_of[saved.id]) {
                auto hex = hex_of(diff_id);
                auto source = layer_tar_path(diff_id);
                std::string name;
                if (oci) {
                    name = "blobs/sha256/" + hex;
                } else {
                    TRY(writer.add_directory(hex + "/"));
                    TRY(writer.add_bytes(hex + "/VERSION", "1.0"));
                    TRY(writer.add_bytes(hex + "/json", nlohmann::json({ { "id", hex } }).dump()));
                    name = hex + "/layer.tar";
                }
                // The layer's plain tar is hashed as it is copied (once, for the first image that
                // has it): a blob that no longer hashes to its diff id is quarantined and the save
                // fails naming it.
                Sha256 hasher;
                bool first_copy = copied_layers.insert(name).second;
                TRY(writer.add_file(name, source, &hasher));
                if (auto actual = hasher.finish_hex(); first_copy && actual != hex) {
                    std::lock_guard lock(m_mutex);
                    return quarantine_locked(diff_id, "image " + saved.id, "hashes to sha256:" + actual);
                }
                layer_names.push_back(name);
                struct stat st { };
                ::stat(source.c_str(), &st);
                oci_layers.push_back({ { "mediaType", oci_layer_type }, { "digest", diff_id }, { "size", st.st_size } });
            }
            manifest.push_back({ { "Config", config_name }, { "RepoTags", saved.tags.empty() ? nlohmann::json(nullptr) : nlohmann::json(saved.tags) },
                { "Layers", layer_names } });
            for (auto& tag : saved.tags) {
                auto reference = TRY(parse_reference(tag));
                if (!layer_names.empty())
                    repositories[reference.name][reference.tag] = hex_of(layers_of[saved.id].back());
            }
            if (!oci)
                continue;
            nlohmann::json image_manifest = {
                { "schemaVersion", 2 },
                { "mediaType", oci_manifest_type },
                { "config", { { "mediaType", oci_config_type }, { "digest", saved.id }, { "size", config_bytes.size() } } },
                { "layers", oci_layers },
            };
            auto manifest_bytes = image_manifest.dump();
            auto manifest_hex = Sha256::hex(manifest_bytes);
            TRY(writer.add_bytes("blobs/sha256/" + manifest_hex, manifest_bytes));
            nlohmann::json descriptor = { { "mediaType", oci_manifest_type }, { "digest", "sha256:" + manifest_hex },
                { "size", manifest_bytes.size() } };
            if (saved.tags.empty())
                index["manifests"].push_back(descriptor);
            for (auto& tag : saved.tags) {
                auto reference = TRY(parse_reference(tag));
                // containerd's full name, plus the OCI ref.name (the tag) that other tools read.
                auto full = reference.name.find('/') == std::string::npos ? "docker.io/library/" + reference.name
                    : (reference.name.find('.') < reference.name.find('/') || reference.name.find(':') < reference.name.find('/')
                          || strings::starts_with(reference.name, "localhost/"))
                    ? reference.name
                    : "docker.io/" + reference.name;
                descriptor["annotations"] = { { "io.containerd.image.name", full + ":" + reference.tag },
                    { "org.opencontainers.image.ref.name", reference.tag } };
                index["manifests"].push_back(descriptor);
            }
        }
        // manifest.json in both formats: it lets a classic `docker load` read the OCI layout too.
        TRY(writer.add_bytes("manifest.json", manifest.dump()));
        if (oci)
            TRY(writer.add_bytes("index.json", index.dump()));
        else if (!repositories.empty())
            TRY(writer.add_bytes("repositories", repositories.dump()));
        return writer.close();
    };
    auto written = write_all();
    if (!written.ok()) {
        ::unlink(temporary.c_str());
        return written.release_error().with_context("save to " + out_path);
    }
    if (::rename(temporary.c_str(), out_path.c_str()) != 0) {
        int saved_errno = errno;
        ::unlink(temporary.c_str());
        return Error::from_errno("save: rename to " + out_path, saved_errno);
    }
    return Ok {};
}

} // namespace engine::image
