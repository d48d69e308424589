// HTTP/1.1 parsing and writing for the API server. Everything here works on byte buffers so it
// can be tested without a socket; the few socket calls use MSG_NOSIGNAL and retry on EINTR.
#include "engine/api/http.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <ctime>

#include "engine/base/fs.h"
#include "engine/base/json_depth.h"
#include "engine/base/strings.h"

namespace engine::api {

// [SECTION] Small parsers.

std::string url_decode(std::string_view text, bool plus_is_space)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            int hi = strings::hex_digit(text[i + 1]);
            int lo = strings::hex_digit(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        if (c == '+' && plus_is_space) {
            out.push_back(' ');
            continue;
        }
        out.push_back(c);
    }
    return out;
}

std::optional<bool> parse_bool(std::string_view text)
{
    auto lower = strings::to_lower(strings::trim(text));
    if (lower == "1" || lower == "true" || lower == "yes" || lower == "on")
        return true;
    if (lower.empty() || lower == "0" || lower == "false" || lower == "no" || lower == "off")
        return false;
    return std::nullopt;
}

// [SECTION] JSON from clients.

Result<void> check_json_depth(std::string_view text, std::size_t max_depth)
{
    return json_depth::check(text, max_depth);
}

std::string quote_for_error(std::string_view text, std::size_t limit)
{
    return strings::shorten(text, limit);
}

std::string quote_json_for_error(const nlohmann::json& value, std::size_t limit)
{
    return quote_for_error(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), limit);
}

Result<nlohmann::json> parse_client_json(std::string_view text, std::string_view what)
{
    auto deep = check_json_depth(text);
    if (!deep.ok())
        return Error::invalid("invalid JSON in " + std::string(what) + ": " + deep.error().message());
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        // nlohmann quotes the last token it read, which may be most of the input.
        return Error::invalid("invalid JSON in " + std::string(what) + ": " + quote_for_error(e.what(), 2 * k_max_quoted_bytes));
    }
}

Result<std::map<std::string, std::vector<std::string>>> parse_filters(std::string_view json_text)
{
    std::map<std::string, std::vector<std::string>> out;
    if (strings::trim(json_text).empty())
        return out;
    auto parsed = TRY(parse_client_json(json_text, "filters"));
    if (parsed.is_null())
        return out;
    if (!parsed.is_object())
        return Error::invalid("invalid filters: expected a JSON object, got " + quote_json_for_error(parsed));
    for (auto& [key, value] : parsed.items()) {
        auto& values = out[key];
        if (value.is_object()) {
            // {"status":{"running":true}}: the accepted values are the keys set to true.
            for (auto& [accepted, flag] : value.items()) {
                if (!flag.is_boolean() || flag.get<bool>())
                    values.push_back(accepted);
            }
        } else if (value.is_array()) {
            // The pre-1.22 form {"status":["running"]}.
            for (auto& item : value) {
                if (!item.is_string())
                    return Error::invalid("invalid filters: value of \"" + quote_for_error(key) + "\" must be strings");
                values.push_back(item.get<std::string>());
            }
        } else if (value.is_string()) {
            values.push_back(value.get<std::string>());
        } else {
            return Error::invalid("invalid filters: value of \"" + quote_for_error(key) + "\" must be an object");
        }
    }
    return out;
}

std::pair<std::string, std::string> strip_version_prefix(std::string_view path)
{
    // "/v1.41/..." or "/v1/...": a 'v', digits, optionally '.' digits, then '/' or the end.
    if (path.size() < 3 || path[0] != '/' || path[1] != 'v')
        return { "", std::string(path) };
    size_t i = 2;
    size_t digits_start = i;
    while (i < path.size() && path[i] >= '0' && path[i] <= '9')
        ++i;
    if (i == digits_start)
        return { "", std::string(path) };
    if (i < path.size() && path[i] == '.') {
        ++i;
        size_t minor_start = i;
        while (i < path.size() && path[i] >= '0' && path[i] <= '9')
            ++i;
        if (i == minor_start)
            return { "", std::string(path) };
    }
    if (i < path.size() && path[i] != '/')
        return { "", std::string(path) };
    std::string rest(path.substr(i));
    if (rest.empty())
        rest = "/";
    return { std::string(path.substr(2, i - 2)), rest };
}

