// Route matching and error mapping. Matching works on path segments: literals must be equal,
// "{x}" takes one segment, "{x*}" takes one or more, with the segments after it matched from the
// end, so "/images/{name*}/json" reads "/images/foo/bar:1/json" as name "foo/bar:1".
#include "engine/api/router.h"

#include <exception>

#include "engine/base/log.h"
#include "engine/base/strings.h"

namespace engine::api {

int status_for(const Error& error)
{
    if (error.code() == EMSGSIZE)
        return 413;
    switch (error.kind()) {
    case ErrorKind::NotFound:
        return 404;
    case ErrorKind::AlreadyExists:
    case ErrorKind::Conflict:
        return 409;
    case ErrorKind::InvalidArgument:
        return 400;
    case ErrorKind::PermissionDenied:
        return 403;
    case ErrorKind::NotModified:
        return 304;
    case ErrorKind::Unsupported:
        return 501;
    case ErrorKind::Unreachable:
        return 502;
    case ErrorKind::System:
        return 500;
    }
    return 500;
}

void send_error(Exchange& exchange, const Error& error)
{
    // A backstop for messages that quote a client's value whole (a 1 MB image name, a query
    // parameter): the client never gets more than this back.
    auto message = quote_for_error(error.describe(), 4 * k_max_quoted_bytes + 1024);
    if (exchange.hijacked())
        return; // Raw bytes now; the handler closes the connection.
    if (exchange.streaming()) {
        // The status line is gone already; Docker clients read a JSON error line in the stream
        // (pull, build, load) and exit non-zero.
        nlohmann::json line = { { "errorDetail", { { "message", message } } }, { "error", message } };
        exchange.write_chunk(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\r\n");
        exchange.end_stream();
        return;
    }
    if (exchange.responded())
        return;
    int status = status_for(error);
    if (status == 304) {
        exchange.respond_empty(304);
        return;
    }
    if (status >= 500)
        log::warn(exchange.request().method + " " + exchange.request().path + ": " + message);
    exchange.respond_json(status, { { "message", message } });
}

std::vector<std::string> split_path(const std::string& path)
{
    std::vector<std::string> segments;
    size_t pos = 0;
    while (pos <= path.size()) {
        auto next = path.find('/', pos);
        if (next == std::string::npos)
            next = path.size();
        if (next > pos)
            segments.push_back(path.substr(pos, next - pos));
        pos = next + 1;
    }
    return segments;
}

static bool is_param(const std::string& segment)
{
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

static bool is_greedy(const std::string& segment)
{
    return is_param(segment) && segment.size() >= 3 && segment[segment.size() - 2] == '*';
}

static std::string param_name(const std::string& segment)
{
    auto inner = segment.substr(1, segment.size() - 2);
    if (!inner.empty() && inner.back() == '*')
        inner.pop_back();
    return inner;
}

// Matches `pattern` against `path`, both split into segments; fills `params` on success.
static bool match_segments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
    std::map<std::string, std::string>& params)
{
    size_t greedy = pattern.size();
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (is_greedy(pattern[i])) {
            greedy = i;
            break;
        }
    }
    auto match_one = [&](const std::string& want, const std::string& got) {
        if (is_param(want)) {
            params[param_name(want)] = url_decode(got, false);
            return !got.empty();
        }
        return want == got;
    };
    if (greedy == pattern.size()) {
        if (pattern.size() != path.size())
            return false;
        for (size_t i = 0; i < pattern.size(); ++i) {
            if (!match_one(pattern[i], path[i]))
                return false;
        }
        return true;
    }
    size_t before = greedy;
    size_t after = pattern.size() - greedy - 1;
    if (path.size() < before + after + 1)
        return false;
    for (size_t i = 0; i < before; ++i) {
        if (!match_one(pattern[i], path[i]))
            return false;
    }
    for (size_t i = 0; i < after; ++i) {
        if (!match_one(pattern[pattern.size() - 1 - i], path[path.size() - 1 - i]))
            return false;
    }
    std::vector<std::string> middle(path.begin() + static_cast<std::ptrdiff_t>(before),
        path.end() - static_cast<std::ptrdiff_t>(after));
    params[param_name(pattern[greedy])] = url_decode(strings::join(middle, "/"), false);
    return true;
}

void Router::add(std::string method, std::string pattern, Handler handler)
{
    m_routes.push_back({ std::move(method), split_path(pattern), std::move(handler) });
}

std::optional<Router::Match> Router::match(const std::string& method, const std::string& path) const
{
    auto segments = split_path(path);
    for (int pass = 0; pass < 2; ++pass) {
        // HEAD is answered by the GET route (without a body) unless a HEAD route exists.
        std::string want = pass == 0 ? method : (method == "HEAD" ? "GET" : "");
        if (want.empty())
            break;
        for (auto& route : m_routes) {
            if (route.method != want)
                continue;
            std::map<std::string, std::string> params;
            if (match_segments(route.segments, segments, params))
                return Match { &route.handler, std::move(params) };
        }
    }
    return std::nullopt;
}

void Router::dispatch(Exchange& exchange) const
{
    auto& request = exchange.request();
    auto found = match(request.method, request.path);
    if (!found) {
        exchange.respond_json(404, { { "message", "page not found" } });
        return;
    }
    request.params = std::move(found->params);
    Result<void> result = Ok {};
    try {
        result = (*found->handler)(exchange);
    } catch (const std::exception& e) {
        // nlohmann::json throws on type mismatches in bodies we did not validate field by field.
        result = Error::invalid(std::string("invalid request: ") + e.what());
    }
    if (!result.ok()) {
        send_error(exchange, result.error());
        return;
    }
    if (!exchange.responded())
        exchange.respond_empty(204);
}

} // namespace engine::api
