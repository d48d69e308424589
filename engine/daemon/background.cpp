#include "engine/daemon/background.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "engine/base/log.h"

namespace engine::daemon {

namespace {

struct Queue {
    std::mutex mutex;
    std::condition_variable idle;
    std::deque<std::function<void()>> jobs;
    bool worker_running { false };
};

Queue& queue()
{
    static auto* jobs = new Queue; // Never destroyed: a job may still run while the process exits.
    return *jobs;
}

void run_guarded(const std::function<void()>& job)
{
    try {
        job();
    } catch (const std::exception& error) {
        log::warn(std::string("background job: ") + error.what());
    } catch (...) {
        log::warn("background job: an unknown exception");
    }
}

void work()
{
    auto& q = queue();
    std::unique_lock lock(q.mutex);
    while (!q.jobs.empty()) {
        auto job = std::move(q.jobs.front());
        q.jobs.pop_front();
        lock.unlock();
        run_guarded(job);
        lock.lock();
    }
    q.worker_running = false;
    q.idle.notify_all();
}

} // namespace

void run_in_background(std::function<void()> job)
{
    auto& q = queue();
    std::unique_lock lock(q.mutex);
    q.jobs.push_back(std::move(job));
    if (q.worker_running)
        return;
    q.worker_running = true;
    try {
        std::thread(work).detach();
        return;
    } catch (const std::system_error& error) {
        log::warn(std::string("background thread: ") + error.what() + "; running its jobs in place");
    }
    // No thread to be had: this caller works through the queue itself, in its own time and
    // without the lock, as the worker would have.
    lock.unlock();
    work();
}

bool wait_for_background(std::chrono::milliseconds limit)
{
    auto& q = queue();
    std::unique_lock lock(q.mutex);
    return q.idle.wait_for(lock, limit, [&] { return q.jobs.empty() && !q.worker_running; });
}

} // namespace engine::daemon
