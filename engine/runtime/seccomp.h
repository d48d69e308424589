// Seccomp for container processes: the place where the default profile (Docker's
// profiles/seccomp/default.json, JSON as the API carries it) gets compiled and loaded, as the
// last step before execve. Kernel docs: userspace-api/seccomp_filter.rst.
#pragma once

#include <string_view>

#include "engine/base/result.h"

namespace engine::runtime {

// Loads the seccomp filter described by `profile_json` into the calling process. An empty
// profile loads nothing.
// FIXME: profiles are not compiled yet (the hardening issue adds libseccomp here); until then a
// non-empty profile is refused with Unsupported, so no container silently runs unfiltered.
Result<void> apply_seccomp_profile(std::string_view profile_json);

} // namespace engine::runtime
