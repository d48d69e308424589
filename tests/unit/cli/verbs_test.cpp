// The verb table main() builds from (engine/cli/verbs.h): it names every top-level verb, each
// entry registers just its own verb, and the verb of a command line is found past the global
// flags or left to the whole tree.
#include "engine/cli/verbs.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using engine::cli::Context;

namespace {

std::vector<std::string> top_level_names(CLI::App& app)
{
    std::vector<std::string> names;
    for (auto* command : app.get_subcommands([](CLI::App*) { return true; }))
        names.push_back(command->get_name());
    return names;
}

std::string_view verb_of(std::vector<const char*> argv)
{
    argv.insert(argv.begin(), "glassbox");
    return engine::cli::verb_to_build(static_cast<int>(argv.size()), argv.data());
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
        ASSERT_TRUE(engine::cli::add_verb(app, ctx, name)) << name;
        EXPECT_EQ(top_level_names(app), std::vector<std::string> { std::string(name) }) << name;
    }
    Context ctx;
    CLI::App app;
    EXPECT_FALSE(engine::cli::add_verb(app, ctx, "nosuchverb"));
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
    // CLI11 may match a later verb name against the sibling verbs, so those keep the whole tree.
    EXPECT_EQ(verb_of({ "run", "busybox", "ps" }), "");
}
