// The device cgroup: which device nodes a container may open (read, write) or create (mknod).
// Docker's default allow-list, plus HostConfig.DeviceCgroupRules ("c 1:3 rwm"). On cgroup v1 the
// rules are written to the `devices` hierarchy (devices.deny "a", then one devices.allow line per
// rule). Kernel docs: Documentation/admin-guide/cgroup-v1/devices.rst.
#pragma once

#include <string>
#include <vector>

#include "engine/base/result.h"

namespace engine::runtime {

// Checks one rule in Docker's syntax, "TYPE MAJOR:MINOR ACCESS": TYPE is a, b or c, MAJOR and
// MINOR a number or *, ACCESS one to three of r, w, m. A bad rule is InvalidArgument with
// dockerd's wording: "invalid device cgroup rule format: 'bogus'".
Result<void> check_device_rule(const std::string& rule);

// Docker's default allow-list for an unprivileged container (moby oci/defaults.go): mknod of any
// node, and access to null, zero, full, random, urandom, tty, console, ptmx, the ptys and tun.
const std::vector<std::string>& default_device_rules();

} // namespace engine::runtime
