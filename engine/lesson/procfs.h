// Lesson commands and the procfs of the kernel they run against. Lessons write host paths as a
// student types them (`grep NSpid /proc/<pid>/status`). On the simulated kernel the containers'
// processes are not in this machine's /proc: the daemon renders them in a procfs of its own
// (`procfs_root` of GET /glassbox/v1/features), so there the runner reads each host /proc path
// from that folder instead. Which words are host paths is decided by reading the command as
// /bin/sh -c reads it (quotes, operators, $( ), backticks, redirections, here-documents), not by
// looking for the text "/proc/".
#pragma once

#include <string>
#include <vector>

namespace engine::lesson {

struct ProcfsRewrite {
    std::string command; // The command with each host /proc path moved under the procfs.
    int paths { 0 };     // How many host /proc paths it has.
};

// Reads `command` as /bin/sh -c does and moves every host path that is /proc or begins with
// /proc/ under `procfs` ("/proc" leaves it as it was). A host path is a word (or the value after
// the first `=` of an assignment or an option) of a command other than glassbox, or the target of
// a redirection (the shell opens those on the host whatever the command). The arguments of a
// glassbox command (`glassbox exec web cat /proc/1/status`) are the container's and stay; a
// $( ... ) inside them is a command of its own. `procfs` is quoted for where it lands, so a
// folder with spaces or quotes stays one word. Not parsed: the text a program itself runs as a
// shell script (`sh -c '...'`, which the program reads, not the runner's shell).
ProcfsRewrite rewrite_procfs(const std::string& command, const std::string& procfs);

// rewrite_procfs(command, procfs).command: the command as it runs on that kernel.
std::string with_procfs(const std::string& command, const std::string& procfs);

// Whether the command reads the host's /proc (it has a host /proc path).
bool reads_host_procfs(const std::string& command);

// What a student reading this step on the simulated kernel needs to know, as Markdown to append
// to the step's explanation ("" when none of `commands` reads the host's /proc): the containers'
// processes live in the daemon, so this machine's /proc does not have them (a simulated PID may
// be an unrelated process here); which files the simulated kernel renders, and where; each such
// command as the runner runs it, to type by hand; and that /proc inside a container is the
// container's own view.
std::string simulated_procfs_note(const std::vector<std::string>& commands, const std::string& procfs);

} // namespace engine::lesson
