// lesson.yaml -> Lesson. yaml-cpp gives each node its mark (line and column), so every error
// names the place at fault; a check's own parse error is moved to its column inside the YAML
// line (past the opening quote of a quoted scalar). yaml-cpp throws; this file catches at the
// parse call and returns Error values: the engine uses Result<T>, never exceptions.
#include "engine/lesson/loader.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::lesson {

namespace {

constexpr double k_max_wait_seconds = 30;

class Loader {
public:
    Loader(std::string_view text, std::string file)
        : m_lines(strings::split(text, '\n'))
        , m_file(std::move(file))
    {
    }

    Error error_at(const YAML::Mark& mark, const std::string& message) const
    {
        return Error::invalid(m_file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1)
            + ": " + message);
    }

    Error error_at(const YAML::Node& node, const std::string& message) const { return error_at(node.Mark(), message); }

    // Where character `offset` of a scalar's text is in the file: one past an opening quote,
    // on the next line for a block scalar ('|' or '>').
    YAML::Mark mark_inside(const YAML::Node& node, size_t offset) const
    {
        YAML::Mark mark = node.Mark();
        if (mark.line < 0 || static_cast<size_t>(mark.line) >= m_lines.size())
            return mark;
        const std::string& line = m_lines[mark.line];
        char first = static_cast<size_t>(mark.column) < line.size() ? line[mark.column] : ' ';
        if (first == '"' || first == '\'') {
            mark.column += 1;
        } else if ((first == '|' || first == '>') && static_cast<size_t>(mark.line + 1) < m_lines.size()) {
            mark.line += 1;
            const std::string& next = m_lines[mark.line];
            mark.column = static_cast<int>(next.find_first_not_of(' ') == std::string::npos ? 0 : next.find_first_not_of(' '));
        }
        mark.column += static_cast<int>(offset);
        return mark;
    }

    Result<void> check_keys(const YAML::Node& map, const std::string& what, const std::set<std::string>& allowed,
        const std::vector<std::string>& required) const
    {
        if (!map.IsMap())
            return error_at(map, what + " must be a mapping of keys to values");
        for (auto entry : map) {
            std::string key = entry.first.as<std::string>();
            if (!allowed.count(key)) {
                std::string names;
                for (auto& name : allowed)
                    names += (names.empty() ? "" : ", ") + name;
                return error_at(entry.first, "unknown key '" + key + "' in " + what + " (keys: " + names + ")");
            }
        }
        for (auto& key : required) {
            if (!map[key])
                return error_at(map, what + " has no '" + key + "'");
        }
        return Ok {};
    }

    Result<std::string> string(const YAML::Node& node, const std::string& what) const
    {
        if (!node.IsScalar())
            return error_at(node, what + " must be a string");
        return node.as<std::string>();
    }

    Result<std::vector<std::string>> strings(const YAML::Node& node, const std::string& what) const
    {
        std::vector<std::string> out;
        if (node.IsNull())
            return out;
        if (!node.IsSequence())
            return error_at(node, what + " must be a list");
        for (auto item : node)
            out.push_back(TRY(string(item, "each entry of " + what)));
        return out;
    }

    Result<std::vector<Command>> commands(const YAML::Node& node, const std::string& what) const
    {
        std::vector<Command> out;
        if (!node || node.IsNull())
            return out;
        if (!node.IsSequence())
            return error_at(node, what + " must be a list of commands");
        for (auto item : node) {
            if (item.IsMap()) {
                TRY(check_keys(item, "a command of " + what, { "run", "fails" }, { "run" }));
                Command command { TRY(string(item["run"], "run")), false };
                if (item["fails"]) {
                    bool fails = false;
                    if (!YAML::convert<bool>::decode(item["fails"], fails))
                        return error_at(item["fails"], "fails must be true or false");
                    command.fails = fails;
                }
                out.push_back(std::move(command));
            } else {
                out.push_back({ TRY(string(item, "each command of " + what)), false });
            }
        }
        return out;
    }

