// Badges and gauges shared by the panels.
#include "visualizer/widgets/badges.h"

#include <cstdio>

#include "engine/base/strings.h"

namespace visualizer {

ImU32 namespace_colour(std::uint64_t inode, bool is_host)
{
    if (is_host)
        return IM_COL32(96, 110, 140, 255);
    // Namespace inodes are consecutive numbers; spread them around the hue circle with a
    // multiplicative hash so neighbours do not look alike.
    std::uint64_t hash = inode * 0x9E3779B97F4A7C15ULL;
    float hue = static_cast<float>((hash >> 40) % 360) / 360.0F;
    float r = 0;
    float g = 0;
    float b = 0;
    ImGui::ColorConvertHSVtoRGB(hue, 0.65F, 0.85F, r, g, b);
    return ImGui::ColorConvertFloat4ToU32(ImVec4(r, g, b, 1.0F));
}

bool namespace_badge(const std::string& type, std::uint64_t inode, bool is_host)
{
    char text[64];
    std::snprintf(text, sizeof text, "%s %llu", type.c_str(), static_cast<unsigned long long>(inode % 100000));
    ImVec2 size = ImGui::CalcTextSize(text);
    ImVec2 pad(4, 1);
    ImVec2 pos = ImGui::GetCursorScreenPos();
    ImVec2 end(pos.x + size.x + 2 * pad.x, pos.y + size.y + 2 * pad.y);
    auto* draw = ImGui::GetWindowDrawList();
    draw->AddRectFilled(pos, end, namespace_colour(inode, is_host), 4.0F);
    draw->AddText(ImVec2(pos.x + pad.x, pos.y + pad.y), IM_COL32(10, 10, 10, 255), text);
    ImGui::Dummy(ImVec2(end.x - pos.x, end.y - pos.y));
    bool hovered = ImGui::IsItemHovered();
    if (hovered)
        ImGui::SetTooltip("%s:[%llu]%s", type.c_str(), static_cast<unsigned long long>(inode),
            is_host ? " (the host's)" : "");
    return hovered;
}

void gauge(const char* label, double current, double limit, double scale, const std::string& text)
{
    double denominator = limit > 0 ? limit : scale;
    float fraction = denominator > 0 ? static_cast<float>(current / denominator) : 0.0F;
    if (fraction > 1.0F)
        fraction = 1.0F;
    if (fraction < 0.0F)
        fraction = 0.0F;
    // Red near the limit, so a container about to be OOM-killed stands out.
    ImVec4 colour = limit > 0 && fraction > 0.9F ? ImVec4(0.85F, 0.25F, 0.2F, 1)
        : limit > 0                              ? ImVec4(0.25F, 0.6F, 0.85F, 1)
                                                 : ImVec4(0.45F, 0.45F, 0.5F, 1);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, colour);
    ImGui::PushID(label);
    ImGui::ProgressBar(fraction, ImVec2(-1, 0), text.c_str());
    ImGui::PopID();
    ImGui::PopStyleColor();
}

std::string format_bytes(std::uint64_t bytes)
{
    // The same units as `docker images` and `glassbox system df` print.
    return engine::strings::human_size(bytes);
}

std::string short_id(const std::string& id)
{
    auto colon = id.find(':');
    std::string hex = colon == std::string::npos ? id : id.substr(colon + 1);
    return hex.substr(0, 12);
}

} // namespace visualizer
