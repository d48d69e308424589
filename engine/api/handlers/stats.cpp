// GET /containers/{id}/stats, as dockerd 20.10 answers it. The samples come from
// Engine::container_stats (daemon/stats.cpp); this handler pairs each with the one before it,
// because docker's CPU % is the change between two samples: precpu_stats and preread are the
// previous sample's cpu_stats and read.
//
//   stream=1 (the default): one sample per second until the client leaves or the container
//            is removed; the first has zeroed precpu_stats, as dockerd's does.
//   stream=0: dockerd primes the CPU numbers, so the one answer comes a second later and has
//            precpu_stats filled (what `docker stats --no-stream` prints).
//   one-shot=1 (with stream=0): one sample at once, precpu_stats zeroed.
#include <thread>

#include "engine/api/handlers/handlers.h"

namespace engine::api::handlers {

using daemon::Engine;
using Json = nlohmann::json;

namespace {

    constexpr const char* k_zero_time = "0001-01-01T00:00:00Z";

    // `sample` with precpu_stats and preread taken from `previous`.
    Json paired(Json sample, const Json& previous)
    {
        sample["precpu_stats"] = previous["cpu_stats"];
        sample["preread"] = previous["read"];
        return sample;
    }

    bool sampled_running(const Json& sample) { return sample.value("read", std::string(k_zero_time)) != k_zero_time; }

    Result<void> stats(Engine& engine, Exchange& ex)
    {
        auto id = ex.request().param("id");
        bool stream = TRY(ex.request().query_bool("stream", true));
        bool one_shot = TRY(ex.request().query_bool("one-shot", false));
        if (one_shot && stream)
            return Error::invalid("cannot have stream=true and one-shot=true");
        auto first = TRY(engine.container_stats(id));
        if (!stream) {
            if (one_shot || !sampled_running(first)) {
                ex.respond_json(200, first);
                return Ok {};
            }
            std::this_thread::sleep_for(std::chrono::seconds(1));
            auto second = TRY(engine.container_stats(id));
            ex.respond_json(200, sampled_running(second) ? paired(std::move(second), first) : second);
            return Ok {};
        }
        if (!ex.start_stream(200, "application/json") || !ex.write_chunk(first.dump() + "\n"))
            return Ok {};
        Json previous = std::move(first);
        // Zero samples keep coming while the container is stopped (docker stats -a shows them),
        // and real ones again once it starts; the stream ends when the container is removed.
        for (;;) {
            if (client_disconnected(ex.fd(), 1000))
                return Ok {};
            auto next = engine.container_stats(id);
            if (!next.ok())
                break;
            auto sample = sampled_running(next.value()) ? paired(std::move(next.value()), previous) : next.value();
            if (!ex.write_chunk(sample.dump() + "\n"))
                return Ok {};
            previous = std::move(sample);
        }
        ex.end_stream();
        return Ok {};
    }

} // namespace

void register_stats_routes(Router& router, Engine& engine)
{
    router.add("GET", "/containers/{id}/stats", bind(engine, stats));
}

} // namespace engine::api::handlers
