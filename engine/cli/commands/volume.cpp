// glassbox volume create/ls/inspect/rm/prune: /volumes endpoints, docker's output
// (create prints the name; ls shows DRIVER and VOLUME NAME).
#include "engine/cli/commands/commands.h"
#include "engine/cli/lesson_label.h"

#include "engine/base/strings.h"
#include "engine/cli/format.h"

namespace engine::cli {

namespace {

void add_volume_create(CLI::App& group, Context& ctx)
{
    struct Args {
        std::string driver { "local" };
        std::vector<std::string> options;
        std::vector<std::string> labels;
        std::string name;
    };
    auto args = std::make_shared<Args>();
    auto* command = group.add_subcommand("create", "Create a volume");
    command->add_option("-d,--driver", args->driver, "Specify volume driver name");
    command->add_option("-o,--opt", args->options, "Set driver specific options")->allow_extra_args(false);
    command->add_option("--label", args->labels, "Set metadata for a volume")->allow_extra_args(false);
    command->add_option("VOLUME", args->name, "Volume name (generated when omitted)");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        Json body { { "Driver", args->driver }, { "Name", args->name } };
        body["DriverOpts"] = TRY(parse_key_values(args->options, "-o/--opt"));
        body["Labels"] = TRY(parse_key_values(args->labels, "--label"));
        add_lesson_label(body["Labels"]);
        auto* client = TRY(ctx.client());
        auto volume = TRY(client->create_volume(body));
        print_out(volume.value("Name", args->name) + "\n");
        return 0;
    });
}

void add_volume_ls(CLI::App& group, Context& ctx)
{
    struct Args {
        bool quiet { false };
        std::string format;
    };
    auto args = std::make_shared<Args>();
    auto* command = group.add_subcommand("ls", "List volumes");
    command->alias("list");
    command->add_flag("-q,--quiet", args->quiet, "Only display volume names");
    command->add_option("--format", args->format, "Format output using a Go template");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto listing = TRY(client->list_volumes());
        std::vector<Json> rows;
        if (listing.contains("Volumes") && listing["Volumes"].is_array())
            for (const auto& volume : listing["Volumes"])
                rows.push_back({ { "Driver", volume.value("Driver", "") }, { "Name", volume.value("Name", "") },
                    { "Mountpoint", volume.value("Mountpoint", "") }, { "Scope", volume.value("Scope", "") } });
        std::string format = args->quiet ? "{{.Name}}" : args->format.empty() ? "table {{.Driver}}\t{{.Name}}" : args->format;
        Json headers { { "Driver", "DRIVER" }, { "Name", "VOLUME NAME" }, { "Mountpoint", "MOUNTPOINT" }, { "Scope", "SCOPE" } };
        print_out(TRY(render_rows(format, rows, headers)));
        return 0;
    });
}

void add_volume_rm(CLI::App& group, Context& ctx)
{
    auto force = std::make_shared<bool>(false);
    auto* rm_command = add_per_target_command(group, ctx, "rm", "Remove one or more volumes", "VOLUME",
        [force](api::Client& client, const std::string& target) { return client.remove_volume(target, *force); });
    rm_command->alias("remove");
    rm_command->add_flag("-f,--force", *force, "Force the removal of one or more volumes");
}

void add_volume_prune(CLI::App& group, Context& ctx)
{
    auto prune = std::make_shared<std::pair<bool, bool>>();
    auto* prune_command = group.add_subcommand("prune", "Remove unused local volumes");
    prune_command->add_flag("-a,--all", prune->first, "Remove all unused volumes, not just anonymous ones");
    prune_command->add_flag("-f,--force", prune->second, "Do not prompt for confirmation");
    set_action(prune_command, ctx, [&ctx, prune]() -> Result<int> {
        if (!confirm("WARNING! This will remove anonymous local volumes not used by at least one container.", prune->second))
            return 0;
        auto* client = TRY(ctx.client());
        auto report = TRY(client->prune_volumes(prune->first));
        print_out(prune_section(report, "VolumesDeleted", "Volumes") + "Total reclaimed space: "
            + strings::human_size(reclaimed_space(report)) + "\n");
        return 0;
    });
}

// In the order `glassbox volume --help` lists them.
constexpr SubVerb k_volume_verbs[] = {
    { { "create" }, add_volume_create },
    { { "ls", "list" }, add_volume_ls },
    { { "inspect" },
        [](CLI::App& group, Context& ctx) {
            add_typed_inspect_command(group, ctx, "volume",
                [](api::Client& client, const std::string& name) { return client.inspect_volume(name); });
        } },
    { { "rm", "remove" }, add_volume_rm },
    { { "prune" }, add_volume_prune },
};

} // namespace

void add_volume_command(CLI::App& parent, Context& ctx, std::string_view only)
{
    add_group_verb(parent, ctx, "volume", "Manage volumes", k_volume_verbs, only);
}

} // namespace engine::cli
