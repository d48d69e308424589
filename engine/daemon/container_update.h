// Pure rules of docker update and of the create-time checks it shares: which restart policies
// and limits dockerd accepts (its 400s, word for word), and how an update merges into a stored
// HostConfig (its 409 "Cannot update container" conflicts). No kernel, no engine state: the
// Engine applies the merged config to the cgroup and the record (container_stop.cpp).
#pragma once

#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/daemon/engine.h"

namespace engine::daemon {

// Which list a cpuset check is about: CpusetCpus or CpusetMems (their words differ).
enum class CpusetKind { Cpus, Mems };

// dockerd's check of CpusetCpus / CpusetMems ("0-3,8") against what the host has (`available`,
// the kernel's list from /sys/devices/system/{cpu,node}/online). A number above 8192 (or above
// the largest available one, if that is higher) or a malformed list is "Invalid value <list>
// for cpuset cpus|mems"; a listed CPU or node the host lacks is "Requested CPUs are not
// available - ..." / "Requested memory nodes are not available - ...". Ranges are compared as
// intervals: the work and memory are bounded by the length of the text, never by the numbers in
// it, so "0-4294967295" costs as little as "0-1".
Result<void> check_cpuset_list(CpusetKind kind, const std::string& requested, const std::string& available);

// dockerd's restart policy checks: a known name, MaximumRetryCount only with on-failure and
// never negative. InvalidArgument (400) with dockerd's message.
Result<void> validate_restart_policy(const RestartPolicy& policy);

// The checks dockerd makes on an update body before looking at the container (400s):
// minimum memory and reservation, memory+swap not below memory, NanoCpus with CpuQuota,
// the CFS period and quota bounds.
Result<void> validate_update(const ResourceUpdate& update);

// `current` with `update` applied, or dockerd's conflict (409, "Cannot update container <id>:
// ...") when the result cannot stand: a new memory above the stored memory+swap without a new
// swap, a restart policy on an AutoRemove container, CPU period or quota on a NanoCpus one.
// `warnings` gets dockerd's warnings (KernelMemory deprecated; BlkioWeight discarded when
// `blkio_weight_supported` is false, in which case the weight is not stored).
Result<ContainerConfig> merge_update(const ContainerConfig& current, const std::string& id, const ResourceUpdate& update,
    bool blkio_weight_supported, std::vector<std::string>& warnings);

} // namespace engine::daemon
