// Docker API exec endpoints: create (errors such as "container is not running" are reported here,
// because the CLI cannot show the JSON error of a failed upgrade), start (hijacked, plain raw
// stream, or detached), inspect (ExitCode, read by the CLI after the stream closes) and resize.
#include "engine/api/docker_json.h"
#include "engine/api/handlers/handlers.h"
#include "engine/api/handlers/streams.h"

#include <algorithm>

namespace engine::api::handlers {

using daemon::Engine;

static Result<void> exec_create(Engine& engine, Exchange& ex)
{
    auto body = TRY(ex.read_json());
    auto config = TRY(exec_config_from_json(body));
    // dockerd checks the keys at create and answers a bad sequence with a 500 in these words.
    if (!parse_detach_keys(config.detach_keys).ok())
        return Error::system("Invalid escape keys (" + quote_for_error(config.detach_keys) + ") provided");
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
    auto detach_keys = TRY(parse_detach_keys(view.config.detach_keys));
    return run_hijacked_session(
        ex, view.config.attach_stdin,
        [&](std::shared_ptr<daemon::OutputSink> sink) { return engine.exec_start(id, false, std::move(sink)); },
        detach_keys);
}

static Result<void> exec_inspect(Engine& engine, Exchange& ex)
{
    auto view = TRY(engine.exec_inspect(ex.request().param("id")));
    auto body = exec_inspect_json(view);
    // dockerd keeps the keys as bytes and Go marshals bytes as standard base64 ("" when unset).
    if (!view.config.detach_keys.empty()) {
        auto bytes = parse_detach_keys(view.config.detach_keys);
        auto encoded = daemon::base64_url(bytes.ok() ? bytes.value() : std::string());
        std::replace(encoded.begin(), encoded.end(), '-', '+');
        std::replace(encoded.begin(), encoded.end(), '_', '/');
        body["DetachKeys"] = encoded;
    }
    ex.respond_json(200, body);
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
