// The server over a real Unix socket (no root needed): keep-alive, a chunked body split across
// writes, HEAD without body bytes, 413 for an oversized JSON body, 400 for a malformed head,
// a large body sent beside its head, hijack with a client half-close, socket mode 0660, stale-socket replacement and the idle hook.
#include "engine/api/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <atomic>
#include <cstring>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "engine/base/fs.h"

using namespace engine;
using namespace engine::api;

namespace {

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir[] = "/tmp/gb-api-test-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        m_dir = dir;
        m_socket = m_dir + "/api.sock";
    }
    void TearDown() override
    {
        if (m_server) {
            m_server->stop(2000);
            m_thread.join();
        }
        (void)fs::remove_tree(m_dir);
    }

    void start(Router router, const std::function<void(Server&)>& configure = {})
    {
        m_server = std::make_unique<Server>(std::move(router));
        if (configure)
            configure(*m_server);
        auto listening = m_server->listen(m_socket);
        ASSERT_TRUE(listening.ok()) << listening.error().describe();
        m_thread = std::thread([this] { m_server->serve(); });
    }

    UniqueFd connect_client() const
    {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, m_socket.c_str(), sizeof addr.sun_path - 1);
        EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        return fd;
    }

    // Reads until `marker` has been seen `count` times or the peer closes.
    static std::string read_until(int fd, const std::string& marker, int count = 1)
    {
        std::string out;
        char buffer[4096];
        for (;;) {
            int seen = 0;
            for (size_t pos = out.find(marker); pos != std::string::npos; pos = out.find(marker, pos + 1))
                ++seen;
            if (seen >= count)
                return out;
            ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                return out;
            out.append(buffer, static_cast<size_t>(n));
        }
    }

    std::string m_dir;
    std::string m_socket;
    std::unique_ptr<Server> m_server;
    std::thread m_thread;
};

Router echo_router()
{
    Router router;
    router.add("POST", "/echo", [](Exchange& ex) -> Result<void> {
        auto body = TRY(ex.read_json());
        ex.respond_json(200, body);
        return Ok {};
    });
    router.add("GET", "/_ping", [](Exchange& ex) -> Result<void> {
        ex.respond(200, "text/plain; charset=utf-8", "OK");
        return Ok {};
    });
    // Three megabytes of a known pattern: more than a Unix socket takes in one send, so the
    // head-and-body send is cut short and resumed, possibly inside either part.
    router.add("GET", "/large", [](Exchange& ex) -> Result<void> {
        std::string body(3 << 20, '\0');
        for (size_t i = 0; i < body.size(); ++i)
            body[i] = static_cast<char>('a' + i % 26);
        ex.respond(200, "text/plain", body);
        return Ok {};
    });
    router.add("GET", "/missing", [](Exchange&) -> Result<void> { return Error::not_found("No such thing: x"); });
    router.add("POST", "/attach", [](Exchange& ex) -> Result<void> {
        std::string early;
        int fd = ex.hijack(early);
        // Read stdin until the client half-closes, then answer: EOF is not a disconnect.
        std::string input = early;
        char buffer[256];
        ssize_t n;
        while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
            input.append(buffer, static_cast<size_t>(n));
        send_all(fd, encode_frame(1, "got:" + input));
        return Ok {};
    });
    return router;
}

} // namespace

