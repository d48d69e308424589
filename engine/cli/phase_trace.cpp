// The client side of `glassbox -D run`'s phase trace (phase_trace.h).
#include "engine/cli/phase_trace.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace engine::cli {

std::chrono::steady_clock::time_point process_start_time()
{
    // /proc/self/stat field 22 is the start time in clock ticks since boot, and CLOCK_BOOTTIME
    // minus CLOCK_MONOTONIC is the time spent suspended; both are near zero apart on a server,
    // so the start is placed on the monotonic clock from the boot-time reading.
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto now = std::chrono::steady_clock::now();
    auto close = text.rfind(')');
    if (close == std::string::npos)
        return now;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    for (int index = 3; index <= 22 && fields >> field; ++index) { }
    long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    timespec boot {};
    timespec mono {};
    if (field.empty() || ticks_per_second <= 0 || ::clock_gettime(CLOCK_BOOTTIME, &boot) != 0
        || ::clock_gettime(CLOCK_MONOTONIC, &mono) != 0)
        return now;
    auto suspended = std::chrono::seconds(boot.tv_sec - mono.tv_sec) + std::chrono::nanoseconds(boot.tv_nsec - mono.tv_nsec);
    auto started_since_boot = std::chrono::nanoseconds(std::stoll(field) * 1'000'000'000LL / ticks_per_second);
    auto started = std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(started_since_boot - suspended));
    // Clock ticks are coarse (10 ms); never place the start after now.
    return std::min(started, now);
}

namespace {

std::chrono::steady_clock::time_point g_main_entered;

} // namespace

void note_main_entered() { g_main_entered = std::chrono::steady_clock::now(); }

ClientTrace::ClientTrace(bool enabled)
    : m_enabled(enabled)
    , m_last(enabled ? process_start_time() : Clock::time_point {})
{
    if (!m_enabled || g_main_entered == Clock::time_point {} || g_main_entered < m_last)
        return;
    // The process's start is known to a clock tick (10 ms), so the first step is that coarse.
    m_steps.push_back({ "CLI start until main() (exec, loader, static initializers; to a clock tick)", m_last,
        g_main_entered });
    m_last = g_main_entered;
    mark("CLI flags (build and parse)");
}

void ClientTrace::mark(std::string name)
{
    if (!m_enabled)
        return;
    auto now = Clock::now();
    m_steps.push_back({ std::move(name), m_last, now });
    m_last = now;
}

void ClientTrace::print(const api::Client& client, const std::string& id) const
{
    if (!m_enabled || m_steps.empty())
        return;
    struct Row {
        std::int64_t start_ns;
        std::int64_t duration_ns;
        std::string who;
        std::string name;
    };
    auto ns = [](Clock::time_point at) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
    };
    std::vector<Row> rows;
    for (const auto& step : m_steps)
        rows.push_back({ ns(step.begin), ns(step.end) - ns(step.begin), "client", step.name });
    auto trace = client.get_json("/glassbox/v1/containers/" + id + "/trace");
    if (trace.ok() && trace.value().contains("Phases")) {
        for (const auto& phase : trace.value()["Phases"])
            rows.push_back({ phase.value("StartNs", std::int64_t { 0 }), phase.value("DurationNs", std::int64_t { 0 }),
                "daemon", phase.value("Name", "") });
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.start_ns < b.start_ns; });
    const std::int64_t origin = ns(m_steps.front().begin);
    std::fprintf(stderr, "DEBU phase trace of container %s (ms from the CLI's start)\n", id.substr(0, 12).c_str());
    std::fprintf(stderr, "DEBU %9s %9s  %-6s  %s\n", "start", "took", "side", "phase");
    for (const auto& row : rows)
        std::fprintf(stderr, "DEBU %9.2f %9.2f  %-6s  %s\n", (row.start_ns - origin) / 1e6, row.duration_ns / 1e6,
            row.who.c_str(), row.name.c_str());
    std::fprintf(stderr, "DEBU total %.2f ms\n", (ns(m_steps.back().end) - origin) / 1e6);
    if (!trace.ok())
        std::fprintf(stderr, "DEBU daemon phases unavailable: %s\n", trace.error().describe().c_str());
}

} // namespace engine::cli
