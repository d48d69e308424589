// A streamed daemon response read from Python one piece at a time: `for line in stream:`. A worker
// thread reads the socket (api::Client::stream, no GIL) into a bounded queue; __next__ waits for
// the next piece in 50 ms slices, checking Ctrl-C and the deadline, like supervise() in call.h.
// Used for build and load progress (JSON lines), logs (multiplexed frames or raw TTY bytes) and the
// /glassbox/v1/events feed. close() (or leaving a `with` block, or garbage collection) cancels the
// request and joins the worker.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <pybind11/pybind11.h>

#include "engine/api/client.h"

namespace glassbox_py {

namespace py = pybind11;

enum class StreamMode {
    Raw, // bytes as they arrive
    JsonLines, // one dict per non-empty line
    Multiplexed, // (stream, bytes) per frame payload: 1 stdout, 2 stderr (Tty=false logs, attach)
};

struct StreamRequest {
    std::string method;
    std::string path; // Full path, already versioned.
    std::string content_type;
    std::string body; // Sent as is when body_file is empty.
    std::string body_file; // Streamed from this file (tar uploads of any size).
    StreamMode mode { StreamMode::Raw };
    std::optional<double> timeout; // Whole stream, seconds; none = until it ends.
};

class Stream {
public:
    Stream(std::shared_ptr<engine::api::Client> client, StreamRequest request);
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream();

    // The next piece; raises StopIteration at the end, the daemon's error (as a glassbox
    // exception) if the stream failed, glassbox.Timeout past the deadline. Needs the GIL.
    py::object next();
    // Cancels the request and joins the worker. Safe to call twice. Needs the GIL.
    void close();

    struct Shared;

private:
    std::shared_ptr<Shared> m_shared;
    std::thread m_worker;
    std::optional<double> m_timeout;
    std::chrono::steady_clock::time_point m_started;
    std::string m_what;
};

} // namespace glassbox_py
