// A lesson as plain data (lessons/README.md describes the YAML it is loaded from): its steps,
// each with the explanation, the commands a learner types, the checks over the live snapshot
// (already parsed, see check.h), what the visualizer focuses and the solution CI runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/lesson/check.h"

namespace engine::lesson {

// A shell command of a step. `fails` marks a command meant to exit non-zero (a refused build).
struct Command {
    std::string run;
    bool fails { false };
};

struct Check {
    std::string that;       // The check's text, as written.
    std::string hint;
    Expression expression;  // Parsed and validated when the lesson loaded.
};

struct Question {
    std::string ask;
    std::string answer;
};

struct Step {
    std::string id;
    std::string title;
    std::string explain;                 // Markdown.
    std::vector<Command> commands;
    std::vector<Check> checks;
    std::vector<std::string> focus;      // Selectors, e.g. "container(web)".
    std::optional<Question> question;
    std::vector<Command> solution;       // `commands` when the lesson gives none.
    std::vector<Command> cleanup;
    double wait { 0 };                   // Seconds the checks may be retried for (max 30).
};

struct Lesson {
    std::string id;                      // The folder name: "01-first-container".
    std::string directory;               // Absolute path of the folder; commands run there.
    std::string file;                    // Path of lesson.yaml, for messages.
    std::string title;
    std::string summary;
    int minutes { 0 };
    bool requires_root { false };
    std::vector<std::string> features;   // Names from GET /glassbox/v1/features.
    std::vector<Command> cleanup;        // Run by reset for the whole lesson.
    std::vector<Step> steps;
};

} // namespace engine::lesson
