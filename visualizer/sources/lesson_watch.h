// Follows the learner's lesson for the live source: on each new snapshot it asks engine/lesson's
// runner for the current step (the progress file `glassbox lesson` keeps) and evaluates that
// step's checks over the snapshot just received (no extra daemon request), producing the plain
// LessonView the lesson panel draws. Runs on the source thread.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "visualizer/frame.h"

namespace visualizer {

class LessonWatch {
public:
    // Finds the lessons folder next to this executable (or $GLASSBOX_LESSONS_DIR). On failure the
    // watch still works and every view carries the reason in `error`.
    explicit LessonWatch(const std::string& socket_path);
    ~LessonWatch();
    LessonWatch(const LessonWatch&) = delete;
    LessonWatch& operator=(const LessonWatch&) = delete;

    // The current step and its checks over `snapshot` (the snapshot's JSON form).
    std::shared_ptr<const LessonView> evaluate(const nlohmann::json& snapshot) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace visualizer
