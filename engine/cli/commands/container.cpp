// glassbox container <verb>: the container verbs under the docker CLI's `container` group
// (ls/list/ps, run, create, start, stop, ..., inspect, prune).
#include "engine/cli/commands/commands.h"

#include "engine/base/strings.h"
#include "engine/cli/format.h"

namespace engine::cli {

namespace {

void add_container_prune(CLI::App& group, Context& ctx)
{
    auto force = std::make_shared<bool>(false);
    auto* prune_command = group.add_subcommand("prune", "Remove all stopped containers");
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

// In the order `glassbox container --help` lists them. run and create repeat the run flags, so
// building only the sub-verb asked for saves most of the group's cost.
constexpr SubVerb k_container_verbs[] = {
    { { "ls", "list", "ps" },
        [](CLI::App& group, Context& ctx) {
            add_ps_command(group, ctx, "ls");
            group.get_subcommand("ls")->alias("list")->alias("ps");
        } },
    { { "run" }, [](CLI::App& group, Context& ctx) { add_run_command(group, ctx); } },
    { { "create" }, [](CLI::App& group, Context& ctx) { add_create_command(group, ctx); } },
    { { "start" }, [](CLI::App& group, Context& ctx) { add_start_command(group, ctx); } },
    { { "stop" }, [](CLI::App& group, Context& ctx) { add_stop_command(group, ctx); } },
    { { "restart" }, [](CLI::App& group, Context& ctx) { add_restart_command(group, ctx); } },
    { { "kill" }, [](CLI::App& group, Context& ctx) { add_kill_command(group, ctx); } },
    { { "rm" }, [](CLI::App& group, Context& ctx) { add_rm_command(group, ctx); } },
    { { "logs" }, [](CLI::App& group, Context& ctx) { add_logs_command(group, ctx); } },
    { { "exec" }, [](CLI::App& group, Context& ctx) { add_exec_command(group, ctx); } },
    { { "wait" }, [](CLI::App& group, Context& ctx) { add_wait_command(group, ctx); } },
    { { "attach" }, [](CLI::App& group, Context& ctx) { add_attach_command(group, ctx); } },
    { { "top" }, [](CLI::App& group, Context& ctx) { add_top_command(group, ctx); } },
    { { "rename" }, [](CLI::App& group, Context& ctx) { add_rename_command(group, ctx); } },
    { { "pause" }, [](CLI::App& group, Context& ctx) { add_pause_command(group, ctx); } },
    { { "unpause" }, [](CLI::App& group, Context& ctx) { add_unpause_command(group, ctx); } },
    { { "port" }, [](CLI::App& group, Context& ctx) { add_port_command(group, ctx); } },
    { { "inspect" },
        [](CLI::App& group, Context& ctx) {
            add_typed_inspect_command(group, ctx, "container",
                [](api::Client& client, const std::string& name) { return client.inspect_container(name); });
        } },
    { { "prune" }, add_container_prune },
};

} // namespace

void add_container_command(CLI::App& parent, Context& ctx, std::string_view only)
{
    add_group_verb(parent, ctx, "container", "Manage containers", k_container_verbs, only);
}

} // namespace engine::cli
