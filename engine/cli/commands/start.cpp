// glassbox start [-a] [-i] CONTAINER...: POST /containers/{id}/start. With -a, the docker CLI
// order: inspect (for Tty/OpenStdin), attach, wait?condition=next-exit, start, pump, exit code.
// Also attach_and_wait(), which `attach` shares.
#include "engine/cli/commands/commands.h"

#include <optional>

#include "engine/cli/session.h"

namespace engine::cli {

Result<int> attach_and_wait(api::Client& client, const std::string& target, bool interactive,
    const std::function<Result<void>()>& start)
{
    auto info = TRY(client.inspect_container(target));
    std::string id = info.value("Id", target);
    const Json& config = info.contains("Config") && info["Config"].is_object() ? info["Config"] : Json::object();
    bool tty = config.value("Tty", false);
    bool with_stdin = interactive && config.value("OpenStdin", false);

    auto stream = TRY(client.attach_container(id, with_stdin));
    auto wait = TRY(client.begin_wait(id, "next-exit"));
    std::optional<RawTerminal> raw;
    if (tty && with_stdin)
        raw.emplace();
    api::Client* proxy_client = &client;
    SignalProxy proxy({
        .forward = tty ? std::function<void(const std::string&)>()
                       : [proxy_client, id](const std::string& signal) { (void)proxy_client->kill_container(id, signal); },
        .resize = tty ? std::function<void()>([proxy_client, id] {
            auto [rows, cols] = terminal_size();
            if (rows > 0)
                (void)proxy_client->resize_container(id, rows, cols);
        })
                      : std::function<void()>(),
    });
    if (start) {
        auto started = start();
        if (!started.ok()) {
            if (raw)
                raw->restore();
            stream.close();
            return started.release_error();
        }
    }
    if (tty) {
        auto [rows, cols] = terminal_size();
        if (rows > 0)
            (void)client.resize_container(id, rows, cols);
    }
    auto pumped = pump_stream(stream, { .tty = tty, .send_stdin = with_stdin });
    auto status = api::Client::finish_wait(wait);
    if (raw)
        raw->restore();
    TRY(std::move(pumped));
    auto result = TRY(std::move(status));
    return static_cast<int>(result.status_code < 0 || result.status_code > 255 ? 125 : result.status_code);
}

void add_start_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        bool attach { false };
        bool interactive { false };
        std::vector<std::string> containers;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Start one or more stopped containers");
    command->add_flag("-a,--attach", args->attach, "Attach STDOUT/STDERR and forward signals");
    command->add_flag("-i,--interactive", args->interactive, "Attach container's STDIN");
    command->add_option("CONTAINER", args->containers, "Containers to start")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        if (args->attach || args->interactive) {
            if (args->containers.size() != 1)
                return Error::invalid("you cannot start and attach multiple containers at once");
            const auto& target = args->containers[0];
            auto code = attach_and_wait(*client, target, args->interactive,
                [client, &target]() { return client->start_container(target); });
            if (!code.ok())
                return fail(code.error(), start_failure_exit_code(code.error()));
            return code.value();
        }
        return for_each_target(args->containers, [client](const std::string& target) -> Result<void> {
            TRY(client->start_container(target));
            print_out(target + "\n");
            return Ok {};
        });
    });
}

void add_attach_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        bool no_stdin { false };
        std::string container;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Attach local standard input, output, and error streams to a running container");
    command->add_flag("--no-stdin", args->no_stdin, "Do not attach STDIN");
    command->add_option("CONTAINER", args->container, "Container")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto info = TRY(client->inspect_container(args->container));
        if (!info.contains("State") || !info["State"].value("Running", false))
            return Error::conflict("You cannot attach to a stopped container, start it first");
        return attach_and_wait(*client, args->container, !args->no_stdin, nullptr);
    });
}

} // namespace engine::cli
