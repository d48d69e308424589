// Fuzzes the JSON readers: parse_client_json and filters (what every API body goes through), the
// snapshot reader (GET /glassbox/v1/state clients, Python, replays) and the timeline reader
// (recordings played in classrooms), which reads a file: the input follows a valid header line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/api/http.h"
#include "engine/state/record.h"
#include "engine/state/snapshot_json.h"
#include "tests/fuzz/targets/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto text = engine::fuzz::as_text(data, size);
    auto client = engine::api::parse_client_json(text, "request body");
    if (client.ok())
        (void)engine::api::quote_json_for_error(client.value());
    (void)engine::api::parse_filters(text);
    auto snapshot = engine::state::parse_snapshot(text);
    if (snapshot.ok())
        (void)engine::state::snapshot_to_json(snapshot.value()).dump();

    static const std::string header
        = R"({"type":"header","format":"glassbox-timeline","schema_version":1,"created_at":"2026-01-01T00:00:00Z"})";
    for (const std::string& contents : { std::string(text), header + "\n" + std::string(text) }) {
        engine::fuzz::MemoryFile file(contents);
        (void)engine::state::read_timeline(file.path());
    }
    return 0;
}
