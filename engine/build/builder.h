// The image builder: runs a parsed Dockerfile against the image store, the way Docker's legacy
// builder does. Each RUN starts a real container (fresh namespaces, network none) on an overlay
// of the layers so far with a fresh upper directory; the upper directory becomes a layer tar
// (whiteouts for deletions) and Store::commit makes the next image. COPY and ADD write into a
// fresh upper directory through the same overlay, resolving every path inside the image root
// (openat2 RESOLVE_IN_ROOT), so a symlink in the image or the context cannot reach the host.
// Config instructions (ENV, WORKDIR, CMD, ...) commit an image with an empty layer.
// The cache maps (parent image id, instruction as recorded in history, content hash of the
// files COPY/ADD read) to the image that step made, stored under <store root>/build-cache/.
// Kernel interfaces: overlay mount(2), the runtime's clone/namespaces, cgroupfs, openat2(2).
// Lesson: lessons/02-dockerfiles-images/, lessons/03-layer-sharing/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/build/lints.h"
#include "engine/image/store.h"
#include "engine/runtime/runtime.h"
#include "engine/sys/kernel.h"

namespace engine::build {

// The network a build's RUN steps get.
enum class BuildNetwork { None, Host };

struct BuildOptions {
    std::string context_dir;                         // The unpacked build context.
    std::string dockerfile { "Dockerfile" };         // Relative to context_dir (or absolute).
    std::vector<std::string> tags;                   // "-t" values, each "name[:tag]".
    std::map<std::string, std::string> build_args;   // --build-arg KEY=value.
    std::map<std::string, std::string> labels;       // --label, applied to the final image.
    std::string target;                              // --target stage name ("" = last stage).
    bool no_cache { false };
    bool allow_latest { false };
    // Every lint finding is an error (a lesson that asks for it); `# check=error=true` in the
    // Dockerfile does the same.
    bool strict { false };
    bool quiet { false };                            // -q: only the final id is printed.
    BuildNetwork network { BuildNetwork::None };     // ?networkmode=, parsed by parse_build_network.
    bool show_step_times { true };                   // A " ---> Done in 1.23s" line per step.
    // The client's connection, or -1. When it hangs up, the build stops: a running RUN step's
    // processes are killed, its mounts and directories removed, and build() returns ECANCELED.
    int cancel_fd { -1 };
    // Starts a RUN step's container; empty = runtime::start_container. The daemon passes the
    // runtime it starts containers with, so on the simulated kernel RUN runs simulated programs.
    std::function<Result<runtime::StartedProcess>(sys::Kernel&, const runtime::ContainerSpec&)> start_process;
    // Limits for each RUN step's cgroup (docker build --memory, --memory-swap, --cpu-shares,
    // --cpu-quota, --cpu-period, --cpuset-cpus); zero values set none.
    runtime::Resources resources;
    // --add-host "name:ip" entries; the daemon writes them, after the localhost lines, into
    // hosts_file.
    std::vector<std::string> extra_hosts;
    // A host file bound over /etc/hosts in each RUN step; "" leaves the image's own.
    std::string hosts_file;
};

// ?networkmode= of a build: "", "default" and "none" give RUN steps loopback only (glassbox
// builds have no outside network); "host" shares the host's. Anything else is refused naming it.
Result<BuildNetwork> parse_build_network(std::string_view text);

// Refuses a --target that names no stage of the Dockerfile, before anything runs, so the API
// can answer 400 as dockerd does. A Dockerfile that does not read or parse passes here: the
// build reports it.
Result<void> check_build_target(const BuildOptions& options);

// What one finished step did: the per-step build events the visualizer's Build panel steps
// through, live and in recordings.
struct StepReport {
    int step { 0 };                   // 1-based, as "Step 2/5" counts.
    int total { 0 };
    int line { 0 };                   // Line of the instruction in the Dockerfile.
    std::string instruction;          // As written.
    std::string cache;                // "hit", "miss", or "" where the cache does not apply (FROM, ARG).
    std::string layer_id;             // diff id of the layer the step added; "" for none.
    std::uint64_t size { 0 };         // Bytes of that layer.
    std::string image_id;             // The stage's image after the step.
    std::vector<std::string> changes; // "A /path" added, "C /path" changed, "D /path" whiteout; sorted, at most 20.
    int changes_total { 0 };          // How many changes in all.
};

// A step as Docker event attributes (strings): step, total, line, instruction, cache, layer,
// size, image, changes (newline-separated), changes_total.
std::map<std::string, std::string> step_attributes(const StepReport& report);

// Where progress goes. The CLI prints `stream` as is; the API wraps each call in a JSON line.
class BuildOutput {
public:
    virtual ~BuildOutput() = default;
    // Progress lines and a RUN step's stdout.
    virtual void stream(std::string_view text) = 0;
    // A RUN step's stderr (the legacy builder colours it red on the API stream).
    virtual void stream_stderr(std::string_view text) { stream(text); }
    // The final image id, once ("aux" on the API stream).
    virtual void built(const std::string& image_id) { (void)image_id; }
    // The Dockerfile text and the number of steps, once the Dockerfile has parsed.
    virtual void started(std::string_view dockerfile, int total)
    {
        (void)dockerfile;
        (void)total;
    }
    // After each step that finished.
    virtual void step_done(const StepReport& report) { (void)report; }
};

// A BuildOutput that calls functions; handy for tests and the CLI.
class CallbackOutput : public BuildOutput {
public:
    explicit CallbackOutput(std::function<void(std::string_view)> on_stream,
        std::function<void(std::string_view)> on_stderr = {})
        : m_on_stream(std::move(on_stream))
        , m_on_stderr(std::move(on_stderr))
    {
    }
    void stream(std::string_view text) override { m_on_stream(text); }
    void stream_stderr(std::string_view text) override
    {
        if (m_on_stderr)
            m_on_stderr(text);
        else
            m_on_stream(text);
    }

private:
    std::function<void(std::string_view)> m_on_stream;
    std::function<void(std::string_view)> m_on_stderr;
};

struct BuildResult {
    std::string image_id;             // "sha256:<hex>".
    std::vector<std::string> tags;
    int steps { 0 };                  // Steps run (FROM included).
    int cached_steps { 0 };           // Steps answered from the cache.
    int containers_run { 0 };         // RUN containers actually started.
    std::vector<LintFinding> lints;
};

class Builder {
public:
    // `scratch_dir` holds each step's upper, work and mount directories while it runs; it is
    // created if missing and each step removes its own subdirectory.
    Builder(sys::Kernel& kernel, image::Store& store, std::string scratch_dir);

    // Builds and tags. A failed step returns its error (after printing what it printed); its
    // temporary mounts, cgroup and directories are removed. RUN steps run under the default
    // seccomp filter, as containers do. Afterwards the memory the build freed is handed back to
    // the system (malloc_trim), so a large build does not leave the daemon's RSS high. Errors: parse and lint errors name
    // file, line and column; a RUN that fails is "The command '/bin/sh -c …' returned a
    // non-zero code: N"; ADD of a URL is an offline error.
    Result<BuildResult> build(const BuildOptions& options, BuildOutput& output);

private:
    struct Impl;
    sys::Kernel& m_kernel;
    image::Store& m_store;
    std::string m_scratch_dir;
};

// The cache directory the builder uses for `store`.
std::string build_cache_dir(const image::Store& store);

} // namespace engine::build
