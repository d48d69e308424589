// api::Client: the Docker Engine API (v1.41) spoken from the client side, over HTTP/1.1 on a
// Unix stream socket. It is what the `glassbox` CLI (and compose) use to reach glassboxd; it
// never links the engine. Four kinds of exchange, as the docker CLI uses them:
//   - plain request/response with a JSON body (Content-Length or chunked),
//   - streamed responses (logs -f, events, load/import progress, save), delivered as they arrive,
//   - uploads of a tar body (import, load) from a file descriptor,
//   - hijacked connections (attach, exec start): after "101 UPGRADED" the socket carries raw
//     bytes both ways; the client half-closes with shutdown(SHUT_WR) when its stdin ends.
// Daemon errors become Error values whose message is "Error response from daemon: <message>"
// (as the docker CLI prints them) and whose kind follows the status: 404 NotFound,
// 409 Conflict, 400 InvalidArgument, 403 PermissionDenied, 304 NotModified, else System.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/fd.h"
#include "engine/base/result.h"

namespace engine::api {

using Json = nlohmann::json;

// The prefix every daemon error message carries, exactly as the docker CLI prints it.
inline constexpr std::string_view k_daemon_error_prefix = "Error response from daemon: ";
// The API version this client speaks; every path except /_ping is sent as /v1.41/...
inline constexpr std::string_view k_api_version = "1.41";

struct HttpResponse {
    int status { 0 };
    std::string reason;
    std::map<std::string, std::string> headers; // Keys in lower case.
    std::string body;

    [[nodiscard]] std::string header(const std::string& lower_name) const;
};

// Maps an HTTP status and error body to an Error, taking "message" from a JSON body when there
// is one (otherwise the body text, otherwise the reason phrase).
Error error_from_response(int status, std::string_view reason, std::string_view body);

// Which stream a multiplexed frame belongs to (the first byte of the 8-byte header).
enum class StreamKind : std::uint8_t {
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,
};

// Splits the multiplexed stream used when Tty=false (attach, exec start, logs):
// [stream:1][0][0][0][length:4 big-endian][payload]. Bytes may be fed in any split; each
// complete frame's payload is passed to the sink (in pieces no larger than what was fed).
class FrameDemuxer {
public:
    using Sink = std::function<void(StreamKind stream, std::string_view payload)>;

    explicit FrameDemuxer(Sink sink);

    // Feeds more bytes. Fails on a header whose stream byte is not 0, 1 or 2.
    Result<void> feed(std::string_view bytes);
    // True when no frame is half read (the stream may end cleanly here).
    [[nodiscard]] bool at_frame_boundary() const;

private:
    Sink m_sink;
    std::string m_header;
    std::uint32_t m_remaining { 0 };
    StreamKind m_current { StreamKind::Stdout };
};

// A connection after "101 UPGRADED": raw bytes both ways. Reads return bytes the client had
// already buffered past the response headers first.
class HijackedStream {
public:
    HijackedStream(UniqueFd fd, std::string already_read);

    // Reads up to `capacity` bytes; 0 means the daemon closed its side.
    Result<size_t> read(char* buffer, size_t capacity);
    Result<void> write_all(std::string_view bytes);
    // Half-closes: tells the daemon our stdin ended, output keeps flowing (shutdown(SHUT_WR)).
    void close_write();
    // Closes both directions (used to abandon an attach when start fails).
    void close();
    [[nodiscard]] int fd() const { return m_fd.get(); }

private:
    UniqueFd m_fd;
    std::string m_pending;
};

// A request whose response headers have arrived but whose body has not: a registered
// `wait` that answers when the container exits. Held open while the client starts the
// container (the daemon sends the headers at once, the body on exit).
class PendingResponse {
public:
    PendingResponse(UniqueFd fd, std::string already_read, HttpResponse head);
    PendingResponse(PendingResponse&& other) noexcept;
    PendingResponse& operator=(PendingResponse&& other) noexcept;
    ~PendingResponse();

    // Reads the rest of the body (blocking until the daemon finishes it) and returns the
    // whole response.
    Result<HttpResponse> finish();

