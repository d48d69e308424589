// Readable text for people: the summary `glassbox state` prints (per container: PID 1 with its host
// PID and NSpid, namespaces, the overlay root and its layers, mounts, cgroup limits and usage, the
// network namespace with links, addresses and routes), one line per object for `--kind`, and one
// block per timeline entry for `glassbox replay`. Plain functions of plain data: no daemon needed.
#pragma once

#include <string>
#include <string_view>

#include "engine/state/record.h"
#include "engine/state/snapshot.h"

namespace engine::state {

std::string render_summary(const Snapshot& snapshot);

// One sentence per object of `kind` (see describe_objects in diff.h), or "no <kind>".
std::string render_kind(const Snapshot& snapshot, std::string_view kind);

// A snapshot entry as a one-line overview; an event as "event: container start web"; a change
// (what the events stream sends after a command) as its readable diff lines.
std::string render_timeline_entry(const TimelineEntry& entry);

} // namespace engine::state