// [SECTION] Request.

std::optional<std::string> Request::header(std::string_view name) const
{
    auto it = headers.find(strings::to_lower(name));
    if (it == headers.end())
        return std::nullopt;
    return it->second;
}

std::optional<std::string> Request::query_value(std::string_view name) const
{
    for (auto& [key, value] : query) {
        if (key == name)
            return value;
    }
    return std::nullopt;
}

std::vector<std::string> Request::query_values(std::string_view name) const
{
    std::vector<std::string> out;
    for (auto& [key, value] : query) {
        if (key == name)
            out.push_back(value);
    }
    return out;
}

Result<bool> Request::query_bool(std::string_view name, bool fallback) const
{
    auto value = query_value(name);
    if (!value)
        return fallback;
    auto parsed = parse_bool(*value);
    if (!parsed)
        return Error::invalid("invalid boolean value for query parameter \"" + std::string(name) + "\": \"" + *value + "\"");
    return *parsed;
}

Result<std::optional<std::int64_t>> Request::query_int(std::string_view name) const
{
    auto value = query_value(name);
    if (!value || strings::trim(*value).empty())
        return std::optional<std::int64_t> {};
    auto text = strings::trim(*value);
    std::int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc() || end != text.data() + text.size())
        return Error::invalid("invalid integer value for query parameter \"" + std::string(name) + "\": \"" + *value + "\"");
    return std::optional<std::int64_t> { parsed };
}

Result<std::map<std::string, std::vector<std::string>>> Request::filters() const
{
    auto value = query_value("filters");
    if (!value)
        return std::map<std::string, std::vector<std::string>> {};
    return parse_filters(*value);
}

std::string Request::param(std::string_view name) const
{
    auto it = params.find(std::string(name));
    return it == params.end() ? std::string() : it->second;
}

bool Request::is_chunked() const
{
    auto te = header("transfer-encoding");
    return te && strings::to_lower(*te).find("chunked") != std::string::npos;
}

bool Request::has_body() const
{
    if (is_chunked())
        return true;
    auto cl = header("content-length");
    return cl && strings::trim(*cl) != "0" && !strings::trim(*cl).empty();
}

bool Request::wants_upgrade() const
{
    auto upgrade = header("upgrade");
    auto connection = header("connection");
    return upgrade && connection && strings::to_lower(*connection).find("upgrade") != std::string::npos;
}

bool Request::keep_alive() const
{
    auto connection = header("connection");
    auto value = connection ? strings::to_lower(*connection) : std::string();
    if (http_minor == 0)
        return value.find("keep-alive") != std::string::npos;
    return value.find("close") == std::string::npos;
}

static void parse_query(std::string_view text, std::vector<std::pair<std::string, std::string>>& out)
{
    for (auto& part : strings::split(text, '&')) {
        if (part.empty())
            continue;
        auto eq = part.find('=');
        if (eq == std::string::npos)
            out.emplace_back(url_decode(part, true), "");
        else
            out.emplace_back(url_decode(std::string_view(part).substr(0, eq), true),
                url_decode(std::string_view(part).substr(eq + 1), true));
    }
}

