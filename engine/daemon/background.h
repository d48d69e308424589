// Work a caller need not wait for: deleting a removed container's files, closing the last handle
// of a detached overlay (whose shutdown syncs the filesystem). One thread does the jobs in the
// order given; it starts when there is a job and ends when there is none, so an idle daemon has
// no thread for it, and a mass removal (rm -f of 500) is one thread, not 500.
//
// The queue is never destroyed and a job must hold nothing of the engine's: the daemon may exit
// while a job runs (Engine::shutdown waits a bounded time for the queue). What a job leaves
// unfinished then is reclaimed at the next start (<root>/tmp is emptied by
// reclaim_interrupted_work; a detached overlay's last handle closes with the process).
#pragma once

#include <chrono>
#include <functional>

namespace engine::daemon {

void run_in_background(std::function<void()> job);
// Waits until no job is queued or running, at most `limit`; false when some were left.
bool wait_for_background(std::chrono::milliseconds limit);

} // namespace engine::daemon