    Result<Expression> expression(const YAML::Node& node, const std::string& text) const
    {
        auto parsed = parse_check(text);
        if (auto* failure = std::get_if<ParseError>(&parsed))
            return error_at(mark_inside(node, failure->offset), failure->message);
        return std::get<Expression>(std::move(parsed));
    }

    Result<Step> step(const YAML::Node& node, std::set<std::string>& ids) const
    {
        TRY(check_keys(node, "a step", { "id", "title", "explain", "commands", "checks", "focus", "question", "solution", "wait", "cleanup" },
            { "id", "title", "explain", "checks" }));
        Step step;
        step.id = TRY(string(node["id"], "id"));
        bool id_ok = !step.id.empty() && std::all_of(step.id.begin(), step.id.end(), [](char c) {
            return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
        });
        if (!id_ok)
            return error_at(node["id"], "step id '" + step.id + "' must be made of a-z, 0-9 and '-'");
        if (!ids.insert(step.id).second)
            return error_at(node["id"], "step id '" + step.id + "' is used twice");
        std::string what = "step " + step.id;
        step.title = TRY(string(node["title"], "title"));
        step.explain = TRY(string(node["explain"], "explain"));
        step.commands = TRY(commands(node["commands"], "commands"));
        step.cleanup = TRY(commands(node["cleanup"], "cleanup"));
        if (node["solution"])
            step.solution = TRY(commands(node["solution"], "solution"));
        else
            step.solution = step.commands;
        YAML::Node checks = node["checks"];
        if (!checks.IsSequence() || checks.size() == 0)
            return error_at(checks, what + ": checks must be a list of at least one {that, hint}");
        for (auto item : checks) {
            TRY(check_keys(item, "a check of " + what, { "that", "hint" }, { "that", "hint" }));
            Check check;
            check.that = TRY(string(item["that"], "that"));
            check.hint = TRY(string(item["hint"], "hint"));
            check.expression = TRY(expression(item["that"], check.that));
            step.checks.push_back(std::move(check));
        }
        if (node["focus"]) {
            YAML::Node focus = node["focus"];
            if (!focus.IsSequence())
                return error_at(focus, "focus must be a list of selectors such as container(web)");
            for (auto item : focus) {
                std::string selector = TRY(string(item, "each focus entry"));
                Expression parsed = TRY(expression(item, selector));
                if (parsed.root->kind != NodeKind::Selector)
                    return error_at(item, "a focus entry is one selector such as container(web), not '" + selector + "'");
                step.focus.push_back(selector);
            }
        }
        if (node["question"]) {
            YAML::Node question = node["question"];
            TRY(check_keys(question, "question", { "ask", "answer" }, { "ask", "answer" }));
            step.question = Question { TRY(string(question["ask"], "ask")), TRY(string(question["answer"], "answer")) };
        }
        if (node["wait"]) {
            double wait = 0;
            if (!YAML::convert<double>::decode(node["wait"], wait) || wait < 0 || wait > k_max_wait_seconds)
                return error_at(node["wait"], "wait must be a number of seconds from 0 to 30");
            step.wait = wait;
        }
        return step;
    }

    Result<Lesson> lesson(const YAML::Node& root) const
    {
        if (!root || root.IsNull())
            return Error::invalid(m_file + ":1:1: the file is empty");
        TRY(check_keys(root, "the lesson", { "title", "summary", "minutes", "requires", "steps", "cleanup" },
            { "title", "summary", "steps" }));
        Lesson lesson;
        lesson.title = TRY(string(root["title"], "title"));
        lesson.summary = TRY(string(root["summary"], "summary"));
        if (root["minutes"] && !YAML::convert<int>::decode(root["minutes"], lesson.minutes))
            return error_at(root["minutes"], "minutes must be a whole number");
        if (YAML::Node requires_node = root["requires"]) {
            TRY(check_keys(requires_node, "requires", { "root", "features" }, {}));
            if (requires_node["root"] && !YAML::convert<bool>::decode(requires_node["root"], lesson.requires_root))
                return error_at(requires_node["root"], "root must be true or false");
            if (requires_node["features"])
                lesson.features = TRY(strings(requires_node["features"], "features"));
        }
        lesson.cleanup = TRY(commands(root["cleanup"], "cleanup"));
        YAML::Node steps = root["steps"];
        if (!steps.IsSequence() || steps.size() == 0)
            return error_at(steps, "steps must be a list of at least one step");
        std::set<std::string> ids;
        for (auto item : steps)
            lesson.steps.push_back(TRY(step(item, ids)));
        return lesson;
    }

private:
    std::vector<std::string> m_lines;
    std::string m_file;
};

