// Resolving the "user" of a container process ("", "name", "uid", "uid:gid", "name:group") from
// the container's own /etc/passwd and /etc/group, as Docker does (moby/sys/user). The files are
// passed in as text so this can be tested without a rootfs. Kernel interfaces: none.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace engine::runtime {

struct ExecUser {
    uid_t uid { 0 };
    gid_t gid { 0 };
    std::vector<gid_t> supplementary_groups;
    std::string home { "/" };
};

// `passwd` and `group` are the file contents ("" when the file is missing). A numeric user or
// group needs no entry; a name that is not found is an error worded as Docker words it
// ("unable to find user nobody: no matching entries in passwd file").
Result<ExecUser> resolve_user(std::string_view user, std::string_view passwd, std::string_view group);

} // namespace engine::runtime
