// Docker API container endpoints: create, start, stop, restart, kill, wait, attach, logs, resize,
// list, inspect, remove, rename, pause, unpause, update, top and prune (stats: handlers/stats.cpp). Status codes follow the
// captures of a real dockerd: 304 for start of a running and stop of a
// stopped container, 409 for conflicts, 404 for unknown containers and images.
//
// Index:
//   [SECTION] Helpers
//   [SECTION] Create, start, stop, kill
//   [SECTION] Wait
//   [SECTION] Attach and logs
//   [SECTION] List and inspect
//   [SECTION] Remove, rename, pause, update, top, prune
//   [SECTION] Routes
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <regex>
#include <thread>

#include "engine/api/docker_json.h"
#include "engine/api/handlers/handlers.h"
#include "engine/api/handlers/streams.h"
#include "engine/base/strings.h"

namespace engine::api::handlers {

using daemon::Engine;
using std::chrono::system_clock;

// [SECTION] Helpers

// ?t= (seconds; Docker also accepts "timeout" in newer versions). Negative means "wait forever"
// in Docker; glassbox passes it through.
static Result<std::optional<int>> stop_timeout(const Request& request)
{
    auto t = TRY(request.query_int("t"));
    if (!t)
        t = TRY(request.query_int("timeout"));
    if (!t)
        return std::optional<int> {};
    return std::optional<int> { static_cast<int>(*t) };
}

// A time given as unix seconds ("1700000000", "1700000000.5") or RFC 3339.
static Result<std::optional<system_clock::time_point>> query_time(const Request& request, const char* name)
{
    auto value = request.query_value(name);
    if (!value || value->empty() || *value == "0")
        return std::optional<system_clock::time_point> {};
    system_clock::time_point when;
    if (strings::parse_rfc3339(*value, when))
        return std::optional { when };
    try {
        size_t used = 0;
        double seconds = std::stod(*value, &used);
        if (used == value->size() && seconds >= 0)
            return std::optional { system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
                std::chrono::duration<double>(seconds))) };
    } catch (const std::exception&) {
    }
    return Error::invalid(std::string("invalid value for \"") + name + "\": \"" + *value + "\" (want unix seconds or RFC 3339)");
}

// [SECTION] Create, start, stop, kill

static Result<void> create(Engine& engine, Exchange& ex)
{
    auto name = ex.request().query_value("name").value_or("");
    auto body = TRY(ex.read_json());
    auto config = TRY(container_config_from_json(body));
    auto created = TRY(engine.create_container(name, std::move(config)));
    ex.respond_json(201, { { "Id", created.id }, { "Warnings", created.warnings } });
    return Ok {};
}

static Result<void> start(Engine& engine, Exchange& ex)
{
    TRY(engine.start_container(ex.request().param("id")));
    ex.respond_empty(204);
    return Ok {};
}

static Result<void> stop(Engine& engine, Exchange& ex)
{
    auto timeout = TRY(stop_timeout(ex.request()));
    TRY(engine.stop_container(ex.request().param("id"), timeout));
    ex.respond_empty(204);
    return Ok {};
}

static Result<void> restart(Engine& engine, Exchange& ex)
{
    auto timeout = TRY(stop_timeout(ex.request()));
    TRY(engine.restart_container(ex.request().param("id"), timeout));
    ex.respond_empty(204);
    return Ok {};
}

static Result<void> kill(Engine& engine, Exchange& ex)
{
    auto signal = ex.request().query_value("signal").value_or("");
    TRY(engine.kill_container(ex.request().param("id"), signal.empty() ? "KILL" : signal));
    ex.respond_empty(204);
    return Ok {};
}

// [SECTION] Wait

