// Dockerfile parsing in three passes: parser directives at the top, then physical lines joined
// into logical instructions (continuations, comments), then each instruction split into keyword,
// flags and arguments and checked. Kernel interfaces: none.
#include "engine/build/dockerfile.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/base/strings.h"

namespace engine::build {

namespace {

// [SECTION] Instruction table

struct InstructionRule {
    std::string_view keyword;
    std::vector<std::string_view> flags; // Flags the instruction takes.
    bool json_allowed { false };         // Accepts the JSON-array form.
};

const std::vector<InstructionRule>& instruction_rules()
{
    static const std::vector<InstructionRule> rules = {
        { "FROM", { "platform" }, false },
        { "RUN", { "mount", "network", "security" }, true },
        { "CMD", {}, true },
        { "ENTRYPOINT", {}, true },
        { "ENV", {}, false },
        { "ARG", {}, false },
        { "LABEL", {}, false },
        { "EXPOSE", {}, false },
        { "VOLUME", {}, true },
        { "USER", {}, false },
        { "WORKDIR", {}, false },
        { "COPY", { "from", "chown", "chmod", "link" }, true },
        { "ADD", { "chown", "chmod", "link", "checksum" }, true },
        { "SHELL", {}, true },
        { "STOPSIGNAL", {}, false },
        { "HEALTHCHECK", { "interval", "timeout", "start-period", "start-interval", "retries" }, false },
        { "ONBUILD", {}, false },
        { "MAINTAINER", {}, false },
    };
    return rules;
}

const InstructionRule* find_rule(std::string_view keyword)
{
    for (const auto& rule : instruction_rules()) {
        if (rule.keyword == keyword)
            return &rule;
    }
    return nullptr;
}

Error error_at(const SourceLocation& location, const std::string& message)
{
    return Error::invalid(location.str() + ": " + message);
}

// A word of the Dockerfile inside an error message: at most 200 bytes of it.
std::string shortened(std::string_view word) { return strings::shorten(word); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

size_t skip_spaces(std::string_view text, size_t pos)
{
    while (pos < text.size() && is_space(text[pos]))
        ++pos;
    return pos;
}

// [SECTION] Parser directives

struct Directive {
    std::string name;
    std::string value;
};

// "# escape=`" -> {escape, `}. Returns nullopt for anything that is not a directive line.
std::optional<Directive> parse_directive_line(std::string_view line)
{
    size_t pos = skip_spaces(line, 0);
    if (pos >= line.size() || line[pos] != '#')
        return std::nullopt;
    pos = skip_spaces(line, pos + 1);
    size_t name_start = pos;
    while (pos < line.size() && (std::isalnum(static_cast<unsigned char>(line[pos])) || line[pos] == '_'))
        ++pos;
    if (pos == name_start)
        return std::nullopt;
    std::string name = strings::to_lower(line.substr(name_start, pos - name_start));
    pos = skip_spaces(line, pos);
    if (pos >= line.size() || line[pos] != '=')
        return std::nullopt;
    return Directive { name, strings::trim(line.substr(pos + 1)) };
}

// [SECTION] Logical lines

struct LogicalLine {
    std::string text;
    SourceLocation location; // Of the first non-space character.
};

bool is_comment_or_blank(std::string_view line)
{
    size_t pos = skip_spaces(line, 0);
    return pos >= line.size() || line[pos] == '#';
}

// Removes a trailing escape character (after trailing whitespace); true if there was one.
bool strip_continuation(std::string& line, char escape)
{
    size_t end = line.size();
    while (end > 0 && is_space(line[end - 1]))
        --end;
    if (end == 0 || line[end - 1] != escape)
        return false;
    // An escaped escape ("\\" at the end with the default escape) is not a continuation.
    size_t count = 0;
    while (count < end && line[end - 1 - count] == escape)
        ++count;
    if (count % 2 == 0)
        return false;
    line.resize(end - 1);
    return true;
}

// [SECTION] Words and JSON

std::optional<std::vector<std::string>> parse_json_array(std::string_view text)
{
    if (text.empty() || text.front() != '[')
        return std::nullopt;
    try {
        auto json = nlohmann::json::parse(text);
        if (!json.is_array())
            return std::nullopt;
        std::vector<std::string> out;
        for (const auto& element : json) {
            if (!element.is_string())
                return std::nullopt;
            out.push_back(element.get<std::string>());
        }
        return out;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

bool valid_stage_name(std::string_view name)
{
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0])))
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c))
            || c == '-' || c == '_' || c == '.';
    });
}