Result<std::size_t> parse_request_head(std::string_view buffer, Request& out)
{
    // Clients may send stray CRLFs between requests (RFC 9112 section 2.2); skip them.
    size_t start = 0;
    while (start + 1 < buffer.size() && buffer[start] == '\r' && buffer[start + 1] == '\n')
        start += 2;
    auto end = buffer.find("\r\n\r\n", start);
    if (end == std::string_view::npos) {
        if (buffer.size() > k_max_head_bytes)
            return Error::invalid("request header too large (limit " + std::to_string(k_max_head_bytes) + " bytes)");
        return std::size_t { 0 };
    }
    if (end + 4 > k_max_head_bytes)
        return Error::invalid("request header too large (limit " + std::to_string(k_max_head_bytes) + " bytes)");

    auto head = buffer.substr(start, end - start);
    auto line_end = head.find("\r\n");
    auto request_line = head.substr(0, line_end);
    auto sp1 = request_line.find(' ');
    auto sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1)
        return Error::invalid("malformed request line: \"" + std::string(request_line.substr(0, 200)) + "\"");
    Request request;
    request.method = std::string(request_line.substr(0, sp1));
    request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    auto version = request_line.substr(sp2 + 1);
    if (version == "HTTP/1.1")
        request.http_minor = 1;
    else if (version == "HTTP/1.0")
        request.http_minor = 0;
    else
        return Error::invalid("unsupported HTTP version: \"" + std::string(version.substr(0, 20)) + "\"");
    if (request.method.empty() || request.target.empty() || request.target[0] != '/')
        return Error::invalid("malformed request target: \"" + request.target.substr(0, 200) + "\"");

    // Headers: "Name: value" lines; continuation lines (obsolete folding) are refused.
    size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    std::size_t fields = 0;
    while (pos < head.size()) {
        if (++fields > k_max_header_fields)
            return Error::invalid("too many header fields (limit " + std::to_string(k_max_header_fields) + ")");
        auto next = head.find("\r\n", pos);
        auto line = head.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        pos = next == std::string_view::npos ? head.size() : next + 2;
        if (line.empty())
            continue;
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 || line[0] == ' ' || line[0] == '\t')
            return Error::invalid("malformed header line: \"" + std::string(line.substr(0, 200)) + "\"");
        auto name = strings::to_lower(line.substr(0, colon));
        auto value = strings::trim(line.substr(colon + 1));
        auto [it, inserted] = request.headers.emplace(name, value);
        if (!inserted) {
            if (name == "content-length" && it->second != value)
                return Error::invalid("conflicting Content-Length headers");
            if (name != "content-length")
                it->second += ", " + value;
        }
    }
    if (auto cl = request.header("content-length")) {
        std::uint64_t length = 0;
        if (!strings::parse_uint(strings::trim(*cl), length))
            return Error::invalid("invalid Content-Length: \"" + *cl + "\"");
    }

    // Split the target into path and query, then strip the optional /v1.xx prefix.
    auto qmark = request.target.find('?');
    std::string raw_path = request.target.substr(0, qmark);
    if (qmark != std::string::npos)
        parse_query(std::string_view(request.target).substr(qmark + 1), request.query);
    auto [api_version, rest] = strip_version_prefix(raw_path);
    request.api_version = api_version;
    request.path = rest;

    out = std::move(request);
    return end + 4;
}

// [SECTION] Encoding.

std::string encode_frame(std::uint8_t stream, std::string_view payload)
{
    std::string out;
    out.reserve(8 + payload.size());
    auto size = static_cast<std::uint32_t>(payload.size());
    out.push_back(static_cast<char>(stream));
    out.append(3, '\0');
    out.push_back(static_cast<char>((size >> 24) & 0xff));
    out.push_back(static_cast<char>((size >> 16) & 0xff));
    out.push_back(static_cast<char>((size >> 8) & 0xff));
    out.push_back(static_cast<char>(size & 0xff));
    out.append(payload);
    return out;
}

std::string encode_chunk(std::string_view data)
{
    char size[32];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string out(size, static_cast<size_t>(n));
    out.append(data);
    out.append("\r\n");
    return out;
}

std::string_view status_text(int status)
{
    switch (status) {
    case 101: return "UPGRADED";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 408: return "Request Timeout";
    case 413: return "Request Entity Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    default: return "Unknown";
    }
}

bool send_all_parts(int fd, std::string_view head, std::string_view body)
{
    while (!head.empty() || !body.empty()) {
        iovec parts[2] = { { const_cast<char*>(head.data()), head.size() },
            { const_cast<char*>(body.data()), body.size() } };
        msghdr message {};
        message.msg_iov = head.empty() ? parts + 1 : parts;
        message.msg_iovlen = head.empty() ? 1 : 2;
        ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        auto sent = static_cast<size_t>(n);
        auto from_head = std::min(sent, head.size());
        head.remove_prefix(from_head);
        body.remove_prefix(sent - from_head);
    }
    return true;
}

