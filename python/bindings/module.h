// The pieces of the _glassbox extension module, each bound in its own file.
#pragma once

#include <pybind11/pybind11.h>

namespace glassbox_py {

// Snapshot, Diff, Timeline types and the daemon-free functions (state_bindings.cpp).
void bind_state(pybind11::module_& m);
// Client, Stream and Recording: everything that talks to glassboxd (client_bindings.cpp).
void bind_client(pybind11::module_& m);

// LessonRunner (lesson_bindings.cpp); only when engine::lesson is built (GLASSBOX_HAVE_LESSONS).
void bind_lessons(pybind11::module_& m);

} // namespace glassbox_py
