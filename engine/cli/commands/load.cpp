// glassbox load [-i FILE] [-q]: uploads a docker-save or OCI archive to POST /images/load and
// prints the daemon's "Loaded image: ..." lines.
#include "engine/cli/commands/commands.h"

#include <cstdio>

namespace engine::cli {

void add_load_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::string input { "-" };
        bool quiet { false };
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Load an image from a tar archive or STDIN");
    command->add_option("-i,--input", args->input, "Read from tar archive file, instead of STDIN");
    command->add_flag("-q,--quiet", args->quiet, "Suppress the load output");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        std::shared_ptr<UniqueFd> holder;
        auto body = TRY(tar_body_from(args->input, holder));
        auto* client = TRY(ctx.client());
        TRY(client->load_images(body, [args](const Json& message) {
            if (args->quiet || !message.is_object())
                return;
            if (message.contains("stream") && message["stream"].is_string())
                print_out(message["stream"].get<std::string>());
            else if (message.contains("status") && message["status"].is_string())
                print_out(message["status"].get<std::string>() + "\n");
        }));
        return 0;
    });
}

} // namespace engine::cli
