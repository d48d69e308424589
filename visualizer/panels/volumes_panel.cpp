// Volumes and mounts panel (volumes_panel.h).
#include "visualizer/panels/volumes_panel.h"

#include <cctype>

namespace visualizer {

using engine::state::MountInfo;
using engine::state::Snapshot;

namespace {

// Anonymous volumes are named by 64 hex digits, as Docker names them.
bool looks_anonymous(const std::string& name)
{
    if (name.size() != 64)
        return false;
    for (char c : name) {
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            return false;
    }
    return true;
}

// Mounts the user asked for (-v, --mount, --tmpfs), as opposed to the ones every container gets
// from the engine: /etc/hosts, /etc/hostname and /etc/resolv.conf binds, tmpfs on /dev, masks.
bool is_user_mount(const MountInfo& mount)
{
    static const char* engine_paths[] = { "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev", "/dev/shm", "/dev/mqueue" };
    for (const char* path : engine_paths) {
        if (mount.mount_point == path)
            return false;
    }
    // Masked and read-only paths under /proc, /sys and /dev are the runtime's, not the user's.
    for (const char* prefix : { "/proc/", "/sys/", "/dev/" }) {
        if (mount.mount_point.rfind(prefix, 0) == 0)
            return false;
    }
    return mount.kind == "volume" || mount.kind == "bind" || mount.kind == "tmpfs";
}

ImVec4 category_colour(const std::string& category)
{
    if (category == "bind (host access)")
        return ImVec4(1, 0.45F, 0.3F, 1);
    if (category == "tmpfs")
        return ImVec4(0.6F, 0.8F, 1, 1);
    if (category == "anonymous volume")
        return ImVec4(0.8F, 0.8F, 0.5F, 1);
    if (category == "named volume")
        return ImVec4(0.5F, 0.9F, 0.5F, 1);
    return ImVec4(0.7F, 0.7F, 0.7F, 1);
}

} // namespace

std::string mount_category(const MountInfo& mount)
{
    if (mount.kind == "volume")
        return looks_anonymous(mount.volume_name) ? "anonymous volume" : "named volume";
    if (mount.kind == "bind")
        return "bind (host access)";
    return mount.kind;
}

void draw_volumes_panel(const Snapshot& snapshot, VolumesPanelState& state, const PanelContext& context)
{
    // [SECTION] Volumes.
    ImGui::TextDisabled("%zu volumes", snapshot.volumes.size());
    draw_removed_ghosts(context, "volumes");
    if (!snapshot.volumes.empty() && ImGui::BeginTable("volumes", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchProp)) {
        ImGui::TableSetupColumn("volume");
        ImGui::TableSetupColumn("kind");
        ImGui::TableSetupColumn("mountpoint on the host");
        ImGui::TableSetupColumn("used by");
        ImGui::TableHeadersRow();
        for (const auto& volume : snapshot.volumes) {
            auto key = engine::state::identity_key(volume);
            bool anonymous = looks_anonymous(volume.name);
            context.note("volume-row", key, anonymous ? "anonymous" : "named");
            ImGui::TableNextRow();
            if (auto colour = context.highlight(key))
                ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, colour);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(anonymous ? (volume.name.substr(0, 12) + "...").c_str() : volume.name.c_str());
            ImGui::TableNextColumn();
            ImGui::TextColored(category_colour(anonymous ? "anonymous volume" : "named volume"), "%s",
                anonymous ? "anonymous" : "named");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(volume.mountpoint.c_str());
            ImGui::TableNextColumn();
            std::string users;
            for (const auto& id : volume.container_ids) {
                const auto* container = engine::state::find_container(snapshot, id);
                users += (users.empty() ? "" : ", ") + (container ? container->name : id.substr(0, 12));
            }
            ImGui::TextUnformatted(users.c_str());
        }
        ImGui::EndTable();
    }
    ImGui::Separator();

    // [SECTION] Mounts per container.
    ImGui::Checkbox("system mounts too", &state.show_system_mounts);
    draw_removed_ghosts(context, "mounts");
    for (const auto& container : snapshot.containers) {
        ImGui::PushID(container.id.c_str());
        if (ImGui::TreeNodeEx(container.name.c_str(), ImGuiTreeNodeFlags_DefaultOpen)) {
            int shown = 0;
            for (const auto& mount : snapshot.mounts) {
                if (mount.container_id != container.id)
                    continue;
                if (!is_user_mount(mount) && !state.show_system_mounts)
                    continue;
                auto category = mount_category(mount);
                auto key = engine::state::identity_key(mount);
                context.note("mount-row", key, category);
                ++shown;
                ImGui::TextColored(category_colour(category), "%-20s", category.c_str());
                ImGui::SameLine();
                std::string source = mount.kind == "volume" ? mount.volume_name : mount.root.empty() || mount.root == "/" ? mount.source : mount.root;
                ImGui::Text("%s -> %s  (%s)", source.c_str(), mount.mount_point.c_str(), mount.options.c_str());
                highlight_last_item(context.highlight(key));
            }
            if (shown == 0)
                ImGui::TextDisabled("no volumes, binds or tmpfs");
            ImGui::TreePop();
        }
        ImGui::PopID();
    }
}

} // namespace visualizer
