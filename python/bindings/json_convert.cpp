// JSON <-> Python conversion (see json_convert.h). Booleans are checked before integers because
// Python's bool is a subclass of int: True must stay true, not become 1.
#include "python/bindings/json_convert.h"

#include <string>

namespace glassbox_py {

py::object to_python(const nlohmann::json& json)
{
    switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
        return py::none();
    case nlohmann::json::value_t::boolean:
        return py::bool_(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
        return py::int_(json.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
        return py::int_(json.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
        return py::float_(json.get<double>());
    case nlohmann::json::value_t::string: {
        const auto& text = json.get_ref<const std::string&>();
        // Container output can be any bytes; never fail a whole answer over one bad byte.
        PyObject* decoded
            = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
        if (decoded == nullptr)
            throw py::error_already_set();
        return py::reinterpret_steal<py::object>(decoded);
    }
    case nlohmann::json::value_t::binary:
        return py::bytes(std::string(json.get_binary().begin(), json.get_binary().end()));
    case nlohmann::json::value_t::array: {
        py::list list;
        for (const auto& item : json)
            list.append(to_python(item));
        return list;
    }
    case nlohmann::json::value_t::object: {
        py::dict dict;
        for (const auto& [key, item] : json.items())
            dict[py::str(key)] = to_python(item);
        return dict;
    }
    }
    return py::none();
}

nlohmann::json from_python(const py::handle& value)
{
    if (value.is_none())
        return nullptr;
    if (py::isinstance<py::bool_>(value))
        return value.cast<bool>();
    if (py::isinstance<py::int_>(value)) {
        // Negative numbers as signed, the rest as unsigned so inodes above 2^63 survive.
        if (value.cast<py::int_>() < py::int_(0))
            return value.cast<std::int64_t>();
        return value.cast<std::uint64_t>();
    }
    if (py::isinstance<py::float_>(value))
        return value.cast<double>();
    if (py::isinstance<py::str>(value))
        return value.cast<std::string>();
    if (py::isinstance<py::bytes>(value))
        return value.cast<std::string>();
    if (py::isinstance<py::dict>(value)) {
        auto object = nlohmann::json::object();
        for (const auto& [key, item] : value.cast<py::dict>()) {
            if (!py::isinstance<py::str>(key))
                throw py::type_error("JSON object keys must be str, not "
                    + std::string(py::str(key.get_type().attr("__name__"))));
            object[key.cast<std::string>()] = from_python(item);
        }
        return object;
    }
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        auto array = nlohmann::json::array();
        for (const auto& item : value)
            array.push_back(from_python(item));
        return array;
    }
    throw py::type_error("cannot send a " + std::string(py::str(value.get_type().attr("__name__")))
        + " to the daemon as JSON");
}

} // namespace glassbox_py
