// The nesting check every reader of untrusted JSON runs before nlohmann::json::parse: API
// bodies (engine/api parse_client_json), snapshots and recordings (engine/state). nlohmann's
// parser keeps its own stack, but copying, dumping or destroying a value nested 100000 deep
// recurses until the thread's stack overflows (a create body did that to the daemon), so a
// document deeper than the limit is refused before it is parsed. Header-only: a single pass over
// the bytes that knows strings and escapes, no recursion, no allocation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace engine::json_depth {

// Docker's own bodies and glassbox's snapshots need fewer than 10 levels.
inline constexpr std::size_t k_max_depth = 256;

// Checks that arrays and objects in `text` nest at most `max_depth` deep; brackets inside strings
// (escaped quotes included) do not count. Only the nesting is checked: the parser reports every
// other mistake. InvalidArgument, without quoting the input, when the text nests deeper.
inline Result<void> check(std::string_view text, std::size_t max_depth = k_max_depth)
{
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > max_depth)
                return Error::invalid("JSON nested deeper than " + std::to_string(max_depth) + " levels");
            break;
        case ']':
        case '}':
            // An unbalanced closer is the parser's to report.
            if (depth > 0)
                --depth;
            break;
        default:
            break;
        }
    }
    return Ok {};
}

} // namespace engine::json_depth
