// Turns the builder's per-step events ("build" events on the daemon's event stream and in
// recordings) into a BuildLog the build panel draws. Event shape (Docker event JSON):
//   {"Type":"build","Action":"start","Actor":{"ID":<build id>,"Attributes":{"dockerfile":...,"total":"5"}}}
//   {"Type":"build","Action":"step","Actor":{"ID":...,"Attributes":{"step":"2","total":"5","line":"3",
//     "instruction":"RUN ...","cache":"hit|miss|","layer":"sha256:..","size":"1234","image":"sha256:..",
//     "changes":"A /x\nC /y\nD /z","changes_total":"3"}}}
//   {"Type":"build","Action":"end","Actor":{"ID":...,"Attributes":{"image":... or "error":...}}}
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "visualizer/frame.h"

namespace visualizer {

// True for a Docker event object of Type "build".
bool is_build_event(const nlohmann::json& event);

// The log after `event` (a new log on "start", the same build with one more step on "step").
// Events of other builds than the current one start a new log. Bad fields read as 0 or "".
std::shared_ptr<const BuildLog> apply_build_event(const std::shared_ptr<const BuildLog>& log,
    const nlohmann::json& event);

// The Docker event inside an events-stream line or a timeline event entry
// ({"type":"event","event":{...}}), or null when the line is something else.
const nlohmann::json* docker_event_of(const nlohmann::json& line);

} // namespace visualizer
