// Image references as users type them: "busybox", "busybox:1.35.0", "localhost:5000/team/app:v2",
// "docker.io/library/nginx@sha256:<hex>". Parsing follows the grammar of Docker's distribution
// reference package (lowercase path components separated by '/', an optional registry host with
// a port, a tag of at most 128 word characters, a sha256 digest), and normalises the Docker Hub
// prefix away, so "docker.io/library/busybox" and "busybox" name the same repository.
// No kernel interfaces.
#pragma once

#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace engine::image {

// A normalised reference: "busybox" -> name "busybox", tag "latest"; "foo/bar@sha256:..."
// -> digest. Accepts the docker.io/library/ prefix and strips it.
struct Reference {
    std::string name;
    std::string tag;    // "" when a digest is given.
    std::string digest; // "sha256:<hex>" or "".
    [[nodiscard]] std::string str() const; // "name:tag" or "name@digest"
};

// Fails with InvalidArgument naming the bad part ("invalid reference format: repository name
// must be lowercase").
Result<Reference> parse_reference(std::string_view text);

// True for exactly 64 lowercase hex characters (a sha256 digest without its "sha256:").
bool is_sha256_hex(std::string_view text);
// True for "sha256:" followed by 64 lowercase hex characters.
bool is_sha256_digest(std::string_view text);
// True for 1..64 lowercase hex characters (a possibly shortened image id).
bool is_hex_prefix(std::string_view text);

} // namespace engine::image