// Whether line `number` (0-based) of `text` is a `key: value` entry whose value, not quoted, has
// a ': ' of its own (`- that: link(in: container(web)).up == true`).
bool unquoted_colon_in_value(std::string_view text, int number)
{
    size_t start = 0;
    for (int line = 0; line < number && start != std::string_view::npos; ++line) {
        start = text.find('\n', start);
        if (start != std::string_view::npos)
            ++start;
    }
    if (number < 0 || start == std::string_view::npos)
        return false;
    std::string_view line = text.substr(start, text.find('\n', start) - start);
    auto key_end = line.find(": ");
    if (key_end == std::string_view::npos)
        return false;
    auto value = line.substr(key_end + 2);
    value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
    if (value.empty() || std::string_view("'\"[{|>").find(value[0]) != std::string_view::npos)
        return false;
    return value.find(": ") != std::string_view::npos;
}

} // namespace

Result<Lesson> parse_lesson(std::string_view yaml_text, const std::string& file, const std::string& id,
    const std::string& directory)
{
    Loader loader(yaml_text, file);
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& error) {
        // The usual cause: a check with `key: value` arguments left unquoted, which YAML reads
        // as a second mapping key on the line. Told by the line itself, not yaml-cpp's wording.
        std::string advice;
        if (unquoted_colon_in_value(yaml_text, error.mark.line))
            advice = " (a check or focus entry containing ': ' must be quoted: that: 'link(in: container(web)).up == true')";
        return loader.error_at(error.mark, "bad YAML: " + error.msg + advice);
    }
    try {
        Lesson lesson = TRY(loader.lesson(root));
        lesson.id = id;
        lesson.directory = directory;
        lesson.file = file;
        return lesson;
    } catch (const YAML::Exception& error) {
        // A conversion yaml-cpp refuses (a map where a string belongs) ends up here.
        return loader.error_at(error.mark, error.msg);
    }
}

Result<Lesson> load_lesson(const std::string& directory)
{
    std::string path = directory + "/lesson.yaml";
    auto text = fs::read_file(path);
    if (!text.ok())
        return text.release_error().with_context("read lesson " + path);
    std::string id = directory.substr(directory.find_last_of('/') + 1);
    return parse_lesson(text.value(), path, id, directory);
}

std::vector<std::string> list_lesson_ids(const std::string& lessons_dir)
{
    std::vector<std::string> ids;
    for (auto& name : fs::list_dir(lessons_dir)) {
        if (fs::is_dir(lessons_dir + "/" + name) && fs::exists(lessons_dir + "/" + name + "/lesson.yaml"))
            ids.push_back(name);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

Result<std::string> resolve_lesson_id(const std::string& lessons_dir, std::string_view name)
{
    auto ids = list_lesson_ids(lessons_dir);
    std::string wanted(name);
    while (!wanted.empty() && wanted.back() == '/')
        wanted.pop_back();
    wanted = wanted.substr(wanted.find_last_of('/') == std::string::npos ? 0 : wanted.find_last_of('/') + 1);
    bool number = !wanted.empty() && wanted.size() < 9 && std::all_of(wanted.begin(), wanted.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    for (auto& id : ids) {
        auto dash = id.find('-');
        std::string prefix = id.substr(0, dash);
        std::string slug = dash == std::string::npos ? "" : id.substr(dash + 1);
        if (id == wanted || slug == wanted)
            return id;
        if (number && !prefix.empty() && prefix.size() < 9 && std::stoi(prefix) == std::stoi(wanted) && std::all_of(prefix.begin(), prefix.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return id;
    }
    return Error::not_found("no lesson '" + wanted + "' in " + lessons_dir + " (lessons: " + strings::join(ids, ", ") + ")");
}

} // namespace engine::lesson
