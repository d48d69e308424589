// glassbox build [-t TAG]... [-f FILE] [--build-arg K=V]... [--label K=V]... [--target T]
// [--no-cache] [-q] [--strict] CONTEXT: docker's legacy build as the CLI sends it. The context
// directory is packed into a tar here (files that .dockerignore excludes stay out, except the
// Dockerfile and .dockerignore themselves, which the daemon needs), POSTed to /build, and the
// daemon's JSON lines are printed as they arrive. At the end a lint summary counts the findings
// the builder reported (engine/build/lints.h). --strict runs the same lints here first and
// refuses to send anything when they find even a warning, so a strict build never makes an image
// the lints object to.
// With GLASSBOX_LESSON set (the lesson runner sets it), the image gets the label
// glassbox.lesson=<id>, so the lesson's reset can find it.
#include "engine/cli/commands/commands.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/build/dockerfile.h"
#include "engine/build/dockerignore.h"
#include "engine/build/lints.h"
#include "engine/cli/lesson_label.h"

namespace engine::cli {

namespace {

namespace stdfs = std::filesystem;

struct BuildArgs {
    std::vector<std::string> tags;
    std::string dockerfile;
    std::vector<std::string> build_args;
    std::vector<std::string> labels;
    std::string target;
    bool no_cache { false };
    bool quiet { false };
    bool strict { false };
    std::string context;
};

// Owns a libarchive writer and frees it on every path out.
struct ArchiveWriter {
    struct archive* handle { archive_write_new() };
    ~ArchiveWriter() { archive_write_free(handle); }
    ArchiveWriter() = default;
    ArchiveWriter(const ArchiveWriter&) = delete;
    ArchiveWriter& operator=(const ArchiveWriter&) = delete;

    [[nodiscard]] Error error(const std::string& what) const
    {
        const char* text = archive_error_string(handle);
        return Error::system(what + ": " + (text ? text : "libarchive error"));
    }
};

// Adds one file system object (not followed if it is a symlink) to the tar as `name`.
Result<void> add_entry(ArchiveWriter& writer, const std::string& path, const std::string& name)
{
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0)
        return Error::from_errno("stat " + path, errno);
    if (!S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode) && !S_ISLNK(info.st_mode))
        return Ok {}; // Sockets, fifos and devices have no place in a build context.
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_copy_stat(entry.get(), &info);
    archive_entry_set_pathname(entry.get(), name.c_str());
    // Owners are the client's, meaningless to the image: COPY gives root unless --chown says.
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    std::string target;
    if (S_ISLNK(info.st_mode)) {
        std::error_code error;
        target = stdfs::read_symlink(path, error).string();
        if (error)
            return Error::from_errno("readlink " + path, error.value());
        archive_entry_set_symlink(entry.get(), target.c_str());
        archive_entry_set_size(entry.get(), 0);
    }
    if (archive_write_header(writer.handle, entry.get()) != ARCHIVE_OK)
        return writer.error("tar header for " + name);
    if (!S_ISREG(info.st_mode))
        return Ok {};
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid())
        return Error::from_errno("open " + path, errno);
    char buffer[65536];
    for (;;) {
        ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got == 0)
            break;
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("read " + path, errno);
        }
        if (archive_write_data(writer.handle, buffer, static_cast<size_t>(got)) < 0)
            return writer.error("tar data for " + name);
    }
    return Ok {};
}

// Walks `dir` (context-relative `rel`, "" for the root) adding what .dockerignore keeps. An
// excluded directory is still walked when some '!' pattern might re-include a file below it.
Result<void> add_tree(ArchiveWriter& writer, const std::string& root, const std::string& rel,
    const build::DockerIgnore& ignore, const std::vector<std::string>& always)
{
    std::error_code error;
    std::vector<std::string> names;
    for (const auto& entry : stdfs::directory_iterator(root + (rel.empty() ? "" : "/" + rel), error))
        names.push_back(entry.path().filename().string());
    if (error)
        return Error::from_errno("read directory " + root + "/" + rel, error.value());
    std::sort(names.begin(), names.end()); // A stable order keeps the tar reproducible.
    for (const auto& name : names) {
        std::string child = rel.empty() ? name : rel + "/" + name;
        std::string path = root + "/" + child;
        bool kept = !ignore.excluded(child) || std::find(always.begin(), always.end(), child) != always.end();
        struct stat info {};
        if (::lstat(path.c_str(), &info) != 0)
            return Error::from_errno("stat " + path, errno);
        if (kept)
            TRY(add_entry(writer, path, child));
        if (S_ISDIR(info.st_mode) && (kept || ignore.has_exceptions()))
            TRY(add_tree(writer, root, child, ignore, always));
    }
    return Ok {};
}

