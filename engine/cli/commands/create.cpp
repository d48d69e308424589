// glassbox create [OPTIONS] IMAGE [COMMAND] [ARG...]: POST /containers/create, print the id.
// Also the shared create step of `run` (missing image -> pull attempt -> clear error).
#include "engine/cli/commands/commands.h"

#include <cstdio>

#include "engine/cli/format.h"
#include "engine/cli/session.h"

namespace engine::cli {

int for_each_target(const std::vector<std::string>& targets, const std::function<Result<void>(const std::string&)>& fn)
{
    int exit_code = 0;
    for (const auto& target : targets) {
        auto result = fn(target);
        if (!result.ok()) {
            print_error(result.error());
            exit_code = 1;
        }
    }
    return exit_code;
}

CLI::App* add_per_target_command(CLI::App& parent, Context& ctx, const std::string& name,
    const std::string& description, const std::string& noun,
    std::function<Result<void>(api::Client&, const std::string&)> fn, EchoTarget echo)
{
    auto targets = std::make_shared<std::vector<std::string>>();
    auto* command = parent.add_subcommand(name, description);
    command->add_option(noun, *targets, noun + "(s)")->required();
    set_action(command, ctx, [&ctx, targets, fn = std::move(fn), echo]() -> Result<int> {
        auto* client = TRY(ctx.client());
        return for_each_target(*targets, [&](const std::string& target) -> Result<void> {
            TRY(fn(*client, target));
            if (echo == EchoTarget::Yes)
                print_out(target + "\n");
            return Ok {};
        });
    });
    return command;
}

Result<Json> parse_key_values(const std::vector<std::string>& entries, const std::string& flag)
{
    Json out = Json::object();
    for (const auto& entry : entries) {
        auto eq = entry.find('=');
        if (entry.empty() || eq == 0)
            return Error::invalid("invalid " + flag + " \"" + entry + "\": expected KEY=VALUE");
        out[entry.substr(0, eq)] = eq == std::string::npos ? "" : entry.substr(eq + 1);
    }
    return out;
}

Result<std::string> create_from_flags(api::Client& client, const RunFlags& flags)
{
    auto body = TRY(build_create_body(flags));
    auto created = client.create_container(body, flags.name);
    if (created.ok() || created.error().kind() != ErrorKind::NotFound)
        return created;
    // A create answers 404 for more than a missing image (a network, a volume or a --network
    // container: it names), so the image itself is asked for: only its own NotFound means
    // there is something to pull.
    auto image = client.inspect_image(flags.image);
    if (image.ok() || image.error().kind() != ErrorKind::NotFound)
        return created;
    std::fprintf(stderr, "Unable to find image '%s' locally\n", flags.image.c_str());
    TRY(client.pull_image(flags.image, [](const Json& message) {
        if (message.contains("status") && message["status"].is_string())
            std::fprintf(stderr, "%s\n", message["status"].get<std::string>().c_str());
    }));
    return client.create_container(body, flags.name);
}

void add_create_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto flags = std::make_shared<RunFlags>();
    auto* command = parent.add_subcommand(name, "Create a new container");
    add_run_flags(*command, *flags, RunVerb::Create, FlagWords(ctx.command_words));
    set_action(command, ctx, [&ctx, flags]() -> Result<int> {
        auto* client = TRY(ctx.client());
        if (flags->tty) {
            auto [rows, cols] = terminal_size();
            flags->console_rows = rows;
            flags->console_cols = cols;
        }
        auto id = create_from_flags(*client, *flags);
        if (!id.ok())
            return fail(id.error(), 125);
        print_out(id.value() + "\n");
        return 0;
    });
}

} // namespace engine::cli
