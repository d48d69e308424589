// Docker API container filesystem endpoints: HEAD/GET/PUT /containers/{id}/archive (docker cp,
// with the X-Docker-Container-Path-Stat header), GET /containers/{id}/export, GET
// /containers/{id}/changes (docker diff) and POST /commit. HTTP translation only: the engine
// resolves paths inside the container and reads and writes the tars (engine/daemon/archive.cpp,
// engine/daemon/commit.cpp).
#include "engine/api/handlers/handlers.h"
#include "engine/api/handlers/streams.h"

namespace engine::api::handlers {

using daemon::Engine;

namespace {

constexpr const char* path_stat_header_name = "X-Docker-Container-Path-Stat";

// ?path=, required by every archive call (dockerd 20.10's wording, missing space included).
Result<std::string> archive_path(const Request& request)
{
    auto path = request.query_value("path").value_or("");
    if (path.empty())
        return Error::invalid("bad parameter: pathcannot be empty");
    return path;
}

Result<void> archive_head(Engine& engine, Exchange& ex)
{
    auto path = TRY(archive_path(ex.request()));
    auto stat = TRY(engine.stat_container_path(ex.request().param("id"), path));
    ex.add_header(path_stat_header_name, daemon::path_stat_header(stat));
    ex.respond_empty(200);
    return Ok {};
}

Result<void> archive_get(Engine& engine, Exchange& ex)
{
    auto path = TRY(archive_path(ex.request()));
    auto temp = TRY(TempFile::create(engine, ".tar"));
    auto stat = TRY(engine.archive_container_path(ex.request().param("id"), path, temp.path()));
    ex.add_header(path_stat_header_name, daemon::path_stat_header(stat));
    return stream_file(ex, temp.path());
}

Result<void> archive_put(Engine& engine, Exchange& ex)
{
    auto& request = ex.request();
    auto path = TRY(archive_path(request));
    auto no_overwrite = TRY(request.query_bool("noOverwriteDirNonDir", false));
    auto copy_uid_gid = TRY(request.query_bool("copyUIDGID", false));
    // The container and the path are checked before the body is read, so a wrong name answers
    // at once; the rest of the body is then drained so the connection stays usable.
    auto checked = engine.stat_container_path(request.param("id"), path);
    if (!checked.ok()) {
        (void)ex.drain_body();
        return checked.release_error();
    }
    auto temp = TRY(TempFile::create(engine, ".tar"));
    TRY_CTX(ex.body_to_file(temp.path()), "receive the archive");
    TRY(engine.extract_to_container(request.param("id"), path, temp.path(), no_overwrite, copy_uid_gid));
    ex.respond_empty(200);
    return Ok {};
}

Result<void> container_export(Engine& engine, Exchange& ex)
{
    auto temp = TRY(TempFile::create(engine, ".tar"));
    TRY(engine.export_container(ex.request().param("id"), temp.path()));
    return stream_file(ex, temp.path());
}

Result<void> container_changes(Engine& engine, Exchange& ex)
{
    auto changes = TRY(engine.container_changes(ex.request().param("id")));
    // dockerd's list is a nil slice when nothing changed, which Go writes as null.
    nlohmann::json body = nullptr;
    for (const auto& change : changes)
        body.push_back({ { "Path", change.path }, { "Kind", change.kind } });
    ex.respond_json(200, body);
    return Ok {};
}

Result<void> commit(Engine& engine, Exchange& ex)
{
    auto& request = ex.request();
    daemon::CommitOptions options;
    options.comment = request.query_value("comment").value_or("");
    options.author = request.query_value("author").value_or("");
    options.pause = TRY(request.query_bool("pause", true));
    options.changes = request.query_values("changes");
    // No body (the docker CLI) or "null" (docker-py without conf) both mean "the container's config".
    auto body = TRY(ex.read_body());
    if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
        auto config = TRY(parse_client_json(body, "request body"));
        if (config.is_object())
            options.config = TRY(image::ContainerDefaults::from_json(config, "Config"));
    }
    // The new image's name is parsed here, before the container is looked up, as dockerd's router does.
    if (auto repo = request.query_value("repo").value_or(""); !repo.empty())
        options.reference = TRY(new_image_name(repo, request.query_value("tag").value_or(""), "cannot commit to digest reference"));
    auto id = TRY(engine.commit_container(request.query_value("container").value_or(""), options));
    ex.respond_json(201, { { "Id", id } });
    return Ok {};
}

} // namespace

void register_archive_routes(Router& router, Engine& engine)
{
    router.add("HEAD", "/containers/{id}/archive", bind(engine, archive_head));
    router.add("GET", "/containers/{id}/archive", bind(engine, archive_get));
    router.add("PUT", "/containers/{id}/archive", bind(engine, archive_put));
    router.add("GET", "/containers/{id}/export", bind(engine, container_export));
    router.add("GET", "/containers/{id}/changes", bind(engine, container_changes));
    router.add("POST", "/commit", bind(engine, commit));
}

} // namespace engine::api::handlers
