// Visualizer frame cost: a synthetic snapshot of 100 containers, 300 links and 50 images drawn by
// every panel at once (draw_app + ImGui::Render, headless: the vertex buffers are built but not
// sent to a GPU), with the 16 ms goal (60 frames a second) printed beside the time. The network
// layout (Graphviz dot) is measured separately: it runs only when the topology changes.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <imgui.h>

#include "engine/state/record.h"
#include "visualizer/app.h"

namespace {

using namespace engine::state;

constexpr std::uint64_t host_net = 4026531840;

Snapshot synthetic_snapshot()
{
    Snapshot snapshot;
    snapshot.generation = 1;
    snapshot.host_namespaces = { { "net", host_net }, { "pid", 4026531836 } };
    auto add_link = [&](std::uint64_t netns, int index, std::string name, std::string kind, std::string owner) -> LinkInfo& {
        LinkInfo link;
        link.netns = netns;
        link.index = index;
        link.name = std::move(name);
        link.kind = std::move(kind);
        link.owner = std::move(owner);
        link.up = true;
        link.mac = "02:42:ac:11:00:" + std::to_string(index % 100);
        snapshot.links.push_back(link);
        return snapshot.links.back();
    };
    // The host: the uplink and five bridges.
    add_link(host_net, 2, "eth0", "", "");
    for (int b = 0; b < 5; ++b)
        add_link(host_net, 10 + b, "gbbr" + std::to_string(b), "bridge", "network:n" + std::to_string(b));
    for (int c = 0; c < 100; ++c) {
        std::string id = "c" + std::to_string(1000 + c);
        std::uint64_t netns = 4026533000 + static_cast<std::uint64_t>(c) * 10;
        ContainerInfo container;
        container.id = id;
        container.name = "box" + std::to_string(c);
        container.image_id = "sha256:image" + std::to_string(c % 50);
        container.image_tags = { "app" + std::to_string(c % 50) + ":latest" };
        container.status = "running";
        container.pid = 10000 + c * 10;
        container.namespaces = { { "net", netns }, { "pid", netns + 1 }, { "mnt", netns + 2 }, { "uts", netns + 3 } };
        container.networks = { "n" + std::to_string(c % 5) };
        snapshot.containers.push_back(container);
        // A veth pair on one of the bridges: 200 links.
        auto& host_side = add_link(host_net, 100 + c, "gb" + id, "veth", "container:" + id);
        host_side.master_index = 10 + c % 5;
        host_side.peer_index = 2;
        host_side.peer_netns = netns;
        auto& inside = add_link(netns, 2, "eth0", "veth", "container:" + id);
        inside.peer_index = 100 + c;
        inside.peer_netns = host_net;
        snapshot.addresses.push_back({ netns, 2, "eth0", "inet", "172.18." + std::to_string(c) + ".2/16", "global", id, "container:" + id });
        // 94 macvlan children on the uplink make 300 links in all.
        if (c < 94) {
            auto& child = add_link(netns, 3, "mv0", "macvlan", "container:" + id);
            child.parent_index = 2;
            child.parent_netns = host_net;
            child.mode = "bridge";
        }
        for (const auto& [type, inode] : container.namespaces)
            snapshot.namespaces.push_back({ type, inode, container.pid, { container.pid }, {}, id, "container:" + id });
        for (int p = 0; p < 3; ++p) {
            ProcessInfo process;
            process.pid = container.pid + p;
            process.ppid = p == 0 ? 1 : container.pid;
            process.nspid = { process.pid, p + 1 };
            process.comm = p == 0 ? "init" : "worker";
            process.state = "S";
            process.signals_caught = { "TERM", "CHLD" };
            process.namespaces = container.namespaces;
            process.container_id = id;
            snapshot.processes.push_back(process);
        }
        MountInfo root;
        root.mount_namespace = netns + 2;
        root.mount_id = 100;
        root.mount_point = "/";
        root.kind = "overlay";
        root.lower_dirs = { { "/l/top" + std::to_string(c % 50), "sha256:top" + std::to_string(c % 50), {}, "RUN make" } };
        root.upper_dir = "/c/" + id + "/upper";
        root.container_id = id;
        snapshot.mounts.push_back(root);
        MountInfo volume = root;
        volume.mount_id = 101;
        volume.kind = "volume";
        volume.volume_name = "data" + std::to_string(c);
        volume.mount_point = "/data";
        snapshot.mounts.push_back(volume);
        snapshot.volumes.push_back({ volume.volume_name, "local", "/v/" + volume.volume_name, { id } });
        CgroupInfo cgroup;
        cgroup.hierarchy = "unified";
        cgroup.path = "/glassbox/" + id;
        cgroup.memory_current = 10 << 20;
        cgroup.memory_max = 64 << 20;
        cgroup.pids_current = 3;
        cgroup.pids_max = 100;
        cgroup.cpu_usage_usec = 100000;
        cgroup.container_id = id;
        snapshot.cgroups.push_back(cgroup);
    }
    // 50 images of five layers; the lower two are shared by all.
    snapshot.layers.push_back({ "sha256:base", "/l/base", 5 << 20, "ADD rootfs.tar /", {}, {} });
    snapshot.layers.push_back({ "sha256:libs", "/l/libs", 20 << 20, "RUN apk add libs", {}, {} });
    for (int i = 0; i < 50; ++i) {
        std::string n = std::to_string(i);
        ImageInfo image { "sha256:image" + n, { "app" + n + ":latest" }, { "sha256:base", "sha256:libs", "sha256:mid" + n, "sha256:cfg" + n, "sha256:top" + n } };
        snapshot.images.push_back(image);
        snapshot.layers[0].image_ids.push_back(image.id);
        snapshot.layers[1].image_ids.push_back(image.id);
        for (const char* part : { "mid", "cfg", "top" })
            snapshot.layers.push_back({ std::string("sha256:") + part + n, "/l/" + n, 4096, std::string("RUN step ") + part, { image.id }, {} });
    }
    return snapshot;
}

class Headless {
public:
    Headless()
    {
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.DisplaySize = ImVec2(1920, 1080);
        io.IniFilename = nullptr;
        unsigned char* pixels = nullptr;
        int width = 0;
        int height = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
    }
    ~Headless() { ImGui::DestroyContext(); }
    Headless(const Headless&) = delete;
    Headless& operator=(const Headless&) = delete;

