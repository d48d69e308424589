// Exception classes and the mapping from engine errors and HTTP statuses (see errors.h).
// Timeout also derives from Python's TimeoutError and InvalidArgument from ValueError, so generic
// handlers (`except TimeoutError`) catch them too.
#include "python/bindings/errors.h"

#include <cerrno>
#include <map>

#include "engine/api/client.h"
#include "engine/base/strings.h"

namespace glassbox_py {

namespace {

// Exception classes by kind; filled once at import, alive as long as the module.
std::map<std::string, py::object, std::less<>>& classes()
{
    static auto* table = new std::map<std::string, py::object, std::less<>>();
    return *table;
}

py::object make_class(py::module_& m, const char* name, py::handle bases, const char* doc)
{
    std::string qualified = std::string("glassbox.") + name;
    PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
    if (cls == nullptr)
        throw py::error_already_set();
    auto object = py::reinterpret_steal<py::object>(cls);
    m.attr(name) = object;
    return object;
}

std::string_view kind_name(engine::ErrorKind kind)
{
    switch (kind) {
    case engine::ErrorKind::NotFound:
        return "NotFound";
    case engine::ErrorKind::AlreadyExists:
    case engine::ErrorKind::Conflict:
        return "Conflict";
    case engine::ErrorKind::InvalidArgument:
        return "InvalidArgument";
    case engine::ErrorKind::PermissionDenied:
        return "PermissionDenied";
    case engine::ErrorKind::NotModified:
        return "NotModified";
    case engine::ErrorKind::Unsupported:
        return "KernelFeatureMissing";
    case engine::ErrorKind::Unreachable:
        return "DaemonUnavailable";
    case engine::ErrorKind::System:
        return "System";
    }
    return "System";
}

} // namespace

void register_errors(py::module_& m)
{
    auto base = make_class(m, "GlassboxError", PyExc_Exception,
        "Base of every glassbox error. Attributes: kind (str), status (HTTP status, 0 if local), "
        "errno.");
    classes()["System"] = base;
    auto single = [&](const char* name, const char* doc) {
        classes()[name] = make_class(m, name, base, doc);
    };
    auto with_builtin = [&](const char* name, PyObject* builtin, const char* doc) {
        classes()[name] = make_class(m, name, py::make_tuple(base, py::handle(builtin)), doc);
    };
    single("NotFound", "No such container, image, volume, network or lesson (HTTP 404).");
    single("Conflict",
        "The name is taken, or the object is in a state that forbids the call (HTTP 409).");
    with_builtin("InvalidArgument", PyExc_ValueError,
        "The request was malformed: a bad spec, option or value (HTTP 400).");
    single("KernelFeatureMissing",
        "This kernel lacks what the call needs, e.g. CONFIG_IPVLAN (HTTP 501).");
    with_builtin("Timeout", PyExc_TimeoutError, "The call did not finish within its timeout.");
    single("DaemonUnavailable", "No glassbox daemon answers on the socket.");
    single("PermissionDenied", "The daemon refused the call (HTTP 403).");
    single("NotModified", "Nothing to do: the object is already in that state (HTTP 304).");
    single("BuildFailed", "An image build failed; the message is the builder's.");
}

void raise_error(std::string_view kind, const std::string& message, int status, int error_number)
{
    auto found = classes().find(kind);
    py::object cls = found != classes().end() ? found->second : classes().at("System");
    py::object instance = cls(message);
    instance.attr("kind") = py::str(std::string(kind));
    instance.attr("status") = status;
    instance.attr("errno") = error_number;
    instance.attr("message") = message;
    PyErr_SetObject(cls.ptr(), instance.ptr());
    throw py::error_already_set();
}

void raise_engine_error(const engine::Error& error)
{
    std::string message = error.describe();
    if (engine::strings::starts_with(message, engine::api::k_daemon_error_prefix))
        message.erase(0, engine::api::k_daemon_error_prefix.size());
    // The client marks a connect(2) that failed (no socket, or nobody listening on it) as
    // Unreachable; an error the daemon sent back is never that kind.
    if (error.kind() == engine::ErrorKind::Unreachable)
        raise_error("DaemonUnavailable", "no glassbox daemon answers: " + message, 0, error.code());
    raise_error(kind_name(error.kind()), message, 0, error.code());
}

std::string_view kind_for_status(int status)
{
    switch (status) {
    case 304:
        return "NotModified";
    case 400:
        return "InvalidArgument";
    case 403:
        return "PermissionDenied";
    case 404:
        return "NotFound";
    case 409:
        return "Conflict";
    case 501:
        return "KernelFeatureMissing";
    default:
        return "System";
    }
}

} // namespace glassbox_py
