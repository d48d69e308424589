// Image references as users type them: "busybox", "busybox:1.35.0", "localhost:5000/team/app:v2",
// "docker.io/library/nginx@sha256:<hex>". Parsing follows the grammar of Docker's distribution
// reference package (lowercase path components separated by '/', an optional registry host with
// a port, a tag of at most 128 word characters, a sha256 digest), and normalises the Docker Hub
// prefix away, so "docker.io/library/busybox" and "busybox" name the same repository.
// No kernel interfaces.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/base/result.h"

namespace engine::image {

// A normalised reference: "busybox" -> name "busybox", tag "latest"; "foo/bar@sha256:..."
// -> digest. Accepts the docker.io/library/ prefix and strips it.
struct Reference {
    std::string name;
    std::string tag;    // "" when a digest is given.
    std::string digest; // "sha256:<hex>" or "".
    [[nodiscard]] std::string str() const; // "name:tag" or "name@digest"
    bool operator==(const Reference&) const = default;
};

// Fails with InvalidArgument naming the bad part ("invalid reference format: repository name
// must be lowercase").
Result<Reference> parse_reference(std::string_view text);

// The ?repo=&tag= pair of the API's tag, commit, import and pull requests: the repository alone
// (tag "latest"), or with the tag; a tag of "sha256:..." is a digest, as a pull by digest sends
// it. The one place that pair is joined: the store refuses to tag with a digest reference.
Result<Reference> parse_repo_tag(std::string_view repo, std::string_view tag);
// Its inverse for the faces: "REPOSITORY[:TAG]" as a command line or RepoTags entry writes it,
// split at a ':' after the last '/' (one before it is a registry port); the tag is "" when none
// is written. Nothing is checked: the daemon parses the pair.
std::pair<std::string, std::string> split_repo_tag(std::string_view text);

// An image as a user names it for a container (Config.Image): a reference, an image id
// ("sha256:<64 hex>"), or a prefix of an id's hex with or without "sha256:". "abc" is both a
// reference and an id prefix; the store tries the name first, as Docker does. Parsed once where
// the text comes in; the text is kept because Docker shows it as typed (Config.Image "busybox",
// not "busybox:latest").
struct ImageName {
    std::string text;                   // As typed.
    std::optional<Reference> reference; // Set when the text is a valid reference.
    std::string id_prefix;              // The hex an image id starts with; "" when the text is no id.

    // InvalidArgument "invalid reference format: ..." (parse_reference's words) when the text is
    // neither a reference nor an id.
    static Result<ImageName> parse(std::string_view text);
    bool operator==(const ImageName&) const = default;
};

// True for exactly 64 lowercase hex characters (a sha256 digest without its "sha256:").
bool is_sha256_hex(std::string_view text);
// True for "sha256:" followed by 64 lowercase hex characters.
bool is_sha256_digest(std::string_view text);
// True for 1..64 lowercase hex characters (a possibly shortened image id).
bool is_hex_prefix(std::string_view text);

} // namespace engine::image
