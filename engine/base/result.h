// Result<T>: the engine's error type. Every function that can fail for reasons outside the
// program (syscalls, files, user input) returns Result<T>. Errors carry an errno where there is
// one, a kind that the API layer maps to an HTTP status, and a context chain, outermost first:
// "create container web: mount /proc: Operation not permitted".
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace engine {

// What went wrong, for callers that branch. Only api/router.cpp turns this into a status code.
enum class ErrorKind {
    System,
    NotFound,
    AlreadyExists,
    Conflict,
    InvalidArgument,
    PermissionDenied,
    NotModified,
    Unsupported,
    // The peer could not be reached at all (a daemon's socket that is missing or refuses), as
    // opposed to a peer that answered with an error; clients offer to start a daemon on this.
    Unreachable,
};

class Error {
public:
    // Wraps a failed syscall: Error::from_errno("mount /proc", errno).
    static Error from_errno(std::string_view what, int code);
    static Error invalid(std::string message);
    static Error not_found(std::string message);
    static Error conflict(std::string message);
    static Error exists(std::string message);
    static Error unsupported(std::string message);
    static Error system(std::string message);
    static Error make(ErrorKind kind, std::string message);
    // A failed connect(2) to a peer: kind Unreachable, the errno kept for the message.
    static Error unreachable(std::string_view what, int code);

    // Adds caller context, outermost first.
    [[nodiscard]] Error with_context(std::string_view context) &&;

    [[nodiscard]] int code() const { return m_code; }
    [[nodiscard]] ErrorKind kind() const { return m_kind; }
    [[nodiscard]] const std::string& message() const { return m_message; }
    // The message plus the errno text when there is one.
    [[nodiscard]] std::string describe() const;

private:
    Error(ErrorKind kind, int code, std::string message)
        : m_kind(kind)
        , m_code(code)
        , m_message(std::move(message))
    {
    }

    ErrorKind m_kind { ErrorKind::System };
    int m_code { 0 };
    std::string m_message;
};

struct Ok { };

template<typename T>
class [[nodiscard]] Result {
public:
    Result(T value) // NOLINT(google-explicit-constructor): lets `return value;` work.
        : m_value(std::move(value))
    {
    }
    Result(Error error) // NOLINT(google-explicit-constructor): lets `return error;` work.
        : m_value(std::move(error))
    {
    }

    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(m_value); }
    [[nodiscard]] T& value() { return std::get<T>(m_value); }
    [[nodiscard]] const T& value() const { return std::get<T>(m_value); }
    [[nodiscard]] const Error& error() const { return std::get<Error>(m_value); }
    T release_value() { return std::move(std::get<T>(m_value)); }
    Error release_error() { return std::move(std::get<Error>(m_value)); }

private:
    std::variant<T, Error> m_value;
};

template<>
class [[nodiscard]] Result<void> {
public:
    Result(Ok) // NOLINT(google-explicit-constructor): lets `return Ok {};` work.
    {
    }
    Result(Error error) // NOLINT(google-explicit-constructor): lets `return error;` work.
        : m_error(std::move(error))
        , m_ok(false)
    {
    }

    [[nodiscard]] bool ok() const { return m_ok; }
    [[nodiscard]] const Error& error() const { return m_error; }
    Ok release_value() { return {}; }
    Error release_error() { return std::move(m_error); }

private:
    Error m_error { Error::system("") };
    bool m_ok { true };
};

} // namespace engine

// Propagates an error the way Rust's `?` does; evaluates to the value on success.
#define TRY(expr)                               \
    ({                                          \
        auto _try_result = (expr);              \
        if (!_try_result.ok())                  \
            return _try_result.release_error(); \
        _try_result.release_value();            \
    })

// Like TRY, but adds context to the error on the way out.
#define TRY_CTX(expr, ctx)                                              \
    ({                                                                  \
        auto _try_result = (expr);                                      \
        if (!_try_result.ok())                                          \
            return _try_result.release_error().with_context(ctx);       \
        _try_result.release_value();                                    \
    })

// Invariants the program itself guarantees; a failure is a bug, not an error.
#define VERIFY(cond)                                                        \
    do {                                                                    \
        if (!(cond))                                                        \
            ::engine::verify_failed(#cond, __FILE__, __LINE__);             \
    } while (0)

namespace engine {
[[noreturn]] void verify_failed(const char* expr, const char* file, int line);
}