    // The buffered connection reader (defined in client.cpp; shared with the transport).
    struct Reader;

private:
    std::unique_ptr<Reader> m_reader;
    HttpResponse m_head;
};

// Decoded response body bytes, as they arrive. Return false to stop reading early.
using DataSink = std::function<bool(std::string_view data)>;
// Produces request body bytes into `buffer`; returns how many (0 at end), or an error.
using BodySource = std::function<Result<size_t>(char* buffer, size_t capacity)>;

struct RequestBody {
    std::string content_type;
    std::string data;                     // Used when `source` is empty.
    BodySource source;                    // Streamed body (tar uploads).
    std::optional<std::uint64_t> length;  // Content-Length for `source`; chunked when unset.
};

// Parses a response body as JSON; an empty body is null. Errors say the daemon sent bad JSON.
Result<Json> parse_json(std::string_view body);

// Percent-encodes a query value (RFC 3986 unreserved characters are kept).
std::string url_encode(std::string_view text);
// Builds "?a=1&b=x" from pairs, skipping none; returns "" for an empty list.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& params);

struct ContainerListOptions {
    bool all { false };
    std::map<std::string, std::vector<std::string>> filters;
    bool size { false };
};

struct LogsOptions {
    bool follow { false };
    bool timestamps { false };
    std::string tail { "all" };
    std::string since;
    std::string until;
    bool stdout_stream { true };
    bool stderr_stream { true };
};

struct WaitResult {
    std::int64_t status_code { 0 };
    std::string error; // "Error.Message" when the daemon reports one.
};

class Client {
public:
    // `socket_path` is a filesystem path (not the unix:// URL).
    explicit Client(std::string socket_path);

    [[nodiscard]] const std::string& socket_path() const { return m_socket_path; }
    // Parses "unix:///run/x.sock" or a bare absolute path; rejects other schemes by name.
    static Result<std::string> socket_path_from_host(std::string_view host);

    // Called on the calling thread with every connection's fd right after connect(2), before a
    // byte is sent. The Python bindings use it to cancel a call from another thread (a timeout or
    // Ctrl-C): shutdown(2) on a dup of the fd wakes a blocked recv. The hook must not close `fd`.
    using ConnectHook = std::function<void(int fd)>;
    void set_connect_hook(ConnectHook hook) { m_connect_hook = std::move(hook); }

    // [SECTION] Raw HTTP
    // Connects to the socket; the error names the socket path. Hands out the connection
    // connect_ahead() opened, if there is one and the daemon has not closed it.
    Result<UniqueFd> connect() const;
    // Opens the next request's connection now: tells whether a daemon listens (the CLI's check
    // before it auto-starts one) without a request of its own, so the first call saves a round trip.
    Result<void> connect_ahead();
    // One request on a fresh connection; reads the whole response. Non-2xx statuses are
    // returned as responses, not errors (see request_ok for that).
    Result<HttpResponse> request(std::string_view method, std::string_view path,
        const RequestBody& body = {}, const std::map<std::string, std::string>& headers = {}) const;
    // Like request() but turns 3xx-5xx statuses into errors (304 included, kind NotModified).
    Result<HttpResponse> request_ok(std::string_view method, std::string_view path,
        const RequestBody& body = {}, const std::map<std::string, std::string>& headers = {}) const;
    Result<Json> get_json(std::string_view path) const;
    Result<Json> post_json(std::string_view path, const Json& body) const;
    // Streams the response body to `sink` as it arrives (chunked, Content-Length or to EOF).
    // Error statuses are returned as errors before any byte reaches the sink.
    Result<void> stream(std::string_view method, std::string_view path, const RequestBody& body,
        const DataSink& sink) const;
    // Streams a JSON-lines response (events, load, import, pull progress): one object per
    // line. An object carrying "error"/"errorDetail" ends the stream with that error.
    Result<void> stream_json_lines(std::string_view method, std::string_view path,
        const RequestBody& body, const std::function<void(const Json&)>& on_message) const;
    // Sends a request with Connection: Upgrade / Upgrade: tcp and expects 101.
    Result<HijackedStream> hijack(std::string_view path, const Json& body) const;
    // Sends a request and returns as soon as the response headers arrive (status must be 2xx).
    Result<PendingResponse> begin(std::string_view method, std::string_view path) const;

    // Full path for an API call: "/v1.41" + path.
    static std::string versioned(std::string_view path);

    // [SECTION] System
    Result<void> ping() const;
    Result<Json> version() const;
    Result<Json> info() const;
    Result<Json> system_df(bool verbose) const;
    Result<Json> system_prune(bool all, bool volumes) const;

