// The Dockerfile parser: text -> a list of instructions with their flags and arguments, plus the
// parser directives (`# escape=`, `# syntax=`). It joins line continuations, drops comments,
// recognises JSON-array (exec) forms, and reports errors as "Dockerfile:3:5: <what>", naming file,
// line and column. Variable substitution (${VAR}, ${VAR:-default}, ${VAR:+alt}) is a separate
// step (expand_word) because its values depend on ARG and ENV at build time.
// Kernel interfaces: none. Lesson: lessons/02-dockerfiles-images/.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace engine::build {

// Where something is in the Dockerfile, for error messages (1-based).
struct SourceLocation {
    std::string file;
    int line { 0 };
    int column { 0 };
    [[nodiscard]] std::string str() const; // "Dockerfile:3:5"
};

struct InstructionFlag {
    std::string name;  // "from", "chown", "chmod", "platform", "interval", ...
    std::string value; // "" for a flag given without "=value".
    SourceLocation location;
};

struct Instruction {
    std::string keyword;          // Upper case: "FROM", "RUN", ...
    std::string original;         // The instruction as written, continuations joined with spaces.
    std::string rest;             // Everything after the keyword and its flags, trimmed.
    std::vector<InstructionFlag> flags;
    // JSON form: the array elements. Shell form: the whitespace-separated words of `rest`,
    // quotes kept (they are interpreted by expand_word). Empty for an empty `rest`.
    std::vector<std::string> args;
    bool json_form { false };
    // ONBUILD's trigger, HEALTHCHECK's "CMD" part: the nested instruction.
    std::vector<Instruction> nested;
    SourceLocation location;

    // Value of a flag, or nullopt when absent.
    [[nodiscard]] std::optional<std::string> flag(std::string_view name) const;
};

struct Dockerfile {
    std::string file;          // Name used in messages ("Dockerfile", "build/Dockerfile.dev").
    char escape { '\\' };
    std::string syntax;        // `# syntax=` value, recorded; glassbox has one frontend.
    std::vector<Instruction> instructions;
};

// Limits on what a Dockerfile may hold, so a hostile build context cannot make the daemon parse
// and keep megabytes per line or build thousands of steps (issue 17: 3,000 ENV lines took 112 s
// and 2.5 GB). BuildKit's scanner stops at 64 KiB lines too; real Dockerfiles stay far below
// both counts.
inline constexpr std::size_t k_max_dockerfile_line_bytes = 64 * 1024;
// A logical instruction: its lines joined by continuations.
inline constexpr std::size_t k_max_instruction_bytes = 1024 * 1024;
inline constexpr std::size_t k_max_instructions = 1000;
// ${A:-${B:-...}} may nest this deep; each level is a recursion in expand_word.
inline constexpr int k_max_substitution_depth = 64;

// Parses a whole Dockerfile. Errors (InvalidArgument) start with "<file>:<line>:<column>: ":
// unknown instruction, missing arguments, a flag the instruction does not take, bad JSON where
// only JSON is allowed (SHELL), a bad escape directive, an empty file, a line, an instruction or
// a count of instructions over the limits above. Errors quote at most 200 bytes of a word.
Result<Dockerfile> parse_dockerfile(std::string_view text, const std::string& file = "Dockerfile");

// Parses one instruction written on one line, with the default escape character: a `--change`
// of `docker commit` and `docker import`, which Docker reads as a line of a Dockerfile. Errors
// name `file`, line 1 and the column, as parse_dockerfile's do.
Result<Instruction> parse_line(std::string_view line, const std::string& file);

// Looks a variable up: its value, or nullopt when unset.
using VariableLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Expands one word as the Dockerfile shell lexer does: $VAR, ${VAR}, ${VAR:-default},
// ${VAR-default}, ${VAR:+alt}, ${VAR+alt}; single quotes stop expansion, double quotes group,
// the escape character quotes the next character. Quotes are removed. Errors name `location`:
// an unterminated quote or ${, or an unsupported ${VAR?...} form.
Result<std::string> expand_word(std::string_view word, const VariableLookup& lookup, char escape,
    const SourceLocation& location);

// Splits `text` into words at unquoted whitespace, keeping quotes and escapes in the words.
std::vector<std::string> split_words(std::string_view text, char escape);

// Parses "KEY=value KEY2=value2" (or the legacy "KEY value" form for ENV and LABEL) into pairs,
// expanding each side. Errors name the instruction's location.
Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(const Instruction& instruction,
    const VariableLookup& lookup, char escape);

} // namespace engine::build
