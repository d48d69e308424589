// JSON <-> Python objects for the bindings: the daemon speaks JSON (nlohmann::json in the engine),
// notebooks want dicts and lists. Both directions are exact for JSON's types; Python values JSON
// cannot hold (sets, objects) are refused with TypeError naming the type.
#pragma once

#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>

namespace glassbox_py {

namespace py = pybind11;

// null -> None, booleans, integers (signed and unsigned), floats, strings, arrays -> list,
// objects -> dict. Needs the GIL.
py::object to_python(const nlohmann::json& json);

// None, bool, int, float, str, bytes (as UTF-8 text), list/tuple, dict with str keys. Needs the
// GIL.
nlohmann::json from_python(const py::handle& value);

} // namespace glassbox_py
