// glassbox save [-o FILE] [--format docker|oci] IMAGE...: GET /images/get?names=..., the tar
// streamed to the file (written to FILE.tmp, then renamed) or to stdout.
#include "engine/cli/commands/commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace engine::cli {

void add_save_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::string output;
        std::string format;
        std::vector<std::string> images;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Save one or more images to a tar archive (streamed to STDOUT by default)");
    command->add_option("-o,--output", args->output, "Write to a file, instead of STDOUT");
    command->add_option("--format", args->format, "Archive layout: docker (default) or oci")->check(CLI::IsMember({ "docker", "oci" }));
    command->add_option("IMAGE", args->images, "Images to save")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        return write_tar_output(args->output,
            [&](const api::DataSink& sink) { return client->save_images(args->images, args->format, sink); });
    });
}

} // namespace engine::cli
