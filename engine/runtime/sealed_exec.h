// Sealed in-memory copies of the engine's own binaries, so that no process a container can see
// has a /proc/<pid>/exe that leads to a writable host file (the CVE-2019-5736 class: a container
// opens the runtime's /proc/<pid>/exe with O_PATH, waits until the runtime exits, then reopens it
// through /proc/self/fd/N for writing and replaces the host binary).
// glassboxd re-executes itself from a memfd copy at startup, and the container's PID 1 with
// --init runs glassbox-init from another one. The copies are sealed (F_SEAL_WRITE, F_SEAL_GROW,
// F_SEAL_SHRINK, F_SEAL_SEAL), so even a process that gets hold of one cannot change a byte.
// Kernel interfaces: memfd_create(2), fcntl(2) F_ADD_SEALS/F_GET_SEALS, sendfile(2),
// execveat(2) with AT_EMPTY_PATH, prctl(2) PR_SET_NAME.
#pragma once

#include <chrono>
#include <string>

#include "engine/base/fd.h"
#include "engine/base/result.h"

namespace engine::runtime {

// The environment variable that tells a re-executed glassboxd where its binary came from. Its
// value is "<monotonic start in ns>:<original path>"; it is removed again at once, so no child
// inherits it.
inline constexpr const char* k_sealed_marker = "GLASSBOXD_SEALED_FROM";

// Copies the regular file at `path` into a new memfd called `name` (visible as
// "/memfd:<name> (deleted)" in /proc/<pid>/exe), marks it executable and seals it against any
// change. The fd is close-on-exec. Fails with the errno of the step that failed (open, memfd_create,
// sendfile or the sealing).
Result<UniqueFd> make_sealed_copy(const std::string& path, const std::string& name);

// True when `fd` refers to a memfd that carries at least the seals make_sealed_copy() adds.
bool is_sealed_copy(int fd);

// What run_from_sealed_copy() found after the re-exec.
struct SealedSelf {
    std::string original_path;           // The host path the copy was made from.
    std::chrono::microseconds copy_time {}; // From the start of the copy to main() of the copy.
    std::size_t size_bytes { 0 };       // Size of the copy.
};

// Called first thing in main(), before any thread exists. When this process already runs from a
// sealed copy (the marker is set and /proc/self/exe is a sealed memfd), removes the marker,
// renames the process after the original binary (PR_SET_NAME, so ps and pgrep still say
// "glassboxd") and returns where the binary came from. Otherwise copies /proc/self/exe into a
// sealed memfd, sets the marker and execveat()s the copy with the same argv and environment; that
// never returns. A marker without a sealed /proc/self/exe is ignored (it cannot switch the
// re-exec off). Errors leave the process as it was.
Result<SealedSelf> run_from_sealed_copy(char** argv);

// A sealed copy of the executable at `path`, made once per path and kept open for the life of
// the process (glassbox-init for --init). Thread-safe. The fd is close-on-exec.
Result<int> shared_sealed_copy(const std::string& path);

} // namespace engine::runtime
