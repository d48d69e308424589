// glassbox stop [-t SECONDS] CONTAINER...: POST /containers/{id}/stop[?t=]. Prints each name
// as typed; 304 (already stopped) counts as success, as in docker.
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_stop_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto timeout = std::make_shared<std::optional<int>>();
    auto* command = add_per_target_command(parent, ctx, name, "Stop one or more running containers", "CONTAINER",
        [timeout](api::Client& client, const std::string& target) { return client.stop_container(target, *timeout); });
    command->add_option("-t,--time,--timeout", *timeout, "Seconds to wait before killing the container");
}

} // namespace engine::cli
