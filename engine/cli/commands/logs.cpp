// glassbox logs [-f] [--tail N] [-t] [--since] [--until] CONTAINER: inspect first (full id and
// Config.Tty, as the docker CLI does), then GET /containers/{id}/logs, demultiplexed unless
// the container has a TTY.
#include "engine/cli/commands/commands.h"

#include <unistd.h>

namespace engine::cli {

void add_logs_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        api::LogsOptions options;
        std::string container;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Fetch the logs of a container");
    command->add_flag("-f,--follow", args->options.follow, "Follow log output");
    command->add_option("-n,--tail", args->options.tail, "Number of lines to show from the end of the logs (default all)");
    command->add_flag("-t,--timestamps", args->options.timestamps, "Show timestamps");
    command->add_option("--since", args->options.since, "Show logs since timestamp or relative (e.g. 42m)");
    command->add_option("--until", args->options.until, "Show logs before a timestamp or relative (e.g. 42m)");
    command->add_option("CONTAINER", args->container, "Container")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto info = TRY(client->inspect_container(args->container));
        std::string id = info.value("Id", args->container);
        bool tty = info.contains("Config") && info["Config"].is_object() && info["Config"].value("Tty", false);
        api::FrameDemuxer demuxer([](api::StreamKind kind, std::string_view payload) {
            write_fd(kind == api::StreamKind::Stderr ? STDERR_FILENO : STDOUT_FILENO, payload);
        });
        std::optional<Error> frame_error;
        TRY(client->container_logs(id, args->options, [&](std::string_view data) {
            if (tty)
                return write_fd(STDOUT_FILENO, data);
            auto fed = demuxer.feed(data);
            if (!fed.ok()) {
                frame_error = fed.release_error();
                return false;
            }
            return true;
        }));
        if (frame_error)
            return std::move(*frame_error);
        return 0;
    });
}

} // namespace engine::cli
