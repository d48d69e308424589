// The verb table main() builds from (engine/cli/verbs.h): it names every top-level verb, each
// entry registers just its own verb, the verb of a command line is found past the global flags
// or left to the whole tree, and a command line parsed with only the verbs it names gives the
// same help, errors, exit codes and option values as the whole tree.
#include "engine/cli/verbs.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using engine::cli::Context;

namespace {

std::vector<std::string> top_level_names(const CLI::App& app)
{
    std::vector<std::string> names;
    for (const auto* command : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(command->get_name());
    return names;
}

engine::cli::VerbPath path_of(std::vector<const char*> argv)
{
    argv.insert(argv.begin(), "glassbox");
    return engine::cli::verbs_to_build(static_cast<int>(argv.size()), argv.data());
}

std::string_view verb_of(std::vector<const char*> argv)
{
    return path_of(std::move(argv)).verb;
}

std::vector<const char*> argv_of(const std::vector<std::string>& words)
{
    std::vector<const char*> argv { "glassbox" };
    for (const auto& word : words)
        argv.push_back(word.c_str());
    return argv;
}

// What CLI11 made of a command line: the exit code and text when parsing ended it (help, usage
// error), then each selected command down the path with every option it was given and its values.
// The verbs' variables are filled from exactly these results, so equal text means equal flags.
std::string outcome(const CLI::App& app, std::optional<int> exit_code, const std::string& out, const std::string& err)
{
    std::string text = "exit: " + (exit_code ? std::to_string(*exit_code) : std::string("none")) + "\nout: " + out
        + "\nerr: " + err + "\n";
    for (const CLI::App* command = &app; command != nullptr;) {
        text += "[" + command->get_name() + "]\n";
        for (const CLI::Option* option : command->get_options())
            if (option->count() > 0) {
                text += "  " + option->get_name() + " x" + std::to_string(option->count()) + ":";
                for (const auto& value : option->results())
                    text += " '" + value + "'";
                text += "\n";
            }
        for (const auto& extra : command->remaining())
            text += "  extra '" + extra + "'\n";
        auto selected = command->get_subcommands();
        command = selected.empty() ? nullptr : selected.front();
    }
    return text;
}

// The command line as main() parses it: only the verbs it names, the whole tree as fallback.
std::string parsed_lazily(const std::vector<std::string>& words, bool* whole_tree = nullptr)
{
    auto argv = argv_of(words);
    std::ostringstream out;
    std::ostringstream err;
    auto line = engine::cli::parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
    if (whole_tree != nullptr)
        *whole_tree = line.whole_tree;
    return outcome(*line.app, line.exit_code, out.str(), err.str());
}

// The command line parsed as it always was: every verb built, help exits 0, errors 125.
std::string parsed_with_whole_tree(const std::vector<std::string>& words)
{
    auto argv = argv_of(words);
    std::ostringstream out;
    std::ostringstream err;
    Context ctx;
    auto app = engine::cli::make_app(ctx, {});
    std::optional<int> exit_code;
    try {
        app->parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& error) {
        exit_code = app->exit(error, out, err) == 0 ? 0 : 125;
    }
    return outcome(*app, exit_code, out.str(), err.str());
}

std::string joined(const std::vector<std::string>& words)
{
    std::string text;
    for (const auto& word : words)
        text += (text.empty() ? "" : " ") + word;
    return text;
}

// Every command of the whole tree as the words that name it: each verb under its name and each
// alias, then its sub-verbs under their names and aliases, recursively.
void collect_paths(const CLI::App& app, const std::vector<std::string>& prefix, std::vector<std::vector<std::string>>& paths)
{
    for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
        std::vector<std::string> words { command->get_name() };
        for (const auto& alias : command->get_aliases())
            words.push_back(alias);
        for (const auto& word : words) {
            auto path = prefix;
            path.push_back(word);
            paths.push_back(path);
        }
        auto path = prefix;
        path.push_back(command->get_name());
        collect_paths(*command, path, paths);
    }
}

std::vector<std::vector<std::string>> every_command_path()
{
    Context ctx;
    auto app = engine::cli::make_app(ctx, {});
    std::vector<std::vector<std::string>> paths;
    collect_paths(*app, {}, paths);
    return paths;
}

} // namespace

