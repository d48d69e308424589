// Docker API system endpoints: /_ping (version negotiation), /version, /info (with glassbox's
// kernel feature probe and the host facts it read: engine/sys/probe.h), /system/df and the
// /events stream. No kernel interfaces: the facts come from the engine's kernel seam.
//
// Index:
//   [SECTION] Ping and version
//   [SECTION] Info
//   [SECTION] Disk usage
//   [SECTION] Events
//   [SECTION] Routes
#include <unistd.h>

#include <condition_variable>
#include <algorithm>
#include <deque>
#include <set>
#include <sstream>

#include "engine/api/docker_json.h"
#include "engine/api/handlers/handlers.h"
#include "engine/base/sha256.h"
#include "engine/base/strings.h"

namespace engine::api::handlers {

using daemon::Engine;
using std::chrono::system_clock;

// [SECTION] Ping and version

// The CLI starts every command with HEAD /_ping and uses the Api-Version header it gets back.
static Result<void> ping(Engine&, Exchange& ex)
{
    ex.add_header("Cache-Control", "no-cache, no-store, must-revalidate");
    ex.add_header("Pragma", "no-cache");
    ex.respond(200, "text/plain; charset=utf-8", ex.request().method == "HEAD" ? "" : "OK");
    return Ok {};
}

static Result<void> version(Engine& engine, Exchange& ex)
{
    auto& options = engine.options();
    const auto& features = engine.features();
    const auto& arch = features.host.architecture;
    Json details = { { "ApiVersion", k_api_version }, { "Arch", arch }, { "BuildTime", "" },
        { "Experimental", "false" }, { "GitCommit", "" }, { "GoVersion", "" }, { "KernelVersion", features.kernel_release },
        { "MinAPIVersion", k_min_api_version }, { "Os", "linux" } };
    Json out = {
        { "Platform", { { "Name", "glassbox" } } },
        { "Components", Json::array({ { { "Name", "Engine" }, { "Version", options.version }, { "Details", details } } }) },
        { "Version", options.version },
        { "ApiVersion", k_api_version },
        { "MinAPIVersion", k_min_api_version },
        { "GitCommit", "" },
        { "GoVersion", "" },
        { "Os", "linux" },
        { "Arch", arch },
        { "KernelVersion", features.kernel_release },
        { "BuildTime", "" },
    };
    // glassbox's own: which kernel the engine runs on ("real" or "simulated") and why.
    out["GlassboxKernel"] = engine.kernel().simulated() ? "simulated" : "real";
    out["GlassboxSimulatedReason"] = engine.kernel().simulated_reason();
    ex.respond_json(200, out);
    return Ok {};
}

// [SECTION] Info

// A stable daemon id derived from the host name and the engine root, in Docker's
// "XXXX:XXXX:..." shape.
static std::string daemon_id(const std::string& hostname, const std::string& root)
{
    Sha256 hasher;
    auto seed = hostname + ":" + root;
    hasher.update(seed.data(), seed.size());
    auto hex = strings::to_lower(hasher.finish_hex());
    std::string id;
    for (size_t i = 0; i < 48; i += 4) {
        if (!id.empty())
            id += ":";
        id += strings::to_lower(hex.substr(i, 4));
    }
    for (auto& c : id)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return id;
}

static Result<void> info(Engine& engine, Exchange& ex)
{
    auto& options = engine.options();
    auto& features = engine.features();
    auto counts = engine.counts();
    auto layout = features.cgroup_layout;
    Json probe = Json::array();
    for (auto& f : features.features)
        probe.push_back({ { "Name", f.name }, { "Available", f.available }, { "Detail", f.detail } });
    std::vector<std::string> warnings;
    for (auto& f : features.features) {
        if (!f.available && (f.name == "overlayfs" || strings::starts_with(f.name, "namespace.")))
            warnings.push_back("WARNING: " + f.name + " is not available: " + f.detail);
    }
    Json out = {
        { "ID", daemon_id(features.host.hostname, options.root) },
        { "Containers", counts.containers },
        { "ContainersRunning", counts.running },
        { "ContainersPaused", counts.paused },
        { "ContainersStopped", counts.stopped },
        { "Images", counts.images },
        { "Driver", "overlay2" },
        { "DriverStatus", Json::array({ Json::array({ "Backing Filesystem", "overlayfs" }) }) },
        { "Plugins",
            { { "Volume", { "local" } }, { "Network", { "bridge", "host", "macvlan", "ipvlan", "null" } },
                { "Authorization", nullptr }, { "Log", { "json-file" } } } },
        { "MemoryLimit", true },
        { "SwapLimit", layout != sys::CgroupLayout::None },
        { "CpuCfsPeriod", true },
        { "CpuCfsQuota", true },
        { "CPUShares", true },
        { "CPUSet", false },
        { "PidsLimit", true },
        { "IPv4Forwarding", true },
        { "BridgeNfIptables", false },
        { "BridgeNfIp6tables", false },
        { "Debug", false },
        { "NFd", 0 },
        { "OomKillDisable", false },
        { "NGoroutines", 0 },
        { "SystemTime", strings::rfc3339_nano(system_clock::now()) },
        { "LoggingDriver", "json-file" },
        { "CgroupDriver", "cgroupfs" },
        { "CgroupVersion", layout == sys::CgroupLayout::V2 ? "2" : "1" },
        { "NEventsListener", 0 },
        { "KernelVersion", features.kernel_release },
        { "OperatingSystem", features.host.operating_system + (engine.kernel().simulated() ? " (SIMULATED kernel)" : "") },
        { "OSVersion", "" },
        { "OSType", "linux" },
        { "Architecture", features.host.architecture },
        { "IndexServerAddress", "" },
        { "RegistryConfig", { { "IndexConfigs", Json::object() }, { "InsecureRegistryCIDRs", Json::array() } } },
        { "NCPU", features.host.cpus },
        { "MemTotal", features.host.memory_bytes },
        { "GenericResources", nullptr },
        { "DockerRootDir", options.root },
        { "HttpProxy", "" },
        { "HttpsProxy", "" },
        { "NoProxy", "" },
        { "Name", features.host.hostname.empty() ? std::string("glassbox") : features.host.hostname },
        { "Labels", Json::array() },
        { "ExperimentalBuild", false },
        { "ServerVersion", options.version },
        { "Runtimes", { { "glassbox", { { "path", "glassboxd" } } } } },
        { "DefaultRuntime", "glassbox" },
        { "Swarm",
            { { "NodeID", "" }, { "NodeAddr", "" }, { "LocalNodeState", "inactive" }, { "ControlAvailable", false },
                { "Error", "" }, { "RemoteManagers", nullptr } } },
        { "LiveRestoreEnabled", false },
        { "Isolation", "" },
        { "InitBinary", options.init_path },
        { "ContainerdCommit", { { "ID", "" }, { "Expected", "" } } },
        { "RuncCommit", { { "ID", "" }, { "Expected", "" } } },
        { "InitCommit", { { "ID", "" }, { "Expected", "" } } },
        { "SecurityOptions", Json::array({ "name=seccomp,profile=default" }) },
        { "Warnings", warnings },
        // glassbox's own: what the running kernel offers, and why a feature is missing.
        { "Glassbox",
            { { "RunRoot", options.run_root }, { "CgroupLayout", std::string(sys::cgroup_layout_name(layout)) },
                { "Kernel", engine.kernel().simulated() ? "simulated" : "real" },
                { "SimulatedReason", engine.kernel().simulated_reason() },
                { "CgroupV2Mount", features.cgroup_v2_mount }, { "KernelFeatures", probe } } },
    };
    ex.respond_json(200, out);
    return Ok {};
}

// [SECTION] Disk usage

// POST /glassbox/v1/system/reset?all=1: removes every kernel object and mount glassbox made
// (containers are stopped; with all=1 they are removed too). Images and volumes stay.
static Result<void> system_reset(Engine& engine, Exchange& ex)
{
    bool all = TRY(ex.request().query_bool("all", false));
    auto removed = TRY(engine.reset(all));
    ex.respond_json(200, { { "Removed", removed } });
    return Ok {};
}

static Result<void> system_df(Engine& engine, Exchange& ex)
{
    auto usage = engine.disk_usage();
    auto now = system_clock::now();
    Json images = Json::array();
    for (auto& record : usage.images) {
        auto it = usage.image_containers.find(record.id);
        auto entry = image_summary_json(record, it == usage.image_containers.end() ? 0 : it->second);
        // Bytes shared with other images: the layers that appear in more than one image.
        std::uint64_t shared = 0;
        for (auto& layer : record.layers) {
            if (engine.images().images_with_layer(layer.diff_id).size() > 1)
                shared += layer.size;
        }
        entry["SharedSize"] = shared;
        images.push_back(entry);
    }
    // glassbox's own addition: every distinct layer, its size and the images that contain it, so
    // `system df -v` can show which images share what (identical layers are stored once).
    Json layers = Json::array();
    {
        std::set<std::string> seen;
        for (auto& record : usage.images) {
            for (auto& layer : record.layers) {
                if (!seen.insert(layer.diff_id).second)
                    continue;
                Json holders = Json::array();
                for (auto& id : engine.images().images_with_layer(layer.diff_id)) {
                    auto holder = std::find_if(usage.images.begin(), usage.images.end(), [&](auto& r) { return r.id == id; });
                    holders.push_back(holder != usage.images.end() && !holder->repo_tags.empty() ? holder->repo_tags[0] : id);
                }
                layers.push_back({ { "DiffID", layer.diff_id }, { "Size", layer.size }, { "Images", holders } });
            }
        }
    }
    Json containers = Json::array();
    for (auto& view : usage.containers) {
        auto entry = container_summary_json(view, now);
        entry["SizeRw"] = view.size_rw;
        entry["SizeRootFs"] = view.size_rw;
        containers.push_back(entry);
    }
    Json volumes = Json::array();
    for (auto& [volume, size] : usage.volumes) {
        auto entry = volume_json(volume);
        auto it = usage.volume_refcount.find(volume.name);
        entry["UsageData"] = { { "Size", size }, { "RefCount", it == usage.volume_refcount.end() ? 0 : it->second } };
        volumes.push_back(entry);
    }
    ex.respond_json(200, { { "LayersSize", usage.layers_size }, { "Images", images }, { "Containers", containers },
                             { "Volumes", volumes }, { "BuildCache", Json::array() }, { "BuilderSize", 0 }, { "GlassboxLayers", layers } });
    return Ok {};
}

// [SECTION] Events

// Streams events as JSON lines. Replays the engine's buffer from `since`, ends the stream at
// `until` (so `docker events --until 0s` exits), and ends when the client goes away: the
// connection thread watches the socket while engine threads queue events.
static Result<void> events(Engine& engine, Exchange& ex)
{
    auto& request = ex.request();
    auto filters = TRY(request.filters());
    auto parse_time = [&](const char* name) -> Result<std::optional<std::int64_t>> {
        auto value = request.query_value(name);
        if (!value || value->empty())
            return std::optional<std::int64_t> {};
        system_clock::time_point when;
        if (strings::parse_rfc3339(*value, when))
            return std::optional<std::int64_t> { std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count() };
        try {
            size_t used = 0;
            double seconds = std::stod(*value, &used);
            if (used == value->size())
                return std::optional<std::int64_t> { static_cast<std::int64_t>(seconds * 1e9) };
        } catch (const std::exception&) {
        }
        return Error::invalid(std::string("invalid value for \"") + name + "\": \"" + *value + "\"");
    };
    auto since = TRY(parse_time("since"));
    auto until = TRY(parse_time("until"));

    struct Queue {
        std::mutex mutex;
        std::condition_variable ready;
        std::deque<daemon::Event> events;
        bool closed { false };
    };
    auto queue = std::make_shared<Queue>();
    auto subscription = engine.subscribe(
        [queue, filters](const daemon::Event& event) {
            if (!event_matches(event, filters))
                return true;
            std::lock_guard lock(queue->mutex);
            if (queue->closed)
                return false;
            // A client that stops reading must not make the daemon hoard events without bound.
            if (queue->events.size() > 10000)
                queue->events.pop_front();
            queue->events.push_back(event);
            queue->ready.notify_all();
            return true;
        },
        since);

    if (!ex.start_stream(200, "application/json"))
        return Ok {};
    auto now_nano = [] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(system_clock::now().time_since_epoch()).count();
    };
    for (;;) {
        std::deque<daemon::Event> batch;
        {
            std::unique_lock lock(queue->mutex);
            queue->ready.wait_for(lock, std::chrono::milliseconds(200), [&] { return !queue->events.empty(); });
            batch.swap(queue->events);
        }
        for (auto& event : batch) {
            if (until && event.time_nano > *until)
                continue;
            if (!ex.write_chunk(event_json(event).dump() + "\n"))
                break;
        }
        if (ex.client_gone() || (until && now_nano() > *until) || client_disconnected(ex.fd(), 0))
            break;
    }
    {
        std::lock_guard lock(queue->mutex);
        queue->closed = true;
    }
    subscription.reset();
    ex.end_stream();
    return Ok {};
}

// [SECTION] Routes

void register_system_routes(Router& router, Engine& engine)
{
    router.add("HEAD", "/_ping", bind(engine, ping));
    router.add("GET", "/_ping", bind(engine, ping));
    router.add("GET", "/version", bind(engine, version));
    router.add("GET", "/info", bind(engine, info));
    router.add("GET", "/system/df", bind(engine, system_df));
    router.add("POST", "/glassbox/v1/system/reset", bind(engine, system_reset));
    router.add("GET", "/events", bind(engine, events));
}

} // namespace engine::api::handlers
