// Images and layers panel (images_panel.h).
#include "visualizer/panels/images_panel.h"

#include <string>
#include <unordered_map>

#include "visualizer/widgets/badges.h"

namespace visualizer {

using engine::state::Snapshot;

namespace {

constexpr ImU32 k_shared_colour = IM_COL32(200, 140, 40, 90);

} // namespace

void draw_images_panel(const Snapshot& snapshot, ImagesPanelState& state, const PanelContext& context)
{
    ImGui::Checkbox("untagged images", &state.show_untagged);
    ImGui::SameLine();
    ImGui::TextDisabled("%zu images, %zu layers; shared layers are amber", snapshot.images.size(), snapshot.layers.size());
    draw_removed_ghosts(context, "images");
    std::unordered_map<std::string, const engine::state::LayerInfo*> layers;
    for (const auto& layer : snapshot.layers)
        layers[layer.diff_id] = &layer;
    // Overlay mounts by the image whose topmost layer they sit on, one per container: the root
    // overlay shows up in the host's mount table (at .../rootfs) and in the container's own (at
    // "/"); the host's entry is kept because its path says where the files are.
    std::unordered_map<std::string, const engine::state::MountInfo*> root_of;
    for (const auto& mount : snapshot.mounts) {
        if (mount.kind != "overlay" || mount.container_id.empty() || mount.lower_dirs.empty())
            continue;
        auto& kept = root_of[mount.container_id];
        if (!kept || (kept->mount_point == "/" && mount.mount_point != "/"))
            kept = &mount;
    }
    std::unordered_map<std::string, std::vector<const engine::state::MountInfo*>> overlays;
    for (const auto& container : snapshot.containers) {
        auto found = root_of.find(container.id);
        if (found != root_of.end())
            overlays[found->second->lower_dirs.front().layer_diff_id].push_back(found->second);
    }
    if (snapshot.images.empty())
        ImGui::TextDisabled("No images.");
    for (const auto& image : snapshot.images) {
        if (image.tags.empty() && !state.show_untagged)
            continue;
        auto image_key = engine::state::identity_key(image);
        std::string title = (image.tags.empty() ? "<none>" : image.tags.front()) + "  " + short_id(image.id);
        context.note("image-stack", image_key);
        ImGui::PushID(image_key.c_str());
        bool open = ImGui::CollapsingHeader(title.c_str(), ImGuiTreeNodeFlags_DefaultOpen);
        highlight_last_item(context.highlight(image_key));
        if (!open) {
            ImGui::PopID();
            continue;
        }
        // Containers running on this image: their overlay on top of the stack.
        if (!image.layers.empty()) {
            auto found = overlays.find(image.layers.back());
            if (found != overlays.end()) {
                for (const auto* mount : found->second) {
                    const auto* container = engine::state::find_container(snapshot, mount->container_id);
                    if (!container || container->image_id != image.id)
                        continue;
                    context.note("overlay-mount", engine::state::identity_key(*mount), container->name);
                    ImGui::TextColored(ImVec4(0.4F, 0.85F, 0.5F, 1), "  container %s: root overlay at %s", container->name.c_str(),
                        mount->mount_point.c_str());
                    highlight_last_item(context.highlight(engine::state::identity_key(*mount)));
                    ImGui::TextDisabled("    upper (writable) %s, %zu lower layers", mount->upper_dir.c_str(), mount->lower_dirs.size());
                }
            }
        }
        if (ImGui::BeginTable("layers", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchProp)) {
            ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 8);
            ImGui::TableSetupColumn("size", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 5);
            ImGui::TableSetupColumn("shared", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 6);
            ImGui::TableSetupColumn("created by");
            // Top of the stack first, as a stack is drawn.
            for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it) {
                auto found = layers.find(*it);
                const auto* layer = found == layers.end() ? nullptr : found->second;
                bool shared = layer && layer->image_ids.size() > 1;
                std::string key = "layer:" + *it;
                context.note("layer-row", key, shared ? "shared" : "");
                ImGui::TableNextRow();
                if (shared)
                    ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg0, k_shared_colour);
                if (auto colour = context.highlight(key))
                    ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, colour);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(short_id(*it).c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(layer ? format_bytes(layer->size).c_str() : "?");
                ImGui::TableNextColumn();
                if (shared)
                    ImGui::Text("shared x%zu", layer->image_ids.size());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(layer ? layer->created_by.c_str() : "(layer not in the store)");
                if (layer && ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s\n%s", layer->diff_id.c_str(), layer->directory.c_str());
            }
            ImGui::EndTable();
        }
        ImGui::PopID();
    }
}

} // namespace visualizer
