// Replay source (replay_source.h).
#include "visualizer/sources/replay_source.h"

#include <algorithm>
#include <chrono>
#include <fstream>

#include "engine/state/record.h"
#include "visualizer/sources/build_events.h"

namespace visualizer {

using engine::Error;
using engine::Result;

namespace {

// True when the file's last byte is not a newline: a recording cut off mid-line.
bool ends_mid_line(const std::string& path)
{
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    if (!file)
        return false;
    auto size = static_cast<std::streamoff>(file.tellg());
    if (size <= 0)
        return false;
    file.seekg(size - 1);
    char last = 0;
    file.get(last);
    return last != '\n';
}

std::string describe_event(const nlohmann::json& line)
{
    auto type = line.value("type", "");
    if (type == "change")
        return "kernel change";
    const auto* event = docker_event_of(line);
    if (!event)
        return type.empty() ? "entry" : type;
    std::string actor;
    if (event->contains("Actor") && (*event)["Actor"].is_object()) {
        const auto& attributes = (*event)["Actor"].value("Attributes", nlohmann::json::object());
        if (attributes.is_object()) {
            if (attributes.contains("instruction") && attributes["instruction"].is_string())
                actor = "step " + attributes.value("step", "") + ": " + attributes["instruction"].get<std::string>();
            else if (attributes.contains("name") && attributes["name"].is_string())
                actor = attributes["name"].get<std::string>();
        }
    }
    return event->value("Type", "") + " " + event->value("Action", "") + (actor.empty() ? "" : " " + actor);
}

} // namespace

Result<std::unique_ptr<ReplaySource>> ReplaySource::open(const std::string& path)
{
    auto entries = engine::state::read_timeline(path);
    if (!entries.ok()) {
        auto message = entries.error().describe();
        if (ends_mid_line(path))
            return Error::invalid("recording " + path + " is truncated (its last line is cut off): " + message);
        return Error::invalid("recording " + path + " cannot be replayed: " + message);
    }
    std::vector<Frame> frames;
    std::vector<std::string> descriptions;
    Frame frame;
    frame.snapshot = empty_snapshot();
    frame.connected = true;
    bool any_snapshot = false;
    for (auto& entry : entries.value()) {
        if (entry.type == engine::state::TimelineEntry::Type::Snapshot) {
            auto snapshot = std::make_shared<const engine::state::Snapshot>(std::move(entry.snapshot));
            if (any_snapshot) {
                engine::state::DiffOptions options;
                options.glassbox_only = true;
                auto diff = std::make_shared<const engine::state::Diff>(engine::state::diff_snapshots(*frame.snapshot, *snapshot, options));
                frame.diff = diff;
                frame.marks = marks_for(*diff);
            }
            frame.snapshot = snapshot;
            any_snapshot = true;
            descriptions.push_back("snapshot, generation " + std::to_string(snapshot->generation));
        } else {
            if (const auto* event = docker_event_of(entry.event); event && is_build_event(*event))
                frame.build = apply_build_event(frame.build, *event);
            descriptions.push_back(describe_event(entry.event));
        }
        frame.status = entry.time;
        frames.push_back(frame);
    }
    if (!any_snapshot)
        return Error::invalid("recording " + path + " has no snapshot to show (" + std::to_string(frames.size())
            + " entries, none of type \"snapshot\")");
    return std::unique_ptr<ReplaySource>(new ReplaySource(path, std::move(frames), std::move(descriptions)));
}

ReplaySource::ReplaySource(std::string path, std::vector<Frame> frames, std::vector<std::string> descriptions)
    : m_path(std::move(path))
    , m_frames(std::move(frames))
    , m_descriptions(std::move(descriptions))
{
    // Open on the first snapshot, not on an event before it.
    int first = 0;
    while (first + 1 < size() && m_frames[static_cast<size_t>(first)].snapshot == empty_snapshot())
        ++first;
    seek(first);
}

ReplaySource::~ReplaySource() { stop(); }

void ReplaySource::start(double interval_seconds)
{
    m_thread = std::thread([this, interval_seconds] { run(interval_seconds); });
}

void ReplaySource::stop()
{
    m_stop = true;
    m_wait.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void ReplaySource::seek(int position)
{
    position = std::clamp(position, 0, size() - 1);
    m_position = position;
    Frame frame = m_frames[static_cast<size_t>(position)];
    // Highlights restart whenever the student moves, so the step just taken lights up.
    frame.changed_at = monotonic_seconds();
    frame.status = "entry " + std::to_string(position + 1) + " of " + std::to_string(size()) + " (" + frame.status + ")";
    m_slot.store(std::move(frame));
    notify();
}

void ReplaySource::set_playing(bool playing)
{
    if (playing && position() >= size() - 1)
        seek(0);
    m_playing = playing;
    m_wait.notify_all();
}

std::string ReplaySource::describe(int position) const
{
    if (position < 0 || position >= size())
        return {};
    return m_descriptions[static_cast<size_t>(position)];
}

int ReplaySource::position_of_build_step(int step) const
{
    for (int i = 0; i < size(); ++i) {
        const auto& build = m_frames[static_cast<size_t>(i)].build;
        if (!build)
            continue;
        for (const auto& done : build->steps) {
            if (done.step == step)
                return i;
        }
    }
    return -1;
}

void ReplaySource::run(double interval_seconds)
{
    auto interval = std::chrono::duration<double>(interval_seconds);
    std::unique_lock lock(m_wait_mutex);
    while (!m_stop) {
        if (!m_playing) {
            m_wait.wait(lock, [&] { return m_stop.load() || m_playing.load(); });
            continue;
        }
        if (m_wait.wait_for(lock, interval, [&] { return m_stop.load() || !m_playing.load(); }))
            continue;
        if (position() >= size() - 1) {
            m_playing = false;
            notify();
            continue;
        }
        seek(position() + 1);
    }
}

} // namespace visualizer
