// Fuzzes compose files: YAML through yaml-cpp, the alias-visit limit, interpolation and the model
// checks; plus the .env parser and interpolation on the raw input. The working directory does not
// exist, so relative env_file paths read nothing.
#include <cstddef>
#include <cstdint>

#include "engine/compose/interpolation.h"
#include "engine/compose/parse.h"
#include "tests/fuzz/targets/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto text = engine::fuzz::as_text(data, size);
    const engine::compose::Environment env = { { "TAG", "1.36" }, { "EMPTY", "" }, { "HOME", "/root" } };
    (void)engine::compose::interpolate(text, env);
    (void)engine::compose::parse_env_file(text, ".env");
    (void)engine::compose::split_command(text);
    (void)engine::compose::parse_duration_ns(text);
    (void)engine::compose::parse_bytes(text);
    auto project = engine::compose::parse_project(text, "compose.yaml", "/nonexistent/glassbox-fuzz", env, "fuzz");
    if (!project.ok())
        (void)project.error().message();
    return 0;
}
