// api::Client transport: HTTP/1.1 over AF_UNIX. Each request gets its own connection (the
// daemon must serve several at once anyway: `run` holds wait and attach open while it sends
// start), so there is no keep-alive pool to get wrong. Responses are read with a small
// buffered reader; their bodies go through the server's BodyDecoder (Content-Length or chunked)
// or run to EOF.
#include "engine/api/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "engine/api/body_decoder.h"
#include "engine/base/strings.h"

namespace engine::api {

namespace {

constexpr size_t k_read_size = 64 * 1024;

Result<void> send_all(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("send to daemon", errno);
        }
        bytes.remove_prefix(static_cast<size_t>(sent));
    }
    return Ok {};
}

std::string status_reason(int status)
{
    switch (status) {
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 500:
        return "Internal Server Error";
    default:
        return "HTTP status " + std::to_string(status);
    }
}

} // namespace

// A buffered reader over one connection: response head, then the body in any of the three
// framings. Also the state a PendingResponse keeps between headers and body.
struct PendingResponse::Reader {
    UniqueFd fd;
    std::string buffer;
    size_t pos { 0 };

    // Reads more bytes into the buffer; false at EOF.
    Result<bool> fill()
    {
        if (pos > 0 && pos == buffer.size()) {
            buffer.clear();
            pos = 0;
        }
        char chunk[k_read_size];
        for (;;) {
            ssize_t got = ::recv(fd.get(), chunk, sizeof chunk, 0);
            if (got < 0) {
                if (errno == EINTR)
                    continue;
                return Error::from_errno("read from daemon", errno);
            }
            if (got == 0)
                return false;
            buffer.append(chunk, static_cast<size_t>(got));
            return true;
        }
    }

    [[nodiscard]] size_t available() const { return buffer.size() - pos; }

    Result<std::string> read_line()
    {
        for (;;) {
            auto end = buffer.find("\r\n", pos);
            if (end != std::string::npos) {
                std::string line = buffer.substr(pos, end - pos);
                pos = end + 2;
                return line;
            }
            if (available() > 64 * 1024)
                return Error::invalid("daemon sent a header line longer than 64 KiB");
            if (!TRY(fill()))
                return Error::system("daemon closed the connection in the middle of a response");
        }
    }

    Result<HttpResponse> read_head()
    {
        HttpResponse response;
        std::string status_line = TRY(read_line());
        // "HTTP/1.1 200 OK"
        auto first_space = status_line.find(' ');
        if (!strings::starts_with(status_line, "HTTP/1.") || first_space == std::string::npos)
            return Error::invalid("daemon sent a malformed status line: " + status_line.substr(0, 80));
        auto code_text = status_line.substr(first_space + 1, 3);
        std::uint64_t code = 0;
        if (!strings::parse_uint(code_text, code))
            return Error::invalid("daemon sent a malformed status line: " + status_line.substr(0, 80));
        response.status = static_cast<int>(code);
        if (status_line.size() > first_space + 5)
            response.reason = status_line.substr(first_space + 5);
        for (;;) {
            std::string line = TRY(read_line());
            if (line.empty())
                break;
            auto colon = line.find(':');
            if (colon == std::string::npos)
                continue;
            response.headers[strings::to_lower(line.substr(0, colon))] = strings::trim(line.substr(colon + 1));
        }
        return response;
    }

    // Feeds buffered-or-read bytes through `decoder` to the sink until the body ends or the
    // sink asks to stop.
    Result<void> decode_body(BodyDecoder decoder, const DataSink& sink)
    {
        std::string decoded;
        while (!decoder.done()) {
            if (available() == 0 && !TRY(fill()))
                return Error::system("daemon closed the connection in the middle of a response body");
            decoded.clear();
            auto used = TRY_CTX(decoder.feed(std::string_view(buffer.data() + pos, available()), decoded),
                "read the daemon's response");
            pos += used;
            if (!decoded.empty() && !sink(decoded))
                return Ok {};
        }
        return Ok {};
    }

    Result<void> read_body(const HttpResponse& head, std::string_view method, const DataSink& sink)
    {
        if (method == "HEAD" || head.status == 204 || head.status == 304 || head.status < 200)
            return Ok {};
        if (strings::to_lower(head.header("transfer-encoding")).find("chunked") != std::string::npos)
            return decode_body(BodyDecoder::chunked(), sink);
        auto length_text = head.header("content-length");
        if (!length_text.empty()) {
            std::uint64_t length = 0;
            if (!strings::parse_uint(length_text, length))
                return Error::invalid("daemon sent a malformed Content-Length: " + length_text);
            return decode_body(BodyDecoder::content_length(length), sink);
        }
        // No framing: the body runs to EOF.
        for (;;) {
            if (available() > 0) {
                std::string_view piece(buffer.data() + pos, available());
                pos = buffer.size();
                if (!sink(piece))
                    return Ok {};
            }
            if (!TRY(fill()))
                return Ok {};
        }
    }
};

