// The table of top-level verbs (verbs.h).
#include "engine/cli/verbs.h"

#include <algorithm>
#include <array>
#include <string>

#include "engine/cli/commands/commands.h"
#include "engine/cli/commands/lesson.h"

namespace engine::cli {

namespace {

struct Verb {
    std::string_view name;
    // `sub` is the word after the verb: a group verb builds only the sub-verb it names.
    void (*add)(CLI::App& app, Context& ctx, std::string_view sub);
};

// In the order of `glassbox --help`. Each entry's adder registers exactly the verb it names
// (tests/unit/cli/verbs_test.cpp checks the table against add_all_verbs).
constexpr auto k_verbs = std::to_array<Verb>({
    { "run", [](CLI::App& app, Context& ctx, std::string_view) { add_run_command(app, ctx); } },
    { "create", [](CLI::App& app, Context& ctx, std::string_view) { add_create_command(app, ctx); } },
    { "start", [](CLI::App& app, Context& ctx, std::string_view) { add_start_command(app, ctx); } },
    { "stop", [](CLI::App& app, Context& ctx, std::string_view) { add_stop_command(app, ctx); } },
    { "restart", [](CLI::App& app, Context& ctx, std::string_view) { add_restart_command(app, ctx); } },
    { "kill", [](CLI::App& app, Context& ctx, std::string_view) { add_kill_command(app, ctx); } },
    { "rm", [](CLI::App& app, Context& ctx, std::string_view) { add_rm_command(app, ctx); } },
    { "ps", [](CLI::App& app, Context& ctx, std::string_view) { add_ps_command(app, ctx); } },
    { "logs", [](CLI::App& app, Context& ctx, std::string_view) { add_logs_command(app, ctx); } },
    { "exec", [](CLI::App& app, Context& ctx, std::string_view) { add_exec_command(app, ctx); } },
    { "wait", [](CLI::App& app, Context& ctx, std::string_view) { add_wait_command(app, ctx); } },
    { "inspect", [](CLI::App& app, Context& ctx, std::string_view) { add_inspect_command(app, ctx); } },
    { "attach", [](CLI::App& app, Context& ctx, std::string_view) { add_attach_command(app, ctx); } },
    { "top", [](CLI::App& app, Context& ctx, std::string_view) { add_top_command(app, ctx); } },
    { "stats", [](CLI::App& app, Context& ctx, std::string_view) { add_stats_command(app, ctx); } },
    { "rename", [](CLI::App& app, Context& ctx, std::string_view) { add_rename_command(app, ctx); } },
    { "cp", [](CLI::App& app, Context& ctx, std::string_view) { add_cp_command(app, ctx); } },
    { "diff", [](CLI::App& app, Context& ctx, std::string_view) { add_diff_command(app, ctx); } },
    { "export", [](CLI::App& app, Context& ctx, std::string_view) { add_export_command(app, ctx); } },
    { "commit", [](CLI::App& app, Context& ctx, std::string_view) { add_commit_command(app, ctx); } },
    { "pause", [](CLI::App& app, Context& ctx, std::string_view) { add_pause_command(app, ctx); } },
    { "unpause", [](CLI::App& app, Context& ctx, std::string_view) { add_unpause_command(app, ctx); } },
    { "update", [](CLI::App& app, Context& ctx, std::string_view) { add_update_command(app, ctx); } },
    { "events", [](CLI::App& app, Context& ctx, std::string_view) { add_events_command(app, ctx); } },
    { "port", [](CLI::App& app, Context& ctx, std::string_view) { add_port_command(app, ctx); } },
    { "images", [](CLI::App& app, Context& ctx, std::string_view) { add_images_command(app, ctx); } },
    { "rmi", [](CLI::App& app, Context& ctx, std::string_view) { add_rmi_command(app, ctx); } },
    { "tag", [](CLI::App& app, Context& ctx, std::string_view) { add_tag_command(app, ctx); } },
    { "history", [](CLI::App& app, Context& ctx, std::string_view) { add_history_command(app, ctx); } },
    { "import", [](CLI::App& app, Context& ctx, std::string_view) { add_import_command(app, ctx); } },
    { "load", [](CLI::App& app, Context& ctx, std::string_view) { add_load_command(app, ctx); } },
    { "save", [](CLI::App& app, Context& ctx, std::string_view) { add_save_command(app, ctx); } },
    { "pull", [](CLI::App& app, Context& ctx, std::string_view) { add_pull_command(app, ctx); } },
    { "build", [](CLI::App& app, Context& ctx, std::string_view) { add_build_command(app, ctx); } },
    { "image", [](CLI::App& app, Context& ctx, std::string_view sub) { add_image_command(app, ctx, sub); } },
    { "container", [](CLI::App& app, Context& ctx, std::string_view sub) { add_container_command(app, ctx, sub); } },
    { "volume", [](CLI::App& app, Context& ctx, std::string_view sub) { add_volume_command(app, ctx, sub); } },
    { "network", [](CLI::App& app, Context& ctx, std::string_view sub) { add_network_command(app, ctx, sub); } },
    { "info", [](CLI::App& app, Context& ctx, std::string_view) { add_info_command(app, ctx); } },
    { "version", [](CLI::App& app, Context& ctx, std::string_view) { add_version_command(app, ctx); } },
    { "system", [](CLI::App& app, Context& ctx, std::string_view) { add_system_command(app, ctx); } },
    { "compose", [](CLI::App& app, Context& ctx, std::string_view) { add_compose_command(app, ctx); } },
    { "lesson", [](CLI::App& app, Context& ctx, std::string_view) { add_lesson_command(app, ctx); } },
#ifdef GLASSBOX_CLI_HAS_STATE
    { "state", [](CLI::App& app, Context& ctx, std::string_view) { add_state_command(app, ctx); } },
    { "record", [](CLI::App& app, Context& ctx, std::string_view) { add_record_command(app, ctx); } },
    { "replay", [](CLI::App& app, Context& ctx, std::string_view) { add_replay_command(app, ctx); } },
#endif
});

const Verb* find_verb(std::string_view name)
{
    auto it = std::find_if(k_verbs.begin(), k_verbs.end(), [&](const Verb& verb) { return verb.name == name; });
    return it == k_verbs.end() ? nullptr : &*it;
}

} // namespace

void add_group_verb(CLI::App& parent, Context& ctx, const std::string& name, const std::string& description,
    std::span<const SubVerb> verbs, std::string_view only)
{
    auto& group = *parent.add_subcommand(name, description);
    group.require_subcommand(1);
    auto named = std::find_if(verbs.begin(), verbs.end(), [&](const SubVerb& verb) {
        return !only.empty() && std::find(verb.names.begin(), verb.names.end(), only) != verb.names.end();
    });
    if (named != verbs.end()) {
        named->add(group, ctx);
        return;
    }
    for (const auto& verb : verbs)
        verb.add(group, ctx);
}

void add_all_verbs(CLI::App& app, Context& ctx)
{
    for (const auto& verb : k_verbs)
        verb.add(app, ctx, {});
}

std::vector<std::string_view> verb_names()
{
    std::vector<std::string_view> names;
    for (const auto& verb : k_verbs)
        names.push_back(verb.name);
    return names;
}

VerbPath verbs_to_build(int argc, const char* const* argv)
{
    int at = 1;
    for (; at < argc; ++at) {
        std::string_view arg = argv[at];
        if (arg == "-D" || arg == "--debug")
            continue;
        if (arg == "-H" || arg == "--host" || arg == "--root" || arg == "--run-root" || arg == "--kernel") {
            ++at;
            continue;
        }
        if (arg.starts_with("--host=") || arg.starts_with("--root=") || arg.starts_with("--run-root=")
            || arg.starts_with("--kernel="))
            continue;
        break;
    }
    if (at >= argc || find_verb(argv[at]) == nullptr)
        return {};
    return { argv[at], at + 1 < argc ? std::string_view(argv[at + 1]) : std::string_view() };
}

bool add_verb(CLI::App& app, Context& ctx, VerbPath path)
{
    const Verb* verb = find_verb(path.verb);
    if (verb == nullptr)
        return false;
    verb->add(app, ctx, path.sub);
    return true;
}

std::unique_ptr<CLI::App> make_app(Context& ctx, VerbPath path)
{
    auto app = std::make_unique<CLI::App>("glassbox: a container engine you can see inside (Docker's verbs, talking to glassboxd)");
    app->name("glassbox");
    app->require_subcommand(1);
    app->fallthrough(false);
    app->add_option("-H,--host", ctx.global.host, "Daemon socket to connect to (unix:///path; default $GLASSBOX_HOST, else "
        + std::string(k_default_run_root) + "/glassbox.sock with auto-start)");
    app->add_option("--root", ctx.global.root, "Engine root for an auto-started daemon (default /var/lib/glassbox)");
    app->add_option("--run-root", ctx.global.run_root, "Run root for an auto-started daemon (default /run/glassbox)");
    app->add_option("--kernel", ctx.global.kernel,
        "Kernel for an auto-started daemon: real, sim (simulated) or auto (sim when not root; default $GLASSBOX_KERNEL, else auto)");
    app->add_flag("-D,--debug", ctx.global.debug, "Print what the client does on stderr");
    if (path.verb.empty() || !add_verb(*app, ctx, path))
        add_all_verbs(*app, ctx);
    return app;
}

CommandLine parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err)
{
    VerbPath path = verbs_to_build(argc, argv);
    CommandLine line { .ctx = std::make_unique<Context>(), .app = {}, .exit_code = {}, .whole_tree = path.verb.empty() };
    if (!line.whole_tree)
        line.ctx->command_words = std::span<const char* const>(argv + 1, static_cast<size_t>(argc - 1));
    line.app = make_app(*line.ctx, path);
    // Only the building reads the words; the caller's argv need not outlive the parse.
    line.ctx->command_words = {};
    try {
        line.app->parse(argc, argv);
        return line;
    } catch (const CLI::ParseError& error) {
        // Help is success; a usage error exits 125, as docker's does.
        if (line.whole_tree || error.get_exit_code() == 0) {
            line.exit_code = line.app->exit(error, out, err) == 0 ? 0 : 125;
            return line;
        }
    }
    // The part of the tree did not parse: the whole tree decides, and words its error.
    line.app.reset();
    line.ctx = std::make_unique<Context>();
    line.app = make_app(*line.ctx, {});
    line.whole_tree = true;
    try {
        line.app->parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        line.exit_code = line.app->exit(error, out, err) == 0 ? 0 : 125;
    }
    return line;
}

} // namespace engine::cli
