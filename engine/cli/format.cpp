// Tables, Go-template subset and human renderings for CLI output.
#include "engine/cli/format.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "engine/base/strings.h"

namespace engine::cli {

namespace {

// Counts characters (UTF-8 code points), so "…" takes one column as it does on a terminal.
size_t display_width(std::string_view text)
{
    size_t width = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80)
            ++width;
    return width;
}

std::string unescape_format(std::string_view format)
{
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] == '\\' && i + 1 < format.size() && (format[i + 1] == 't' || format[i + 1] == 'n')) {
            out += format[i + 1] == 't' ? '\t' : '\n';
            ++i;
        } else {
            out += format[i];
        }
    }
    return out;
}

// Splits an action body into words, keeping "quoted strings" together (quotes removed,
// marked by a leading '"').
std::vector<std::string> action_words(std::string_view body)
{
    std::vector<std::string> words;
    size_t i = 0;
    while (i < body.size()) {
        if (body[i] == ' ' || body[i] == '\t') {
            ++i;
            continue;
        }
        if (body[i] == '"' || body[i] == '`') {
            char quote = body[i];
            size_t end = body.find(quote, i + 1);
            if (end == std::string_view::npos)
                end = body.size();
            words.push_back("\"" + std::string(body.substr(i + 1, end - i - 1)));
            i = end + 1;
            continue;
        }
        size_t end = i;
        while (end < body.size() && body[end] != ' ' && body[end] != '\t')
            ++end;
        words.emplace_back(body.substr(i, end - i));
        i = end;
    }
    return words;
}

// Resolves ".A.B" against data; a missing key gives null (printed "<no value>").
Result<Json> resolve(std::string_view word, const Json& data)
{
    if (!word.empty() && word[0] == '"')
        return Json(std::string(word.substr(1)));
    if (word.empty() || word[0] != '.')
        return Error::invalid("template: unsupported argument \"" + std::string(word) + "\" (use .Field)");
    if (word == ".")
        return data;
    const Json* current = &data;
    for (const auto& part : strings::split(word.substr(1), '.')) {
        if (!current->is_object() || !current->contains(part))
            return Json(nullptr);
        current = &(*current)[part];
    }
    return *current;
}

Result<std::string> evaluate(std::string_view body, const Json& data)
{
    auto words = action_words(body);
    if (words.empty())
        return Error::invalid("template: empty action {{}}");
    const std::string& head = words[0];
    if (head[0] == '.' || head[0] == '"') {
        if (words.size() != 1)
            return Error::invalid("template: can't give arguments to a field: {{" + std::string(body) + "}}");
        return go_value(TRY(resolve(head, data)));
    }
    auto argument = [&](size_t index) -> Result<Json> {
        if (index >= words.size())
            return Error::invalid("template: " + head + " needs an argument in {{" + std::string(body) + "}}");
        return resolve(words[index], data);
    };
    if (head == "json") {
        auto value = TRY(argument(1));
        return value.dump();
    }
    if (head == "upper" || head == "lower" || head == "title") {
        auto text = go_value(TRY(argument(1)));
        if (head == "upper")
            std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
        else if (head == "lower")
            text = strings::to_lower(text);
        else if (!text.empty())
            text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
        return text;
    }
    if (head == "println")
        return go_value(TRY(argument(1))) + "\n";
    if (head == "len") {
        auto value = TRY(argument(1));
        if (value.is_string())
            return std::to_string(value.get<std::string>().size());
        return std::to_string(value.is_null() ? 0 : value.size());
    }
    if (head == "index") {
        auto container = TRY(argument(1));
        auto key = TRY(argument(2));
        if (container.is_object() && key.is_string())
            return go_value(container.contains(key.get<std::string>()) ? container[key.get<std::string>()] : Json(nullptr));
        if (container.is_array() && key.is_string()) {
            std::uint64_t position = 0;
            if (strings::parse_uint(key.get<std::string>(), position) && position < container.size())
                return go_value(container[position]);
        }
        return go_value(Json(nullptr));
    }
    if (head == "join") {
        auto list = TRY(argument(1));
        auto separator = TRY(argument(2));
        std::vector<std::string> items;
        if (list.is_array())
            for (const auto& item : list)
                items.push_back(go_value(item));
        return strings::join(items, separator.is_string() ? separator.get<std::string>() : " ");
    }
    return Error::invalid("template: function \"" + head + "\" not defined");
}

} // namespace

