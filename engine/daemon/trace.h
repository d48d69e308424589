// Phase timings of one container's life (create, image resolve, overlay mount, namespaces,
// cgroup, exec, exit notification, teardown, removal), so `glassbox -D run` and scripts/bench
// can show where the time of a `run --rm` goes. Recording is a steady_clock read and a push
// under a mutex per phase; the last traces outlive their containers (a --rm container is gone
// by the time its client asks), served by GET /glassbox/v1/containers/{id}/trace.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace engine::daemon {

struct TracePhase {
    std::string name;
    std::int64_t start_ns { 0 };    // CLOCK_MONOTONIC (steady_clock), comparable across processes.
    std::int64_t duration_ns { 0 };
};

class PhaseTrace {
public:
    using Clock = std::chrono::steady_clock;

    // Records `name` as lasting from `begin` to `end`.
    void add(std::string name, Clock::time_point begin, Clock::time_point end);
    // Records `name` as lasting from `begin` until now; returns now, the next phase's begin.
    Clock::time_point since(std::string name, Clock::time_point begin);
    std::vector<TracePhase> phases() const;

private:
    mutable std::mutex m_mutex;
    std::vector<TracePhase> m_phases;
};

// The traces of the last containers, newest last; a bounded ring so it never grows.
class TraceLog {
public:
    static constexpr size_t k_kept = 256;

    std::shared_ptr<PhaseTrace> open(const std::string& id);
    // The trace of the container whose id is `id` or starts with it; nullptr if not kept.
    std::shared_ptr<PhaseTrace> find(const std::string& id) const;

private:
    mutable std::mutex m_mutex;
    std::deque<std::pair<std::string, std::shared_ptr<PhaseTrace>>> m_traces;
};

std::int64_t monotonic_ns(PhaseTrace::Clock::time_point at);

// Records `name` from `begin` until now in `trace` (if any) and returns now: the next phase's
// begin, so consecutive phases chain without a second clock read.
PhaseTrace::Clock::time_point record_phase(const std::shared_ptr<PhaseTrace>& trace, std::string name,
    PhaseTrace::Clock::time_point begin);

} // namespace engine::daemon
