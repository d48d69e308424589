// `glassbox -D run`: where the time of one run went. The client marks its own steps (connect,
// create, attach, start, output, wait); the daemon's steps come from
// GET /glassbox/v1/containers/{id}/trace. Both use CLOCK_MONOTONIC, so they print as one time
// line, in milliseconds from the CLI's start.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "engine/api/client.h"

namespace engine::cli {

class ClientTrace {
public:
    using Clock = std::chrono::steady_clock;

    explicit ClientTrace(bool enabled);

    // Ends the current client step as `name` (it began where the previous one ended, the first
    // at the CLI's start). The steps up to the trace's creation are marked by the constructor.
    void mark(std::string name);
    bool enabled() const { return m_enabled; }

    // Prints the client's steps and the daemon's phases of container `id` on stderr.
    void print(const api::Client& client, const std::string& id) const;

private:
    struct Step {
        std::string name;
        Clock::time_point begin;
        Clock::time_point end;
    };
    bool m_enabled { false };
    Clock::time_point m_last;
    std::vector<Step> m_steps;
};

// When this process started (the CLI's own start-up time counts towards a run).
std::chrono::steady_clock::time_point process_start_time();

// main() calls this first, so the trace can tell the time before main() (the loader and static
// initializers) from the flag parsing after it.
void note_main_entered();

} // namespace engine::cli
