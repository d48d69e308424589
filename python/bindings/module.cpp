// _glassbox: the C++ half of the `glassbox` Python package. It binds engine::api::Client (HTTP on
// the daemon's Unix socket) behind calls that release the GIL, honour a timeout and stop on Ctrl-C,
// and the engine's snapshot types (engine/state) as Python classes. The docker-SDK-shaped layer,
// rich display and notebooks' conveniences are pure Python in python/glassbox/.
#include "python/bindings/module.h"

#include "python/bindings/errors.h"

PYBIND11_MODULE(_glassbox, m)
{
    m.doc() = "glassbox engine bindings: the API client and the kernel-state snapshot types";
    glassbox_py::register_errors(m);
    glassbox_py::bind_state(m);
    glassbox_py::bind_client(m);
#ifdef GLASSBOX_HAVE_LESSONS
    glassbox_py::bind_lessons(m);
#endif
}