bool send_all(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

bool client_disconnected(int fd, int timeout_ms)
{
    pollfd pfd { .fd = fd, .events = POLLIN | POLLRDHUP, .revents = 0 };
    int n = ::poll(&pfd, 1, timeout_ms);
    if (n <= 0)
        return false;
    if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL))
        return true;
    char byte;
    ssize_t got = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (got == 0)
        return true;
    if (got < 0)
        return errno != EAGAIN && errno != EINTR;
    // The client sent bytes we are not reading; wait out the timeout so we do not spin.
    ::poll(nullptr, 0, timeout_ms);
    return false;
}

// [SECTION] Exchange.

Exchange::Exchange(int fd, Request& request, std::string& buffer)
    : m_fd(fd)
    , m_request(request)
    , m_buffer(buffer)
{
    if (request.is_chunked()) {
        m_decoder = BodyDecoder::chunked();
    } else {
        std::uint64_t length = 0;
        if (auto cl = request.header("content-length"))
            strings::parse_uint(strings::trim(*cl), length);
        m_decoder = BodyDecoder::content_length(length);
    }
}

Result<bool> Exchange::fill_buffer()
{
    char chunk[65536];
    for (;;) {
        // A client that stops sending in the middle of a body must not hold this thread forever.
        pollfd pfd { .fd = m_fd, .events = POLLIN, .revents = 0 };
        int ready = ::poll(&pfd, 1, k_body_stall_timeout_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return Error::invalid("request body stalled: no data for " + std::to_string(k_body_stall_timeout_ms / 1000) + " s");
        ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_errno("read request body", errno);
        if (n == 0)
            return false;
        m_buffer.append(chunk, static_cast<size_t>(n));
        return true;
    }
}

Result<std::size_t> Exchange::read_body_some(char* out, std::size_t capacity)
{
    // A client that sent "Expect: 100-continue" waits for this before sending the body.
    if (!m_continue_sent && !m_decoder.done() && !m_responded) {
        m_continue_sent = true;
        auto expect = m_request.header("expect");
        if (expect && strings::to_lower(*expect).find("100-continue") != std::string::npos)
            send_all(m_fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    while (m_pending_body.empty() && !m_decoder.done()) {
        if (m_buffer.empty()) {
            auto more = fill_buffer();
            if (!more.ok()) {
                m_body_error = true;
                return more.release_error();
            }
            if (!more.value()) {
                m_body_error = true;
                m_client_gone = true;
                return Error::invalid("request body ended early: the client closed the connection");
            }
        }
        auto used = m_decoder.feed(m_buffer, m_pending_body);
        if (!used.ok()) {
            m_body_error = true;
            return used.release_error();
        }
        m_buffer.erase(0, used.value());
    }
    auto take = std::min(capacity, m_pending_body.size());
    m_pending_body.copy(out, take);
    m_pending_body.erase(0, take);
    return take;
}

Result<std::string> Exchange::read_body(std::size_t limit)
{
    std::string body;
    char chunk[65536];
    for (;;) {
        auto n = TRY(read_body_some(chunk, sizeof chunk));
        if (n == 0)
            break;
        if (body.size() + n > limit) {
            m_body_error = true;
            return Error::from_errno("request body too large (limit " + std::to_string(limit) + " bytes)", EMSGSIZE);
        }
        body.append(chunk, n);
    }
    return body;
}

Result<nlohmann::json> Exchange::read_json()
{
    auto body = TRY(read_body());
    if (strings::trim(body).empty())
        return nlohmann::json::object();
    return parse_client_json(body, "request body");
}

Result<std::uint64_t> Exchange::body_to_file(const std::string& path)
{
    UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!file.valid())
        return Error::from_errno("create " + path, errno);
    std::uint64_t total = 0;
    char chunk[65536];
    for (;;) {
        auto n = TRY(read_body_some(chunk, sizeof chunk));
        if (n == 0)
            break;
        TRY(fs::write_all(file.get(), std::string_view(chunk, n), path));
        total += n;
    }
    return total;
}

Result<void> Exchange::drain_body()
{
    char chunk[65536];
    for (;;) {
        auto n = TRY(read_body_some(chunk, sizeof chunk));
        if (n == 0)
            return Ok {};
    }
}

bool Exchange::reusable() const
{
    return !m_hijacked && !m_client_gone && !m_body_error && m_decoder.done() && m_request.keep_alive();
}

static std::string http_date()
{
    char text[64];
    std::time_t now = std::time(nullptr);
    std::tm tm {};
    gmtime_r(&now, &tm);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return text;
}

std::string Exchange::response_head(int status, std::string_view content_type, std::optional<std::size_t> length)
{
    m_status = status;
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(status_text(status)) + "\r\n";
    head += "Api-Version: " + std::string(k_api_version) + "\r\n";
    if (!content_type.empty())
        head += "Content-Type: " + std::string(content_type) + "\r\n";
    head += "Docker-Experimental: false\r\nOstype: linux\r\nServer: glassbox (linux)\r\n";
    head += "Date: " + http_date() + "\r\n";
    for (auto& [name, value] : m_extra_headers)
        head += name + ": " + value + "\r\n";
    m_extra_headers.clear();
    if (length)
        head += "Content-Length: " + std::to_string(*length) + "\r\n";
    if (!m_request.keep_alive() || m_client_gone || m_body_error)
        head += "Connection: close\r\n";
    return head;
}

void Exchange::respond(int status, std::string_view content_type, std::string_view body)
{
    if (m_responded)
        return;
    m_responded = true;
    bool head_only = m_request.method == "HEAD";
    // 204 and 304 never carry a body or a Content-Length (RFC 9110 sections 8.6 and 15.4.5).
    bool no_body = status == 204 || status == 304;
    std::string out = response_head(status, no_body ? std::string_view() : content_type,
        no_body ? std::nullopt : std::optional<std::size_t>(body.size()));
    out += "\r\n";
    bool with_body = !head_only && !no_body;
    // A small body goes out in the head's buffer (one send); a large one (a snapshot is over a
    // megabyte) is sent from where it lies, beside the head, rather than copied after it.
    if (with_body && body.size() < 64 * 1024) {
        out.append(body);
        with_body = false;
    }
    if (!send_all_parts(m_fd, out, with_body ? body : std::string_view()))
        m_client_gone = true;
}

void Exchange::respond_json(int status, const nlohmann::json& body)
{
    respond(status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void Exchange::respond_empty(int status)
{
    respond(status, "", "");
}

bool Exchange::start_stream(int status, std::string_view content_type)
{
    if (m_responded)
        return false;
    m_responded = true;
    m_streaming = true;
    std::string out = response_head(status, content_type, std::nullopt);
    out += "Transfer-Encoding: chunked\r\n\r\n";
    if (!send_all(m_fd, out))
        m_client_gone = true;
    return !m_client_gone;
}

bool Exchange::write_chunk(std::string_view data)
{
    if (m_client_gone || !m_streaming)
        return false;
    if (data.empty())
        return true; // An empty chunk would end the stream.
    if (!send_all(m_fd, encode_chunk(data)))
        m_client_gone = true;
    return !m_client_gone;
}

void Exchange::end_stream()
{
    if (!m_streaming || m_client_gone)
        return;
    if (!send_all(m_fd, "0\r\n\r\n"))
        m_client_gone = true;
    m_streaming = false;
}

int Exchange::hijack(std::string& early, bool upgrade)
{
    m_responded = true;
    m_hijacked = true;
    m_status = upgrade ? 101 : 200;
    std::string out = upgrade ? "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                              : "HTTP/1.1 200 OK\r\nConnection: close\r\n";
    out += "Content-Type: application/vnd.docker.raw-stream\r\nApi-Version: " + std::string(k_api_version) + "\r\n\r\n";
    if (!send_all(m_fd, out))
        m_client_gone = true;
    // Whatever is left of the (normally empty) body, then any bytes that followed it, are the
    // first stdin bytes.
    early = std::move(m_pending_body);
    m_pending_body.clear();
    if (m_decoder.done()) {
        early += m_buffer;
    }
    m_buffer.clear();
    return m_fd;
}

} // namespace engine::api
