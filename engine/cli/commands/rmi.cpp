// glassbox rmi [-f] IMAGE...: DELETE /images/{name}[?force=1], printing the daemon's
// Untagged:/Deleted: lines.
#include "engine/cli/commands/commands.h"

#include "engine/cli/format.h"

namespace engine::cli {

void add_rmi_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto force = std::make_shared<bool>(false);
    auto* command = add_per_target_command(parent, ctx, name, "Remove one or more images", "IMAGE",
        [force](api::Client& client, const std::string& target) -> Result<void> {
            auto report = TRY(client.remove_image(target, *force));
            std::string out;
            if (report.is_array())
                for (const auto& entry : report)
                    for (const auto& [key, value] : entry.items())
                        out += key + ": " + go_value(value) + "\n";
            print_out(out);
            return Ok {};
        },
        EchoTarget::No);
    command->add_flag("-f,--force", *force, "Force removal of the image");
}

} // namespace engine::cli
