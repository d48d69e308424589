// POST /build: the legacy builder endpoint that `docker build` (with and without
// DOCKER_BUILDKIT=0, CLI 28) uses. The body is the build context as a tar in a chunked request;
// the answer is a chunked 200 of JSON lines, each "\r\n"-terminated: {"stream": ...} for
// progress and RUN output (stderr wrapped in red, as dockerd does), {"aux":{"ID":...}} for the
// image id, and on failure {"errorDetail":{"message":...},"error":...} while still answering 200.
// Lesson: lessons/02-dockerfiles-images/.
#include <map>

#include "engine/api/handlers/handlers.h"
#include "engine/build/builder.h"

namespace engine::api::handlers {

namespace {

// Writes every builder message as one JSON line in its own chunk. (The daemon publishes the
// build's events; this only speaks HTTP.)
class JsonLinesOutput final : public build::BuildOutput {
public:
    explicit JsonLinesOutput(Exchange& exchange)
        : m_exchange(exchange)
    {
    }
    void stream(std::string_view text) override { line({ { "stream", std::string(text) } }); }
    void stream_stderr(std::string_view text) override
    {
        line({ { "stream", "\x1b[91m" + std::string(text) + "\x1b[0m" } });
    }
    void built(const std::string& image_id) override { line({ { "aux", { { "ID", image_id } } } }); }
    void line(const nlohmann::json& message)
    {
        // Invalid UTF-8 in RUN output must not abort the stream: replace it.
        m_exchange.write_chunk(message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\r\n");
    }

private:
    Exchange& m_exchange;
};

// A JSON object of strings from a query parameter (buildargs, labels).
Result<std::map<std::string, std::string>> json_map_param(const Request& request, const char* name)
{
    std::map<std::string, std::string> out;
    auto text = request.query_value(name);
    if (!text || text->empty())
        return out;
    auto json = TRY(parse_client_json(*text, name));
    if (!json.is_object())
        return Error::invalid(std::string("invalid ") + name + ": want a JSON object of strings");
    for (const auto& [key, value] : json.items()) {
        // Docker sends {"A": null} for "--build-arg A" with A unset in the client's env.
        if (value.is_null())
            continue;
        if (!value.is_string())
            return Error::invalid(std::string("invalid ") + name + ": value of \"" + quote_for_error(key) + "\" is not a string");
        out[key] = value.get<std::string>();
    }
    return out;
}

Result<void> post_build(daemon::Engine& engine, Exchange& exchange)
{
    const auto& request = exchange.request();
    build::BuildOptions options;
    options.tags = request.query_values("t");
    options.dockerfile = request.query_value("dockerfile").value_or("Dockerfile");
    if (options.dockerfile.empty())
        options.dockerfile = "Dockerfile";
    options.build_args = TRY(json_map_param(request, "buildargs"));
    options.labels = TRY(json_map_param(request, "labels"));
    options.target = request.query_value("target").value_or("");
    options.no_cache = TRY(request.query_bool("nocache", false));
    options.quiet = TRY(request.query_bool("q", false));
    // rm/forcerm: glassbox never leaves intermediate containers behind, so both are accepted
    // and have nothing left to remove.
    (void)TRY(request.query_bool("rm", true));
    (void)TRY(request.query_bool("forcerm", false));
    options.extra_hosts = request.query_values("extrahosts");
    // The RUN steps' cgroup limits. docker sends each, 0 when not given.
    auto& limits = options.resources;
    limits.memory_bytes = TRY(request.query_int("memory")).value_or(0);
    limits.memory_swap_bytes = TRY(request.query_int("memswap")).value_or(0);
    limits.cpu_shares = TRY(request.query_int("cpushares")).value_or(0);
    auto quota = TRY(request.query_int("cpuquota")).value_or(0);
    auto period = TRY(request.query_int("cpuperiod")).value_or(0);
    if (quota > 0) {
        limits.cpu_period_us = period > 0 ? period : 100000;
        limits.nano_cpus = quota * 1000000000LL / limits.cpu_period_us;
    }
    limits.cpuset_cpus = request.query_value("cpusetcpus").value_or("");
    options.network = TRY(build::parse_build_network(request.query_value("networkmode").value_or("")));
    // Refused before the context is read, so a bad request does not upload a whole context.
    // dockerd without experimental mode refuses squash in these words; glassbox has no such mode.
    if (TRY(request.query_bool("squash", false)))
        return Error::invalid("squash is only supported with experimental mode");
    TRY(daemon::Engine::check_build_options(options, request.query_value("remote").value_or("")));

    auto context = TRY(engine.receive_build_context(
        [&exchange](const std::string& tar_path) -> Result<void> {
            TRY(exchange.body_to_file(tar_path));
            return Ok {};
        }));
    // dockerd refuses a target that names no stage before it streams anything.
    TRY(daemon::Engine::check_build_target(*context, options));
    // The build stops when the client goes away (`docker build` interrupted, a script killed).
    options.cancel_fd = exchange.fd();

    exchange.start_stream(200, "application/json");
    JsonLinesOutput output(exchange);
    auto result = engine.build_image(*context, std::move(options), output);
    if (!result.ok()) {
        auto message = result.error().describe();
        output.line({ { "errorDetail", { { "message", message } } }, { "error", message } });
    }
    exchange.end_stream();
    return Ok {};
}

} // namespace

void register_build_routes(Router& router, daemon::Engine& engine)
{
    router.add("POST", "/build", bind(engine, post_build));
}

} // namespace engine::api::handlers
