// The simulated runtime: what runtime::start_container and runtime::exec_in_container do on the
// real kernel, done in the model. A container start makes the cgroup (through sys::Kernel, as the
// real runtime does), new namespaces (mnt, uts, ipc, pid, cgroup; net from the sandbox file the
// network manager made), the container's mount table (the overlay root the engine mounted,
// /proc, /dev, /sys, the bind mounts), and PID 1 running its simulated program with pipes for its
// streams. glassboxd --kernel=sim puts these into EngineOptions::start_process and exec_process.
#pragma once

#include "engine/base/result.h"
#include "engine/runtime/runtime.h"
#include "engine/sim/programs.h"

namespace engine::network {
class Netlink;
}

namespace engine::sim {

class SimKernel;

// `lookup` answers the names the engine's DNS would (programs.h); empty: /etc/hosts only.
Result<runtime::StartedProcess> start_simulated_container(SimKernel& kernel, const runtime::ContainerSpec& spec,
    network::Netlink* netlink, const NameLookup& lookup = {});
Result<runtime::StartedProcess> exec_in_simulated_container(SimKernel& kernel, const runtime::ContainerSpec& spec,
    pid_t container_pid, const runtime::ProcessSpec& process, network::Netlink* netlink, const NameLookup& lookup = {});

} // namespace engine::sim
