// Themes for the classroom: the default dark one, and a high-contrast one (white on black, bright
// accents, thicker borders) that survives a washed-out projector.
#pragma once

namespace visualizer {

enum class Theme { Dark, HighContrast };

// Applies the theme to the current ImGui context's style.
void apply_theme(Theme theme);

} // namespace visualizer
