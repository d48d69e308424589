// A learner's progress through the lessons, kept per user in a small JSON file
// ($GLASSBOX_LESSON_STATE, else $XDG_STATE_HOME/glassbox/lessons.json, else
// ~/.local/state/glassbox/lessons.json), written atomically (write, fsync, rename) so a crash
// never leaves half a file:
//   {"version":1,"current":"01-first-container",
//    "lessons":{"01-first-container":{"step":2,"passed":["run-it","own-namespaces"],"completed":false}}}
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/base/result.h"

namespace engine::lesson {

struct LessonProgress {
    int step { 0 };                    // Index of the current step.
    std::vector<std::string> passed;   // Ids of the steps whose checks all passed.
    bool completed { false };          // `next` went past the last step.
};

struct Progress {
    std::string current;               // The lesson `show`, `check`, ... act on ("" for none).
    std::map<std::string, LessonProgress> lessons;
};

// The progress file of this user, from the environment as described above.
std::string default_progress_path();

// Reads the file; a missing file is an empty Progress. A file that is not valid progress JSON
// is an error naming it (it is never silently overwritten).
Result<Progress> load_progress(const std::string& path);

// Writes the file atomically, creating its directory.
Result<void> save_progress(const std::string& path, const Progress& progress);

} // namespace engine::lesson
