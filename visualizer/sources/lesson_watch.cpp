// LessonWatch (lesson_watch.h).
#include "visualizer/sources/lesson_watch.h"

#include <unistd.h>

#include <climits>
#include <optional>

#include "engine/lesson/runner.h"

namespace visualizer {

struct LessonWatch::Impl {
    std::optional<engine::lesson::Runner> runner;
    std::string error;
};

LessonWatch::LessonWatch(const std::string& socket_path)
    : m_impl(std::make_unique<Impl>())
{
    char executable[PATH_MAX] = {};
    ssize_t length = ::readlink("/proc/self/exe", executable, sizeof executable - 1);
    auto dir = engine::lesson::find_lessons_dir(length > 0 ? std::string(executable, static_cast<size_t>(length)) : std::string());
    if (!dir.ok()) {
        m_impl->error = "lessons not found: " + dir.error().describe();
        return;
    }
    engine::lesson::RunnerOptions options;
    options.lessons_dir = dir.value();
    options.socket_path = socket_path;
    auto runner = engine::lesson::Runner::open(options);
    if (!runner.ok()) {
        m_impl->error = "lessons not available: " + runner.error().describe();
        return;
    }
    m_impl->runner.emplace(runner.release_value());
}

LessonWatch::~LessonWatch() = default;

std::shared_ptr<const LessonView> LessonWatch::evaluate(const nlohmann::json& snapshot) const
{
    auto view = std::make_shared<LessonView>();
    if (!m_impl->runner) {
        view->error = m_impl->error;
        return view;
    }
    auto step = m_impl->runner->show();
    if (!step.ok()) {
        view->error = step.error().message() + " (start one with `glassbox lesson start NAME`)";
        return view;
    }
    const auto& shown = step.value();
    view->lesson_title = shown.lesson_title;
    view->step_title = shown.title;
    view->index = shown.index;
    view->count = shown.count;
    view->finished = shown.finished;
    view->explain = shown.explain;
    view->commands = shown.commands;
    view->question = shown.question;
    view->focus = shown.focus;
    if (shown.finished)
        return view;
    auto lesson = m_impl->runner->load(shown.lesson);
    if (!lesson.ok()) {
        view->error = lesson.error().describe();
        return view;
    }
    auto result = engine::lesson::Runner::check_step(lesson.value(), shown.index, snapshot);
    view->all_passed = result.passed;
    for (const auto& check : result.checks)
        view->checks.push_back({ check.that, check.passed, check.found, check.hint });
    return view;
}

} // namespace visualizer
