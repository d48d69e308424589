// Docker API image endpoints: list, inspect, history, tag, remove, prune, save (GET
// /images/get and /images/{name}/get), load (POST /images/load), import (POST
// /images/create?fromSrc=-) and pull. glassbox has no registry client: a pull of an image that is
// not here answers 404 with a message that points to `glassbox load` and `glassbox import`, which
// makes the docker CLI print it and exit non-zero (1 for pull, 125 for run) without hanging.
//
// Index:
//   [SECTION] Helpers
//   [SECTION] List, inspect, history
//   [SECTION] Tag, remove, prune
//   [SECTION] Create (import and pull), load, save
//   [SECTION] Routes
#include <fcntl.h>
#include <unistd.h>

#include "engine/api/docker_json.h"
#include "engine/api/handlers/handlers.h"
#include "engine/api/handlers/streams.h"
#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::api::handlers {

using daemon::Engine;

// [SECTION] Helpers

static std::string json_line(const Json& message)
{
    return message.dump(-1, ' ', false, Json::error_handler_t::replace) + "\r\n";
}

Result<image::Reference> new_image_name(std::string_view repo, std::string_view tag, std::string_view refused)
{
    auto reference = TRY(image::parse_repo_tag(repo, tag));
    if (reference.digest.empty())
        return reference;
    // A digest names content that already exists; parse_repo_tag reads a "sha256:..." tag as one
    // because a pull by digest sends it so, but a name given to an image cannot be one.
    if (!tag.empty())
        return Error::invalid("invalid tag format");
    return Error::invalid(std::string(refused));
}

// [SECTION] List, inspect, history

static Result<void> image_list(Engine& engine, Exchange& ex)
{
    auto filters = TRY(ex.request().filters());
    Json out = Json::array();
    for (const auto& view : TRY(engine.list_images(filters)))
        out.push_back(image_summary_json(view.record, view.containers));
    ex.respond_json(200, out);
    return Ok {};
}

static Result<void> image_inspect(Engine& engine, Exchange& ex)
{
    auto record = TRY(engine.images().resolve(ex.request().param("name")));
    ex.respond_json(200, image_inspect_json(record));
    return Ok {};
}

static Result<void> image_history(Engine& engine, Exchange& ex)
{
    auto entries = TRY(engine.images().history(ex.request().param("name")));
    ex.respond_json(200, image_history_json(entries));
    return Ok {};
}

// [SECTION] Tag, remove, prune

static Result<void> image_tag(Engine& engine, Exchange& ex)
{
    auto repo = ex.request().query_value("repo").value_or("");
    auto tag = ex.request().query_value("tag").value_or("");
    if (repo.empty())
        return Error::invalid("tag: repo is required");
    TRY(engine.tag_image(ex.request().param("name"), TRY(new_image_name(repo, tag, "cannot commit to digest reference"))));
    ex.respond_empty(201);
    return Ok {};
}

static Result<void> image_remove(Engine& engine, Exchange& ex)
{
    bool force = TRY(ex.request().query_bool("force", false));
    auto items = TRY(engine.remove_image(ex.request().param("name"), force));
    ex.respond_json(200, image_delete_json(items));
    return Ok {};
}

// Removes unused images (the daemon decides which: untagged ones unless dangling=false).
static Result<void> image_prune(Engine& engine, Exchange& ex)
{
    auto pruned = TRY(engine.prune_images(TRY(ex.request().filters())));
    auto deleted = image_delete_json(pruned.deleted);
    ex.respond_json(200,
        { { "ImagesDeleted", deleted.empty() ? Json(nullptr) : deleted }, { "SpaceReclaimed", pruned.reclaimed } });
    return Ok {};
}

// [SECTION] Create (import and pull), load, save

// docker import: the request body is a rootfs tar (fromSrc=-); repo, tag, message and changes
// come in the query. Answers a JSON stream whose status is the new image id.
static Result<void> image_import(Engine& engine, Exchange& ex)
{
    auto& request = ex.request();
    image::ImportOptions options;
    auto repo = request.query_value("repo").value_or("");
    auto tag = request.query_value("tag").value_or("");
    if (!repo.empty()) {
        options.repo_tag = TRY(new_image_name(repo, tag, "cannot import digest reference")).str();
    }
    // Docker's comment for an import without --message.
    options.message = request.query_value("message").value_or("");
    if (options.message.empty())
        options.message = "Imported from -";
    options.changes = request.query_values("changes");
    auto temp = TRY(TempFile::create(engine, ".tar"));
    auto size = TRY_CTX(ex.body_to_file(temp.path()), "receive import tarball");
    if (size == 0)
        return Error::invalid("import: the request body (the rootfs tar) is empty");
    auto record = TRY(engine.import_image(temp.path(), options));
    ex.start_stream(200, "application/json");
    ex.write_chunk(json_line({ { "status", record.id } }));
    ex.end_stream();
    return Ok {};
}

static Result<void> image_pull(Engine& engine, Exchange& ex)
{
    auto& request = ex.request();
    auto from = request.query_value("fromImage").value_or("");
    auto tag = request.query_value("tag").value_or("");
    if (from.empty())
        return Error::invalid("images/create: fromImage or fromSrc is required");
    auto reference = TRY(image::parse_repo_tag(from, tag));
    // Already here: report it the way a registry pull reports an unchanged image.
    if (engine.images().resolve(reference.str()).ok()) {
        ex.start_stream(200, "application/json");
        ex.write_chunk(json_line({ { "status", "Status: Image is up to date for " + reference.str() } }));
        ex.end_stream();
        return Ok {};
    }
    return Error::not_found("pull access denied for " + reference.str()
        + ": glassbox is offline and does not talk to registries; bring the image in with "
          "`glassbox load -i image.tar` (a `docker save` archive) or "
          "`glassbox import rootfs.tar "
        + reference.str() + "`");
}