// Packs the context into an anonymous memory file and returns it as a streamed body. A
// Dockerfile outside the context is added under a private name, as the docker CLI does; its
// name in the tar is stored in `dockerfile_name`.
Result<api::RequestBody> pack_context(const BuildArgs& args, std::shared_ptr<UniqueFd>& holder,
    std::string& dockerfile_name)
{
    std::error_code error;
    auto root = stdfs::canonical(args.context, error);
    if (error || !stdfs::is_directory(root))
        return Error::invalid("unable to prepare context: path \"" + args.context + "\" not found or not a directory");

    // Where the Dockerfile is: -f relative to the current directory (docker's rule), else
    // CONTEXT/Dockerfile.
    std::string dockerfile_path = args.dockerfile.empty() ? (root / "Dockerfile").string() : args.dockerfile;
    auto dockerfile_abs = stdfs::weakly_canonical(dockerfile_path, error);
    if (error || !stdfs::is_regular_file(dockerfile_abs))
        return Error::invalid("unable to prepare context: cannot read Dockerfile " + dockerfile_path);
    auto relative = dockerfile_abs.lexically_relative(root).string();
    bool inside = !relative.empty() && !strings::starts_with(relative, "..");
    dockerfile_name = inside ? relative : ".dockerfile." + strings::random_hex_id(12);

    build::DockerIgnore ignore;
    if (stdfs::exists(root / ".dockerignore"))
        ignore = TRY(build::DockerIgnore::parse(TRY(fs::read_file((root / ".dockerignore").string()))));

    holder = std::make_shared<UniqueFd>(::memfd_create("glassbox-build-context", MFD_CLOEXEC));
    if (!holder->valid())
        return Error::from_errno("memfd_create", errno);
    {
        ArchiveWriter writer;
        if (archive_write_set_format_pax_restricted(writer.handle) != ARCHIVE_OK
            || archive_write_open_fd(writer.handle, holder->get()) != ARCHIVE_OK)
            return writer.error("start the context tar");
        TRY(add_tree(writer, root.string(), "", ignore, { ".dockerignore", dockerfile_name }));
        if (!inside)
            TRY(add_entry(writer, dockerfile_abs.string(), dockerfile_name));
        if (archive_write_close(writer.handle) != ARCHIVE_OK)
            return writer.error("finish the context tar");
    }
    struct stat info {};
    if (::fstat(holder->get(), &info) != 0)
        return Error::from_errno("stat the context tar", errno);
    if (::lseek(holder->get(), 0, SEEK_SET) != 0)
        return Error::from_errno("rewind the context tar", errno);

    api::RequestBody body;
    body.content_type = "application/x-tar";
    body.length = static_cast<std::uint64_t>(info.st_size);
    int fd = holder->get();
    body.source = [fd](char* buffer, size_t capacity) -> Result<size_t> {
        for (;;) {
            ssize_t got = ::read(fd, buffer, capacity);
            if (got >= 0)
                return static_cast<size_t>(got);
            if (errno != EINTR)
                return Error::from_errno("read the context tar", errno);
        }
    };
    return body;
}

// The findings the builder printed, counted from its "file:line:col: error [rule]:" lines.
struct LintCount {
    int errors { 0 };
    int warnings { 0 };

    void scan(std::string_view text)
    {
        for (auto line : strings::split(std::string(text), '\n')) {
            if (line.find(": error [") != std::string::npos)
                ++errors;
            else if (line.find(": warning [") != std::string::npos)
                ++warnings;
        }
    }
};

