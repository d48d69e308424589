// The Dockerfile lints the lessons teach. Each finding carries the rule name, a one-or-two
// sentence reason and the lesson that explains it:
//   latest-tag       FROM an untagged or ":latest" image (unless allow_latest)
//   keep-alive       CMD/ENTRYPOINT that only keeps the container alive
//   shell-form       shell-form CMD/ENTRYPOINT: signals reach /bin/sh, not the program
//   secret-in-env    ENV/ARG names that look like secrets stay in the image history
// Every finding is a warning, as in Docker's build checks, unless the Dockerfile opts in with the
// parser directive `# check=error=true` or the caller is strict (`glassbox build --strict`, a
// lesson); then every finding is an error and the build stops before anything runs.
// `# check=skip=latest-tag,shell-form` (or `skip=all`) silences rules.
// Kernel interfaces: none.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
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

// The `# check=...` parser directive at the top of a Dockerfile, Docker's build-check syntax:
// `# check=skip=<rule>[,<rule>...];error=true`.
struct CheckDirective {
    bool error { false };            // error=true: findings are errors.
    bool skip_all { false };         // skip=all.
    std::set<std::string> skip;      // Rule names, lower case.
};

// Reads the directive from the leading `# key=value` lines of `dockerfile_text` (directives end
// at the first line that is not one). Unknown directives and rules are ignored, as Docker does;
// a malformed `error=` value is InvalidArgument naming the line.
Result<CheckDirective> parse_check_directive(std::string_view dockerfile_text, const std::string& file);

struct LintOptions {
    bool allow_latest { false };
    // Every finding becomes an error (`glassbox build --strict`, a lesson that asks for it).
    bool strict { false };
    CheckDirective check;
    // Values for ARGs declared before FROM (build args override their defaults), used to expand
    // the image name in FROM before it is checked.
    std::map<std::string, std::string> build_args;
};

// Runs every lint over a parsed Dockerfile, in file order.
std::vector<LintFinding> lint_dockerfile(const Dockerfile& dockerfile, const LintOptions& options);

// True if any finding is an error (the build must stop).
bool has_lint_errors(const std::vector<LintFinding>& findings);

} // namespace engine::build
