// The lesson runner (runner.h). Commands run as children of the caller with /bin/sh -c, in
// the lesson's folder, in their own process group (so a timeout can end a whole pipeline), with
// stdin from /dev/null and stdout+stderr on one pipe that is both captured and streamed.
#include "engine/lesson/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <thread>

#include "engine/api/client.h"
#include "engine/base/fs.h"
#include "engine/lesson/loader.h"
#include "engine/lesson/procfs.h"
#include "engine/lesson/progress.h"

extern char** environ;

namespace engine::lesson {

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A command that runs longer than this is killed (with its process group): a lesson step is
// seconds of work, and a hung command must not hang `solve` in CI.
constexpr int k_command_timeout_seconds = 300;
// `solve` retries checks at least this long, since the kernel state settles after a command.
constexpr double k_solve_min_wait_seconds = 2;

std::string directory_of(const std::string& path)
{
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Runs one command; returns its exit code (128+N for signal N) and output.
Result<CommandResult> run_shell(const std::string& command, const std::string& cwd,
    const std::vector<std::string>& environment, const OutputSink& sink)
{
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return Error::from_errno("pipe", errno);
    std::vector<char*> envp;
    for (auto& entry : environment)
        envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    const char* argv[] = { "/bin/sh", "-c", command.c_str(), nullptr };

    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return Error::from_errno("fork", saved);
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        setpgid(0, 0);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0)
            dup2(null_fd, 0);
        dup2(pipe_fds[1], 1);
        dup2(pipe_fds[1], 2);
        if (chdir(cwd.c_str()) != 0)
            _exit(126);
        execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
        _exit(127);
    }
    close(pipe_fds[1]);
    setpgid(pid, pid); // Also from the parent, so the group exists before any kill below.

    CommandResult result;
    result.command = command;
    auto deadline = Clock::now() + std::chrono::seconds(k_command_timeout_seconds);
    bool timed_out = false;
    char buffer[4096];
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            timed_out = true;
            kill(-pid, SIGKILL);
            break;
        }
        pollfd poll_fd { pipe_fds[0], POLLIN, 0 };
        int ready = poll(&poll_fd, 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            continue;
        ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // Every writer closed the pipe.
        std::string_view chunk(buffer, static_cast<size_t>(n));
        result.output.append(chunk);
        if (sink)
            sink(chunk);
    }
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return Error::from_errno("waitpid", errno);
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (timed_out) {
        std::string note = "\n(glassbox lesson: killed after " + std::to_string(k_command_timeout_seconds) + " s)\n";
        result.output += note;
        if (sink)
            sink(note);
    }
    return result;
}

// GET /glassbox/v1/features of the daemon: its kernel ("kernel_mode") and where that kernel's
// procfs is ("procfs_root"); an empty object when the daemon does not answer.
Json daemon_features(const std::string& socket_path)
{
    auto features = api::Client(socket_path).get_json("/glassbox/v1/features");
    return features.ok() && features.value().is_object() ? features.value() : Json::object();
}

// The known kernel options behind feature names, for the message when one is missing.
std::string kernel_option(const std::string& feature)
{
    static const std::map<std::string, std::string> options { { "link.ipvlan", "CONFIG_IPVLAN" },
        { "link.macvlan", "CONFIG_MACVLAN" }, { "link.vlan", "CONFIG_VLAN_8021Q" },
        { "link.veth", "CONFIG_VETH" }, { "link.bridge", "CONFIG_BRIDGE" }, { "nftables", "CONFIG_NF_TABLES" } };
    auto it = options.find(feature);
    return it == options.end() ? "" : it->second;
}

} // namespace

Json StepCheck::to_json() const
{
    Json out = { { "lesson", lesson }, { "step", step }, { "step_index", step_index }, { "passed", passed },
        { "checks", Json::array() } };
    for (auto& check : checks) {
        out["checks"].push_back({ { "that", check.that }, { "passed", check.passed }, { "found", check.found },
            { "hint", check.hint }, { "focus", check.focus } });
    }
    return out;
}

Runner::Runner(RunnerOptions options)
    : m_options(std::move(options))
{
}

Result<Runner> Runner::open(RunnerOptions options)
{
    if (!fs::is_dir(options.lessons_dir))
        return Error::not_found("no lessons folder at " + options.lessons_dir);
    if (options.progress_path.empty())
        options.progress_path = default_progress_path();
    return Runner(std::move(options));
}

