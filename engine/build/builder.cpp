// The builder's orchestration: one function per instruction kind, over a per-stage state
// (current image, config, declared ARGs, SHELL). See builder.h for the model.
#include "engine/build/builder.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>

#include "engine/base/fd.h"
#include "engine/base/fs.h"
#include "engine/base/sha256.h"
#include "engine/base/strings.h"
#include "engine/build/copy.h"
#include "engine/build/dockerfile.h"
#include "engine/build/dockerignore.h"
#include "engine/image/layer.h"
#include "engine/runtime/cgroup.h"
#include "engine/runtime/container_spec.h"
#include "engine/runtime/runtime.h"
#include "engine/runtime/seccomp.h"
#include "engine/runtime/user.h"

namespace engine::build {

namespace {

// Build args Docker accepts without an ARG instruction (proxies); they never enter history.
const std::set<std::string>& predefined_args()
{
    static const std::set<std::string> names = { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
        "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy" };
    return names;
}

std::string short_id(const std::string& id)
{
    std::string hex = strings::starts_with(id, "sha256:") ? id.substr(7) : id;
    return hex.substr(0, 12);
}

std::string format_seconds(std::chrono::steady_clock::duration elapsed)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3fs", std::chrono::duration<double>(elapsed).count());
    return text;
}

std::string json_words(const std::vector<std::string>& words)
{
    // History writes exec forms as ["a" "b"], the way Docker prints them.
    std::string out = "[";
    for (size_t i = 0; i < words.size(); ++i) {
        if (i > 0)
            out += " ";
        out += nlohmann::json(words[i]).dump();
    }
    return out + "]";
}

constexpr const char* default_path_env = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The image config's "config" object with Docker's keys present (null where Docker writes it).
image::ContainerDefaults default_container_config()
{
    image::ContainerDefaults config;
    config.env = std::vector<std::string> { default_path_env };
    config.working_dir = "";
    config.user = "";
    for (const char* key : { "Cmd", "Entrypoint", "Labels" })
        config.set_null(key);
    return config;
}

struct Stage {
    std::string name;                          // Lower case alias, "" if none.
    int index { 0 };
    std::optional<image::ImageRecord> image;   // nullopt while FROM scratch has no commit yet.
    image::ImageConfig config;                 // The whole image config (config, history, ...).
    std::vector<std::pair<std::string, std::string>> args; // Declared ARGs with a value, in order.
    std::vector<std::string> shell { "/bin/sh", "-c" };
};

// Removes a step's scratch directory when the step ends, however it ends.
struct ScratchDir {
    std::string path;
    ~ScratchDir()
    {
        if (!path.empty())
            (void)fs::remove_tree(path);
    }
};

// Everything left to read from `fd` (a file opened inside the context or an image root).
// A read error ends the text early, as the callers only look for what is there.
std::string read_all(int fd)
{
    std::string text;
    (void)fs::read_chunks(fd, "build file", [&text](std::string_view chunk) { text.append(chunk); });
    return text;
}

// The Dockerfile's text: an absolute path as is, otherwise resolved inside the context.
Result<std::string> read_dockerfile(int context_fd, const BuildOptions& options)
{
    if (strings::starts_with(options.dockerfile, "/"))
        return TRY_CTX(fs::read_file(options.dockerfile), "read Dockerfile");
    auto fd = open_in_root(context_fd, options.dockerfile, O_RDONLY);
    if (!fd.ok())
        return Error::not_found("Cannot locate specified Dockerfile: " + options.dockerfile);
    return read_all(fd.value().get());
}

// Where the instructions to run end: the whole file, or the end of the `target` stage. A
// target that names no stage is dockerd's error.
Result<size_t> target_end(const Dockerfile& dockerfile, const std::string& target)
{
    size_t end = dockerfile.instructions.size();
    if (target.empty())
        return end;
    bool found = false;
    for (size_t i = 0; i < dockerfile.instructions.size(); ++i) {
        const auto& ins = dockerfile.instructions[i];
        if (ins.keyword != "FROM")
            continue;
        if (found)
            return i;
        if (ins.args.size() == 3 && strings::to_lower(ins.args[2]) == strings::to_lower(target))
            found = true;
    }
    if (!found)
        return Error::invalid("failed to reach build target " + target + " in Dockerfile");
    return end;
}

} // namespace

namespace {

// The files a step's upper directory holds, relative to the image root: "D" for an overlay
// whiteout (a 0:0 character device), "C" when a lower layer has the path, else "A". Sorted; the
// first `limit` are kept, `total` counts all.
std::vector<std::string> upper_changes(const std::string& upper, const std::vector<std::string>& lowers, size_t limit,
    int& total)
{
    namespace stdfs = std::filesystem;
    std::vector<std::string> changes;
    std::error_code error;
    stdfs::recursive_directory_iterator it(upper, stdfs::directory_options::skip_permission_denied, error);
    for (; !error && it != stdfs::recursive_directory_iterator(); it.increment(error)) {
        struct stat st { };
        if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode))
            continue;
        std::string relative = it->path().string().substr(upper.size());
        char kind = 'A';
        if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
            kind = 'D';
        } else {
            for (const auto& lower : lowers) {
                struct stat below { };
                if (::lstat((lower + relative).c_str(), &below) == 0) {
                    kind = 'C';
                    break;
                }
            }
        }
        changes.push_back(std::string(1, kind) + " " + relative);
    }
    std::sort(changes.begin(), changes.end(), [](const std::string& a, const std::string& b) { return a.substr(2) < b.substr(2); });
    total = static_cast<int>(changes.size());
    if (changes.size() > limit)
        changes.resize(limit);
    return changes;
}

} // namespace

