// glassbox kill [-s SIGNAL] CONTAINER...: POST /containers/{id}/kill[?signal=].
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_kill_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto signal = std::make_shared<std::string>();
    auto* command = add_per_target_command(parent, ctx, name, "Kill one or more running containers", "CONTAINER",
        [signal](api::Client& client, const std::string& target) { return client.kill_container(target, *signal); });
    command->add_option("-s,--signal", *signal, "Signal to send to the container (default KILL)");
}

} // namespace engine::cli
