// The CLI's verbs, one file each (crun's src/<verb>.c, youki's commands/). Each add_* function
// registers its verb (under `name`, so `image ls` and `images` share one file) on `parent`
// with Docker's flags; its callback stores the action in the Context, and main() runs it.
// Verb files only parse flags, call api::Client and print: policy lives in the daemon.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/cli/context.h"
#include "engine/cli/run_options.h"

namespace engine::cli {

using Json = nlohmann::json;

// Registers `fn` as the verb's action.
inline void set_action(CLI::App* command, Context& ctx, std::function<Result<int>()> fn)
{
    command->callback([&ctx, fn = std::move(fn)] { ctx.action = fn; });
}

// Runs `fn` for each target, printing each error (docker style) and going on; returns 1 if
// any failed, else 0.
int for_each_target(const std::vector<std::string>& targets, const std::function<Result<void>(const std::string&)>& fn);

enum class EchoTarget {
    Yes,
    No,
};

// Registers a verb that applies `fn` to each of its `noun` arguments (docker's stop, rm, kill,
// pause, volume rm, ...): errors are printed per target, each success prints the target's
// name as typed when `echo` says so. Returns the command so the caller can add flags.
CLI::App* add_per_target_command(CLI::App& parent, Context& ctx, const std::string& name,
    const std::string& description, const std::string& noun,
    std::function<Result<void>(api::Client&, const std::string&)> fn, EchoTarget echo = EchoTarget::Yes);

// Parses KEY=VALUE flags (--label, -o/--opt) into a JSON object; a bare KEY maps to "".
Result<Json> parse_key_values(const std::vector<std::string>& entries, const std::string& flag);

// Creates a container from run/create flags. A 404 from create means the image is missing:
// like docker, say so, ask the daemon to pull it (glassboxd answers with its offline error)
// and give that error back.
Result<std::string> create_from_flags(api::Client& client, const RunFlags& flags);

// Attaches to a container's streams and pumps them until it ends (start -a, attach).
// `start` runs once the attach and the wait are registered (null for plain attach).
Result<int> attach_and_wait(api::Client& client, const std::string& id, bool interactive,
    const std::function<Result<void>()>& start);

// Streams a tar from `fetch` to the file `output` (written to OUTPUT.tmp, then renamed) or, when
// it is "", to stdout (refused when stdout is a terminal, as docker does). save and export.
Result<int> write_tar_output(const std::string& output, const std::function<Result<void>(const api::DataSink&)>& fetch);

// Container filesystem: cp, diff, export, commit (commands/cp.cpp, diff.cpp, export.cpp, commit.cpp).
void add_cp_command(CLI::App& parent, Context& ctx, const std::string& name = "cp");
void add_diff_command(CLI::App& parent, Context& ctx, const std::string& name = "diff");
void add_export_command(CLI::App& parent, Context& ctx, const std::string& name = "export");
void add_commit_command(CLI::App& parent, Context& ctx, const std::string& name = "commit");
void add_run_command(CLI::App& parent, Context& ctx, const std::string& name = "run");
void add_create_command(CLI::App& parent, Context& ctx, const std::string& name = "create");
void add_start_command(CLI::App& parent, Context& ctx, const std::string& name = "start");
void add_stop_command(CLI::App& parent, Context& ctx, const std::string& name = "stop");
void add_restart_command(CLI::App& parent, Context& ctx, const std::string& name = "restart");
void add_kill_command(CLI::App& parent, Context& ctx, const std::string& name = "kill");
void add_update_command(CLI::App& parent, Context& ctx, const std::string& name = "update");
void add_events_command(CLI::App& parent, Context& ctx, const std::string& name = "events");
void add_rm_command(CLI::App& parent, Context& ctx, const std::string& name = "rm");
void add_ps_command(CLI::App& parent, Context& ctx, const std::string& name = "ps");
void add_logs_command(CLI::App& parent, Context& ctx, const std::string& name = "logs");
void add_exec_command(CLI::App& parent, Context& ctx, const std::string& name = "exec");
void add_wait_command(CLI::App& parent, Context& ctx, const std::string& name = "wait");
void add_inspect_command(CLI::App& parent, Context& ctx, const std::string& name = "inspect");
void add_attach_command(CLI::App& parent, Context& ctx, const std::string& name = "attach");
void add_top_command(CLI::App& parent, Context& ctx, const std::string& name = "top");
void add_stats_command(CLI::App& parent, Context& ctx, const std::string& name = "stats");
void add_rename_command(CLI::App& parent, Context& ctx, const std::string& name = "rename");
void add_pause_command(CLI::App& parent, Context& ctx, const std::string& name = "pause");
void add_unpause_command(CLI::App& parent, Context& ctx, const std::string& name = "unpause");
void add_port_command(CLI::App& parent, Context& ctx, const std::string& name = "port");
void add_images_command(CLI::App& parent, Context& ctx, const std::string& name = "images");
void add_rmi_command(CLI::App& parent, Context& ctx, const std::string& name = "rmi");
void add_tag_command(CLI::App& parent, Context& ctx, const std::string& name = "tag");
void add_history_command(CLI::App& parent, Context& ctx, const std::string& name = "history");
void add_import_command(CLI::App& parent, Context& ctx, const std::string& name = "import");
void add_load_command(CLI::App& parent, Context& ctx, const std::string& name = "load");
void add_save_command(CLI::App& parent, Context& ctx, const std::string& name = "save");
void add_pull_command(CLI::App& parent, Context& ctx, const std::string& name = "pull");
// `build [-t TAG] [-f FILE] ... CONTEXT` (commands/build.cpp).
void add_build_command(CLI::App& parent, Context& ctx, const std::string& name = "build");

// One verb of a group verb (`container run`, `image ls`): the words CLI11 knows it by (its name,
// then its aliases; "" past the last) and the function that registers it, aliases included.
struct SubVerb {
    std::array<std::string_view, 3> names;
    void (*add)(CLI::App& group, Context& ctx);
};

// Registers the group verb `name`, which takes exactly one sub-verb, with the sub-verb `only`
// names, or, when it names none of them, every sub-verb in the table's order (the order the
// group's help lists them). verbs.h says why building one sub-verb parses a command line as
// the whole group does.
void add_group_verb(CLI::App& parent, Context& ctx, const std::string& name, const std::string& description,
    std::span<const SubVerb> verbs, std::string_view only);

// The group verbs build only the sub-verb `only` names (add_group_verb).
// `image` group: ls, rm, history, tag, import, load, save, pull, inspect, prune.
void add_image_command(CLI::App& parent, Context& ctx, std::string_view only = {});
// `container` group: the container verbs under their docker names (ls, rm, run, ...).
void add_container_command(CLI::App& parent, Context& ctx, std::string_view only = {});
void add_volume_command(CLI::App& parent, Context& ctx, std::string_view only = {});
void add_network_command(CLI::App& parent, Context& ctx, std::string_view only = {});
void add_info_command(CLI::App& parent, Context& ctx, const std::string& name = "info");
void add_version_command(CLI::App& parent, Context& ctx, const std::string& name = "version");
// `system` group: df, info, prune, reset.
void add_system_command(CLI::App& parent, Context& ctx);
// `compose` group: up, down, ps, logs, start, stop, restart, build, config, exec, run
// (commands/compose.cpp over engine/compose).
void add_compose_command(CLI::App& parent, Context& ctx);
// `record FILE` and `replay FILE`: timelines of snapshots and events (commands/record.cpp).
void add_record_command(CLI::App& parent, Context& ctx);
void add_replay_command(CLI::App& parent, Context& ctx);

// Asks "Are you sure you want to continue? [y/N]" on stderr unless `force`; true on y/yes.
bool confirm(const std::string& warning, bool force);

// A request body streamed from a file (with its size as Content-Length) or, for "-", from
// stdin (chunked). The descriptor is kept in `holder` for as long as the body is used.
Result<api::RequestBody> tar_body_from(const std::string& path, std::shared_ptr<UniqueFd>& holder);

// Registers `<group> inspect [-f FORMAT] NAME...` for one object kind.
void add_typed_inspect_command(CLI::App& group, Context& ctx, const std::string& noun,
    std::function<Result<Json>(api::Client&, const std::string&)> lookup);

// `state` (and `state diff`): the kernel state glassboxd sees (commands/state.cpp, built when
// engine::state is).
void add_state_command(CLI::App& parent, Context& ctx);

// Prune reports: "Deleted <Title>:" and one line per entry of report[key] (ids, or
// {"Untagged"|"Deleted": ref} objects printed as "untagged: ref"), then a blank line; "" when
// nothing was deleted. reclaimed_space() reads SpaceReclaimed (0 when absent).
std::string prune_section(const Json& report, const std::string& key, const std::string& title);
std::uint64_t reclaimed_space(const Json& report);

// One `ps` row as --format templates see it (docker's field names: ID, Image, Command,
// RunningFor, Status, Ports, Names, ...), from a /containers/json entry.
Json ps_row(const Json& container, bool no_trunc);

// Helpers shared by inspect-like verbs.
// Prints objects as docker does: a JSON array with 4-space indent, or one --format line each.
Result<int> print_objects(const std::vector<Json>& objects, const std::string& format);

} // namespace engine::cli