std::map<std::string, std::string> step_attributes(const StepReport& report)
{
    return { { "step", std::to_string(report.step) }, { "total", std::to_string(report.total) },
        { "line", std::to_string(report.line) }, { "instruction", report.instruction }, { "cache", report.cache },
        { "layer", report.layer_id }, { "size", std::to_string(report.size) }, { "image", report.image_id },
        { "changes", strings::join(report.changes, "\n") }, { "changes_total", std::to_string(report.changes_total) } };
}

std::string build_cache_dir(const image::Store& store) { return store.root() + "/build-cache"; }

Result<BuildNetwork> parse_build_network(std::string_view text)
{
    if (text.empty() || text == "default" || text == "none")
        return BuildNetwork::None;
    if (text == "host")
        return BuildNetwork::Host;
    return Error::invalid("networkmode " + std::string(text) + " is not supported for builds (use none or host)");
}

Result<void> check_build_target(const BuildOptions& options)
{
    if (options.target.empty())
        return Ok {};
    UniqueFd context_fd(::open(options.context_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!context_fd.valid())
        return Error::from_errno("open build context " + options.context_dir, errno);
    // A Dockerfile that cannot be read or parsed is left to the build, which reports it with its
    // line in the stream; only the target is checked here.
    auto text = read_dockerfile(context_fd.get(), options);
    if (!text.ok())
        return Ok {};
    auto parsed = parse_dockerfile(text.value(), options.dockerfile);
    if (!parsed.ok())
        return Ok {};
    TRY(target_end(parsed.value(), options.target));
    return Ok {};
}

struct Builder::Impl {
    sys::Kernel& kernel;
    image::Store& store;
    std::string scratch_dir;
    const BuildOptions& options;
    BuildOutput& output;
    Dockerfile dockerfile;
    std::optional<DockerIgnore> ignore;
    UniqueFd context_fd;
    std::vector<Stage> stages;
    std::map<std::string, std::string> meta_args;
    std::set<std::string> consumed_args;
    BuildResult result;
    StepReport step_report;           // The step running now, reported when it is done.

    void say(const std::string& text)
    {
        if (!options.quiet)
            output.stream(text);
    }

    VariableLookup lookup_for(const Stage& stage)
    {
        return [&stage](const std::string& name) -> std::optional<std::string> {
            if (auto value = stage.config.defaults().env_value(name))
                return value;
            for (const auto& [key, value] : stage.args) {
                if (key == name)
                    return value;
            }
            return std::nullopt;
        };
    }

    Result<std::string> expand(const Stage& stage, const std::string& word, const Instruction& instruction)
    {
        return expand_word(word, lookup_for(stage), dockerfile.escape, instruction.location);
    }

    Error step_error(const Instruction& instruction, const std::string& message)
    {
        return Error::invalid(instruction.location.str() + ": " + message);
    }

    // [SECTION] Cache

    std::string cache_key(const Stage& stage, const std::string& created_by)
    {
        std::string parent = stage.image ? stage.image->id : "scratch";
        return Sha256::hex(parent + "\n" + created_by + "\n" + stage.config.defaults().to_json().dump());
    }

    std::optional<image::ImageRecord> cache_lookup(const std::string& key)
    {
        if (options.no_cache)
            return std::nullopt;
        auto id = fs::read_file(build_cache_dir(store) + "/" + key);
        if (!id.ok())
            return std::nullopt;
        auto record = store.resolve(strings::trim(id.value()));
        if (!record.ok())
            return std::nullopt;
        return record.release_value();
    }

    void cache_store(const std::string& key, const std::string& image_id)
    {
        (void)fs::make_dirs(build_cache_dir(store), 0700);
        (void)fs::write_file_atomic(build_cache_dir(store) + "/" + key, image_id + "\n", 0600);
    }

    // [SECTION] Commit

    // Commits the stage's config (plus `layer_tar`, "" for none) as the next image, recording
    // one history entry, and makes it the stage's current image.
    Result<void> commit(Stage& stage, const std::string& created_by, const std::string& layer_tar,
        const std::string& key)
    {
        auto& config = stage.config;
        auto now = std::chrono::system_clock::now();
        config.created = strings::rfc3339_nano(now);
        if (!config.history)
            config.history.emplace();
        image::HistoryItem entry;
        entry.created = config.created;
        entry.created_by = created_by;
        if (layer_tar.empty())
            entry.empty_layer = true;
        config.history->push_back(std::move(entry));
        config.container_config = config.defaults();
        config.container_config->cmd = std::vector<std::string> { "/bin/sh", "-c", created_by };
        auto record = TRY(store.commit(stage.image, layer_tar, config));
        stage.image = record;
        stage.config = record.config;
        cache_store(key, record.id);
        return Ok {};
    }

    // Reports a cache hit or the new image for a step.
    Result<bool> try_cache(Stage& stage, const std::string& created_by, const std::string& key)
    {
        auto hit = cache_lookup(key);
        step_report.cache = hit ? "hit" : "miss";
        if (!hit)
            return false;
        (void)created_by;
        stage.image = *hit;
        stage.config = hit->config;
        ++result.cached_steps;
        say(" ---> Using cache\n");
        return true;
    }

    // [SECTION] Mounted working root

    // An overlay of the stage's layers with a fresh upper dir, mounted under `dir`.
    struct Mounted {
        runtime::ContainerSpec spec;
        sys::Kernel* kernel { nullptr };
        bool mounted { false };
        ~Mounted()
        {
            if (mounted)
                (void)runtime::unmount_rootfs(*kernel, spec);
        }
    };

    Result<void> mount_work_root(const Stage& stage, const std::string& dir, Mounted& mounted)
    {
        auto& spec = mounted.spec;
        spec.upper_dir = dir + "/upper";
        spec.work_dir = dir + "/work";
        spec.rootfs = dir + "/rootfs";
        TRY(fs::make_dirs(spec.upper_dir));
        TRY(fs::make_dirs(spec.work_dir));
        TRY(fs::make_dirs(spec.rootfs));
        if (stage.image) {
            for (const auto& layer : stage.image->layers)
                spec.lower_dirs.push_back(layer.directory);
        }
        if (spec.lower_dirs.empty()) {
            TRY(fs::make_dirs(dir + "/empty"));
            spec.lower_dirs.push_back(dir + "/empty");
        }
        mounted.kernel = &kernel;
        TRY(runtime::mount_rootfs(kernel, spec));
        mounted.mounted = true;
        return Ok {};
    }

    // Unmounts, turns the upper dir into a layer tar and commits it.
    Result<void> commit_upper(Stage& stage, Mounted& mounted, const std::string& dir, const std::string& created_by,
        const std::string& key)
    {
        TRY(runtime::unmount_rootfs(kernel, mounted.spec));
        mounted.mounted = false;
        step_report.changes = upper_changes(mounted.spec.upper_dir, mounted.spec.lower_dirs, 20, step_report.changes_total);
        std::string tar = dir + "/layer.tar";
        TRY(image::write_layer_tar(mounted.spec.upper_dir, tar));
        return commit(stage, created_by, tar, key);
    }

    // [SECTION] Instructions

    Result<void> do_from(const Instruction& instruction, int index)
    {
        Stage stage;
        stage.index = index;
        VariableLookup meta = [this](const std::string& name) -> std::optional<std::string> {
            if (auto it = meta_args.find(name); it != meta_args.end())
                return it->second;
            return std::nullopt;
        };
        auto name = TRY(expand_word(instruction.args[0], meta, dockerfile.escape, instruction.location));
        if (instruction.args.size() == 3)
            stage.name = strings::to_lower(instruction.args[2]);
        if (name.empty())
            return step_error(instruction, "FROM names no image (is a build arg empty?)");

        if (strings::to_lower(name) == "scratch") {
            stage.config = image::ImageConfig {};
            stage.config.architecture = "amd64";
            stage.config.os = "linux";
            stage.config.config = default_container_config();
            stage.config.config->env.emplace();
            stage.config.history.emplace();
            say(" ---> scratch\n");
        } else {
            const Stage* earlier = nullptr;
            for (const auto& other : stages) {
                if (!other.name.empty() && other.name == strings::to_lower(name))
                    earlier = &other;
            }
            if (earlier != nullptr) {
                stage.image = earlier->image;
                stage.config = earlier->config;
            } else {
                auto record = store.resolve(name);
                if (!record.ok())
                    return step_error(instruction, "FROM " + name + ": " + record.error().message()
                            + " (glassbox builds are offline: import or load the base image first)");
                stage.image = record.release_value();
                stage.config = stage.image->config;
            }
            if (!stage.config.config)
                stage.config.mutable_defaults() = default_container_config();
            // Docker's builder gives a base without PATH the default one, so RUN finds programs
            // and the built image records it in Env.
            auto& defaults = *stage.config.config;
            if (!defaults.env_value("PATH")) {
                if (!defaults.env)
                    defaults.env.emplace();
                defaults.env->push_back(default_path_env);
            }
            say(" ---> " + (stage.image ? short_id(stage.image->id) : std::string("scratch")) + "\n");
        }
        // ONBUILD triggers of the base are recorded in its config; glassbox does not run them.
        stage.config.mutable_defaults().set_null("OnBuild");
        stages.push_back(std::move(stage));
        return Ok {};
    }

    Result<void> do_arg(Stage& stage, const Instruction& instruction)
    {
        for (const auto& word : instruction.args) {
            auto eq = word.find('=');
            std::string name = word.substr(0, eq);
            std::optional<std::string> value;
            if (eq != std::string::npos)
                value = TRY(expand(stage, word.substr(eq + 1), instruction));
            else if (auto it = meta_args.find(name); it != meta_args.end())
                value = it->second;
            if (auto it = options.build_args.find(name); it != options.build_args.end()) {
                value = it->second;
                consumed_args.insert(name);
            }
            stage.args.erase(std::remove_if(stage.args.begin(), stage.args.end(),
                                 [&](const auto& pair) { return pair.first == name; }),
                stage.args.end());
            if (value)
                stage.args.emplace_back(name, *value);
        }
        return Ok {};
    }

    // The ARG values a RUN sees that ENV does not already set: "|2 A=1 B=2 " in history.
    std::vector<std::pair<std::string, std::string>> run_args(const Stage& stage)
    {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [name, value] : stage.args) {
            if (!stage.config.defaults().env_value(name))
                out.emplace_back(name, value);
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    Result<void> do_run(Stage& stage, const Instruction& instruction)
    {
        std::vector<std::string> command;
        if (instruction.json_form)
            command = instruction.args;
        else {
            command = stage.shell;
            command.push_back(instruction.rest);
        }
        auto args = run_args(stage);
        std::string created_by;
        if (!args.empty()) {
            created_by = "|" + std::to_string(args.size()) + " ";
            for (const auto& [name, value] : args)
                created_by += name + "=" + value + " ";
        }
        created_by += strings::join(command, " ");
        auto key = cache_key(stage, created_by);
        if (TRY(try_cache(stage, created_by, key)))
            return Ok {};

        std::string id = strings::random_hex_id();
        ScratchDir dir { scratch_dir + "/" + id };
        Mounted mounted;
        TRY(mount_work_root(stage, dir.path, mounted));
        auto& spec = mounted.spec;
        spec.id = id;
        spec.hostname = id.substr(0, 12);
        spec.process.args = command;
        const auto& defaults = stage.config.defaults();
        if (defaults.env)
            spec.process.env = *defaults.env;
        for (const auto& [name, value] : args)
            spec.process.env.push_back(name + "=" + value);
        std::string workdir = defaults.working_dir.value_or("");
        spec.process.cwd = workdir.empty() ? "/" : workdir;
        spec.process.user = defaults.user.value_or("");
        spec.process.capabilities = runtime::default_capabilities();
        spec.masked_paths = runtime::default_masked_paths();
        spec.readonly_paths = runtime::default_readonly_paths();
        spec.cgroup_name = "glassbox/build-" + id;
        spec.netns_path = options.network == BuildNetwork::Host ? "host" : "";
        // The same default seccomp filter as a container: a RUN step is a container too.
        spec.seccomp_profile_json = runtime::seccomp_profile_for(false, {});
        // The build's memory and CPU limits apply to each RUN step's cgroup, as in dockerd's
        // legacy builder.
        spec.resources = options.resources;

        // The working directory must exist before the process can chdir into it.
        bool image_has_hosts = true;
        {
            UniqueFd root(::open(spec.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!root.valid())
                return Error::from_errno("open " + spec.rootfs, errno);
            TRY(make_dirs_in_root(root.get(), spec.process.cwd, 0, 0));
            image_has_hosts = open_in_root(root.get(), "/etc/hosts", O_RDONLY).ok();
        }
        // --add-host: the daemon's hosts file is bound over /etc/hosts for the step, as dockerd
        // binds its own; what the step writes there does not go into the layer.
        if (!options.hosts_file.empty())
            spec.mounts.push_back({ .type = runtime::MountEntry::Type::Bind, .source = options.hosts_file,
                .destination = "/etc/hosts", .read_only = false, .options = "", .propagation = "" });

        say(" ---> Running in " + id.substr(0, 12) + "\n");
        auto started = options.start_process ? options.start_process(kernel, spec) : runtime::start_container(kernel, spec);
        auto cgroup = runtime::Cgroup::for_name(spec.cgroup_name);
        if (!started.ok()) {
            (void)cgroup.remove(kernel);
            return started.release_error().with_context("RUN in build container " + id.substr(0, 12));
        }
        ++result.containers_run;
        auto process = started.release_value();
        bool client_left = pump_output(process, cgroup);
        int code = kernel.reap_exit(process.pid);
        cgroup.kill_all(kernel);
        (void)cgroup.remove(kernel);
        if (client_left)
            return cancelled();
        if (code != 0)
            return Error::system("The command '" + strings::join(command, " ") + "' returned a non-zero code: "
                + std::to_string(code));
        // The empty file the hosts bind needed as its mount point is not part of the image.
        if (!options.hosts_file.empty() && !image_has_hosts)
            (void)::unlink((spec.upper_dir + "/etc/hosts").c_str());
        TRY(commit_upper(stage, mounted, dir.path, created_by, key));
        say("Removing intermediate container " + id.substr(0, 12) + "\n");
        return Ok {};
    }

    // True once the client's connection (options.cancel_fd) has hung up.
    bool client_gone() const
    {
        if (options.cancel_fd < 0)
            return false;
        pollfd fd { options.cancel_fd, POLLRDHUP, 0 };
        return ::poll(&fd, 1, 0) > 0 && (fd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    }

    static Error cancelled() { return Error::from_errno("build cancelled: the client disconnected", ECANCELED); }

    // Streams the RUN process's stdout and stderr until both are closed. Returns true when the
    // client hung up meanwhile; then every process of the step was killed.
    bool pump_output(runtime::StartedProcess& process, runtime::Cgroup& cgroup)
    {
        bool client_left = false;
        std::vector<pollfd> fds;
        if (process.stdout_fd.valid())
            fds.push_back({ process.stdout_fd.get(), POLLIN, 0 });
        if (process.stderr_fd.valid())
            fds.push_back({ process.stderr_fd.get(), POLLIN, 0 });
        if (process.pty_master.valid())
            fds.push_back({ process.pty_master.get(), POLLIN, 0 });
        char buffer[8192];
        while (!fds.empty()) {
            // The client's socket is polled alongside the step's output; POLLRDHUP reports a
            // peer that closed or shut down its side.
            if (options.cancel_fd >= 0 && !client_left)
                fds.push_back({ options.cancel_fd, POLLRDHUP, 0 });
            int ready = ::poll(fds.data(), fds.size(), -1);
            if (options.cancel_fd >= 0 && !client_left) {
                if (fds.back().revents & (POLLRDHUP | POLLHUP | POLLERR)) {
                    client_left = true;
                    cgroup.kill_all(kernel);
                }
                fds.pop_back();
            }
            if (ready < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            for (size_t i = 0; i < fds.size();) {
                if (fds[i].revents == 0) {
                    ++i;
                    continue;
                }
                ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
                if (n <= 0) {
                    fds.erase(fds.begin() + static_cast<long>(i));
                    continue;
                }
                std::string_view text(buffer, static_cast<size_t>(n));
                if (!options.quiet) {
                    if (fds[i].fd == process.stderr_fd.get())
                        output.stream_stderr(text);
                    else
                        output.stream(text);
                }
                ++i;
            }
        }
        return client_left;
    }

    // --chown "user:group" resolved in the stage's /etc/passwd and /etc/group.
    Result<CopyOwnership> ownership_for(const Instruction& instruction, int root_fd)
    {
        CopyOwnership ownership;
        if (auto chmod = instruction.flag("chmod")) {
            std::uint64_t mode = 0;
            bool ok = !chmod->empty() && chmod->find_first_not_of("01234567") == std::string::npos;
            if (ok)
                mode = std::stoull(*chmod, nullptr, 8);
            if (!ok || mode > 07777)
                return step_error(instruction, "invalid --chmod=" + *chmod + ": use an octal mode such as 0644");
            ownership.chmod = static_cast<mode_t>(mode);
        }
        if (auto chown = instruction.flag("chown")) {
            auto read_in_root = [&](const std::string& path) -> std::string {
                auto fd = open_in_root(root_fd, path, O_RDONLY);
                return fd.ok() ? read_all(fd.value().get()) : std::string();
            };
            std::string spec = *chown;
            // "user" alone means user:user's primary group in Docker's resolver; a bare numeric
            // uid means gid 0... Docker uses the uid for both. Follow Docker: uid for both.
            if (spec.find(':') == std::string::npos && !spec.empty()
                && spec.find_first_not_of("0123456789") == std::string::npos)
                spec += ":" + spec;
            auto user = runtime::resolve_user(spec, read_in_root("/etc/passwd"), read_in_root("/etc/group"));
            if (!user.ok())
                return step_error(instruction, "--chown=" + *chown + ": " + user.error().message());
            ownership.uid = user.value().uid;
            ownership.gid = user.value().gid;
        }
        return ownership;
    }

    Result<void> do_copy(Stage& stage, const Instruction& instruction)
    {
        const bool is_add = instruction.keyword == "ADD";
        std::vector<std::string> words;
        for (const auto& word : instruction.args)
            words.push_back(TRY(expand(stage, word, instruction)));
        std::string dest = words.back();
        words.pop_back();
        std::string workdir = stage.config.defaults().working_dir.value_or("");
        bool dest_is_dir_syntax = strings::ends_with(dest, "/") || dest == "." || strings::ends_with(dest, "/.");
        if (!strings::starts_with(dest, "/"))
            dest = (workdir.empty() ? "/" : workdir) + "/" + dest;

        for (const auto& source : words) {
            if (strings::starts_with(source, "http://") || strings::starts_with(source, "https://")
                || strings::starts_with(source, "git@")) {
                return step_error(instruction, std::string(is_add ? "ADD" : "COPY") + " " + source
                        + ": glassbox builds are offline, so remote sources cannot be fetched. Download the file "
                          "into the build context and COPY it instead.");
            }
        }

        // Where the sources come from: the context, an earlier stage, or an image.
        std::optional<image::ImageRecord> from_image;
        std::string from_label;
        if (auto from = instruction.flag("from")) {
            if (is_add)
                return step_error(instruction, "ADD does not take --from");
            std::string wanted = strings::to_lower(TRY(expand(stage, *from, instruction)));
            std::uint64_t number = 0;
            bool found = false;
            for (const auto& other : stages) {
                if (&other == &stage)
                    break;
                if ((!other.name.empty() && other.name == wanted)
                    || (strings::parse_uint(wanted, number) && static_cast<int>(number) == other.index)) {
                    from_image = other.image;
                    found = true;
                }
            }
            if (!found) {
                auto record = store.resolve(wanted);
                if (!record.ok())
                    return step_error(instruction, "COPY --from=" + *from + ": no stage or image of that name ("
                            + record.error().message() + ")");
                from_image = record.release_value();
            }
            from_label = from_image ? from_image->id : "scratch";
        }

        std::string id = strings::random_hex_id();
        ScratchDir dir { scratch_dir + "/" + id };
        TRY(fs::make_dirs(dir.path));

        // The source root: the context dir, or an earlier stage's layers mounted read-only-ish
        // (an overlay with a throwaway upper dir).
        Mounted source_mount;
        int source_root = context_fd.get();
        UniqueFd source_root_fd;
        if (instruction.flag("from")) {
            Stage source_stage;
            source_stage.image = from_image;
            TRY(mount_work_root(source_stage, dir.path + "/source", source_mount));
            source_root_fd = UniqueFd(::open(source_mount.spec.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!source_root_fd.valid())
                return Error::from_errno("open " + source_mount.spec.rootfs, errno);
            source_root = source_root_fd.get();
        }
        const DockerIgnore* ignore_for_source = instruction.flag("from") ? nullptr : (ignore ? &*ignore : nullptr);
        auto sources = TRY(expand_sources(source_root, words, ignore_for_source, instruction.keyword));
        if (sources.size() > 1 && !dest_is_dir_syntax)
            return step_error(instruction, "When using " + instruction.keyword
                    + " with more than one source file, the destination must be a directory and end with a /");

        std::vector<std::vector<TreeEntry>> trees;
        Sha256 content;
        for (const auto& source : sources) {
            auto tree = TRY(list_tree(source_root, source, ignore_for_source));
            auto hash = TRY(hash_entries(source_root, tree));
            content.update(hash.data(), hash.size());
            trees.push_back(std::move(tree));
        }
        std::string kind = sources.size() > 1 ? "multi" : (S_ISDIR(trees[0][0].st.st_mode) ? "dir" : "file");
        std::string flags_text;
        for (const auto& flag : instruction.flags)
            flags_text += "--" + flag.name + "=" + flag.value + " ";
        std::string created_by = "/bin/sh -c #(nop) " + instruction.keyword + " " + flags_text + kind + ":"
            + content.finish_hex() + (from_label.empty() ? "" : " from " + from_label) + " in " + dest + " ";
        auto key = cache_key(stage, created_by);
        if (TRY(try_cache(stage, created_by, key)))
            return Ok {};

        Mounted mounted;
        TRY(mount_work_root(stage, dir.path + "/dest", mounted));
        UniqueFd root(::open(mounted.spec.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root.valid())
            return Error::from_errno("open " + mounted.spec.rootfs, errno);
        auto ownership = TRY(ownership_for(instruction, root.get()));

        for (size_t i = 0; i < sources.size(); ++i) {
            const auto& tree = trees[i];
            const auto& top = tree[0];
            bool top_is_dir = S_ISDIR(top.st.st_mode);
            std::string target = dest;
            bool dest_exists_as_dir = open_in_root(root.get(), dest, O_RDONLY | O_DIRECTORY).ok();
            if (!top_is_dir && (dest_is_dir_syntax || dest_exists_as_dir)) {
                auto slash = top.full.rfind('/');
                target = dest + "/" + (slash == std::string::npos ? top.full : top.full.substr(slash + 1));
            }
            if (top_is_dir)
                TRY(make_dirs_in_root(root.get(), target, ownership.uid, ownership.gid));

            if (is_add && S_ISREG(top.st.st_mode)) {
                auto archive = TRY(open_in_root(source_root, top.full, O_RDONLY | O_NOFOLLOW));
                if (is_local_archive(archive.get())) {
                    auto target_dir = TRY(make_dirs_in_root(root.get(), dest, ownership.uid, ownership.gid));
                    std::string dir_path = "/proc/self/fd/" + std::to_string(target_dir.get());
                    std::string archive_path = "/proc/self/fd/" + std::to_string(archive.get());
                    image::UnpackOptions unpack;
                    unpack.whiteouts = false;
                    unpack.keep_owners = true;
                    unpack.header_scan = "ADD tar";
                    TRY_CTX(image::unpack_layer(archive_path, dir_path, unpack), "ADD " + top.full);
                    continue;
                }
            }
            TRY(copy_entries(source_root, tree, root.get(), target, ownership));
        }
        root.reset();
        TRY(commit_upper(stage, mounted, dir.path + "/dest", created_by, key));
        return Ok {};
    }

    // Config-only instructions: change the config, commit an empty layer.
    Result<void> do_config(Stage& stage, const Instruction& instruction)
    {
        auto& config = stage.config.mutable_defaults();
        const auto& kw = instruction.keyword;
        std::string nop = "/bin/sh -c #(nop) ";
        std::string created_by;
        if (kw == "ENV") {
            auto pairs = TRY(parse_key_values(instruction, lookup_for(stage), dockerfile.escape));
            std::string text;
            for (const auto& [name, value] : pairs) {
                config.set_env(name, value);
                text += " " + name + "=" + value;
            }
            created_by = nop + " ENV" + text;
        } else if (kw == "LABEL") {
            auto pairs = TRY(parse_key_values(instruction, lookup_for(stage), dockerfile.escape));
            std::string text;
            if (!config.labels)
                config.labels.emplace();
            for (const auto& [name, value] : pairs) {
                (*config.labels)[name] = value;
                text += " " + name + "=" + value;
            }
            created_by = nop + " LABEL" + text;
        } else if (kw == "CMD" || kw == "ENTRYPOINT") {
            std::vector<std::string> value;
            if (instruction.json_form)
                value = instruction.args;
            else {
                value = stage.shell;
                value.push_back(instruction.rest);
            }
            (kw == "CMD" ? config.cmd : config.entrypoint) = value;
            // Docker resets an inherited CMD when ENTRYPOINT is set.
            if (kw == "ENTRYPOINT")
                config.set_null("Cmd");
            created_by = nop + " " + kw + " " + json_words(value);
        } else if (kw == "WORKDIR") {
            auto path = TRY(expand(stage, instruction.rest, instruction));
            std::string current = config.working_dir.value_or("");
            if (!strings::starts_with(path, "/"))
                path = (current.empty() ? "" : current) + "/" + path;
            path = "/" + clean_relative_path(path);
            config.working_dir = path;
            created_by = nop + "WORKDIR " + path;
        } else if (kw == "USER") {
            auto user = TRY(expand(stage, instruction.args[0], instruction));
            config.user = user;
            created_by = nop + " USER " + user;
        } else if (kw == "EXPOSE") {
            std::string text;
            if (!config.exposed_ports)
                config.exposed_ports.emplace();
            for (const auto& word : instruction.args) {
                auto port = image::parse_exposed_port(TRY(expand(stage, word, instruction)));
                if (!port.ok())
                    return step_error(instruction, "EXPOSE: " + port.error().message());
                config.exposed_ports->insert(port.value());
                text += " " + port.value().key();
            }
            created_by = nop + " EXPOSE" + text;
        } else if (kw == "VOLUME") {
            std::string text;
            if (!config.volumes)
                config.volumes.emplace();
            for (const auto& word : instruction.args) {
                auto path = instruction.json_form ? word : TRY(expand(stage, word, instruction));
                if (path.empty())
                    return step_error(instruction, "VOLUME specified can not be an empty string");
                config.volumes->insert(path);
                text += " " + path;
            }
            created_by = nop + " VOLUME [" + strings::trim(text) + "]";
        } else if (kw == "STOPSIGNAL") {
            auto signal = TRY(expand(stage, instruction.args[0], instruction));
            auto number = runtime::parse_signal(signal);
            if (!number.ok())
                return step_error(instruction, "STOPSIGNAL: " + number.error().message());
            config.stop_signal = signal;
            created_by = nop + " STOPSIGNAL " + signal;
        } else if (kw == "SHELL") {
            stage.shell = instruction.args;
            config.shell = instruction.args;
            created_by = nop + " SHELL " + json_words(instruction.args);
        } else if (kw == "HEALTHCHECK") {
            created_by = nop + " HEALTHCHECK " + instruction.rest;
            if (instruction.nested.empty()) {
                image::ImageHealthcheck none;
                none.test = std::vector<std::string> { "NONE" };
                config.healthcheck = none;
            } else {
                const auto& cmd = instruction.nested[0];
                std::vector<std::string> test;
                if (cmd.json_form) {
                    test.push_back("CMD");
                    test.insert(test.end(), cmd.args.begin(), cmd.args.end());
                } else {
                    test = { "CMD-SHELL", cmd.rest };
                }
                image::ImageHealthcheck check;
                check.test = test;
                for (const auto& flag : instruction.flags) {
                    if (flag.name == "retries") {
                        std::uint64_t retries = 0;
                        if (!strings::parse_uint(flag.value, retries))
                            return step_error(instruction, "HEALTHCHECK --retries: not a number: " + flag.value);
                        check.retries = static_cast<std::int64_t>(retries);
                        continue;
                    }
                    auto nanos = parse_duration(flag.value);
                    if (!nanos)
                        return step_error(instruction, "HEALTHCHECK --" + flag.name + ": invalid duration \""
                                + flag.value + "\" (use 30s, 1m30s, 500ms)");
                    using Duration = std::optional<std::int64_t> image::ImageHealthcheck::*;
                    static const std::map<std::string, Duration> fields = { { "interval", &image::ImageHealthcheck::interval },
                        { "timeout", &image::ImageHealthcheck::timeout }, { "start-period", &image::ImageHealthcheck::start_period },
                        { "start-interval", &image::ImageHealthcheck::start_interval } };
                    check.*fields.at(flag.name) = *nanos;
                }
                config.healthcheck = check;
            }
        } else if (kw == "ONBUILD") {
            if (!config.on_build)
                config.on_build.emplace();
            config.on_build->push_back(instruction.rest);
            created_by = nop + " ONBUILD " + instruction.rest;
        } else if (kw == "MAINTAINER") {
            stage.config.author = instruction.rest;
            created_by = nop + " MAINTAINER " + instruction.rest;
        }
        auto key = cache_key(stage, created_by);
        if (TRY(try_cache(stage, created_by, key)))
            return Ok {};
        return commit(stage, created_by, "", key);
    }

    // Go-style durations as HEALTHCHECK takes them: "30s", "1m30s", "500ms", "2h".
    static std::optional<std::int64_t> parse_duration(const std::string& text)
    {
        std::int64_t total = 0;
        size_t pos = 0;
        if (text.empty())
            return std::nullopt;
        while (pos < text.size()) {
            size_t start = pos;
            while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.'))
                ++pos;
            if (start == pos)
                return std::nullopt;
            double value = std::stod(text.substr(start, pos - start));
            size_t unit_start = pos;
            while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos])))
                ++pos;
            std::string unit = text.substr(unit_start, pos - unit_start);
            static const std::map<std::string, double> scale = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 },
                { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
            auto it = scale.find(unit);
            if (it == scale.end())
                return std::nullopt;
            total += static_cast<std::int64_t>(value * it->second);
        }
        return total;
    }

    // [SECTION] The build

    Result<void> run_all()
    {
        // The Dockerfile, the ignore file and the context root.
        context_fd = UniqueFd(::open(options.context_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!context_fd.valid())
            return Error::from_errno("open build context " + options.context_dir, errno);
        std::string dockerfile_text = TRY(read_dockerfile(context_fd.get(), options));
        dockerfile = TRY(parse_dockerfile(dockerfile_text, options.dockerfile));
        if (auto fd = open_in_root(context_fd.get(), ".dockerignore", O_RDONLY); fd.ok())
            ignore = TRY(DockerIgnore::parse(read_all(fd.value().get())));

        // Lints first: an error stops the build before anything runs.
        LintOptions lint_options;
        lint_options.allow_latest = options.allow_latest;
        lint_options.strict = options.strict;
        lint_options.check = TRY(parse_check_directive(dockerfile_text, options.dockerfile));
        lint_options.build_args = options.build_args;
        result.lints = lint_dockerfile(dockerfile, lint_options);
        for (const auto& finding : result.lints)
            say(finding.format());
        if (has_lint_errors(result.lints))
            return Error::invalid("the Dockerfile has lint errors (see above): `# check=error=true` or --strict "
                                  "makes every lint finding an error");

        // Which instructions run: everything up to the end of the target stage.
        size_t end = TRY(target_end(dockerfile, options.target));
        size_t first_from = 0;
        while (dockerfile.instructions[first_from].keyword != "FROM")
            ++first_from;

        // ARGs before the first FROM are the meta args, usable in FROM lines.
        for (size_t i = 0; i < first_from; ++i) {
            for (const auto& word : dockerfile.instructions[i].args) {
                auto eq = word.find('=');
                std::string name = word.substr(0, eq);
                if (auto it = options.build_args.find(name); it != options.build_args.end()) {
                    meta_args[name] = it->second;
                    consumed_args.insert(name);
                } else if (eq != std::string::npos) {
                    VariableLookup meta = [this](const std::string& n) -> std::optional<std::string> {
                        if (auto it2 = meta_args.find(n); it2 != meta_args.end())
                            return it2->second;
                        return std::nullopt;
                    };
                    meta_args[name] = TRY(expand_word(word.substr(eq + 1), meta, dockerfile.escape,
                        dockerfile.instructions[i].location));
                }
            }
        }

        int total = static_cast<int>(end - first_from);
        output.started(dockerfile_text, total);
        int stage_index = 0;
        for (size_t i = first_from; i < end; ++i) {
            if (client_gone())
                return cancelled();
            const auto& instruction = dockerfile.instructions[i];
            int step = static_cast<int>(i - first_from) + 1;
            say("Step " + std::to_string(step) + "/" + std::to_string(total) + " : " + instruction.original + "\n");
            auto started = std::chrono::steady_clock::now();
            ++result.steps;
            step_report = StepReport {};
            step_report.step = step;
            step_report.total = total;
            step_report.line = instruction.location.line;
            step_report.instruction = instruction.original;
            size_t layers_before = instruction.keyword != "FROM" && !stages.empty() && stages.back().image
                ? stages.back().image->layers.size()
                : 0;
            if (instruction.keyword == "FROM") {
                TRY(do_from(instruction, stage_index++));
            } else {
                Stage& stage = stages.back();
                if (instruction.keyword == "ARG")
                    TRY(do_arg(stage, instruction));
                else if (instruction.keyword == "RUN")
                    TRY(do_run(stage, instruction));
                else if (instruction.keyword == "COPY" || instruction.keyword == "ADD")
                    TRY(do_copy(stage, instruction));
                else
                    TRY(do_config(stage, instruction));
                if (instruction.keyword != "ARG")
                    say(" ---> " + (stage.image ? short_id(stage.image->id) : std::string("scratch")) + "\n");
            }
            if (options.show_step_times)
                say(" ---> Done in " + format_seconds(std::chrono::steady_clock::now() - started) + "\n");
            // Report the step: the layer it added (also on a cache hit), its size and image.
            if (const auto& image = stages.back().image) {
                step_report.image_id = image->id;
                if (instruction.keyword != "FROM" && image->layers.size() > layers_before) {
                    step_report.layer_id = image->layers.back().diff_id;
                    step_report.size = image->layers.back().size;
                }
            }
            output.step_done(step_report);
        }

        Stage& final_stage = stages.back();
        if (!options.labels.empty()) {
            Instruction label;
            label.keyword = "LABEL";
            for (const auto& [name, value] : options.labels)
                label.args.push_back(name + "=" + nlohmann::json(value).dump());
            label.rest = strings::join(label.args, " ");
            label.location = { options.dockerfile, 0, 0 };
            TRY(do_config(final_stage, label));
        }
        if (!final_stage.image)
            return Error::invalid("the final stage is FROM scratch with no instructions: there is no image to tag");

        std::vector<std::string> unused;
        for (const auto& [name, value] : options.build_args) {
            if (!consumed_args.count(name) && !predefined_args().count(name))
                unused.push_back(name);
        }
        if (!unused.empty())
            say("[Warning] One or more build-args [" + strings::join(unused, " ") + "] were not consumed\n");

        result.image_id = final_stage.image->id;
        output.built(result.image_id);
        say("Successfully built " + short_id(result.image_id) + "\n");
        for (const auto& tag : options.tags) {
            auto reference = TRY_CTX(image::parse_reference(tag), "tag " + tag);
            TRY(store.tag(result.image_id, reference.str()));
            result.tags.push_back(reference.str());
            say("Successfully tagged " + reference.str() + "\n");
        }
        if (options.quiet)
            output.stream(result.image_id + "\n");
        return Ok {};
    }
};

Builder::Builder(sys::Kernel& kernel, image::Store& store, std::string scratch_dir)
    : m_kernel(kernel)
    , m_store(store)
    , m_scratch_dir(std::move(scratch_dir))
{
}

Result<BuildResult> Builder::build(const BuildOptions& options, BuildOutput& output)
{
    // Validate tags before any work, so a typo does not cost a whole build.
    for (const auto& tag : options.tags)
        TRY_CTX(image::parse_reference(tag), "invalid tag " + tag);
    TRY(fs::make_dirs(m_scratch_dir, 0700));
    auto result = [&]() -> Result<BuildResult> {
        Impl impl { m_kernel, m_store, m_scratch_dir, options, output, {}, {}, {}, {}, {}, {}, {} };
        TRY(impl.run_all());
        return impl.result;
    }();
    // A build allocates a great deal (parsed configs, layer lists, JSON per step) that is free
    // again now; glibc keeps freed memory in its arenas unless asked to give it back.
    ::malloc_trim(0);
    return result;
}

} // namespace engine::build
