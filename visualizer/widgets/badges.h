// Reusable drawing: namespace badges coloured by inode, gauges against a limit, byte sizes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <imgui.h>

namespace visualizer {

// The colour of a namespace inode: a stable hue from the inode, so every process that shares a
// namespace shows the same colour. The host's namespaces all get one fixed grey-blue, so "same
// as the host" reads at a glance.
ImU32 namespace_colour(std::uint64_t inode, bool is_host);

// One badge "net 4026532500" in the namespace's colour; a tooltip says what it is. Returns true
// when hovered.
bool namespace_badge(const std::string& type, std::uint64_t inode, bool is_host);

// A horizontal gauge: `current` of `limit` (limit < 0: no limit, drawn against `scale`).
// Label text is drawn over the bar.
void gauge(const char* label, double current, double limit, double scale, const std::string& text);

// "12.3MB", "512B", as docker prints sizes.
std::string format_bytes(std::uint64_t bytes);

// "sha256:abcdef0123..." -> "abcdef012345" (12 hex digits, like docker).
std::string short_id(const std::string& id);

} // namespace visualizer
