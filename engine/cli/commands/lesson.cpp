// glassbox lesson list|start|show|check|hint|next|back|run|reset|solve: the terminal face of
// the lesson runner (engine/lesson/runner.h). It only finds the lessons folder and the daemon
// (auto-started like every verb's), calls the runner and prints: checks green PASS / red FAIL
// with the value found and the hint, or JSON with --json. `check` and `solve` exit 1 when a
// check fails. The format and check language: lessons/README.md.
#include "engine/cli/commands/lesson.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "engine/lesson/runner.h"

namespace engine::cli {

namespace {

using lesson::CheckResult;
using lesson::Runner;
using lesson::StepCheck;
using lesson::StepView;

struct Colors {
    std::string green, red, bold, dim, plain;
};

Colors colors()
{
    bool on = ::isatty(1) && !std::getenv("NO_COLOR");
    if (!on)
        return {};
    return { "\033[32m", "\033[31m", "\033[1m", "\033[2m", "\033[0m" };
}

std::string self_path()
{
    char buffer[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string("glassbox");
}

Result<Runner> open_runner(Context& ctx)
{
    std::string exe = self_path();
    std::string lessons = TRY(lesson::find_lessons_dir(exe));
    auto* client = TRY(ctx.client());
    return Runner::open({ lessons, "", client->socket_path(), exe });
}

std::string indent(const std::string& text, const std::string& prefix)
{
    std::string out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (end == std::string::npos && line.empty())
            break;
        out += (line.empty() ? "" : prefix) + line + "\n";
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return out;
}

void print_step(const StepView& view)
{
    Colors c = colors();
    std::string out = c.bold + "Lesson " + view.lesson + ": " + view.lesson_title + c.plain + "\n";
    if (view.finished) {
        out += c.green + "Complete." + c.plain + " " + view.explain + "\nNext: glassbox lesson list\n";
        print_out(out);
        return;
    }
    out += c.bold + "Step " + std::to_string(view.index + 1) + "/" + std::to_string(view.count) + ": " + view.title
        + c.plain + "\n\n" + indent(view.explain, "  ");
    if (!view.commands.empty()) {
        out += "\n" + c.bold + "Type:" + c.plain + "\n";
        for (auto& command : view.commands)
            out += "  $ " + command + "\n";
    }
    if (!view.question.empty())
        out += "\n" + c.bold + "Question:" + c.plain + " " + view.question + "\n";
    out += "\n" + c.dim + "Then: glassbox lesson check (glassbox lesson run types the commands for you; "
        + "lesson next moves on)" + c.plain + "\n";
    print_out(out);
}

void print_checks(const StepCheck& result)
{
    Colors c = colors();
    std::string out;
    for (const CheckResult& check : result.checks) {
        if (check.passed) {
            out += c.green + "PASS" + c.plain + "  " + check.that + "\n";
            continue;
        }
        out += c.red + "FAIL" + c.plain + "  " + check.that + "\n";
        out += "      found: " + check.found + "\n";
        out += "      hint:  " + check.hint + "\n";
    }
    if (result.passed)
        out += c.green + "All checks pass." + c.plain + " Next: glassbox lesson next\n";
    print_out(out);
}

void stream_to_stdout(std::string_view text)
{
    write_fd(1, text);
}

} // namespace

void add_lesson_command(CLI::App& parent, Context& ctx)
{
    auto* group = parent.add_subcommand("lesson", "Guided lessons checked against the live kernel state (lessons/README.md)");
    group->require_subcommand(1);

    auto* list = group->add_subcommand("list", "List the lessons, what this kernel lacks for them, and your progress");
    set_action(list, ctx, [&ctx]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        auto lessons = TRY(runner.list());
        Colors c = colors();
        std::string out;
        for (auto& summary : lessons) {
            std::string status;
            if (!summary.missing.empty())
                status = c.red + "needs " + summary.missing.front() + c.plain;
            else if (summary.completed)
                status = c.green + "done" + c.plain;
            else if (summary.step >= 0)
                status = "at step " + std::to_string(summary.step + 1) + "/" + std::to_string(summary.step_count);
            std::string marker = summary.current ? "*" : " ";
            char line[512];
            std::snprintf(line, sizeof line, "%s %-26s %-44s %2d steps %3d min  ", marker.c_str(), summary.id.c_str(),
                summary.title.c_str(), summary.step_count, summary.minutes);
            out += line + status + "\n";
        }
        print_out(out);
        return 0;
    });

    auto name = std::make_shared<std::string>();
    auto* start = group->add_subcommand("start", "Start (or resume) a lesson: 01, first-container or 01-first-container");
    start->add_option("NAME", *name, "The lesson")->required();
    set_action(start, ctx, [&ctx, name]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        print_step(TRY(runner.start(*name)));
        return 0;
    });

