// Build events -> BuildLog (build_events.h).
#include "visualizer/sources/build_events.h"

#include <sstream>
#include <string>

namespace visualizer {

namespace {

std::string attribute(const nlohmann::json& event, const char* name)
{
    const auto* actor = event.contains("Actor") ? &event["Actor"] : nullptr;
    if (!actor || !actor->is_object() || !actor->contains("Attributes"))
        return {};
    const auto& attributes = (*actor)["Attributes"];
    if (!attributes.is_object() || !attributes.contains(name) || !attributes[name].is_string())
        return {};
    return attributes[name].get<std::string>();
}

long long number(const std::string& text)
{
    try {
        return text.empty() ? 0 : std::stoll(text);
    } catch (const std::exception&) {
        return 0;
    }
}

std::string actor_id(const nlohmann::json& event)
{
    if (!event.contains("Actor") || !event["Actor"].is_object())
        return {};
    return event["Actor"].value("ID", "");
}

} // namespace

bool is_build_event(const nlohmann::json& event)
{
    return event.is_object() && event.value("Type", "") == "build";
}

const nlohmann::json* docker_event_of(const nlohmann::json& line)
{
    if (!line.is_object() || line.value("type", "") != "event" || !line.contains("event") || !line["event"].is_object())
        return nullptr;
    return &line["event"];
}

std::shared_ptr<const BuildLog> apply_build_event(const std::shared_ptr<const BuildLog>& log, const nlohmann::json& event)
{
    std::string action = event.value("Action", "");
    std::string id = actor_id(event);
    auto next = std::make_shared<BuildLog>();
    if (action != "start" && log && log->build_id == id)
        *next = *log;
    next->build_id = id;
    if (action == "start") {
        next->dockerfile = attribute(event, "dockerfile");
    } else if (action == "step") {
        BuildStep step;
        step.step = static_cast<int>(number(attribute(event, "step")));
        step.total = static_cast<int>(number(attribute(event, "total")));
        step.line = static_cast<int>(number(attribute(event, "line")));
        step.instruction = attribute(event, "instruction");
        step.cache = attribute(event, "cache");
        step.layer_id = attribute(event, "layer");
        step.size = static_cast<std::uint64_t>(number(attribute(event, "size")));
        step.image_id = attribute(event, "image");
        std::istringstream changes(attribute(event, "changes"));
        std::string line;
        while (std::getline(changes, line)) {
            if (!line.empty())
                step.changes.push_back(line);
        }
        step.changes_total = static_cast<int>(number(attribute(event, "changes_total")));
        if (next->dockerfile.empty())
            next->dockerfile = attribute(event, "dockerfile");
        next->steps.push_back(std::move(step));
    } else if (action == "end") {
        next->finished = true;
        auto error = attribute(event, "error");
        next->failed = !error.empty();
        next->result = error.empty() ? attribute(event, "image") : error;
    }
    return next;
}

} // namespace visualizer
