// The lesson runner: the one component the CLI (`glassbox lesson ...`), the visualizer's lesson
// panel and the Python module all use, so they agree on what a step is and whether it passed.
// It reads lessons (loader.h), keeps the learner's progress (progress.h), runs a step's commands
// with /bin/sh -c in the lesson's folder, evaluates its checks over a fresh snapshot from the
// daemon (GET /glassbox/v1/state), and resets a lesson by removing, through the API, every
// container, network, volume and image labelled glassbox.lesson=<id>.
//
// Every result is plain data. Progress is re-read from its file by each call, so two faces
// (a terminal and the visualizer) driving the same learner stay in step.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/lesson/model.h"
#include "engine/lesson/progress.h"

namespace engine::lesson {

// The label every object a lesson's commands create carries (set by the CLI when
// GLASSBOX_LESSON is in its environment).
inline constexpr const char* k_lesson_label = "glassbox.lesson";

struct RunnerOptions {
    std::string lessons_dir;    // Folder holding NN-slug/lesson.yaml; see find_lessons_dir().
    std::string progress_path;  // "" for default_progress_path().
    std::string socket_path;    // The daemon's API socket (a path, not a unix:// URL).
    std::string cli_path;       // The `glassbox` binary: its folder goes first in commands' PATH.
};

struct LessonSummary {
    std::string id;
    std::string title;
    std::string summary;
    int minutes { 0 };
    int step_count { 0 };
    std::vector<std::string> features;  // Kernel features it needs.
    std::vector<std::string> missing;   // Needed features this kernel lacks, each with the reason.
    bool current { false };             // The lesson `show`/`check` act on.
    int step { -1 };                    // The learner's step in it, -1 when never started.
    bool completed { false };
};

struct StepView {
    std::string lesson;
    std::string lesson_title;
    int index { 0 };                    // 0-based.
    int count { 0 };
    bool finished { false };            // Past the last step (the lesson is complete).
    std::string id;
    std::string title;
    std::string explain;                // Markdown.
    std::vector<std::string> commands;
    std::vector<std::string> checks;    // The checks' text.
    std::vector<std::string> focus;     // Selectors for the visualizer.
    std::string question;
    std::string answer;
};

struct CheckResult {
    std::string that;
    bool passed { false };
    std::string found;                  // What the evaluator saw, or why it could not evaluate.
    std::string hint;
    std::vector<std::string> focus;     // The step's focus selectors.
};

struct StepCheck {
    std::string lesson;
    std::string step;
    int step_index { 0 };
    bool passed { false };              // Every check passed.
    std::vector<CheckResult> checks;

    // {"lesson","step","step_index","passed","checks":[{"that","passed","found","hint","focus"}]}
    [[nodiscard]] nlohmann::json to_json() const;
};

struct CommandResult {
    std::string command;
    int exit_code { 0 };                // 128+N when killed by signal N.
    bool expected { true };             // Exit status as the lesson expects (0, or non-zero for `fails`).
    std::string output;                 // stdout and stderr, interleaved.
};

struct SolveStep {
    std::string id;
    std::string title;
    std::vector<CommandResult> commands;
    StepCheck check;
    bool passed { false };
};

struct SolveReport {
    std::string lesson;
    bool passed { false };
    std::vector<SolveStep> steps;       // Up to and including the first step that failed.
};

// Receives command output as it is produced (for a terminal or a panel); may be empty.
using OutputSink = std::function<void(std::string_view text)>;

class Runner {
public:
    // Fails when the lessons folder does not exist.
    static Result<Runner> open(RunnerOptions options);

    [[nodiscard]] const RunnerOptions& options() const { return m_options; }

    // Every lesson, with what this kernel lacks for it and the learner's progress. Asks the
    // daemon for its features (GET /glassbox/v1/features); a lesson that does not load is an error.
    Result<std::vector<LessonSummary>> list() const;
    // Loads a lesson by anything resolve_lesson_id() accepts.
    Result<Lesson> load(std::string_view name) const;

    // Makes `name` the current lesson and returns its step (the saved one when resuming, the
    // first when new or completed). Refuses (Unsupported) when the kernel lacks a feature it
    // needs, naming the kernel option and offering scripts/kernel-lab; nothing is faked.
    Result<StepView> start(std::string_view name) const;
    // The current step. NotFound when no lesson was started.
    Result<StepView> show() const;
    // Evaluates the current step's checks over a fresh snapshot (once, no waiting).
    Result<StepCheck> check() const;
    // Moves on when every check passes (else Conflict naming the failing checks; `force` skips
    // the checks). Past the last step the lesson is complete and its objects are removed.
    Result<StepView> next(bool force) const;
    Result<StepView> back() const;
    // Runs the current step's commands in order, stopping at the first unexpected outcome, then
    // waits up to the step's `wait` for its checks to pass.
    Result<std::vector<CommandResult>> run(const OutputSink& sink) const;
    // Removes what the lesson made (label glassbox.lesson=<id>: containers, networks, volumes,
    // images), runs its cleanup commands, and sets its progress back to step 1. `name` empty:
    // the current lesson. Returns a line per removed object.
    Result<std::vector<std::string>> reset(std::string_view name, const OutputSink& sink) const;
    // Resets the lesson, then for each step runs its solution and its checks (retried for the
    // step's `wait`, at least 2 s), stopping at the first step that fails; then resets again
    // unless `keep`. The learner's progress is left as it was.
    Result<SolveReport> solve(std::string_view name, bool keep, const OutputSink& sink) const;

    // Evaluates a step's checks over a snapshot given as JSON (no daemon needed).
    static StepCheck check_step(const Lesson& lesson, int step_index, const nlohmann::json& snapshot);
    // The view of one step of a lesson.
    static StepView view(const Lesson& lesson, int step_index);

private:
    explicit Runner(RunnerOptions options);

    // The progress file and the current lesson; NotFound when no lesson was started.
    Result<std::pair<Progress, Lesson>> current() const;
    Result<nlohmann::json> snapshot() const;
    Result<std::vector<std::string>> missing_features(const Lesson& lesson) const;
    Result<StepCheck> check_with_wait(const Lesson& lesson, int step_index, double wait_seconds) const;
    Result<std::vector<CommandResult>> run_commands(const Lesson& lesson, const std::vector<Command>& commands,
        const OutputSink& sink, bool stop_on_unexpected) const;
    Result<std::vector<std::string>> remove_labelled(const std::string& lesson_id) const;
    // view(), with a note for the simulated kernel when the step's commands read the host's /proc.
    StepView kernel_view(const Lesson& lesson, int step_index) const;

    RunnerOptions m_options;
};

// Where the lessons are: $GLASSBOX_LESSONS_DIR, else <exe>/../../lessons (a build tree's
// build/bin next to the source's lessons/), else <exe>/../share/glassbox/lessons (installed).
// `executable` is the running program's path (/proc/self/exe). NotFound lists what was tried.
Result<std::string> find_lessons_dir(const std::string& executable);

} // namespace engine::lesson