using Reader = PendingResponse::Reader;

std::string HttpResponse::header(const std::string& lower_name) const
{
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

Error error_from_response(int status, std::string_view reason, std::string_view body)
{
    std::string message;
    if (!body.empty()) {
        try {
            auto parsed = Json::parse(body);
            if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string())
                message = parsed["message"].get<std::string>();
        } catch (const std::exception&) {
        }
        if (message.empty())
            message = strings::trim(body);
    }
    if (message.empty())
        message = reason.empty() ? status_reason(status) : std::string(reason);
    ErrorKind kind = ErrorKind::System;
    switch (status) {
    case 304:
        kind = ErrorKind::NotModified;
        break;
    case 400:
        kind = ErrorKind::InvalidArgument;
        break;
    case 403:
        kind = ErrorKind::PermissionDenied;
        break;
    case 404:
        kind = ErrorKind::NotFound;
        break;
    case 409:
        kind = ErrorKind::Conflict;
        break;
    default:
        break;
    }
    return Error::make(kind, std::string(k_daemon_error_prefix) + message);
}

Result<Json> parse_json(std::string_view body)
{
    if (body.empty())
        return Json();
    try {
        return Json::parse(body);
    } catch (const std::exception& error) {
        return Error::invalid(std::string("daemon sent invalid JSON: ") + error.what());
    }
}

std::string url_encode(std::string_view text)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string query_string(const std::vector<std::pair<std::string, std::string>>& params)
{
    std::string out;
    for (const auto& [key, value] : params) {
        out += out.empty() ? '?' : '&';
        out += url_encode(key) + "=" + url_encode(value);
    }
    return out;
}

std::string encode_filters(const std::map<std::string, std::vector<std::string>>& filters)
{
    Json encoded = Json::object();
    for (const auto& [key, values] : filters)
        for (const auto& value : values)
            encoded[key][value] = true;
    return encoded.dump();
}

// The one connection connect_ahead() opened and no request has used yet.
struct Client::Spare {
    std::mutex mutex;
    UniqueFd fd;
};

Client::Client(std::string socket_path)
    : m_socket_path(std::move(socket_path))
    , m_spare(std::make_shared<Spare>())
{
}

Result<std::string> Client::socket_path_from_host(std::string_view host)
{
    if (strings::starts_with(host, "unix://")) {
        std::string path(host.substr(7));
        if (path.empty() || path[0] != '/')
            return Error::invalid("host " + std::string(host) + ": the socket path must be absolute (unix:///path)");
        return path;
    }
    if (!host.empty() && host[0] == '/')
        return std::string(host);
    auto scheme_end = host.find("://");
    if (scheme_end != std::string_view::npos)
        return Error::invalid("host " + std::string(host) + ": unsupported scheme "
            + std::string(host.substr(0, scheme_end)) + " (glassbox speaks only unix://PATH)");
    return Error::invalid("host " + std::string(host) + ": expected unix:///path/to/socket");
}

std::string Client::versioned(std::string_view path)
{
    return "/v" + std::string(k_api_version) + std::string(path);
}

Result<UniqueFd> Client::connect() const
{
    UniqueFd spare;
    {
        std::lock_guard lock(m_spare->mutex);
        spare = std::move(m_spare->fd);
    }
    if (spare.valid()) {
        // Unused, the daemon has nothing to say on it: readable or hung up means it closed it
        // (a daemon that stopped, or an idle connection it dropped), so a fresh one is made.
        pollfd pfd { .fd = spare.get(), .events = POLLIN | POLLRDHUP, .revents = 0 };
        if (::poll(&pfd, 1, 0) == 0) {
            if (m_connect_hook)
                m_connect_hook(spare.get());
            return spare;
        }
    }
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (m_socket_path.size() >= sizeof address.sun_path)
        return Error::invalid("socket path " + m_socket_path + " is too long for a Unix socket");
    std::memcpy(address.sun_path, m_socket_path.c_str(), m_socket_path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return Error::from_errno("socket(AF_UNIX)", errno);
    for (;;) {
        if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
            if (m_connect_hook)
                m_connect_hook(fd.get());
            return fd;
        }
        if (errno == EINTR)
            continue;
        return Error::unreachable("connect to " + m_socket_path, errno);
    }
}