    void frame(const visualizer::Frame& frame, visualizer::AppState& state)
    {
        ImGui::GetIO().DeltaTime = 1.0F / 60.0F;
        ImGui::NewFrame();
        visualizer::draw_app(frame, state, nullptr, m_requests);
        ImGui::Render();
    }

private:
    std::vector<visualizer::UiRequest> m_requests;
};

void BM_FrameAllPanels(benchmark::State& bench)
{
    Headless imgui;
    visualizer::Frame frame;
    frame.snapshot = std::make_shared<const Snapshot>(synthetic_snapshot());
    visualizer::AppState state;
    // Warm up: the first frames measure windows and lay the network out once.
    for (int i = 0; i < 3; ++i)
        imgui.frame(frame, state);
    for (auto _ : bench)
        imgui.frame(frame, state);
    bench.counters["links"] = static_cast<double>(frame.snapshot->links.size());
    bench.counters["containers"] = static_cast<double>(frame.snapshot->containers.size());
    bench.counters["images"] = static_cast<double>(frame.snapshot->images.size());
    bench.counters["vertices"] = ImGui::GetDrawData()->TotalVtxCount;
    bench.SetLabel("goal: at most 16 ms CPU per frame");
}
BENCHMARK(BM_FrameAllPanels)->Unit(benchmark::kMillisecond);

void BM_FrameNetworkPanelOnly(benchmark::State& bench)
{
    Headless imgui;
    visualizer::Frame frame;
    frame.snapshot = std::make_shared<const Snapshot>(synthetic_snapshot());
    visualizer::AppState state;
    state.single_panel = true;
    state.focus = visualizer::PanelId::Network;
    for (int i = 0; i < 3; ++i)
        imgui.frame(frame, state);
    for (auto _ : bench)
        imgui.frame(frame, state);
    bench.SetLabel("goal: at most 16 ms CPU per frame");
}
BENCHMARK(BM_FrameNetworkPanelOnly)->Unit(benchmark::kMillisecond);

void BM_NetworkLayoutOnTopologyChange(benchmark::State& bench)
{
    Headless imgui;
    auto snapshot = synthetic_snapshot();
    ImGui::NewFrame(); // CalcTextSize needs a current font.
    for (auto _ : bench) {
        auto topology = visualizer::build_topology(snapshot, {});
        visualizer::layout_topology(topology);
        benchmark::DoNotOptimize(topology.extent);
    }
    ImGui::EndFrame();
    bench.SetLabel("once per topology change, not per frame");
}
BENCHMARK(BM_NetworkLayoutOnTopologyChange)->Unit(benchmark::kMillisecond)->Iterations(3);

} // namespace

// `viz_frame_bench --write-timeline FILE` writes the synthetic snapshot as a one-entry recording,
// so the whole frame (with llvmpipe) can be timed in the real window:
//   glassbox-viz --replay FILE --screenshot /tmp/x.png --frames 60
int main(int argc, char** argv)
{
    if (argc == 3 && std::string(argv[1]) == "--write-timeline") {
        auto writer = engine::state::TimelineWriter::create(argv[2]);
        if (!writer.ok() || !writer.value().write_snapshot(synthetic_snapshot()).ok()) {
            std::fprintf(stderr, "viz_frame_bench: cannot write %s\n", argv[2]);
            return 1;
        }
        return 0;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
