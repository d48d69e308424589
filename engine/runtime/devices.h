// The device cgroup: which device nodes a container may open (read, write) or create (mknod).
// Docker's default allow-list, plus HostConfig.DeviceCgroupRules ("c 1:3 rwm"). On cgroup v1 the
// rules are written to the `devices` hierarchy (devices.deny "a", then one devices.allow line per
// rule). cgroup v2 has no devices files: the rules become an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup, as runc and crun do. Kernel
// docs: Documentation/admin-guide/cgroup-v1/devices.rst, admin-guide/cgroup-v2.rst ("Device
// controller"), and struct bpf_cgroup_dev_ctx in include/uapi/linux/bpf.h.
#pragma once

#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/sys/kernel.h"

namespace engine::runtime {

// Checks one rule in Docker's syntax, "TYPE MAJOR:MINOR ACCESS": TYPE is a, b or c, MAJOR and
// MINOR a number or *, ACCESS one to three of r, w, m. A bad rule is InvalidArgument with
// dockerd's wording: "invalid device cgroup rule format: 'bogus'".
Result<void> check_device_rule(const std::string& rule);

// Docker's default allow-list for an unprivileged container (moby oci/defaults.go): mknod of any
// node, and access to null, zero, full, random, urandom, tty, console, ptmx, the ptys and tun.
const std::vector<std::string>& default_device_rules();

// The cgroup v2 device program for `rules` (each checked as above). The kernel runs it for every
// open and mknod of a device node with r1 pointing at struct bpf_cgroup_dev_ctx: access_type
// (access bits << 16 | node type), major, minor. Each rule is one block of compare-and-skip
// instructions ending in "return 1" (allow); a device no rule matches falls through to the last
// block, "return 0" (EPERM). A request is allowed when one rule has its type (or a), its major
// and minor (or *), and every access bit asked for (r, w, m).
Result<std::vector<sys::BpfInstruction>> device_filter_program(const std::vector<std::string>& rules);

} // namespace engine::runtime
