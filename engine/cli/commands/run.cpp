// glassbox run [OPTIONS] IMAGE [COMMAND] [ARG...], in the docker CLI's order (README §2.1):
// create, attach (before start, so no output is lost), wait?condition=next-exit|removed (its
// headers must arrive before start), start, then pump the streams and exit with the
// container's StatusCode. -d prints the id instead. Start failures exit 125/126/127.
#include "engine/cli/commands/commands.h"

#include <unistd.h>

#include <optional>

#include "engine/cli/phase_trace.h"
#include "engine/cli/session.h"

namespace engine::cli {

namespace {

Result<int> run_detached(api::Client& client, const std::string& id, ClientTrace& trace)
{
    // The docker CLI registers a next-exit wait before start and drops it afterwards.
    auto wait = client.begin_wait(id, "next-exit");
    trace.mark("wait registered");
    auto started = client.start_container(id);
    trace.mark("start");
    if (!started.ok())
        return fail(started.error(), start_failure_exit_code(started.error()));
    print_out(id + "\n");
    trace.print(client, id);
    return 0;
}

} // namespace

static Result<int> run_container(Context& ctx, RunFlags& flags)
{
    ClientTrace trace(ctx.global.debug);
    auto* client = TRY(ctx.client());
    trace.mark("connect");
    if (flags.tty) {
        auto [rows, cols] = terminal_size();
        flags.console_rows = rows;
        flags.console_cols = cols;
    }
    auto created = create_from_flags(*client, flags);
    if (!created.ok())
        return fail(created.error(), 125);
    const std::string id = created.release_value();
    trace.mark("create");
    if (flags.detach)
        return run_detached(*client, id, trace);

    auto attached = client->attach_container(id, flags.interactive);
    if (!attached.ok())
        return fail(attached.error(), 125);
    auto stream = attached.release_value();
    trace.mark("attach");
    auto waiting = client->begin_wait(id, flags.remove ? "removed" : "next-exit");
    if (!waiting.ok())
        return fail(waiting.error(), 125);
    auto wait = waiting.release_value();
    trace.mark("wait registered");

    // Raw mode only when our stdin goes to the container's terminal.
    std::optional<RawTerminal> raw;
    if (flags.tty && flags.interactive)
        raw.emplace();
    SignalProxy proxy({
        .forward = flags.tty ? std::function<void(const std::string&)>()
                             : [client, id](const std::string& signal) { (void)client->kill_container(id, signal); },
        .resize = flags.tty ? std::function<void()>([client, id] {
            auto [rows, cols] = terminal_size();
            if (rows > 0)
                (void)client->resize_container(id, rows, cols);
        })
                            : std::function<void()>(),
    });

    auto started = client->start_container(id);
    trace.mark("start");
    if (!started.ok()) {
        if (raw)
            raw->restore();
        stream.close();
        // --rm promises no leftover container; a container that never started has no exit
        // for the daemon's auto-remove to act on, so remove it here (already gone is fine).
        if (flags.remove) {
            auto removed = client->remove_container(id, true, false);
            if (!removed.ok() && removed.error().kind() != ErrorKind::NotFound)
                ctx.debug("remove after failed start: " + removed.error().describe());
        }
        return fail(started.error(), start_failure_exit_code(started.error()));
    }
    if (flags.tty) {
        // The daemon may answer 409 if the container already exited; docker ignores that too.
        auto [rows, cols] = terminal_size();
        if (rows > 0)
            (void)client->resize_container(id, rows, cols);
    }
    auto pumped = pump_stream(stream, { .tty = flags.tty, .send_stdin = flags.interactive });
    trace.mark("output until the stream ends");
    auto status = api::Client::finish_wait(wait);
    trace.mark(flags.remove ? "wait (removed)" : "wait (next-exit)");
    if (raw)
        raw->restore();
    trace.print(*client, id);
    if (!pumped.ok())
        print_error(pumped.error());
    if (!status.ok())
        return fail(status.error(), 125);
    if (!status.value().error.empty())
        print_error(Error::system(status.value().error));
    auto code = status.value().status_code;
    return static_cast<int>(code < 0 || code > 255 ? 125 : code);
}

void add_run_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto flags = std::make_shared<RunFlags>();
    auto* command = parent.add_subcommand(name, "Create and run a new container from an image");
    add_run_flags(*command, *flags, RunVerb::Run, FlagWords(ctx.command_words));
    set_action(command, ctx, [&ctx, flags]() { return run_container(ctx, *flags); });
}

} // namespace engine::cli
