// api::Client against a scripted server on a Unix socket in a temp dir: chunked bodies,
// error mapping, hijack with bytes already buffered, frame demultiplexing; and what `create`
// decides from the daemon's answers.
#include "engine/api/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/cli/commands/commands.h"
#include "engine/cli/run_options.h"

using engine::api::Client;
using engine::api::FrameDemuxer;
using engine::api::Json;
using engine::api::StreamKind;

namespace {

// A listening Unix socket in a temp dir. ScriptedServer serves it; a test can also accept its
// connections by hand, to see which one a request arrives on.
class Listener {
public:
    Listener()
    {
        char dir_template[] = "/tmp/glassbox-cli-client-XXXXXX";
        EXPECT_NE(::mkdtemp(dir_template), nullptr);
        m_dir = dir_template;
        m_path = m_dir + "/api.sock";
        m_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, m_path.c_str());
        EXPECT_EQ(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(m_fd, 4), 0);
    }
    ~Listener()
    {
        ::close(m_fd);
        ::unlink(m_path.c_str());
        ::rmdir(m_dir.c_str());
    }
    const std::string& path() const { return m_path; }
    // The next connection, or -1 if none comes within `timeout_ms`.
    int accept(int timeout_ms) const
    {
        pollfd ready { .fd = m_fd, .events = POLLIN, .revents = 0 };
        return ::poll(&ready, 1, timeout_ms) == 1 ? ::accept(m_fd, nullptr, nullptr) : -1;
    }

private:
    std::string m_dir;
    std::string m_path;
    int m_fd { -1 };
};

// Accepts one connection per response (the client makes one per request), reads the request
// head, records it, and writes the response verbatim, then closes.
class ScriptedServer {
public:
    explicit ScriptedServer(std::string response)
        : ScriptedServer(std::vector<std::string> { std::move(response) })
    {
    }
    explicit ScriptedServer(std::vector<std::string> responses)
        : m_responses(std::move(responses))
    {
        m_thread = std::thread([this] { serve(); });
    }
    ~ScriptedServer()
    {
        if (m_thread.joinable())
            m_thread.join();
    }
    const std::string& path() const { return m_socket.path(); }
    std::string request()
    {
        if (m_thread.joinable())
            m_thread.join();
        return m_request;
    }

private:
    void serve()
    {
        for (const auto& response : m_responses) {
            // A client that makes fewer requests than scripted fails its test instead of hanging it.
            int fd = m_socket.accept(5000);
            if (fd < 0)
                return;
            char buffer[4096];
            std::string request;
            while (request.find("\r\n\r\n") == std::string::npos) {
                ssize_t got = ::read(fd, buffer, sizeof buffer);
                if (got <= 0)
                    break;
                request.append(buffer, static_cast<size_t>(got));
            }
            m_request += request;
            ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
            ::shutdown(fd, SHUT_WR);
            // Drain whatever the client still sends (a hijacked stdin) until it half-closes.
            while (::read(fd, buffer, sizeof buffer) > 0) { }
            ::close(fd);
        }
    }

    Listener m_socket;
    std::vector<std::string> m_responses;
    std::string m_request;
    std::thread m_thread;
};

} // namespace

TEST(ClientTest, ChunkedJsonResponseIsDecoded)
{
    ScriptedServer server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                          "5\r\n[{\"Id\r\n6\r\n\":\"a\"}\r\n1\r\n]\r\n0\r\n\r\n");
    Client client(server.path());

    auto listing = client.get_json("/containers/json?all=1");

    ASSERT_TRUE(listing.ok()) << listing.error().describe();
    EXPECT_EQ(listing.value(), Json::parse(R"([{"Id":"a"}])"));
    EXPECT_NE(server.request().find("GET /v1.41/containers/json?all=1 HTTP/1.1\r\n"), std::string::npos);
}

TEST(ClientTest, DaemonErrorsKeepMessageAndKind)
{
    ScriptedServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 39\r\n\r\n{\"message\":\"No such container: nosuch\"}");
    Client client(server.path());

    auto result = client.inspect_container("nosuch");

    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind(), engine::ErrorKind::NotFound);
    EXPECT_EQ(result.error().message(), "Error response from daemon: No such container: nosuch");
}

TEST(ClientTest, StatusCodesMapToKinds)
{
    EXPECT_EQ(engine::api::error_from_response(409, "", R"({"message":"x"})").kind(), engine::ErrorKind::Conflict);
    EXPECT_EQ(engine::api::error_from_response(400, "", "").kind(), engine::ErrorKind::InvalidArgument);
    EXPECT_EQ(engine::api::error_from_response(304, "", "").kind(), engine::ErrorKind::NotModified);
    EXPECT_EQ(engine::api::error_from_response(500, "", "plain text").message(), "Error response from daemon: plain text");
}

TEST(ClientTest, StopOfStoppedContainerIsSuccess)
{
    ScriptedServer server("HTTP/1.1 304 Not Modified\r\n\r\n");
    Client client(server.path());

    auto result = client.stop_container("web", 2);

    EXPECT_TRUE(result.ok());
    EXPECT_NE(server.request().find("POST /v1.41/containers/web/stop?t=2 HTTP/1.1"), std::string::npos);
}

