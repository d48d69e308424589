// Builds (POST /build, `glassbox build`): the daemon owns the build context's directory, the
// builder and its scratch space, and the "build" events that the visualizer's Build panel and
// `glassbox record` follow. The API handler only reads the request and writes the JSON stream.
// Kernel interfaces: those of build::Builder (overlay mounts, the runtime for RUN steps).
// Lesson: lessons/02-dockerfiles-images/.
#include <map>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/build/builder.h"
#include "engine/daemon/engine.h"
#include "engine/image/layer.h"
#include "engine/network/container_files.h"

namespace engine::daemon {

namespace {

// Passes everything to the client's output and publishes the build's progress as events.
class PublishingOutput final : public build::BuildOutput {
public:
    PublishingOutput(build::BuildOutput& inner, Engine& engine)
        : m_inner(inner)
        , m_engine(engine)
        , m_build_id(strings::random_hex_id(12))
    {
    }
    void started(std::string_view dockerfile, int total) override
    {
        publish("start", { { "dockerfile", std::string(dockerfile) }, { "total", std::to_string(total) } });
        m_inner.started(dockerfile, total);
    }
    void step_done(const build::StepReport& report) override
    {
        publish("step", build::step_attributes(report));
        m_inner.step_done(report);
    }
    void stream(std::string_view text) override { m_inner.stream(text); }
    void stream_stderr(std::string_view text) override { m_inner.stream_stderr(text); }
    void built(const std::string& image_id) override { m_inner.built(image_id); }
    void publish(const std::string& action, std::map<std::string, std::string> attributes)
    {
        m_engine.publish({ "build", action, m_build_id, std::move(attributes), 0 });
    }

private:
    build::BuildOutput& m_inner;
    Engine& m_engine;
    std::string m_build_id;
};

} // namespace

Engine::BuildContext::~BuildContext()
{
    (void)fs::remove_tree(m_work_dir);
}

Result<std::unique_ptr<Engine::BuildContext>> Engine::receive_build_context(
    const std::function<Result<void>(const std::string& tar_path)>& write_tar)
{
    auto work = options().root + "/tmp/build-" + strings::random_hex_id(16);
    TRY(fs::make_dirs(work + "/context", 0700));
    auto context = std::make_unique<BuildContext>(work);
    TRY_CTX(write_tar(work + "/context.tar"), "read build context");
    image::UnpackOptions unpack;
    unpack.whiteouts = false;
    unpack.keep_owners = false;
    unpack.header_scan = "build context";
    TRY_CTX(image::unpack_layer(work + "/context.tar", context->dir(), unpack), "unpack build context");
    (void)fs::remove_tree(work + "/context.tar");
    return context;
}

Result<void> Engine::check_build_options(const build::BuildOptions& options, const std::string& remote)
{
    if (!remote.empty())
        return Error::invalid("remote build contexts need the network, which glassbox builds do not have: " + remote);
    // dockerd's words for the limits it refuses when it creates a RUN step's container.
    const auto& limits = options.resources;
    if (limits.memory_bytes != 0 && limits.memory_bytes < 6 * 1024 * 1024)
        return Error::invalid("Minimum memory limit allowed is 6MB");
    if (limits.memory_swap_bytes > 0 && limits.memory_bytes > 0 && limits.memory_swap_bytes < limits.memory_bytes)
        return Error::invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (limits.memory_bytes < 0 || limits.nano_cpus < 0 || limits.cpu_shares < 0 || limits.cpu_period_us < 0)
        return Error::invalid("memory and cpu limits cannot be negative");
    return Ok {};
}

Result<void> Engine::check_build_target(const BuildContext& context, build::BuildOptions options)
{
    options.context_dir = context.dir();
    return build::check_build_target(options);
}

Result<build::BuildResult> Engine::build_image(const BuildContext& context, build::BuildOptions options,
    build::BuildOutput& output)
{
    TRY(check_build_options(options, ""));
    options.context_dir = context.dir();
    // A memory limit without memswap gets as much swap again, as dockerd gives a container.
    if (options.resources.memory_bytes > 0 && options.resources.memory_swap_bytes == 0)
        options.resources.memory_swap_bytes = 2 * options.resources.memory_bytes;
    if (!options.extra_hosts.empty()) {
        std::vector<network::HostsLine> extra;
        // A bad entry fails the build in the stream, in dockerd's words (dockerd finds it when it
        // creates the first RUN step's container, after the 200).
        for (const auto& spec : options.extra_hosts) {
            auto line = network::parse_extra_host(spec);
            if (!line.ok())
                return Error::invalid("bad format for add-host: \"" + spec + "\"");
            extra.push_back(line.release_value());
        }
        options.hosts_file = context.work_dir() + "/hosts";
        TRY_CTX(fs::write_file_atomic(options.hosts_file, network::render_hosts({}, extra)), "write the build's hosts file");
    }
    // RUN steps start through the same runtime as containers (the simulated one on --kernel=sim).
    options.start_process = m_options.start_process;
    PublishingOutput publishing(output, *this);
    build::Builder builder(kernel(), images(), m_options.root + "/tmp/build-steps");
    auto result = builder.build(options, publishing);
    if (!result.ok())
        publishing.publish("end", { { "error", result.error().describe() } });
    else
        publishing.publish("end", { { "image", result.value().image_id } });
    return result;
}

} // namespace engine::daemon
