// "Run this inside that network namespace": the one helper every module uses to act in another
// network namespace. setns(CLONE_NEWNET) changes only the calling thread, so the body runs on a
// short-lived thread that enters the namespace, runs, and ends; the caller's thread (and every
// other daemon thread) stays in the namespace it was in. A socket opened by the body keeps the
// namespace it was opened in after the thread is gone (rtnetlink and nftables rely on this).
#pragma once

#include <functional>
#include <string>

#include "engine/base/result.h"
#include "engine/sys/kernel.h"

namespace engine::sys {

// Opens the namespace file at `path` (a bind-mounted netns file or /proc/<pid>/ns/net), enters it
// through `kernel` on a new thread and runs `body` there. Returns body's result, or the error of
// opening or entering the namespace.
Result<void> run_in_netns(Kernel& kernel, const std::string& path, const std::function<Result<void>()>& body);

} // namespace engine::sys
