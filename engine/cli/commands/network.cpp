// glassbox network create/ls/inspect/rm/prune/connect/disconnect: /networks endpoints with the
// docker CLI's bodies (README §3.11). create prints the new id; ls shows NETWORK ID, NAME,
// DRIVER, SCOPE.
#include "engine/cli/commands/commands.h"
#include "engine/cli/lesson_label.h"

#include "engine/base/strings.h"
#include "engine/cli/format.h"

namespace engine::cli {

namespace {

struct CreateArgs {
    std::string driver { "bridge" };
    std::vector<std::string> subnets;
    std::vector<std::string> gateways;
    std::vector<std::string> ip_ranges;
    std::vector<std::string> options;
    std::vector<std::string> labels;
    bool internal { false };
    bool attachable { false };
    bool ipv6 { false };
    std::string name;
};

Result<Json> network_create_body(const CreateArgs& args)
{
    if (args.gateways.size() > args.subnets.size() || args.ip_ranges.size() > args.subnets.size())
        return Error::invalid("every --gateway and --ip-range needs a --subnet (give them in the same order)");
    Json config = Json::array();
    for (size_t i = 0; i < args.subnets.size(); ++i) {
        Json entry { { "Subnet", args.subnets[i] } };
        if (i < args.ip_ranges.size())
            entry["IPRange"] = args.ip_ranges[i];
        if (i < args.gateways.size())
            entry["Gateway"] = args.gateways[i];
        config.push_back(entry);
    }
    Json labels = TRY(parse_key_values(args.labels, "--label"));
    add_lesson_label(labels);
    return Json {
        { "Driver", args.driver }, { "Scope", "" },
        { "IPAM", { { "Driver", "default" }, { "Options", Json::object() }, { "Config", config } } },
        { "Internal", args.internal }, { "Attachable", args.attachable }, { "Ingress", false }, { "ConfigOnly", false },
        { "EnableIPv6", args.ipv6 },
        { "ConfigFrom", nullptr }, { "Options", TRY(parse_key_values(args.options, "-o/--opt")) },
        { "Labels", labels }, { "Name", args.name }, { "CheckDuplicate", true },
    };
}

void add_network_create(CLI::App& group, Context& ctx)
{
    auto args = std::make_shared<CreateArgs>();
    auto* command = group.add_subcommand("create", "Create a network");
    command->add_option("-d,--driver", args->driver, "Driver to manage the Network (bridge, macvlan, ipvlan, ...)");
    command->add_option("--subnet", args->subnets, "Subnet in CIDR format")->allow_extra_args(false);
    command->add_option("--gateway", args->gateways, "IPv4 Gateway for the master subnet")->allow_extra_args(false);
    command->add_option("--ip-range", args->ip_ranges, "Allocate container ip from a sub-range")->allow_extra_args(false);
    command->add_option("-o,--opt", args->options, "Set driver specific options")->allow_extra_args(false);
    command->add_option("--label", args->labels, "Set metadata on a network")->allow_extra_args(false);
    command->add_flag("--internal", args->internal, "Restrict external access to the network");
    command->add_flag("--attachable", args->attachable, "Enable manual container attachment");
    command->add_flag("--ipv6", args->ipv6, "Enable IPv6 networking (give an IPv6 --subnet too)");
    command->add_option("NETWORK", args->name, "Network name")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto body = TRY(network_create_body(*args));
        auto* client = TRY(ctx.client());
        auto created = TRY(client->create_network(body));
        print_out(created.value("Id", "") + "\n");
        if (!created.value("Warning", "").empty())
            print_error(Error::system("WARNING: " + created.value("Warning", "")));
        return 0;
    });
}

void add_network_ls(CLI::App& group, Context& ctx)
{
    struct Args {
        bool quiet { false };
        bool no_trunc { false };
        std::string format;
    };
    auto args = std::make_shared<Args>();
    auto* command = group.add_subcommand("ls", "List networks");
    command->alias("list");
    command->add_flag("-q,--quiet", args->quiet, "Only display network IDs");
    command->add_flag("--no-trunc", args->no_trunc, "Do not truncate the output");
    command->add_option("--format", args->format, "Format output using a Go template");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto networks = TRY(client->list_networks());
        std::vector<Json> rows;
        if (networks.is_array())
            for (const auto& network : networks) {
                std::string id = network.value("Id", "");
                if (id.empty())
                    continue;
                rows.push_back({ { "ID", args->no_trunc ? id : short_id(id) }, { "Name", network.value("Name", "") },
                    { "Driver", network.value("Driver", "") }, { "Scope", network.value("Scope", "") },
                    { "Internal", network.value("Internal", false) ? "true" : "false" } });
            }
        std::string format = args->quiet ? "{{.ID}}" : args->format.empty() ? "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}" : args->format;
        Json headers { { "ID", "NETWORK ID" }, { "Name", "NAME" }, { "Driver", "DRIVER" }, { "Scope", "SCOPE" }, { "Internal", "INTERNAL" } };
        print_out(TRY(render_rows(format, rows, headers)));
        return 0;
    });
}