Result<void> Client::connect_ahead()
{
    auto fd = TRY(connect());
    std::lock_guard lock(m_spare->mutex);
    m_spare->fd = std::move(fd);
    return Ok {};
}

namespace {

// Writes the request line, headers and body. Bodies from a source go out with
// Content-Length when the length is known, chunked otherwise.
Result<void> send_request(int fd, std::string_view method, std::string_view path, const RequestBody& body,
    const std::map<std::string, std::string>& headers)
{
    std::string head;
    head += std::string(method) + " " + std::string(path) + " HTTP/1.1\r\n";
    head += "Host: api.moby.localhost\r\n";
    head += "User-Agent: glassbox-cli/0.1.0 (linux)\r\n";
    for (const auto& [name, value] : headers)
        head += name + ": " + value + "\r\n";
    if (!body.content_type.empty())
        head += "Content-Type: " + body.content_type + "\r\n";
    bool chunked = false;
    if (body.source) {
        if (body.length)
            head += "Content-Length: " + std::to_string(*body.length) + "\r\n";
        else {
            head += "Transfer-Encoding: chunked\r\n";
            chunked = true;
        }
    } else if (!body.data.empty() || (method != "GET" && method != "HEAD")) {
        head += "Content-Length: " + std::to_string(body.data.size()) + "\r\n";
    }
    head += "\r\n";
    if (!body.source) {
        head += body.data;
        return send_all(fd, head);
    }
    TRY(send_all(fd, head));
    std::string buffer(k_read_size, '\0');
    std::uint64_t sent = 0;
    for (;;) {
        size_t got = TRY(body.source(buffer.data(), buffer.size()));
        if (got == 0)
            break;
        sent += got;
        std::string_view piece(buffer.data(), got);
        if (chunked) {
            char size_line[32];
            std::snprintf(size_line, sizeof size_line, "%zx\r\n", got);
            TRY(send_all(fd, size_line));
            TRY(send_all(fd, piece));
            TRY(send_all(fd, "\r\n"));
        } else {
            TRY(send_all(fd, piece));
        }
    }
    if (chunked)
        TRY(send_all(fd, "0\r\n\r\n"));
    else if (body.length && sent != *body.length)
        return Error::invalid("request body was " + std::to_string(sent) + " bytes, expected "
            + std::to_string(*body.length));
    return Ok {};
}

Result<HttpResponse> collect(Reader& reader, HttpResponse head, std::string_view method)
{
    std::string body;
    TRY(reader.read_body(head, method, [&](std::string_view data) {
        body.append(data);
        return true;
    }));
    head.body = std::move(body);
    return head;
}

} // namespace

Result<HttpResponse> Client::request(std::string_view method, std::string_view path, const RequestBody& body,
    const std::map<std::string, std::string>& headers) const
{
    Reader reader;
    reader.fd = TRY(connect());
    TRY(send_request(reader.fd.get(), method, path, body, headers));
    auto head = TRY(reader.read_head());
    return collect(reader, std::move(head), method);
}

Result<HttpResponse> Client::request_ok(std::string_view method, std::string_view path, const RequestBody& body,
    const std::map<std::string, std::string>& headers) const
{
    auto response = TRY(request(method, path, body, headers));
    if (response.status >= 300)
        return error_from_response(response.status, response.reason, response.body);
    return response;
}

namespace {

RequestBody json_body(const Json& body)
{
    return RequestBody { .content_type = "application/json", .data = body.dump(), .source = {}, .length = {} };
}

} // namespace

Result<Json> Client::get_json(std::string_view path) const
{
    auto response = TRY(request_ok("GET", versioned(path)));
    return parse_json(response.body);
}

Result<Json> Client::post_json(std::string_view path, const Json& body) const
{
    auto response = TRY(request_ok("POST", versioned(path), json_body(body)));
    return parse_json(response.body);
}

Result<void> Client::stream(std::string_view method, std::string_view path, const RequestBody& body,
    const DataSink& sink) const
{
    Reader reader;
    reader.fd = TRY(connect());
    TRY(send_request(reader.fd.get(), method, path, body, {}));
    auto head = TRY(reader.read_head());
    if (head.status >= 300) {
        auto full = TRY(collect(reader, std::move(head), method));
        return error_from_response(full.status, full.reason, full.body);
    }
    return reader.read_body(head, method, sink);
}

