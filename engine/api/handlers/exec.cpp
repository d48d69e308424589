// Docker API exec endpoints: create (errors such as "container is not running" are reported here,
// because the CLI cannot show the JSON error of a failed upgrade), start (hijacked, plain raw
// stream, or detached), inspect (ExitCode, read by the CLI after the stream closes) and resize.
#include "engine/api/docker_json.h"
#include "engine/api/handlers/handlers.h"
#include "engine/api/handlers/streams.h"

namespace engine::api::handlers {

using daemon::Engine;

static Result<void> exec_create(Engine& engine, Exchange& ex)
{
    auto body = TRY(ex.read_json());
    auto config = TRY(exec_config_from_json(body));
    auto id = TRY(engine.exec_create(ex.request().param("id"), std::move(config)));
    ex.respond_json(201, { { "Id", id } });
    return Ok {};
}

static Result<void> exec_start(Engine& engine, Exchange& ex)
{
    auto body = TRY(ex.read_json());
    if (!body.is_object())
        return Error::invalid("exec start: expected a JSON object");
    auto detach_value = body.value("Detach", Json(false));
    if (!detach_value.is_boolean())
        return Error::invalid("exec start: Detach must be true or false");
    auto id = ex.request().param("id");
    if (detach_value.get<bool>()) {
        TRY(engine.exec_start(id, true, nullptr));
        ex.respond(200, "application/json", "");
        return Ok {};
    }
    auto view = TRY(engine.exec_inspect(id));
    return run_hijacked_session(ex, view.config.attach_stdin, [&](std::shared_ptr<daemon::OutputSink> sink) {
        return engine.exec_start(id, false, std::move(sink));
    });
}

static Result<void> exec_inspect(Engine& engine, Exchange& ex)
{
    auto view = TRY(engine.exec_inspect(ex.request().param("id")));
    ex.respond_json(200, exec_inspect_json(view));
    return Ok {};
}

static Result<void> exec_resize(Engine& engine, Exchange& ex)
{
    auto [height, width] = TRY(terminal_size(ex.request()));
    TRY(engine.exec_resize(ex.request().param("id"), height, width));
    ex.respond(200, "text/plain; charset=utf-8", "");
    return Ok {};
}

void register_exec_routes(Router& router, Engine& engine)
{
    router.add("POST", "/containers/{id}/exec", bind(engine, exec_create));
    router.add("POST", "/exec/{id}/start", bind(engine, exec_start));
    router.add("GET", "/exec/{id}/json", bind(engine, exec_inspect));
    router.add("POST", "/exec/{id}/resize", bind(engine, exec_resize));
}

} // namespace engine::api::handlers
