// Compose's variable substitution and .env files. The substitution is a small recursive
// scanner: a default or error text after ":-", "-", ":?", "?", ":+" or "+" is itself
// interpolated, and braces nest, so "${A:-${B:-x}}" works as in Compose.
#include "engine/compose/interpolation.h"

#include <algorithm>
#include <cctype>

#include "engine/base/strings.h"

namespace engine::compose {

namespace {

bool name_start(char c)
{
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool name_char(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

Error bad_format(std::string_view text)
{
    return Error::invalid("invalid interpolation format for \"" + std::string(text)
        + "\": you may need to escape a '$' with another '$' ($$)");
}

// Resolves the inside of one "${...}" (without the braces).
Result<std::string> resolve_braced(
    std::string_view inner, std::string_view whole, const Environment& env)
{
    size_t i = 0;
    if (inner.empty() || !name_start(inner[0]))
        return bad_format(whole);
    while (i < inner.size() && name_char(inner[i]))
        ++i;
    std::string name(inner.substr(0, i));
    auto found = env.find(name);
    bool set = found != env.end();
    bool non_empty = set && !found->second.empty();
    if (i == inner.size())
        return set ? found->second : std::string();

    bool colon = inner[i] == ':';
    if (colon)
        ++i;
    if (i >= inner.size())
        return bad_format(whole);
    char op = inner[i++];
    std::string_view rest = inner.substr(i);
    bool present = colon ? non_empty : set;
    switch (op) {
    case '-':
        if (present)
            return found->second;
        return interpolate(rest, env);
    case '?':
        if (present)
            return found->second;
        return Error::invalid(
            "required variable " + name + " is missing a value: " + TRY(interpolate(rest, env)));
    case '+':
        if (present)
            return interpolate(rest, env);
        return std::string();
    default:
        return bad_format(whole);
    }
}

} // namespace

Result<std::string> interpolate(std::string_view text, const Environment& env)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c != '$') {
            out += c;
            continue;
        }
        if (i + 1 >= text.size()) {
            out += '$';
            continue;
        }
        char next = text[i + 1];
        if (next == '$') {
            out += '$';
            ++i;
            continue;
        }
        if (next == '{') {
            // Find the matching brace, counting nested "${".
            int depth = 1;
            size_t j = i + 2;
            for (; j < text.size() && depth > 0; ++j) {
                if (text[j] == '{')
                    ++depth;
                else if (text[j] == '}')
                    --depth;
            }
            if (depth != 0)
                return bad_format(text);
            out += TRY(resolve_braced(text.substr(i + 2, j - 1 - (i + 2)), text, env));
            i = j - 1;
            continue;
        }
        if (name_start(next)) {
            size_t j = i + 1;
            while (j < text.size() && name_char(text[j]))
                ++j;
            auto found = env.find(std::string(text.substr(i + 1, j - i - 1)));
            if (found != env.end())
                out += found->second;
            i = j - 1;
            continue;
        }
        // A lone '$' before something that cannot start a name is kept, as Compose does.
        out += '$';
    }
    return out;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_env_lines(
    std::string_view text, const std::string& file_name)
{
    std::vector<std::pair<std::string, std::string>> out;
    int line_number = 0;
    for (auto& raw : strings::split(text, '\n')) {
        ++line_number;
        auto line = strings::trim(raw);
        if (line.empty() || line[0] == '#')
            continue;
        if (strings::starts_with(line, "export "))
            line = strings::trim(line.substr(7));
        auto eq = line.find('=');
        std::string key = strings::trim(line.substr(0, eq));
        if (key.empty() || !name_start(key[0]) || std::find_if(key.begin(), key.end(), [](char c) {
                return !name_char(c) && c != '.' && c != '-';
            }) != key.end())
            return Error::invalid(file_name + ":" + std::to_string(line_number)
                + ": invalid variable name \"" + key + "\"");
        if (eq == std::string::npos) {
            // A bare KEY in an env file means "unset" to Compose; keep it out.
            continue;
        }
        std::string value = strings::trim(line.substr(eq + 1));
        if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
            char quote = value[0];
            auto close = value.find(quote, 1);
            if (close == std::string::npos)
                return Error::invalid(file_name + ":" + std::to_string(line_number) + ": " + key
                    + ": unterminated quoted value");
            std::string inner = value.substr(1, close - 1);
            if (quote == '"') {
                std::string unescaped;
                for (size_t i = 0; i < inner.size(); ++i) {
                    if (inner[i] == '\\' && i + 1 < inner.size()) {
                        char e = inner[++i];
                        unescaped += e == 'n' ? '\n' : e == 't' ? '\t' : e;
                    } else {
                        unescaped += inner[i];
                    }
                }
                inner = unescaped;
            }
            value = inner;
        } else if (auto hash = value.find(" #"); hash != std::string::npos) {
            // An unquoted value ends at a " #" comment.
            value = strings::trim(value.substr(0, hash));
        }
        out.emplace_back(key, value);
    }
    return out;
}

Result<Environment> parse_env_file(std::string_view text, const std::string& file_name)
{
    Environment env;
    for (auto& [key, value] : TRY(parse_env_lines(text, file_name)))
        env[key] = value;
    return env;
}

} // namespace engine::compose