// Answers the 200 head as soon as the wait is registered (the CLI sends /start only after it has
// the head), then {"Error":null,"StatusCode":N} once the condition is met. The handler sleeps in
// poll(2) on the wait's eventfd and the client's socket: no thread per wait, no timer, and a
// client that drops the connection (docker run -d drops its next-exit wait) ends it at once.
static Result<void> wait(Engine& engine, Exchange& ex)
{
    auto condition = ex.request().query_value("condition").value_or("not-running");
    if (condition.empty())
        condition = "not-running";
    if (condition != "not-running" && condition != "next-exit" && condition != "removed")
        return Error::invalid("invalid condition: \"" + condition + "\" (want not-running, next-exit or removed)");
    auto waiting = TRY(engine.wait_container_pollable(ex.request().param("id"), condition));

    if (!ex.start_stream(200, "application/json"))
        return Ok {};
    for (;;) {
        if (auto r = waiting.ready()) {
            Json body = { { "Error", r->error.empty() ? Json(nullptr) : Json({ { "Message", r->error } }) },
                { "StatusCode", r->status_code } };
            ex.write_chunk(body.dump() + "\n");
            ex.end_stream();
            return Ok {};
        }
        pollfd fds[2] = { { waiting.wake->get(), POLLIN, 0 }, { ex.fd(), POLLRDHUP, 0 } };
        if (::poll(fds, 2, -1) < 0 && errno != EINTR)
            return Ok {};
        if (fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
            return Ok {};
        std::uint64_t count = 0;
        (void)!::read(waiting.wake->get(), &count, sizeof count);
    }
}

// [SECTION] Attach and logs

static Result<void> attach(Engine& engine, Exchange& ex)
{
    auto& request = ex.request();
    auto id = request.param("id");
    bool stream = TRY(request.query_bool("stream", false));
    bool logs = TRY(request.query_bool("logs", false));
    bool want_stdin = TRY(request.query_bool("stdin", false));
    bool want_stdout = TRY(request.query_bool("stdout", false));
    bool want_stderr = TRY(request.query_bool("stderr", false));
    if (!stream && !logs)
        return Error::invalid("attach: set stream=1 or logs=1");
    auto keys = request.query_value("detachKeys").value_or("");
    auto detach_keys = parse_detach_keys(keys);
    if (!detach_keys.ok())
        return Error::invalid("Invalid detach keys (" + quote_for_error(keys) + ") provided");
    TRY(ex.drain_body());
    if (!stream) {
        // logs=1&stream=0: what the container has written so far, then the connection closes
        // (also when it has exited, where a stream would wait for its next start).
        bool tty = TRY(engine.container_is_tty(id));
        return run_hijacked_session(ex, false, [&](std::shared_ptr<daemon::OutputSink> sink) -> Result<Engine::Attachment> {
            daemon::LogOptions options;
            options.stdout_stream = want_stdout;
            options.stderr_stream = want_stderr;
            TRY(engine.container_logs(id, options, *sink));
            Engine::Attachment replayed;
            replayed.tty = tty;
            return replayed;
        });
    }
    return run_hijacked_session(
        ex, want_stdin,
        [&](std::shared_ptr<daemon::OutputSink> sink) {
            return engine.attach_container(id, want_stdin, want_stdout, want_stderr, logs, std::move(sink));
        },
        detach_keys.value());
}

static Result<void> logs(Engine& engine, Exchange& ex)
{
    auto& request = ex.request();
    auto id = request.param("id");
    daemon::LogOptions options;
    options.stdout_stream = TRY(request.query_bool("stdout", false));
    options.stderr_stream = TRY(request.query_bool("stderr", false));
    if (!options.stdout_stream && !options.stderr_stream)
        return Error::invalid("Bad parameters: you must choose at least one stream");
    options.follow = TRY(request.query_bool("follow", false));
    options.timestamps = TRY(request.query_bool("timestamps", false));
    auto tail = request.query_value("tail").value_or("all");
    if (!tail.empty() && tail != "all") {
        std::uint64_t n = 0;
        if (!strings::parse_uint(tail, n)) {
            // Docker treats a negative or unparsable tail as "all".
            if (!strings::starts_with(tail, "-"))
                return Error::invalid("invalid value for \"tail\": \"" + tail + "\" (want a number or all)");
        } else {
            options.tail = static_cast<std::size_t>(n);
        }
    }
    options.since = TRY(query_time(request, "since"));
    options.until = TRY(query_time(request, "until"));

    // Inspect first: 404 before any head, and the framing follows the container's Tty.
    bool tty = TRY(engine.container_is_tty(id));
    ChunkSink sink(ex, !tty);
    if (options.follow)
        sink.start(); // A follower sees the head at once, even before the first line.
    auto result = engine.container_logs(id, options, sink);
    if (!result.ok() && !ex.responded())
        return result.release_error();
    sink.finish();
    return Ok {};
}

static Result<void> resize(Engine& engine, Exchange& ex)
{
    auto [height, width] = TRY(terminal_size(ex.request()));
    TRY(engine.resize_container(ex.request().param("id"), height, width));
    ex.respond(200, "text/plain; charset=utf-8", "");
    return Ok {};
}

// [SECTION] List and inspect

static Result<void> list(Engine& engine, Exchange& ex)
{
    auto& request = ex.request();
    bool all = TRY(request.query_bool("all", false));
    auto filters = TRY(request.filters());
    auto limit = TRY(request.query_int("limit"));
    auto views = TRY(engine.list_containers(all, filters, limit && *limit > 0 ? static_cast<int>(*limit) : 0));
    auto now = system_clock::now();
    Json out = Json::array();
    for (const auto& view : views)
        out.push_back(container_summary_json(view, now));
    ex.respond_json(200, out);
    return Ok {};
}

static Result<void> inspect(Engine& engine, Exchange& ex)
{
    auto view = TRY(engine.inspect_container(ex.request().param("id")));
    ex.respond_json(200, container_inspect_json(view));
    return Ok {};
}

// [SECTION] Remove, rename, pause, update, top, prune

static Result<void> remove(Engine& engine, Exchange& ex)
{
    bool force = TRY(ex.request().query_bool("force", false));
    bool volumes = TRY(ex.request().query_bool("v", false));
    if (TRY(ex.request().query_bool("link", false)))
        return Error::invalid("legacy links are not supported by glassbox; nothing to remove with link=1");
    TRY(engine.remove_container(ex.request().param("id"), force, volumes));
    ex.respond_empty(204);
    return Ok {};
}

static Result<void> rename(Engine& engine, Exchange& ex)
{
    auto name = ex.request().query_value("name").value_or("");
    if (name.empty())
        return Error::invalid("rename: the new name (?name=) is required");
    TRY(engine.rename_container(ex.request().param("id"), name));
    ex.respond_empty(204);
    return Ok {};
}

static Result<void> pause(Engine& engine, Exchange& ex)
{
    TRY(engine.pause_container(ex.request().param("id")));
    ex.respond_empty(204);
    return Ok {};
}

static Result<void> unpause(Engine& engine, Exchange& ex)
{
    TRY(engine.unpause_container(ex.request().param("id")));
    ex.respond_empty(204);
    return Ok {};
}

// The body of POST /containers/{id}/update. Zero means "leave it" (Docker's rule), so only
// non-zero numbers are set; PidsLimit counts when present, since 0 there means "no limit".
static Result<daemon::ResourceUpdate> resource_update_from_json(const Json& body)
{
    daemon::ResourceUpdate update;
    if (!body.is_object())
        return Error::invalid("update: the body must be a JSON object");
    auto integer = [&](const char* key) -> Result<std::optional<std::int64_t>> {
        auto it = body.find(key);
        if (it == body.end() || it->is_null())
            return std::optional<std::int64_t> {};
        if (!it->is_number_integer())
            return Error::invalid(std::string("update: ") + key + " must be an integer, got " + it->dump());
        return std::optional<std::int64_t> { it->get<std::int64_t>() };
    };
    update.memory = TRY(integer("Memory"));
    update.memory_swap = TRY(integer("MemorySwap"));
    update.memory_reservation = TRY(integer("MemoryReservation"));
    update.nano_cpus = TRY(integer("NanoCpus"));
    update.cpu_shares = TRY(integer("CpuShares"));
    update.cpu_quota = TRY(integer("CpuQuota"));
    update.cpu_period = TRY(integer("CpuPeriod"));
    update.pids_limit = TRY(integer("PidsLimit"));
    update.blkio_weight = TRY(integer("BlkioWeight"));
    update.kernel_memory = TRY(integer("KernelMemory")).value_or(0) != 0;
    for (auto [key, field] : { std::pair { "CpusetCpus", &update.cpuset_cpus }, std::pair { "CpusetMems", &update.cpuset_mems } }) {
        if (auto it = body.find(key); it != body.end() && !it->is_null()) {
            if (!it->is_string())
                return Error::invalid(std::string("update: ") + key + " must be a string like \"0-1\", got " + it->dump());
            *field = it->get<std::string>();
        }
    }
    if (auto it = body.find("RestartPolicy"); it != body.end() && it->is_object()) {
        daemon::RestartPolicy policy;
        auto name = it->find("Name");
        if (name != it->end() && !name->is_null() && !name->is_string())
            return Error::invalid("update: RestartPolicy.Name must be a string, got " + name->dump());
        policy.name = name != it->end() && name->is_string() ? name->get<std::string>() : "";
        auto count = it->find("MaximumRetryCount");
        if (count != it->end() && !count->is_null() && !count->is_number_integer())
            return Error::invalid("update: RestartPolicy.MaximumRetryCount must be an integer, got " + count->dump());
        policy.maximum_retry_count = count != it->end() && count->is_number_integer() ? count->get<int>() : 0;
        update.restart_policy = policy;
    }
    return update;
}

// Answers {"Warnings": null} when there are none, as dockerd does.
static Result<void> update(Engine& engine, Exchange& ex)
{
    auto body = TRY(ex.read_json());
    auto request = TRY(resource_update_from_json(body));
    auto warnings = TRY(engine.update_container(ex.request().param("id"), request));
    ex.respond_json(200, { { "Warnings", warnings.empty() ? Json(nullptr) : Json(warnings) } });
    return Ok {};
}

static Result<void> top(Engine& engine, Exchange& ex)
{
    auto result = TRY(engine.container_top(ex.request().param("id")));
    ex.respond_json(200, result);
    return Ok {};
}

static Result<void> prune(Engine& engine, Exchange& ex)
{
    TRY(ex.request().filters()); // Validated; glassbox prunes every stopped container.
    std::uint64_t reclaimed = 0;
    auto deleted = TRY(engine.prune_containers(reclaimed));
    ex.respond_json(200, { { "ContainersDeleted", deleted.empty() ? Json(nullptr) : Json(deleted) },
                             { "SpaceReclaimed", reclaimed } });
    return Ok {};
}

// [SECTION] Routes

void register_container_routes(Router& router, Engine& engine)
{
    auto bind = [&engine](EngineHandler handler) { return handlers::bind(engine, handler); };
    router.add("POST", "/containers/create", bind(create));
    router.add("GET", "/containers/json", bind(list));
    router.add("POST", "/containers/prune", bind(prune));
    router.add("GET", "/containers/{id}/json", bind(inspect));
    router.add("POST", "/containers/{id}/start", bind(start));
    router.add("POST", "/containers/{id}/stop", bind(stop));
    router.add("POST", "/containers/{id}/restart", bind(restart));
    router.add("POST", "/containers/{id}/kill", bind(kill));
    router.add("POST", "/containers/{id}/wait", bind(wait));
    router.add("POST", "/containers/{id}/attach", bind(attach));
    router.add("GET", "/containers/{id}/logs", bind(logs));
    router.add("POST", "/containers/{id}/resize", bind(resize));
    router.add("POST", "/containers/{id}/rename", bind(rename));
    router.add("POST", "/containers/{id}/pause", bind(pause));
    router.add("POST", "/containers/{id}/unpause", bind(unpause));
    router.add("POST", "/containers/{id}/update", bind(update));
    router.add("GET", "/containers/{id}/top", bind(top));
    router.add("DELETE", "/containers/{id}", bind(remove));
}

} // namespace engine::api::handlers
