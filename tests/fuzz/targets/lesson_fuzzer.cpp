// Fuzzes lesson.yaml: the YAML, the schema checks and the check language's parser.
#include <cstddef>
#include <cstdint>

#include "engine/lesson/loader.h"
#include "tests/fuzz/targets/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto lesson = engine::lesson::parse_lesson(engine::fuzz::as_text(data, size), "lesson.yaml", "99-fuzz",
        "/nonexistent/glassbox-fuzz");
    if (!lesson.ok())
        (void)lesson.error().message();
    return 0;
}
