// Live source (live_source.h).
#include "visualizer/sources/live_source.h"

#include <chrono>

#include "engine/api/client.h"
#include "engine/state/snapshot_json.h"
#include "visualizer/sources/build_events.h"

namespace visualizer {

LiveSource::LiveSource(std::string socket_path)
    : m_socket_path(std::move(socket_path))
    , m_lessons(m_socket_path)
{
    m_frame.snapshot = empty_snapshot();
    m_frame.connected = false;
    m_frame.status = "connecting to " + m_socket_path;
    m_slot.store(m_frame);
}

LiveSource::~LiveSource() { stop(); }

void LiveSource::start()
{
    m_thread = std::thread([this] { run(); });
}

void LiveSource::stop()
{
    m_stop = true;
    m_wait.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void LiveSource::publish()
{
    m_slot.store(m_frame);
    notify();
}

void LiveSource::set_disconnected(const std::string& reason)
{
    if (!m_frame.connected && m_frame.status == "disconnected: " + reason)
        return;
    m_frame.connected = false;
    m_frame.status = "disconnected: " + reason;
    publish();
}

void LiveSource::handle_line(const nlohmann::json& line)
{
    if (!line.is_object())
        return;
    bool changed = false;
    if (!m_frame.connected) {
        m_frame.connected = true;
        m_frame.status = "connected";
        changed = true;
    }
    auto type = line.value("type", "");
    if (type == "snapshot" && line.contains("snapshot")) {
        auto parsed = engine::state::snapshot_from_json(line["snapshot"]);
        if (!parsed.ok()) {
            m_frame.status = "connected; bad snapshot: " + parsed.error().describe();
            publish();
            return;
        }
        auto snapshot = std::make_shared<const engine::state::Snapshot>(parsed.release_value());
        // Diff against the previous snapshot here, on the source thread, never in a frame.
        if (m_frame.snapshot && m_frame.snapshot != empty_snapshot()) {
            engine::state::DiffOptions options;
            options.glassbox_only = true;
            auto diff = std::make_shared<const engine::state::Diff>(engine::state::diff_snapshots(*m_frame.snapshot, *snapshot, options));
            if (!diff->changes.empty()) {
                m_frame.marks = marks_for(*diff);
                m_frame.diff = diff;
                m_frame.changed_at = monotonic_seconds();
            }
        }
        m_frame.snapshot = snapshot;
        // The learner's lesson step, checked against this very snapshot.
        m_frame.lesson = m_lessons.evaluate(line["snapshot"]);
        changed = true;
    } else if (const auto* event = docker_event_of(line); event && is_build_event(*event)) {
        m_frame.build = apply_build_event(m_frame.build, *event);
        changed = true;
    } else if (type == "warning") {
        m_frame.status = "connected; warning: " + line.value("message", "");
        changed = true;
    }
    if (changed)
        publish();
}

void LiveSource::run()
{
    using namespace std::chrono_literals;
    while (!m_stop) {
        engine::api::Client client(m_socket_path);
        std::string pending;
        auto result = client.stream("GET", engine::api::Client::versioned("/glassbox/v1/events?snapshots=1"), {},
            [&](std::string_view data) {
                pending.append(data);
                size_t start = 0;
                for (size_t newline; (newline = pending.find('\n', start)) != std::string::npos; start = newline + 1) {
                    std::string_view text(pending.data() + start, newline - start);
                    if (text.empty())
                        continue;
                    try {
                        handle_line(nlohmann::json::parse(text));
                    } catch (const nlohmann::json::exception& error) {
                        m_frame.status = std::string("connected; bad line from the daemon: ") + error.what();
                        publish();
                    }
                }
                pending.erase(0, start);
                return !m_stop.load();
            });
        if (m_stop)
            break;
        set_disconnected(result.ok() ? "the daemon closed the stream" : result.error().describe());
        // Retry each second until the daemon is back.
        std::unique_lock lock(m_wait_mutex);
        m_wait.wait_for(lock, 1s, [&] { return m_stop.load(); });
    }
}

} // namespace visualizer
