// glassbox's own endpoints, under /glassbox/v1/ (what Docker has no word for):
//   GET /glassbox/v1/state?container=&kind=&generation=   a fresh snapshot (or a kept one), filtered
//   GET /glassbox/v1/state?view=summary                   the text `glassbox state` prints
//   GET /glassbox/v1/state/diff?from=G1&to=G2             the diff of two kept generations
//   GET /glassbox/v1/state/diff?since=10m|RFC3339         from the kept snapshot before then to now
//   GET /glassbox/v1/events?snapshots=1&all=1             engine events, kernel changes (and frames)
//   GET /glassbox/v1/features                             the kernel feature probe
//   GET /glassbox/v1/containers/{id}/trace                a container's phase timings
// Diffs keep only objects that belong to glassbox unless ?all=1 (a shared host has other
// processes coming and going), and ignore usage counters unless ?usage=1 (see state/diff.h).
//
// Index:
//   [SECTION] Query parsing
//   [SECTION] State and diff
//   [SECTION] Events stream
//   [SECTION] Phase trace
//   [SECTION] Features
//   [SECTION] Routes
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/api/docker_json.h"
#include "engine/api/handlers/handlers.h"
#include "engine/base/strings.h"
#include "engine/daemon/trace.h"
#include "engine/state/collector.h"
#include "engine/state/diff.h"
#include "engine/state/snapshot_json.h"
#include "engine/state/summary.h"

namespace engine::api::handlers {

using daemon::Engine;
using std::chrono::system_clock;
using SnapshotPtr = std::shared_ptr<const state::Snapshot>;

namespace {

// [SECTION] Query parsing

Result<std::optional<std::uint64_t>> query_generation(const Request& request, std::string_view name)
{
    auto value = request.query_value(name);
    if (!value || value->empty())
        return std::optional<std::uint64_t> {};
    std::uint64_t generation = 0;
    if (!strings::parse_uint(*value, generation))
        return Error::invalid("invalid value for \"" + std::string(name) + "\": \"" + *value
            + "\" (expected a snapshot generation number)");
    return std::optional<std::uint64_t> { generation };
}

// A Go-style duration: "90s", "10m", "1h30m", "250ms". Nullopt when `text` is not one.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text)
{
    if (text.empty())
        return std::nullopt;
    static const std::vector<std::pair<std::string_view, double>> units = { { "ms", 1e6 }, { "us", 1e3 },
        { "ns", 1.0 }, { "h", 3600e9 }, { "m", 60e9 }, { "s", 1e9 } };
    double total = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t start = pos;
        while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.'))
            ++pos;
        if (pos == start)
            return std::nullopt;
        double number = 0;
        try {
            number = std::stod(std::string(text.substr(start, pos - start)));
        } catch (const std::exception&) {
            return std::nullopt;
        }
        bool matched = false;
        for (const auto& [unit, scale] : units) {
            if (text.substr(pos, unit.size()) == unit) {
                total += number * scale;
                pos += unit.size();
                matched = true;
                break;
            }
        }
        if (!matched)
            return std::nullopt;
    }
    return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

// `since` as RFC 3339, a duration before now ("10m"), or Unix seconds ("1700000000.5").
Result<system_clock::time_point> parse_since(const std::string& text)
{
    system_clock::time_point when;
    if (strings::parse_rfc3339(text, when))
        return when;
    if (auto duration = parse_duration(text))
        return system_clock::now() - std::chrono::duration_cast<system_clock::duration>(*duration);
    try {
        size_t used = 0;
        double seconds = std::stod(text, &used);
        if (used == text.size() && seconds >= 0)
            return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
                std::chrono::duration<double>(seconds)));
    } catch (const std::exception&) {
    }
    return Error::invalid("invalid value for \"since\": \"" + text
        + "\" (expected RFC 3339 like 2024-05-01T10:00:00Z, a duration like 10m or 1h30m, or Unix seconds)");
}

Result<state::DiffOptions> diff_options(const Request& request)
{
    state::DiffOptions options;
    options.glassbox_only = !TRY(request.query_bool("all", false));
    options.include_usage = TRY(request.query_bool("usage", false));
    return options;
}

std::string now_text() { return strings::rfc3339_nano(system_clock::now()); }

// [SECTION] State and diff

// Requests for a fresh snapshot that overlap share one collection, and its JSON is encoded once
// for all of them (a visualizer and a few `glassbox state` calls polling together cost one
// collection, not one each). A request only shares a collection that began after the request
// arrived, so nobody gets a picture of the kernel older than their request: a client that just
// ran a container and asks for the state sees it.
struct SharedSnapshot {
    SnapshotPtr snapshot;
    double collect_ms { 0 };
    state::CollectTimings phases;
    std::once_flag encoded_once;
    std::string encoded;  // The whole unfiltered snapshot as JSON, filled on first use.
};

