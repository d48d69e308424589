// Fuzzes the Dockerfile parser as a build runs it: parse, expand every word and key/value pair
// with ARG-like lookups, and lint. Any crash, sanitizer report or hang is a bug; errors are fine.
#include <cstddef>
#include <cstdint>

#include "engine/build/dockerfile.h"
#include "engine/build/lints.h"
#include "tests/fuzz/targets/fuzz_support.h"

namespace {

void expand_all(const engine::build::Instruction& instruction, char escape)
{
    auto lookup = [](const std::string& name) -> std::optional<std::string> {
        if (name.size() % 3 == 0)
            return std::nullopt;
        return name.size() % 3 == 1 ? std::string() : std::string("value-") + name;
    };
    for (const auto& arg : instruction.args)
        (void)engine::build::expand_word(arg, lookup, escape, instruction.location);
    if (instruction.keyword == "ENV" || instruction.keyword == "LABEL" || instruction.keyword == "ARG")
        (void)engine::build::parse_key_values(instruction, lookup, escape);
    for (const auto& nested : instruction.nested)
        expand_all(nested, escape);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto parsed = engine::build::parse_dockerfile(engine::fuzz::as_text(data, size), "Dockerfile");
    if (!parsed.ok()) {
        (void)parsed.error().message();
        return 0;
    }
    const auto& dockerfile = parsed.value();
    for (const auto& instruction : dockerfile.instructions)
        expand_all(instruction, dockerfile.escape);
    engine::build::LintOptions options;
    options.build_args["TAG"] = "1.36";
    for (const auto& finding : engine::build::lint_dockerfile(dockerfile, options))
        (void)finding.format();
    return 0;
}