Result<Instruction> parse_instruction(const LogicalLine& line, char escape, bool nested);

// Checks the argument count and shape for each instruction.
Result<void> validate(Instruction& instruction, char escape)
{
    const auto& kw = instruction.keyword;
    const auto& loc = instruction.location;
    const auto& args = instruction.args;
    auto need = [&](bool condition, const std::string& message) -> Result<void> {
        if (!condition)
            return error_at(loc, kw + " " + message);
        return Ok {};
    };

    if (kw == "FROM") {
        TRY(need(args.size() == 1 || args.size() == 3, "requires either one or three arguments (FROM <image> [AS <name>])"));
        if (args.size() == 3) {
            TRY(need(strings::to_lower(args[1]) == "as", "expects AS as its second word, got \"" + shortened(args[1]) + "\""));
            TRY(need(valid_stage_name(strings::to_lower(args[2])),
                "stage name \"" + shortened(args[2]) + "\" is invalid: use letters, digits, '-', '_' and '.', starting with a letter"));
        }
    } else if (kw == "RUN" || kw == "CMD" || kw == "ENTRYPOINT") {
        TRY(need(instruction.json_form || !instruction.rest.empty(), "requires at least one argument"));
    } else if (kw == "SHELL") {
        TRY(need(instruction.json_form, "requires the arguments to be in JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]"));
        TRY(need(!args.empty(), "requires at least one argument"));
    } else if (kw == "ENV" || kw == "LABEL") {
        TRY(need(!args.empty(), "requires at least one argument"));
        if (args[0].find('=') == std::string::npos) {
            TRY(need(args.size() >= 2, "must have two arguments (" + kw + " <key> <value>) or use <key>=<value>"));
        } else {
            for (const auto& word : args)
                TRY(need(word.find('=') != std::string::npos && word[0] != '=',
                    "expects <key>=<value> pairs, got \"" + shortened(word) + "\""));
        }
    } else if (kw == "ARG") {
        TRY(need(!args.empty(), "requires at least one argument"));
        for (const auto& word : args)
            TRY(need(!word.empty() && word[0] != '=', "has an empty name in \"" + shortened(word) + "\""));
    } else if (kw == "EXPOSE" || kw == "VOLUME") {
        TRY(need(!args.empty(), "requires at least one argument"));
    } else if (kw == "USER" || kw == "STOPSIGNAL") {
        TRY(need(args.size() == 1, "requires exactly one argument"));
    } else if (kw == "WORKDIR") {
        TRY(need(!instruction.rest.empty(), "requires exactly one argument"));
    } else if (kw == "COPY" || kw == "ADD") {
        TRY(need(args.size() >= 2, "requires at least two arguments: a source and a destination"));
    } else if (kw == "MAINTAINER") {
        TRY(need(!instruction.rest.empty(), "requires exactly one argument"));
    } else if (kw == "HEALTHCHECK") {
        TRY(need(!args.empty(), "requires NONE or CMD <command>"));
        auto first = strings::to_lower(args[0]);
        if (first == "none") {
            TRY(need(args.size() == 1 && instruction.flags.empty(), "NONE takes no other arguments or flags"));
        } else {
            TRY(need(first == "cmd", "expects NONE or CMD, got \"" + shortened(args[0]) + "\""));
            size_t cmd_pos = skip_spaces(instruction.rest, 3);
            LogicalLine nested_line { "CMD " + instruction.rest.substr(cmd_pos), loc };
            auto nested = TRY(parse_instruction(nested_line, escape, true));
            instruction.nested.push_back(std::move(nested));
        }
        for (const auto& flag : instruction.flags) {
            if (flag.value.empty())
                return error_at(flag.location, "HEALTHCHECK flag --" + flag.name + " needs a value");
        }
    } else if (kw == "ONBUILD") {
        TRY(need(!instruction.rest.empty(), "requires an instruction to run later"));
        // The trigger's keyword is checked before it is parsed: "ONBUILD ONBUILD ONBUILD ..."
        // otherwise recursed once per word before being refused.
        std::string trigger = instruction.rest.substr(0, instruction.rest.find_first_of(" \t"));
        std::transform(trigger.begin(), trigger.end(), trigger.begin(),
            [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (trigger == "ONBUILD" || trigger == "FROM" || trigger == "MAINTAINER")
            return error_at(loc, "ONBUILD cannot trigger " + trigger);
        LogicalLine nested_line { instruction.rest, loc };
        auto nested = TRY(parse_instruction(nested_line, escape, true));
        if (nested.keyword == "ONBUILD" || nested.keyword == "FROM" || nested.keyword == "MAINTAINER")
            return error_at(loc, "ONBUILD cannot trigger " + nested.keyword);
        instruction.nested.push_back(std::move(nested));
    }
    return Ok {};
}

Result<Instruction> parse_instruction(const LogicalLine& line, char escape, bool nested)
{
    Instruction instruction;
    instruction.location = line.location;
    std::string_view text = line.text;
    instruction.original = strings::trim(text);

    size_t pos = 0;
    while (pos < text.size() && !is_space(text[pos]))
        ++pos;
    std::string word(text.substr(0, pos));
    instruction.keyword = word;
    std::transform(instruction.keyword.begin(), instruction.keyword.end(), instruction.keyword.begin(),
        [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const InstructionRule* rule = find_rule(instruction.keyword);
    if (rule == nullptr)
        return error_at(line.location, "unknown instruction: " + shortened(word));
    (void)nested;

    // Flags: leading "--name[=value]" words, for the instructions that take them.
    pos = skip_spaces(text, pos);
    while (!rule->flags.empty() && text.substr(pos).starts_with("--")) {
        size_t end = pos;
        while (end < text.size() && !is_space(text[end]))
            ++end;
        std::string token(text.substr(pos + 2, end - pos - 2));
        InstructionFlag flag;
        flag.location = line.location;
        flag.location.column += static_cast<int>(pos);
        auto eq = token.find('=');
        flag.name = strings::to_lower(token.substr(0, eq));
        if (eq != std::string::npos)
            flag.value = token.substr(eq + 1);
        if (std::find(rule->flags.begin(), rule->flags.end(), flag.name) == rule->flags.end())
            return error_at(flag.location, "unknown flag for " + instruction.keyword + ": --" + shortened(flag.name));
        instruction.flags.push_back(std::move(flag));
        pos = skip_spaces(text, end);
    }
    instruction.rest = strings::trim(text.substr(pos));

    if (rule->json_allowed) {
        if (auto json = parse_json_array(instruction.rest)) {
            instruction.args = std::move(*json);
            instruction.json_form = true;
        }
    }
    if (!instruction.json_form)
        instruction.args = split_words(instruction.rest, escape);

    TRY(validate(instruction, escape));
    return instruction;
}

// [SECTION] Variable expansion

struct Expander {
    std::string_view text;
    const VariableLookup& lookup;
    char escape;
    const SourceLocation& location;
    size_t pos { 0 };
    int depth { 0 }; // Nested ${VAR:-...} being expanded.

    Error fail(const std::string& message) const
    {
        return error_at(location, message + " in \"" + shortened(text) + "\"");
    }

    // Expands until `stop` (a closing brace for nested defaults) or the end.
    Result<std::string> run(char stop)
    {
        std::string out;
        while (pos < text.size()) {
            char c = text[pos];
            if (stop != 0 && c == stop)
                return out;
            if (c == escape) {
                if (pos + 1 < text.size()) {
                    out += text[pos + 1];
                    pos += 2;
                } else {
                    out += c;
                    ++pos;
                }
            } else if (c == '\'') {
                auto close = text.find('\'', pos + 1);
                if (close == std::string_view::npos)
                    return fail("unterminated single quote");
                out += text.substr(pos + 1, close - pos - 1);
                pos = close + 1;
            } else if (c == '"') {
                ++pos;
                bool closed = false;
                while (pos < text.size()) {
                    char d = text[pos];
                    if (d == '"') {
                        closed = true;
                        ++pos;
                        break;
                    }
                    if (d == escape && pos + 1 < text.size()
                        && (text[pos + 1] == '"' || text[pos + 1] == '$' || text[pos + 1] == escape)) {
                        out += text[pos + 1];
                        pos += 2;
                    } else if (d == '$') {
                        out += TRY(variable());
                    } else {
                        out += d;
                        ++pos;
                    }
                }
                if (!closed)
                    return fail("unterminated double quote");
            } else if (c == '$') {
                out += TRY(variable());
            } else {
                out += c;
                ++pos;
            }
        }
        if (stop != 0)
            return fail("missing '}'");
        return out;
    }

    // At a '$': $NAME, ${NAME}, ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word}.
    Result<std::string> variable()
    {
        ++pos; // '$'
        auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        if (pos < text.size() && text[pos] != '{') {
            size_t start = pos;
            while (pos < text.size() && name_char(text[pos]))
                ++pos;
            if (pos == start)
                return std::string("$");
            return lookup(std::string(text.substr(start, pos - start))).value_or("");
        }
        if (pos >= text.size())
            return std::string("$");
        ++pos; // '{'
        size_t start = pos;
        while (pos < text.size() && name_char(text[pos]))
            ++pos;
        std::string name(text.substr(start, pos - start));
        if (name.empty())
            return fail("bad substitution: empty variable name");
        if (pos >= text.size())
            return fail("missing '}'");
        auto value = lookup(name);
        if (text[pos] == '}') {
            ++pos;
            return value.value_or("");
        }
        bool colon = false;
        if (text[pos] == ':') {
            colon = true;
            ++pos;
        }
        if (pos >= text.size())
            return fail("missing '}'");
        char op = text[pos];
        if (op != '-' && op != '+')
            return fail(std::string("unsupported modifier '") + (colon ? ":" : "") + op + "' in ${" + name + "}");
        ++pos;
        if (++depth > k_max_substitution_depth)
            return fail("substitutions nested deeper than " + std::to_string(k_max_substitution_depth) + " levels");
        auto word = TRY(run('}'));
        --depth;
        ++pos; // '}'
        bool set = colon ? (value.has_value() && !value->empty()) : value.has_value();
        if (op == '-')
            return set ? *value : word;
        return set ? word : std::string();
    }
};

} // namespace

std::string SourceLocation::str() const
{
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::optional<std::string> Instruction::flag(std::string_view name) const
{
    for (const auto& f : flags) {
        if (f.name == name)
            return f.value;
    }
    return std::nullopt;
}

std::vector<std::string> split_words(std::string_view text, char escape)
{
    std::vector<std::string> words;
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quote == 0 && is_space(c)) {
            if (in_word)
                words.push_back(std::move(current));
            current.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        current += c;
        if (c == escape && quote != '\'' && i + 1 < text.size()) {
            current += text[++i];
        } else if (quote == 0 && (c == '\'' || c == '"')) {
            quote = c;
        } else if (quote != 0 && c == quote) {
            quote = 0;
        }
    }
    if (in_word)
        words.push_back(std::move(current));
    return words;
}

Result<std::string> expand_word(std::string_view word, const VariableLookup& lookup, char escape,
    const SourceLocation& location)
{
    Expander expander { word, lookup, escape, location };
    return expander.run(0);
}

Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(const Instruction& instruction,
    const VariableLookup& lookup, char escape)
{
    std::vector<std::pair<std::string, std::string>> pairs;
    const auto& loc = instruction.location;
    if (instruction.args.empty())
        return error_at(loc, instruction.keyword + " requires at least one argument");
    if (instruction.args[0].find('=') == std::string::npos) {
        // Legacy form: "ENV KEY some value" -> the rest of the line is the value.
        auto key = TRY(expand_word(instruction.args[0], lookup, escape, loc));
        std::string_view rest = instruction.rest;
        size_t pos = skip_spaces(rest, instruction.args[0].size());
        auto value = TRY(expand_word(rest.substr(pos), lookup, escape, loc));
        pairs.emplace_back(std::move(key), std::move(value));
        return pairs;
    }
    for (const auto& word : instruction.args) {
        auto eq = word.find('=');
        if (eq == std::string::npos || eq == 0)
            return error_at(loc, instruction.keyword + " expects <key>=<value> pairs, got \"" + shortened(word) + "\"");
        auto key = TRY(expand_word(word.substr(0, eq), lookup, escape, loc));
        auto value = TRY(expand_word(word.substr(eq + 1), lookup, escape, loc));
        if (key.empty())
            return error_at(loc, instruction.keyword + " has an empty key in \"" + shortened(word) + "\"");
        pairs.emplace_back(std::move(key), std::move(value));
    }
    return pairs;
}

Result<Instruction> parse_line(std::string_view line, const std::string& file)
{
    if (line.find('\n') != std::string_view::npos)
        return error_at({ file, 1, 1 }, "expected one line");
    if (line.size() > k_max_dockerfile_line_bytes)
        return error_at({ file, 1, 1 }, "line is " + std::to_string(line.size()) + " bytes long; the limit is "
                + std::to_string(k_max_dockerfile_line_bytes));
    size_t start = skip_spaces(line, 0);
    if (start >= line.size())
        return error_at({ file, 1, 1 }, "expected an instruction");
    return parse_instruction(LogicalLine { std::string(line.substr(start)), { file, 1, static_cast<int>(start + 1) } }, '\\', false);
}

Result<Dockerfile> parse_dockerfile(std::string_view text, const std::string& file)
{
    Dockerfile dockerfile;
    dockerfile.file = file;

    std::vector<std::string> lines = strings::split(text, '\n');
    for (size_t i = 0; i < lines.size(); ++i) {
        auto& line = lines[i];
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.size() > k_max_dockerfile_line_bytes)
            return error_at({ file, static_cast<int>(i + 1), 1 },
                "line is " + std::to_string(line.size()) + " bytes long; the limit is "
                    + std::to_string(k_max_dockerfile_line_bytes));
    }

    // Parser directives: only in the leading comment lines, each name at most once. The first
    // line that is not a directive (a comment, a blank line, an instruction) ends them.
    size_t index = 0;
    std::map<std::string, bool> seen;
    for (; index < lines.size(); ++index) {
        auto directive = parse_directive_line(lines[index]);
        if (!directive || (directive->name != "escape" && directive->name != "syntax" && directive->name != "check"))
            break;
        SourceLocation loc { file, static_cast<int>(index + 1), 1 };
        if (seen[directive->name])
            return error_at(loc, "only one " + directive->name + " parser directive can be used");
        seen[directive->name] = true;
        if (directive->name == "escape") {
            if (directive->value != "\\" && directive->value != "`")
                return error_at(loc, "invalid escape token '" + shortened(directive->value) + "': it must be ` or \\");
            dockerfile.escape = directive->value[0];
        } else if (directive->name == "syntax") {
            dockerfile.syntax = directive->value;
        }
    }

    // Logical lines: join continuations; comments and blank lines inside a continuation are
    // skipped, as Docker does.
    std::vector<LogicalLine> logical;
    std::optional<LogicalLine> pending;
    for (; index < lines.size(); ++index) {
        std::string line = lines[index];
        if (is_comment_or_blank(line))
            continue;
        bool continues = strip_continuation(line, dockerfile.escape);
        if (!pending) {
            size_t start = skip_spaces(line, 0);
            pending = LogicalLine { line.substr(start), { file, static_cast<int>(index + 1), static_cast<int>(start + 1) } };
        } else {
            pending->text += line;
            if (pending->text.size() > k_max_instruction_bytes)
                return error_at(pending->location,
                    "instruction continues over more than " + std::to_string(k_max_instruction_bytes)
                        + " bytes (up to line " + std::to_string(index + 1) + ")");
        }
        if (!continues) {
            logical.push_back(std::move(*pending));
            pending.reset();
        }
    }
    if (pending)
        logical.push_back(std::move(*pending));

    if (logical.size() > k_max_instructions)
        return error_at(logical[k_max_instructions].location,
            "more than " + std::to_string(k_max_instructions) + " instructions (this Dockerfile has "
                + std::to_string(logical.size()) + ")");
    bool seen_from = false;
    for (const auto& line : logical) {
        auto instruction = TRY(parse_instruction(line, dockerfile.escape, false));
        if (instruction.keyword == "FROM")
            seen_from = true;
        else if (!seen_from && instruction.keyword != "ARG")
            return error_at(instruction.location,
                instruction.keyword + " before the first FROM: only ARG may come before FROM");
        dockerfile.instructions.push_back(std::move(instruction));
    }
    if (dockerfile.instructions.empty())
        return Error::invalid(file + ": the Dockerfile has no instructions");
    if (!seen_from)
        return Error::invalid(file + ": the Dockerfile has no FROM instruction");
    return dockerfile;
}

} // namespace engine::build
