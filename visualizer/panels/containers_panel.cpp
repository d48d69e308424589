// Containers panel (containers_panel.h). Ports come from glassbox's nftables DNAT rules, matched
// to the container by its endpoint addresses, because the snapshot shows the kernel's view.
#include "visualizer/panels/containers_panel.h"

#include <string>

#include "visualizer/widgets/badges.h"

namespace visualizer {

using engine::state::ContainerInfo;
using engine::state::Snapshot;

namespace {

constexpr const char* k_signals[] = { "TERM", "KILL", "INT", "HUP", "USR1", "QUIT" };

std::string join(const std::vector<std::string>& words, const char* separator = ", ")
{
    std::string out;
    for (const auto& word : words) {
        if (!out.empty())
            out += separator;
        out += word;
    }
    return out;
}

std::vector<std::string> network_names(const Snapshot& snapshot, const ContainerInfo& container)
{
    std::vector<std::string> names;
    for (const auto& id : container.networks) {
        std::string name = short_id(id);
        for (const auto& network : snapshot.networks) {
            if (network.id == id) {
                name = network.name;
                break;
            }
        }
        names.push_back(name);
    }
    return names;
}

} // namespace

std::vector<std::string> published_ports(const Snapshot& snapshot, const ContainerInfo& container)
{
    std::vector<std::string> addresses;
    for (const auto& network : snapshot.networks) {
        for (const auto& endpoint : network.endpoints) {
            if (endpoint.container_id != container.id || endpoint.ip_address.empty())
                continue;
            auto slash = endpoint.ip_address.find('/');
            addresses.push_back(endpoint.ip_address.substr(0, slash));
        }
    }
    std::vector<std::string> ports;
    for (const auto& rule : snapshot.nft_rules) {
        auto dnat = rule.text.find("dnat to ");
        auto dport = rule.text.find("dport ");
        if (dnat == std::string::npos || dport == std::string::npos)
            continue;
        std::string target = rule.text.substr(dnat + 8);
        target = target.substr(0, target.find(' '));
        auto colon = target.rfind(':');
        if (colon == std::string::npos)
            continue;
        std::string ip = target.substr(0, colon);
        bool ours = false;
        for (const auto& address : addresses)
            ours = ours || address == ip;
        if (!ours)
            continue;
        std::string host_port = rule.text.substr(dport + 6);
        host_port = host_port.substr(0, host_port.find(' '));
        std::string protocol = rule.text.rfind("udp", dport) != std::string::npos ? "udp" : "tcp";
        std::string text = host_port + "->" + target.substr(colon + 1) + "/" + protocol;
        bool seen = false;
        for (const auto& port : ports)
            seen = seen || port == text;
        if (!seen)
            ports.push_back(text);
    }
    return ports;
}

void draw_containers_panel(const Snapshot& snapshot, ContainersPanelState& state, const PanelContext& context)
{
    ImGui::TextDisabled("%zu containers", snapshot.containers.size());
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::Combo("kill signal", &state.kill_signal, k_signals, IM_ARRAYSIZE(k_signals));
    ImGui::SameLine();
    ImGui::Checkbox("force remove", &state.force_remove);
    draw_removed_ghosts(context, "containers");
    if (snapshot.containers.empty()) {
        ImGui::TextDisabled("No containers. Try: glassbox run -d --name web busybox sleep 1000");
        return;
    }
    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders | ImGuiTableFlags_Resizable
        | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("containers", 8, flags))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("name");
    ImGui::TableSetupColumn("status");
    ImGui::TableSetupColumn("image");
    ImGui::TableSetupColumn("networks");
    ImGui::TableSetupColumn("ports");
    ImGui::TableSetupColumn("volumes");
    ImGui::TableSetupColumn("PID 1");
    ImGui::TableSetupColumn("actions", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 15);
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(snapshot.containers.size()));
    while (clipper.Step()) {
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
            const auto& container = snapshot.containers[static_cast<size_t>(row)];
            auto key = engine::state::identity_key(container);
            context.note("container-row", key, container.status);
            ImGui::PushID(row);
            ImGui::TableNextRow();
            if (auto colour = context.highlight(key))
                ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, colour);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(container.name.c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s", container.id.c_str());
            ImGui::TableNextColumn();
            bool running = container.status == "running";
            ImGui::TextColored(running ? ImVec4(0.3F, 0.85F, 0.4F, 1) : ImVec4(0.7F, 0.7F, 0.7F, 1), "%s",
                container.status.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(container.image_tags.empty() ? short_id(container.image_id).c_str()
                                                                : container.image_tags.front().c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(join(network_names(snapshot, container)).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(join(published_ports(snapshot, container)).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(join(container.volumes).c_str());
            ImGui::TableNextColumn();
            if (container.pid > 0)
                ImGui::Text("%d", container.pid);
            else
                ImGui::TextDisabled("-");
            ImGui::TableNextColumn();
            // Actions: each becomes a request; the daemon does the work and the next snapshot shows it.
            if (!running)
                ImGui::BeginDisabled();
            if (ImGui::SmallButton("stop"))
                context.request({ UiRequest::Kind::Stop, container.id, {}, false });
            ImGui::SameLine();
            if (ImGui::SmallButton("kill"))
                context.request({ UiRequest::Kind::Kill, container.id, k_signals[state.kill_signal], false });
            if (!running)
                ImGui::EndDisabled();
            ImGui::SameLine();
            if (ImGui::SmallButton("restart"))
                context.request({ UiRequest::Kind::Restart, container.id, {}, false });
            ImGui::SameLine();
            if (ImGui::SmallButton("rm"))
                context.request({ UiRequest::Kind::Remove, container.id, {}, state.force_remove });
            ImGui::PopID();
        }
    }
    ImGui::EndTable();
}

} // namespace visualizer
