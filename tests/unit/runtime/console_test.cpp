// The console plumbing without a container: a descriptor survives the SCM_RIGHTS hand-over, a
// silent peer is an error, open_pty refuses anything but a pty multiplexer and, on the host's
// devpts, gives an unlocked pair with the asked window size.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/runtime/console.h"

namespace engine::runtime {
namespace {

struct SocketPair {
    UniqueFd a;
    UniqueFd b;
};

SocketPair make_socket_pair()
{
    std::array<int, 2> fds {};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
    return { UniqueFd(fds[0]), UniqueFd(fds[1]) };
}

TEST(ConsoleTest, SentDescriptorIsTheSameFile)
{
    auto sockets = make_socket_pair();
    std::array<int, 2> pipe_fds {};
    ASSERT_EQ(::pipe2(pipe_fds.data(), O_CLOEXEC), 0);
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);

    ASSERT_TRUE(send_fd(sockets.a.get(), write_end.get()).ok());
    write_end.reset();
    auto received = receive_fd(sockets.b.get());
    ASSERT_TRUE(received.ok()) << received.error().describe();

    EXPECT_EQ(::fcntl(received.value().get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ASSERT_EQ(::write(received.value().get(), "x", 1), 1);
    char byte = 0;
    ASSERT_EQ(::read(read_end.get(), &byte, 1), 1);
    EXPECT_EQ(byte, 'x');
}

TEST(ConsoleTest, PeerClosingWithoutSendingIsAnError)
{
    auto sockets = make_socket_pair();
    sockets.a.reset();

    auto received = receive_fd(sockets.b.get());

    ASSERT_FALSE(received.ok());
    EXPECT_NE(received.error().message().find("without sending"), std::string::npos) << received.error().describe();
}

TEST(ConsoleTest, OpenPtyRefusesWhatIsNotAMultiplexer)
{
    char pattern[] = "/tmp/gb-console-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string dir = pattern;
    ASSERT_TRUE(fs::write_file_atomic(dir + "/ptmx", "not a device\n").ok());

    auto regular = open_pty(dir, 24, 80);
    auto missing = open_pty(dir + "/nowhere", 24, 80);
    EXPECT_TRUE(fs::remove_tree(dir).ok());

    ASSERT_FALSE(regular.ok());
    EXPECT_NE(regular.error().message().find(dir + "/ptmx is not a pty multiplexer"), std::string::npos)
        << regular.error().describe();
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message().find(dir + "/nowhere/ptmx"), std::string::npos) << missing.error().describe();
}

TEST(ConsoleTest, OpenPtyGivesAConnectedPairWithTheWindowSize)
{
    auto pty = open_pty("/dev/pts", 40, 120);
    if (!pty.ok() && pty.error().code() == EACCES)
        GTEST_SKIP() << "the host's /dev/pts/ptmx is not open to this user";
    ASSERT_TRUE(pty.ok()) << pty.error().describe();

    EXPECT_EQ(pty.value().slave_path.rfind("/dev/pts/", 0), 0u) << pty.value().slave_path;
    EXPECT_EQ(::isatty(pty.value().slave.get()), 1);
    winsize size {};
    ASSERT_EQ(::ioctl(pty.value().slave.get(), TIOCGWINSZ, &size), 0);
    EXPECT_EQ(size.ws_row, 40);
    EXPECT_EQ(size.ws_col, 120);

    // Raw mode, so the bytes cross unchanged.
    termios mode {};
    ASSERT_EQ(::tcgetattr(pty.value().slave.get(), &mode), 0);
    ::cfmakeraw(&mode);
    ASSERT_EQ(::tcsetattr(pty.value().slave.get(), TCSANOW, &mode), 0);
    ASSERT_EQ(::write(pty.value().master.get(), "ab", 2), 2);
    std::array<char, 2> got {};
    ASSERT_EQ(::read(pty.value().slave.get(), got.data(), got.size()), 2);
    EXPECT_EQ(std::string(got.data(), 2), "ab");
}

} // namespace
} // namespace engine::runtime
