// See seccomp.h. This is the single hook the process code calls; the hardening work fills it in.
#include "engine/runtime/seccomp.h"

#include <string>

namespace engine::runtime {

Result<void> apply_seccomp_profile(std::string_view profile_json)
{
    if (profile_json.empty())
        return Ok {};
    return Error::unsupported("seccomp_profile_json: seccomp profiles are not supported by this runtime yet ("
        + std::to_string(profile_json.size()) + " bytes given)");
}

} // namespace engine::runtime
