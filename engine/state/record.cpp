// Timeline files (see record.h): JSON lines of snapshots and events, written with one write(2)
// per line and read back without any kernel access.
#include "engine/state/record.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "engine/base/json_depth.h"
#include "engine/base/strings.h"
#include "engine/state/snapshot_json.h"

namespace engine::state {

namespace {

std::string now_text() { return strings::rfc3339_nano(std::chrono::system_clock::now()); }

} // namespace

Result<TimelineWriter> TimelineWriter::create(const std::string& path)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return Error::from_errno("create timeline " + path, errno);
    TimelineWriter writer(path, UniqueFd(fd));
    TRY(writer.write_line({ { "type", "header" }, { "format", timeline_format },
        { "schema_version", snapshot_schema_version }, { "created_at", now_text() } }));
    return writer;
}

Result<void> TimelineWriter::write_line(const nlohmann::json& line)
{
    std::string text = line.dump() + "\n";
    size_t done = 0;
    while (done < text.size()) {
        ssize_t written = ::write(m_fd.get(), text.data() + done, text.size() - done);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("write timeline " + m_path, errno);
        }
        done += static_cast<size_t>(written);
    }
    return Ok {};
}

Result<void> TimelineWriter::write_snapshot(const Snapshot& snapshot)
{
    return write_line({ { "type", "snapshot" }, { "time", now_text() }, { "snapshot", snapshot_to_json(snapshot) } });
}

Result<void> TimelineWriter::write_event(const nlohmann::json& event)
{
    return write_line({ { "type", "event" }, { "time", now_text() }, { "event", event } });
}

Result<void> TimelineWriter::sync()
{
    if (::fsync(m_fd.get()) < 0)
        return Error::from_errno("fsync timeline " + m_path, errno);
    return Ok {};
}

namespace {

// One line of a timeline. Recordings are shared between machines, so a line is untrusted: its
// nesting is checked first (json_depth), and errors quote at most 200 bytes of it.
Result<nlohmann::json> parse_line(const std::string& text)
{
    TRY(json_depth::check(text));
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid(std::string("not JSON: ") + strings::shorten(error.what(), 400));
    }
}

} // namespace

Result<TimelineReader> TimelineReader::open(const std::string& path)
{
    std::ifstream stream(path);
    if (!stream)
        return Error::from_errno("open timeline " + path, errno ? errno : ENOENT);
    std::string first;
    if (!std::getline(stream, first))
        return Error::invalid("timeline " + path + " is empty (expected a header line)");
    nlohmann::json header = TRY_CTX(parse_line(first), "timeline " + path + " line 1");
    if (!header.is_object() || header.value("type", "") != "header"
        || header.value("format", "") != timeline_format) {
        return Error::invalid("timeline " + path + " line 1: not a glassbox timeline header");
    }
    int version = header.value("schema_version", 0);
    if (version < 1 || version > snapshot_schema_version) {
        return Error::invalid("timeline " + path + ": schema_version " + std::to_string(version)
            + " is not supported (this build reads 1 to " + std::to_string(snapshot_schema_version) + ")");
    }
    return TimelineReader(path, std::move(stream), version);
}

Result<std::optional<TimelineEntry>> TimelineReader::next()
{
    std::string text;
    while (std::getline(m_stream, text)) {
        ++m_line;
        if (strings::trim(text).empty())
            continue;
        auto where = "timeline " + m_path + " line " + std::to_string(m_line);
        nlohmann::json line = TRY_CTX(parse_line(text), where);
        if (!line.is_object() || !line.contains("type") || !line["type"].is_string())
            return Error::invalid(where + ": missing string field \"type\"");
        TimelineEntry entry;
        entry.time = line.value("time", "");
        auto type = line["type"].get<std::string>();
        if (type == "snapshot") {
            if (!line.contains("snapshot"))
                return Error::invalid(where + ": snapshot entry without \"snapshot\"");
            entry.type = TimelineEntry::Type::Snapshot;
            entry.snapshot = TRY_CTX(snapshot_from_json(line["snapshot"]), where);
        } else if (type == "event") {
            entry.type = TimelineEntry::Type::Event;
            entry.event = line.value("event", nlohmann::json::object());
        } else {
            return Error::invalid(where + ": unknown entry type \"" + type + "\"");
        }
        return std::optional<TimelineEntry>(std::move(entry));
    }
    return std::optional<TimelineEntry> {};
}

Result<std::vector<TimelineEntry>> read_timeline(const std::string& path)
{
    auto reader = TRY(TimelineReader::open(path));
    std::vector<TimelineEntry> entries;
    while (true) {
        auto entry = TRY(reader.next());
        if (!entry)
            break;
        entries.push_back(std::move(*entry));
    }
    return entries;
}

} // namespace engine::state
