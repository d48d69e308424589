// Pure rules of docker update and of the create-time checks it shares: which restart policies
// and limits dockerd accepts (its 400s, word for word), and how an update merges into a stored
// HostConfig (its 409 "Cannot update container" conflicts). No kernel, no engine state: the
// Engine applies the merged config to the cgroup and the record (containers.cpp).
#pragma once

#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/daemon/engine.h"

namespace engine::daemon {

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
