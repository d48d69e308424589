// The daemon's background queue: jobs run in the order given on one thread, a throwing job does
// not stop the rest, waiting tells when all are done, and no thread stays once it is idle.
#include "engine/daemon/background.h"

#include <dirent.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using namespace engine::daemon;
using namespace std::chrono_literals;

namespace {

int thread_count()
{
    int count = 0;
    if (DIR* dir = ::opendir("/proc/self/task")) {
        while (auto* entry = ::readdir(dir))
            count += entry->d_name[0] != '.';
        ::closedir(dir);
    }
    return count;
}

} // namespace

TEST(BackgroundTest, JobsRunInOrderOnOneThreadAndAThrowingOneDoesNotStopTheRest)
{
    ASSERT_TRUE(wait_for_background(5s));
    std::mutex mutex;
    std::vector<int> order;
    std::vector<std::thread::id> threads;
    for (int i = 0; i < 50; ++i) {
        run_in_background([&, i] {
            std::lock_guard lock(mutex);
            order.push_back(i);
            threads.push_back(std::this_thread::get_id());
        });
        if (i == 10)
            run_in_background([] { throw std::runtime_error("a job that fails"); });
    }
    ASSERT_TRUE(wait_for_background(10s));
    std::lock_guard lock(mutex);
    ASSERT_EQ(order.size(), 50u);
    for (int i = 0; i < 50; ++i)
        EXPECT_EQ(order[static_cast<size_t>(i)], i);
    for (const auto& id : threads)
        EXPECT_NE(id, std::this_thread::get_id());
}

TEST(BackgroundTest, WaitingIsBoundedAndNoThreadStaysOnceIdle)
{
    ASSERT_TRUE(wait_for_background(5s));
    int idle_threads = thread_count();
    std::atomic<bool> release { false };
    run_in_background([&] {
        while (!release.load())
            std::this_thread::sleep_for(1ms);
    });
    EXPECT_FALSE(wait_for_background(50ms)); // Still running: the wait gives up.
    release = true;
    EXPECT_TRUE(wait_for_background(5s));
    // The worker has returned from its last job; give it a moment to be gone from the task list.
    for (int i = 0; i < 200 && thread_count() > idle_threads; ++i)
        std::this_thread::sleep_for(5ms);
    EXPECT_EQ(thread_count(), idle_threads);
}
