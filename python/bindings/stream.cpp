// Stream: a worker thread fills a bounded queue from api::Client::stream (see stream.h). The queue
// holds at most k_max_pieces pieces; a chatty container whose logs nobody reads then blocks the
// worker (which holds no GIL), not the notebook's memory.
#include "python/bindings/stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>

#include "engine/base/fd.h"
#include "python/bindings/call.h"
#include "python/bindings/errors.h"
#include "python/bindings/json_convert.h"

namespace glassbox_py {

namespace {

constexpr size_t k_max_pieces = 1024;
constexpr auto k_slice = std::chrono::milliseconds(50);

struct Piece {
    int stream { 0 };
    std::string data;
    nlohmann::json json;
};

} // namespace

struct Stream::Shared {
    CallState call;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Piece> pieces;
    bool done { false };
    bool closed { false };
    std::optional<engine::Error> error;

    // Called by the worker; waits while the queue is full. False once the reader closed.
    bool push(Piece piece)
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return pieces.size() < k_max_pieces || closed; });
        if (closed)
            return false;
        pieces.push_back(std::move(piece));
        changed.notify_all();
        return true;
    }
};

namespace {

void run_stream(engine::api::Client& client, const StreamRequest& request, Stream::Shared& shared)
{
    std::string pending;
    std::optional<engine::Error> failure;
    engine::api::FrameDemuxer demuxer([&](engine::api::StreamKind kind, std::string_view payload) {
        if (!shared.push(Piece { static_cast<int>(kind), std::string(payload), {} }))
            failure = engine::Error::system("closed");
    });
    auto sink = [&](std::string_view data) -> bool {
        switch (request.mode) {
        case StreamMode::Raw:
            return shared.push(Piece { 0, std::string(data), {} });
        case StreamMode::Multiplexed:
            if (auto fed = demuxer.feed(data); !fed.ok()) {
                failure = fed.release_error();
                return false;
            }
            return !failure;
        case StreamMode::JsonLines:
            pending.append(data);
            for (size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
                std::string line = pending.substr(0, newline);
                pending.erase(0, newline + 1);
                if (line.find_first_not_of(" \r\t") == std::string::npos)
                    continue;
                auto json = nlohmann::json::parse(line, nullptr, false);
                if (json.is_discarded()) {
                    failure = engine::Error::invalid(
                        "daemon sent a line that is not JSON: " + line.substr(0, 200));
                    return false;
                }
                if (!shared.push(Piece { 0, {}, std::move(json) }))
                    return false;
            }
            return true;
        }
        return true;
    };

    engine::api::RequestBody body;
    body.content_type = request.content_type;
    engine::UniqueFd file;
    if (!request.body_file.empty()) {
        file.reset(::open(request.body_file.c_str(), O_RDONLY | O_CLOEXEC));
        if (!file.valid()) {
            failure = engine::Error::from_errno("open " + request.body_file, errno);
        } else {
            off_t size = ::lseek(file.get(), 0, SEEK_END);
            ::lseek(file.get(), 0, SEEK_SET);
            if (size >= 0)
                body.length = static_cast<std::uint64_t>(size);
            int fd = file.get();
            body.source = [fd, path = request.body_file](
                              char* buffer, size_t capacity) -> engine::Result<size_t> {
                for (;;) {
                    ssize_t got = ::read(fd, buffer, capacity);
                    if (got >= 0)
                        return static_cast<size_t>(got);
                    if (errno != EINTR)
                        return engine::Error::from_errno("read " + path, errno);
                }
            };
        }
    } else {
        body.data = request.body;
    }
    if (!failure) {
        auto streamed = client.stream(request.method, request.path, body, sink);
        if (!streamed.ok() && !failure)
            failure = streamed.release_error();
        if (!failure && request.mode == StreamMode::JsonLines
            && pending.find_first_not_of(" \r\t\n") != std::string::npos) {
            auto json = nlohmann::json::parse(pending, nullptr, false);
            if (!json.is_discarded())
                shared.push(Piece { 0, {}, std::move(json) });
        }
    }
    std::lock_guard lock(shared.mutex);
    if (failure && !shared.closed)
        shared.error = std::move(failure);
    shared.done = true;
    shared.changed.notify_all();
}

} // namespace

Stream::Stream(std::shared_ptr<engine::api::Client> client, StreamRequest request)
    : m_shared(std::make_shared<Shared>())
    , m_timeout(request.timeout)
    , m_what(request.method + " " + request.path)
{
    if (m_timeout && (*m_timeout < 0 || *m_timeout != *m_timeout))
        raise_error("InvalidArgument", "timeout must be a number of seconds >= 0 or None");
    auto shared = m_shared;
    m_worker = std::thread([shared, client = std::move(client), request = std::move(request)] {
        // Sockets opened on this thread belong to this stream's token (see install_connect_hook).
        run_with_token(shared->call.token, [&] { run_stream(*client, request, *shared); });
    });
    m_started = std::chrono::steady_clock::now();
}

Stream::~Stream()
{
    // Without the GIL there is no Python to call; cancel and join plainly.
    if (m_worker.joinable()) {
        {
            std::lock_guard lock(m_shared->mutex);
            m_shared->closed = true;
        }
        m_shared->changed.notify_all();
        m_shared->call.token.cancel();
        m_worker.join();
    }
}

void Stream::close()
{
    if (!m_worker.joinable())
        return;
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->closed = true;
    }
    m_shared->changed.notify_all();
    m_shared->call.token.cancel();
    py::gil_scoped_release release;
    m_worker.join();
}

py::object Stream::next()
{
    for (;;) {
        std::optional<Piece> piece;
        bool done = false;
        {
            py::gil_scoped_release release;
            std::unique_lock lock(m_shared->mutex);
            m_shared->changed.wait_for(lock, k_slice,
                [&] { return m_shared->done || !m_shared->pieces.empty() || m_shared->closed; });
            if (!m_shared->pieces.empty()) {
                piece = std::move(m_shared->pieces.front());
                m_shared->pieces.pop_front();
                m_shared->changed.notify_all();
            }
            done = m_shared->done || m_shared->closed;
        }
        if (piece) {
            if (!piece->json.is_null())
                return to_python(piece->json);
            if (piece->stream != 0)
                return py::make_tuple(piece->stream, py::bytes(piece->data));
            return py::bytes(piece->data);
        }
        if (done) {
            std::optional<engine::Error> error;
            {
                std::lock_guard lock(m_shared->mutex);
                error = std::exchange(m_shared->error, std::nullopt);
            }
            close();
            if (error)
                raise_engine_error(*error);
            throw py::stop_iteration();
        }
        if (PyErr_CheckSignals() != 0) {
            close();
            throw py::error_already_set();
        }
        if (m_timeout
            && std::chrono::steady_clock::now() - m_started
                >= std::chrono::duration<double>(*m_timeout)) {
            close();
            std::ostringstream seconds;
            seconds << *m_timeout;
            raise_error("Timeout", m_what + " did not finish within " + seconds.str() + " s");
        }
    }
}

} // namespace glassbox_py
