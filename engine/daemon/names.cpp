// Random container names in Docker's "adjective_surname" style, from a short list of
// adjectives and of people who shaped operating systems and networking.
#include <random>
#include <string>

#include "engine/daemon/engine_internal.h"

namespace engine::daemon {

std::string random_container_name()
{
    static const char* adjectives[] = { "brave", "calm", "clever", "eager", "fervent", "gentle", "happy", "jolly",
        "keen", "lucid", "merry", "nifty", "patient", "quirky", "serene", "tender", "upbeat", "vibrant", "wise",
        "zealous" };
    static const char* names[] = { "ritchie", "thompson", "torvalds", "hopper", "lovelace", "cerf", "kahn",
        "perlman", "liskov", "lamport", "dijkstra", "tanenbaum", "mccarthy", "hamilton", "knuth", "wirth", "kay",
        "allen", "bartik", "engelbart" };
    thread_local std::mt19937 rng { std::random_device {}() };
    return std::string(adjectives[rng() % std::size(adjectives)]) + "_" + names[rng() % std::size(names)];
}

} // namespace engine::daemon
