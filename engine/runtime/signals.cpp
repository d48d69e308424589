// Signal names as Docker's API and CLI spell them ("TERM", "SIGTERM", "15") and back.
// Kernel docs: signal(7).
#include <csignal>
#include <cstdint>

#include <array>
#include <string>

#include "engine/base/strings.h"
#include "engine/runtime/runtime.h"

namespace engine::runtime {

namespace {

struct SignalName {
    std::string_view name; // Without the "SIG" prefix.
    int number;
};

constexpr std::array<SignalName, 31> k_signals = { {
    { "HUP", SIGHUP },
    { "INT", SIGINT },
    { "QUIT", SIGQUIT },
    { "ILL", SIGILL },
    { "TRAP", SIGTRAP },
    { "ABRT", SIGABRT },
    { "BUS", SIGBUS },
    { "FPE", SIGFPE },
    { "KILL", SIGKILL },
    { "USR1", SIGUSR1 },
    { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 },
    { "PIPE", SIGPIPE },
    { "ALRM", SIGALRM },
    { "TERM", SIGTERM },
    { "STKFLT", SIGSTKFLT },
    { "CHLD", SIGCHLD },
    { "CONT", SIGCONT },
    { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP },
    { "TTIN", SIGTTIN },
    { "TTOU", SIGTTOU },
    { "URG", SIGURG },
    { "XCPU", SIGXCPU },
    { "XFSZ", SIGXFSZ },
    { "VTALRM", SIGVTALRM },
    { "PROF", SIGPROF },
    { "WINCH", SIGWINCH },
    { "IO", SIGIO },
    { "PWR", SIGPWR },
    { "SYS", SIGSYS },
} };

} // namespace

Result<int> parse_signal(std::string_view name)
{
    auto invalid = [&] { return Error::invalid("invalid signal: " + std::string(name)); };
    std::string text = strings::trim(name);
    if (text.empty())
        return invalid();

    std::uint64_t number = 0;
    if (strings::parse_uint(text, number)) {
        if (number == 0 || number > static_cast<std::uint64_t>(SIGRTMAX))
            return invalid();
        return static_cast<int>(number);
    }

    std::string upper;
    for (char c : text)
        upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    std::string_view bare = upper;
    if (strings::starts_with(bare, "SIG"))
        bare.remove_prefix(3);
    for (const auto& entry : k_signals) {
        if (entry.name == bare)
            return entry.number;
    }
    // Real-time signals: RTMIN, RTMIN+n, RTMAX-n (as Docker's signal.ParseSignal accepts).
    auto rt = [&](std::string_view base, int origin, int sign) -> Result<int> {
        std::string_view rest = bare.substr(base.size());
        std::uint64_t offset = 0;
        if (!rest.empty()) {
            if (rest[0] != (sign > 0 ? '+' : '-') || !strings::parse_uint(rest.substr(1), offset))
                return invalid();
        }
        std::int64_t value = origin + sign * static_cast<std::int64_t>(offset);
        if (value < SIGRTMIN || value > SIGRTMAX)
            return invalid();
        return static_cast<int>(value);
    };
    if (strings::starts_with(bare, "RTMIN"))
        return rt("RTMIN", SIGRTMIN, 1);
    if (strings::starts_with(bare, "RTMAX"))
        return rt("RTMAX", SIGRTMAX, -1);
    return invalid();
}

std::string signal_name(int signal)
{
    for (const auto& entry : k_signals) {
        if (entry.number == signal)
            return "SIG" + std::string(entry.name);
    }
    if (signal >= SIGRTMIN && signal <= SIGRTMAX)
        return "SIGRTMIN+" + std::to_string(signal - SIGRTMIN);
    return "SIG" + std::to_string(signal);
}

} // namespace engine::runtime
