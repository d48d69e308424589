// Loading lessons: finds lesson folders (lessons/NN-slug/lesson.yaml), resolves the names a
// learner types ("01", "first-container", "01-first-container"), and parses lesson.yaml into the
// model (model.h) with every key, type and check validated. Errors name the file, line and
// column: "lessons/05-pid1-signals/lesson.yaml:42:17: unknown object kind 'contaner' (...)".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/lesson/model.h"

namespace engine::lesson {

// Parses lesson YAML text. `file` is used in messages only; `id` and `directory` are copied into
// the lesson. Fails (InvalidArgument) on bad YAML, an unknown key, a missing or mistyped field, a
// duplicate step id, or a check or focus selector that does not parse.
Result<Lesson> parse_lesson(std::string_view yaml_text, const std::string& file, const std::string& id,
    const std::string& directory);

// Reads <directory>/lesson.yaml; the lesson's id is the folder's name.
Result<Lesson> load_lesson(const std::string& directory);

// The ids of the lesson folders in `lessons_dir` (those holding a lesson.yaml), sorted.
std::vector<std::string> list_lesson_ids(const std::string& lessons_dir);

// Resolves what a learner typed to a lesson id: the full id, its number ("01" or "1") or its
// slug ("first-container"). NotFound names the available lessons.
Result<std::string> resolve_lesson_id(const std::string& lessons_dir, std::string_view name);

} // namespace engine::lesson
