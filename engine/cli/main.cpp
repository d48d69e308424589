// glassbox: the command-line face of glassboxd, with Docker's verbs and flags. Wiring only:
// parse the global flags and the verb (CLI11), run the verb's action, print its error.
// Every verb talks to the daemon through api::Client (engine/api/client.h), never the engine.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string_view>

#include <CLI/CLI.hpp>

#include "engine/cli/context.h"
#include "engine/cli/phase_trace.h"
#include "engine/cli/verbs.h"

namespace {

// The app with the global flags and `verb` (every verb when it is empty).
std::unique_ptr<CLI::App> make_app(engine::cli::Context& ctx, std::string_view verb)
{
    using namespace engine::cli;
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
    if (verb.empty() || !add_verb(*app, ctx, verb))
        add_all_verbs(*app, ctx);
    return app;
}

} // namespace

int main(int argc, char** argv)
{
    using namespace engine::cli;
    note_main_entered();

    // A closed stdout (glassbox logs | head) must end output quietly, not kill us mid-request.
    std::signal(SIGPIPE, SIG_IGN);

    // Only the verb asked for is built (verbs.h); help without a verb, a global flag written in
    // another form and every parse error go through the whole tree, as they always did.
    std::string_view verb = verb_to_build(argc, argv);
    auto ctx = std::make_unique<Context>();
    auto app = make_app(*ctx, verb);
    try {
        app->parse(argc, argv);
    } catch (const CLI::ParseError& first) {
        if (!verb.empty() && first.get_exit_code() != 0) {
            ctx = std::make_unique<Context>();
            app = make_app(*ctx, {});
            try {
                app->parse(argc, argv);
            } catch (const CLI::ParseError& error) {
                return app->exit(error) == 0 ? 0 : 125;
            }
        } else {
            // Help is success; a usage error exits 125, as docker's does.
            return app->exit(first) == 0 ? 0 : 125;
        }
    }
    if (!ctx->action)
        return 0;
    auto result = ctx->action();
    if (!result.ok()) {
        print_error(result.error());
        return 1;
    }
    return result.value();
}
