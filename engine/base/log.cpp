// Logging to stderr under a mutex, so lines from different threads never interleave.
#include "engine/base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "engine/base/strings.h"

namespace engine::log {

static std::atomic<Level> s_level { Level::Info };
static std::mutex s_mutex;

void set_level(Level level) { s_level = level; }

void write(Level level, std::string_view message)
{
    if (level < s_level.load())
        return;
    static const char* names[] = { "debug", "info", "warn", "error" };
    auto line = strings::rfc3339_nano(std::chrono::system_clock::now()) + " " + names[static_cast<int>(level)] + " "
        + std::string(message) + "\n";
    std::lock_guard lock(s_mutex);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

} // namespace engine::log
