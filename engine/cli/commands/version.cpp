// glassbox version: the client's version, then the server's from GET /version (the client part
// prints even when no daemon answers).
#include "engine/cli/commands/commands.h"

#include <sys/utsname.h>

#include "engine/cli/format.h"

namespace engine::cli {

namespace {

std::string field(const Json& object, const char* key)
{
    if (!object.is_object() || !object.contains(key))
        return "";
    return object[key].is_string() ? object[key].get<std::string>() : object[key].dump();
}

std::string line(const std::string& label, const std::string& value, int indent)
{
    std::string text(static_cast<size_t>(indent), ' ');
    text += label + ":";
    size_t column = 20;
    if (text.size() < column)
        text.append(column - text.size(), ' ');
    else
        text += ' ';
    return text + value + "\n";
}

} // namespace

void add_version_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto format = std::make_shared<std::string>();
    auto* command = parent.add_subcommand(name, "Show the glassbox version information");
    command->add_option("-f,--format", *format, "Format output using a Go template ({{.Server.Version}})");
    set_action(command, ctx, [&ctx, format]() -> Result<int> {
        utsname host {};
        ::uname(&host);
        Json client_info {
            { "Version", "0.1.0" }, { "ApiVersion", std::string(api::k_api_version) },
            { "Os", "linux" }, { "Arch", std::string(host.machine) == "x86_64" ? "amd64" : host.machine },
        };
        auto connected = ctx.client();
        Result<Json> server = connected.ok() ? connected.value()->version() : Result<Json>(connected.error());
        if (!format->empty()) {
            Json data { { "Client", client_info }, { "Server", server.ok() ? server.value() : Json(nullptr) } };
            print_out(TRY(render_template(*format, data)) + "\n");
            return server.ok() ? 0 : 1;
        }
        std::string out = "Client: glassbox\n";
        out += line("Version", field(client_info, "Version"), 1);
        out += line("API version", field(client_info, "ApiVersion"), 1);
        out += line("OS/Arch", "linux/" + field(client_info, "Arch"), 1);
        print_out(out);
        if (!server.ok())
            return fail(server.error(), 1);
        const Json& info = server.value();
        out = "\nServer: glassbox\n Engine:\n";
        out += line("Version", field(info, "Version"), 2);
        out += line("API version", field(info, "ApiVersion") + " (minimum version " + field(info, "MinAPIVersion") + ")", 2);
        out += line("OS/Arch", field(info, "Os") + "/" + field(info, "Arch"), 2);
        out += line("Kernel version", field(info, "KernelVersion"), 2);
        if (field(info, "GlassboxKernel") == "simulated")
            out += line("Kernel", "SIMULATED (" + field(info, "GlassboxSimulatedReason") + ")", 2);
        if (!field(info, "GitCommit").empty())
            out += line("Git commit", field(info, "GitCommit"), 2);
        if (info.contains("Components") && info["Components"].is_array())
            for (const auto& component : info["Components"]) {
                std::string component_name = field(component, "Name");
                if (component_name.empty() || component_name == "Engine")
                    continue;
                out += " " + component_name + ":\n";
                out += line("Version", field(component, "Version"), 2);
            }
        print_out(out);
        return 0;
    });
}

} // namespace engine::cli
