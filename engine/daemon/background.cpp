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

void work()
{
    auto& q = queue();
    std::unique_lock lock(q.mutex);
    while (!q.jobs.empty()) {
        auto job = std::move(q.jobs.front());
        q.jobs.pop_front();
        lock.unlock();
        try {
            job();
        } catch (const std::exception& error) {
            log::warn(std::string("background job: ") + error.what());
        }
        lock.lock();
    }
    q.worker_running = false;
    q.idle.notify_all();
}

} // namespace

void run_in_background(std::function<void()> job)
{
    auto& q = queue();
    std::lock_guard lock(q.mutex);
    q.jobs.push_back(std::move(job));
    if (q.worker_running)
        return;
    q.worker_running = true;
    try {
        std::thread(work).detach();
    } catch (const std::system_error& error) {
        // No thread to be had: the jobs run here instead, in the caller's time.
        q.worker_running = false;
        auto jobs = std::move(q.jobs);
        q.jobs.clear();
        log::warn(std::string("background thread: ") + error.what() + "; running its jobs in place");
        for (auto& pending : jobs)
            pending();
    }
}

bool wait_for_background(std::chrono::milliseconds limit)
{
    auto& q = queue();
    std::unique_lock lock(q.mutex);
    return q.idle.wait_for(lock, limit, [&] { return q.jobs.empty() && !q.worker_running; });
}

} // namespace engine::daemon
