// glassbox diff CONTAINER: GET /containers/{id}/changes, one "C|A|D /path" line per change.
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_diff_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto container = std::make_shared<std::string>();
    auto* command = parent.add_subcommand(name, "Inspect changes to files or directories on a container's filesystem");
    command->add_option("CONTAINER", *container, "Container")->required();
    set_action(command, ctx, [&ctx, container]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto changes = TRY(client->container_changes(*container));
        static constexpr const char* kinds[] = { "C", "A", "D" };
        std::string out;
        for (const auto& change : changes.is_array() ? changes : Json::array()) {
            int kind = change.value("Kind", 0);
            out += std::string(kind >= 0 && kind <= 2 ? kinds[kind] : "?") + " " + change.value("Path", "") + "\n";
        }
        print_out(out);
        return 0;
    });
}

} // namespace engine::cli
