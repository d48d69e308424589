// An attached session on a hijacked connection (run, start -a, attach, exec): the local
// terminal in raw mode for -t (restored on every exit path), a signal proxy thread
// (SIGINT/SIGTERM/... -> POST kill?signal=NAME, SIGWINCH -> resize), stdin copied to the
// connection and half-closed at EOF, and the output demultiplexed to stdout/stderr.
#pragma once

#include <termios.h>

#include <functional>
#include <string>
#include <thread>

#include "engine/api/client.h"
#include "engine/base/fd.h"

namespace engine::cli {

// Puts stdin's terminal in raw mode while alive (only if stdin is a terminal).
class RawTerminal {
public:
    RawTerminal();
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;
    void restore();

private:
    termios m_saved {};
    bool m_active { false };
};

// The local terminal size (rows, cols) from stdout, or {0, 0} when stdout is not a terminal.
std::pair<int, int> terminal_size();

// Blocks the handled signals (those to forward, SIGWINCH for resize) in the calling thread
// and the threads it starts later, and handles them on a thread of its own. Create it before
// starting any other thread.
class SignalProxy {
public:
    struct Handlers {
        std::function<void(const std::string& signal_name)> forward; // Empty: do not forward.
        std::function<void()> resize;                                // Empty: ignore SIGWINCH.
    };
    explicit SignalProxy(Handlers handlers);
    ~SignalProxy();
    SignalProxy(const SignalProxy&) = delete;
    SignalProxy& operator=(const SignalProxy&) = delete;

private:
    Handlers m_handlers;
    sigset_t m_set {};
    sigset_t m_previous {};
    UniqueFd m_signals; // signalfd over m_set.
    UniqueFd m_wake;    // eventfd: the destructor ends the thread's poll at once.
    std::thread m_thread;
};

// The signal's name without "SIG", as the kill endpoint takes it ("INT", "TERM", ...).
std::string signal_name(int signal_number);

struct PumpOptions {
    bool tty { false };        // Raw bytes (no frame headers) when true.
    bool send_stdin { false }; // Copy our stdin to the stream; otherwise half-close at once.
};

// Copies stdin to the stream (on a detached thread) and the stream to stdout/stderr until
// the daemon closes it. Fails only on a malformed frame or a read error.
Result<void> pump_stream(api::HijackedStream& stream, const PumpOptions& options);

// Docker's exit code for a failed start: 127 for a missing executable, 126 for one that
// cannot be run, 125 for anything else.
int start_failure_exit_code(const Error& error);

} // namespace engine::cli
