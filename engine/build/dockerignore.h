// .dockerignore: patterns that keep files of the build context away from COPY and ADD, with
// Docker's rules: one pattern per line, '#' comments, paths relative to the context root
// (a leading '/' is ignored), '*' and '?' within one path element, '**' across elements,
// '!' re-includes, and the last matching line wins. A pattern that matches a directory also
// matches everything below it. Kernel interfaces: none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace engine::build {

class DockerIgnore {
public:
    // Parses the file's text. InvalidArgument names the line of a malformed pattern ("[" unclosed).
    static Result<DockerIgnore> parse(std::string_view text);

    // True if the context path (relative, '/'-separated, no leading "./") is excluded.
    [[nodiscard]] bool excluded(std::string_view path) const;
    // True if some pattern re-includes (with '!') something below `dir`, so an excluded directory
    // must still be walked.
    [[nodiscard]] bool has_exceptions() const { return m_has_exceptions; }
    [[nodiscard]] bool empty() const { return m_patterns.empty(); }

private:
    struct Pattern {
        std::vector<std::string> elements; // Split on '/'.
        bool exception { false };
    };
    std::vector<Pattern> m_patterns;
    bool m_has_exceptions { false };
};

// Cleans a path the way Go's filepath.Clean does, relative form: "./a//b/../c/" -> "a/c";
// "" and "." -> "". A path that climbs above the root keeps no ".." ("../x" -> "x").
std::string clean_relative_path(std::string_view path);

} // namespace engine::build
