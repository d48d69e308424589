// Recording and replay: a timeline file is JSON lines. The first line is a header
//   {"type":"header","format":"glassbox-timeline","schema_version":1,"created_at":"..."}
// and every further line is a snapshot frame or an event:
//   {"type":"snapshot","time":"...","snapshot":{...snapshot_to_json...}}
//   {"type":"event","time":"...","event":{...as GET /glassbox/v1/events sends it...}}
// A timeline replays without root and without a daemon: the reader only parses the file, and
// yields Snapshots equal to the ones written. `glassbox record FILE` writes one; the visualizer
// and Python read them in classrooms.
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/state/snapshot.h"

namespace engine::state {

inline constexpr std::string_view timeline_format = "glassbox-timeline";

struct TimelineEntry {
    enum class Type { Snapshot, Event };
    Type type { Type::Snapshot };
    std::string time;                 // RFC 3339, when the entry was recorded.
    Snapshot snapshot;                // For Type::Snapshot.
    nlohmann::json event;             // For Type::Event.
};

class TimelineWriter {
public:
    // Creates (or truncates) `path` and writes the header line.
    static Result<TimelineWriter> create(const std::string& path);

    // Each call appends one line with a single write(2), so a reader following the file never
    // sees half a line, and a crash loses at most the entry being written.
    Result<void> write_snapshot(const Snapshot& snapshot);
    Result<void> write_event(const nlohmann::json& event);
    // fsync(2)s what was written.
    Result<void> sync();

    [[nodiscard]] const std::string& path() const { return m_path; }

private:
    TimelineWriter(std::string path, UniqueFd fd)
        : m_path(std::move(path))
        , m_fd(std::move(fd))
    {
    }
    Result<void> write_line(const nlohmann::json& line);

    std::string m_path;
    UniqueFd m_fd;
};

class TimelineReader {
public:
    // Opens `path` and checks the header; fails with InvalidArgument if it is not a timeline or
    // its schema is newer than this build reads.
    static Result<TimelineReader> open(const std::string& path);

    // The next entry, or nullopt at the end of the file. A malformed line fails with an error
    // naming the file and line number.
    Result<std::optional<TimelineEntry>> next();

    [[nodiscard]] int schema_version() const { return m_schema_version; }

private:
    TimelineReader(std::string path, std::ifstream stream, int schema_version)
        : m_path(std::move(path))
        , m_stream(std::move(stream))
        , m_schema_version(schema_version)
    {
    }

    std::string m_path;
    std::ifstream m_stream;
    int m_schema_version { 0 };
    int m_line { 1 };
};

// Reads a whole timeline.
Result<std::vector<TimelineEntry>> read_timeline(const std::string& path);

} // namespace engine::state