class SnapshotFlight {
public:
    Result<std::shared_ptr<SharedSnapshot>> take(Engine& engine)
    {
        std::unique_lock lock(m_mutex);
        std::uint64_t arrival = m_started;
        while (true) {
            if (m_finished > arrival && m_last_error) // The collection this request waited for failed.
                return *m_last_error;
            if (m_finished > arrival) {
                if (auto last = m_last.lock())
                    return last;
            }
            if (!m_running)
                break;
            m_done.wait(lock);
        }
        m_running = true;
        std::uint64_t index = ++m_started;
        lock.unlock();
        auto began = std::chrono::steady_clock::now();
        auto taken = engine.take_snapshot();
        auto shared = std::make_shared<SharedSnapshot>();
        shared->collect_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
        shared->phases = state::last_collect_timings();
        lock.lock();
        m_running = false;
        m_finished = index;
        if (taken.ok()) {
            shared->snapshot = taken.release_value();
            m_last = shared;
            m_last_error.reset();
        } else {
            m_last.reset();
            m_last_error = taken.error();
        }
        m_done.notify_all();
        if (m_last_error)
            return *m_last_error;
        return shared;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_done;
    bool m_running { false };
    std::uint64_t m_started { 0 };   // Collections begun so far; the running one is number m_started.
    std::uint64_t m_finished { 0 };  // The number of the last collection that ended.
    // Weak: the requests that share it hold it, and a snapshot's JSON (a megabyte or more) is not
    // kept in memory after they answered. A waiter that finds it gone takes a new one.
    std::weak_ptr<SharedSnapshot> m_last;
    std::optional<Error> m_last_error;
};

SnapshotFlight& snapshot_flight(Engine& engine)
{
    // One per engine (the API unit tests run several engines in one process); never freed, a few
    // hundred bytes each.
    static std::mutex mutex;
    static std::map<const Engine*, std::unique_ptr<SnapshotFlight>> flights;
    std::lock_guard lock(mutex);
    auto& flight = flights[&engine];
    if (!flight)
        flight = std::make_unique<SnapshotFlight>();
    return *flight;
}

std::string milliseconds(double ms) { return std::to_string(ms); }

// "processes=9.7 namespaces=0.2 ...": where the collection's time went, for tests/bench.
std::string phases_header(const state::CollectTimings& t)
{
    char text[256];
    std::snprintf(text, sizeof(text),
        "processes=%.2f namespaces=%.2f mounts=%.2f cgroups=%.2f network=%.2f nftables=%.2f total=%.2f",
        t.processes, t.namespaces, t.mounts, t.cgroups, t.network, t.nftables, t.total);
    return text;
}

// ?view=summary answers {"generation", "taken_at", "text"} with the text `glassbox state` prints
// (render_summary, or render_kind with ?kind=), so the CLI neither receives nor decodes the whole
// snapshot (over a megabyte with 50 containers) only to print a summary of it.
Result<bool> summary_view(const Request& request)
{
    auto view = request.query_value("view").value_or("");
    if (view.empty() || view == "full")
        return false;
    if (view == "summary")
        return true;
    return Error::invalid("invalid value for \"view\": \"" + view + "\" (expected \"full\" or \"summary\")");
}

Result<void> get_state(Engine& engine, Exchange& ex)
{
    const auto& request = ex.request();
    state::SnapshotFilter filter { request.query_value("container").value_or(""), request.query_value("kind").value_or("") };
    auto generation = TRY(query_generation(request, "generation"));
    bool summary = TRY(summary_view(request));
    std::shared_ptr<SharedSnapshot> shared;
    if (generation) {
        shared = std::make_shared<SharedSnapshot>();
        shared->snapshot = TRY(engine.kept_snapshot(*generation));
    } else {
        shared = TRY(snapshot_flight(engine).take(engine));
    }
    const auto& snapshot = *shared->snapshot;
    auto began = std::chrono::steady_clock::now();
    std::string body;
    if (summary) {
        // Without a filter the summary is rendered from the kept snapshot itself, not a copy.
        std::string text;
        if (filter.container.empty() && filter.kind.empty()) {
            text = state::render_summary(snapshot);
        } else {
            auto filtered = TRY(state::filter_snapshot(snapshot, filter));
            text = filter.kind.empty() ? state::render_summary(filtered) : state::render_kind(filtered, filter.kind);
        }
        nlohmann::json json { { "generation", snapshot.generation }, { "taken_at", snapshot.taken_at },
            { "text", std::move(text) } };
        body = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else if (filter.container.empty() && filter.kind.empty()) {
        std::call_once(shared->encoded_once, [&] {
            // Written directly, without the DOM: the same bytes, 30 times faster on a big snapshot.
            shared->encoded = state::snapshot_to_json_text(snapshot);
            shared->encoded += '\n'; // In the room the encoder left for it: no copy.
        });
    } else {
        body = TRY(state::snapshot_to_json(snapshot, filter)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    // How long the collection and the encoding took, for tests/bench (the daemon-side times).
    ex.add_header("Glassbox-Collect-Ms", milliseconds(shared->collect_ms));
    ex.add_header("Glassbox-Collect-Phases", phases_header(shared->phases));
    ex.add_header("Glassbox-Encode-Ms",
        milliseconds(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count()));
    ex.respond(200, "application/json", body.empty() ? std::string_view(shared->encoded) : std::string_view(body));
    // The client has its answer: older kept snapshots are packed now, off its path.
    engine.pack_kept_snapshots();
    return Ok {};
}

// The oldest snapshot the daemon still keeps, below generation `newest`.
SnapshotPtr oldest_kept(Engine& engine, std::uint64_t newest)
{
    for (std::uint64_t g = newest > 64 ? newest - 64 : 0; g < newest; ++g) {
        auto kept = engine.kept_snapshot(g);
        if (kept.ok())
            return kept.release_value();
    }
    return nullptr;
}

Result<void> get_state_diff(Engine& engine, Exchange& ex)
{
    const auto& request = ex.request();
    auto options = TRY(diff_options(request));
    auto from_generation = TRY(query_generation(request, "from"));
    auto to_generation = TRY(query_generation(request, "to"));
    auto since = request.query_value("since").value_or("");
    if (from_generation && !since.empty())
        return Error::invalid("give either \"from\" (a generation) or \"since\" (a time), not both");
    if (!from_generation && since.empty())
        return Error::invalid("missing \"from\" (a snapshot generation, with \"to\") or \"since\" (RFC 3339 or a duration like 10m)");

    SnapshotPtr to = to_generation ? TRY(engine.kept_snapshot(*to_generation)) : TRY(engine.take_snapshot());
    SnapshotPtr from;
    std::string note;
    if (from_generation) {
        from = TRY(engine.kept_snapshot(*from_generation));
    } else {
        auto when = TRY(parse_since(since));
        auto before = engine.kept_snapshot_before(when);
        if (before.ok()) {
            from = before.release_value();
        } else {
            // Nothing that old is kept: the oldest kept snapshot is the nearest the daemon has.
            from = oldest_kept(engine, to->generation);
            if (!from)
                return Error::not_found("no kept snapshot was taken before " + strings::rfc3339_nano(when)
                    + " (the daemon keeps snapshots taken by GET /glassbox/v1/state and the events stream)");
            note = "no snapshot was kept from before " + strings::rfc3339_nano(when) + "; compared from the oldest kept one, taken at "
                + from->taken_at;
        }
    }
    auto diff = state::diff_snapshots(*from, *to, options);
    auto json = state::diff_to_json(diff);
    json["from_taken_at"] = from->taken_at;
    json["to_taken_at"] = to->taken_at;
    json["text"] = (note.empty() ? "" : "(" + note + ")\n") + state::render_diff(diff);
    if (!note.empty())
        json["note"] = note;
    ex.respond_json(200, json);
    engine.pack_kept_snapshots();
    return Ok {};
}

// [SECTION] Events stream

// Events from engine threads to the one connection thread that streams them.
class EventQueue {
public:
    // False once closed, which ends the subscription. A client that stops reading must not make
    // the daemon hoard events without bound, so the oldest go past 10000.
    bool push(const daemon::Event& event)
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return false;
        if (m_events.size() > 10000)
            m_events.pop_front();
        m_events.push_back(event);
        m_ready.notify_all();
        return true;
    }
    // Everything queued, waiting up to `timeout` for the first event.
    std::deque<daemon::Event> take(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(m_mutex);
        m_ready.wait_for(lock, timeout, [&] { return !m_events.empty(); });
        return std::exchange(m_events, {});
    }
    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<daemon::Event> m_events;
    bool m_closed { false };
};

bool changes_kernel_state(const daemon::Event& event)
{
    return event.type == "container" || event.type == "network" || event.type == "volume" || event.type == "image";
}

// Streams JSON lines: {"type":"event",...} for every engine event; after a batch of events that
// touch containers, networks, volumes or images, {"type":"change",...} with the diff of a fresh
// snapshot against the previous one (only when something changed); with ?snapshots=1 first the
// current snapshot and then every fresh one as {"type":"snapshot",...} (what `glassbox record`
// writes); {"type":"tick"} once a second while idle, so clients can stop without waiting for
// an event; {"type":"warning"} when a snapshot cannot be taken.
Result<void> get_events(Engine& engine, Exchange& ex)
{
    const auto& request = ex.request();
    bool with_snapshots = TRY(request.query_bool("snapshots", false));
    auto options = TRY(diff_options(request));

    auto queue = std::make_shared<EventQueue>();
    auto subscription = engine.subscribe([queue](const daemon::Event& event) { return queue->push(event); }, std::nullopt);

    auto previous = engine.take_snapshot();
    if (!ex.start_stream(200, "application/json"))
        return Ok {};
    auto send = [&](nlohmann::json line) {
        line["time"] = now_text();
        return ex.write_chunk(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    };
    SnapshotPtr last;
    bool alive = true;
    if (previous.ok()) {
        last = previous.release_value();
        if (with_snapshots)
            alive = send({ { "type", "snapshot" }, { "snapshot", state::snapshot_to_json(*last) } });
    } else {
        alive = send({ { "type", "warning" }, { "message", previous.error().describe() } });
    }
    auto idle_since = std::chrono::steady_clock::now();
    while (alive) {
        auto batch = queue->take(std::chrono::milliseconds(200));
        bool touched = false;
        for (const auto& event : batch) {
            touched = touched || changes_kernel_state(event);
            if (!(alive = send({ { "type", "event" }, { "event", event_json(event) } })))
                break;
        }
        if (alive && touched) {
            auto fresh = engine.take_snapshot();
            if (!fresh.ok()) {
                alive = send({ { "type", "warning" }, { "message", fresh.error().describe() } });
            } else {
                auto current = fresh.release_value();
                if (with_snapshots)
                    alive = send({ { "type", "snapshot" }, { "snapshot", state::snapshot_to_json(*current) } });
                if (alive && last) {
                    auto diff = state::diff_snapshots(*last, *current, options);
                    if (!diff.changes.empty())
                        alive = send({ { "type", "change" }, { "diff", state::diff_to_json(diff) }, { "text", state::render_diff(diff) } });
                }
                last = current;
                engine.pack_kept_snapshots();
            }
        }
        auto now = std::chrono::steady_clock::now();
        if (!batch.empty()) {
            idle_since = now;
        } else if (alive && now - idle_since >= std::chrono::seconds(1)) {
            alive = send({ { "type", "tick" } });
            idle_since = now;
        }
        if (ex.client_gone() || client_disconnected(ex.fd(), 0))
            break;
    }
    queue->close();
    subscription.reset();
    ex.end_stream();
    return Ok {};
}

// [SECTION] Phase trace

// The phase timings of one container (kept after a --rm container is gone): what `glassbox -D`
// and scripts/bench print. Start times are CLOCK_MONOTONIC nanoseconds, so a client on the same
// host can place its own steps on the same time line.
Result<void> get_container_trace(Engine& engine, Exchange& ex)
{
    auto trace = engine.container_trace(ex.request().param("id"));
    if (!trace)
        return Error::not_found("no phase trace kept for container " + ex.request().param("id"));
    auto phases = nlohmann::json::array();
    for (const auto& phase : trace->phases())
        phases.push_back({ { "Name", phase.name }, { "StartNs", phase.start_ns }, { "DurationNs", phase.duration_ns } });
    ex.respond_json(200, { { "Id", ex.request().param("id") }, { "Phases", phases } });
    return Ok {};
}

// [SECTION] Features

Result<void> get_features(Engine& engine, Exchange& ex)
{
    const auto& probe = engine.features();
    // Where this kernel's procfs is ("/proc", or the simulated kernel's rendering, brought up to
    // date now): the lesson runner points the commands that read /proc/<pid> at it.
    engine.kernel().refresh_procfs();
    auto features = nlohmann::json::array();
    for (const auto& feature : probe.features)
        features.push_back({ { "name", feature.name }, { "available", feature.available }, { "detail", feature.detail } });
    ex.respond_json(200, { { "kernel_release", probe.kernel_release },
                             { "cgroup_layout", sys::cgroup_layout_name(probe.cgroup_layout) },
                             { "cgroup_v2_mount", probe.cgroup_v2_mount }, { "features", features },
                             { "kernel_mode", engine.kernel().simulated() ? "simulated" : "real" },
                             { "simulated_reason", engine.kernel().simulated_reason() },
                             { "procfs_root", engine.kernel().procfs_root() } });
    return Ok {};
}

} // namespace

// [SECTION] Routes

void register_glassbox_routes(Router& router, Engine& engine)
{
    router.add("GET", "/glassbox/v1/state", bind(engine, get_state));
    router.add("GET", "/glassbox/v1/state/diff", bind(engine, get_state_diff));
    router.add("GET", "/glassbox/v1/events", bind(engine, get_events));
    router.add("GET", "/glassbox/v1/features", bind(engine, get_features));
    router.add("GET", "/glassbox/v1/containers/{id}/trace", bind(engine, get_container_trace));
}

} // namespace engine::api::handlers
