// .dockerignore matching: each pattern is a list of path elements; '**' matches zero or more
// elements, other elements are fnmatch(3) patterns for one element.
#include "engine/build/dockerignore.h"

#include <fnmatch.h>

#include "engine/base/strings.h"

namespace engine::build {

namespace {

bool match_elements(const std::vector<std::string>& pattern, size_t pi, const std::vector<std::string>& path,
    size_t si)
{
    if (pi == pattern.size())
        return si == path.size();
    if (pattern[pi] == "**") {
        for (size_t skip = si; skip <= path.size(); ++skip) {
            if (match_elements(pattern, pi + 1, path, skip))
                return true;
        }
        return false;
    }
    if (si == path.size())
        return false;
    if (::fnmatch(pattern[pi].c_str(), path[si].c_str(), 0) != 0)
        return false;
    return match_elements(pattern, pi + 1, path, si + 1);
}

std::vector<std::string> elements_of(std::string_view path)
{
    std::string cleaned = clean_relative_path(path);
    if (cleaned.empty())
        return {};
    return strings::split(cleaned, '/');
}

} // namespace

std::string clean_relative_path(std::string_view path)
{
    std::vector<std::string> out;
    for (const auto& element : strings::split(path, '/')) {
        if (element.empty() || element == ".")
            continue;
        if (element == "..") {
            if (!out.empty())
                out.pop_back();
            continue;
        }
        out.push_back(element);
    }
    return strings::join(out, "/");
}

Result<DockerIgnore> DockerIgnore::parse(std::string_view text)
{
    DockerIgnore ignore;
    int line_number = 0;
    for (auto line : strings::split(text, '\n')) {
        ++line_number;
        std::string trimmed = strings::trim(line);
        if (trimmed.empty() || trimmed[0] == '#')
            continue;
        Pattern pattern;
        if (trimmed[0] == '!') {
            pattern.exception = true;
            ignore.m_has_exceptions = true;
            trimmed = strings::trim(trimmed.substr(1));
        }
        // An unclosed '[' never matches in fnmatch; Docker reports it, and so do we.
        auto open = trimmed.find('[');
        if (open != std::string::npos && trimmed.find(']', open) == std::string::npos)
            return Error::invalid(".dockerignore:" + std::to_string(line_number) + ": syntax error in pattern \""
                + trimmed + "\": unclosed '['");
        pattern.elements = elements_of(trimmed);
        if (pattern.elements.empty())
            continue;
        ignore.m_patterns.push_back(std::move(pattern));
    }
    return ignore;
}

bool DockerIgnore::excluded(std::string_view path) const
{
    auto elements = elements_of(path);
    bool result = false;
    for (const auto& pattern : m_patterns) {
        // The pattern matches the path itself or one of its parent directories.
        bool matched = false;
        for (size_t length = elements.size(); length >= 1 && !matched; --length) {
            std::vector<std::string> prefix(elements.begin(), elements.begin() + static_cast<long>(length));
            matched = match_elements(pattern.elements, 0, prefix, 0);
        }
        if (matched)
            result = !pattern.exception;
    }
    return result;
}

} // namespace engine::build