TEST(VerbsTest, TableNamesEveryVerbTheWholeTreeHas)
{
    Context ctx;
    CLI::App app;
    engine::cli::add_all_verbs(app, ctx);
    // Written out, not taken from the table, so a verb dropped from the table (and so from the
    // CLI) fails here; the order is the one `glassbox --help` lists.
    std::vector<std::string> expected { "run", "create", "start", "stop", "restart", "kill", "rm", "ps", "logs", "exec",
        "wait", "inspect", "attach", "top", "stats", "rename", "cp", "diff", "export", "commit", "pause", "unpause",
        "update", "events", "port", "images", "rmi", "tag", "history", "import", "load", "save", "pull", "build",
        "image", "container", "volume", "network", "info", "version", "system", "compose", "lesson", "state",
        "record", "replay" };
    EXPECT_EQ(top_level_names(app), expected);
    auto names = engine::cli::verb_names();
    EXPECT_EQ(std::vector<std::string>(names.begin(), names.end()), expected);
}

TEST(VerbsTest, EachEntryRegistersOnlyItsOwnVerb)
{
    for (auto name : engine::cli::verb_names()) {
        Context ctx;
        CLI::App app;
        ASSERT_TRUE(engine::cli::add_verb(app, ctx, { name, {} })) << name;
        EXPECT_EQ(top_level_names(app), std::vector<std::string> { std::string(name) }) << name;
    }
    Context ctx;
    CLI::App app;
    EXPECT_FALSE(engine::cli::add_verb(app, ctx, { "nosuchverb", {} }));
}

TEST(VerbsTest, VerbIsFoundPastTheGlobalFlags)
{
    EXPECT_EQ(verb_of({ "run", "--rm", "busybox", "true" }), "run");
    EXPECT_EQ(verb_of({ "-D", "-H", "unix:///x.sock", "--root", "/r", "--run-root", "/rr", "--kernel", "sim", "ps", "-a" }), "ps");
    EXPECT_EQ(verb_of({ "--host=unix:///x.sock", "--debug", "image", "ls" }), "image");
    // The value of -H is not the verb, even when it is spelled like one.
    EXPECT_EQ(verb_of({ "-H", "run", "ps" }), "ps");
}

TEST(VerbsTest, UnclearCommandLinesBuildTheWholeTree)
{
    EXPECT_EQ(verb_of({}), "");
    EXPECT_EQ(verb_of({ "--help" }), "");
    EXPECT_EQ(verb_of({ "-H" }), "");
    EXPECT_EQ(verb_of({ "-Hunix:///x.sock", "ps" }), "");
    EXPECT_EQ(verb_of({ "nosuchverb" }), "");
    EXPECT_EQ(verb_of({ "help" }), "");
}

TEST(VerbsTest, WordAfterTheVerbIsOfferedAsItsSubVerb)
{
    auto path = path_of({ "-D", "container", "run", "--rm", "busybox" });
    EXPECT_EQ(path.verb, "container");
    EXPECT_EQ(path.sub, "run");
    EXPECT_EQ(path_of({ "image" }).sub, "");
    EXPECT_EQ(path_of({ "image", "--help", "ls" }).sub, "--help");
}

TEST(VerbsTest, EveryCommandWithSubVerbsTakesAtMostOne)
{
    // verbs.h: building only the verbs a command line names parses it as the whole tree does
    // because no app on the path matches a word against its subcommands once it has one.
    Context ctx;
    auto app = engine::cli::make_app(ctx, {});
    std::vector<const CLI::App*> pending { app.get() };
    while (!pending.empty()) {
        const CLI::App* command = pending.back();
        pending.pop_back();
        auto subs = command->get_subcommands([](const CLI::App*) { return true; });
        if (subs.empty())
            continue;
        EXPECT_EQ(command->get_require_subcommand_max(), 1U) << command->get_name();
        EXPECT_FALSE(command->get_fallthrough()) << command->get_name();
        for (const CLI::App* sub : subs) {
            EXPECT_FALSE(sub->get_fallthrough()) << sub->get_name();
            pending.push_back(sub);
        }
    }
}

