// Output sinks and the hijacked attach/exec session. Framing is Docker's: an 8-byte header
// [stream, 0, 0, 0, size as big-endian uint32] before each payload, unless the process has a TTY.
#include "engine/api/handlers/streams.h"

#include "engine/api/handlers/handlers.h"
#include "engine/base/fs.h"
#include "engine/base/strings.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cerrno>
#include <optional>
#include <thread>

namespace engine::api::handlers {

// [SECTION] SocketSink.

// Sends one piece of output. The first piece goes out at least 20 ms after the response head:
// docker-py reads the head through a buffered reader and then switches to the raw socket, so
// output that arrived in the same read as the head would be lost to it.
bool SocketSink::send_locked(daemon::StreamKind stream, std::string_view data)
{
    if (m_closed)
        return false;
    if (data.empty())
        return true;
    if (!m_sent_any) {
        m_sent_any = true;
        auto ready = m_opened_at + std::chrono::milliseconds(20);
        if (std::chrono::steady_clock::now() < ready)
            std::this_thread::sleep_until(ready);
    }
    bool ok = m_multiplexed ? send_all(m_fd, encode_frame(static_cast<std::uint8_t>(stream), data)) : send_all(m_fd, data);
    if (!ok)
        m_closed = true;
    return ok;
}

bool SocketSink::write(daemon::StreamKind stream, std::string_view data)
{
    std::lock_guard lock(m_mutex);
    if (m_closed)
        return false;
    if (!m_open) {
        m_pending.emplace_back(stream, std::string(data));
        return true;
    }
    return send_locked(stream, data);
}

void SocketSink::open(bool multiplexed)
{
    std::lock_guard lock(m_mutex);
    m_multiplexed = multiplexed;
    m_open = true;
    m_opened_at = std::chrono::steady_clock::now();
    for (auto& [stream, data] : m_pending)
        send_locked(stream, data);
    m_pending.clear();
}

void SocketSink::close()
{
    std::lock_guard lock(m_mutex);
    m_closed = true;
    m_pending.clear();
}

// [SECTION] ChunkSink.

bool ChunkSink::write(daemon::StreamKind stream, std::string_view data)
{
    std::lock_guard lock(m_mutex);
    if (!m_exchange.responded())
        m_exchange.start_stream(200, "");
    if (m_multiplexed)
        return m_exchange.write_chunk(encode_frame(static_cast<std::uint8_t>(stream), data));
    return m_exchange.write_chunk(data);
}

void ChunkSink::start()
{
    std::lock_guard lock(m_mutex);
    if (!m_exchange.responded())
        m_exchange.start_stream(200, "");
}

void ChunkSink::finish()
{
    std::lock_guard lock(m_mutex);
    if (!m_exchange.responded())
        m_exchange.start_stream(200, "");
    m_exchange.end_stream();
}

// [SECTION] Detach keys.

Result<std::string> parse_detach_keys(std::string_view keys)
{
    // The control characters in code order, as Docker names them.
    static constexpr std::string_view ctrl_names[] = { "ctrl-@", "ctrl-a", "ctrl-b", "ctrl-c", "ctrl-d", "ctrl-e",
        "ctrl-f", "ctrl-g", "ctrl-h", "ctrl-i", "ctrl-j", "ctrl-k", "ctrl-l", "ctrl-m", "ctrl-n", "ctrl-o", "ctrl-p",
        "ctrl-q", "ctrl-r", "ctrl-s", "ctrl-t", "ctrl-u", "ctrl-v", "ctrl-w", "ctrl-x", "ctrl-y", "ctrl-z", "ctrl-[",
        "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_" };
    if (keys.empty())
        keys = k_default_detach_keys;
    std::string bytes;
    for (const auto& key : strings::split(std::string(keys), ',')) {
        if (key.size() == 1) {
            bytes += key[0];
            continue;
        }
        auto* found = std::find(std::begin(ctrl_names), std::end(ctrl_names), key);
        if (found != std::end(ctrl_names))
            bytes += static_cast<char>(found - std::begin(ctrl_names));
        else if (key == "DEL")
            bytes += '\x7f';
        else
            return Error::invalid("Unknown character: '" + quote_for_error(key) + "'");
    }
    return bytes;
}

std::string DetachScanner::feed(std::string_view input)
{
    std::string out;
    if (m_detached)
        return out;
    out.reserve(input.size());
    for (char c : input) {
        if (m_keys.empty()) {
            out += c;
            continue;
        }
        if (c == m_keys[m_matched]) {
            if (++m_matched == m_keys.size()) {
                m_detached = true;
                return out;
            }
            continue;
        }
        // dockerd's proxy releases what it held and the byte that broke the match, without
        // looking at that byte again ("\x10\x10\x11" does not detach).
        out.append(m_keys, 0, m_matched);
        out += c;
        m_matched = 0;
    }
    return out;
}

// [SECTION] Hijacked session.

Result<void> run_hijacked_session(Exchange& exchange, bool with_stdin,
    const std::function<Result<daemon::Engine::Attachment>(std::shared_ptr<daemon::OutputSink>)>& connect,
    const std::string& detach_keys)
{
    auto sink = std::make_shared<SocketSink>(exchange.fd());
    auto attachment = TRY(connect(sink));

    std::string early;
    int fd = exchange.hijack(early, exchange.request().wants_upgrade());
    sink->open(!attachment.tty);

    // dockerd looks for the detach keys only in a TTY session's input.
    std::optional<DetachScanner> scanner;
    if (with_stdin && attachment.tty && !detach_keys.empty())
        scanner.emplace(detach_keys);
    std::atomic<bool> finished { false };
    // Client gone or detached: stop sending to it and let the process run on.
    auto leave = [&] {
        if (!finished.load()) {
            sink->close();
            if (attachment.detach)
                attachment.detach();
        }
    };
    // Passes client bytes to the process; false once the client typed the detach keys.
    auto forward = [&](std::string_view data) {
        if (!with_stdin || !attachment.write_stdin)
            return true;
        if (!scanner) {
            attachment.write_stdin(data);
            return true;
        }
        auto passed = scanner->feed(data);
        if (!passed.empty())
            attachment.write_stdin(passed);
        return !scanner->detached();
    };

    // Stdin: bytes that came with the request first, then whatever the client sends. The
    // client's half-close (EOF) closes the process's stdin and ends only this direction.
    bool detached = !early.empty() && !forward(early);
    if (detached)
        leave();
    std::thread reader([&] {
        if (detached)
            return;
        char buffer[16384];
        for (;;) {
            ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n == 0) {
                if (with_stdin && attachment.close_stdin)
                    attachment.close_stdin();
                // EOF is either the client's half-close (it still reads output) or a full close.
                // A Unix stream socket reports POLLHUP only once both directions are shut, which
                // is the full close (or our own shutdown once the output ended).
                for (;;) {
                    pollfd pfd { .fd = fd, .events = 0, .revents = 0 };
                    int ready = ::poll(&pfd, 1, -1);
                    if (ready < 0 && errno == EINTR)
                        continue;
                    if (ready < 0 || (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
                        break;
                }
            }
            // A reset or a full close: the client is gone.
            if (n <= 0 || !forward(std::string_view(buffer, static_cast<size_t>(n)))) {
                leave();
                return;
            }
        }
    });

    // Output until the process's output has ended (or the client left), then close after
    // everything was flushed (send_all returns only once the kernel has the bytes).
    if (attachment.wait_done)
        attachment.wait_done();
    finished.store(true);
    sink->close();
    ::shutdown(fd, SHUT_RDWR);
    reader.join();
    return Ok {};
}

// [SECTION] Small request helpers shared by the handlers.

Result<std::pair<int, int>> terminal_size(const Request& request)
{
    // dockerd parses h and w with Go's strconv.Atoi and answers its error as a 400.
    auto dimension = [&](std::string_view name) -> Result<int> {
        auto text = request.query_value(name).value_or("");
        int value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size())
            return Error::invalid("strconv.Atoi: parsing \"" + quote_for_error(text) + "\": invalid syntax");
        if (ec != std::errc() || value < 0 || value > 65535)
            return Error::invalid("resize: " + std::string(name) + " must be between 0 and 65535, not " + quote_for_error(text));
        return value;
    };
    auto h = TRY(dimension("h"));
    auto w = TRY(dimension("w"));
    return std::pair { h, w };
}

Result<TempFile> TempFile::create(daemon::Engine& engine, const std::string& suffix)
{
    auto dir = engine.options().root + "/tmp";
    TRY_CTX(fs::make_dirs(dir, 0700), "create " + dir);
    return TempFile(dir + "/api-" + strings::random_hex_id(16) + suffix);
}

TempFile::~TempFile()
{
    if (!m_path.empty())
        ::unlink(m_path.c_str());
}

Result<void> stream_file(Exchange& ex, const std::string& path)
{
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.valid())
        return Error::from_errno("open " + path, errno);
    if (!ex.start_stream(200, "application/x-tar"))
        return Ok {};
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(file.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (!ex.write_chunk(std::string_view(buffer, static_cast<size_t>(n))))
            return Ok {}; // The client left; nothing more to do.
    }
    ex.end_stream();
    return Ok {};
}

} // namespace engine::api::handlers
