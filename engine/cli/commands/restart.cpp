// glassbox restart [-t SECONDS] CONTAINER...: POST /containers/{id}/restart[?t=].
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_restart_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto timeout = std::make_shared<std::optional<int>>();
    auto* command = add_per_target_command(parent, ctx, name, "Restart one or more containers", "CONTAINER",
        [timeout](api::Client& client, const std::string& target) { return client.restart_container(target, *timeout); });
    command->add_option("-t,--time,--timeout", *timeout, "Seconds to wait before killing the container");
}

} // namespace engine::cli