void add_network_membership(CLI::App& group, Context& ctx, bool connect)
{
    struct Args {
        std::string network;
        std::string container;
        std::vector<std::string> aliases;
        std::string ip;
        std::string ip6;
        bool force { false };
    };
    auto args = std::make_shared<Args>();
    auto* command = group.add_subcommand(connect ? "connect" : "disconnect",
        connect ? "Connect a container to a network" : "Disconnect a container from a network");
    if (connect) {
        command->add_option("--alias", args->aliases, "Add network-scoped alias for the container")->allow_extra_args(false);
        command->add_option("--ip", args->ip, "IPv4 address (e.g., 172.30.100.104)");
        command->add_option("--ip6", args->ip6, "IPv6 address (e.g., 2001:db8::33)");
    } else {
        command->add_flag("-f,--force", args->force, "Force the container to disconnect from a network");
    }
    command->add_option("NETWORK", args->network, "Network")->required();
    command->add_option("CONTAINER", args->container, "Container")->required();
    set_action(command, ctx, [&ctx, args, connect]() -> Result<int> {
        auto* client = TRY(ctx.client());
        if (!connect) {
            TRY(client->disconnect_network(args->network, args->container, args->force));
            return 0;
        }
        Json endpoint { { "IPAMConfig", nullptr }, { "Links", nullptr }, { "Aliases", nullptr } };
        if (!args->aliases.empty())
            endpoint["Aliases"] = args->aliases;
        if (!args->ip.empty())
            endpoint["IPAMConfig"]["IPv4Address"] = args->ip;
        if (!args->ip6.empty())
            endpoint["IPAMConfig"]["IPv6Address"] = args->ip6;
        TRY(client->connect_network(args->network, { { "Container", args->container }, { "EndpointConfig", endpoint } }));
        return 0;
    });
}

void add_network_rm(CLI::App& group, Context& ctx)
{
    // Like the docker CLI: look the network up first, then delete it.
    auto* rm_command = add_per_target_command(group, ctx, "rm", "Remove one or more networks", "NETWORK",
        [](api::Client& client, const std::string& target) -> Result<void> {
            TRY(client.inspect_network(target));
            return client.remove_network(target);
        });
    rm_command->alias("remove");
}

void add_network_prune(CLI::App& group, Context& ctx)
{
    auto force = std::make_shared<bool>(false);
    auto* prune_command = group.add_subcommand("prune", "Remove all unused networks");
    prune_command->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    set_action(prune_command, ctx, [&ctx, force]() -> Result<int> {
        if (!confirm("WARNING! This will remove all custom networks not used by at least one container.", *force))
            return 0;
        auto* client = TRY(ctx.client());
        auto report = TRY(client->prune_networks());
        print_out(prune_section(report, "NetworksDeleted", "Networks"));
        return 0;
    });
}

// In the order `glassbox network --help` lists them.
constexpr SubVerb k_network_verbs[] = {
    { { "create" }, add_network_create },
    { { "ls", "list" }, add_network_ls },
    { { "connect" }, [](CLI::App& group, Context& ctx) { add_network_membership(group, ctx, true); } },
    { { "disconnect" }, [](CLI::App& group, Context& ctx) { add_network_membership(group, ctx, false); } },
    { { "inspect" },
        [](CLI::App& group, Context& ctx) {
            add_typed_inspect_command(group, ctx, "network",
                [](api::Client& client, const std::string& name) { return client.inspect_network(name); });
        } },
    { { "rm", "remove" }, add_network_rm },
    { { "prune" }, add_network_prune },
};

} // namespace

void add_network_command(CLI::App& parent, Context& ctx, std::string_view only)
{
    add_group_verb(parent, ctx, "network", "Manage networks", k_network_verbs, only);
}

} // namespace engine::cli
