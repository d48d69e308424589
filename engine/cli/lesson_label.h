// The lesson label: when GLASSBOX_LESSON is set (the lesson runner sets it for the commands it
// runs, see lessons/README.md), every object the CLI creates carries glassbox.lesson=<id>, so
// `glassbox lesson reset` removes exactly what the lesson made. Used by run/create, network
// create, volume create and build.
#pragma once

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace engine::cli {

// Adds glassbox.lesson=$GLASSBOX_LESSON to a Labels object (unless the user set that label).
inline void add_lesson_label(nlohmann::json& labels)
{
    const char* lesson = std::getenv("GLASSBOX_LESSON");
    if (!lesson || !*lesson)
        return;
    if (!labels.is_object())
        labels = nlohmann::json::object();
    if (!labels.contains("glassbox.lesson"))
        labels["glassbox.lesson"] = lesson;
}

} // namespace engine::cli
