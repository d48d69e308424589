// Which /proc paths of a lesson command are the host's, read as /bin/sh -c reads the command,
// and the note a student gets on the simulated kernel.
#include "engine/lesson/procfs.h"

#include <gtest/gtest.h>

#include <stdio.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace engine::lesson {
namespace {

const std::string sim = "/run/gb/sim/pseudo/proc";

TEST(ProcfsTest, RealKernelRunsTheCommandAsWritten)
{
    auto rewritten = rewrite_procfs("grep NSpid /proc/42/status", "/proc");

    EXPECT_EQ(rewritten.command, "grep NSpid /proc/42/status");
    EXPECT_EQ(rewritten.paths, 1);
}

TEST(ProcfsTest, HostPathsAreReadFromTheKernelsProcfs)
{
    // After a $( ... ), at the start of a quoted word, in a pipeline.
    EXPECT_EQ(with_procfs("ls -l /proc/$(glassbox inspect -f '{{.State.Pid}}' first)/ns/ /proc/self/ns/", sim),
        "ls -l " + sim + "/$(glassbox inspect -f '{{.State.Pid}}' first)/ns/ " + sim + "/self/ns/");
    EXPECT_EQ(with_procfs("cat '/proc/1/status' | grep Cap", sim), "cat '" + sim + "/1/status' | grep Cap");
    EXPECT_EQ(with_procfs("grep NSpid \"/proc/$pid/status\"", sim), "grep NSpid \"" + sim + "/$pid/status\"");
    EXPECT_EQ(with_procfs("grep NSpid /proc/`glassbox inspect -f '{{.State.Pid}}' a`/status", sim),
        "grep NSpid " + sim + "/`glassbox inspect -f '{{.State.Pid}}' a`/status");
    // An assignment's and an option's value, and the lines of a multi-line command.
    EXPECT_EQ(with_procfs("dir=/proc/$pid\nls --color=never /proc/1", sim),
        "dir=" + sim + "/$pid\nls --color=never " + sim + "/1");
    EXPECT_EQ(with_procfs("grep -f=/proc/1/x y", sim), "grep -f=" + sim + "/1/x y");
}

TEST(ProcfsTest, PathsThatOnlyContainProcStay)
{
    EXPECT_EQ(rewrite_procfs("ls /tmp/proc/1 /procfs/1 '/proc'x $dir/proc/1 /proc.d", sim).paths, 0);
}

// The cases the earlier guess (look back for ; | & ( from each "/proc/") got wrong.
TEST(ProcfsTest, ProcAloneIsAHostPath)
{
    EXPECT_EQ(with_procfs("ls /proc", sim), "ls " + sim);
    EXPECT_EQ(with_procfs("ls '/proc' && cd /proc; ls", sim), "ls '" + sim + "' && cd " + sim + "; ls");
}

TEST(ProcfsTest, RedirectionTargetsAreHostPathsEvenForAGlassboxCommand)
{
    EXPECT_EQ(with_procfs("grep NSpid </proc/42/status", sim), "grep NSpid <" + sim + "/42/status");
    EXPECT_EQ(with_procfs("glassbox exec -i web cat 2>/dev/null < /proc/self/status", sim),
        "glassbox exec -i web cat 2>/dev/null < " + sim + "/self/status");
}

TEST(ProcfsTest, QuotedSeparatorsDoNotEndTheGlassboxCommand)
{
    EXPECT_EQ(with_procfs("glassbox exec web sh -c 'cat /proc/1/status; ls /proc/1'", sim),
        "glassbox exec web sh -c 'cat /proc/1/status; ls /proc/1'");
    EXPECT_EQ(with_procfs("glassbox exec web echo \"a|b\" /proc/1/x", sim), "glassbox exec web echo \"a|b\" /proc/1/x");
}

TEST(ProcfsTest, AssignmentsAndWrappersBeforeGlassboxKeepItTheCommand)
{
    EXPECT_EQ(with_procfs("GLASSBOX_LESSON=x glassbox exec web cat /proc/1/status", sim),
        "GLASSBOX_LESSON=x glassbox exec web cat /proc/1/status");
    EXPECT_EQ(with_procfs("env -i ./bin/glassbox exec web ls /proc", sim), "env -i ./bin/glassbox exec web ls /proc");
    EXPECT_EQ(with_procfs("for p in /proc/[0-9]*; do glassbox exec web ls /proc/1; done", sim),
        "for p in " + sim + "/[0-9]*; do glassbox exec web ls /proc/1; done");
}

TEST(ProcfsTest, CommandSubstitutionInsideAGlassboxCommandIsItsOwnCommand)
{
    EXPECT_EQ(with_procfs("glassbox exec web kill -0 $(cut -d' ' -f1 /proc/loadavg) /proc/1", sim),
        "glassbox exec web kill -0 $(cut -d' ' -f1 " + sim + "/loadavg) /proc/1");
}

TEST(ProcfsTest, CommentsAndHereDocumentBodiesAreNotPaths)
{
    EXPECT_EQ(with_procfs("cat <<'EOF'\n/proc/1/status\nEOF\nls /proc # not /proc/2", sim),
        "cat <<'EOF'\n/proc/1/status\nEOF\nls " + sim + " # not /proc/2");
}

// The shell that runs the command still sees one word when the procfs folder has a space or a
// quote in it (a run root under a home folder), in each quoting.
TEST(ProcfsTest, TheProcfsIsQuotedForTheShellThatRunsTheCommand)
{
    char pattern[] = "/tmp/gb-procfs-XXXXXX";
    std::string root = ::mkdtemp(pattern);
    std::string procfs = root + "/it's a \"run\" $root/proc";
    std::filesystem::create_directories(procfs + "/1");
    std::ofstream(procfs + "/1/status") << "NSpid:\t301\t1\n";

    for (const std::string command : { "cat /proc/1/status", "cat '/proc/1/status'", "cat \"/proc/1/status\"" }) {
        std::string shell = "/bin/sh -c \"$GB_COMMAND\"";
        ::setenv("GB_COMMAND", with_procfs(command, procfs).c_str(), 1);
        FILE* pipe = ::popen(shell.c_str(), "r");
        ASSERT_NE(pipe, nullptr);
        std::string out;
        char buffer[256];
        while (size_t n = ::fread(buffer, 1, sizeof buffer, pipe))
            out.append(buffer, n);
        EXPECT_EQ(::pclose(pipe), 0) << command << " ran as " << with_procfs(command, procfs);
        EXPECT_EQ(out, "NSpid:\t301\t1\n") << command;
    }
    ::unsetenv("GB_COMMAND");
    std::filesystem::remove_all(root);
}

TEST(ProcfsTest, SimulatedKernelNoteSaysWhereTheProcessesAreAndHowToTypeTheCommands)
{
    std::string note = simulated_procfs_note(
        { "glassbox exec first ps", "grep NSpid /proc/$(glassbox inspect -f '{{.State.Pid}}' first)/status" }, sim);

    EXPECT_NE(note.find("not in this machine's `/proc`"), std::string::npos) << note;
    EXPECT_NE(note.find("\n    grep NSpid " + sim + "/$(glassbox inspect -f '{{.State.Pid}}' first)/status"), std::string::npos)
        << note;
    EXPECT_EQ(note.find("glassbox exec first ps"), std::string::npos) << note;
    EXPECT_NE(note.find("`glassbox exec NAME cat /proc/1/status`"), std::string::npos) << note;
    EXPECT_EQ(simulated_procfs_note({ "glassbox exec first cat /proc/1/status", "ls /tmp" }, sim), "");
}

} // namespace
} // namespace engine::lesson