Result<Lesson> Runner::load(std::string_view name) const
{
    std::string id = TRY(resolve_lesson_id(m_options.lessons_dir, name));
    return load_lesson(m_options.lessons_dir + "/" + id);
}

Result<Json> Runner::snapshot() const
{
    api::Client client(m_options.socket_path);
    return TRY_CTX(client.get_json("/glassbox/v1/state"), "take a snapshot for the checks");
}

Result<std::vector<std::string>> Runner::missing_features(const Lesson& lesson) const
{
    std::vector<std::string> missing;
    if (lesson.features.empty())
        return missing;
    api::Client client(m_options.socket_path);
    Json answer = TRY_CTX(client.get_json("/glassbox/v1/features"), "ask the daemon which kernel features it has");
    for (auto& name : lesson.features) {
        std::string reason = "the kernel probe does not know it";
        bool available = false;
        for (auto& feature : answer.value("features", Json::array())) {
            if (feature.value("name", "") != name)
                continue;
            available = feature.value("available", false);
            reason = feature.value("detail", "");
        }
        if (available)
            continue;
        std::string option = kernel_option(name);
        if (!option.empty() && reason.find(option) == std::string::npos)
            reason += reason.empty() ? option + " is not set" : " (" + option + ")";
        missing.push_back(name + ": " + reason);
    }
    return missing;
}

StepView Runner::view(const Lesson& lesson, int step_index)
{
    StepView view;
    view.lesson = lesson.id;
    view.lesson_title = lesson.title;
    view.count = static_cast<int>(lesson.steps.size());
    view.index = step_index;
    if (step_index >= view.count) {
        view.finished = true;
        view.title = "Lesson complete";
        view.explain = "You finished " + lesson.title + ". Its containers, networks, volumes and images were removed.";
        return view;
    }
    const Step& step = lesson.steps[step_index];
    view.id = step.id;
    view.title = step.title;
    view.explain = step.explain;
    for (auto& command : step.commands)
        view.commands.push_back(command.run);
    for (auto& check : step.checks)
        view.checks.push_back(check.that);
    view.focus = step.focus;
    if (step.question) {
        view.question = step.question->ask;
        view.answer = step.question->answer;
    }
    return view;
}

StepCheck Runner::check_step(const Lesson& lesson, int step_index, const Json& snapshot)
{
    StepCheck out;
    out.lesson = lesson.id;
    out.step_index = step_index;
    if (step_index < 0 || step_index >= static_cast<int>(lesson.steps.size()))
        return out;
    const Step& step = lesson.steps[step_index];
    out.step = step.id;
    out.passed = true;
    for (auto& check : step.checks) {
        Evaluation evaluation = evaluate(check.expression, snapshot);
        out.checks.push_back({ check.that, evaluation.passed, evaluation.found, check.hint, step.focus });
        out.passed = out.passed && evaluation.passed;
    }
    return out;
}

