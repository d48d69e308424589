// Phase timings per container (trace.h).
#include "engine/daemon/trace.h"

#include "engine/daemon/engine_internal.h"

namespace engine::daemon {

std::int64_t monotonic_ns(PhaseTrace::Clock::time_point at)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

void PhaseTrace::add(std::string name, Clock::time_point begin, Clock::time_point end)
{
    std::lock_guard lock(m_mutex);
    m_phases.push_back({ std::move(name), monotonic_ns(begin), monotonic_ns(end) - monotonic_ns(begin) });
}

PhaseTrace::Clock::time_point PhaseTrace::since(std::string name, Clock::time_point begin)
{
    auto now = Clock::now();
    add(std::move(name), begin, now);
    return now;
}

std::vector<TracePhase> PhaseTrace::phases() const
{
    std::lock_guard lock(m_mutex);
    return m_phases;
}

PhaseTrace::Clock::time_point record_phase(const std::shared_ptr<PhaseTrace>& trace, std::string name,
    PhaseTrace::Clock::time_point begin)
{
    if (!trace)
        return PhaseTrace::Clock::now();
    return trace->since(std::move(name), begin);
}

std::shared_ptr<PhaseTrace> TraceLog::open(const std::string& id)
{
    auto trace = std::make_shared<PhaseTrace>();
    std::lock_guard lock(m_mutex);
    m_traces.emplace_back(id, trace);
    if (m_traces.size() > k_kept)
        m_traces.pop_front();
    return trace;
}

std::shared_ptr<PhaseTrace> TraceLog::find(const std::string& id) const
{
    if (id.empty())
        return nullptr;
    std::lock_guard lock(m_mutex);
    for (auto it = m_traces.rbegin(); it != m_traces.rend(); ++it)
        if (it->first.compare(0, id.size(), id) == 0)
            return it->second;
    return nullptr;
}

std::shared_ptr<const PhaseTrace> Engine::container_trace(const std::string& id) const
{
    return m_impl->traces.find(id);
}

} // namespace engine::daemon
