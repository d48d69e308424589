// The snapshots the daemon keeps by generation, for `state diff --from`, GET /glassbox/v1/state
// ?generation= and `state diff --since`. A 50-container snapshot is about 2 MiB as structs, so
// keeping the last 64 of them whole held 150 MiB in a daemon that is 11 MiB idle. Only the newest
// two stay whole (a diff between the last two snapshots, the common case, reads no packed one);
// older ones are kept packed: their JSON text (the same bytes GET /glassbox/v1/state serves),
// deflated, about 60 KiB for the same snapshot. A packed one is unpacked when asked for.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "engine/base/result.h"
#include "engine/state/snapshot.h"

namespace engine::daemon {

class KeptSnapshots {
public:
    using SnapshotPtr = std::shared_ptr<const state::Snapshot>;
    static constexpr size_t capacity = 64; // Snapshots kept in all.
    static constexpr size_t whole = 2;     // The newest ones kept as structs.

    // Keeps `snapshot` as the newest, dropping the oldest beyond `capacity`. Packs nothing itself
    // unless more than a few whole ones wait (pack() runs after the response, off the request's
    // path), so a caller that never calls pack() still keeps the memory bounded.
    void add(SnapshotPtr snapshot);
    // Packs the whole snapshots beyond the newest `whole`. Runs without holding the lock the
    // lookups take; one call packs at a time (a second returns at once).
    void pack();

    // By generation; NotFound once dropped. A packed one is unpacked (tens of milliseconds for a
    // 50-container snapshot).
    Result<SnapshotPtr> find(std::uint64_t generation) const;
    // The newest one taken at or before `time`; NotFound when none was.
    Result<SnapshotPtr> newest_before(std::chrono::system_clock::time_point time) const;

    // What the kept snapshots hold: how many, how many whole, and the packed bytes.
    struct Usage {
        size_t kept { 0 };
        size_t whole { 0 };
        size_t packed_bytes { 0 };
    };
    Usage usage() const;

private:
    struct Entry {
        std::uint64_t generation { 0 };
        std::string taken_at;
        SnapshotPtr snapshot;   // Set while whole.
        std::string packed;     // Deflated JSON text, once packed.
        size_t text_size { 0 }; // The JSON text's length, for inflating.
    };
    Result<SnapshotPtr> unpack(const Entry& entry) const;
    void pack_entries(size_t keep_whole);

    mutable std::mutex m_mutex;
    std::deque<Entry> m_entries;
    std::atomic<bool> m_packing { false };
};

// The deflated JSON text of a snapshot and back (zlib, fastest level: packing runs once per
// snapshot; the text compresses about twenty to one). Exposed for the tests.
struct PackedSnapshot {
    std::string bytes;
    size_t text_size { 0 };
};
Result<PackedSnapshot> pack_snapshot(const state::Snapshot& snapshot);
Result<state::Snapshot> unpack_snapshot(const PackedSnapshot& packed);

} // namespace engine::daemon
