// _glassbox.LessonRunner: engine::lesson::Runner (engine/lesson/runner.h), the same runner the
// CLI's `glassbox lesson` and the visualizer's lesson panel use, so a notebook agrees with them on
// what a step is and whether it passed. Results come back as plain dicts (the shapes of `glassbox
// lesson
// ... --json`). Calls run off the GIL with a timeout; the runner opens its own API connections, so
// Ctrl-C or a timeout is honoured when the current request or command ends, not in the middle.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "engine/lesson/runner.h"
#include "python/bindings/call.h"
#include "python/bindings/errors.h"
#include "python/bindings/json_convert.h"
#include "python/bindings/module.h"

namespace glassbox_py {

namespace {

using engine::lesson::Runner;
using Json = nlohmann::json;

Json summary_json(const engine::lesson::LessonSummary& lesson)
{
    return { { "id", lesson.id }, { "title", lesson.title }, { "summary", lesson.summary },
        { "minutes", lesson.minutes }, { "step_count", lesson.step_count },
        { "features", lesson.features }, { "missing", lesson.missing },
        { "current", lesson.current }, { "step", lesson.step }, { "completed", lesson.completed } };
}

Json step_json(const engine::lesson::StepView& step)
{
    return { { "lesson", step.lesson }, { "lesson_title", step.lesson_title },
        { "index", step.index }, { "count", step.count }, { "finished", step.finished },
        { "id", step.id }, { "title", step.title }, { "explain", step.explain },
        { "commands", step.commands }, { "checks", step.checks }, { "focus", step.focus },
        { "question", step.question }, { "answer", step.answer } };
}

Json command_json(const engine::lesson::CommandResult& command)
{
    return { { "command", command.command }, { "exit_code", command.exit_code },
        { "expected", command.expected }, { "output", command.output } };
}

class PyLessonRunner {
public:
    PyLessonRunner(const std::string& lessons_dir, const std::string& socket_path,
        const std::string& cli_path, const std::string& progress_path)
        : m_runner(unwrap(Runner::open(engine::lesson::RunnerOptions { .lessons_dir = lessons_dir,
            .progress_path = progress_path,
            .socket_path = socket_path,
            .cli_path = cli_path })))
    {
    }

    template<typename T, typename Call, typename Convert>
    py::object call(
        const std::string& what, std::optional<double> timeout, Call&& body, Convert&& convert)
    {
        auto value = run_blocking<T>(what, timeout, [&](CallState&) { return body(m_runner); });
        return to_python(convert(value));
    }

    py::object list(std::optional<double> timeout)
    {
        return call<std::vector<engine::lesson::LessonSummary>>(
            "lesson list", timeout, [](const Runner& runner) { return runner.list(); },
            [](const auto& lessons) {
                Json out = Json::array();
                for (const auto& lesson : lessons)
                    out.push_back(summary_json(lesson));
                return out;
            });
    }

    py::object start(const std::string& name, std::optional<double> timeout)
    {
        return call<engine::lesson::StepView>(
            "lesson start " + name, timeout,
            [&](const Runner& runner) { return runner.start(name); }, step_json);
    }

    py::object show(std::optional<double> timeout)
    {
        return call<engine::lesson::StepView>(
            "lesson show", timeout, [](const Runner& runner) { return runner.show(); }, step_json);
    }

    py::object check(std::optional<double> timeout)
    {
        return call<engine::lesson::StepCheck>(
            "lesson check", timeout, [](const Runner& runner) { return runner.check(); },
            [](const auto& result) { return result.to_json(); });
    }

    py::object next(bool force, std::optional<double> timeout)
    {
        return call<engine::lesson::StepView>(
            "lesson next", timeout, [&](const Runner& runner) { return runner.next(force); },
            step_json);
    }

    py::object back(std::optional<double> timeout)
    {
        return call<engine::lesson::StepView>(
            "lesson back", timeout, [](const Runner& runner) { return runner.back(); }, step_json);
    }

    py::object run(std::optional<double> timeout)
    {
        return call<std::vector<engine::lesson::CommandResult>>(
            "lesson run", timeout, [](const Runner& runner) { return runner.run({}); },
            [](const auto& commands) {
                Json out = Json::array();
                for (const auto& command : commands)
                    out.push_back(command_json(command));
                return out;
            });
    }

    py::object reset(const std::string& name, std::optional<double> timeout)
    {
        return call<std::vector<std::string>>(
            "lesson reset", timeout, [&](const Runner& runner) { return runner.reset(name, {}); },
            [](const auto& lines) { return Json(lines); });
    }

    py::object solve(const std::string& name, bool keep, std::optional<double> timeout)
    {
        return call<engine::lesson::SolveReport>(
            "lesson solve " + name, timeout,
            [&](const Runner& runner) { return runner.solve(name, keep, {}); },
            [](const engine::lesson::SolveReport& report) {
                Json steps = Json::array();
                for (const auto& step : report.steps) {
                    Json commands = Json::array();
                    for (const auto& command : step.commands)
                        commands.push_back(command_json(command));
                    steps.push_back(
                        { { "id", step.id }, { "title", step.title }, { "commands", commands },
                            { "check", step.check.to_json() }, { "passed", step.passed } });
                }
                return Json { { "lesson", report.lesson }, { "passed", report.passed },
                    { "steps", steps } };
            });
    }

private:
    Runner m_runner;
};

} // namespace

void bind_lessons(py::module_& m)
{
    using Timeout = std::optional<double>;
    py::class_<PyLessonRunner>(m, "LessonRunner",
        "engine::lesson::Runner: lessons, progress, checks over the live snapshot.")
        .def(py::init<const std::string&, const std::string&, const std::string&,
                 const std::string&>(),
            py::arg("lessons_dir"), py::arg("socket_path"), py::arg("cli_path"),
            py::arg("progress_path") = "")
        .def("list", &PyLessonRunner::list, py::arg("timeout") = Timeout(60.0))
        .def("start", &PyLessonRunner::start, py::arg("name"), py::arg("timeout") = Timeout(60.0))
        .def("show", &PyLessonRunner::show, py::arg("timeout") = Timeout(60.0))
        .def("check", &PyLessonRunner::check, py::arg("timeout") = Timeout(60.0))
        .def("next", &PyLessonRunner::next, py::arg("force") = false,
            py::arg("timeout") = Timeout(60.0))
        .def("back", &PyLessonRunner::back, py::arg("timeout") = Timeout(60.0))
        .def("run", &PyLessonRunner::run, py::arg("timeout") = Timeout(600.0))
        .def("reset", &PyLessonRunner::reset, py::arg("name") = "",
            py::arg("timeout") = Timeout(300.0))
        .def("solve", &PyLessonRunner::solve, py::arg("name"), py::arg("keep") = false,
            py::arg("timeout") = Timeout(900.0));
    m.def(
        "find_lessons_dir",
        [](const std::string& executable) {
            return unwrap(engine::lesson::find_lessons_dir(executable));
        },
        py::arg("executable"), "Where the lessons are, as the CLI finds them from its own path.");
}

} // namespace glassbox_py
