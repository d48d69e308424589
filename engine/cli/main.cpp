// glassbox: the command-line face of glassboxd, with Docker's verbs and flags. Wiring only:
// parse the global flags and the verb (CLI11), run the verb's action, print its error.
// Every verb talks to the daemon through api::Client (engine/api/client.h), never the engine.
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "engine/cli/commands/commands.h"
#include "engine/cli/commands/lesson.h"
#include "engine/cli/context.h"

int main(int argc, char** argv)
{
    using namespace engine::cli;

    // A closed stdout (glassbox logs | head) must end output quietly, not kill us mid-request.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app { "glassbox: a container engine you can see inside (Docker's verbs, talking to glassboxd)" };
    app.name("glassbox");
    app.require_subcommand(1);
    app.fallthrough(false);
    Context ctx;
    app.add_option("-H,--host", ctx.global.host, "Daemon socket to connect to (unix:///path; default $GLASSBOX_HOST, else "
        + std::string(k_default_run_root) + "/glassbox.sock with auto-start)");
    app.add_option("--root", ctx.global.root, "Engine root for an auto-started daemon (default /var/lib/glassbox)");
    app.add_option("--run-root", ctx.global.run_root, "Run root for an auto-started daemon (default /run/glassbox)");
    app.add_option("--kernel", ctx.global.kernel,
        "Kernel for an auto-started daemon: real, sim (simulated) or auto (sim when not root; default $GLASSBOX_KERNEL, else auto)");
    app.add_flag("-D,--debug", ctx.global.debug, "Print what the client does on stderr");

    add_run_command(app, ctx);
    add_create_command(app, ctx);
    add_start_command(app, ctx);
    add_stop_command(app, ctx);
    add_restart_command(app, ctx);
    add_kill_command(app, ctx);
    add_rm_command(app, ctx);
    add_ps_command(app, ctx);
    add_logs_command(app, ctx);
    add_exec_command(app, ctx);
    add_wait_command(app, ctx);
    add_inspect_command(app, ctx);
    add_attach_command(app, ctx);
    add_top_command(app, ctx);
    add_stats_command(app, ctx);
    add_rename_command(app, ctx);
    add_cp_command(app, ctx);
    add_diff_command(app, ctx);
    add_export_command(app, ctx);
    add_commit_command(app, ctx);
    add_pause_command(app, ctx);
    add_unpause_command(app, ctx);
    add_update_command(app, ctx);
    add_events_command(app, ctx);
    add_port_command(app, ctx);
    add_images_command(app, ctx);
    add_rmi_command(app, ctx);
    add_tag_command(app, ctx);
    add_history_command(app, ctx);
    add_import_command(app, ctx);
    add_load_command(app, ctx);
    add_save_command(app, ctx);
    add_pull_command(app, ctx);
    add_build_command(app, ctx);
    add_image_command(app, ctx);
    add_container_command(app, ctx);
    add_volume_command(app, ctx);
    add_network_command(app, ctx);
    add_info_command(app, ctx);
    add_version_command(app, ctx);
    add_system_command(app, ctx);
    add_compose_command(app, ctx);
    add_lesson_command(app, ctx);
#ifdef GLASSBOX_CLI_HAS_STATE
    add_state_command(app, ctx);
    add_record_command(app, ctx);
    add_replay_command(app, ctx);
#endif

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // Help is success; a usage error exits 125, as docker's does.
        int code = app.exit(error);
        return code == 0 ? 0 : 125;
    }
    if (!ctx.action)
        return 0;
    auto result = ctx.action();
    if (!result.ok()) {
        print_error(result.error());
        return 1;
    }
    return result.value();
}
