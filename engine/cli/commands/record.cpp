// glassbox record FILE [--duration S]: streams GET /glassbox/v1/events?snapshots=1 into a timeline
// file (engine/state/record.h): the current snapshot, then every engine event, the kernel changes
// after each, and a fresh snapshot, until Ctrl-C (SIGINT or SIGTERM) or the duration ends.
// glassbox replay FILE [--json]: prints a timeline without a daemon and without root; --json
// prints each entry as one JSON line (snapshots in the schema of engine/state/SCHEMA.md).
// Kernel interfaces: sigaction(2) for Ctrl-C, so the recording ends with a complete last line.
#include <csignal>

#include <atomic>
#include <chrono>

#include "engine/cli/commands/commands.h"
#include "engine/state/record.h"
#include "engine/state/snapshot_json.h"
#include "engine/state/summary.h"

namespace engine::cli {

namespace {

std::atomic<bool> g_stop_recording { false };

void on_stop_signal(int) { g_stop_recording.store(true); }

struct RecordArgs {
    std::string file;
    double duration { 0 };
    bool all { false };
};

struct RecordCounts {
    int snapshots { 0 };
    int events { 0 };
    int changes { 0 };
};

// Writes one line of the events stream to the timeline; ticks and warnings are not recorded.
Result<void> record_line(state::TimelineWriter& writer, const Json& line, RecordCounts& counts)
{
    auto type = line.is_object() ? line.value("type", "") : std::string();
    if (type == "snapshot") {
        auto snapshot = TRY_CTX(state::snapshot_from_json(line.value("snapshot", Json::object())), "snapshot from the daemon");
        TRY(writer.write_snapshot(snapshot));
        ++counts.snapshots;
    } else if (type == "event" || type == "change") {
        TRY(writer.write_event(line));
        ++(type == "event" ? counts.events : counts.changes);
    } else if (type == "warning") {
        print_error(Error::system("daemon: " + line.value("message", "")));
    }
    return Ok {};
}

Result<int> record(Context& ctx, const RecordArgs& args)
{
    if (args.duration < 0)
        return Error::invalid("record: --duration must be 0 (until Ctrl-C) or more seconds, got " + std::to_string(args.duration));
    auto* client = TRY(ctx.client());
    auto writer = TRY(state::TimelineWriter::create(args.file));

    // No SA_RESTART: a blocked read returns, and the daemon's once-a-second tick ends the wait.
    struct sigaction action { };
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    struct sigaction old_int { };
    struct sigaction old_term { };
    ::sigaction(SIGINT, &action, &old_int);
    ::sigaction(SIGTERM, &action, &old_term);
    g_stop_recording.store(false);

    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                            std::chrono::duration<double>(args.duration));
    auto done = [&] {
        return g_stop_recording.load() || (args.duration > 0 && std::chrono::steady_clock::now() >= deadline);
    };
    RecordCounts counts;
    std::optional<Error> failure;
    std::string pending;
    std::string path = std::string("/glassbox/v1/events?snapshots=1") + (args.all ? "&all=1" : "");
    auto streamed = client->stream("GET", api::Client::versioned(path), {}, [&](std::string_view data) {
        pending.append(data);
        size_t newline = 0;
        while ((newline = pending.find('\n')) != std::string::npos) {
            auto text = pending.substr(0, newline);
            pending.erase(0, newline + 1);
            if (text.find_first_not_of(" \r\t") == std::string::npos)
                continue;
            auto line = Json::parse(text, nullptr, false);
            if (line.is_discarded()) {
                failure = Error::invalid("daemon sent an events line that is not JSON: " + text.substr(0, 200));
                return false;
            }
            if (auto written = record_line(writer, line, counts); !written.ok()) {
                failure = written.release_error();
                return false;
            }
        }
        return !done();
    });
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    TRY(writer.sync());
    if (failure)
        return std::move(*failure);
    // A read cut short by our own Ctrl-C is the normal end, not an error.
    if (!streamed.ok() && !done())
        return streamed.release_error();
    std::fprintf(stderr, "recorded %d snapshots, %d events and %d kernel changes to %s\n", counts.snapshots, counts.events,
        counts.changes, args.file.c_str());
    return 0;
}

Result<int> replay(const std::string& file, bool json)
{
    auto reader = TRY(state::TimelineReader::open(file));
    while (true) {
        auto entry = TRY(reader.next());
        if (!entry)
            break;
        if (!json) {
            print_out(state::render_timeline_entry(*entry));
            continue;
        }
        Json line { { "time", entry->time } };
        if (entry->type == state::TimelineEntry::Type::Snapshot) {
            line["type"] = "snapshot";
            line["snapshot"] = state::snapshot_to_json(entry->snapshot);
        } else {
            line["type"] = "event";
            line["event"] = entry->event;
        }
        print_out(line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
    }
    return 0;
}

} // namespace

void add_record_command(CLI::App& parent, Context& ctx)
{
    auto args = std::make_shared<RecordArgs>();
    auto* command = parent.add_subcommand("record", "Record snapshots, events and kernel changes into a timeline file");
    command->add_option("FILE", args->file, "Timeline file to write (JSON lines)")->required();
    command->add_option("--duration", args->duration, "Stop after this many seconds (default: until Ctrl-C)");
    command->add_flag("--all", args->all, "Record changes to host objects too, not only glassbox's");
    set_action(command, ctx, [&ctx, args] { return record(ctx, *args); });
}

void add_replay_command(CLI::App& parent, Context& ctx)
{
    auto file = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto* command = parent.add_subcommand("replay", "Print a recorded timeline (no daemon and no root needed)");
    command->add_option("FILE", *file, "Timeline file written by glassbox record")->required();
    command->add_flag("--json", *json, "Print each entry as one JSON line");
    set_action(command, ctx, [file, json] { return replay(*file, *json); });
}

} // namespace engine::cli
