// Output hub: json-file logging and fan-out to attached clients.
#include "engine/daemon/output.h"

#include <deque>

#include <nlohmann/json.hpp>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::daemon {

void OutputHub::Subscriber::finish()
{
    std::lock_guard lock(mutex);
    done = true;
    cv.notify_all();
}

void OutputHub::Subscriber::wait()
{
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done; });
}

OutputHub::OutputHub(std::string log_path)
    : m_log_path(std::move(log_path))
{
    m_log = std::fopen(m_log_path.c_str(), "ae");
}

OutputHub::~OutputHub()
{
    if (m_log)
        std::fclose(m_log);
}

void OutputHub::append_log(StreamKind stream, std::string_view line, std::chrono::system_clock::time_point when)
{
    if (!m_log)
        return;
    nlohmann::json entry = {
        { "log", std::string(line) },
        { "stream", stream == StreamKind::Stderr ? "stderr" : "stdout" },
        { "time", strings::rfc3339_nano(when) },
    };
    auto text = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), m_log);
    std::fflush(m_log);
}

void OutputHub::deliver(StreamKind stream, std::string_view data, bool log)
{
    std::lock_guard lock(m_mutex);
    if (log) {
        // One log entry per line, as Docker's json-file driver writes them.
        auto now = std::chrono::system_clock::now();
        size_t start = 0;
        while (start < data.size()) {
            auto newline = data.find('\n', start);
            size_t end = newline == std::string_view::npos ? data.size() : newline + 1;
            append_log(stream, data.substr(start, end - start), now);
            start = end;
        }
    }
    for (auto& subscriber : m_subscribers) {
        if (subscriber->failed)
            continue;
        if ((stream == StreamKind::Stdout && !subscriber->want_stdout) || (stream == StreamKind::Stderr && !subscriber->want_stderr))
            continue;
        if (!subscriber->sink->write(stream, data)) {
            subscriber->failed = true;
            subscriber->finish();
        }
    }
}

void OutputHub::end_of_run()
{
    std::vector<std::shared_ptr<Subscriber>> ended;
    {
        std::lock_guard lock(m_mutex);
        ended.swap(m_subscribers);
    }
    for (auto& subscriber : ended)
        subscriber->finish();
}

std::shared_ptr<OutputHub::Subscriber> OutputHub::subscribe(std::shared_ptr<OutputSink> sink, bool want_stdout, bool want_stderr)
{
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->sink = std::move(sink);
    subscriber->want_stdout = want_stdout;
    subscriber->want_stderr = want_stderr;
    std::lock_guard lock(m_mutex);
    m_subscribers.push_back(subscriber);
    return subscriber;
}

void OutputHub::unsubscribe(const std::shared_ptr<Subscriber>& subscriber)
{
    {
        std::lock_guard lock(m_mutex);
        std::erase(m_subscribers, subscriber);
    }
    subscriber->finish();
}

std::shared_ptr<OutputHub::Subscriber> OutputHub::replay(const LogOptions& options, OutputSink& sink,
    bool subscribe_after, std::shared_ptr<OutputSink> live_sink)
{
    std::lock_guard lock(m_mutex);
    auto text = fs::read_file(m_log_path);
    if (text.ok()) {
        struct Line {
            StreamKind stream;
            std::string data;
        };
        std::deque<Line> lines;
        for (const auto& raw : strings::split(text.value(), '\n')) {
            if (raw.empty())
                continue;
            try {
                auto entry = nlohmann::json::parse(raw);
                auto stream = entry.value("stream", "stdout") == "stderr" ? StreamKind::Stderr : StreamKind::Stdout;
                if ((stream == StreamKind::Stdout && !options.stdout_stream) || (stream == StreamKind::Stderr && !options.stderr_stream))
                    continue;
                auto time_text = entry.value("time", "");
                std::chrono::system_clock::time_point when;
                if (strings::parse_rfc3339(time_text, when)) {
                    if (options.since && when < *options.since)
                        continue;
                    if (options.until && when > *options.until)
                        continue;
                }
                auto data = entry.value("log", "");
                if (options.timestamps)
                    data = time_text + " " + data;
                lines.push_back({ stream, std::move(data) });
                if (options.tail && lines.size() > *options.tail)
                    lines.pop_front();
            } catch (const nlohmann::json::exception&) {
                continue; // A torn last line after a crash; skip it.
            }
        }
        if (options.tail && *options.tail == 0)
            lines.clear();
        for (const auto& line : lines)
            if (!sink.write(line.stream, line.data))
                return nullptr;
    }
    if (!subscribe_after)
        return nullptr;
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->sink = std::move(live_sink);
    subscriber->want_stdout = options.stdout_stream;
    subscriber->want_stderr = options.stderr_stream;
    m_subscribers.push_back(subscriber);
    return subscriber;
}

} // namespace engine::daemon