TEST(VerbsTest, GroupBuildsOnlyTheSubVerbNamed)
{
    for (std::string group : { "container", "image", "network", "volume" }) {
        Context full_ctx;
        auto full = engine::cli::make_app(full_ctx, {});
        const CLI::App& full_group = *full->get_subcommand(group);
        for (const CLI::App* sub : full_group.get_subcommands([](const CLI::App*) { return true; })) {
            std::vector<std::string> words { sub->get_name() };
            for (const auto& alias : sub->get_aliases())
                words.push_back(alias);
            for (const auto& word : words) {
                Context ctx;
                auto app = engine::cli::make_app(ctx, { group, word });
                EXPECT_EQ(top_level_names(*app->get_subcommand(group)), std::vector<std::string> { sub->get_name() })
                    << group << " " << word;
            }
        }
        // A word that is no sub-verb (a flag, --help, a typo) builds the whole group.
        Context ctx;
        auto app = engine::cli::make_app(ctx, { group, "--help" });
        EXPECT_EQ(top_level_names(*app->get_subcommand(group)), top_level_names(full_group)) << group;
    }
}

TEST(VerbsTest, HelpOfEveryCommandIsTheWholeTreesHelp)
{
    auto paths = every_command_path();
    ASSERT_GT(paths.size(), 100U);
    for (auto words : paths) {
        words.push_back("--help");
        bool whole_tree = true;
        auto lazily = parsed_lazily(words, &whole_tree);
        EXPECT_EQ(lazily, parsed_with_whole_tree(words)) << joined(words);
        EXPECT_NE(lazily.find("exit: 0\n"), std::string::npos) << joined(words);
        EXPECT_FALSE(whole_tree) << joined(words);
        // The global flags before the verb change nothing either.
        words.insert(words.begin(), { "-D", "-H", "unix:///tmp/glassbox-verbs-test.sock" });
        EXPECT_EQ(parsed_lazily(words), parsed_with_whole_tree(words)) << joined(words);
    }
}

TEST(VerbsTest, CommandLinesParseAsWithTheWholeTree)
{
    const std::vector<std::vector<std::string>> lines {
        { "run", "-d", "-it", "--rm", "--name", "web", "-e", "A=1", "-e", "B", "--env-file", "/dev/null", "-w", "/tmp", "-u",
            "1000:1000", "-h", "box", "-v", "/a:/b:ro", "--mount", "type=tmpfs,dst=/t", "--tmpfs", "/run", "-p", "8080:80",
            "-p", "53/udp", "-P", "--expose", "9000", "--network", "net1", "--network-alias", "web", "--ip", "10.0.0.2",
            "--restart", "no", "-m", "32m", "--memory-swap", "-1", "--cpus", "1.5", "-c", "512", "--pids-limit", "100",
            "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--privileged", "--read-only", "--init", "--entrypoint",
            "/bin/sh", "-l", "a=b", "--stop-signal", "SIGINT", "--stop-timeout", "5", "--dns", "1.1.1.1", "--add-host",
            "h:1.2.3.4", "--security-opt", "no-new-privileges", "busybox", "sh", "-c", "echo ps", "--rm" },
        { "run", "--rm", "--network", "none", "busybox", "true" },
        // Later words that name other verbs are the container's command, not verbs.
        { "run", "busybox", "ps" },
        { "run", "--rm", "--net=host", "--name=ps", "busybox", "container", "ls", "-l" },
        { "create", "--name", "c1", "busybox", "top" },
        { "exec", "-it", "c1", "ps", "aux" },
        { "container", "run", "--rm", "-e", "X=1", "-p", "80", "busybox", "true" },
        { "container", "create", "--name", "c", "busybox", "run" },
        { "container", "ls", "-a" },
        { "container", "list", "-q" },
        { "container", "ps" },
        { "container", "rm", "-f", "c1", "run", "ls" },
        { "container", "exec", "-it", "c1", "ps" },
        { "image", "ls", "-q" },
        { "image", "list" },
        { "image", "rm", "-f", "busybox", "ls" },
        { "image", "remove", "alpine" },
        { "image", "pull", "alpine:3.19" },
        { "network", "create", "--subnet", "10.9.0.0/24", "--gateway", "10.9.0.1", "-d", "bridge", "net1" },
        { "network", "ls" },
        { "network", "connect", "--alias", "a", "net1", "c1" },
        { "network", "rm", "create", "ls" },
        { "volume", "create", "v1" },
        { "volume", "rm", "-f", "v1" },
        { "-H", "unix:///tmp/x.sock", "run", "--rm", "busybox", "true" },
        { "-D", "--host=unix:///tmp/x.sock", "ps", "-a" },
        { "--root", "/r", "--run-root", "/rr", "--kernel", "sim", "image", "ls" },
        { "--kernel=sim", "--root=/r", "--run-root=/rr", "-D", "container", "run", "busybox" },
        { "-H", "run", "ps" },
        { "compose", "-f", "x.yaml", "up", "-d" },
        { "compose", "ps" },
        { "system", "info" },
        { "state", "diff", "--", "run", "--rm", "busybox", "true" },
        { "logs", "-f", "c1" },
    };
    for (const auto& words : lines) {
        bool whole_tree = true;
        auto lazily = parsed_lazily(words, &whole_tree);
        EXPECT_EQ(lazily, parsed_with_whole_tree(words)) << joined(words);
        EXPECT_NE(lazily.find("exit: none\n"), std::string::npos) << joined(words) << "\n" << lazily;
        EXPECT_FALSE(whole_tree) << joined(words);
    }
}

