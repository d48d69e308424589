// String helpers with no knowledge of containers: splitting, trimming, prefix tests,
// random hex ids, human-readable sizes and durations, RFC 3339 times, quoting input in errors.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace engine::strings {

std::vector<std::string> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::string trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
std::string to_lower(std::string_view text);
// 64 random lowercase hex characters (a container or exec id).
std::string random_hex_id(size_t length = 64);
// The value of one hex digit (either case), or -1.
int hex_digit(char c);
// "1.5MB", "12kB" in Docker's decimal units.
std::string human_size(std::uint64_t bytes);
// "Up 5 seconds", "About a minute", as Docker prints durations.
std::string human_duration(std::chrono::seconds duration);
// Nanosecond-precision RFC 3339 UTC time, as Docker writes it: 2024-01-02T03:04:05.123456789Z.
std::string rfc3339_nano(std::chrono::system_clock::time_point when);
// Parses what rfc3339_nano writes (and the second-precision form); returns false if malformed.
bool parse_rfc3339(std::string_view text, std::chrono::system_clock::time_point& out);
// Parses a non-negative decimal integer; false on anything else (sign, garbage, overflow).
bool parse_uint(std::string_view text, std::uint64_t& out);
// `text` for an error message that quotes input: at most `limit` bytes (cut on a UTF-8
// character boundary), with "... (N bytes)" appended when it was cut, so an error about a
// megabyte-long line does not carry the megabyte.
std::string shorten(std::string_view text, std::size_t limit = 200);

} // namespace engine::strings
