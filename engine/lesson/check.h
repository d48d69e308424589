// The check language of lessons (lessons/README.md, "The check language"): one expression per
// check, such as `link(in: container(web), kind: veth).peer.master == bridge(glassbox0)`,
// parsed once into an AST that keeps each node's offset in the check text, validated against the
// snapshot schema (engine/state/SCHEMA.md: a field a kind does not have is a parse error), and
// evaluated over the JSON form of a snapshot (GET /glassbox/v1/state). Evaluation is strict: a
// selector that matches nothing makes the check fail with "no container named web"; it never
// passes vacuously.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"

namespace engine::lesson {

using Json = nlohmann::json;

enum class NodeKind {
    Literal,  // "text", 12, true, false, null.
    List,     // [a, b].
    Selector, // kind(args).
    Field,    // child.name.
    Index,    // child[index].
    Count,    // count(child).
    Exists,   // exists(child).
    Not,
    And,
    Or,
    Compare,
};

enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge, In, Contains, SharedWith, Matches };

struct Node;
using NodePtr = std::shared_ptr<const Node>;

// One argument of a selector: `key: value` or (key "") the positional one. The value is either
// a literal (bare words are strings) or another selector.
struct SelectorArg {
    std::string key;
    Json literal;
    NodePtr selector;
    size_t offset { 0 };
};

struct Node {
    NodeKind kind { NodeKind::Literal };
    size_t offset { 0 };              // Where the node starts in the check text (0-based).
    size_t name_offset { 0 };         // Field and Index: where the field name or index is.
    Json literal;                     // Literal.
    std::string name;                 // Selector: the kind; Field: the field name.
    std::vector<SelectorArg> args;    // Selector.
    long index { 0 };                 // Index.
    CompareOp op { CompareOp::Eq };   // Compare.
    std::vector<NodePtr> children;    // Operands, left first.
    std::shared_ptr<const std::regex> regex; // Compare with Matches and a literal pattern.
    std::string text;                 // The node's own source text, for messages.
};

// A parsed check.
struct Expression {
    std::string text;
    NodePtr root;
};

// A parse or schema error, at `offset` (0-based) in the check text.
struct ParseError {
    size_t offset { 0 };
    std::string message;
};

// Parses and validates one check. On failure returns the first error with its offset.
// `parse_check("container(web).pidd == 1")` fails with offset 15, "container has no field 'pidd'".
std::variant<Expression, ParseError> parse_check(std::string_view text);

// The outcome of evaluating a check over one snapshot. `found` says what the evaluator saw: the
// left side's value for a comparison (`"exited"`, `137`), or the evaluation error
// (`no container named web`), in which case `error` is true and `passed` false.
struct Evaluation {
    bool passed { false };
    bool error { false };
    std::string found;
};

// Evaluates a parsed check over a snapshot in its JSON form.
Evaluation evaluate(const Expression& expression, const Json& snapshot);

// The kinds a selector may name, in the order the reference lists them.
const std::vector<std::string>& selector_kinds();

} // namespace engine::lesson