TEST(ClientTest, HijackKeepsBytesThatArrivedWithTheHeaders)
{
    std::string frame("\x01\x00\x00\x00\x00\x00\x00\x03hi\n", 11);
    ScriptedServer server("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n" + frame);
    Client client(server.path());

    auto stream = client.attach_container("abc", false);
    ASSERT_TRUE(stream.ok()) << stream.error().describe();
    stream.value().close_write();
    std::string received;
    char buffer[64];
    for (;;) {
        auto got = stream.value().read(buffer, sizeof buffer);
        ASSERT_TRUE(got.ok());
        if (got.value() == 0)
            break;
        received.append(buffer, got.value());
    }

    EXPECT_EQ(received, frame);
    auto request = server.request();
    EXPECT_NE(request.find("POST /v1.41/containers/abc/attach?stderr=1&stdout=1&stream=1 HTTP/1.1"), std::string::npos);
    EXPECT_NE(request.find("Upgrade: tcp\r\n"), std::string::npos);
    EXPECT_NE(request.find("Connection: Upgrade\r\n"), std::string::npos);
}

TEST(ClientTest, HijackRefusedWith200IsAnError)
{
    ScriptedServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    Client client(server.path());

    auto stream = client.attach_container("abc", true);

    ASSERT_FALSE(stream.ok());
    EXPECT_NE(stream.error().message().find("unable to upgrade to tcp, received 200"), std::string::npos);
}

TEST(ClientTest, WaitReturnsAfterHeadersAndFinishesWithStatusCode)
{
    ScriptedServer server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "1e\r\n{\"Error\":null,\"StatusCode\":7}\n\r\n0\r\n\r\n");
    Client client(server.path());

    auto pending = client.begin_wait("abc", "next-exit");
    ASSERT_TRUE(pending.ok()) << pending.error().describe();
    auto result = Client::finish_wait(pending.value());

    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(result.value().status_code, 7);
    EXPECT_NE(server.request().find("POST /v1.41/containers/abc/wait?condition=next-exit"), std::string::npos);
}

TEST(ClientTest, JsonLinesStreamStopsAtErrorMessage)
{
    ScriptedServer server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
                          "{\"status\":\"one\"}\r\n{\"errorDetail\":{\"message\":\"offline\"},\"error\":\"offline\"}\r\n");
    Client client(server.path());
    std::vector<std::string> seen;

    auto result = client.pull_image("alpine:3.19", [&](const Json& line) { seen.push_back(line.value("status", "")); });

    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message(), "offline");
    EXPECT_EQ(seen, std::vector<std::string> { "one" });
    EXPECT_NE(server.request().find("fromImage=alpine&tag=3.19"), std::string::npos);
}

TEST(ClientTest, MissingSocketIsUnreachableNotADaemonAnswer)
{
    Client client("/tmp/glassbox-cli-no-such-dir/api.sock");

    auto result = client.ping();

    ASSERT_FALSE(result.ok());
    // Callers (the CLI's auto-start, the Python DaemonUnavailable) decide by this kind, never by
    // the message; a daemon's own 404 is NotFound (DaemonErrorsKeepMessageAndKind).
    EXPECT_EQ(result.error().kind(), engine::ErrorKind::Unreachable);
    EXPECT_EQ(result.error().code(), ENOENT);
    EXPECT_NE(result.error().message().find("/tmp/glassbox-cli-no-such-dir/api.sock"), std::string::npos);
}

TEST(ClientTest, HostUrlsAreParsed)
{
    EXPECT_EQ(Client::socket_path_from_host("unix:///run/x.sock").value(), "/run/x.sock");
    EXPECT_EQ(Client::socket_path_from_host("/run/y.sock").value(), "/run/y.sock");
    EXPECT_FALSE(Client::socket_path_from_host("tcp://127.0.0.1:2375").ok());
    EXPECT_FALSE(Client::socket_path_from_host("unix://relative").ok());
}

TEST(ClientTest, QueryAndFilterEncoding)
{
    EXPECT_EQ(engine::api::url_encode("docker.io/library/bb"), "docker.io%2Flibrary%2Fbb");
    EXPECT_EQ(engine::api::encode_filters({ { "name", { "tgt" } }, { "status", { "running" } } }),
        R"({"name":{"tgt":true},"status":{"running":true}})");
    EXPECT_EQ(engine::api::query_string({ { "a", "1" }, { "b", "x y" } }), "?a=1&b=x%20y");
}

namespace {

// A daemon answer with a JSON body and the Content-Length it needs.
std::string answer(const std::string& status_line, const std::string& body)
{
    return "HTTP/1.1 " + status_line + "\r\nContent-Type: application/json\r\nContent-Length: "
        + std::to_string(body.size()) + "\r\n\r\n" + body;
}

engine::cli::RunFlags flags_for(const std::string& image)
{
    engine::cli::RunFlags flags;
    flags.image = image;
    return flags;
}

} // namespace

