// What the check language knows about each kind of snapshot object: the snapshot array it lives
// in, the selector keys it accepts, its snapshot fields (taken from the JSON of a default-built
// state struct, so they cannot drift from engine/state/snapshot_json.h) and its derived fields
// with their types. Used by the parser (to reject `container(web).pidd` when the lesson loads)
// and by the evaluator. Internal to engine/lesson.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace engine::lesson {

// The static type of a value in a check. Unknown values are checked when evaluated.
struct Type {
    enum class Cat { Unknown, Scalar, Map, Object, List };
    Cat cat { Cat::Unknown };
    Cat elem { Cat::Unknown }; // For List: the elements' category.
    std::string kind;          // For Object, or List of Object: the kind.

    static Type unknown() { return {}; }
    static Type scalar() { return { Cat::Scalar, Cat::Unknown, "" }; }
    static Type map() { return { Cat::Map, Cat::Unknown, "" }; }
    static Type object(std::string kind) { return { Cat::Object, Cat::Unknown, std::move(kind) }; }
    static Type list_of(std::string kind) { return { Cat::List, Cat::Object, std::move(kind) }; }
    static Type list_of(Cat elem) { return { Cat::List, elem, "" }; }
};

struct KindInfo {
    std::string name;                 // "container".
    std::string array;                // Snapshot array: "containers" ("" for host).
    std::string positional;           // What a positional argument means: "name", "pid", ...
    std::vector<std::string> keys;    // Accepted `key:` arguments.
    std::map<std::string, Type> fields; // Snapshot fields and derived fields.
};

// The kind called `name`, or nullptr.
const KindInfo* find_kind(const std::string& name);
// Every kind, in the reference's order.
const std::vector<KindInfo>& all_kinds();
// The type of `field` on objects of `kind`; nullptr when the kind has no such field.
const Type* field_type(const std::string& kind, const std::string& field);

} // namespace engine::lesson
