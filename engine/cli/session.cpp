// Attached sessions: raw terminal, signal proxy, stdin/stdout pumps over a hijacked stream.
#include "engine/cli/session.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdint>

#include "engine/base/strings.h"
#include "engine/cli/context.h"

namespace engine::cli {

RawTerminal::RawTerminal()
{
    if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &m_saved) != 0)
        return;
    termios raw = m_saved;
    ::cfmakeraw(&raw);
    if (::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
        m_active = true;
}

RawTerminal::~RawTerminal() { restore(); }

void RawTerminal::restore()
{
    if (m_active) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
        m_active = false;
    }
}

std::pair<int, int> terminal_size()
{
    winsize size {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0)
        return { 0, 0 };
    return { size.ws_row, size.ws_col };
}

std::string signal_name(int signal_number)
{
    switch (signal_number) {
    case SIGINT:
        return "INT";
    case SIGTERM:
        return "TERM";
    case SIGHUP:
        return "HUP";
    case SIGQUIT:
        return "QUIT";
    case SIGUSR1:
        return "USR1";
    case SIGUSR2:
        return "USR2";
    case SIGWINCH:
        return "WINCH";
    default:
        return std::to_string(signal_number);
    }
}

SignalProxy::SignalProxy(Handlers handlers)
    : m_handlers(std::move(handlers))
{
    // Only signals someone handles are taken over; the rest keep their default action, so
    // Ctrl-C still ends the CLI when nothing is forwarded (docker's -t and exec behaviour).
    sigemptyset(&m_set);
    if (m_handlers.forward)
        for (int number : { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 })
            sigaddset(&m_set, number);
    if (m_handlers.resize)
        sigaddset(&m_set, SIGWINCH);
    // Blocked here, so every thread started after this inherits the mask and only our
    // signalfd sees these signals.
    ::pthread_sigmask(SIG_BLOCK, &m_set, &m_previous);
    if (m_handlers.forward || m_handlers.resize) {
        m_signals.reset(::signalfd(-1, &m_set, SFD_CLOEXEC));
        m_wake.reset(::eventfd(0, EFD_CLOEXEC));
    }
    if (!m_signals.valid() || !m_wake.valid())
        return;
    // Woken by a signal or by the destructor, never by a timer: a run that ends does not wait
    // for a poll interval before the CLI can exit.
    m_thread = std::thread([this] {
        for (;;) {
            pollfd fds[2] = { { m_signals.get(), POLLIN, 0 }, { m_wake.get(), POLLIN, 0 } };
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                return;
            }
            if (fds[1].revents != 0)
                return;
            signalfd_siginfo info {};
            if (::read(m_signals.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info))
                continue;
            int number = static_cast<int>(info.ssi_signo);
            if (number == SIGWINCH) {
                if (m_handlers.resize)
                    m_handlers.resize();
                continue;
            }
            if (m_handlers.forward)
                m_handlers.forward(signal_name(number));
        }
    });
}

SignalProxy::~SignalProxy()
{
    if (m_thread.joinable()) {
        std::uint64_t one = 1;
        (void)!::write(m_wake.get(), &one, sizeof one);
        m_thread.join();
    }
    ::pthread_sigmask(SIG_SETMASK, &m_previous, nullptr);
}

Result<void> pump_stream(api::HijackedStream& stream, const PumpOptions& options)
{
    if (options.send_stdin) {
        // The thread owns a duplicate of the socket, so it can keep writing (or stay blocked
        // in read(stdin)) without touching `stream` after we return.
        int socket_copy = ::dup(stream.fd());
        if (socket_copy < 0)
            return Error::from_errno("dup attach socket", errno);
        std::thread([socket_copy] {
            char buffer[32 * 1024];
            for (;;) {
                ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
                if (got < 0 && errno == EINTR)
                    continue;
                if (got <= 0)
                    break;
                if (::send(socket_copy, buffer, static_cast<size_t>(got), MSG_NOSIGNAL) < 0)
                    break;
            }
            // Stdin ended: tell the daemon (it closes the container's stdin); output continues.
            ::shutdown(socket_copy, SHUT_WR);
            ::close(socket_copy);
        }).detach();
    } else {
        stream.close_write();
    }

    api::FrameDemuxer demuxer([](api::StreamKind kind, std::string_view payload) {
        write_fd(kind == api::StreamKind::Stderr ? STDERR_FILENO : STDOUT_FILENO, payload);
    });
    char buffer[32 * 1024];
    for (;;) {
        size_t got = TRY(stream.read(buffer, sizeof buffer));
        if (got == 0)
            break;
        std::string_view bytes(buffer, got);
        if (options.tty) {
            if (!write_fd(STDOUT_FILENO, bytes))
                break;
        } else {
            TRY(demuxer.feed(bytes));
        }
    }
    return Ok {};
}

int start_failure_exit_code(const Error& error)
{
    std::string message = strings::to_lower(error.message());
    if (message.find("executable file not found") != std::string::npos
        || message.find("no such file or directory") != std::string::npos)
        return 127;
    if (message.find("permission denied") != std::string::npos)
        return 126;
    return 125;
}

} // namespace engine::cli
