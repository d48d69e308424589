// _glassbox.Client: api::Client (engine/api/client.h) for Python. Every method takes a timeout in
// seconds (None = no limit) and runs through run_blocking (call.h): the GIL is released while the
// socket is read, Ctrl-C cancels, and HTTP error statuses become glassbox exceptions by status
// (errors.h). Plain endpoints go through request(); the pure-Python layer builds docker-py's
// collections on it. What needs C++ is here: exec (a hijacked stream, demultiplexed), snapshots
// and diffs parsed into the engine's own types, the events feed recorded into a timeline file with
// the engine's TimelineWriter, and streamed responses (stream.h).
#include <atomic>
#include <chrono>
#include <thread>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "engine/api/client.h"
#include "engine/state/diff.h"
#include "engine/state/record.h"
#include "engine/state/snapshot_json.h"
#include "python/bindings/call.h"
#include "python/bindings/errors.h"
#include "python/bindings/json_convert.h"
#include "python/bindings/module.h"
#include "python/bindings/stream.h"

namespace glassbox_py {

namespace {

using engine::Result;
using engine::api::HttpResponse;
using engine::api::Json;

constexpr double k_default_timeout = 60.0;

// Raises the glassbox exception for an HTTP error answer. Needs the GIL.
[[noreturn]] void raise_http_error(const HttpResponse& response)
{
    auto error = engine::api::error_from_response(response.status, response.reason, response.body);
    std::string message = error.message();
    if (message.rfind(engine::api::k_daemon_error_prefix, 0) == 0)
        message.erase(0, engine::api::k_daemon_error_prefix.size());
    raise_error(kind_for_status(response.status), message, response.status);
}

// The body of a successful answer: JSON when it parses, else text, None when empty. Needs the GIL.
py::object answer_body(const HttpResponse& response)
{
    if (response.body.empty())
        return py::none();
    auto json = Json::parse(response.body, nullptr, false);
    if (!json.is_discarded())
        return to_python(json);
    return py::str(response.body);
}

engine::api::RequestBody request_body(py::handle body, const std::string& content_type)
{
    engine::api::RequestBody out;
    if (body.is_none())
        return out;
    if (py::isinstance<py::bytes>(body)) {
        out.data = body.cast<std::string>();
        out.content_type = content_type.empty() ? "application/octet-stream" : content_type;
    } else if (py::isinstance<py::str>(body)) {
        out.data = body.cast<std::string>();
        out.content_type = content_type.empty() ? "text/plain" : content_type;
    } else {
        out.data = from_python(body).dump();
        out.content_type = content_type.empty() ? "application/json" : content_type;
    }
    return out;
}

struct ExecResult {
    std::optional<std::int64_t> exit_code;
    std::string stdout_bytes;
    std::string stderr_bytes;
};

Result<ExecResult> exec_in(const engine::api::Client& client, const std::string& container,
    const Json& body, bool tty, bool detach)
{
    auto id = TRY(client.create_exec(container, body));
    ExecResult result;
    if (detach) {
        TRY(client.start_exec_detached(id));
        return result;
    }
    auto stream = TRY(client.start_exec_attached(id, tty));
    engine::api::FrameDemuxer demuxer([&](engine::api::StreamKind kind, std::string_view payload) {
        (kind == engine::api::StreamKind::Stderr ? result.stderr_bytes : result.stdout_bytes)
            .append(payload);
    });
    char buffer[64 * 1024];
    for (;;) {
        size_t got = TRY(stream.read(buffer, sizeof buffer));
        if (got == 0)
            break;
        if (tty)
            result.stdout_bytes.append(buffer, got);
        else
            TRY(demuxer.feed(std::string_view(buffer, got)));
    }
    // The exit code lands in the exec record just after the stream closes; docker-py reads it the
    // same way (inspect after the output ends) and may see null for a moment.
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto info = TRY(client.inspect_exec(id));
        if (!info.value("Running", false) && info.contains("ExitCode")
            && info["ExitCode"].is_number_integer()) {
            result.exit_code = info["ExitCode"].get<std::int64_t>();
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return result;
}

// Records the events feed (with snapshots) into a timeline file until stopped.
class Recording {
public:
    Recording(std::shared_ptr<engine::api::Client> client, std::string path, bool all)
        : m_path(std::move(path))
    {
        auto writer = engine::state::TimelineWriter::create(m_path);
        if (!writer.ok())
            raise_engine_error(writer.error());
        m_writer.emplace(writer.release_value());
        std::string query = std::string("/glassbox/v1/events?snapshots=1") + (all ? "&all=1" : "");
        m_worker = std::thread([this, client = std::move(client), query] {
            run_with_token(
                m_token, [&] { record(*client, engine::api::Client::versioned(query)); });
        });
    }
    Recording(const Recording&) = delete;
    Recording& operator=(const Recording&) = delete;
    ~Recording()
    {
        if (m_worker.joinable()) {
            m_token.cancel();
            m_worker.join();
        }
    }

    // Waits until the first snapshot is in the file, so what the caller does next is recorded
    // against a "before". Needs the GIL.
    void wait_started(std::optional<double> timeout)
    {
        auto deadline = std::chrono::steady_clock::now()
            + std::chrono::duration<double>(timeout.value_or(30.0));
        while (m_snapshots.load() == 0 && !m_finished.load()) {
            {
                py::gil_scoped_release release;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            if (PyErr_CheckSignals() != 0) {
                stop_now();
                throw py::error_already_set();
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                stop_now();
                raise_error(
                    "Timeout", "recording " + m_path + ": the daemon sent no snapshot in time");
            }
        }
        if (m_finished.load() && m_error) {
            stop_now();
            raise_engine_error(*m_error);
        }
    }

    // Lets the daemon catch up (until its next idle tick, at most `settle` seconds), then ends the
    // stream, syncs the file and returns the counts. Needs the GIL.
    py::dict stop(double settle)
    {
        m_stopping_since_ticks = m_ticks.load();
        m_stopping.store(true);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(settle);
        while (!m_finished.load() && std::chrono::steady_clock::now() < deadline) {
            py::gil_scoped_release release;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        stop_now();
        if (m_error)
            raise_engine_error(*m_error);
        py::dict counts;
        counts["path"] = m_path;
        counts["snapshots"] = m_snapshots.load();
        counts["events"] = m_events.load();
        counts["changes"] = m_changes.load();
        return counts;
    }

    [[nodiscard]] bool active() const { return m_worker.joinable() && !m_finished.load(); }
    [[nodiscard]] const std::string& path() const { return m_path; }

private:
    void stop_now()
    {
        if (!m_worker.joinable())
            return;
        m_cancelled.store(true);
        m_token.cancel();
        {
            py::gil_scoped_release release;
            m_worker.join();
        }
        if (auto synced = m_writer->sync(); !synced.ok() && !m_error)
            m_error = synced.release_error();
    }

    void record(const engine::api::Client& client, const std::string& path)
    {
        std::string pending;
        auto streamed = client.stream("GET", path, {}, [&](std::string_view data) {
            pending.append(data);
            for (size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
                std::string text = pending.substr(0, newline);
                pending.erase(0, newline + 1);
                auto line = Json::parse(text, nullptr, false);
                if (line.is_discarded() || !line.is_object())
                    continue;
                if (auto written = record_line(line); !written.ok()) {
                    m_error = written.release_error();
                    return false;
                }
            }
            return !(m_stopping.load() && m_ticks.load() > m_stopping_since_ticks);
        });
        if (!streamed.ok() && !m_cancelled.load() && !m_error)
            m_error = streamed.release_error();
        m_finished.store(true);
    }

    Result<void> record_line(const Json& line)
    {
        auto type = line.value("type", std::string());
        if (type == "snapshot") {
            auto snapshot
                = TRY(engine::state::snapshot_from_json(line.value("snapshot", Json::object())));
            TRY(m_writer->write_snapshot(snapshot));
            ++m_snapshots;
        } else if (type == "event" || type == "change") {
            TRY(m_writer->write_event(line));
            ++(type == "event" ? m_events : m_changes);
        } else if (type == "tick") {
            ++m_ticks;
        }
        return engine::Ok {};
    }

    std::string m_path;
    std::optional<engine::state::TimelineWriter> m_writer;
    CancelToken m_token;
    std::thread m_worker;
    std::atomic<int> m_snapshots { 0 };
    std::atomic<int> m_events { 0 };
    std::atomic<int> m_changes { 0 };
    std::atomic<int> m_ticks { 0 };
    int m_stopping_since_ticks { 0 };
    std::atomic<bool> m_stopping { false };
    std::atomic<bool> m_cancelled { false };
    std::atomic<bool> m_finished { false };
    std::optional<engine::Error> m_error;
};

class PyClient {
public:
    explicit PyClient(const std::string& host)
        : m_client(std::make_shared<engine::api::Client>(
            unwrap(engine::api::Client::socket_path_from_host(host))))
    {
        install_connect_hook(*m_client);
    }

    [[nodiscard]] const std::string& socket_path() const { return m_client->socket_path(); }

    py::object request(const std::string& method, const std::string& path, py::handle body,
        const std::string& content_type, std::optional<double> timeout, bool versioned)
    {
        auto prepared = request_body(body, content_type);
        std::string full = versioned ? engine::api::Client::versioned(path) : path;
        auto response = run_blocking<HttpResponse>(method + " " + path, timeout,
            [&](CallState&) { return m_client->request(method, full, prepared); });
        if (response.status >= 300)
            raise_http_error(response);
        return answer_body(response);
    }

    bool ping(std::optional<double> timeout)
    {
        auto response = run_blocking<HttpResponse>(
            "ping", timeout, [&](CallState&) { return m_client->request("GET", "/_ping"); });
        if (response.status >= 300)
            raise_http_error(response);
        return true;
    }

    py::tuple exec_run(const std::string& container, py::handle cmd, bool tty,
        const std::string& user, py::handle environment, const std::string& workdir,
        bool privileged, bool detach, std::optional<double> timeout)
    {
        Json body = {
            { "AttachStdin", false },
            { "AttachStdout", !detach },
            { "AttachStderr", !detach },
            { "Tty", tty },
            { "Privileged", privileged },
        };
        if (py::isinstance<py::str>(cmd))
            body["Cmd"] = Json::array({ "/bin/sh", "-c", cmd.cast<std::string>() });
        else
            body["Cmd"] = from_python(cmd);
        if (!user.empty())
            body["User"] = user;
        if (!workdir.empty())
            body["WorkingDir"] = workdir;
        if (!environment.is_none()) {
            if (py::isinstance<py::dict>(environment)) {
                Json env = Json::array();
                for (const auto& [key, value] : environment.cast<py::dict>())
                    env.push_back(py::str(key).cast<std::string>() + "="
                        + py::str(value).cast<std::string>());
                body["Env"] = env;
            } else {
                body["Env"] = from_python(environment);
            }
        }
        auto result = run_blocking<ExecResult>("exec in " + container, timeout,
            [&](CallState&) { return exec_in(*m_client, container, body, tty, detach); });
        py::object code
            = result.exit_code ? py::object(py::int_(*result.exit_code)) : py::object(py::none());
        return py::make_tuple(code, py::bytes(result.stdout_bytes), py::bytes(result.stderr_bytes));
    }

    engine::state::Snapshot state(const std::string& container, const std::string& kind,
        std::optional<std::uint64_t> generation, std::optional<double> timeout)
    {
        std::vector<std::pair<std::string, std::string>> params;
        if (!container.empty())
            params.emplace_back("container", container);
        if (!kind.empty())
            params.emplace_back("kind", kind);
        if (generation)
            params.emplace_back("generation", std::to_string(*generation));
        auto path = engine::api::Client::versioned(
            "/glassbox/v1/state" + engine::api::query_string(params));
        std::optional<engine::state::Snapshot> snapshot;
        auto response = run_blocking<HttpResponse>(
            "snapshot", timeout, [&](CallState&) -> Result<HttpResponse> {
                auto answer = TRY(m_client->request("GET", path));
                if (answer.status < 300) {
                    auto json = TRY(engine::api::parse_json(answer.body));
                    snapshot
                        = TRY_CTX(engine::state::snapshot_from_json(json), "the daemon's snapshot");
                }
                return answer;
            });
        if (response.status >= 300)
            raise_http_error(response);
        return std::move(*snapshot);
    }

    py::tuple diff(py::dict query, std::optional<double> timeout)
    {
        std::vector<std::pair<std::string, std::string>> params;
        for (const auto& [key, value] : query)
            params.emplace_back(
                py::str(key).cast<std::string>(), py::str(value).cast<std::string>());
        auto path = engine::api::Client::versioned(
            "/glassbox/v1/state/diff" + engine::api::query_string(params));
        std::optional<engine::state::Diff> diff;
        Json extras = Json::object();
        auto response
            = run_blocking<HttpResponse>("diff", timeout, [&](CallState&) -> Result<HttpResponse> {
                  auto answer = TRY(m_client->request("GET", path));
                  if (answer.status < 300) {
                      auto json = TRY(engine::api::parse_json(answer.body));
                      diff = TRY_CTX(engine::state::diff_from_json(json), "the daemon's diff");
                      for (const auto& [key, value] : json.items())
                          if (key != "changes")
                              extras[key] = value;
                  }
                  return answer;
              });
        if (response.status >= 300)
            raise_http_error(response);
        return py::make_tuple(std::move(*diff), to_python(extras));
    }

    engine::state::KernelInfo features(std::optional<double> timeout)
    {
        auto response = run_blocking<HttpResponse>("features", timeout, [&](CallState&) {
            return m_client->request(
                "GET", engine::api::Client::versioned("/glassbox/v1/features"));
        });
        if (response.status >= 300)
            raise_http_error(response);
        auto json = Json::parse(response.body, nullptr, false);
        if (json.is_discarded() || !json.is_object())
            raise_error("System", "the daemon's feature list is not a JSON object");
        engine::state::KernelInfo kernel;
        kernel.release = json.value("kernel_release", "");
        kernel.cgroup_layout = json.value("cgroup_layout", "");
        kernel.cgroup_v2_mount = json.value("cgroup_v2_mount", "");
        try {
            kernel.features = json.value("features", Json::array())
                                  .get<std::vector<engine::state::FeatureInfo>>();
        } catch (const std::exception& error) {
            raise_error(
                "System", std::string("the daemon's feature list is malformed: ") + error.what());
        }
        return kernel;
    }

    std::unique_ptr<Stream> open_stream(const std::string& method, const std::string& path,
        const std::string& mode, py::handle body, const std::string& body_file,
        const std::string& content_type, std::optional<double> timeout, bool versioned)
    {
        StreamRequest request;
        request.method = method;
        request.path = versioned ? engine::api::Client::versioned(path) : path;
        if (mode == "raw")
            request.mode = StreamMode::Raw;
        else if (mode == "json")
            request.mode = StreamMode::JsonLines;
        else if (mode == "multiplexed")
            request.mode = StreamMode::Multiplexed;
        else
            raise_error(
                "InvalidArgument", "stream mode must be raw, json or multiplexed, not " + mode);
        auto prepared = request_body(body, content_type);
        request.body = prepared.data;
        request.content_type = prepared.content_type.empty() && !body_file.empty()
            ? "application/x-tar"
            : prepared.content_type;
        if (!content_type.empty())
            request.content_type = content_type;
        request.body_file = body_file;
        request.timeout = timeout;
        return std::make_unique<Stream>(m_client, std::move(request));
    }

    std::unique_ptr<Recording> start_recording(
        const std::string& path, bool all, std::optional<double> timeout)
    {
        auto recording = std::make_unique<Recording>(m_client, path, all);
        recording->wait_started(timeout);
        return recording;
    }

private:
    std::shared_ptr<engine::api::Client> m_client;
};

} // namespace

void bind_client(py::module_& m)
{
    using Timeout = std::optional<double>;
    py::class_<Stream>(m, "Stream",
        "A streamed daemon answer, read piece by piece: iterate it; close() cancels it.")
        .def("__iter__", [](py::object self) { return self; })
        .def("__next__", &Stream::next)
        .def("close", &Stream::close, "Cancels the request and waits for the reader thread.")
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__", [](Stream& stream, py::args) {
            stream.close();
            return false;
        });

    py::class_<Recording>(m, "Recording",
        "A recording of the events feed into a timeline file (see Client.start_recording).")
        .def("stop", &Recording::stop, py::arg("settle") = 3.0,
            "Waits up to `settle` s for the daemon to report the last changes, ends the recording "
            "and returns the counts.")
        .def_property_readonly("active", &Recording::active)
        .def_property_readonly("path", &Recording::path);

    py::class_<PyClient>(
        m, "Client", "A connection to glassboxd's API socket (engine::api::Client).")
        .def(py::init<const std::string&>(), py::arg("host"),
            "host: unix:///path/to.sock or an absolute socket path.")
        .def_property_readonly("socket_path", &PyClient::socket_path)
        .def("request", &PyClient::request, py::arg("method"), py::arg("path"),
            py::arg("body") = py::none(), py::arg("content_type") = "",
            py::arg("timeout") = Timeout(k_default_timeout), py::arg("versioned") = true,
            "One API request; returns the JSON answer (or text, or None). Error statuses raise "
            "glassbox exceptions.")
        .def("ping", &PyClient::ping, py::arg("timeout") = Timeout(k_default_timeout))
        .def("exec_run", &PyClient::exec_run, py::arg("container"), py::arg("cmd"),
            py::arg("tty") = false, py::arg("user") = "", py::arg("environment") = py::none(),
            py::arg("workdir") = "", py::arg("privileged") = false, py::arg("detach") = false,
            py::arg("timeout") = Timeout(),
            "Runs a command in a container; returns (exit_code, stdout bytes, stderr bytes).")
        .def("state", &PyClient::state, py::arg("container") = "", py::arg("kind") = "",
            py::arg("generation") = std::optional<std::uint64_t>(),
            py::arg("timeout") = Timeout(k_default_timeout),
            "A fresh snapshot (or the kept one with `generation`), optionally narrowed.")
        .def("diff", &PyClient::diff, py::arg("query"),
            py::arg("timeout") = Timeout(k_default_timeout),
            "GET /glassbox/v1/state/diff with these query parameters; returns (Diff, extras dict).")
        .def("features", &PyClient::features, py::arg("timeout") = Timeout(k_default_timeout),
            "The kernel feature probe the daemon ran.")
        .def("open_stream", &PyClient::open_stream, py::arg("method"), py::arg("path"),
            py::arg("mode") = "json", py::arg("body") = py::none(), py::arg("body_file") = "",
            py::arg("content_type") = "", py::arg("timeout") = Timeout(),
            py::arg("versioned") = true)
        .def("start_recording", &PyClient::start_recording, py::arg("path"), py::arg("all") = false,
            py::arg("timeout") = Timeout(30.0),
            "Starts recording the events feed (with snapshots) into a timeline file; returns once "
            "the first snapshot is written.");
}

} // namespace glassbox_py
