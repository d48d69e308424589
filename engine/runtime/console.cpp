// The container's pty and the descriptor hand-over (see console.h). Runs in the container's first
// process (open_pty, send_fd) and in the daemon (receive_fd).
#include "engine/runtime/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace engine::runtime {

namespace {

// The multiplexer's device number in every devpts instance (devices.txt: 5,2 /dev/ptmx).
constexpr unsigned k_ptmx_major = 5;
constexpr unsigned k_ptmx_minor = 2;

// One byte of data with room for one descriptor: what send_fd sends and receive_fd expects. The
// header points into the object itself, so it stays where it was made.
struct FdMessage {
    char byte { 'p' };
    iovec data { .iov_base = &byte, .iov_len = 1 };
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control {};
    msghdr header { .msg_name = nullptr, .msg_namelen = 0, .msg_iov = &data, .msg_iovlen = 1,
        .msg_control = control.data(), .msg_controllen = control.size(), .msg_flags = 0 };

    FdMessage() = default;
    FdMessage(const FdMessage&) = delete;
    FdMessage& operator=(const FdMessage&) = delete;
};

} // namespace

Result<Pty> open_pty(const std::string& pts_dir, std::uint16_t rows, std::uint16_t cols)
{
    std::string ptmx = pts_dir + "/ptmx";
    Pty pty;
    pty.master.reset(::open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW));
    if (!pty.master.valid())
        return Error::from_errno("open pty multiplexer " + ptmx, errno);
    struct stat st { };
    if (::fstat(pty.master.get(), &st) != 0)
        return Error::from_errno("stat " + ptmx, errno);
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != k_ptmx_major || minor(st.st_rdev) != k_ptmx_minor)
        return Error::invalid(ptmx + " is not a pty multiplexer (char 5:2)");

    int unlock = 0;
    if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0)
        return Error::from_errno("unlock pty (TIOCSPTLCK) from " + ptmx, errno);
    unsigned int number = 0;
    if (::ioctl(pty.master.get(), TIOCGPTN, &number) != 0)
        return Error::from_errno("get pty number (TIOCGPTN) from " + ptmx, errno);
    pty.slave_path = pts_dir + "/" + std::to_string(number);

    // TIOCGPTPEER opens the slave through the master's own devpts mount, so nothing mounted over
    // pts_dir in the meantime can substitute another file.
    pty.slave.reset(::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.slave.valid()) {
        if (errno != EINVAL && errno != ENOTTY)
            return Error::from_errno("open pty slave (TIOCGPTPEER) of " + ptmx, errno);
        pty.slave.reset(::open(pty.slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW));
        if (!pty.slave.valid())
            return Error::from_errno("open pty slave " + pty.slave_path, errno);
    }

    if (rows != 0 && cols != 0) {
        winsize size {};
        size.ws_row = rows;
        size.ws_col = cols;
        if (::ioctl(pty.master.get(), TIOCSWINSZ, &size) != 0)
            return Error::from_errno("set pty window size (TIOCSWINSZ)", errno);
    }
    return pty;
}

Result<void> send_fd(int socket, int fd)
{
    FdMessage message;
    cmsghdr* header = CMSG_FIRSTHDR(&message.header);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
    ssize_t sent = 0;
    do {
        sent = ::sendmsg(socket, &message.header, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent != 1)
        return Error::from_errno("send pty master to the daemon (SCM_RIGHTS)", sent < 0 ? errno : EIO);
    return Ok {};
}

Result<UniqueFd> receive_fd(int socket)
{
    FdMessage message;
    ssize_t got = 0;
    do {
        got = ::recvmsg(socket, &message.header, MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return Error::from_errno("receive pty master (SCM_RIGHTS)", errno);
    if (got == 0)
        return Error::system("receive pty master: the process closed its socket without sending one");
    if ((message.header.msg_flags & MSG_CTRUNC) != 0)
        return Error::system("receive pty master: control data truncated");
    for (cmsghdr* header = CMSG_FIRSTHDR(&message.header); header != nullptr; header = CMSG_NXTHDR(&message.header, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS && header->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
            return UniqueFd(fd);
        }
    }
    return Error::system("receive pty master: the message carried no descriptor");
}

} // namespace engine::runtime
