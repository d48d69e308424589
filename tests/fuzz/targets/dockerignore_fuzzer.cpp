// Fuzzes the .dockerignore parser and its matcher: the input is the file; each of its lines is
// also tried as a context path, with a few fixed paths, so patterns meet paths that resemble them.
#include <cstddef>
#include <cstdint>

#include "engine/base/strings.h"
#include "engine/build/dockerignore.h"
#include "tests/fuzz/targets/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto text = engine::fuzz::as_text(data, size);
    auto parsed = engine::build::DockerIgnore::parse(text);
    if (!parsed.ok())
        return 0;
    const auto& ignore = parsed.value();
    static const char* const fixed[] = { "", "Dockerfile", "a/b/c.txt", "node_modules/x/y", ".git/HEAD" };
    for (const char* path : fixed)
        (void)ignore.excluded(path);
    for (const auto& line : engine::strings::split(text, '\n')) {
        auto cleaned = engine::build::clean_relative_path(line);
        (void)ignore.excluded(cleaned);
    }
    return 0;
}
