// The CLI's top-level verbs in one table, so main() can build only the verb it was asked for.
// Building all of them (about 60 commands and hundreds of flags in CLI11) took about 3 ms of
// every `glassbox` start, more than a whole round trip to the daemon.
//
// Why building part of the tree cannot change what a command line means: CLI11 compares a word
// with the names of subcommands only on the apps of the path it is parsing that still lack
// their maximum number of subcommands. The app and every verb with sub-verbs take at most one
// (tests/unit/cli/verbs_test.cpp checks it on the whole tree), so once the verb (and a group's
// sub-verb) is matched no sibling is consulted again, and before the verb only global flags are
// parsed. The word right after a group must then be its sub-verb; anything else (a group flag,
// --help) builds the whole group. run and create likewise register only the flags the line
// can name (run_options.h, FlagWords). A command line the part cannot parse is parsed again
// with the whole tree, so every error and its exit code come from the whole tree, as before.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/cli/context.h"

namespace engine::cli {

// What a command line names: its top-level verb, the first argument after the global flags
// (-H/--host, --root, --run-root, --kernel with their values, -D/--debug), and the argument
// after that, which a group verb (container, image, network, volume) builds alone when it names
// one of its sub-verbs. An empty `verb` (no verb, an unknown one, or a global flag spelled in a
// form this does not know) means every verb.
struct VerbPath {
    std::string_view verb;
    std::string_view sub;
};

VerbPath verbs_to_build(int argc, const char* const* argv);

// Registers every top-level verb on `app`, in the order `glassbox --help` lists them.
void add_all_verbs(CLI::App& app, Context& ctx);

// The names of the top-level verbs add_all_verbs registers.
std::vector<std::string_view> verb_names();

// Registers just the verb `path.verb` (for a group, only the sub-verb `path.sub` names, or all of
// them when it names none); false if no verb has that name.
bool add_verb(CLI::App& app, Context& ctx, VerbPath path);

// The glassbox app: the global flags and the verbs `path` names (every verb when it is empty).
std::unique_ptr<CLI::App> make_app(Context& ctx, VerbPath path);

// A parsed command line, as main() runs it.
struct CommandLine {
    std::unique_ptr<Context> ctx;
    std::unique_ptr<CLI::App> app;
    // Set when parsing ended the command: help printed (0) or a usage error (125, as docker).
    std::optional<int> exit_code;
    // Whether the whole tree was built (no verb named, or the part failed to parse).
    bool whole_tree { false };
};

// Parses argv with only the verbs it names, falling back to the whole tree when that part does
// not parse; help goes to `out`, usage errors to `err`.
CommandLine parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

} // namespace engine::cli
