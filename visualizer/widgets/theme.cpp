// Theme colours (widgets/theme.h).
#include "visualizer/widgets/theme.h"

#include <imgui.h>

namespace visualizer {

void apply_theme(Theme theme)
{
    ImGuiStyle& style = ImGui::GetStyle();
    ImGui::StyleColorsDark(&style);
    style.WindowRounding = 4;
    style.FrameRounding = 3;
    if (theme == Theme::Dark)
        return;
    // High contrast: pure black backgrounds, white text, saturated yellow/cyan accents, visible borders.
    style.WindowBorderSize = 2;
    style.FrameBorderSize = 1;
    ImVec4* colours = style.Colors;
    colours[ImGuiCol_Text] = ImVec4(1, 1, 1, 1);
    colours[ImGuiCol_TextDisabled] = ImVec4(0.8F, 0.8F, 0.8F, 1);
    colours[ImGuiCol_WindowBg] = ImVec4(0, 0, 0, 1);
    colours[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 1);
    colours[ImGuiCol_PopupBg] = ImVec4(0.05F, 0.05F, 0.05F, 1);
    colours[ImGuiCol_Border] = ImVec4(1, 1, 1, 1);
    colours[ImGuiCol_FrameBg] = ImVec4(0.1F, 0.1F, 0.1F, 1);
    colours[ImGuiCol_FrameBgHovered] = ImVec4(0.3F, 0.3F, 0, 1);
    colours[ImGuiCol_TitleBg] = ImVec4(0, 0, 0.4F, 1);
    colours[ImGuiCol_TitleBgActive] = ImVec4(0, 0, 0.7F, 1);
    colours[ImGuiCol_Header] = ImVec4(0, 0.35F, 0.45F, 1);
    colours[ImGuiCol_HeaderHovered] = ImVec4(0.6F, 0.6F, 0, 1);
    colours[ImGuiCol_HeaderActive] = ImVec4(0.8F, 0.8F, 0, 1);
    colours[ImGuiCol_Button] = ImVec4(0, 0.3F, 0.6F, 1);
    colours[ImGuiCol_ButtonHovered] = ImVec4(0.6F, 0.6F, 0, 1);
    colours[ImGuiCol_PlotHistogram] = ImVec4(0, 0.9F, 1, 1);
    colours[ImGuiCol_TableBorderStrong] = ImVec4(1, 1, 1, 1);
    colours[ImGuiCol_TableRowBgAlt] = ImVec4(0.12F, 0.12F, 0.12F, 1);
}

} // namespace visualizer
