// glassbox wait CONTAINER...: POST /containers/{id}/wait, prints each StatusCode.
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_wait_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    add_per_target_command(parent, ctx, name, "Block until one or more containers stop, then print their exit codes",
        "CONTAINER",
        [](api::Client& client, const std::string& target) -> Result<void> {
            auto result = TRY(client.wait_container(target, "not-running"));
            print_out(std::to_string(result.status_code) + "\n");
            return Ok {};
        },
        EchoTarget::No);
}

} // namespace engine::cli
