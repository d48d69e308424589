// glassbox commit [-a AUTHOR] [-c CHANGE]... [-m MESSAGE] [-p=false] CONTAINER [REPO[:TAG]]:
// POST /commit; prints the new image id.
#include "engine/cli/commands/commands.h"
#include "engine/image/reference.h"

namespace engine::cli {

void add_commit_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::string author;
        std::vector<std::string> changes;
        std::string message;
        bool pause { true };
        std::string container;
        std::string reference;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Create a new image from a container's changes");
    command->add_option("-a,--author", args->author, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
    // One instruction per -c, so the positional CONTAINER after it is not taken as a second one.
    command->add_option("-c,--change", args->changes, "Apply Dockerfile instruction to the created image")->allow_extra_args(false);
    command->add_option("-m,--message", args->message, "Commit message");
    command->add_flag("-p,--pause,!--no-pause", args->pause, "Pause container during commit (default true)");
    command->add_option("CONTAINER", args->container, "Container")->required();
    command->add_option("REPOSITORY", args->reference, "REPOSITORY[:TAG]");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto [repo, tag] = image::split_repo_tag(args->reference);
        auto* client = TRY(ctx.client());
        auto id = TRY(client->commit_container(args->container, repo, tag, args->message, args->author, args->changes, args->pause));
        print_out(id + "\n");
        return 0;
    });
}

} // namespace engine::cli
