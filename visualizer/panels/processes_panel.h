// Processes and namespaces panel: the namespaces glassbox's containers use, as coloured badges
// (one per namespace; the host's have their own colour), then a process tree per container with
// each process's host PID beside its PID inside (NSpid), its namespace badges (processes that
// share a namespace share its colour), its TERM/INT/KILL/CHLD dispositions (caught, ignored,
// blocked) and zombies marked. This is where `sleep` as PID 1 ignoring TERM is seen.
#pragma once

#include "engine/state/snapshot.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer {

struct ProcessesPanelState {
    bool show_host_namespaces { false }; // Also list namespaces no container owns.
};

void draw_processes_panel(const engine::state::Snapshot& snapshot, ProcessesPanelState& state,
    const PanelContext& context);

// What a process does with a signal: "caught", "ignored", "blocked", or "default".
std::string signal_disposition(const engine::state::ProcessInfo& process, const std::string& signal);

} // namespace visualizer
