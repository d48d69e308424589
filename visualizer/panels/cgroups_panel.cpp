// cgroups panel (cgroups_panel.h).
#include "visualizer/panels/cgroups_panel.h"

#include <cstdio>
#include <vector>

#include "visualizer/widgets/badges.h"

namespace visualizer {

using engine::state::Snapshot;

namespace {

// One container's limits and usage, merged over its cgroups: on a v2 host that is one cgroup; on
// a v1 or hybrid host memory, pids and cpu live in different hierarchies, each its own cgroup.
engine::state::CgroupInfo merged_cgroup(const std::vector<const engine::state::CgroupInfo*>& cgroups)
{
    engine::state::CgroupInfo merged = *cgroups.front();
    auto take = [](std::int64_t& into, std::int64_t value) {
        if (into < 0 && value >= 0)
            into = value;
    };
    for (const auto* cgroup : cgroups) {
        take(merged.memory_current, cgroup->memory_current);
        take(merged.memory_max, cgroup->memory_max);
        take(merged.oom_kills, cgroup->oom_kills);
        take(merged.pids_current, cgroup->pids_current);
        take(merged.pids_max, cgroup->pids_max);
        take(merged.cpu_usage_usec, cgroup->cpu_usage_usec);
        take(merged.cpu_quota_usec, cgroup->cpu_quota_usec);
        take(merged.cpu_period_usec, cgroup->cpu_period_usec);
    }
    return merged;
}

} // namespace

void draw_cgroups_panel(const Snapshot& snapshot, CgroupsPanelState& state, const PanelContext& context)
{
    draw_removed_ghosts(context, "cgroups");
    double now = ImGui::GetTime();
    int drawn = 0;
    for (const auto& container : snapshot.containers) {
        std::vector<const engine::state::CgroupInfo*> mine;
        for (const auto& cgroup : snapshot.cgroups) {
            if (cgroup.container_id == container.id)
                mine.push_back(&cgroup);
        }
        if (mine.empty())
            continue;
        ++drawn;
        auto cgroup = merged_cgroup(mine);
        auto key = engine::state::identity_key(*mine.front());
        context.note("cgroup-gauges", key);
        ImGui::PushID(key.c_str());
        ImGui::Text("%s  %s", container.name.c_str(), cgroup.path.c_str());
        ImU32 colour = 0;
        for (const auto* one : mine)
            colour = colour ? colour : context.highlight(engine::state::identity_key(*one));
        highlight_last_item(colour);
        char text[160];
        // Memory: against memory.max, or a 1 GiB scale when unlimited.
        if (cgroup.memory_current >= 0) {
            std::snprintf(text, sizeof text, "memory %s of %s%s", format_bytes(static_cast<std::uint64_t>(cgroup.memory_current)).c_str(),
                cgroup.memory_max > 0 ? format_bytes(static_cast<std::uint64_t>(cgroup.memory_max)).c_str() : "no limit",
                cgroup.oom_kills > 0 ? ("  OOM kills " + std::to_string(cgroup.oom_kills)).c_str() : "");
            gauge("memory", static_cast<double>(cgroup.memory_current), static_cast<double>(cgroup.memory_max), 1024.0 * 1024 * 1024, text);
        }
        if (cgroup.pids_current >= 0) {
            std::snprintf(text, sizeof text, "pids %lld of %s", static_cast<long long>(cgroup.pids_current),
                cgroup.pids_max > 0 ? std::to_string(cgroup.pids_max).c_str() : "no limit");
            gauge("pids", static_cast<double>(cgroup.pids_current), static_cast<double>(cgroup.pids_max), 100, text);
        }
        if (cgroup.cpu_usage_usec >= 0) {
            auto& sample = state.cpu[key];
            if (sample.generation != snapshot.generation) {
                if (sample.usage_usec >= 0 && now > sample.seconds && cgroup.cpu_usage_usec >= sample.usage_usec)
                    sample.rate = static_cast<double>(cgroup.cpu_usage_usec - sample.usage_usec) / 1e6 / (now - sample.seconds);
                sample.usage_usec = cgroup.cpu_usage_usec;
                sample.seconds = now;
                sample.generation = snapshot.generation;
            }
            double limit = cgroup.cpu_quota_usec > 0 && cgroup.cpu_period_usec > 0
                ? static_cast<double>(cgroup.cpu_quota_usec) / static_cast<double>(cgroup.cpu_period_usec)
                : -1;
            char limit_text[32] = "no limit";
            if (limit > 0)
                std::snprintf(limit_text, sizeof limit_text, "%.2f CPUs", limit);
            if (sample.rate >= 0)
                std::snprintf(text, sizeof text, "cpu %.2f CPUs of %s (%.1f s used)", sample.rate, limit_text, static_cast<double>(cgroup.cpu_usage_usec) / 1e6);
            else
                std::snprintf(text, sizeof text, "cpu %.2f s used, limit %s", static_cast<double>(cgroup.cpu_usage_usec) / 1e6, limit_text);
            gauge("cpu", sample.rate < 0 ? 0 : sample.rate, limit, 1.0, text);
        }
        ImGui::PopID();
        ImGui::Spacing();
    }
    if (drawn == 0)
        ImGui::TextDisabled("No container cgroups.");
}

} // namespace visualizer
