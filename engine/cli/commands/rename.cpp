// glassbox rename CONTAINER NEW_NAME: POST /containers/{id}/rename?name=.
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_rename_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::string container;
        std::string new_name;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Rename a container");
    command->add_option("CONTAINER", args->container, "Container")->required();
    command->add_option("NEW_NAME", args->new_name, "New name")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        TRY(client->rename_container(args->container, args->new_name));
        return 0;
    });
}

} // namespace engine::cli
