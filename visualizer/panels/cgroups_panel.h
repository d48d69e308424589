// cgroups panel: per container, memory, pids and CPU gauges against the limits of its cgroup
// (memory.max, pids.max, cpu.max). CPU is shown as a rate between two snapshots against the
// quota; unlimited resources are drawn against a neutral scale and say "no limit".
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "engine/state/snapshot.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct CgroupsPanelState {
    // Last CPU usage seen per cgroup key, to show a rate. UI memory of the previous frame's
    // numbers, not kernel state: it only turns two readings into a slope.
    struct CpuSample {
        std::int64_t usage_usec { -1 };
        double seconds { 0 };
        double rate { -1 };           // CPUs used (1.0 = one full CPU), -1 until two samples.
        std::uint64_t generation { 0 };
    };
    std::map<std::string, CpuSample> cpu;
};

void draw_cgroups_panel(const engine::state::Snapshot& snapshot, CgroupsPanelState& state,
    const PanelContext& context);

} // namespace visualizer