    // [SECTION] Containers
    // POST /containers/create[?name=]; returns the id and prints nothing.
    Result<std::string> create_container(const Json& body, const std::string& name) const;
    Result<void> start_container(const std::string& id) const;
    Result<void> stop_container(const std::string& id, std::optional<int> timeout) const;
    Result<void> restart_container(const std::string& id, std::optional<int> timeout) const;
    Result<void> kill_container(const std::string& id, const std::string& signal) const;
    Result<void> remove_container(const std::string& id, bool force, bool volumes) const;
    Result<void> pause_container(const std::string& id) const;
    Result<void> unpause_container(const std::string& id) const;
    Result<void> rename_container(const std::string& id, const std::string& new_name) const;
    Result<void> resize_container(const std::string& id, int rows, int cols) const;
    Result<Json> inspect_container(const std::string& id) const;
    Result<Json> list_containers(const ContainerListOptions& options) const;
    Result<Json> top_container(const std::string& id, const std::string& ps_args) const;
    // One stats sample with precpu_stats filled (one_shot: at once, without them). client_stats.cpp.
    Result<Json> container_stats(const std::string& id, bool one_shot = false) const;
    Result<Json> prune_containers() const;
    // POST /containers/{id}/update with a HostConfig resources body; returns the warnings.
    // GET /events streamed until `on_event` returns false. client_lifecycle.cpp.
    Result<std::vector<std::string>> update_container(const std::string& id, const Json& resources) const;
    Result<void> events(const std::string& since, const std::string& until,
        const std::map<std::string, std::vector<std::string>>& filters, const std::function<bool(const Json&)>& on_event) const;
    // Registers a wait (condition: next-exit, removed, not-running) and returns once the
    // daemon has sent the headers; finish_wait() then blocks until the condition holds.
    Result<PendingResponse> begin_wait(const std::string& id, const std::string& condition) const;
    static Result<WaitResult> finish_wait(PendingResponse& pending);
    Result<WaitResult> wait_container(const std::string& id, const std::string& condition) const;
    Result<HijackedStream> attach_container(const std::string& id, bool with_stdin) const;
    // Streams logs as raw response bytes (multiplexed unless the container has a TTY).
    Result<void> container_logs(const std::string& id, const LogsOptions& options,
        const DataSink& sink) const;

    // [SECTION] Container filesystem (client_archive.cpp): docker cp, diff, export, commit.
    // The decoded X-Docker-Container-Path-Stat of HEAD /containers/{id}/archive?path=.
    Result<Json> stat_container_path(const std::string& id, const std::string& path) const;
    Result<void> get_archive(const std::string& id, const std::string& path, const DataSink& sink) const;
    // PUT a tar into the directory `path` (noOverwriteDirNonDir, as docker cp sends it).
    Result<void> put_archive(const std::string& id, const std::string& path, const RequestBody& tar, bool copy_uid_gid) const;
    Result<void> export_container(const std::string& id, const DataSink& sink) const;
    Result<Json> container_changes(const std::string& id) const; // [{"Path","Kind"}] or null.
    Result<std::string> commit_container(const std::string& id, const std::string& repo, const std::string& tag,
        const std::string& comment, const std::string& author, const std::vector<std::string>& changes, bool pause) const;

    // [SECTION] Exec
    Result<std::string> create_exec(const std::string& container, const Json& body) const;
    Result<void> start_exec_detached(const std::string& exec_id) const;
    Result<HijackedStream> start_exec_attached(const std::string& exec_id, bool tty) const;
    Result<void> resize_exec(const std::string& exec_id, int rows, int cols) const;
    Result<Json> inspect_exec(const std::string& exec_id) const;

    // [SECTION] Images
    Result<Json> list_images(bool all, const std::map<std::string, std::vector<std::string>>& filters) const;
    Result<Json> inspect_image(const std::string& name) const;
    Result<Json> image_history(const std::string& name) const;
    Result<Json> remove_image(const std::string& name, bool force) const;
    Result<void> tag_image(const std::string& source, const std::string& repo, const std::string& tag) const;
    Result<Json> prune_images(bool all) const;
    // POST /images/create?fromSrc=-: uploads a tar and returns the new image id.
    Result<std::string> import_image(const RequestBody& tar, const std::string& repo,
        const std::string& tag, const std::vector<std::string>& changes, const std::string& message) const;
    // POST /images/load: uploads a docker-save/OCI tar, reports each progress line.
    Result<void> load_images(const RequestBody& tar, const std::function<void(const Json&)>& on_message) const;
    // GET /images/get?names=...: streams the tar to `sink`.
    Result<void> save_images(const std::vector<std::string>& names, const std::string& format,
        const DataSink& sink) const;
    // POST /images/create?fromImage=: the daemon answers with its (offline) error.
    Result<void> pull_image(const std::string& image, const std::function<void(const Json&)>& on_message) const;

    // [SECTION] Volumes
    Result<Json> create_volume(const Json& body) const;
    Result<Json> list_volumes() const;
    Result<Json> inspect_volume(const std::string& name) const;
    Result<void> remove_volume(const std::string& name, bool force) const;
    Result<Json> prune_volumes(bool all) const;

    // [SECTION] Networks
    Result<Json> create_network(const Json& body) const;
    Result<Json> list_networks() const;
    Result<Json> inspect_network(const std::string& name) const;
    Result<void> remove_network(const std::string& name) const;
    Result<Json> prune_networks() const;
    Result<void> connect_network(const std::string& network, const Json& body) const;
    Result<void> disconnect_network(const std::string& network, const std::string& container, bool force) const;

private:
    struct Spare;
    std::string m_socket_path;
    ConnectHook m_connect_hook;
    std::shared_ptr<Spare> m_spare;
};

// Encodes Docker's filter map as the JSON the API expects: {"key":{"value":true}}.
std::string encode_filters(const std::map<std::string, std::vector<std::string>>& filters);

} // namespace engine::api
