// Reference parsing by hand-written scanners instead of std::regex: the grammar is small and
// each rule can then say which part of the input broke it.
#include "engine/image/reference.h"

#include <cctype>
#include <vector>

#include "engine/base/strings.h"

namespace engine::image {

namespace {

bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_hex_char(char c)
{
    return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

// One path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool is_path_component(std::string_view part)
{
    if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back()))
        return false;
    size_t i = 0;
    while (i < part.size()) {
        if (is_lower_alnum(part[i])) {
            ++i;
            continue;
        }
        // A separator run: ".", "_", "__" or any number of '-'.
        size_t start = i;
        if (part[i] == '-') {
            while (i < part.size() && part[i] == '-')
                ++i;
        } else if (part[i] == '.') {
            ++i;
        } else if (part[i] == '_') {
            ++i;
            if (i < part.size() && part[i] == '_')
                ++i;
        } else {
            return false;
        }
        if (i == start || i >= part.size() || !is_lower_alnum(part[i]))
            return false;
    }
    return true;
}

// A registry host: DNS labels or an IPv6 literal in brackets, with an optional numeric port.
bool is_domain(std::string_view domain)
{
    std::string_view host = domain;
    std::string_view port;
    if (domain.front() == '[') {
        auto close = domain.find(']');
        if (close == std::string_view::npos || close < 2)
            return false;
        host = domain.substr(0, close + 1);
        if (close + 1 < domain.size()) {
            if (domain[close + 1] != ':')
                return false;
            port = domain.substr(close + 2);
            if (port.empty())
                return false;
        }
    } else if (auto colon = domain.rfind(':'); colon != std::string_view::npos) {
        host = domain.substr(0, colon);
        port = domain.substr(colon + 1);
        if (port.empty())
            return false;
    }
    for (char c : port)
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
    if (host.empty())
        return false;
    if (host.front() == '[')
        return true;
    for (auto& label : strings::split(host, '.')) {
        if (label.empty() || !std::isalnum(static_cast<unsigned char>(label.front()))
            || !std::isalnum(static_cast<unsigned char>(label.back())))
            return false;
        for (char c : label)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
                return false;
    }
    return true;
}

bool is_tag(std::string_view tag)
{
    if (tag.empty() || tag.size() > 128)
        return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(tag.front()))
        return false;
    for (char c : tag)
        if (!word(c) && c != '.' && c != '-')
            return false;
    return true;
}

Error bad_reference(std::string_view text, std::string_view why)
{
    return Error::invalid("invalid reference format: " + std::string(why) + " (in \"" + std::string(text) + "\")");
}

} // namespace

bool is_sha256_hex(std::string_view text)
{
    if (text.size() != 64)
        return false;
    for (char c : text)
        if (!is_hex_char(c))
            return false;
    return true;
}

bool is_sha256_digest(std::string_view text)
{
    return strings::starts_with(text, "sha256:") && is_sha256_hex(text.substr(7));
}

bool is_hex_prefix(std::string_view text)
{
    if (text.empty() || text.size() > 64)
        return false;
    for (char c : text)
        if (!is_hex_char(c))
            return false;
    return true;
}

std::string Reference::str() const
{
    if (!digest.empty())
        return name + "@" + digest;
    return name + ":" + tag;
}

Result<Reference> parse_reference(std::string_view text)
{
    if (text.empty())
        return bad_reference(text, "empty reference");
    Reference ref;
    std::string_view rest = text;

    // The digest is everything after '@'.
    auto at = rest.find('@');
    if (at != std::string_view::npos) {
        auto digest = rest.substr(at + 1);
        if (!strings::starts_with(digest, "sha256:"))
            return bad_reference(text, "unsupported digest algorithm in \"" + std::string(digest) + "\" (only sha256)");
        if (!is_sha256_hex(digest.substr(7)))
            return bad_reference(text, "digest \"" + std::string(digest) + "\" must be sha256: and 64 lowercase hex characters");
        ref.digest = std::string(digest);
        rest = rest.substr(0, at);
    }

    // The tag is after the last ':' that comes after the last '/' (a ':' before it is a port).
    auto last_slash = rest.rfind('/');
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
        auto tag = rest.substr(colon + 1);
        if (!is_tag(tag))
            return bad_reference(text, "tag \"" + std::string(tag) + "\" must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'");
        ref.tag = std::string(tag);
        rest = rest.substr(0, colon);
    }
    if (rest.empty())
        return bad_reference(text, "missing repository name");

    // A first component with '.', ':' or exactly "localhost" is a registry host.
    std::string domain;
    auto first_slash = rest.find('/');
    if (first_slash != std::string_view::npos) {
        auto first = rest.substr(0, first_slash);
        if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos || first == "localhost"
            || first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
            if (!is_domain(first))
                return bad_reference(text, "registry host \"" + std::string(first) + "\" is not a valid host[:port]");
            domain = std::string(first);
            rest = rest.substr(first_slash + 1);
        }
    }
    std::string path(rest);
    if (path.size() > 255)
        return bad_reference(text, "repository name must not be longer than 255 characters");
    for (auto& component : strings::split(path, '/')) {
        if (component != strings::to_lower(component))
            return bad_reference(text, "repository name must be lowercase");
        if (!is_path_component(component))
            return bad_reference(text, "repository name component \"" + component + "\" must be lowercase letters, digits and single separators (. _ __ -)");
    }

    // Docker Hub names are shown without their registry and without "library/".
    if (domain == "docker.io" || domain == "index.docker.io")
        domain.clear();
    if (domain.empty() && strings::starts_with(path, "library/") && path.find('/', 8) == std::string::npos)
        path = path.substr(8);
    ref.name = domain.empty() ? path : domain + "/" + path;

    if (!ref.digest.empty())
        ref.tag.clear();
    else if (ref.tag.empty())
        ref.tag = "latest";
    return ref;
}

Result<Reference> parse_repo_tag(std::string_view repo, std::string_view tag)
{
    std::string text(repo);
    if (!tag.empty())
        text += (strings::starts_with(tag, "sha256:") ? "@" : ":") + std::string(tag);
    return parse_reference(text);
}

std::pair<std::string, std::string> split_repo_tag(std::string_view text)
{
    auto slash = text.rfind('/');
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash))
        return { std::string(text), "" };
    return { std::string(text.substr(0, colon)), std::string(text.substr(colon + 1)) };
}

Result<ImageName> ImageName::parse(std::string_view text)
{
    ImageName name;
    name.text = std::string(text);
    auto parsed = parse_reference(text);
    auto hex = strings::starts_with(text, "sha256:") ? text.substr(7) : text;
    if (is_hex_prefix(hex))
        name.id_prefix = std::string(hex);
    if (parsed.ok())
        name.reference = parsed.release_value();
    else if (name.id_prefix.empty())
        return parsed.release_error();
    return name;
}

} // namespace engine::image
