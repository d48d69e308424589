// glassbox top CONTAINER [ps OPTIONS]: GET /containers/{id}/top, printed as a table of the
// daemon's Titles and Processes.
#include "engine/cli/commands/commands.h"

#include "engine/base/strings.h"
#include "engine/cli/format.h"

namespace engine::cli {

void add_top_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::string container;
        std::vector<std::string> ps_args;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Display the running processes of a container");
    command->add_option("CONTAINER", args->container, "Container")->required();
    command->add_option("PS_OPTIONS", args->ps_args, "Options for ps");
    command->positionals_at_end();
    command->prefix_command();
    reject_unknown_flags(*command);
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto top = TRY(client->top_container(args->container, strings::join(args->ps_args, " ")));
        std::vector<std::string> lines;
        std::vector<std::string> titles;
        if (top.contains("Titles") && top["Titles"].is_array())
            for (const auto& title : top["Titles"])
                titles.push_back(go_value(title));
        lines.push_back(strings::join(titles, "\t"));
        if (top.contains("Processes") && top["Processes"].is_array())
            for (const auto& process : top["Processes"]) {
                std::vector<std::string> cells;
                if (process.is_array())
                    for (const auto& cell : process)
                        cells.push_back(go_value(cell));
                lines.push_back(strings::join(cells, "\t"));
            }
        print_out(align_columns(lines));
        return 0;
    });
}

} // namespace engine::cli
