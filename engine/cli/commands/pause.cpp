// glassbox pause / unpause CONTAINER...: POST /containers/{id}/pause and /unpause (the cgroup
// freezer, on the daemon side).
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_pause_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    add_per_target_command(parent, ctx, name, "Pause all processes within one or more containers", "CONTAINER",
        [](api::Client& client, const std::string& target) { return client.pause_container(target); });
}

void add_unpause_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    add_per_target_command(parent, ctx, name, "Unpause all processes within one or more containers", "CONTAINER",
        [](api::Client& client, const std::string& target) { return client.unpause_container(target); });
}

} // namespace engine::cli
