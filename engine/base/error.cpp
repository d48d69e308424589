// Error construction and formatting. Uses std::system_category() rather than strerror()
// because the daemon is multi-threaded.
#include "engine/base/result.h"

#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace engine {

Error Error::from_errno(std::string_view what, int code)
{
    ErrorKind kind = ErrorKind::System;
    if (code == ENOENT)
        kind = ErrorKind::NotFound;
    else if (code == EEXIST)
        kind = ErrorKind::AlreadyExists;
    else if (code == EPERM || code == EACCES)
        kind = ErrorKind::PermissionDenied;
    else if (code == EINVAL)
        kind = ErrorKind::InvalidArgument;
    return Error(kind, code, std::string(what));
}

Error Error::invalid(std::string message) { return Error(ErrorKind::InvalidArgument, 0, std::move(message)); }
Error Error::not_found(std::string message) { return Error(ErrorKind::NotFound, 0, std::move(message)); }
Error Error::conflict(std::string message) { return Error(ErrorKind::Conflict, 0, std::move(message)); }
Error Error::exists(std::string message) { return Error(ErrorKind::AlreadyExists, 0, std::move(message)); }
Error Error::unsupported(std::string message) { return Error(ErrorKind::Unsupported, 0, std::move(message)); }
Error Error::system(std::string message) { return Error(ErrorKind::System, 0, std::move(message)); }
Error Error::make(ErrorKind kind, std::string message) { return Error(kind, 0, std::move(message)); }
Error Error::unreachable(std::string_view what, int code) { return Error(ErrorKind::Unreachable, code, std::string(what)); }

Error Error::with_context(std::string_view context) &&
{
    if (!context.empty())
        m_message = std::string(context) + ": " + m_message;
    return std::move(*this);
}

std::string Error::describe() const
{
    if (m_code == 0)
        return m_message;
    return m_message + ": " + std::system_category().message(m_code);
}

void verify_failed(const char* expr, const char* file, int line)
{
    std::fprintf(stderr, "VERIFY(%s) failed at %s:%d\n", expr, file, line);
    std::abort();
}

} // namespace engine