TEST_F(ServerTest, SocketIsCreatedWithMode0660)
{
    start(echo_router());

    struct stat st { };
    ASSERT_EQ(::lstat(m_socket.c_str(), &st), 0);

    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(ServerTest, KeepAliveServesChunkedBodySplitAcrossWrites)
{
    start(echo_router());
    auto fd = connect_client();

    send_all(fd.get(), "POST /v1.41/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    send_all(fd.get(), "4\r\n{\"a\"");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    send_all(fd.get(), "\r\n3\r\n:1}\r\n0\r\n\r\n");
    auto first = read_until(fd.get(), "{\"a\":1}\n");
    send_all(fd.get(), "POST /echo HTTP/1.1\r\nContent-Length: 7\r\n\r\n{\"b\":");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    send_all(fd.get(), "2}");
    auto second = read_until(fd.get(), "{\"b\":2}\n");

    EXPECT_NE(first.find("HTTP/1.1 200 OK"), std::string::npos) << first;
    EXPECT_NE(second.find("HTTP/1.1 200 OK"), std::string::npos) << second;
}

TEST_F(ServerTest, HeadPingHasNoBodyBytes)
{
    start(echo_router());
    auto fd = connect_client();

    send_all(fd.get(), "HEAD /_ping HTTP/1.1\r\n\r\nGET /_ping HTTP/1.1\r\n\r\n");
    auto both = read_until(fd.get(), "\r\n\r\nOK");

    auto second = both.find("HTTP/1.1 200", 5);
    ASSERT_NE(second, std::string::npos) << both;
    EXPECT_EQ(both.substr(second - 4, 4), "\r\n\r\n"); // Nothing between the first head and the second.
    EXPECT_NE(both.find("Api-Version: 1.41"), std::string::npos);
}

TEST_F(ServerTest, LargeBodyArrivesWholeAfterItsHeadAndTheConnectionStaysUsable)
{
    start(echo_router());
    auto fd = connect_client();

    send_all(fd.get(), "GET /large HTTP/1.1\r\n\r\nGET /_ping HTTP/1.1\r\n\r\n");
    auto out = read_until(fd.get(), "\r\n\r\nOK");

    auto head_end = out.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    EXPECT_NE(out.substr(0, head_end).find("Content-Length: 3145728"), std::string::npos) << out.substr(0, head_end);
    auto body = out.substr(head_end + 4, 3 << 20);
    ASSERT_EQ(body.size(), size_t { 3 << 20 });
    size_t wrong = 0;
    for (size_t i = 0; i < body.size(); ++i)
        wrong += body[i] != static_cast<char>('a' + i % 26);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(out.substr(head_end + 4 + body.size(), 15), "HTTP/1.1 200 OK");
}

TEST_F(ServerTest, ErrorsAreJsonMessages)
{
    start(echo_router());
    auto fd = connect_client();

    send_all(fd.get(), "GET /v1.41/missing HTTP/1.1\r\n\r\nGET /nowhere HTTP/1.1\r\n\r\n");
    auto out = read_until(fd.get(), "page not found");

    EXPECT_NE(out.find("HTTP/1.1 404 Not Found"), std::string::npos);
    EXPECT_NE(out.find("{\"message\":\"No such thing: x\"}"), std::string::npos) << out;
}

TEST_F(ServerTest, OversizedJsonBodyIs413)
{
    start(echo_router());
    auto fd = connect_client();

    auto size = k_max_json_body_bytes + 1;
    send_all(fd.get(), "POST /echo HTTP/1.1\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n");
    send_all(fd.get(), std::string(size, ' '));
    auto out = read_until(fd.get(), "}\n");

    EXPECT_NE(out.find("HTTP/1.1 413"), std::string::npos) << out.substr(0, 200);
}

TEST_F(ServerTest, MalformedHeadIs400AndClosed)
{
    start(echo_router());
    auto fd = connect_client();

    send_all(fd.get(), "NONSENSE\r\n\r\n");
    auto out = read_until(fd.get(), "\n}never");

    EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out;
}

TEST_F(ServerTest, HijackSurvivesClientHalfClose)
{
    start(echo_router());
    auto fd = connect_client();

    send_all(fd.get(), "POST /attach HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\nhello");
    ::shutdown(fd.get(), SHUT_WR);
    auto out = read_until(fd.get(), "got:hello");

    EXPECT_NE(out.find("HTTP/1.1 101 UPGRADED"), std::string::npos) << out;
    EXPECT_NE(out.find(encode_frame(1, "got:hello")), std::string::npos);
}

TEST_F(ServerTest, StaleSocketIsReplacedLiveOneIsNot)
{
    // A socket file nobody listens on (a crashed daemon's) is replaced.
    {
        UniqueFd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, m_socket.c_str(), sizeof addr.sun_path - 1);
        ASSERT_EQ(::bind(stale.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    start(echo_router());

    Server second(echo_router());
    auto result = second.listen(m_socket);

    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind(), ErrorKind::Conflict);
}

TEST_F(ServerTest, ClientDroppingMidRequestDoesNotHurtTheServer)
{
    start(echo_router());
    {
        auto fd = connect_client();
        send_all(fd.get(), "POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"a\"");
    }
    auto fd = connect_client();

    send_all(fd.get(), "GET /_ping HTTP/1.1\r\n\r\n");
    auto out = read_until(fd.get(), "OK");

    EXPECT_NE(out.find("200 OK"), std::string::npos);
}

TEST_F(ServerTest, IdleHookRunsOnceAfterTheLastConnectionClosesAndNotWhileOneIsOpen)
{
    std::atomic<int> calls { 0 };
    start(echo_router(), [&calls](Server& server) { server.on_idle(std::chrono::milliseconds(50), [&calls] { ++calls; }); });
    auto wait_for_calls = [&calls](int want) {
        for (int i = 0; i < 200 && calls.load() < want; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return calls.load();
    };
    // Nothing served yet: nothing to do.
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    EXPECT_EQ(calls.load(), 0);

    {
        auto fd = connect_client();
        send_all(fd.get(), "GET /_ping HTTP/1.1\r\n\r\n");
        EXPECT_NE(read_until(fd.get(), "OK").find("200 OK"), std::string::npos);
        // The connection stays open (keep-alive): not quiet.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        EXPECT_EQ(calls.load(), 0);
    }
    EXPECT_EQ(wait_for_calls(1), 1);
    // Quiet since: no second call until another connection has been served.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(calls.load(), 1);

    auto fd = connect_client();
    send_all(fd.get(), "GET /_ping HTTP/1.1\r\nConnection: close\r\n\r\n");
    read_until(fd.get(), "OK");
    EXPECT_EQ(wait_for_calls(2), 2);
}