    auto* show = group->add_subcommand("show", "Show the current step");
    set_action(show, ctx, [&ctx]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        print_step(TRY(runner.show()));
        return 0;
    });

    auto json = std::make_shared<bool>(false);
    auto* check = group->add_subcommand("check", "Check the current step against the live kernel state (exit 1 on a failure)");
    check->add_flag("--json", *json, "Print the result as JSON");
    set_action(check, ctx, [&ctx, json]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        StepCheck result = TRY(runner.check());
        if (*json)
            print_out(result.to_json().dump() + "\n");
        else
            print_checks(result);
        return result.passed ? 0 : 1;
    });

    auto* hint = group->add_subcommand("hint", "Show the hints of the current step's failing checks");
    set_action(hint, ctx, [&ctx]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        StepCheck result = TRY(runner.check());
        std::string out;
        for (auto& each : result.checks) {
            if (!each.passed)
                out += each.hint + "\n";
        }
        print_out(out.empty() ? "Every check of this step passes: glassbox lesson next\n" : out);
        return 0;
    });

    auto force = std::make_shared<bool>(false);
    auto* next = group->add_subcommand("next", "Go to the next step (when this one's checks pass)");
    next->add_flag("--force", *force, "Move on even if a check fails");
    set_action(next, ctx, [&ctx, force]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        print_step(TRY(runner.next(*force)));
        return 0;
    });

    auto* back = group->add_subcommand("back", "Go back one step");
    set_action(back, ctx, [&ctx]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        print_step(TRY(runner.back()));
        return 0;
    });

    auto* run = group->add_subcommand("run", "Run the current step's commands, then check it");
    set_action(run, ctx, [&ctx]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        auto results = TRY(runner.run(stream_to_stdout));
        bool ok = std::all_of(results.begin(), results.end(), [](auto& r) { return r.expected; });
        StepCheck result = TRY(runner.check());
        print_out("\n");
        print_checks(result);
        return ok && result.passed ? 0 : 1;
    });

    auto reset_name = std::make_shared<std::string>();
    auto* reset = group->add_subcommand("reset", "Remove what a lesson made (label glassbox.lesson) and go back to its first step");
    reset->add_option("NAME", *reset_name, "The lesson (default: the current one)");
    set_action(reset, ctx, [&ctx, reset_name]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        auto removed = TRY(runner.reset(*reset_name, stream_to_stdout));
        std::string out;
        for (auto& line : removed)
            out += "removed " + line + "\n";
        print_out(out + "Back at step 1.\n");
        return 0;
    });

    struct SolveArgs {
        std::string name;
        bool keep { false };
        bool json { false };
    };
    auto solve_args = std::make_shared<SolveArgs>();
    auto* solve = group->add_subcommand("solve", "Reset, then run each step's solution and checks (what CI runs)");
    solve->add_option("NAME", solve_args->name, "The lesson (default: the current one)");
    solve->add_flag("--keep", solve_args->keep, "Leave the solved state in place (default: reset afterwards)");
    solve->add_flag("--json", solve_args->json, "Print the report as JSON");
    set_action(solve, ctx, [&ctx, solve_args]() -> Result<int> {
        Runner runner = TRY(open_runner(ctx));
        std::string target = solve_args->name;
        if (target.empty()) {
            StepView current = TRY(runner.show());
            target = current.lesson;
        }
        auto report = TRY(runner.solve(target, solve_args->keep, solve_args->json ? lesson::OutputSink {} : stream_to_stdout));
        if (solve_args->json) {
            Json out = { { "lesson", report.lesson }, { "passed", report.passed }, { "steps", Json::array() } };
            for (auto& step : report.steps) {
                Json commands = Json::array();
                for (auto& command : step.commands)
                    commands.push_back({ { "command", command.command }, { "exit_code", command.exit_code },
                        { "expected", command.expected }, { "output", command.output } });
                out["steps"].push_back({ { "id", step.id }, { "passed", step.passed }, { "commands", commands },
                    { "check", step.check.to_json() } });
            }
            print_out(out.dump() + "\n");
        } else {
            for (auto& step : report.steps) {
                print_out("-- " + step.id + ":\n");
                print_checks(step.check);
            }
            Colors c = colors();
            print_out(report.passed ? c.green + "Solved " + report.lesson + ": every step's checks pass." + c.plain + "\n"
                                    : c.red + "Lesson " + report.lesson + " failed at step " + report.steps.back().id + "." + c.plain + "\n");
        }
        return report.passed ? 0 : 1;
    });
}

} // namespace engine::cli