TEST(CreateFromFlagsTest, A404ForSomethingElseIsReturnedWithoutAPull)
{
    // The create names a network that is not there; the image is.
    ScriptedServer server({ answer("404 Not Found", R"({"message":"network nope not found"})"),
        answer("200 OK", R"({"Id":"sha256:abc"})") });
    Client client(server.path());

    auto created = engine::cli::create_from_flags(client, flags_for("busybox:1.35.0"));

    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind(), engine::ErrorKind::NotFound);
    EXPECT_EQ(created.error().message(), "Error response from daemon: network nope not found");
    auto requests = server.request();
    EXPECT_NE(requests.find("GET /v1.41/images/busybox:1.35.0/json"), std::string::npos) << requests;
    EXPECT_EQ(requests.find("/images/create"), std::string::npos) << requests;
}

TEST(CreateFromFlagsTest, AMissingImageIsPulledAndTheCreateTriedAgain)
{
    ScriptedServer server({ answer("404 Not Found", R"({"message":"No such image: busybox:9"})"),
        answer("404 Not Found", R"({"message":"No such image: busybox:9"})"),
        answer("200 OK", R"({"status":"Pulling from library/busybox"})"),
        answer("201 Created", R"({"Id":"c0ffee","Warnings":[]})") });
    Client client(server.path());

    auto created = engine::cli::create_from_flags(client, flags_for("busybox:9"));

    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_EQ(created.value(), "c0ffee");
    auto requests = server.request();
    EXPECT_NE(requests.find("POST /v1.41/images/create?fromImage=busybox&tag=9"), std::string::npos) << requests;
}

TEST(FrameDemuxerTest, FramesSplitAnywhereAreReassembled)
{
    std::string out;
    std::string err;
    FrameDemuxer demuxer([&](StreamKind kind, std::string_view payload) {
        (kind == StreamKind::Stderr ? err : out).append(payload);
    });
    std::string bytes = std::string("\x01\x00\x00\x00\x00\x00\x00\x03hi\n", 11)
        + std::string("\x02\x00\x00\x00\x00\x00\x00\x05" "err0\n", 13) + std::string("\x01\x00\x00\x00\x00\x00\x00\x00", 8);

    for (char byte : bytes)
        ASSERT_TRUE(demuxer.feed(std::string_view(&byte, 1)).ok());

    EXPECT_EQ(out, "hi\n");
    EXPECT_EQ(err, "err0\n");
    EXPECT_TRUE(demuxer.at_frame_boundary());
}

TEST(FrameDemuxerTest, UnknownStreamByteIsRejected)
{
    FrameDemuxer demuxer([](StreamKind, std::string_view) { });

    auto result = demuxer.feed("hello wo");

    EXPECT_FALSE(result.ok());
}

TEST(FrameDemuxerTest, HalfFrameIsNotABoundary)
{
    FrameDemuxer demuxer([](StreamKind, std::string_view) { });

    ASSERT_TRUE(demuxer.feed(std::string("\x01\x00\x00\x00\x00\x00\x00\x05" "ab", 10)).ok());

    EXPECT_FALSE(demuxer.at_frame_boundary());
}

namespace {

// Reads one request head from `fd` (5 s at most) and answers it with an empty JSON object.
std::string answer_one(int fd)
{
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd ready { .fd = fd, .events = POLLIN, .revents = 0 };
        if (::poll(&ready, 1, 5000) != 1)
            break;
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got <= 0)
            break;
        request.append(buffer, static_cast<size_t>(got));
    }
    std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
    ::close(fd);
    return request;
}

} // namespace

// A client that has opened its next connection ahead, and that connection's daemon side.
class ConnectAheadTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(client.connect_ahead().ok());
        ahead = listener.accept(1000);
        ASSERT_GE(ahead, 0);
    }

    Listener listener;
    Client client { listener.path() };
    int ahead { -1 };
};

TEST_F(ConnectAheadTest, FirstRequestGoesOverTheConnectionOpenedAhead)
{
    std::string request;
    std::thread daemon([&] { request = answer_one(ahead); });
    auto answer = client.get_json("/info");
    daemon.join();

    ASSERT_TRUE(answer.ok()) << answer.error().describe();
    EXPECT_NE(request.find("GET /v1.41/info HTTP/1.1\r\n"), std::string::npos);
    EXPECT_EQ(listener.accept(0), -1) << "the request opened a second connection";
}

TEST_F(ConnectAheadTest, ConnectionOpenedAheadThatTheDaemonClosedIsReplaced)
{
    ::close(ahead);

    std::string request;
    std::thread daemon([&] {
        int fresh = listener.accept(5000);
        if (fresh >= 0)
            request = answer_one(fresh);
    });
    auto answer = client.get_json("/info");
    daemon.join();

    ASSERT_TRUE(answer.ok()) << answer.error().describe();
    EXPECT_NE(request.find("GET /v1.41/info HTTP/1.1\r\n"), std::string::npos);
}

TEST(ClientTest, ConnectAheadWithNobodyListeningSaysSo)
{
    Client client("/nonexistent/glassbox.sock");
    auto connected = client.connect_ahead();
    ASSERT_FALSE(connected.ok());
    EXPECT_EQ(connected.error().code(), ENOENT);
}
