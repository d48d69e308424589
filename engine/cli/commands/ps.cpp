// glassbox ps [-a] [-q] [--filter K=V] [--no-trunc] [--format TEMPLATE]: GET /containers/json.
// Columns and renderings as the docker CLI's: CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS,
// PORTS, NAMES; Status is the daemon's own string, Created is rendered "x ago" here.
#include "engine/cli/commands/commands.h"

#include "engine/base/strings.h"
#include "engine/cli/format.h"

namespace engine::cli {

namespace {

constexpr const char* k_default_format = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

Json ps_headers()
{
    return {
        { "ID", "CONTAINER ID" }, { "Image", "IMAGE" }, { "Command", "COMMAND" }, { "CreatedAt", "CREATED AT" },
        { "RunningFor", "CREATED" }, { "Ports", "PORTS" }, { "Status", "STATUS" }, { "Names", "NAMES" },
        { "Labels", "LABELS" }, { "State", "STATE" }, { "Networks", "NETWORKS" }, { "Mounts", "MOUNTS" },
        { "Size", "SIZE" }, { "LocalVolumes", "LOCAL VOLUMES" },
    };
}

} // namespace

// One ps row as the template sees it (docker's ContainerContext fields).
Json ps_row(const Json& container, bool no_trunc)
{
    std::vector<std::string> names;
    if (container.contains("Names") && container["Names"].is_array())
        for (const auto& entry : container["Names"])
            if (entry.is_string()) {
                auto text = entry.get<std::string>();
                names.push_back(!text.empty() && text[0] == '/' ? text.substr(1) : text);
            }
    std::string id = container.value("Id", "");
    std::string command = container.value("Command", "");
    std::vector<std::string> label_items;
    if (container.contains("Labels") && container["Labels"].is_object())
        for (const auto& [key, value] : container["Labels"].items())
            label_items.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
    std::vector<std::string> networks;
    if (container.contains("NetworkSettings") && container["NetworkSettings"].is_object()
        && container["NetworkSettings"].contains("Networks") && container["NetworkSettings"]["Networks"].is_object())
        for (const auto& [network, unused] : container["NetworkSettings"]["Networks"].items())
            networks.push_back(network);
    std::vector<std::string> mounts;
    if (container.contains("Mounts") && container["Mounts"].is_array())
        for (const auto& mount : container["Mounts"])
            if (mount.is_object())
                mounts.push_back(mount.value("Name", "").empty() ? mount.value("Source", "") : mount.value("Name", ""));
    std::int64_t created = container.contains("Created") && container["Created"].is_number() ? container["Created"].get<std::int64_t>() : 0;
    std::string size;
    if (container.contains("SizeRw") && container["SizeRw"].is_number()) {
        size = strings::human_size(container["SizeRw"].get<std::uint64_t>());
        if (container.contains("SizeRootFs") && container["SizeRootFs"].is_number())
            size += " (virtual " + strings::human_size(container["SizeRootFs"].get<std::uint64_t>()) + ")";
    }
    return {
        { "ID", no_trunc ? id : short_id(id) },
        { "Image", container.value("Image", "") },
        { "Command", "\"" + (no_trunc ? command : ellipsis(command, 20)) + "\"" },
        { "CreatedAt", created > 0 ? strings::rfc3339_nano(std::chrono::system_clock::time_point(std::chrono::seconds(created))) : "" },
        { "RunningFor", time_ago(created) },
        { "Ports", format_ports(container.value("Ports", Json::array())) },
        { "Status", container.value("Status", "") },
        { "State", container.value("State", "") },
        { "Names", strings::join(names, ",") },
        { "Labels", strings::join(label_items, ",") },
        { "Networks", strings::join(networks, ",") },
        { "Mounts", strings::join(mounts, ",") },
        { "Size", size },
        { "LocalVolumes", std::to_string(mounts.size()) },
    };
}

void add_ps_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        bool all { false };
        bool quiet { false };
        bool no_trunc { false };
        bool size { false };
        std::vector<std::string> filters;
        std::string format;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "List containers");
    command->add_flag("-a,--all", args->all, "Show all containers (default shows just running)");
    command->add_flag("-q,--quiet", args->quiet, "Only display container IDs");
    command->add_flag("--no-trunc", args->no_trunc, "Don't truncate output");
    command->add_flag("-s,--size", args->size, "Display total file sizes");
    command->add_option("-f,--filter", args->filters, "Filter output based on conditions provided (KEY=VALUE)")->allow_extra_args(false);
    command->add_option("--format", args->format, "Format output using a Go template ({{.ID}}, {{.Names}}, ...)");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        api::ContainerListOptions options;
        options.all = args->all;
        options.size = args->size;
        for (const auto& filter : args->filters) {
            auto eq = filter.find('=');
            if (eq == std::string::npos || eq == 0)
                return Error::invalid("bad format of filter (expected name=value): " + filter);
            options.filters[filter.substr(0, eq)].push_back(filter.substr(eq + 1));
        }
        auto* client = TRY(ctx.client());
        auto containers = TRY(client->list_containers(options));
        std::vector<Json> rows;
        if (containers.is_array())
            for (const auto& container : containers)
                rows.push_back(ps_row(container, args->no_trunc));
        std::string format = args->format;
        if (args->quiet)
            format = "{{.ID}}";
        else if (format.empty())
            format = args->size ? std::string(k_default_format) + "\t{{.Size}}" : k_default_format;
        print_out(TRY(render_rows(format, rows, ps_headers())));
        return 0;
    });
}

} // namespace engine::cli
