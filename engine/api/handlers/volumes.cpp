// Docker API volume endpoints: create (201, idempotent for an existing name), list, inspect,
// remove (409 while a container uses it) and prune.
#include "engine/api/docker_json.h"
#include "engine/api/handlers/handlers.h"
#include "engine/base/strings.h"

namespace engine::api::handlers {

using daemon::Engine;

static Result<void> volume_create(Engine& engine, Exchange& ex)
{
    auto body = TRY(ex.read_json());
    if (!body.is_object())
        return Error::invalid("volume create: expected a JSON object");
    auto field = [&](const char* key) -> Result<std::string> {
        if (!body.contains(key) || body[key].is_null())
            return std::string();
        if (!body[key].is_string())
            return Error::invalid(std::string("volume create: ") + key + " must be a string");
        return body[key].get<std::string>();
    };
    auto map_field = [&](const char* key) -> Result<std::map<std::string, std::string>> {
        std::map<std::string, std::string> out;
        if (!body.contains(key) || body[key].is_null())
            return out;
        if (!body[key].is_object())
            return Error::invalid(std::string("volume create: ") + key + " must be an object of strings");
        for (auto& [k, v] : body[key].items()) {
            if (!v.is_string())
                return Error::invalid(std::string("volume create: ") + key + "." + k + " must be a string");
            out[k] = v.get<std::string>();
        }
        return out;
    };
    auto name = TRY(field("Name"));
    auto driver = TRY(field("Driver"));
    if (!driver.empty() && driver != "local")
        return Error::unsupported("volume driver \"" + driver + "\" is not supported; glassbox has only \"local\"");
    auto labels = TRY(map_field("Labels"));
    auto options = TRY(map_field("DriverOpts"));
    auto volume = TRY(engine.create_volume(name, labels, options));
    ex.respond_json(201, volume_json(volume));
    return Ok {};
}

static Result<void> volume_list(Engine& engine, Exchange& ex)
{
    Json volumes = Json::array();
    for (const auto& volume : TRY(engine.list_volumes(TRY(ex.request().filters()))))
        volumes.push_back(volume_json(volume));
    ex.respond_json(200, { { "Volumes", volumes }, { "Warnings", nullptr } });
    return Ok {};
}

static Result<void> volume_inspect(Engine& engine, Exchange& ex)
{
    auto volume = TRY(engine.volumes().get(ex.request().param("name")));
    ex.respond_json(200, volume_json(volume));
    return Ok {};
}

static Result<void> volume_remove(Engine& engine, Exchange& ex)
{
    bool force = TRY(ex.request().query_bool("force", false));
    TRY(engine.remove_volume(ex.request().param("name"), force));
    ex.respond_empty(204);
    return Ok {};
}

static Result<void> volume_prune(Engine& engine, Exchange& ex)
{
    auto filters = TRY(ex.request().filters());
    // API 1.42+ prunes only anonymous volumes unless all=true; at 1.41 every unused volume goes.
    bool all = true;
    if (auto it = filters.find("all"); it != filters.end() && !it->second.empty())
        all = parse_bool(it->second.front()).value_or(true);
    std::uint64_t reclaimed = 0;
    auto deleted = TRY(engine.prune_volumes(all, reclaimed));
    ex.respond_json(200, { { "VolumesDeleted", deleted.empty() ? Json(nullptr) : Json(deleted) },
                             { "SpaceReclaimed", reclaimed } });
    return Ok {};
}

void register_volume_routes(Router& router, Engine& engine)
{
    router.add("POST", "/volumes/create", bind(engine, volume_create));
    router.add("POST", "/volumes/prune", bind(engine, volume_prune));
    router.add("GET", "/volumes", bind(engine, volume_list));
    router.add("GET", "/volumes/{name}", bind(engine, volume_inspect));
    router.add("DELETE", "/volumes/{name}", bind(engine, volume_remove));
}

} // namespace engine::api::handlers
