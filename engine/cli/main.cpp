// glassbox: the command-line face of glassboxd, with Docker's verbs and flags. Wiring only:
// parse the global flags and the verb (CLI11), run the verb's action, print its error.
// Every verb talks to the daemon through api::Client (engine/api/client.h), never the engine.
#include <csignal>
#include <iostream>

#include "engine/cli/context.h"
#include "engine/cli/phase_trace.h"
#include "engine/cli/verbs.h"

int main(int argc, char** argv)
{
    using namespace engine::cli;
    note_main_entered();

    // A closed stdout (glassbox logs | head) must end output quietly, not kill us mid-request.
    std::signal(SIGPIPE, SIG_IGN);

    // Only the verbs asked for are built (verbs.h); help without a verb, a global flag written in
    // another form and every parse error go through the whole tree, as they always did.
    auto line = parse_command_line(argc, argv, std::cout, std::cerr);
    if (line.exit_code)
        return *line.exit_code;
    auto& ctx = line.ctx;
    if (!ctx->action)
        return 0;
    auto result = ctx->action();
    if (!result.ok()) {
        print_error(result.error());
        return 1;
    }
    return result.value();
}
