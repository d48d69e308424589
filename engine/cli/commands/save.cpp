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
        int fd = STDOUT_FILENO;
        UniqueFd file;
        std::string temp;
        if (!args->output.empty()) {
            temp = args->output + ".tmp";
            file.reset(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
            if (!file.valid())
                return Error::from_errno("open " + temp, errno);
            fd = file.get();
        } else if (::isatty(STDOUT_FILENO)) {
            return Error::invalid("cowardly refusing to save to a terminal. Use the -o flag or redirect");
        }
        auto* client = TRY(ctx.client());
        bool write_failed = false;
        auto saved = client->save_images(args->images, args->format, [&](std::string_view data) {
            if (!write_fd(fd, data)) {
                write_failed = true;
                return false;
            }
            return true;
        });
        if (!saved.ok() || write_failed) {
            int saved_errno = errno;
            if (!temp.empty())
                ::unlink(temp.c_str());
            if (!saved.ok())
                return saved.release_error();
            return Error::from_errno("write " + (args->output.empty() ? std::string("stdout") : args->output), saved_errno);
        }
        if (!temp.empty()) {
            file.reset();
            if (::rename(temp.c_str(), args->output.c_str()) != 0)
                return Error::from_errno("rename " + temp + " to " + args->output, errno);
        }
        return 0;
    });
}

} // namespace engine::cli
