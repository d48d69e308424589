// Processes and namespaces panel (processes_panel.h).
#include "visualizer/panels/processes_panel.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "visualizer/widgets/badges.h"

namespace visualizer {

using engine::state::ContainerInfo;
using engine::state::ProcessInfo;
using engine::state::Snapshot;

namespace {

// The signals the course notes talk about: TERM (docker stop), INT (Ctrl-C), KILL (cannot be
// caught), CHLD (what an init must handle to reap zombies).
constexpr const char* k_course_signals[] = { "TERM", "INT", "KILL", "CHLD" };

bool contains(const std::vector<std::string>& names, const std::string& name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_host_namespace(const Snapshot& snapshot, const std::string& type, std::uint64_t inode)
{
    auto found = snapshot.host_namespaces.find(type);
    return found != snapshot.host_namespaces.end() && found->second == inode;
}

struct Tree {
    std::vector<const ProcessInfo*> roots;
    std::unordered_map<int, std::vector<const ProcessInfo*>> children;
};

// The container's processes as a tree by ppid; a process whose parent is outside the container
// (PID 1, whose parent is glassbox) is a root.
Tree tree_for(const std::vector<const ProcessInfo*>& processes)
{
    Tree tree;
    std::unordered_map<int, bool> present;
    for (const auto* process : processes)
        present[process->pid] = true;
    for (const auto* process : processes) {
        if (present.count(process->ppid) && process->ppid != process->pid)
            tree.children[process->ppid].push_back(process);
        else
            tree.roots.push_back(process);
    }
    return tree;
}

void draw_process(const Snapshot& snapshot, const Tree& tree, const ProcessInfo& process, const PanelContext& context,
    int depth)
{
    auto key = engine::state::identity_key(process);
    bool zombie = process.state == "Z";
    context.note("process-row", key, zombie ? "zombie" : "");
    auto kids = tree.children.find(process.pid);
    bool leaf = kids == tree.children.end();
    ImGuiTreeNodeFlags flags = ImGuiTreeNodeFlags_DefaultOpen | ImGuiTreeNodeFlags_SpanAvailWidth;
    if (leaf)
        flags |= ImGuiTreeNodeFlags_Leaf | ImGuiTreeNodeFlags_NoTreePushOnOpen;
    int inner = process.nspid.empty() ? process.pid : process.nspid.back();
    bool open = ImGui::TreeNodeEx(key.c_str(), flags, "%s  host PID %d  PID %d inside%s", process.comm.c_str(),
        process.pid, inner, zombie ? "  [zombie]" : "");
    highlight_last_item(context.highlight(key));
    if (ImGui::IsItemHovered()) {
        std::string command;
        for (const auto& word : process.cmdline)
            command += word + " ";
        ImGui::SetTooltip("%s\nstate %s (%s), uid %d, %d threads\ncgroup %s", command.c_str(), process.state.c_str(),
            process.state_name.c_str(), process.uid, process.threads, process.cgroup.c_str());
    }
    if (zombie) {
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(0.95F, 0.35F, 0.35F, 1), "Z: exited, not reaped by its parent");
    }
    // Signal dispositions for the course's signals.
    ImGui::Indent(ImGui::GetFontSize() * (leaf ? 1.5F : 1.0F));
    for (const char* signal : k_course_signals) {
        auto disposition = signal_disposition(process, signal);
        ImVec4 colour = disposition == "caught" ? ImVec4(0.4F, 0.8F, 1, 1)
            : disposition == "ignored"          ? ImVec4(1, 0.6F, 0.2F, 1)
            : disposition == "blocked"          ? ImVec4(0.9F, 0.4F, 0.9F, 1)
                                                : ImVec4(0.6F, 0.6F, 0.6F, 1);
        ImGui::TextColored(colour, "%s %s", signal, disposition.c_str());
        ImGui::SameLine();
    }
    ImGui::TextDisabled("|");
    for (const auto& [type, inode] : process.namespaces) {
        ImGui::SameLine();
        namespace_badge(type, inode, is_host_namespace(snapshot, type, inode));
        context.note("process-ns-badge", type + ":[" + std::to_string(inode) + "]", std::to_string(process.pid));
    }
    ImGui::Unindent(ImGui::GetFontSize() * (leaf ? 1.5F : 1.0F));
    if (!leaf && open) {
        // Guard against a ppid cycle in a bad recording.
        if (depth < 64) {
            for (const auto* child : kids->second)
                draw_process(snapshot, tree, *child, context, depth + 1);
        }
        ImGui::TreePop();
    }
}

} // namespace

std::string signal_disposition(const ProcessInfo& process, const std::string& signal)
{
    // Blocked is reported first: a blocked signal stays pending whatever the handler is.
    if (contains(process.signals_blocked, signal))
        return "blocked";
    if (contains(process.signals_ignored, signal))
        return "ignored";
    if (contains(process.signals_caught, signal))
        return "caught";
    return "default";
}

void draw_processes_panel(const Snapshot& snapshot, ProcessesPanelState& state, const PanelContext& context)
{
    // [SECTION] Namespaces: one badge each, grouped by container.
    ImGui::Checkbox("host namespaces too", &state.show_host_namespaces);
    draw_removed_ghosts(context, "namespaces");
    std::map<std::string, std::vector<const engine::state::NamespaceInfo*>> by_owner;
    for (const auto& ns : snapshot.namespaces) {
        if (ns.container_id.empty() && !state.show_host_namespaces)
            continue;
        by_owner[ns.container_id].push_back(&ns);
    }
    for (const auto& [container_id, namespaces] : by_owner) {
        const auto* container = engine::state::find_container(snapshot, container_id);
        ImGui::TextUnformatted(container_id.empty() ? "host:" : (container ? container->name + ":" : short_id(container_id) + ":").c_str());
        for (const auto* ns : namespaces) {
            ImGui::SameLine();
            namespace_badge(ns->type, ns->inode, is_host_namespace(snapshot, ns->type, ns->inode));
            highlight_last_item(context.highlight(engine::state::identity_key(*ns)));
            context.note("namespace-badge", engine::state::identity_key(*ns));
        }
    }
    ImGui::Separator();

    // [SECTION] Process trees, one per container.
    std::unordered_map<std::string, std::vector<const ProcessInfo*>> by_container;
    for (const auto& process : snapshot.processes) {
        if (!process.container_id.empty())
            by_container[process.container_id].push_back(&process);
    }
    draw_removed_ghosts(context, "processes");
    if (snapshot.containers.empty())
        ImGui::TextDisabled("No containers, so no container processes.");
    for (const auto& container : snapshot.containers) {
        auto found = by_container.find(container.id);
        ImGui::PushID(container.id.c_str());
        if (ImGui::CollapsingHeader((container.name + "  (" + container.status + ")").c_str(),
                ImGuiTreeNodeFlags_DefaultOpen)) {
            context.note("process-tree", engine::state::identity_key(container));
            if (found == by_container.end()) {
                ImGui::TextDisabled("no processes");
            } else {
                auto tree = tree_for(found->second);
                for (const auto* root : tree.roots)
                    draw_process(snapshot, tree, *root, context, 0);
            }
        }
        ImGui::PopID();
    }
}

} // namespace visualizer
