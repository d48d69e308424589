// Output formatting shared by the verbs: docker-style tables (Go's tabwriter with minwidth 10,
// padding 3), a small Go-template subset for --format, and the human renderings docker uses
// (short ids, "5 minutes ago", port lists, sizes).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"

namespace engine::cli {

using Json = nlohmann::json;

// Aligns tab-separated cells into columns as Go's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
// does for the docker CLI: each column but the last is as wide as its widest cell plus 3
// spaces, and at least 10.
std::string align_columns(const std::vector<std::string>& lines);

// Renders a Go-template subset over JSON data. Supported actions: {{.}}, {{.A.B}},
// {{json .A}}, {{upper .A}}, {{lower .A}}, {{title .A}}, {{index .A "key"}},
// {{join .A ", "}}, {{len .A}}, {{println .A}}. Text outside actions is copied; "\t" and "\n"
// written as backslash escapes become tab and newline, as in the docker CLI.
Result<std::string> render_template(std::string_view format, const Json& data);
// How Go's text/template prints a value: strings bare, null as "<no value>", maps as
// map[k:v], arrays as [a b].
std::string go_value(const Json& value);

// Renders rows with a docker --format string. "table ..." prints a header row (the field
// names mapped through `headers`) and aligns the columns; other formats print one rendered
// line per row.
Result<std::string> render_rows(std::string_view format, const std::vector<Json>& rows, const Json& headers);

// Docker's units.BytesSize: binary units with up to 4 significant digits ("7.756GiB"), as
// docker info and docker stats' MEM USAGE print them.
std::string binary_size(double bytes);

// "sha256:abc..." -> "abc..." cut to 12 characters.
std::string short_id(std::string_view id);
// "5 minutes ago" from unix seconds, relative to now.
std::string time_ago(std::int64_t unix_seconds);
// Docker's ps PORTS column from a containers/json "Ports" array:
// "0.0.0.0:8080->80/tcp, :::8080->80/tcp, 443/tcp".
std::string format_ports(const Json& ports);
// Docker's "COMMAND" column: the command quoted and cut to 20 characters with "…".
std::string ellipsis(std::string_view text, size_t max_chars);

} // namespace engine::cli
