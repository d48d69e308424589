// Progress file: JSON read with nlohmann (errors caught at the parse call) and written with
// base::write_file_atomic.
#include "engine/lesson/progress.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "engine/base/fs.h"

namespace engine::lesson {

std::string default_progress_path()
{
    if (const char* explicit_path = std::getenv("GLASSBOX_LESSON_STATE"); explicit_path && *explicit_path)
        return explicit_path;
    if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/')
        return std::string(state) + "/glassbox/lessons.json";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/root") + "/.local/state/glassbox/lessons.json";
}

Result<Progress> load_progress(const std::string& path)
{
    Progress progress;
    if (!fs::exists(path))
        return progress;
    auto text = fs::read_file(path);
    if (!text.ok())
        return text.release_error().with_context("read lesson progress " + path);
    try {
        auto json = nlohmann::json::parse(text.value());
        progress.current = json.value("current", "");
        nlohmann::json lessons = json.value("lessons", nlohmann::json::object());
        for (auto& [id, entry] : lessons.items()) {
            LessonProgress lesson;
            lesson.step = entry.value("step", 0);
            lesson.passed = entry.value("passed", std::vector<std::string> {});
            lesson.completed = entry.value("completed", false);
            progress.lessons[id] = lesson;
        }
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid(path + ": not a lesson progress file (" + error.what()
            + "); remove it to start over");
    }
    return progress;
}

Result<void> save_progress(const std::string& path, const Progress& progress)
{
    nlohmann::json json = { { "version", 1 }, { "current", progress.current }, { "lessons", nlohmann::json::object() } };
    for (auto& [id, lesson] : progress.lessons)
        json["lessons"][id] = { { "step", lesson.step }, { "passed", lesson.passed }, { "completed", lesson.completed } };
    auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0)
        TRY_CTX(fs::make_dirs(path.substr(0, slash), 0700), "create the directory of " + path);
    TRY_CTX(fs::write_file_atomic(path, json.dump(2) + "\n", 0600), "write lesson progress " + path);
    return Ok {};
}

} // namespace engine::lesson
