// glassbox info [-f FORMAT]: GET /info, printed in docker's layout, plus glassbox's kernel
// probe (Glassbox.KernelFeatures: each feature found or missing, and why).
#include "engine/cli/commands/commands.h"

#include <cstdio>

#include "engine/base/strings.h"
#include "engine/cli/format.h"

namespace engine::cli {

namespace {

std::string text(const Json& object, const char* key)
{
    if (!object.is_object() || !object.contains(key) || object[key].is_null())
        return "";
    return go_value(object[key]);
}

std::string list(const Json& value)
{
    std::vector<std::string> items;
    if (value.is_array())
        for (const auto& item : value)
            items.push_back(go_value(item));
    return strings::join(items, " ");
}

} // namespace

// The human rendering of /info (also used by `system info`).
std::string render_info(const Json& info, const std::string& socket_path)
{
    std::string out;
    auto add = [&](int indent, const std::string& label, const std::string& value) {
        out += std::string(static_cast<size_t>(indent), ' ') + label + ":" + (value.empty() ? "" : " " + value) + "\n";
    };
    out += "Client: glassbox\n";
    add(1, "Version", "0.1.0");
    add(1, "Context", "unix://" + socket_path);
    add(1, "Debug Mode", "false");
    out += "\nServer:\n";
    add(1, "Containers", text(info, "Containers"));
    add(2, "Running", text(info, "ContainersRunning"));
    add(2, "Paused", text(info, "ContainersPaused"));
    add(2, "Stopped", text(info, "ContainersStopped"));
    add(1, "Images", text(info, "Images"));
    add(1, "Server Version", text(info, "ServerVersion"));
    add(1, "Storage Driver", text(info, "Driver"));
    if (info.contains("DriverStatus") && info["DriverStatus"].is_array())
        for (const auto& pair : info["DriverStatus"])
            if (pair.is_array() && pair.size() == 2)
                add(2, go_value(pair[0]), go_value(pair[1]));
    add(1, "Logging Driver", text(info, "LoggingDriver"));
    add(1, "Cgroup Driver", text(info, "CgroupDriver"));
    add(1, "Cgroup Version", text(info, "CgroupVersion"));
    if (info.contains("Plugins") && info["Plugins"].is_object()) {
        add(1, "Plugins", "");
        for (const char* kind : { "Volume", "Network", "Log" })
            if (info["Plugins"].contains(kind))
                add(2, kind, list(info["Plugins"][kind]));
    }
    if (info.contains("Runtimes") && info["Runtimes"].is_object()) {
        std::vector<std::string> names;
        for (const auto& [runtime, unused] : info["Runtimes"].items())
            names.push_back(runtime);
        add(1, "Runtimes", strings::join(names, " "));
    }
    add(1, "Default Runtime", text(info, "DefaultRuntime"));
    add(1, "Init Binary", text(info, "InitBinary"));
    if (info.contains("SecurityOptions") && info["SecurityOptions"].is_array()) {
        add(1, "Security Options", "");
        for (const auto& option : info["SecurityOptions"]) {
            // "name=seccomp,profile=default" -> "seccomp" / "Profile: default".
            auto fields = strings::split(go_value(option), ',');
            for (const auto& field : fields) {
                auto eq = field.find('=');
                if (eq == std::string::npos)
                    continue;
                std::string key = field.substr(0, eq);
                if (key == "name")
                    out += "  " + field.substr(eq + 1) + "\n";
                else if (!key.empty())
                    add(3, std::string(1, static_cast<char>(std::toupper(key[0]))) + key.substr(1), field.substr(eq + 1));
            }
        }
    }
    add(1, "Kernel Version", text(info, "KernelVersion"));
    // The simulated kernel is always named as such, with the reason (docs/simulated-kernel.md).
    if (info.contains("Glassbox") && info["Glassbox"].value("Kernel", "") == "simulated")
        add(1, "Kernel", "SIMULATED (" + info["Glassbox"].value("SimulatedReason", std::string()) + ")");
    add(1, "Operating System", text(info, "OperatingSystem"));
    add(1, "OSType", text(info, "OSType"));
    add(1, "Architecture", text(info, "Architecture"));
    add(1, "CPUs", text(info, "NCPU"));
    if (info.contains("MemTotal") && info["MemTotal"].is_number())
        add(1, "Total Memory", binary_size(info["MemTotal"].get<double>()));
    add(1, "Name", text(info, "Name"));
    add(1, "ID", text(info, "ID"));
    add(1, "Glassbox Root Dir", text(info, "DockerRootDir"));
    if (info.contains("Glassbox") && info["Glassbox"].is_object()) {
        const Json& own = info["Glassbox"];
        add(1, "Glassbox Run Root", text(own, "RunRoot"));
        add(1, "Cgroup Layout", text(own, "CgroupLayout"));
        if (!text(own, "CgroupV2Mount").empty())
            add(1, "Cgroup v2 Mount", text(own, "CgroupV2Mount"));
        if (own.contains("KernelFeatures") && own["KernelFeatures"].is_array()) {
            add(1, "Kernel Features", "");
            size_t width = 0;
            for (const auto& feature : own["KernelFeatures"])
                width = std::max(width, text(feature, "Name").size());
            for (const auto& feature : own["KernelFeatures"]) {
                std::string name = text(feature, "Name");
                bool available = feature.is_object() && feature.value("Available", false);
                std::string detail = text(feature, "Detail");
                std::string line = "  " + name + ":" + std::string(width - name.size() + 1, ' ')
                    + (available ? "found" : "MISSING");
                if (!detail.empty())
                    line += " (" + detail + ")";
                out += line + "\n";
            }
        }
    }
    add(1, "Live Restore Enabled", text(info, "LiveRestoreEnabled"));
    if (info.contains("Warnings") && info["Warnings"].is_array() && !info["Warnings"].empty()) {
        out += "\n";
        for (const auto& warning : info["Warnings"])
            out += go_value(warning) + "\n";
    }
    return out;
}

void add_info_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto format = std::make_shared<std::string>();
    auto* command = parent.add_subcommand(name, "Display system-wide information, including the kernel feature probe");
    command->add_option("-f,--format", *format, "Format output using a Go template");
    set_action(command, ctx, [&ctx, format]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto info = TRY(client->info());
        if (!format->empty()) {
            print_out(TRY(render_template(*format, info)) + "\n");
            return 0;
        }
        print_out(render_info(info, client->socket_path()));
        return 0;
    });
}

} // namespace engine::cli
