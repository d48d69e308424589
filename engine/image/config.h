// Image config helpers: strict JSON parsing for untrusted documents, and the Dockerfile-style
// `--change` instructions that `import` applies to a config ("CMD ["sh"]", "ENV A=b", ...).
// No kernel interfaces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/image/image_config.h"

namespace engine::image {

// Parses JSON from an image or archive. Fails with InvalidArgument naming `what` on syntax
// errors and on duplicate object keys (two parsers could otherwise read different values from
// the bytes a digest covers; CVE-2014-8179).
Result<nlohmann::json> parse_json_strict(std::string_view bytes, const std::string& what);
// Reads and strictly parses a JSON file; errors name the path.
Result<nlohmann::json> read_json_file(const std::string& path);

// Applies one `--change` instruction to the container defaults (the "config" object of an image
// config). Supported: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL.
Result<void> apply_change(ContainerDefaults& container_config, std::string_view change);

// Seconds since the epoch as Docker writes "created": RFC 3339 UTC with nanoseconds.
std::string created_string(std::int64_t seconds);

} // namespace engine::image
