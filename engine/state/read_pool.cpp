// The collector's worker pool (read_in_parallel in collector_internal.h). A snapshot spreads its
// procfs, mountinfo and cgroupfs reads over a few threads; starting those threads afresh for
// every reader of every snapshot cost more than some of the reads (each new thread faults in its
// stack and its malloc arena's pages, dear on a paravirtualised machine), so they are started
// once, on the first collection that needs them, and then wait on a condition variable.
#include "engine/state/collector_internal.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

namespace engine::state::detail {

namespace {

class ReadPool {
public:
    ReadPool() = default;
    ReadPool(const ReadPool&) = delete;
    ReadPool& operator=(const ReadPool&) = delete;
    ~ReadPool() = delete; // See pool().

    // Runs read(i) for every i below `count` on the calling thread and up to `helpers` pool
    // threads; returns once every call returned. One job at a time: a caller that finds the pool
    // busy (two collections at once) does all of its items itself. The first exception a call
    // throws is rethrown here, after the other threads let go of `read`.
    void run(size_t count, size_t helpers, const std::function<void(size_t)>& read)
    {
        std::unique_lock job(m_job_mutex, std::try_to_lock);
        helpers = job.owns_lock() ? std::min(helpers, read_pool_max_helpers) : 0;
        if (helpers > 0)
            helpers = start(helpers);
        if (helpers == 0) {
            for (size_t i = 0; i < count; ++i)
                read(i);
            return;
        }
        {
            std::lock_guard lock(m_mutex);
            m_read = &read;
            m_count = count;
            m_next.store(0);
            m_open_seats = helpers;
            m_error = nullptr;
            ++m_generation;
        }
        m_wake.notify_all();
        work();
        // A helper that had not woken by now finds the job gone and goes back to sleep: the
        // caller waits only for helpers that took part.
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [&] { return m_busy == 0; });
        m_read = nullptr;
        m_open_seats = 0;
        auto error = std::exchange(m_error, nullptr);
        lock.unlock();
        if (error)
            std::rethrow_exception(error);
    }

    size_t threads()
    {
        std::lock_guard lock(m_mutex);
        return m_threads.size();
    }

private:
    // Starts pool threads until there are `wanted`; returns how many there are (fewer when the
    // system refuses another thread: the caller's own thread still does the work).
    size_t start(size_t wanted)
    {
        std::lock_guard lock(m_mutex);
        while (m_threads.size() < wanted) {
            try {
                m_threads.emplace_back([this] { serve(); });
            } catch (const std::system_error&) {
                break;
            }
            ::pthread_setname_np(m_threads.back().native_handle(), "gb-collect");
        }
        return std::min(wanted, m_threads.size());
    }

    // Takes items until none is left; records the first exception and stops the others early.
    void work()
    {
        while (true) {
            size_t i = m_next.fetch_add(1);
            if (i >= m_count)
                return;
            try {
                (*m_read)(i);
            } catch (...) {
                std::lock_guard lock(m_mutex);
                if (!m_error)
                    m_error = std::current_exception();
                m_next.store(m_count);
                return;
            }
        }
    }

    void serve()
    {
        std::uint64_t seen = 0;
        std::unique_lock lock(m_mutex);
        while (true) {
            m_wake.wait(lock, [&] { return m_generation != seen && m_read && m_open_seats > 0; });
            seen = m_generation;
            --m_open_seats;
            ++m_busy;
            lock.unlock();
            work();
            lock.lock();
            if (--m_busy == 0)
                m_done.notify_one();
        }
    }

    std::mutex m_job_mutex;                   // Held by the caller for the length of a job.
    std::mutex m_mutex;                       // Guards everything below but m_next.
    std::condition_variable m_wake;
    std::condition_variable m_done;
    std::vector<std::thread> m_threads;
    const std::function<void(size_t)>* m_read { nullptr };
    size_t m_count { 0 };
    std::atomic<size_t> m_next { 0 };
    size_t m_open_seats { 0 };                // Helpers that may still join the current job.
    size_t m_busy { 0 };                      // Helpers inside the current job.
    std::uint64_t m_generation { 0 };
    std::exception_ptr m_error;
};

// Never destroyed: its threads idle until the process ends. A static pool would be destroyed at
// exit() while another thread may still be collecting through it.
ReadPool& pool()
{
    static ReadPool* instance = new ReadPool;
    return *instance;
}

} // namespace

void read_in_parallel(size_t count, size_t per_worker, const std::function<void(size_t)>& read)
{
    size_t workers = count < per_worker ? 1 : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, read_pool_max_helpers + 1);
    workers = std::max<size_t>(1, std::min(workers, count / std::max<size_t>(per_worker, 1)));
    pool().run(count, workers - 1, read);
}

size_t read_pool_threads() { return pool().threads(); }

} // namespace engine::state::detail
