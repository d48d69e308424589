// The teaching lints. Each rule looks at one kind of instruction and explains itself; the lesson
// paths live in one table so they can follow the lessons/ folder names.
#include "engine/build/lints.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "engine/base/strings.h"

namespace engine::build {

namespace {

// Lessons each rule links to.
constexpr const char* k_lesson_tags = "lessons/02-dockerfiles-images/";
constexpr const char* k_lesson_pid1 = "lessons/05-pid1-signals/";
constexpr const char* k_lesson_secrets = "lessons/02-dockerfiles-images/";

std::string collapse_spaces(std::string_view text)
{
    std::string out;
    bool space = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = true;
            continue;
        }
        if (space && !out.empty())
            out += ' ';
        space = false;
        out += c;
    }
    return out;
}

// How much of a user's line a finding repeats: enough to recognise it, never a megabyte.
constexpr std::size_t k_max_echoed_bytes = 120;

// The command line a CMD/ENTRYPOINT runs, as one string for pattern checks.
std::string command_text(const Instruction& instruction)
{
    if (instruction.json_form)
        return collapse_spaces(strings::join(instruction.args, " "));
    return collapse_spaces(instruction.rest);
}

bool is_keep_alive(const std::string& command)
{
    static const std::vector<std::string> patterns = {
        "tail -f /dev/null", "tail -F /dev/null", "sleep infinity", "while true", "while :", "while [ 1 ]",
        "while sleep",
    };
    return std::any_of(patterns.begin(), patterns.end(),
        [&](const std::string& pattern) { return command.find(pattern) != std::string::npos; });
}

bool looks_like_secret(const std::string& name)
{
    static const std::set<std::string> secret_words = { "PASSWORD", "PASSWD", "PASS", "SECRET", "TOKEN", "KEY",
        "APIKEY", "CREDENTIALS", "CREDENTIAL" };
    static const std::set<std::string> harmless_words = { "PUBLIC", "FILE", "PATH", "ID" };
    // Split into words at anything that is not a letter or digit: API_KEY -> API, KEY. A
    // word-wise match keeps MONKEY or KEYBOARD_LAYOUT from firing.
    std::vector<std::string> words;
    std::string word;
    for (char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        } else if (!word.empty()) {
            words.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty())
        words.push_back(std::move(word));
    bool secret = false;
    for (const auto& w : words) {
        if (harmless_words.count(w))
            return false;
        if (secret_words.count(w))
            secret = true;
    }
    return secret;
}

// The names an ENV or ARG instruction declares, without expanding values.
std::vector<std::string> declared_names(const Instruction& instruction)
{
    std::vector<std::string> names;
    if (instruction.args.empty())
        return names;
    if (instruction.keyword == "ENV" && instruction.args[0].find('=') == std::string::npos) {
        names.push_back(instruction.args[0]);
        return names;
    }
    for (const auto& word : instruction.args)
        names.push_back(word.substr(0, word.find('=')));
    return names;
}

LintFinding make(LintSeverity severity, const char* rule, std::string message, std::string reason, const char* lesson,
    const SourceLocation& location)
{
    return LintFinding { severity, rule, std::move(message), std::move(reason), lesson, location };
}

} // namespace

std::string LintFinding::format() const
{
    return location.str() + ": " + (severity == LintSeverity::Error ? "error" : "warning") + " [" + rule + "]: "
        + message + "\n  " + reason + "\n  See " + lesson + "\n";
}

