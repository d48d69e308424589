// Build benchmark: a Dockerfile of 5 RUN steps built cold (--no-cache) and fully cached, by
// glassbox's builder and, in the same run, by docker's legacy builder (DOCKER_BUILDKIT=0) when a
// dockerd answers. Goals (issue 4): cold in a fifth of docker's time or less, cached in a third.
// Needs root; rows that cannot run say why (SkipWithError).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/build/builder.h"
#include "engine/image/store.h"
#include "engine/runtime/runtime.h"
#include "engine/sys/linux_kernel.h"

namespace {

struct Fixture {
    std::string root;
    std::string context;
    std::string base_tag;
    std::string skip_reason;
    std::unique_ptr<engine::image::Store> store;
    bool docker { false };
    bool docker_base_loaded { false };

    Fixture()
    {
        if (::geteuid() != 0) {
            skip_reason = "needs root (CAP_SYS_ADMIN)";
            return;
        }
        char tmpl[] = "/tmp/glassbox-build-bench-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) {
            skip_reason = "mkdtemp failed";
            return;
        }
        root = tmpl;
        (void)engine::runtime::become_subreaper();
        const char* source = std::getenv("GLASSBOX_SOURCE_DIR");
        std::string src = source != nullptr ? source : GLASSBOX_SOURCE_DIR_FALLBACK;
        std::string tar = root + "/base.tar";
        FILE* pipe = ::popen((src + "/scripts/make-base-rootfs " + tar + " 2>/dev/null").c_str(), "r");
        char line[256] = {};
        if (pipe != nullptr && std::fgets(line, sizeof line, pipe) != nullptr)
            base_tag = engine::strings::trim(line);
        if (pipe == nullptr || ::pclose(pipe) != 0 || base_tag.empty()) {
            skip_reason = "scripts/make-base-rootfs failed";
            return;
        }
        auto opened = engine::image::Store::open(root + "/store");
        if (!opened.ok()) {
            skip_reason = opened.error().describe();
            return;
        }
        store = opened.release_value();
        engine::image::ImportOptions import;
        import.repo_tag = base_tag;
        if (auto imported = store->import_rootfs(tar, import); !imported.ok()) {
            skip_reason = imported.error().describe();
            return;
        }
        context = root + "/context";
        (void)engine::fs::make_dirs(context);
        std::ofstream(context + "/Dockerfile") << "FROM " << base_tag << "\n"
                                               << "RUN echo one > /one\n"
                                               << "RUN echo two > /two && cat /one /two > /both\n"
                                               << "RUN mkdir -p /app && cp /both /app/\n"
                                               << "RUN rm /one\n"
                                               << "RUN ls -l /app > /app/listing\n";
        // docker: only a dockerd that already answers; the same rootfs imported under the same tag.
        docker = std::system("docker info >/dev/null 2>&1") == 0;
        if (docker)
            docker_base_loaded = std::system(("docker import " + tar + " " + base_tag + " >/dev/null 2>&1").c_str()) == 0;
    }

    ~Fixture()
    {
        store.reset();
        if (!root.empty())
            (void)engine::fs::remove_tree(root);
    }

    bool glassbox_build(bool no_cache)
    {
        engine::build::BuildOptions options;
        options.context_dir = context;
        options.no_cache = no_cache;
        options.tags = { "bench:1" };
        engine::build::CallbackOutput output([](std::string_view) {});
        engine::build::Builder builder(engine::sys::linux_kernel(), *store, root + "/scratch");
        return builder.build(options, output).ok();
    }

    bool docker_build(bool no_cache)
    {
        std::string command = "DOCKER_BUILDKIT=0 docker build -q " + std::string(no_cache ? "--no-cache " : "")
            + "-t glassbox-bench:1 " + context + " >/dev/null 2>&1";
        return std::system(command.c_str()) == 0;
    }
};

Fixture& fixture()
{
    static Fixture instance;
    return instance;
}

void run(benchmark::State& state, bool docker, bool no_cache)
{
    auto& f = fixture();
    if (!f.skip_reason.empty()) {
        state.SkipWithError(f.skip_reason.c_str());
        return;
    }
    if (docker && !f.docker) {
        state.SkipWithError("no dockerd answers `docker info` on this machine (baseline not measured)");
        return;
    }
    if (docker && !f.docker_base_loaded) {
        state.SkipWithError("docker import of the base rootfs failed");
        return;
    }
    // Warm the cache once so the cached rows measure only cache hits.
    if (!no_cache && !(docker ? f.docker_build(false) : f.glassbox_build(false))) {
        state.SkipWithError("warm-up build failed");
        return;
    }
    for (auto _ : state) {
        if (!(docker ? f.docker_build(no_cache) : f.glassbox_build(no_cache))) {
            state.SkipWithError("build failed");
            return;
        }
    }
}

void BM_GlassboxBuildCold(benchmark::State& state) { run(state, false, true); }
void BM_DockerLegacyBuildCold(benchmark::State& state) { run(state, true, true); }
void BM_GlassboxBuildCached(benchmark::State& state) { run(state, false, false); }
void BM_DockerLegacyBuildCached(benchmark::State& state) { run(state, true, false); }

BENCHMARK(BM_GlassboxBuildCold)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_DockerLegacyBuildCold)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_GlassboxBuildCached)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();
BENCHMARK(BM_DockerLegacyBuildCached)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
