// glassbox export [-o FILE] CONTAINER: GET /containers/{id}/export, the root filesystem's tar
// streamed to FILE (written to FILE.tmp, then renamed) or to stdout.
#include "engine/cli/commands/commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace engine::cli {

void add_export_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::string output;
        std::string container;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Export a container's filesystem as a tar archive");
    command->add_option("-o,--output", args->output, "Write to a file, instead of STDOUT");
    command->add_option("CONTAINER", args->container, "Container")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        return write_tar_output(args->output, [&](const api::DataSink& sink) { return client->export_container(args->container, sink); });
    });
}

Result<int> write_tar_output(const std::string& output, const std::function<Result<void>(const api::DataSink&)>& fetch)
{
    int fd = STDOUT_FILENO;
    UniqueFd file;
    std::string temp;
    if (!output.empty()) {
        temp = output + ".tmp";
        file.reset(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!file.valid())
            return Error::from_errno("open " + temp, errno);
        fd = file.get();
    } else if (::isatty(STDOUT_FILENO)) {
        return Error::invalid("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    bool write_failed = false;
    auto fetched = fetch([&](std::string_view data) {
        write_failed = !write_fd(fd, data);
        return !write_failed;
    });
    if (!fetched.ok() || write_failed) {
        int saved_errno = errno;
        if (!temp.empty())
            ::unlink(temp.c_str());
        if (!fetched.ok())
            return fetched.release_error();
        return Error::from_errno("write " + (output.empty() ? std::string("stdout") : output), saved_errno);
    }
    if (!temp.empty()) {
        file.reset();
        if (::rename(temp.c_str(), output.c_str()) != 0)
            return Error::from_errno("rename " + temp + " to " + output, errno);
    }
    return 0;
}

} // namespace engine::cli