TEST(VerbsTest, RunRegistersOnlyTheFlagsItsLineNames)
{
    auto options_of_run = [](std::vector<std::string> words) {
        auto argv = argv_of(words);
        std::ostringstream out;
        std::ostringstream err;
        auto line = engine::cli::parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
        return line.app->get_subcommand("run")->get_options().size();
    };
    // --help, --rm, --network, IMAGE and COMMAND.
    EXPECT_EQ(options_of_run({ "run", "--rm", "--network", "none", "busybox", "true" }), 5U);
    EXPECT_GT(options_of_run({ "run", "--help" }), 40U);
}

TEST(VerbsTest, UsageErrorsAreTheWholeTreesWithItsExitCode)
{
    const std::vector<std::vector<std::string>> lines {
        {},
        { "--help" },
        { "--version" },
        { "help" },
        { "nosuchverb" },
        { "run" },
        { "container" },
        { "container", "nosuch" },
        { "container", "run" },
        { "container", "ls", "extra" },
        { "image", "ls", "--bogus" },
        { "image", "remove" },
        { "network", "create" },
        { "volume", "create", "a", "b" },
        { "ps", "extra" },
        { "-H" },
        { "-H", "unix:///x.sock" },
        { "compose", "-f" },
    };
    for (const auto& words : lines) {
        auto lazily = parsed_lazily(words);
        EXPECT_EQ(lazily, parsed_with_whole_tree(words)) << joined(words);
        if (words != std::vector<std::string> { "--help" }) {
            EXPECT_NE(lazily.find("exit: 125\n"), std::string::npos) << joined(words) << "\n" << lazily;
        }
    }
}

namespace {

// run, create and exec take everything after their first positional as the container's command
// (CLI11's prefix_command), which alone would also keep an unknown flag before it as an extra
// and run the verb anyway. docker refuses it (exit 125), and so does glassbox, with the words of
// any verb's unknown flag.
const std::vector<std::vector<std::string>> k_operand_verbs {
    { "run" }, { "create" }, { "container", "run" }, { "container", "create" }, { "exec" }, { "container", "exec" },
};

std::vector<std::string> line_of(std::vector<std::string> verb, const std::vector<std::string>& rest)
{
    verb.insert(verb.end(), rest.begin(), rest.end());
    return verb;
}

void expect_refused(const std::vector<std::string>& words, const std::string& named)
{
    auto lazily = parsed_lazily(words);
    EXPECT_EQ(lazily, parsed_with_whole_tree(words)) << joined(words);
    EXPECT_NE(lazily.find("exit: 125\n"), std::string::npos) << joined(words) << "\n" << lazily;
    EXPECT_NE(lazily.find("not expected: " + named + "\n"), std::string::npos) << joined(words) << "\n" << lazily;
}

void expect_accepted(const std::vector<std::string>& words, const std::string& command)
{
    auto lazily = parsed_lazily(words);
    EXPECT_EQ(lazily, parsed_with_whole_tree(words)) << joined(words);
    EXPECT_NE(lazily.find("exit: none\n"), std::string::npos) << joined(words) << "\n" << lazily;
    EXPECT_NE(lazily.find("COMMAND x"), std::string::npos) << joined(words) << "\n" << lazily;
    EXPECT_NE(lazily.find(command + "\n"), std::string::npos) << joined(words) << "\n" << lazily;
    // The only extra word kept is a "--" that ended the flags.
    auto extras = lazily;
    if (auto mark = extras.find("  extra '--'\n"); mark != std::string::npos)
        extras.erase(mark, 13);
    EXPECT_EQ(extras.find("extra '"), std::string::npos) << joined(words) << "\n" << lazily;
}

} // namespace

