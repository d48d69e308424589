// The router: "METHOD /path/{param}" patterns -> handlers, and the one place where an engine
// ErrorKind becomes an HTTP status. Image references keep their '/' and ':' in the path
// (GET /images/localhost:5000/foo/bar:1/json), so a pattern may hold one greedy parameter
// ({name*}); the literal segments after it are matched from the end of the path.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/api/http.h"
#include "engine/base/result.h"

namespace engine::api {

using Handler = std::function<Result<void>(Exchange& exchange)>;

// ErrorKind -> status: NotFound 404, AlreadyExists/Conflict 409, InvalidArgument 400,
// PermissionDenied 403, NotModified 304, Unsupported 501, System 500. An error with errno
// EMSGSIZE (a body over the size limit) is 413.
int status_for(const Error& error);
// Answers with status_for(error) and {"message": "..."} (304 without a body). If a stream has
// already started, the error goes into the stream as a Docker JSON error line instead.
void send_error(Exchange& exchange, const Error& error);

class Router {
public:
    // Patterns are absolute paths without the version prefix: "/containers/{id}/json",
    // "/images/{name*}/history". Routes are tried in the order they were added.
    void add(std::string method, std::string pattern, Handler handler);

    struct Match {
        const Handler* handler { nullptr };
        std::map<std::string, std::string> params;
    };
    // Finds the route for `method` and `path` (HEAD falls back to GET). Parameters are
    // percent-decoded.
    [[nodiscard]] std::optional<Match> match(const std::string& method, const std::string& path) const;

    // Routes the request, runs the handler and answers its error, if any. Unknown paths get 404
    // {"message":"page not found"}.
    void dispatch(Exchange& exchange) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments; // "{id}", "{name*}" or literals.
        Handler handler;
    };
    std::vector<Route> m_routes;
};

// Splits a path on '/', dropping the empty leading segment: "/a/b" -> {"a", "b"}.
std::vector<std::string> split_path(const std::string& path);

} // namespace engine::api
