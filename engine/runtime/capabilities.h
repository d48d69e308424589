// Linux capabilities by name ("CAP_CHOWN") and number (0), and the step that gives a container
// process its final set: drop the rest of the bounding set (prctl PR_CAPBSET_DROP), then set
// effective, permitted and inheritable with capset(2) and clear the ambient set.
// Kernel docs: capabilities(7). Lesson: lessons/04-containers-vs-vms/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace engine::runtime {

// "CAP_CHOWN", "chown" or "CHOWN" -> 0. InvalidArgument naming the unknown capability.
Result<int> capability_number(std::string_view name);
// 0 -> "CAP_CHOWN"; "CAP_<n>" for numbers this build has no name for.
std::string capability_name(int number);
// The highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap).
int last_capability();
// The set as a 64-bit mask (bit n = capability n). Fails naming the first unknown name.
Result<std::uint64_t> capability_mask(const std::vector<std::string>& names);

// Called by the container process after setuid (with PR_SET_KEEPCAPS), before execve:
// bounding set = `mask`, effective = permitted = `mask`, inheritable and ambient empty.
Result<void> drop_bounding_set(std::uint64_t mask);
Result<void> set_process_capabilities(std::uint64_t mask);

} // namespace engine::runtime
