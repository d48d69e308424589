// Minimal HTTP/1.1 over a Unix stream socket, as the Docker clients speak it: request heads,
// Content-Length and chunked bodies that arrive across several reads, keep-alive, responses with
// Content-Length or chunked streaming (each message flushed as it is written), and the
// "101 UPGRADED" hijack that attach and exec start use to carry raw bytes both ways.
// Reference: the Docker Engine API v1.41 documentation (HTTP transport). Kernel interfaces: recv(2),
// send(2) with MSG_NOSIGNAL (a client that went away must never raise SIGPIPE), shutdown(2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api/body_decoder.h"
#include "engine/base/fd.h"
#include "engine/base/json_depth.h"
#include "engine/base/result.h"

namespace engine::api {

// Limits for what a client may send. A head larger than this is answered with 400, a JSON
// body larger than this with 413.
inline constexpr std::size_t k_max_head_bytes = 1024 * 1024;
// At most this many header lines in one request head (Docker's clients send fewer than 15).
inline constexpr std::size_t k_max_header_fields = 256;
// A request head must arrive whole within this time of its first byte (slow-loris clients
// otherwise hold a thread each, forever); a kept-alive connection may idle this long between
// requests; a body may pause this long between two reads.
inline constexpr int k_head_timeout_ms = 30 * 1000;
inline constexpr int k_idle_timeout_ms = 10 * 60 * 1000;
inline constexpr int k_body_stall_timeout_ms = 2 * 60 * 1000;
inline constexpr std::size_t k_max_json_body_bytes = 10 * 1024 * 1024;
// How deep arrays and objects may nest in JSON a client sends (bodies, filters, build params).
// Docker's own bodies need fewer than 10 levels. Without a limit a body of 100000 '[' parses
// (nlohmann's parser keeps its own stack) but the recursive parts of nlohmann::json (copy,
// dump) then overflow the connection thread's stack and the daemon dies of SIGSEGV.
inline constexpr std::size_t k_max_json_depth = json_depth::k_max_depth;
// How many bytes of a client's value an error message quotes.
inline constexpr std::size_t k_max_quoted_bytes = 200;

// The API version glassbox speaks (Docker Engine API).
inline constexpr std::string_view k_api_version = "1.41";
inline constexpr std::string_view k_min_api_version = "1.24";

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query strings). Malformed
// escapes are kept as they are.
std::string url_decode(std::string_view text, bool plus_is_space);

// "1", "true", "True", "TRUE", "yes" -> true; "0", "false", "False", "no", "" -> false.
// Anything else is nullopt.
std::optional<bool> parse_bool(std::string_view text);

// json_depth::check (engine/base/json_depth.h), the scanner the snapshot and recording readers
// share: arrays and objects in `text` may nest at most `max_depth` deep.
Result<void> check_json_depth(std::string_view text, std::size_t max_depth = k_max_json_depth);

// The one way JSON from a client is parsed: check_json_depth, then nlohmann::json::parse.
// InvalidArgument names `what` ("request body", "filters") and quotes at most
// k_max_quoted_bytes of the input.
Result<nlohmann::json> parse_client_json(std::string_view text, std::string_view what);

// `text` for an error message: strings::shorten, at most `limit` bytes (cut on a UTF-8 character
// boundary), with "... (N bytes)" appended when it was cut.
std::string quote_for_error(std::string_view text, std::size_t limit = k_max_quoted_bytes);
// A JSON value for an error message: its compact text, cut as quote_for_error() does.
std::string quote_json_for_error(const nlohmann::json& value, std::size_t limit = k_max_quoted_bytes);

// Docker's `filters` query parameter: URL-decoded JSON, either {"key":{"value":true}} (current
// clients) or {"key":["value"]} (old clients). InvalidArgument names the malformed part.
Result<std::map<std::string, std::vector<std::string>>> parse_filters(std::string_view json_text);

