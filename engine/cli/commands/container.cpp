// glassbox container <verb>: the container verbs under the docker CLI's `container` group
// (ls/list/ps, run, create, start, stop, ..., inspect, prune).
#include "engine/cli/commands/commands.h"

#include "engine/base/strings.h"
#include "engine/cli/format.h"

namespace engine::cli {

void add_container_command(CLI::App& parent, Context& ctx)
{
    auto* group = parent.add_subcommand("container", "Manage containers");
    group->require_subcommand(1);
    add_ps_command(*group, ctx, "ls");
    group->get_subcommand("ls")->alias("list")->alias("ps");
    add_run_command(*group, ctx);
    add_create_command(*group, ctx);
    add_start_command(*group, ctx);
    add_stop_command(*group, ctx);
    add_restart_command(*group, ctx);
    add_kill_command(*group, ctx);
    add_rm_command(*group, ctx);
    add_logs_command(*group, ctx);
    add_exec_command(*group, ctx);
    add_wait_command(*group, ctx);
    add_attach_command(*group, ctx);
    add_top_command(*group, ctx);
    add_rename_command(*group, ctx);
    add_pause_command(*group, ctx);
    add_unpause_command(*group, ctx);
    add_port_command(*group, ctx);

    add_typed_inspect_command(*group, ctx, "container",
        [](api::Client& client, const std::string& name) { return client.inspect_container(name); });

    auto force = std::make_shared<bool>(false);
    auto* prune_command = group->add_subcommand("prune", "Remove all stopped containers");
    prune_command->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    set_action(prune_command, ctx, [&ctx, force]() -> Result<int> {
        if (!confirm("WARNING! This will remove all stopped containers.", *force))
            return 0;
        auto* client = TRY(ctx.client());
        auto report = TRY(client->prune_containers());
        print_out(prune_section(report, "ContainersDeleted", "Containers") + "Total reclaimed space: "
            + strings::human_size(reclaimed_space(report)) + "\n");
        return 0;
    });
}

} // namespace engine::cli
