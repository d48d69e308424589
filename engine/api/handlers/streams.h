// Stream plumbing shared by the container and exec handlers: output sinks that write Docker's
// multiplexed frames (or raw bytes for a TTY) to a hijacked socket or into HTTP chunks, and the
// hijacked session loop (stdin from the client, output to it, close after the process ends).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/http.h"
#include "engine/daemon/engine.h"

namespace engine::api::handlers {

// Writes output to a raw socket. Until open() it buffers, so the engine can be handed the sink
// before the "101 UPGRADED" head has gone out. After close() every write fails, so an engine
// thread never writes to a descriptor the connection has already closed (and maybe reused).
class SocketSink final : public daemon::OutputSink {
public:
    explicit SocketSink(int fd)
        : m_fd(fd)
    {
    }
    bool write(daemon::StreamKind stream, std::string_view data) override;
    // Sends what was buffered, framed (multiplexed) or raw (TTY).
    void open(bool multiplexed);
    void close();

private:
    std::mutex m_mutex;
    int m_fd;
    bool m_open { false };
    bool m_closed { false };
    bool m_multiplexed { true };
    std::vector<std::pair<daemon::StreamKind, std::string>> m_pending;
    std::chrono::steady_clock::time_point m_opened_at;
    bool m_sent_any { false };
    bool send_locked(daemon::StreamKind stream, std::string_view data);
};

// Writes output as HTTP chunks, one frame per chunk (logs). Starts the chunked response on the
// first write unless it was started already.
class ChunkSink final : public daemon::OutputSink {
public:
    ChunkSink(Exchange& exchange, bool multiplexed)
        : m_exchange(exchange)
        , m_multiplexed(multiplexed)
    {
    }
    bool write(daemon::StreamKind stream, std::string_view data) override;
    void start();
    void finish();

private:
    std::mutex m_mutex;
    Exchange& m_exchange;
    bool m_multiplexed;
};

// [SECTION] Detach keys.

// Docker's default detach sequence (ctrl-p then ctrl-q).
inline constexpr std::string_view k_default_detach_keys = "ctrl-p,ctrl-q";

// The bytes of a detach sequence as Docker writes it: comma-separated keys, each one character,
// "ctrl-@", "ctrl-a" ... "ctrl-z", "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_" or "DEL"
// ("ctrl-p,ctrl-q" -> "\x10\x11"); "" is the default. InvalidArgument quotes the key that is not
// one of those.
Result<std::string> parse_detach_keys(std::string_view keys);

// Finds the detach sequence in what a client types, as dockerd's escape proxy does: bytes that
// match the sequence so far are held back (also across reads); a byte that breaks the match
// releases them, itself included, and is not taken as the start of a new match; the whole
// sequence ends the session and nothing after it is passed on.
class DetachScanner {
public:
    explicit DetachScanner(std::string keys)
        : m_keys(std::move(keys))
    {
    }
    // The part of `input` to pass to the process.
    std::string feed(std::string_view input);
    [[nodiscard]] bool detached() const { return m_detached; }

private:
    std::string m_keys;
    std::size_t m_matched { 0 };
    bool m_detached { false };
};

// [SECTION] Hijacked session.

// Runs an attach or exec session on a hijacked connection: `connect(sink)` attaches the engine
// (errors come back as HTTP errors, before the upgrade); then the head goes out ("101 UPGRADED",
// or "200 OK" with a raw stream when the client did not ask to upgrade), stdin from the client
// goes to the process (the client's half-close closes stdin and is not a disconnect), and output
// goes to the client until the process's output ends. With `detach_keys` (bytes, from
// parse_detach_keys) and a TTY, typing them detaches: the connection closes and the process runs
// on, as under dockerd, which looks for them only when the process has a TTY.
Result<void> run_hijacked_session(Exchange& exchange, bool with_stdin,
    const std::function<Result<daemon::Engine::Attachment>(std::shared_ptr<daemon::OutputSink>)>& connect,
    const std::string& detach_keys = {});

// A temporary file under <root>/tmp that is removed when this goes out of scope (tar bodies and
// tar answers: load, import, save, container archive and export).
class TempFile {
public:
    static Result<TempFile> create(daemon::Engine& engine, const std::string& suffix);
    TempFile(TempFile&& other) noexcept
        : m_path(std::exchange(other.m_path, std::string()))
    {
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    TempFile& operator=(TempFile&&) = delete;
    ~TempFile();
    [[nodiscard]] const std::string& path() const { return m_path; }

private:
    explicit TempFile(std::string path)
        : m_path(std::move(path))
    {
    }
    std::string m_path;
};

// Sends a file as a chunked application/x-tar response.
Result<void> stream_file(Exchange& exchange, const std::string& path);

} // namespace engine::api::handlers
