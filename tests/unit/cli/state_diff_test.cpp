// `glassbox state diff -- COMMAND...`: what the child process is started with.
#include <gtest/gtest.h>

#include "engine/cli/commands/state.h"

namespace engine::cli {
namespace {

using Words = std::vector<std::string>;

TEST(StateDiffChild, AddsTheDaemonAndDropsALeadingGlassbox)
{
    EXPECT_EQ(state_diff_child_argv("unix:///s", { "glassbox", "network", "create", "n" }),
        (Words { "/proc/self/exe", "-H", "unix:///s", "network", "create", "n" }));
    EXPECT_EQ(state_diff_child_argv("unix:///s", { "/usr/bin/glassbox", "ps" }),
        (Words { "/proc/self/exe", "-H", "unix:///s", "ps" }));
}

TEST(StateDiffChild, KeepsTheCommandsOwnHostInsteadOfGivingItTwo)
{
    // The case: a second -H made CLI11 refuse with "--host: At Most 1 required".
    EXPECT_EQ(state_diff_child_argv("unix:///s", { "glassbox", "-H", "unix:///t", "network", "create", "n" }),
        (Words { "/proc/self/exe", "-H", "unix:///t", "network", "create", "n" }));
    EXPECT_EQ(state_diff_child_argv("unix:///s", { "--host=unix:///t", "ps" }),
        (Words { "/proc/self/exe", "--host=unix:///t", "ps" }));
}

TEST(StateDiffChild, PassesEveryWordAfterTheVerbUntouched)
{
    // A -H after the verb belongs to the verb (here, a command run in the container).
    EXPECT_EQ(state_diff_child_argv("unix:///s", { "run", "--rm", "busybox", "sh", "-c", "echo -H x -- y" }),
        (Words { "/proc/self/exe", "-H", "unix:///s", "run", "--rm", "busybox", "sh", "-c", "echo -H x -- y" }));
    EXPECT_EQ(state_diff_child_argv("unix:///s", { "exec", "c", "ls", "-H" }),
        (Words { "/proc/self/exe", "-H", "unix:///s", "exec", "c", "ls", "-H" }));
}

} // namespace
} // namespace engine::cli