Result<CheckDirective> parse_check_directive(std::string_view dockerfile_text, const std::string& file)
{
    CheckDirective check;
    int line_number = 0;
    for (std::string_view rest = dockerfile_text; !rest.empty();) {
        auto end = rest.find('\n');
        auto line = strings::trim(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view {} : rest.substr(end + 1);
        ++line_number;
        // A directive is "# key=value"; anything else (an instruction, a blank line, a plain
        // comment) ends them, as in Docker's parser.
        if (line.empty() || line[0] != '#')
            break;
        auto body = strings::trim(line.substr(1));
        auto eq = body.find('=');
        if (eq == std::string::npos || body.substr(0, eq).find(' ') != std::string::npos)
            break;
        if (strings::to_lower(std::string(strings::trim(body.substr(0, eq)))) != "check")
            continue;
        auto value = std::string(strings::trim(body.substr(eq + 1)));
        for (const auto& part : strings::split(value, ';')) {
            auto item = std::string(strings::trim(part));
            auto item_eq = item.find('=');
            auto key = strings::to_lower(item.substr(0, item_eq));
            auto val = item_eq == std::string::npos ? std::string() : item.substr(item_eq + 1);
            if (key == "error") {
                auto lower = strings::to_lower(val);
                if (lower != "true" && lower != "false")
                    return Error::invalid(file + ":" + std::to_string(line_number)
                        + ": check directive: error= must be true or false, not \"" + val.substr(0, 40) + "\"");
                check.error = lower == "true";
            } else if (key == "skip") {
                for (const auto& name : strings::split(val, ',')) {
                    auto rule = strings::to_lower(std::string(strings::trim(name)));
                    if (rule == "all")
                        check.skip_all = true;
                    else if (!rule.empty())
                        check.skip.insert(rule);
                }
            }
        }
    }
    return check;
}

bool has_lint_errors(const std::vector<LintFinding>& findings)
{
    return std::any_of(findings.begin(), findings.end(),
        [](const LintFinding& finding) { return finding.severity == LintSeverity::Error; });
}

std::vector<LintFinding> lint_dockerfile(const Dockerfile& dockerfile, const LintOptions& options)
{
    std::vector<LintFinding> findings;
    std::map<std::string, std::string> meta_args;
    std::set<std::string> stage_names;
    bool before_first_from = true;

    for (const auto& instruction : dockerfile.instructions) {
        const auto& kw = instruction.keyword;
        const auto& loc = instruction.location;

        if (kw == "ARG" && before_first_from) {
            for (const auto& word : instruction.args) {
                auto eq = word.find('=');
                std::string name = word.substr(0, eq);
                if (auto it = options.build_args.find(name); it != options.build_args.end())
                    meta_args[name] = it->second;
                else if (eq != std::string::npos)
                    meta_args[name] = word.substr(eq + 1);
            }
        }

        if (kw == "FROM") {
            before_first_from = false;
            VariableLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
                if (auto it = meta_args.find(name); it != meta_args.end())
                    return it->second;
                return std::nullopt;
            };
            auto expanded = expand_word(instruction.args[0], lookup, dockerfile.escape, loc);
            std::string image = expanded.ok() ? expanded.value() : instruction.args[0];
            if (!options.allow_latest && image != "scratch" && !stage_names.count(strings::to_lower(image))
                && image.find('@') == std::string::npos) {
                // The tag is what follows the last ':' after the last '/' (a registry port is not a tag).
                auto slash = image.rfind('/');
                auto colon = image.rfind(':');
                bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
                std::string tag = tagged ? image.substr(colon + 1) : "";
                if (!tagged || tag == "latest") {
                    findings.push_back(make(LintSeverity::Warning, "latest-tag",
                        "FROM " + strings::shorten(image, k_max_echoed_bytes) + (tagged ? " uses the 'latest' tag" : " has no tag, so it means :latest"),
                        "'latest' is a moving label, not a version: the same Dockerfile builds a different image "
                        "whenever the base is re-tagged, so builds stop being reproducible. Pin a version such as "
                        "busybox:1.36.",
                        k_lesson_tags, loc));
                }
            }
            // A stage named here is a valid FROM operand for the stages after it.
            if (instruction.args.size() == 3)
                stage_names.insert(strings::to_lower(instruction.args[2]));
        }

        if (kw == "CMD" || kw == "ENTRYPOINT") {
            if (is_keep_alive(command_text(instruction))) {
                findings.push_back(make(LintSeverity::Warning, "keep-alive",
                    kw + " " + strings::shorten(instruction.rest, k_max_echoed_bytes) + " only keeps the container alive",
                    "PID 1 should be the real service: a keep-alive loop does no work, ignores SIGTERM so "
                    "'stop' waits 10 seconds and then kills, and hides a dead service behind a container that "
                    "still looks up.",
                    k_lesson_pid1, loc));
            }
            if (!instruction.json_form) {
                findings.push_back(make(LintSeverity::Warning, "shell-form",
                    kw + " " + strings::shorten(instruction.rest, k_max_echoed_bytes) + " uses the shell form",
                    "The shell form runs /bin/sh -c as PID 1, and the shell does not forward SIGTERM to your "
                    "program, so it never gets a chance to shut down gracefully. Use the JSON form: " + kw
                        + " [\"program\", \"arg\"].",
                    k_lesson_pid1, loc));
            }
        }

        if (kw == "ENV" || kw == "ARG") {
            for (const auto& name : declared_names(instruction)) {
                if (!looks_like_secret(name))
                    continue;
                findings.push_back(make(LintSeverity::Warning, "secret-in-env",
                    kw + " " + strings::shorten(name, k_max_echoed_bytes) + " looks like a secret",
                    "Values of ENV and ARG are recorded in the image config and its history, so anyone who can "
                    "pull the image can read them with 'docker history' or 'inspect'. Pass secrets at run time "
                    "(an environment variable or a mounted file) instead.",
                    k_lesson_secrets, loc));
            }
        }
    }

    // The directive and strictness decide what is reported and whether it stops the build.
    const auto& check = options.check;
    std::erase_if(findings, [&](const LintFinding& finding) { return check.skip_all || check.skip.count(finding.rule); });
    if (check.error || options.strict) {
        for (auto& finding : findings)
            finding.severity = LintSeverity::Error;
    }
    return findings;
}

} // namespace engine::build
