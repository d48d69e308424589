// Where glassbox keeps its state by default, and which kernel it runs on. root gets Docker's
// places (/var/lib/glassbox, /run/glassbox); an ordinary user gets their own
// ($XDG_DATA_HOME/glassbox or ~/.local/share/glassbox, and $XDG_RUNTIME_DIR/glassbox or
// /tmp/glassbox-<uid>), because only root can run the real kernel's containers and the
// simulated kernel (docs/simulated-kernel.md) is what an ordinary user gets. The CLI (which
// starts a daemon when none answers) and glassboxd share these answers.
#pragma once

#include <string>

#include "engine/base/result.h"

namespace engine::user_dirs {

std::string default_root();
std::string default_run_root();

// The kernel a daemon runs on: "real", "sim", or "auto" (sim when not root).
// Returns "real" or "sim"; InvalidArgument for any other word. `reason` says why it is sim.
Result<std::string> resolve_kernel(const std::string& choice, std::string& reason);

} // namespace engine::user_dirs