static Result<void> image_create(Engine& engine, Exchange& ex)
{
    auto from_src = ex.request().query_value("fromSrc");
    if (from_src) {
        if (*from_src != "-")
            return Error::unsupported("import from a URL (fromSrc=" + *from_src
                + ") is not supported: glassbox is offline; send the tarball in the request body (fromSrc=-)");
        return image_import(engine, ex);
    }
    return image_pull(engine, ex);
}

// docker load: the body is a `docker save` (or OCI layout) archive. Answers the JSON stream the
// CLI prints: one "Loaded image: name:tag" line per image.
// A load error as the client should read it: without the daemon's temporary path, and for an
// archive that does not read as a tar, with dockerd's "Error processing tar file" prefix.
static std::string load_error_message(std::string message, const std::string& temp_path)
{
    for (const auto& prefix : std::vector<std::string> { "load " + temp_path + ": ", "open archive " + temp_path + ": ",
             "unpack " + temp_path + ": ", temp_path + ": " }) {
        for (auto at = message.find(prefix); at != std::string::npos; at = message.find(prefix))
            message.erase(at, prefix.size());
    }
    for (auto at = message.find(temp_path); at != std::string::npos; at = message.find(temp_path))
        message.replace(at, temp_path.size(), "the archive");
    bool unreadable = message.find("Unrecognized archive format") != std::string::npos
        || message.find("Truncated") != std::string::npos || message.find("Damaged") != std::string::npos;
    return unreadable ? "Error processing tar file: " + message : message;
}

static Result<void> image_load(Engine& engine, Exchange& ex)
{
    std::string temp_path;
    Result<std::vector<std::string>> loaded = Error::invalid("not loaded");
    {
        // The upload is removed before the answer is written: a client that has the answer
        // finds nothing of its request left under the daemon's tmp.
        auto temp = TRY(TempFile::create(engine, ".tar"));
        temp_path = temp.path();
        auto size = TRY_CTX(ex.body_to_file(temp.path()), "receive image archive");
        // As dockerd does, an archive that is received but cannot be loaded is answered with a 200
        // whose JSON stream carries the error (the docker CLI and SDK read errorDetail).
        loaded = size == 0 ? Result<std::vector<std::string>>(Error::invalid(
                                 "Error processing tar file: the request body (the image archive) is empty"))
                           : engine.load_images(temp.path());
    }
    ex.start_stream(200, "application/json");
    if (!loaded.ok()) {
        auto message = load_error_message(loaded.error().describe(), temp_path);
        ex.write_chunk(json_line({ { "errorDetail", { { "message", message } } }, { "error", message } }));
        ex.end_stream();
        return Ok {};
    }
    for (auto& name : loaded.value()) {
        auto line = strings::starts_with(name, "sha256:") ? "Loaded image ID: " + name : "Loaded image: " + name;
        ex.write_chunk(json_line({ { "stream", line + "\n" } }));
    }
    ex.end_stream();
    return Ok {};
}

static Result<void> save(Engine& engine, Exchange& ex, const std::vector<std::string>& names)
{
    if (names.empty())
        return Error::invalid("save: no image names given (?names=)");
    for (auto& name : names)
        TRY(engine.images().resolve(name)); // 404 before any byte of the tar is sent.
    auto temp = TRY(TempFile::create(engine, ".tar"));
    // `glassbox save --format oci` asks for the OCI image layout; docker save gets Docker's.
    auto format = ex.request().query_value("format").value_or("") == "oci" ? image::ArchiveFormat::Oci : image::ArchiveFormat::Docker;
    TRY(engine.images().save(names, temp.path(), format));
    return stream_file(ex, temp.path());
}

static Result<void> image_save_many(Engine& engine, Exchange& ex)
{
    return save(engine, ex, ex.request().query_values("names"));
}

static Result<void> image_save_one(Engine& engine, Exchange& ex)
{
    return save(engine, ex, { ex.request().param("name") });
}

static Result<void> image_search(Engine&, Exchange&)
{
    return Error::unsupported("search is not available: glassbox is offline and does not talk to registries");
}

// [SECTION] Routes

void register_image_routes(Router& router, Engine& engine)
{
    // Literal paths first: "/images/json" is the list, not the image named "json".
    router.add("GET", "/images/json", bind(engine, image_list));
    router.add("POST", "/images/create", bind(engine, image_create));
    router.add("POST", "/images/load", bind(engine, image_load));
    router.add("POST", "/images/prune", bind(engine, image_prune));
    router.add("GET", "/images/get", bind(engine, image_save_many));
    router.add("GET", "/images/search", bind(engine, image_search));
    router.add("GET", "/images/{name*}/json", bind(engine, image_inspect));
    router.add("GET", "/images/{name*}/history", bind(engine, image_history));
    router.add("GET", "/images/{name*}/get", bind(engine, image_save_one));
    router.add("POST", "/images/{name*}/tag", bind(engine, image_tag));
    router.add("DELETE", "/images/{name*}", bind(engine, image_remove));
}

} // namespace engine::api::handlers
