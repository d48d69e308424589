// Hand-built snapshots and a headless ImGui fixture shared by the visualizer tests.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <imgui.h>

#include "engine/state/snapshot.h"
#include "visualizer/panels/panel_context.h"

namespace visualizer::testing {

// Two containers (web, db) on a bridge, each with a veth pair; a macvlan in db and an 802.1q
// sub-interface on the host, both parented on the uplink; two images sharing their base layer; a
// named and an anonymous volume; web's processes (sleep as PID 1 ignoring TERM, and a zombie).
engine::state::Snapshot classroom_snapshot();

// How many drawn items have `kind` (and, when given, `flags`).
int count(const std::vector<DrawnItem>& items, const std::string& kind, const std::string& flags = "*");

// An ImGui context with a display size and a built font atlas, and no window or GPU.
class HeadlessImGui : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    // One frame with `draw` inside a window; returns the frame's vertex count.
    int run_frame(const std::function<void()>& draw);
    // Two frames (a new window is measured on the first and drawn on the second); the items
    // noted in the second frame.
    std::vector<DrawnItem> draw_twice(const std::function<void(const PanelContext&)>& draw,
        PanelContext context = {});
};

} // namespace visualizer::testing
