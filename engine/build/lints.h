// The Dockerfile lints the lessons teach. Each finding carries the rule name, a one-or-two
// sentence reason and the lesson that explains it:
//   latest-tag       error    FROM an untagged or ":latest" image (unless allow_latest)
//   keep-alive       warning  CMD/ENTRYPOINT that only keeps the container alive
//   shell-form       warning  shell-form CMD/ENTRYPOINT: signals reach /bin/sh, not the program
//   secret-in-env    warning  ENV/ARG names that look like secrets stay in the image history
// Kernel interfaces: none.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/build/dockerfile.h"

namespace engine::build {

enum class LintSeverity { Warning, Error };

struct LintFinding {
    LintSeverity severity { LintSeverity::Warning };
    std::string rule;     // "latest-tag", "keep-alive", "shell-form", "secret-in-env".
    std::string message;  // What is wrong, naming the instruction's operand.
    std::string reason;   // Why it matters, in one or two sentences.
    std::string lesson;   // "lessons/02-dockerfiles-images/".
    SourceLocation location;

    // "Dockerfile:1:1: error [latest-tag]: FROM busybox ... \n  <reason>\n  See lessons/..."
    [[nodiscard]] std::string format() const;
};

struct LintOptions {
    bool allow_latest { false };
    // Values for ARGs declared before FROM (build args override their defaults), used to expand
    // the image name in FROM before it is checked.
    std::map<std::string, std::string> build_args;
};

// Runs every lint over a parsed Dockerfile, in file order.
std::vector<LintFinding> lint_dockerfile(const Dockerfile& dockerfile, const LintOptions& options);

// True if any finding is an error (the build must stop).
bool has_lint_errors(const std::vector<LintFinding>& findings);

} // namespace engine::build
