// How fast the simulated network stack builds and carries traffic: 5,000 containers joined to 50
// bridge networks the way network::Manager's bridge driver does it (one veth pair each: 10,000
// links, plus the bridges), then 10,000 pings between containers on the same bridge, each walked
// hop by hop with ARP and FDB lookups. Times are printed, never asserted on.
#include <benchmark/benchmark.h>

#include <string>

#include "engine/sim/net/sim_network.h"

using engine::sim::SimNetwork;

namespace {

constexpr int Bridges = 50;
constexpr int PerBridge = 100;

std::string container_ns(int bridge, int slot)
{
    return "/run/glassbox/netns/c" + std::to_string(bridge) + "-" + std::to_string(slot);
}

std::string ip(int bridge, int slot)
{
    return "10." + std::to_string(100 + bridge / 200) + "." + std::to_string(bridge % 200) + "." + std::to_string(slot + 2);
}

void build(SimNetwork& net)
{
    for (int b = 0; b < Bridges; ++b) {
        std::string bridge = "gb-br" + std::to_string(b);
        (void)net.create_link("", { .name = bridge, .kind = "bridge" });
        (void)net.add_address("", bridge, ip(b, -1), 24);
        (void)net.set_link_up("", bridge, true);
        for (int s = 0; s < PerBridge; ++s) {
            std::string ns = container_ns(b, s);
            std::string host = "gb-v" + std::to_string(b) + "-" + std::to_string(s);
            (void)net.create_link("", { .name = host, .kind = "veth", .peer_name = "eth0", .peer_netns = ns });
            (void)net.set_link_master("", host, bridge);
            (void)net.set_link_up("", host, true);
            (void)net.set_link_up(ns, "lo", true);
            (void)net.add_address(ns, "eth0", ip(b, s), 24);
            (void)net.set_link_up(ns, "eth0", true);
            (void)net.add_route(ns, "default", ip(b, -1), "eth0");
        }
    }
}

void BM_Build10000Links(benchmark::State& state)
{
    for (auto _ : state) {
        SimNetwork net;
        build(net);
        benchmark::DoNotOptimize(net.list_links("").value().size());
    }
    state.counters["links"] = Bridges * PerBridge * 2;
    state.counters["per_link"] = benchmark::Counter(Bridges * PerBridge * 2,
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Build10000Links)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_10000Pings(benchmark::State& state)
{
    SimNetwork net;
    build(net);
    int delivered = 0;
    for (auto _ : state) {
        for (int i = 0; i < 10000; ++i) {
            int b = i % Bridges;
            int from = (i / Bridges) % PerBridge;
            int to = (from + 1 + i % 7) % PerBridge;
            delivered += net.ping(container_ns(b, from), ip(b, to)).delivered ? 1 : 0;
        }
    }
    state.counters["delivered"] = delivered;
    state.counters["per_ping"] = benchmark::Counter(10000,
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_10000Pings)->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
