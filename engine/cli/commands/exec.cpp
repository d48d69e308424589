// glassbox exec [-i] [-t] [-d] [-e K=V] [-u USER] [-w DIR] CONTAINER CMD...: the docker CLI's
// sequence (README §3.6): inspect (existence), POST /containers/{id}/exec, then
// POST /exec/{id}/start hijacked (or a plain POST with -d), then GET /exec/{id}/json for the
// exit code.
#include "engine/cli/commands/commands.h"

#include <optional>

#include "engine/cli/session.h"

namespace engine::cli {

void add_exec_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        bool interactive { false };
        bool tty { false };
        bool detach { false };
        bool privileged { false };
        std::vector<std::string> env;
        std::string user;
        std::string workdir;
        std::string container;
        std::vector<std::string> command;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Execute a command in a running container");
    command->add_flag("-i,--interactive", args->interactive, "Keep STDIN open even if not attached");
    command->add_flag("-t,--tty", args->tty, "Allocate a pseudo-TTY");
    command->add_flag("-d,--detach", args->detach, "Detached mode: run command in the background");
    command->add_flag("--privileged", args->privileged, "Give extended privileges to the command");
    command->add_option("-e,--env", args->env, "Set environment variables")->allow_extra_args(false);
    command->add_option("-u,--user", args->user, "Username or UID (format: <name|uid>[:<group|gid>])");
    command->add_option("-w,--workdir", args->workdir, "Working directory inside the container");
    command->add_option("CONTAINER", args->container, "Container")->required();
    command->add_option("COMMAND", args->command, "Command and arguments")->required();
    command->positionals_at_end();
    command->prefix_command();
    reject_unknown_flags(*command);
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        TRY(client->inspect_container(args->container));
        bool attach = !args->detach;
        Json body {
            { "User", args->user }, { "Privileged", args->privileged }, { "Tty", args->tty },
            { "AttachStdin", attach && args->interactive }, { "AttachStderr", attach }, { "AttachStdout", attach },
            { "Detach", args->detach }, { "DetachKeys", "" },
            { "Env", args->env.empty() ? Json(nullptr) : Json(args->env) },
            { "WorkingDir", args->workdir }, { "Cmd", args->command },
        };
        if (args->tty) {
            auto [rows, cols] = terminal_size();
            if (rows > 0)
                body["ConsoleSize"] = Json::array({ rows, cols });
        }
        auto exec_id = TRY(client->create_exec(args->container, body));
        if (args->detach) {
            TRY(client->start_exec_detached(exec_id));
            return 0;
        }
        auto stream = TRY(client->start_exec_attached(exec_id, args->tty));
        std::optional<RawTerminal> raw;
        if (args->tty && args->interactive)
            raw.emplace();
        SignalProxy proxy({
            .forward = {},
            .resize = args->tty ? std::function<void()>([client, exec_id] {
                auto [rows, cols] = terminal_size();
                if (rows > 0)
                    (void)client->resize_exec(exec_id, rows, cols);
            })
                                : std::function<void()>(),
        });
        if (args->tty) {
            auto [rows, cols] = terminal_size();
            if (rows > 0)
                (void)client->resize_exec(exec_id, rows, cols);
        }
        auto pumped = pump_stream(stream, { .tty = args->tty, .send_stdin = args->interactive });
        if (raw)
            raw->restore();
        TRY(std::move(pumped));
        auto inspected = TRY(client->inspect_exec(exec_id));
        if (!inspected.contains("ExitCode") || !inspected["ExitCode"].is_number())
            return 0;
        auto code = inspected["ExitCode"].get<std::int64_t>();
        return static_cast<int>(code < 0 || code > 255 ? 126 : code);
    });
}

} // namespace engine::cli
