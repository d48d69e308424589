// glassbox port CONTAINER [PRIVATE_PORT[/PROTO]]: reads NetworkSettings.Ports from inspect, as
// the docker CLI does ("80/tcp -> 0.0.0.0:8080").
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_port_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::string container;
        std::string port;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "List port mappings or a specific mapping for the container");
    command->add_option("CONTAINER", args->container, "Container")->required();
    command->add_option("PRIVATE_PORT", args->port, "Private port[/proto]");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto info = TRY(client->inspect_container(args->container));
        Json ports = Json::object();
        if (info.contains("NetworkSettings") && info["NetworkSettings"].is_object()
            && info["NetworkSettings"].contains("Ports") && info["NetworkSettings"]["Ports"].is_object())
            ports = info["NetworkSettings"]["Ports"];
        std::string wanted = args->port;
        if (!wanted.empty() && wanted.find('/') == std::string::npos)
            wanted += "/tcp";
        std::string out;
        bool found = false;
        for (const auto& [key, bindings] : ports.items()) {
            if (!wanted.empty() && key != wanted)
                continue;
            if (!bindings.is_array())
                continue;
            for (const auto& binding : bindings) {
                std::string ip = binding.value("HostIp", "");
                std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
                std::string address = host + ":" + binding.value("HostPort", "");
                out += wanted.empty() ? key + " -> " + address + "\n" : address + "\n";
                found = true;
            }
        }
        if (!wanted.empty() && !found)
            return Error::not_found("No public port '" + wanted + "' published for " + args->container);
        print_out(out);
        return 0;
    });
}

} // namespace engine::cli
