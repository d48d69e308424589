// glassbox tag SOURCE TARGET: POST /images/{source}/tag?repo=&tag= (tag defaults to latest).
#include "engine/cli/commands/commands.h"
#include "engine/image/reference.h"

namespace engine::cli {

void add_tag_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto args = std::make_shared<std::pair<std::string, std::string>>();
    auto* command = parent.add_subcommand(name, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
    command->add_option("SOURCE_IMAGE", args->first, "Source image[:tag]")->required();
    command->add_option("TARGET_IMAGE", args->second, "Target image[:tag]")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        const std::string& target = args->second;
        auto [repo, tag] = image::split_repo_tag(target);
        if (repo.empty() || target.back() == ':')
            return Error::invalid("invalid reference format: " + target);
        if (tag.empty())
            tag = "latest";
        auto* client = TRY(ctx.client());
        TRY(client->tag_image(args->first, repo, tag));
        return 0;
    });
}

} // namespace engine::cli