TEST(VerbsTest, UnknownLongFlagBeforeTheOperandIsAUsageErrorNamingIt)
{
    for (const auto& verb : k_operand_verbs) {
        expect_refused(line_of(verb, { "--nosuchflag", "box", "true" }), "--nosuchflag");
        expect_refused(line_of(verb, { "--nosuchflag=3", "box", "true" }), "--nosuchflag=3");
    }
}

TEST(VerbsTest, UnknownShortFlagBeforeTheOperandIsAUsageErrorNamingIt)
{
    for (const auto& verb : k_operand_verbs) {
        expect_refused(line_of(verb, { "-Z", "box", "true" }), "-Z");
        // A known letter bundled with an unknown one: the unknown letter is named.
        expect_refused(line_of(verb, { "-iZ", "box", "true" }), "-Z");
    }
}

TEST(VerbsTest, UnknownFlagBetweenKnownOnesIsAUsageErrorNamingOnlyIt)
{
    for (const auto& verb : k_operand_verbs) {
        expect_refused(line_of(verb, { "-i", "--nosuchflag", "-e", "A=1", "box", "true" }), "--nosuchflag");
        expect_refused(line_of(verb, { "-e", "A=1", "--nosuchflag", "-t", "box", "true" }), "--nosuchflag");
    }
    // Two unknown flags are both named.
    auto lazily = parsed_lazily({ "run", "--rm", "--nope", "-Z", "busybox" });
    EXPECT_NE(lazily.find("exit: 125\n"), std::string::npos) << lazily;
    EXPECT_NE(lazily.find("not expected: --nope -Z\n"), std::string::npos) << lazily;
}

TEST(VerbsTest, FlagsAfterTheOperandStayTheContainersCommand)
{
    for (const auto& verb : k_operand_verbs) {
        expect_accepted(line_of(verb, { "box", "ls", "--nosuchflag" }), "'ls' '--nosuchflag'");
        expect_accepted(line_of(verb, { "-i", "box", "ls", "-Z", "--", "-e" }), "'ls' '-Z' '--' '-e'");
        // "--" still ends the flags before the operand.
        expect_accepted(line_of(verb, { "-i", "--", "box", "ls", "--nosuchflag" }), "'ls' '--nosuchflag'");
    }
}

TEST(VerbsTest, DashNegativeValuesAndEqualsFormsAreNotUnknownFlags)
{
    // A lone "-" is a positional (here the image), -1 a flag's value, -e=X and --env=X a value.
    expect_accepted({ "run", "-", "true" }, "'true'");
    expect_accepted({ "run", "--cpu-shares", "-1", "--memory-swap", "-1", "--pids-limit", "-1", "busybox", "true" },
        "'true'");
    expect_accepted({ "create", "-e=A=1", "--env=B=2", "--stop-timeout", "-1", "busybox", "true" }, "'true'");
    expect_accepted({ "exec", "-e=A=1", "-u", "0", "c1", "true" }, "'true'");
}

TEST(VerbsTest, ComposeRunAndExecRefuseAnUnknownFlagBeforeTheService)
{
    for (std::string verb : { "run", "exec" }) {
        expect_refused({ "compose", verb, "--nosuchflag", "web", "true" }, "--nosuchflag");
        expect_refused({ "compose", verb, "-T", "-Z", "web", "true" }, "-Z");
        expect_accepted({ "compose", verb, "-T", "web", "ls", "--nosuchflag" }, "'ls' '--nosuchflag'");
    }
}

TEST(VerbsTest, TopRefusesAnUnknownFlagBeforeTheContainerAndPassesPsOptionsAfterIt)
{
    expect_refused({ "top", "--nosuchflag", "c1" }, "--nosuchflag");
    auto lazily = parsed_lazily({ "top", "c1", "-eo", "pid,comm" });
    EXPECT_NE(lazily.find("exit: none\n"), std::string::npos) << lazily;
    EXPECT_NE(lazily.find("PS_OPTIONS x2: '-eo' 'pid,comm'\n"), std::string::npos) << lazily;
}
