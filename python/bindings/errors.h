// The Python exceptions of the glassbox module, and the one place an engine Error (or an HTTP error
// status) becomes one (exceptions only at the edges; Result<T> inside the engine). Every exception is a
// glassbox.GlassboxError carrying the engine's message and these attributes:
//   kind    "NotFound", "Conflict", "InvalidArgument", "KernelFeatureMissing", "Timeout",
//           "DaemonUnavailable", "PermissionDenied", "NotModified", "BuildFailed", "System"
//   status  the HTTP status the daemon answered (0 when the error happened on this side)
//   errno   the errno behind it, 0 when none
// Subclasses exist per kind so `except glassbox.NotFound:` reads like docker-py's.
#pragma once

#include <string>
#include <string_view>

#include <pybind11/pybind11.h>

#include "engine/base/result.h"

namespace glassbox_py {

namespace py = pybind11;

// Creates GlassboxError and its subclasses in module `m`.
void register_errors(py::module_& m);

// Raises the exception class for `kind` (unknown kinds raise the base class).
[[noreturn]] void raise_error(
    std::string_view kind, const std::string& message, int status = 0, int error_number = 0);

// Raises the exception for an engine Error returned by api::Client (connection failures become
// DaemonUnavailable, the daemon's "Error response from daemon: " prefix is dropped).
[[noreturn]] void raise_engine_error(const engine::Error& error);

// The kind an HTTP error status stands for: 404 NotFound, 409 Conflict, 400 InvalidArgument,
// 403 PermissionDenied, 501 KernelFeatureMissing (the engine's Unsupported), 304 NotModified,
// anything else System.
std::string_view kind_for_status(int status);

// Unwraps a Result, raising its error as a Python exception. Needs the GIL.
template<typename T>
T unwrap(engine::Result<T> result)
{
    if (!result.ok())
        raise_engine_error(result.error());
    return result.release_value();
}

} // namespace glassbox_py
