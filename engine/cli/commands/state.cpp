// glassbox state [--json] [--container X] [--kind K]: the kernel as glassboxd sees it
// (GET /glassbox/v1/state), as a readable summary per container or as the snapshot JSON.
// glassbox state diff [--json] [--all] [--usage] -- COMMAND...: snapshot, run COMMAND (another
// glassbox verb, as a child process of this same binary talking to the same daemon), snapshot
// again, and print what changed in the kernel (GET /glassbox/v1/state/diff?from=&to=); exits with
// the command's exit code. glassbox state diff --since 5m: the change over a time window.
// Kernel interfaces: fork(2), execv(2), waitpid(2) for the child command.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "engine/base/strings.h"
#include "engine/cli/commands/commands.h"
#include "engine/cli/commands/state.h"
#include "engine/cli/phase_trace.h"
#include "engine/state/snapshot_json.h"
#include "engine/state/summary.h"

namespace engine::cli {

namespace {

struct StateArgs {
    bool json { false };
    std::string container;
    std::string kind;
};

struct DiffArgs {
    bool json { false };
    bool all { false };
    bool usage { false };
    std::string since;
    std::vector<std::string> command;
};

std::string state_path(const StateArgs& args)
{
    std::vector<std::pair<std::string, std::string>> params;
    if (!args.container.empty())
        params.emplace_back("container", args.container);
    if (!args.kind.empty())
        params.emplace_back("kind", args.kind);
    // The readable form is rendered by the daemon from the snapshot it just took: the CLI then
    // receives a few kilobytes of text instead of the whole snapshot (over a megabyte with 50
    // containers) that it would decode only to summarise.
    if (!args.json)
        params.emplace_back("view", "summary");
    return "/glassbox/v1/state" + api::query_string(params);
}

// `glassbox -D state` prints where its time went: "DEBU state step <name> <ms> ms", each step
// from the end of the previous one, the first from the process's start (tests/bench/state).
class Steps {
public:
    explicit Steps(const Context& ctx) : m_ctx(ctx), m_last(process_start_time()) { }
    void mark(const std::string& name)
    {
        auto now = std::chrono::steady_clock::now();
        char ms[32];
        std::snprintf(ms, sizeof(ms), "%.2f", std::chrono::duration<double, std::milli>(now - m_last).count());
        m_ctx.debug("state step " + name + " " + ms + " ms");
        m_last = now;
    }

private:
    const Context& m_ctx;
    std::chrono::steady_clock::time_point m_last;
};

Result<int> show_state(Context& ctx, const StateArgs& args)
{
    Steps steps(ctx);
    steps.mark("start");
    auto* client = TRY(ctx.client());
    steps.mark("connect");
    auto json = TRY(client->get_json(state_path(args)));
    steps.mark("request");
    if (args.json) {
        auto text = json.dump(2) + "\n";
        steps.mark("render");
        print_out(text);
        steps.mark("print");
        return 0;
    }
    std::string text;
    if (json.contains("text") && json["text"].is_string()) {
        text = json["text"].get<std::string>();
    } else {
        // A daemon older than ?view=summary answers with the whole snapshot: render it here.
        auto snapshot = TRY_CTX(state::snapshot_from_json(json), "read the daemon's snapshot");
        text = args.kind.empty() ? state::render_summary(snapshot) : state::render_kind(snapshot, args.kind);
    }
    steps.mark("decode");
    print_out(text);
    steps.mark("print");
    return 0;
}

} // namespace

std::vector<std::string> state_diff_child_argv(const std::string& host, std::vector<std::string> command)
{
    // `state diff -- glassbox network create x` and `state diff -- network create x` are the same.
    if (!command.empty() && (command.front() == "glassbox" || strings::ends_with(command.front(), "/glassbox")))
        command.erase(command.begin());
    // The command may name its daemon itself (`-- glassbox -H unix:///s network create n`); it
    // then keeps its own, since a second -H would be refused. Only the global options before
    // the verb count: a -H after it belongs to the verb.
    bool has_host = false;
    for (const auto& word : command) {
        if (word.empty() || word[0] != '-')
            break;
        if (word == "-H" || word == "--host" || strings::starts_with(word, "-H") || strings::starts_with(word, "--host="))
            has_host = true;
    }
    std::vector<std::string> argv { "/proc/self/exe" };
    if (!has_host) {
        argv.push_back("-H");
        argv.push_back(host);
    }
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
}

namespace {

// Runs `glassbox -H <socket> COMMAND...` and returns its exit code (128 + signal when killed).
// With `stdout_to_stderr`, the command's output goes to our stderr so our stdout stays JSON.
Result<int> run_child(const std::string& socket_path, const std::vector<std::string>& command, bool stdout_to_stderr)
{
    // /proc/self/exe is this very binary, whatever name it was started under.
    auto words = state_diff_child_argv("unix://" + socket_path, command);
    if (words.size() <= 1 || (words.size() == 3 && words[1] == "-H"))
        return Error::invalid("state diff: no command after \"--\" (for example: glassbox state diff -- run --rm busybox true)");
    std::vector<const char*> argv;
    for (const auto& word : words)
        argv.push_back(word.c_str());
    argv.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0)
        return Error::from_errno("fork for the command", errno);
    if (pid == 0) {
        if (stdout_to_stderr)
            ::dup2(STDERR_FILENO, STDOUT_FILENO);
        ::execv(argv[0], const_cast<char* const*>(argv.data()));
        ::_exit(127);
    }
    // Ctrl-C reaches the child through the terminal; we wait for it and still print the diff.
    auto old_int = std::signal(SIGINT, SIG_IGN);
    int status = 0;
    pid_t waited = 0;
    do {
        waited = ::waitpid(pid, &status, 0);
    } while (waited < 0 && errno == EINTR);
    std::signal(SIGINT, old_int);
    if (waited < 0)
        return Error::from_errno("wait for the command", errno);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

std::string diff_query(const DiffArgs& args, std::vector<std::pair<std::string, std::string>> params)
{
    if (args.all)
        params.emplace_back("all", "1");
    if (args.usage)
        params.emplace_back("usage", "1");
    return "/glassbox/v1/state/diff" + api::query_string(params);
}

Result<std::uint64_t> take_generation(api::Client& client)
{
    // The kind filter keeps the answer small; the daemon still takes (and keeps) a full snapshot.
    auto json = TRY(client.get_json("/glassbox/v1/state?kind=containers"));
    if (!json.contains("generation") || !json["generation"].is_number_unsigned())
        return Error::system("the daemon's snapshot has no generation number");
    return json["generation"].get<std::uint64_t>();
}

Result<int> show_diff(Context& ctx, const DiffArgs& args)
{
    if (!args.since.empty() && !args.command.empty())
        return Error::invalid("state diff: give either --since or a command after \"--\", not both");
    if (args.since.empty() && args.command.empty())
        return Error::invalid("state diff: give a command after \"--\" (glassbox state diff -- run --rm busybox true) or --since 5m");
    auto* client = TRY(ctx.client());
    int exit_code = 0;
    std::string path;
    if (!args.since.empty()) {
        path = diff_query(args, { { "since", args.since } });
    } else {
        auto before = TRY(take_generation(*client));
        auto endpoint = TRY(ctx.endpoint());
        exit_code = TRY(run_child(endpoint.socket_path, args.command, args.json));
        auto after = TRY(take_generation(*client));
        path = diff_query(args, { { "from", std::to_string(before) }, { "to", std::to_string(after) } });
    }
    auto diff = TRY(client->get_json(path));
    if (args.json) {
        print_out(diff.dump(2) + "\n");
    } else {
        print_out("--- kernel changes (snapshot " + std::to_string(diff.value("from_generation", 0)) + " -> "
            + std::to_string(diff.value("to_generation", 0)) + "):\n" + diff.value("text", ""));
    }
    return exit_code;
}

} // namespace

void add_state_command(CLI::App& parent, Context& ctx)
{
    auto args = std::make_shared<StateArgs>();
    auto* command = parent.add_subcommand("state", "Show the kernel state glassbox made: processes, namespaces, mounts, cgroups, network");
    command->add_flag("--json", args->json, "Print the snapshot as JSON (schema: engine/state/SCHEMA.md)");
    command->add_option("--container", args->container, "Only this container's objects (name or id)");
    command->add_option("--kind", args->kind, "Only one kind of object (containers, processes, namespaces, mounts, cgroups, links, ...)");
    command->require_subcommand(0, 1);

    auto diff_args = std::make_shared<DiffArgs>();
    auto* diff = command->add_subcommand("diff", "Show what a glassbox command (or the last while) changed in the kernel");
    diff->add_flag("--json", diff_args->json, "Print the diff as JSON (the command's own output goes to stderr)");
    diff->add_flag("--all", diff_args->all, "Include host objects that do not belong to glassbox");
    diff->add_flag("--usage", diff_args->usage, "Include counters that move on their own (memory, CPU, members)");
    diff->add_option("--since", diff_args->since, "Compare the state at this time (RFC 3339 or a duration like 5m) with now");
    diff->add_option("COMMAND", diff_args->command, "A glassbox command, after \"--\"");
    diff->positionals_at_end();
    diff->prefix_command();
    set_action(diff, ctx, [&ctx, diff_args] { return show_diff(ctx, *diff_args); });

    command->callback([&ctx, command, args] {
        // `state diff` set its own action already; plain `state` shows the snapshot.
        if (command->get_subcommands().empty())
            ctx.action = [&ctx, args] { return show_state(ctx, *args); };
    });
}

} // namespace engine::cli
