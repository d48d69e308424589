// String helpers. Time formatting uses gmtime_r, which is thread-safe.
#include "engine/base/strings.h"

#include <ctime>
#include <random>

namespace engine::strings {

std::vector<std::string> split(std::string_view text, char separator)
{
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        auto pos = text.find(separator, start);
        if (pos == std::string_view::npos) {
            parts.emplace_back(text.substr(start));
            break;
        }
        parts.emplace_back(text.substr(start, pos - start));
        start = pos + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator)
{
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i)
            out += separator;
        out += parts[i];
    }
    return out;
}

std::string trim(std::string_view text)
{
    size_t begin = 0;
    size_t end = text.size();
    while (begin < end && (text[begin] == ' ' || text[begin] == '\t' || text[begin] == '\n' || text[begin] == '\r'))
        ++begin;
    while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' || text[end - 1] == '\r'))
        --end;
    return std::string(text.substr(begin, end - begin));
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string to_lower(std::string_view text)
{
    std::string out(text);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string random_hex_id(size_t length)
{
    thread_local std::mt19937_64 rng { std::random_device {}() };
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(length);
    for (size_t i = 0; i < length; ++i)
        out += digits[rng() % 16];
    return out;
}

std::string human_size(std::uint64_t bytes)
{
    static const char* units[] = { "B", "kB", "MB", "GB", "TB" };
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1000.0 && unit < 4) {
        value /= 1000.0;
        ++unit;
    }
    char buf[32];
    if (unit == 0)
        std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
    else
        std::snprintf(buf, sizeof buf, "%.3g%s", value, units[unit]);
    return buf;
}

std::string human_duration(std::chrono::seconds duration)
{
    auto s = duration.count();
    if (s < 1)
        return "Less than a second";
    if (s == 1)
        return "1 second";
    if (s < 60)
        return std::to_string(s) + " seconds";
    auto m = s / 60;
    if (m == 1)
        return "About a minute";
    if (m < 60)
        return std::to_string(m) + " minutes";
    auto h = m / 60;
    if (h == 1)
        return "About an hour";
    if (h < 48)
        return std::to_string(h) + " hours";
    auto d = h / 24;
    if (d < 14)
        return std::to_string(d) + " days";
    if (d < 60)
        return std::to_string(d / 7) + " weeks";
    if (d < 730)
        return std::to_string(d / 30) + " months";
    return std::to_string(d / 365) + " years";
}

std::string rfc3339_nano(std::chrono::system_clock::time_point when)
{
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    time_t secs = static_cast<time_t>(ns / 1000000000LL);
    long frac = static_cast<long>(ns % 1000000000LL);
    if (frac < 0) {
        frac += 1000000000L;
        secs -= 1;
    }
    struct tm tm { };
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

bool parse_rfc3339(std::string_view text, std::chrono::system_clock::time_point& out)
{
    struct tm tm { };
    int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
    int consumed = 0;
    std::string copy(text);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &mon, &day, &hour, &min, &sec, &consumed) < 6)
        return false;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t secs = timegm(&tm);
    long long nanos = 0;
    size_t pos = static_cast<size_t>(consumed);
    if (pos < copy.size() && copy[pos] == '.') {
        ++pos;
        long long scale = 100000000LL;
        while (pos < copy.size() && copy[pos] >= '0' && copy[pos] <= '9') {
            nanos += (copy[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
    }
    out = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
    return true;
}

bool parse_uint(std::string_view text, std::uint64_t& out)
{
    if (text.empty() || text.size() > 19)
        return false;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = value;
    return true;
}

std::string shorten(std::string_view text, std::size_t limit)
{
    if (text.size() <= limit)
        return std::string(text);
    std::size_t cut = limit;
    // Never end inside a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    return std::string(text.substr(0, cut)) + "... (" + std::to_string(text.size()) + " bytes)";
}

} // namespace engine::strings
