// The container's terminal. Like runc, the pty pair comes from the container's own devpts
// instance (mounted with newinstance), so inside, /proc/self/fd/0 names a /dev/pts/N that exists
// there and /dev/console can be a bind of it. The container's first process opens the pair and
// hands the master to the daemon over a socket (SCM_RIGHTS); the daemon never opens its own pty.
// Kernel interfaces: pty(7), ioctl_tty(2) TIOCSPTLCK, TIOCGPTN, TIOCGPTPEER (Linux 4.13),
// TIOCSWINSZ, unix(7) SCM_RIGHTS.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/fd.h"
#include "engine/base/result.h"

namespace engine::runtime {

struct Pty {
    UniqueFd master;
    UniqueFd slave;
    std::string slave_path; // "<pts_dir>/<n>", as the opening process sees it.
};

// Opens a new pair from the devpts instance mounted at `pts_dir` (its "ptmx", which must be the
// pty multiplexer, char 5:2), unlocks it, opens the slave (TIOCGPTPEER, or <pts_dir>/<n> on
// kernels before 4.13) and, when both are nonzero, sets the window size. Both ends are
// O_NOCTTY and O_CLOEXEC.
Result<Pty> open_pty(const std::string& pts_dir, std::uint16_t rows, std::uint16_t cols);

// Passes `fd` over the unix socket `socket` (one byte of data plus SCM_RIGHTS).
Result<void> send_fd(int socket, int fd);
// Receives a descriptor sent by send_fd, O_CLOEXEC. An error naming the peer's silence when the
// other end closed without sending one.
Result<UniqueFd> receive_fd(int socket);

} // namespace engine::runtime
