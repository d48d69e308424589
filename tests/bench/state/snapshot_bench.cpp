// Snapshot benchmark: a full collect_snapshot() with 50 running "containers", each a process in
// its own PID, mount and network namespace with a veth pair to the host (the shape glassbox's
// containers have), plus a host-only snapshot for comparison. Goal: median <= 20 ms.
// Needs root; the containers are created in the benchmark's set-up and removed at exit.
// Run: build/bin/state_snapshot_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/base/strings.h"
#include "engine/state/collector.h"
#include "engine/state/collector_internal.h"

using namespace engine::state; // NOLINT(google-build-using-namespace): benchmark file.

namespace {

constexpr int container_count = 50;

struct Fleet {
    EngineObjects objects;
    std::vector<pid_t> pids;
    std::vector<std::string> links;

    Fleet()
    {
        auto tag = engine::strings::random_hex_id(4);
        for (int i = 0; i < container_count; ++i) {
            int ready[2];
            if (::pipe(ready) != 0)
                break;
            pid_t pid = ::fork();
            if (pid == 0) {
                ::close(ready[0]);
                // PID 1 of a new PID namespace, in new mount and network namespaces.
                if (::unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) != 0)
                    ::_exit(1);
                pid_t init = ::fork();
                if (init == 0) {
                    while (true)
                        ::pause();
                }
                (void)!::write(ready[1], &init, sizeof(init));
                ::waitpid(init, nullptr, 0);
                ::_exit(0);
            }
            ::close(ready[1]);
            pid_t init = 0;
            if (::read(ready[0], &init, sizeof(init)) != sizeof(init))
                init = 0;
            ::close(ready[0]);
            pids.push_back(pid);
            if (init <= 0)
                continue;
            pids.push_back(init);
            auto name = "gbb" + tag + std::to_string(i);
            auto command = "ip link add " + name + " type veth peer name eth0 netns " + std::to_string(init)
                + " >/dev/null 2>&1";
            if (std::system(command.c_str()) == 0)
                links.push_back(name);
            ContainerObject container;
            container.id = tag + std::to_string(i);
            container.name = "bench" + std::to_string(i);
            container.status = "running";
            container.pid = init;
            objects.containers.push_back(container);
        }
    }

    ~Fleet()
    {
        for (const auto& link : links)
            (void)!std::system(("ip link del " + link + " >/dev/null 2>&1").c_str());
        for (pid_t pid : pids)
            ::kill(pid, SIGKILL);
        for (pid_t pid : pids)
            ::waitpid(pid, nullptr, 0);
    }
};

Fleet& fleet()
{
    static Fleet instance;
    return instance;
}

void run_collect(benchmark::State& state, ProcessScope scope, bool with_fleet, bool use_caches = true)
{
    if (::geteuid() != 0) {
        state.SkipWithError("needs root");
        return;
    }
    EngineObjects empty;
    const EngineObjects& objects = with_fleet ? fleet().objects : empty;
    CollectOptions options;
    options.processes = scope;
    options.use_caches = use_caches;
    CollectTimings timings;
    options.timings = &timings;
    // Phase times (ms of wall time), averaged over the iterations: what dominates.
    std::vector<std::pair<const char*, double CollectTimings::*>> phases = { { "ms_processes", &CollectTimings::processes },
        { "ms_namespaces", &CollectTimings::namespaces }, { "ms_mounts", &CollectTimings::mounts },
        { "ms_cgroups", &CollectTimings::cgroups }, { "ms_network", &CollectTimings::network },
        { "ms_nftables", &CollectTimings::nftables } };
    std::vector<double> sums(phases.size(), 0.0);
    for (auto _ : state) {
        auto snapshot = collect_snapshot(objects, options);
        benchmark::DoNotOptimize(snapshot);
        if (!snapshot.ok()) {
            state.SkipWithError(snapshot.error().describe().c_str());
            return;
        }
        for (size_t i = 0; i < phases.size(); ++i)
            sums[i] += timings.*(phases[i].second);
        state.counters["processes"] = static_cast<double>(snapshot.value().processes.size());
        state.counters["links"] = static_cast<double>(snapshot.value().links.size());
        state.counters["mounts"] = static_cast<double>(snapshot.value().mounts.size());
    }
    for (size_t i = 0; i < phases.size(); ++i)
        state.counters[phases[i].first] = sums[i] / static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
}

// Each phase alone, to say what dominates.
void BM_Snapshot50Containers_GlassboxProcesses(benchmark::State& state) { run_collect(state, ProcessScope::Glassbox, true); }
void BM_Snapshot50Containers_AllProcesses(benchmark::State& state) { run_collect(state, ProcessScope::All, true); }
// Every collection cold (CollectOptions::use_caches off): what the caches save.
void BM_Snapshot50Containers_AllProcessesCold(benchmark::State& state) { run_collect(state, ProcessScope::All, true, false); }

void BM_Snapshot50Containers_NoNetwork(benchmark::State& state)
{
    CollectOptions options;
    options.processes = ProcessScope::Glassbox;
    options.network = false;
    for (auto _ : state)
        benchmark::DoNotOptimize(collect_snapshot(fleet().objects, options));
}

void BM_Snapshot50Containers_NoNftables(benchmark::State& state)
{
    CollectOptions options;
    options.processes = ProcessScope::Glassbox;
    options.nftables = false;
    for (auto _ : state)
        benchmark::DoNotOptimize(collect_snapshot(fleet().objects, options));
}

// The mounts phase split in two: reading every container's mountinfo (the kernel's work) and
// parsing the texts (ours), to say which one a cache of parsed tables would save.
void BM_Mountinfo50Containers_Read(benchmark::State& state)
{
    for (auto _ : state) {
        for (const auto& container : fleet().objects.containers) {
            std::string text;
            detail::read_small_file("/proc/" + std::to_string(container.pid) + "/mountinfo", text);
            benchmark::DoNotOptimize(text);
        }
    }
}

void BM_Mountinfo50Containers_Parse(benchmark::State& state)
{
    std::vector<std::string> texts;
    for (const auto& container : fleet().objects.containers) {
        std::string text;
        if (detail::read_small_file("/proc/" + std::to_string(container.pid) + "/mountinfo", text))
            texts.push_back(std::move(text));
    }
    for (auto _ : state) {
        for (const auto& text : texts)
            benchmark::DoNotOptimize(detail::parse_mountinfo(text, 1));
    }
}

} // namespace

BENCHMARK(BM_Mountinfo50Containers_Read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Mountinfo50Containers_Parse)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Snapshot50Containers_GlassboxProcesses)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Snapshot50Containers_AllProcesses)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Snapshot50Containers_AllProcessesCold)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Snapshot50Containers_NoNetwork)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Snapshot50Containers_NoNftables)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