Result<StepCheck> Runner::check_with_wait(const Lesson& lesson, int step_index, double wait_seconds) const
{
    auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(wait_seconds * 1000));
    while (true) {
        StepCheck result = check_step(lesson, step_index, TRY(snapshot()));
        if (result.passed || Clock::now() >= deadline)
            return result;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

Result<std::vector<LessonSummary>> Runner::list() const
{
    Progress progress = TRY(load_progress(m_options.progress_path));
    std::vector<LessonSummary> out;
    for (auto& id : list_lesson_ids(m_options.lessons_dir)) {
        Lesson lesson = TRY(load_lesson(m_options.lessons_dir + "/" + id));
        LessonSummary summary;
        summary.id = id;
        summary.title = lesson.title;
        summary.summary = lesson.summary;
        summary.minutes = lesson.minutes;
        summary.step_count = static_cast<int>(lesson.steps.size());
        summary.features = lesson.features;
        summary.missing = TRY(missing_features(lesson));
        summary.current = progress.current == id;
        if (auto it = progress.lessons.find(id); it != progress.lessons.end()) {
            summary.step = it->second.step;
            summary.completed = it->second.completed;
        }
        out.push_back(std::move(summary));
    }
    return out;
}

Result<StepView> Runner::start(std::string_view name) const
{
    Lesson lesson = TRY(load(name));
    auto missing = TRY(missing_features(lesson));
    if (!missing.empty()) {
        std::string message = "lesson " + lesson.id + " needs what this kernel lacks:";
        for (auto& line : missing)
            message += "\n  - " + line;
        message += "\nIt is not simulated on this host. The kernel lab solves it inside a VM running Debian's "
                   "stock kernel: KERNEL_LAB_LESSONS=" + lesson.id.substr(0, lesson.id.find('-')) + " scripts/kernel-lab";
        return Error::unsupported(message);
    }
    Progress progress = TRY(load_progress(m_options.progress_path));
    LessonProgress& entry = progress.lessons[lesson.id];
    if (entry.completed || entry.step >= static_cast<int>(lesson.steps.size()) || entry.step < 0)
        entry = LessonProgress {};
    progress.current = lesson.id;
    TRY(save_progress(m_options.progress_path, progress));
    return kernel_view(lesson, entry.step);
}

Result<std::pair<Progress, Lesson>> Runner::current() const
{
    Progress progress = TRY(load_progress(m_options.progress_path));
    if (progress.current.empty())
        return Error::not_found("no lesson started: glassbox lesson list, then glassbox lesson start 01");
    Lesson lesson = TRY(load(progress.current));
    return std::pair { std::move(progress), std::move(lesson) };
}

Result<StepView> Runner::show() const
{
    auto [progress, lesson] = TRY(current());
    return kernel_view(lesson, progress.lessons[lesson.id].step);
}

Result<StepCheck> Runner::check() const
{
    auto [progress, lesson] = TRY(current());
    int step = progress.lessons[lesson.id].step;
    if (step >= static_cast<int>(lesson.steps.size()))
        return Error::conflict("lesson " + lesson.id + " is complete: glassbox lesson start another one");
    StepCheck result = check_step(lesson, step, TRY(snapshot()));
    if (result.passed) {
        auto& passed = progress.lessons[lesson.id].passed;
        if (std::find(passed.begin(), passed.end(), result.step) == passed.end()) {
            passed.push_back(result.step);
            TRY(save_progress(m_options.progress_path, progress));
        }
    }
    return result;
}

Result<StepView> Runner::next(bool force) const
{
    auto [progress, lesson] = TRY(current());
    LessonProgress& entry = progress.lessons[lesson.id];
    int count = static_cast<int>(lesson.steps.size());
    if (entry.step >= count)
        return view(lesson, count);
    if (!force) {
        StepCheck result = check_step(lesson, entry.step, TRY(snapshot()));
        if (!result.passed) {
            std::string failing;
            for (auto& check : result.checks) {
                if (!check.passed)
                    failing += "\n  FAIL " + check.that + "  (found: " + check.found + ")";
            }
            return Error::conflict("step " + std::to_string(entry.step + 1) + " (" + result.step
                + ") is not done yet:" + failing + "\n(glassbox lesson hint; --force moves on anyway)");
        }
        if (std::find(entry.passed.begin(), entry.passed.end(), result.step) == entry.passed.end())
            entry.passed.push_back(result.step);
    }
    entry.step += 1;
    if (entry.step >= count) {
        entry.completed = true;
        // Finishing removes exactly what the lesson made, as reset does.
        TRY(save_progress(m_options.progress_path, progress));
        TRY(remove_labelled(lesson.id));
        return view(lesson, count);
    }
    TRY(save_progress(m_options.progress_path, progress));
    return kernel_view(lesson, entry.step);
}

Result<StepView> Runner::back() const
{
    auto [progress, lesson] = TRY(current());
    LessonProgress& entry = progress.lessons[lesson.id];
    entry.step = std::max(0, std::min(entry.step, static_cast<int>(lesson.steps.size())) - 1);
    entry.completed = false;
    TRY(save_progress(m_options.progress_path, progress));
    return kernel_view(lesson, entry.step);
}

StepView Runner::kernel_view(const Lesson& lesson, int step_index) const
{
    StepView shown = view(lesson, step_index);
    // Only a step that reads the host's /proc asks the daemon which kernel it runs on.
    bool reads_procfs = std::any_of(shown.commands.begin(), shown.commands.end(), reads_host_procfs);
    if (!reads_procfs)
        return shown;
    Json features = daemon_features(m_options.socket_path);
    if (features.value("kernel_mode", "") == "simulated")
        shown.explain += simulated_procfs_note(shown.commands, features.value("procfs_root", "/proc"));
    return shown;
}

Result<std::vector<CommandResult>> Runner::run_commands(const Lesson& lesson, const std::vector<Command>& commands,
    const OutputSink& sink, bool stop_on_unexpected) const
{
    // The environment of lessons/README.md: the CLI in use first in PATH, its daemon in
    // GLASSBOX_HOST, and the lesson's id so the CLI labels what it creates.
    std::vector<std::string> environment;
    std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char** entry = environ; *entry; ++entry) {
        std::string_view text(*entry);
        if (text.rfind("PATH=", 0) == 0)
            path = std::string(text.substr(5));
        else if (text.rfind("GLASSBOX_HOST=", 0) != 0 && text.rfind("GLASSBOX_LESSON=", 0) != 0)
            environment.emplace_back(text);
    }
    if (!m_options.cli_path.empty())
        path = directory_of(m_options.cli_path) + ":" + path;
    environment.push_back("PATH=" + path);
    environment.push_back("GLASSBOX_HOST=unix://" + m_options.socket_path);
    environment.push_back("GLASSBOX_LESSON=" + lesson.id);
    // The daemon's kernel's procfs, for commands that show a container's /proc/<pid> files:
    // "/proc", or where the simulated kernel renders its processes (with_procfs).
    std::string procfs = daemon_features(m_options.socket_path).value("procfs_root", "/proc");

    std::vector<CommandResult> results;
    for (auto& command : commands) {
        if (sink)
            sink("$ " + command.run + "\n");
        CommandResult result = TRY(run_shell(with_procfs(command.run, procfs), lesson.directory, environment, sink));
        result.expected = command.fails ? result.exit_code != 0 : result.exit_code == 0;
        bool stop = stop_on_unexpected && !result.expected;
        if (sink && !result.expected)
            sink(command.fails ? "(expected this command to fail; it succeeded)\n"
                               : "(exit status " + std::to_string(result.exit_code) + ")\n");
        results.push_back(std::move(result));
        if (stop)
            break;
    }
    return results;
}