struct Request {
    std::string method;
    std::string target;      // As sent: "/v1.41/containers/json?all=1".
    std::string path;        // Without the query and the version prefix: "/containers/json".
    std::string api_version; // "1.41" when the path had a "/v1.41" prefix, "" otherwise.
    int http_minor { 1 };    // HTTP/1.0 or HTTP/1.1.
    std::vector<std::pair<std::string, std::string>> query; // Decoded, in order.
    std::map<std::string, std::string> headers;             // Names in lower case.
    std::map<std::string, std::string> params;              // Filled by the router.

    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    // The first value of a query parameter.
    [[nodiscard]] std::optional<std::string> query_value(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> query_values(std::string_view name) const;
    // A boolean query parameter in any of the spellings clients use; InvalidArgument names the
    // parameter when the value is not a boolean.
    [[nodiscard]] Result<bool> query_bool(std::string_view name, bool fallback) const;
    // An integer query parameter (may be negative); nullopt when absent or empty.
    [[nodiscard]] Result<std::optional<std::int64_t>> query_int(std::string_view name) const;
    [[nodiscard]] Result<std::map<std::string, std::vector<std::string>>> filters() const;
    // A route parameter ("{id}"); "" if the route has none of that name.
    [[nodiscard]] std::string param(std::string_view name) const;

    [[nodiscard]] bool has_body() const;
    [[nodiscard]] bool is_chunked() const;
    [[nodiscard]] bool wants_upgrade() const;
    [[nodiscard]] bool keep_alive() const;
};

// Parses a request head (request line and headers, up to and including the blank line) at the
// start of `buffer`. Returns the number of bytes the head used, or 0 when the head is not complete
// yet. InvalidArgument for a malformed head, or one larger than k_max_head_bytes.
Result<std::size_t> parse_request_head(std::string_view buffer, Request& out);

// Splits "/v1.41/containers/json" into the version ("1.41") and the rest ("/containers/json").
// Paths without a prefix come back unchanged with an empty version.
std::pair<std::string, std::string> strip_version_prefix(std::string_view path);

// The 8-byte header of a multiplexed stream frame (stream 1 stdout, 2 stderr) and its payload.
std::string encode_frame(std::uint8_t stream, std::string_view payload);
// The HTTP/1.1 chunk that carries `data` ("<hex size>\r\n<data>\r\n").
std::string encode_chunk(std::string_view data);

// Reason phrase for a status code ("Not Found"); 101 is "UPGRADED", as dockerd says.
std::string_view status_text(int status);

// Sends all of `data`, retrying on EINTR and short writes; false once the peer is gone.
bool send_all(int fd, std::string_view data);
// Sends `head` then `body` as one stream, in as few sendmsg(2) calls as the socket takes,
// without joining them into one buffer first; false once the peer is gone.
bool send_all_parts(int fd, std::string_view head, std::string_view body);

// One request/response exchange on a connection. Handlers read the body through it, and answer
// with exactly one of: respond*, start_stream (then write_chunk... end_stream), or hijack.
class Exchange {
public:
    Exchange(int fd, Request& request, std::string& buffer);

    Request& request() { return m_request; }
    const Request& request() const { return m_request; }

    // [SECTION] Body.
    // Reads the whole body, failing with EMSGSIZE (413) past `limit` bytes.
    Result<std::string> read_body(std::size_t limit = k_max_json_body_bytes);
    // Reads the body as JSON (parse_client_json, so nesting is limited); an empty body is an
    // empty object. InvalidArgument names the parse error.
    Result<nlohmann::json> read_json();
    // Reads up to `capacity` body bytes into `out`; returns 0 at the end of the body. For tar
    // bodies (build, load, import) that must not be held in memory.
    Result<std::size_t> read_body_some(char* out, std::size_t capacity);
    // Streams the body into a new file at `path` (mode 0600).
    Result<std::uint64_t> body_to_file(const std::string& path);
    // Reads and discards what is left of the body, so the next request on the connection parses.
    Result<void> drain_body();

    // [SECTION] Response.
    void respond(int status, std::string_view content_type, std::string_view body);
    void respond_json(int status, const nlohmann::json& body);
    void respond_empty(int status);
    // Sends the head of a chunked 200 response at once (wait, logs, events, pull, build).
    bool start_stream(int status, std::string_view content_type);
    // Sends one chunk and flushes it; false once the client is gone.
    bool write_chunk(std::string_view data);
    // Sends the terminating chunk.
    void end_stream();
    // Sends "101 UPGRADED" (or, without `upgrade`, "200 OK" with a raw stream that ends when the
    // connection closes) and hands the raw socket to the caller; `early` receives bytes the
    // client already sent after the request (stdin that raced ahead). The connection is closed
    // when the handler returns.
    int hijack(std::string& early, bool upgrade = true);

    [[nodiscard]] bool responded() const { return m_responded; }
    [[nodiscard]] bool streaming() const { return m_streaming; }
    [[nodiscard]] bool hijacked() const { return m_hijacked; }
    [[nodiscard]] bool client_gone() const { return m_client_gone; }
    // True when the connection can carry another request after this one.
    [[nodiscard]] bool reusable() const;
    [[nodiscard]] int fd() const { return m_fd; }
    [[nodiscard]] int status() const { return m_status; }

    // Extra headers for the next response head (e.g. Location).
    void add_header(std::string name, std::string value) { m_extra_headers.emplace_back(std::move(name), std::move(value)); }

private:
    std::string response_head(int status, std::string_view content_type, std::optional<std::size_t> length);
    Result<bool> fill_buffer();

    int m_fd;
    Request& m_request;
    std::string& m_buffer; // Bytes read from the socket and not yet used.
    BodyDecoder m_decoder;
    std::string m_pending_body; // Decoded body bytes not yet handed out.
    bool m_responded { false };
    bool m_streaming { false };
    bool m_hijacked { false };
    bool m_client_gone { false };
    bool m_body_error { false };
    bool m_continue_sent { false };
    int m_status { 0 };
    std::vector<std::pair<std::string, std::string>> m_extra_headers;
};

// Waits up to `timeout_ms` for the client to close its end; true when it has gone (EOF, reset or
// error). Bytes the client sends meanwhile are left unread.
bool client_disconnected(int fd, int timeout_ms);

} // namespace engine::api
