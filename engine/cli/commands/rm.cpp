// glassbox rm [-f] [-v] CONTAINER...: DELETE /containers/{id}[?force=1&v=1].
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_rm_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto flags = std::make_shared<std::pair<bool, bool>>(false, false); // force, volumes
    auto* command = add_per_target_command(parent, ctx, name, "Remove one or more containers", "CONTAINER",
        [flags](api::Client& client, const std::string& target) {
            return client.remove_container(target, flags->first, flags->second);
        });
    command->add_flag("-f,--force", flags->first, "Force the removal of a running container (uses SIGKILL)");
    command->add_flag("-v,--volumes", flags->second, "Remove anonymous volumes associated with the container");
}

} // namespace engine::cli