Result<std::vector<CommandResult>> Runner::run(const OutputSink& sink) const
{
    auto [progress, lesson] = TRY(current());
    int step = progress.lessons[lesson.id].step;
    if (step >= static_cast<int>(lesson.steps.size()))
        return Error::conflict("lesson " + lesson.id + " is complete");
    auto results = TRY(run_commands(lesson, lesson.steps[step].commands, sink, true));
    if (lesson.steps[step].wait > 0)
        TRY(check_with_wait(lesson, step, lesson.steps[step].wait));
    return results;
}

Result<std::vector<std::string>> Runner::remove_labelled(const std::string& lesson_id) const
{
    api::Client client(m_options.socket_path);
    std::string label = std::string(k_lesson_label) + "=" + lesson_id;
    std::map<std::string, std::vector<std::string>> filters { { "label", { label } } };
    auto labelled = [&](const Json& object) {
        Json labels = object.value("Labels", Json::object());
        return labels.is_object() && labels.value(k_lesson_label, "") == lesson_id;
    };
    std::vector<std::string> removed;

    // Containers first: they hold networks, volumes and images in use.
    Json containers = TRY(client.list_containers({ true, filters, false }));
    for (auto& container : containers) {
        std::string id = container.value("Id", "");
        std::string name = container.value("Names", Json::array()).empty() ? id : container["Names"][0].get<std::string>();
        TRY_CTX(client.remove_container(id, true, true), "remove container " + name);
        removed.push_back("container " + (name.rfind('/', 0) == 0 ? name.substr(1) : name));
    }
    Json networks = TRY(client.list_networks());
    for (auto& network : networks) {
        if (!labelled(network))
            continue;
        TRY_CTX(client.remove_network(network.value("Id", "")), "remove network " + network.value("Name", ""));
        removed.push_back("network " + network.value("Name", ""));
    }
    Json volumes = TRY(client.list_volumes());
    for (auto& volume : volumes.value("Volumes", Json::array())) {
        if (!labelled(volume))
            continue;
        TRY_CTX(client.remove_volume(volume.value("Name", ""), true), "remove volume " + volume.value("Name", ""));
        removed.push_back("volume " + volume.value("Name", ""));
    }
    Json images = TRY(client.list_images(false, filters));
    for (auto& image : images) {
        std::string id = image.value("Id", "");
        auto tags = image.value("RepoTags", Json::array());
        std::string name = !tags.empty() && tags[0].is_string() ? tags[0].get<std::string>() : id.substr(0, 19);
        auto result = client.remove_image(id, true);
        // An image another lesson object still uses stays; say so instead of failing the reset.
        if (!result.ok() && result.error().kind() != ErrorKind::NotFound) {
            removed.push_back("image " + name + " kept: " + result.error().message());
            continue;
        }
        removed.push_back("image " + name);
    }
    return removed;
}