// --strict: lints the Dockerfile before anything is sent, with the builder's own rules; any
// finding (warning or error) stops the build.
Result<void> strict_lint(const BuildArgs& args, const Json& build_args)
{
    std::string path = args.dockerfile.empty() ? args.context + "/Dockerfile" : args.dockerfile;
    auto text = TRY(fs::read_file(path));
    auto dockerfile = TRY(build::parse_dockerfile(text, args.dockerfile.empty() ? "Dockerfile" : args.dockerfile));
    build::LintOptions options;
    // `# check=skip=...` silences rules here too.
    options.check = TRY(build::parse_check_directive(text, args.dockerfile.empty() ? "Dockerfile" : args.dockerfile));
    for (const auto& [key, value] : build_args.items())
        if (value.is_string())
            options.build_args[key] = value.get<std::string>();
    auto findings = build::lint_dockerfile(dockerfile, options);
    if (findings.empty())
        return Ok {};
    for (const auto& finding : findings)
        write_fd(STDERR_FILENO, finding.format());
    return Error::invalid("--strict: the Dockerfile has " + std::to_string(findings.size())
        + " lint finding(s) (see above); nothing was built");
}

Result<int> run_build(Context& ctx, const BuildArgs& args)
{
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& tag : args.tags)
        params.emplace_back("t", tag);
    auto build_args = TRY(parse_key_values(args.build_args, "--build-arg"));
    // "--build-arg NAME" takes NAME's value from the environment, as docker does (unset: null).
    for (const auto& entry : args.build_args) {
        if (entry.find('=') != std::string::npos)
            continue;
        const char* value = std::getenv(entry.c_str());
        build_args[entry] = value ? Json(value) : Json(nullptr);
    }
    if (args.strict)
        TRY(strict_lint(args, build_args));
    auto labels = TRY(parse_key_values(args.labels, "--label"));
    add_lesson_label(labels);

    std::shared_ptr<UniqueFd> holder;
    std::string dockerfile_name;
    auto body = TRY(pack_context(args, holder, dockerfile_name));
    params.emplace_back("dockerfile", dockerfile_name);
    if (!build_args.empty())
        params.emplace_back("buildargs", build_args.dump());
    if (!labels.empty())
        params.emplace_back("labels", labels.dump());
    if (!args.target.empty())
        params.emplace_back("target", args.target);
    if (args.no_cache)
        params.emplace_back("nocache", "1");
    if (args.quiet)
        params.emplace_back("q", "1");
    params.emplace_back("rm", "1");

    auto* client = TRY(ctx.client());
    LintCount lints;
    std::string image_id;
    auto streamed = client->stream_json_lines("POST", api::Client::versioned("/build" + api::query_string(params)), body,
        [&](const Json& message) {
            if (!message.is_object())
                return;
            if (message.contains("stream") && message["stream"].is_string()) {
                auto text = message["stream"].get<std::string>();
                lints.scan(text);
                if (!args.quiet)
                    print_out(text);
            }
            if (message.contains("aux") && message["aux"].is_object() && message["aux"].contains("ID"))
                image_id = message["aux"]["ID"].get<std::string>();
        });
    auto summary = "Lint: " + std::to_string(lints.errors) + " error(s), " + std::to_string(lints.warnings)
        + " warning(s)\n";
    if (!streamed.ok()) {
        write_fd(STDERR_FILENO, summary);
        return streamed.error();
    }
    if (args.quiet)
        print_out(image_id + "\n");
    else
        print_out(summary);
    return 0;
}

} // namespace

void add_build_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto args = std::make_shared<BuildArgs>();
    auto* command = parent.add_subcommand(name, "Build an image from a Dockerfile");
    command->add_option("-t,--tag", args->tags, "Name and optionally a tag in the 'name:tag' format")->allow_extra_args(false);
    command->add_option("-f,--file", args->dockerfile, "Name of the Dockerfile (default: 'CONTEXT/Dockerfile')");
    command->add_option("--build-arg", args->build_args, "Set build-time variables")->allow_extra_args(false);
    command->add_option("--label", args->labels, "Set metadata for an image")->allow_extra_args(false);
    command->add_option("--target", args->target, "Set the target build stage to build");
    command->add_flag("--no-cache", args->no_cache, "Do not use cache when building the image");
    command->add_flag("-q,--quiet", args->quiet, "Suppress the build output and print image ID on success");
    command->add_flag("--strict", args->strict, "Refuse to build when the Dockerfile has any lint finding, warnings included");
    command->add_option("CONTEXT", args->context, "Build context directory")->required();
    set_action(command, ctx, [&ctx, args]() { return run_build(ctx, *args); });
}

} // namespace engine::cli
