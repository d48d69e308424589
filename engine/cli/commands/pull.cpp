// glassbox pull IMAGE: POST /images/create?fromImage=&tag=. glassboxd works offline and answers
// with a clear error, which we print (exit 1); a daemon that can pull streams progress lines.
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_pull_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto image = std::make_shared<std::string>();
    auto* command = parent.add_subcommand(name, "Download an image from a registry");
    command->add_option("NAME", *image, "Image name[:tag]")->required();
    set_action(command, ctx, [&ctx, image]() -> Result<int> {
        auto* client = TRY(ctx.client());
        TRY(client->pull_image(*image, [](const Json& message) {
            if (!message.is_object() || !message.contains("status"))
                return;
            std::string line = message.contains("id") ? message["id"].get<std::string>() + ": " : std::string();
            print_out(line + message["status"].get<std::string>() + "\n");
        }));
        return 0;
    });
}

} // namespace engine::cli