Result<std::vector<std::string>> Runner::reset(std::string_view name, const OutputSink& sink) const
{
    Progress progress = TRY(load_progress(m_options.progress_path));
    std::string wanted(name.empty() ? progress.current : std::string(name));
    if (wanted.empty())
        return Error::not_found("no lesson started: say which lesson to reset");
    Lesson lesson = TRY(load(wanted));
    // Step cleanups (last step first), then the lesson's, then the labelled objects.
    std::vector<Command> cleanup;
    for (auto it = lesson.steps.rbegin(); it != lesson.steps.rend(); ++it)
        cleanup.insert(cleanup.end(), it->cleanup.begin(), it->cleanup.end());
    cleanup.insert(cleanup.end(), lesson.cleanup.begin(), lesson.cleanup.end());
    TRY(run_commands(lesson, cleanup, sink, false));
    auto removed = TRY(remove_labelled(lesson.id));
    progress = TRY(load_progress(m_options.progress_path));
    progress.lessons[lesson.id] = LessonProgress {};
    TRY(save_progress(m_options.progress_path, progress));
    return removed;
}

Result<SolveReport> Runner::solve(std::string_view name, bool keep, const OutputSink& sink) const
{
    Lesson lesson = TRY(load(name));
    auto missing = TRY(missing_features(lesson));
    if (!missing.empty()) {
        std::string message = "lesson " + lesson.id + " cannot run on this kernel:";
        for (auto& line : missing)
            message += "\n  - " + line;
        return Error::unsupported(message + "\n(KERNEL_LAB_LESSONS=" + lesson.id.substr(0, lesson.id.find('-'))
            + " scripts/kernel-lab solves it in a VM with Debian's stock kernel)");
    }
    // Progress is the learner's: solving saves and restores it around the resets.
    Progress saved = TRY(load_progress(m_options.progress_path));
    SolveReport report;
    report.lesson = lesson.id;
    TRY(reset(lesson.id, sink));
    report.passed = true;
    for (size_t i = 0; i < lesson.steps.size(); ++i) {
        const Step& step = lesson.steps[i];
        SolveStep solved;
        solved.id = step.id;
        solved.title = step.title;
        if (sink)
            sink("== step " + std::to_string(i + 1) + "/" + std::to_string(lesson.steps.size()) + ": " + step.title + "\n");
        solved.commands = TRY(run_commands(lesson, step.solution, sink, true));
        bool commands_ok = std::all_of(solved.commands.begin(), solved.commands.end(), [](const CommandResult& r) { return r.expected; });
        solved.check = TRY(check_with_wait(lesson, static_cast<int>(i), std::max(step.wait, k_solve_min_wait_seconds)));
        solved.passed = commands_ok && solved.check.passed;
        report.steps.push_back(std::move(solved));
        if (!report.steps.back().passed) {
            report.passed = false;
            break;
        }
    }
    if (!keep)
        TRY(reset(lesson.id, sink));
    TRY(save_progress(m_options.progress_path, saved));
    return report;
}

Result<std::string> find_lessons_dir(const std::string& executable)
{
    std::vector<std::string> tried;
    if (const char* env = std::getenv("GLASSBOX_LESSONS_DIR"); env && *env) {
        if (fs::is_dir(env))
            return std::string(env);
        return Error::not_found(std::string("GLASSBOX_LESSONS_DIR=") + env + " is not a folder");
    }
    std::string bin = directory_of(executable);
    for (const std::string& candidate : { bin + "/../../lessons", bin + "/../share/glassbox/lessons" }) {
        tried.push_back(candidate);
        if (fs::is_dir(candidate)) {
            char resolved[PATH_MAX];
            return std::string(realpath(candidate.c_str(), resolved) ? resolved : candidate.c_str());
        }
    }
    std::string list;
    for (auto& path : tried)
        list += (list.empty() ? "" : ", ") + path;
    return Error::not_found("no lessons folder found (tried " + list + "); set GLASSBOX_LESSONS_DIR");
}

} // namespace engine::lesson