std::string align_columns(const std::vector<std::string>& lines)
{
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> widths;
    for (const auto& line : lines) {
        cells.push_back(strings::split(line, '\t'));
        const auto& row = cells.back();
        for (size_t i = 0; i + 1 < row.size(); ++i) {
            if (widths.size() <= i)
                widths.push_back(0);
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    std::string out;
    for (const auto& row : cells) {
        for (size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size()) {
                size_t width = std::max<size_t>(10, widths[i] + 3);
                out.append(width - display_width(row[i]), ' ');
            }
        }
        out += '\n';
    }
    return out;
}

std::string go_value(const Json& value)
{
    switch (value.type()) {
    case Json::value_t::null:
        return "<no value>";
    case Json::value_t::string:
        return value.get<std::string>();
    case Json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_float: {
        double number = value.get<double>();
        if (number == static_cast<double>(static_cast<std::int64_t>(number)) && std::abs(number) < 1e15)
            return std::to_string(static_cast<std::int64_t>(number));
        return value.dump();
    }
    case Json::value_t::array: {
        std::vector<std::string> items;
        for (const auto& item : value)
            items.push_back(item.is_null() ? "<nil>" : go_value(item));
        return "[" + strings::join(items, " ") + "]";
    }
    case Json::value_t::object: {
        // Go prints maps sorted by key; nlohmann's object is already ordered.
        std::vector<std::string> items;
        for (const auto& [key, item] : value.items())
            items.push_back(key + ":" + (item.is_null() ? "<nil>" : go_value(item)));
        return "map[" + strings::join(items, " ") + "]";
    }
    default:
        return value.dump();
    }
}

Result<std::string> render_template(std::string_view format, const Json& data)
{
    std::string text = unescape_format(format);
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        auto open = text.find("{{", pos);
        if (open == std::string::npos) {
            out += text.substr(pos);
            break;
        }
        out += text.substr(pos, open - pos);
        auto close = text.find("}}", open + 2);
        if (close == std::string::npos)
            return Error::invalid("template: unclosed action in \"" + std::string(format) + "\"");
        std::string body = text.substr(open + 2, close - open - 2);
        // {{- and -}} trim the whitespace around an action.
        if (strings::starts_with(body, "-")) {
            body.erase(0, 1);
            while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back())))
                out.pop_back();
        }
        bool trim_after = strings::ends_with(body, "-");
        if (trim_after)
            body.pop_back();
        out += TRY(evaluate(strings::trim(body), data));
        pos = close + 2;
        if (trim_after)
            while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])))
                ++pos;
    }
    return out;
}

Result<std::string> render_rows(std::string_view format, const std::vector<Json>& rows, const Json& headers)
{
    bool table = strings::starts_with(format, "table");
    std::string_view body = format;
    if (table) {
        body.remove_prefix(5);
        while (!body.empty() && body[0] == ' ')
            body.remove_prefix(1);
    }
    std::vector<std::string> lines;
    if (table) {
        auto header = TRY(render_template(body, headers));
        lines.push_back(header);
    }
    for (const auto& row : rows)
        lines.push_back(TRY(render_template(body, row)));
    if (table)
        return align_columns(lines);
    std::string out;
    for (const auto& line : lines)
        out += line + "\n";
    return out;
}

std::string binary_size(double bytes)
{
    static const char* units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    int unit = 0;
    while (bytes >= 1024 && unit < 5) {
        bytes /= 1024;
        ++unit;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g%s", bytes, units[unit]);
    return buffer;
}

std::string short_id(std::string_view id)
{
    if (strings::starts_with(id, "sha256:"))
        id.remove_prefix(7);
    return std::string(id.substr(0, 12));
}

std::string time_ago(std::int64_t unix_seconds)
{
    if (unix_seconds <= 0)
        return "N/A";
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return strings::human_duration(std::chrono::seconds(std::max<std::int64_t>(0, now - unix_seconds))) + " ago";
}

std::string format_ports(const Json& ports)
{
    if (!ports.is_array())
        return "";
    std::vector<std::string> items;
    std::set<std::string> seen;
    for (const auto& port : ports) {
        if (!port.is_object())
            continue;
        std::string type = port.value("Type", "tcp");
        std::string item;
        auto private_port = port.value("PrivatePort", 0);
        if (port.contains("PublicPort") && port["PublicPort"].is_number() && port["PublicPort"].get<int>() != 0) {
            std::string ip = port.value("IP", "");
            std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
            if (ip == "::")
                host = "::";
            item = host + ":" + std::to_string(port["PublicPort"].get<int>()) + "->" + std::to_string(private_port) + "/" + type;
        } else {
            item = std::to_string(private_port) + "/" + type;
        }
        if (seen.insert(item).second)
            items.push_back(item);
    }
    return strings::join(items, ", ");
}

std::string ellipsis(std::string_view text, size_t max_chars)
{
    if (display_width(text) <= max_chars)
        return std::string(text);
    // Cut on a code point boundary, then add the ellipsis.
    std::string out;
    size_t count = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if ((c & 0xC0) != 0x80) {
            if (count == max_chars - 1)
                break;
            ++count;
        }
        out += text[i];
    }
    return out + "…";
}

} // namespace engine::cli