Result<void> Client::stream_json_lines(std::string_view method, std::string_view path, const RequestBody& body,
    const std::function<void(const Json&)>& on_message) const
{
    std::string pending;
    std::optional<Error> stream_error;
    auto handle_line = [&](std::string_view line) {
        auto text = strings::trim(line);
        if (text.empty())
            return true;
        Json message;
        try {
            message = Json::parse(text);
        } catch (const std::exception& error) {
            stream_error = Error::invalid(std::string("daemon sent an invalid JSON message: ") + error.what());
            return false;
        }
        if (message.is_object() && (message.contains("error") || message.contains("errorDetail"))) {
            std::string text_error;
            if (message.contains("errorDetail") && message["errorDetail"].is_object()
                && message["errorDetail"].value("message", "") != "")
                text_error = message["errorDetail"].value("message", "");
            else if (message["error"].is_string())
                text_error = message["error"].get<std::string>();
            stream_error = Error::system(text_error.empty() ? message.dump() : text_error);
            return false;
        }
        on_message(message);
        return true;
    };
    TRY(stream(method, path, body, [&](std::string_view data) {
        pending.append(data);
        size_t newline;
        while ((newline = pending.find('\n')) != std::string::npos) {
            std::string line = pending.substr(0, newline);
            pending.erase(0, newline + 1);
            if (!handle_line(line))
                return false;
        }
        return true;
    }));
    if (!stream_error && !pending.empty())
        handle_line(pending);
    if (stream_error)
        return std::move(*stream_error);
    return Ok {};
}

Result<HijackedStream> Client::hijack(std::string_view path, const Json& body) const
{
    Reader reader;
    reader.fd = TRY(connect());
    RequestBody request_body;
    if (!body.is_null())
        request_body = json_body(body);
    else
        request_body.content_type = "text/plain";
    TRY(send_request(reader.fd.get(), "POST", versioned(path), request_body,
        { { "Connection", "Upgrade" }, { "Upgrade", "tcp" } }));
    auto head = TRY(reader.read_head());
    if (head.status != 101) {
        if (head.status >= 300) {
            auto full = TRY(collect(reader, std::move(head), "POST"));
            return error_from_response(full.status, full.reason, full.body);
        }
        return Error::system("unable to upgrade to tcp, received " + std::to_string(head.status));
    }
    return HijackedStream(std::move(reader.fd), reader.buffer.substr(reader.pos));
}

Result<PendingResponse> Client::begin(std::string_view method, std::string_view path) const
{
    Reader reader;
    reader.fd = TRY(connect());
    TRY(send_request(reader.fd.get(), method, versioned(path), {}, {}));
    auto head = TRY(reader.read_head());
    if (head.status >= 300) {
        auto full = TRY(collect(reader, std::move(head), method));
        return error_from_response(full.status, full.reason, full.body);
    }
    return PendingResponse(std::move(reader.fd), reader.buffer.substr(reader.pos), std::move(head));
}

PendingResponse::PendingResponse(UniqueFd fd, std::string already_read, HttpResponse head)
    : m_reader(std::make_unique<Reader>())
    , m_head(std::move(head))
{
    m_reader->fd = std::move(fd);
    m_reader->buffer = std::move(already_read);
}

PendingResponse::PendingResponse(PendingResponse&& other) noexcept = default;
PendingResponse& PendingResponse::operator=(PendingResponse&& other) noexcept = default;
PendingResponse::~PendingResponse() = default;

Result<HttpResponse> PendingResponse::finish()
{
    if (!m_reader)
        return Error::invalid("response already finished");
    auto result = collect(*m_reader, m_head, "POST");
    m_reader.reset();
    return result;
}

HijackedStream::HijackedStream(UniqueFd fd, std::string already_read)
    : m_fd(std::move(fd))
    , m_pending(std::move(already_read))
{
}

Result<size_t> HijackedStream::read(char* buffer, size_t capacity)
{
    if (!m_pending.empty()) {
        size_t take = std::min(capacity, m_pending.size());
        std::memcpy(buffer, m_pending.data(), take);
        m_pending.erase(0, take);
        return take;
    }
    if (!m_fd.valid())
        return size_t { 0 };
    for (;;) {
        ssize_t got = ::recv(m_fd.get(), buffer, capacity, 0);
        if (got >= 0)
            return static_cast<size_t>(got);
        if (errno == EINTR)
            continue;
        // A reset after the daemon finished is the same as EOF to the reader.
        if (errno == ECONNRESET)
            return size_t { 0 };
        return Error::from_errno("read from daemon", errno);
    }
}

Result<void> HijackedStream::write_all(std::string_view bytes)
{
    if (!m_fd.valid())
        return Error::invalid("stream is closed");
    return send_all(m_fd.get(), bytes);
}

void HijackedStream::close_write()
{
    if (m_fd.valid())
        ::shutdown(m_fd.get(), SHUT_WR);
}

void HijackedStream::close()
{
    if (m_fd.valid())
        ::shutdown(m_fd.get(), SHUT_RDWR);
}

} // namespace engine::api
