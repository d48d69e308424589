// glassbox tag SOURCE TARGET: POST /images/{source}/tag?repo=&tag= (tag defaults to latest).
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_tag_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto args = std::make_shared<std::pair<std::string, std::string>>();
    auto* command = parent.add_subcommand(name, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
    command->add_option("SOURCE_IMAGE", args->first, "Source image[:tag]")->required();
    command->add_option("TARGET_IMAGE", args->second, "Target image[:tag]")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        const std::string& target = args->second;
        std::string repo = target;
        std::string tag = "latest";
        auto slash = target.rfind('/');
        auto colon = target.rfind(':');
        if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
            repo = target.substr(0, colon);
            tag = target.substr(colon + 1);
        }
        if (repo.empty() || tag.empty())
            return Error::invalid("invalid reference format: " + target);
        auto* client = TRY(ctx.client());
        TRY(client->tag_image(args->first, repo, tag));
        return 0;
    });
}

} // namespace engine::cli
