// glassbox cp [-a] [-L] SRC DST, as docker cp: CONTAINER:PATH to a local path or "-" (a tar on
// stdout), or a local path or "-" (a tar on stdin) to CONTAINER:PATH. The daemon's side is
// HEAD/GET/PUT /containers/{id}/archive; the local tars are written and unpacked by the image
// layer code (engine/image/layer.h), so an archive from a container cannot write outside the
// local destination either.
#include "engine/cli/commands/commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/image/layer.h"

namespace engine::cli {

namespace {

struct Spec {
    std::string container; // "" for a local path.
    std::string path;
};

// "name:path" names a container path unless the text before ':' holds a '/' (a local path).
Spec parse_spec(const std::string& text)
{
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0 || text.substr(0, colon).find('/') != std::string::npos)
        return { "", text };
    return { text.substr(0, colon), text.substr(colon + 1) };
}

std::string base_of(const std::string& path)
{
    auto trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/')
        trimmed.pop_back();
    auto slash = trimmed.rfind('/');
    return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

std::string dir_of(const std::string& path)
{
    auto trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/')
        trimmed.pop_back();
    auto slash = trimmed.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : trimmed.substr(0, slash);
}

bool copies_contents(const std::string& path) { return path == "." || strings::ends_with(path, "/."); }

// A temporary file in `dir`, removed when this goes out of scope.
struct TempTar {
    std::string path;
    explicit TempTar(const std::string& dir)
        : path(dir + "/.glassbox-cp-" + strings::random_hex_id(8) + ".tar")
    {
    }
    ~TempTar() { ::unlink(path.c_str()); }
    TempTar(const TempTar&) = delete;
    TempTar& operator=(const TempTar&) = delete;
};

Result<void> fd_to_file(int in, const std::string& path)
{
    UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out.valid())
        return Error::from_errno("create " + path, errno);
    char buffer[65536];
    for (;;) {
        auto n = ::read(in, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_errno("read stdin", errno);
        if (n == 0)
            return Ok {};
        if (!write_fd(out.get(), std::string_view(buffer, static_cast<size_t>(n))))
            return Error::from_errno("write " + path, errno);
    }
}

Result<api::RequestBody> file_body(const std::string& path, std::shared_ptr<UniqueFd>& holder)
{
    holder = std::make_shared<UniqueFd>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!holder->valid())
        return Error::from_errno("open " + path, errno);
    struct stat st { };
    ::fstat(holder->get(), &st);
    api::RequestBody body;
    body.content_type = "application/x-tar";
    body.length = static_cast<std::uint64_t>(st.st_size);
    int fd = holder->get();
    body.source = [fd](char* buffer, size_t capacity) -> Result<size_t> {
        auto n = ::read(fd, buffer, capacity);
        if (n < 0)
            return Error::from_errno("read archive", errno);
        return static_cast<size_t>(n);
    };
    return body;
}

// CONTAINER:SRC -> local DST (or "-").
Result<int> copy_from(api::Client& client, const Spec& src, const std::string& dst, bool follow)
{
    auto path = src.path;
    if (follow) {
        auto stat = TRY(client.stat_container_path(src.container, path));
        if (stat.value("linkTarget", "") != "")
            path = stat["linkTarget"].get<std::string>();
    }
    if (dst == "-") {
        bool failed = false;
        TRY(client.get_archive(src.container, path, [&](std::string_view data) {
            failed = !write_fd(STDOUT_FILENO, data);
            return !failed;
        }));
        return failed ? 1 : 0;
    }
    struct stat dst_st { };
    bool dst_exists = ::stat(dst.c_str(), &dst_st) == 0;
    bool dst_is_dir = dst_exists && S_ISDIR(dst_st.st_mode);
    auto work_dir = dst_is_dir ? dst : dir_of(dst);
    TempTar tar(work_dir);
    UniqueFd out(::open(tar.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out.valid())
        return Error::from_errno("create " + tar.path, errno);
    bool failed = false;
    TRY(client.get_archive(src.container, path, [&](std::string_view data) {
        failed = !write_fd(out.get(), data);
        return !failed;
    }));
    out.reset();
    if (failed)
        return Error::from_errno("write " + tar.path, errno);
    image::UnpackOptions options;
    options.whiteouts = false;
    if (dst_is_dir && !copies_contents(path)) {
        TRY(image::unpack_layer(tar.path, dst, options));
        return 0;
    }
    if (copies_contents(path)) {
        TRY(fs::make_dirs(dst, 0755));
        TRY(image::unpack_layer(tar.path, dst, options));
        return 0;
    }
    // A new name: unpack beside the destination, then rename the one top entry onto it.
    auto staging = work_dir + "/.glassbox-cp-" + strings::random_hex_id(8);
    TRY(fs::make_dirs(staging, 0700));
    auto unpacked = image::unpack_layer(tar.path, staging, options);
    auto from = staging + "/" + base_of(path);
    int renamed = unpacked.ok() ? ::rename(from.c_str(), dst.c_str()) : 0;
    int rename_errno = errno;
    (void)fs::remove_tree(staging);
    TRY(std::move(unpacked));
    if (renamed != 0)
        return Error::from_errno("rename to " + dst, rename_errno);
    return 0;
}

// Local SRC (or "-") -> CONTAINER:DST.
Result<int> copy_to(api::Client& client, const std::string& src, const Spec& dst, bool follow, bool archive_mode)
{
    auto tmp = std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp");
    TempTar tar(tmp);
    std::string target = dst.path;
    if (src == "-") {
        TRY(fd_to_file(STDIN_FILENO, tar.path));
    } else {
        std::string source = src;
        if (follow) {
            char resolved[PATH_MAX];
            if (::realpath(src.c_str(), resolved) == nullptr)
                return Error::from_errno("lstat " + src, errno);
            source = resolved;
        }
        struct stat st { };
        if (::lstat(source.c_str(), &st) != 0)
            return Error::from_errno("lstat " + src, errno);
        // Where it goes: into DST when DST is a directory, else as DST's last element in its parent.
        std::string archive_name = copies_contents(src) ? "." : base_of(source);
        auto stat = client.stat_container_path(dst.container, dst.path);
        bool into_dir = stat.ok() && (stat.value().value("mode", 0u) & (1u << 31)) != 0;
        if (!stat.ok() && stat.error().kind() != ErrorKind::NotFound)
            return stat.release_error();
        if (!into_dir) {
            if (stat.ok() && S_ISDIR(st.st_mode))
                return Error::invalid("cannot copy a directory to a file: " + dst.path);
            archive_name = base_of(dst.path);
            target = dir_of(dst.path);
        }
        auto parent = dir_of(source);
        UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!parent_fd.valid())
            return Error::from_errno("open " + parent, errno);
        TRY(image::write_tree_tar(parent_fd.get(), base_of(source), archive_name, tar.path));
    }
    std::shared_ptr<UniqueFd> holder;
    auto body = TRY(file_body(tar.path, holder));
    TRY(client.put_archive(dst.container, target, body, archive_mode));
    return 0;
}

} // namespace

void add_cp_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        bool archive { false };
        bool follow { false };
        std::string src;
        std::string dst;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Copy files/folders between a container and the local filesystem");
    command->add_flag("-a,--archive", args->archive, "Archive mode (copy all uid/gid information)");
    command->add_flag("-L,--follow-link", args->follow, "Always follow symbol link in SRC_PATH");
    command->add_option("SRC", args->src, "CONTAINER:SRC_PATH, a local path or - (a tar on stdin)")->required();
    command->add_option("DST", args->dst, "CONTAINER:DEST_PATH, a local path or - (a tar on stdout)")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto src = parse_spec(args->src);
        auto dst = parse_spec(args->dst);
        if (!src.container.empty() == !dst.container.empty())
            return Error::invalid("copying between containers is not supported" + std::string(src.container.empty()
                ? "; must specify at least one container source" : ""));
        auto* client = TRY(ctx.client());
        if (!src.container.empty())
            return copy_from(*client, src, args->dst, args->follow);
        return copy_to(*client, args->src, dst, args->follow, args->archive);
    });
}

} // namespace engine::cli
