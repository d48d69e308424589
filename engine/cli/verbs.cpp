// The table of top-level verbs (verbs.h).
#include "engine/cli/verbs.h"

#include <algorithm>
#include <array>

#include "engine/cli/commands/commands.h"
#include "engine/cli/commands/lesson.h"

namespace engine::cli {

namespace {

struct Verb {
    std::string_view name;
    void (*add)(CLI::App& app, Context& ctx);
};

// In the order of `glassbox --help`. Each entry's adder registers exactly the verb it names
// (tests/unit/cli/verbs_test.cpp checks the table against add_all_verbs).
constexpr auto k_verbs = std::to_array<Verb>({
    { "run", [](CLI::App& app, Context& ctx) { add_run_command(app, ctx); } },
    { "create", [](CLI::App& app, Context& ctx) { add_create_command(app, ctx); } },
    { "start", [](CLI::App& app, Context& ctx) { add_start_command(app, ctx); } },
    { "stop", [](CLI::App& app, Context& ctx) { add_stop_command(app, ctx); } },
    { "restart", [](CLI::App& app, Context& ctx) { add_restart_command(app, ctx); } },
    { "kill", [](CLI::App& app, Context& ctx) { add_kill_command(app, ctx); } },
    { "rm", [](CLI::App& app, Context& ctx) { add_rm_command(app, ctx); } },
    { "ps", [](CLI::App& app, Context& ctx) { add_ps_command(app, ctx); } },
    { "logs", [](CLI::App& app, Context& ctx) { add_logs_command(app, ctx); } },
    { "exec", [](CLI::App& app, Context& ctx) { add_exec_command(app, ctx); } },
    { "wait", [](CLI::App& app, Context& ctx) { add_wait_command(app, ctx); } },
    { "inspect", [](CLI::App& app, Context& ctx) { add_inspect_command(app, ctx); } },
    { "attach", [](CLI::App& app, Context& ctx) { add_attach_command(app, ctx); } },
    { "top", [](CLI::App& app, Context& ctx) { add_top_command(app, ctx); } },
    { "stats", [](CLI::App& app, Context& ctx) { add_stats_command(app, ctx); } },
    { "rename", [](CLI::App& app, Context& ctx) { add_rename_command(app, ctx); } },
    { "cp", [](CLI::App& app, Context& ctx) { add_cp_command(app, ctx); } },
    { "diff", [](CLI::App& app, Context& ctx) { add_diff_command(app, ctx); } },
    { "export", [](CLI::App& app, Context& ctx) { add_export_command(app, ctx); } },
    { "commit", [](CLI::App& app, Context& ctx) { add_commit_command(app, ctx); } },
    { "pause", [](CLI::App& app, Context& ctx) { add_pause_command(app, ctx); } },
    { "unpause", [](CLI::App& app, Context& ctx) { add_unpause_command(app, ctx); } },
    { "update", [](CLI::App& app, Context& ctx) { add_update_command(app, ctx); } },
    { "events", [](CLI::App& app, Context& ctx) { add_events_command(app, ctx); } },
    { "port", [](CLI::App& app, Context& ctx) { add_port_command(app, ctx); } },
    { "images", [](CLI::App& app, Context& ctx) { add_images_command(app, ctx); } },
    { "rmi", [](CLI::App& app, Context& ctx) { add_rmi_command(app, ctx); } },
    { "tag", [](CLI::App& app, Context& ctx) { add_tag_command(app, ctx); } },
    { "history", [](CLI::App& app, Context& ctx) { add_history_command(app, ctx); } },
    { "import", [](CLI::App& app, Context& ctx) { add_import_command(app, ctx); } },
    { "load", [](CLI::App& app, Context& ctx) { add_load_command(app, ctx); } },
    { "save", [](CLI::App& app, Context& ctx) { add_save_command(app, ctx); } },
    { "pull", [](CLI::App& app, Context& ctx) { add_pull_command(app, ctx); } },
    { "build", [](CLI::App& app, Context& ctx) { add_build_command(app, ctx); } },
    { "image", add_image_command },
    { "container", add_container_command },
    { "volume", add_volume_command },
    { "network", add_network_command },
    { "info", [](CLI::App& app, Context& ctx) { add_info_command(app, ctx); } },
    { "version", [](CLI::App& app, Context& ctx) { add_version_command(app, ctx); } },
    { "system", add_system_command },
    { "compose", add_compose_command },
    { "lesson", add_lesson_command },
#ifdef GLASSBOX_CLI_HAS_STATE
    { "state", add_state_command },
    { "record", add_record_command },
    { "replay", add_replay_command },
#endif
});

const Verb* find_verb(std::string_view name)
{
    auto it = std::find_if(k_verbs.begin(), k_verbs.end(), [&](const Verb& verb) { return verb.name == name; });
    return it == k_verbs.end() ? nullptr : &*it;
}

} // namespace

void add_all_verbs(CLI::App& app, Context& ctx)
{
    for (const auto& verb : k_verbs)
        verb.add(app, ctx);
}

std::vector<std::string_view> verb_names()
{
    std::vector<std::string_view> names;
    for (const auto& verb : k_verbs)
        names.push_back(verb.name);
    return names;
}

std::string_view verb_to_build(int argc, const char* const* argv)
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
    for (int later = at + 1; later < argc; ++later)
        if (find_verb(argv[later]) != nullptr)
            return {};
    return argv[at];
}

bool add_verb(CLI::App& app, Context& ctx, std::string_view name)
{
    const Verb* verb = find_verb(name);
    if (verb == nullptr)
        return false;
    verb->add(app, ctx);
    return true;
}

} // namespace engine::cli
