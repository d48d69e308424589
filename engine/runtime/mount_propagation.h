// Bind mount propagation (mount_namespaces(7)): whether mounts made later under a bind mount's
// source show up in the container (slave), also flow back out (shared), or neither (private).
// Docker's modes are rprivate (the default for binds), rshared, rslave and their
// non-recursive forms. Kernel interfaces: mount(2) MS_SHARED/MS_SLAVE/MS_PRIVATE [| MS_REC],
// /proc/self/mountinfo. Lesson: lessons/06-volumes/ (bind mounts).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.h"
#include "engine/sys/kernel.h"

namespace engine::runtime {

// The mount(2) flags that set `mode` on a mount point; 0 for "" (leave it as it is).
unsigned long propagation_flags(const std::string& mode);

// True for "shared" and "rshared": modes whose mounts must flow back out to the host.
bool is_shared_mode(const std::string& mode);

// The mount that holds `path` (an absolute path without symlinks) in a /proc/self/mountinfo
// table: the one with the longest mount point containing it, and its propagation.
struct HoldingMount {
    std::string point;
    bool shared { false }; // In a peer group ("shared:N").
    bool slave { false };  // Receives from a master ("master:N").
};
std::optional<HoldingMount> holding_mount(std::string_view mountinfo, const std::string& path);

// Unescapes the octal escapes (\040 for a space) that /proc/self/mountinfo uses in paths.
std::string unescape_mountinfo(std::string_view text);

// dockerd's check before a container starts: a shared mode needs the host mount that holds
// `source` to be shared, a slave mode needs it shared or slave, since a container's mount can
// only receive what its source's mount passes on. Reads the host's mountinfo through `kernel`.
// Fails with dockerd's words: "path /x is mounted on / but it is not a shared mount".
Result<void> check_propagation_source(sys::Kernel& kernel, const std::string& source, const std::string& mode);

} // namespace engine::runtime
