// glassbox import [-c CHANGE] [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]: uploads a rootfs tar to
// POST /images/create?fromSrc=-&repo=&tag=&changes=... and prints the new image id.
#include "engine/cli/commands/commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/base/strings.h"
#include "engine/image/reference.h"

namespace engine::cli {

Result<api::RequestBody> tar_body_from(const std::string& path, std::shared_ptr<UniqueFd>& holder)
{
    api::RequestBody body;
    body.content_type = "application/x-tar";
    if (path == "-") {
        if (::isatty(STDIN_FILENO))
            return Error::invalid("refusing to read a tar archive from a terminal: pipe one in or name a file");
        holder = std::make_shared<UniqueFd>(::dup(STDIN_FILENO));
    } else {
        holder = std::make_shared<UniqueFd>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!holder->valid())
            return Error::from_errno("open " + path, errno);
        struct stat info {};
        if (::fstat(holder->get(), &info) != 0)
            return Error::from_errno("stat " + path, errno);
        if (!S_ISREG(info.st_mode))
            return Error::invalid(path + " is not a regular file");
        body.length = static_cast<std::uint64_t>(info.st_size);
    }
    int fd = holder->get();
    body.source = [fd, path](char* buffer, size_t capacity) -> Result<size_t> {
        for (;;) {
            ssize_t got = ::read(fd, buffer, capacity);
            if (got >= 0)
                return static_cast<size_t>(got);
            if (errno != EINTR)
                return Error::from_errno("read " + (path == "-" ? std::string("stdin") : path), errno);
        }
    };
    return body;
}

void add_import_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::vector<std::string> changes;
        std::string message;
        std::string source;
        std::string reference;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Import the contents from a tarball to create a filesystem image");
    command->add_option("-c,--change", args->changes, "Apply Dockerfile instruction to the created image")->allow_extra_args(false);
    command->add_option("-m,--message", args->message, "Set commit message for imported image");
    command->add_option("FILE", args->source, "Tar archive (or - for stdin)")->required();
    command->add_option("REPOSITORY", args->reference, "Repository[:tag] for the new image");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        if (strings::starts_with(args->source, "http://") || strings::starts_with(args->source, "https://"))
            return Error::unsupported("importing from a URL is not supported (glassbox works offline): download the file and import it");
        auto [repo, tag] = image::split_repo_tag(args->reference);
        std::shared_ptr<UniqueFd> holder;
        auto body = TRY(tar_body_from(args->source, holder));
        auto* client = TRY(ctx.client());
        auto id = TRY(client->import_image(body, repo, tag, args->changes, args->message));
        print_out(id + "\n");
        return 0;
    });
}

} // namespace engine::cli
