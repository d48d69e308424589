#include "engine/daemon/kept_snapshots.h"

#include <zlib.h>

#include <vector>

#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/state/snapshot_json.h"

namespace engine::daemon {

// A caller that never calls pack() (a lesson check, say) still leaves at most this many whole.
constexpr size_t whole_before_packing_inline = 6;

Result<PackedSnapshot> pack_snapshot(const state::Snapshot& snapshot)
{
    auto text = state::snapshot_to_json_text(snapshot);
    PackedSnapshot packed;
    packed.text_size = text.size();
    uLongf size = ::compressBound(static_cast<uLong>(text.size()));
    packed.bytes.resize(size);
    int rc = ::compress2(reinterpret_cast<Bytef*>(packed.bytes.data()), &size,
        reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()), Z_BEST_SPEED);
    if (rc != Z_OK)
        return Error::system("deflate snapshot " + std::to_string(snapshot.generation) + ": zlib error " + std::to_string(rc));
    packed.bytes.resize(size);
    packed.bytes.shrink_to_fit();
    return packed;
}

Result<state::Snapshot> unpack_snapshot(const PackedSnapshot& packed)
{
    std::string text(packed.text_size, '\0');
    uLongf size = static_cast<uLongf>(text.size());
    int rc = ::uncompress(reinterpret_cast<Bytef*>(text.data()), &size,
        reinterpret_cast<const Bytef*>(packed.bytes.data()), static_cast<uLong>(packed.bytes.size()));
    if (rc != Z_OK || size != text.size())
        return Error::system("inflate kept snapshot: zlib error " + std::to_string(rc) + " (" + std::to_string(size) + " of "
            + std::to_string(text.size()) + " bytes)");
    return state::parse_snapshot(text);
}

void KeptSnapshots::add(SnapshotPtr snapshot)
{
    size_t whole_count = 0;
    {
        std::lock_guard lock(m_mutex);
        Entry entry;
        entry.generation = snapshot->generation;
        entry.taken_at = snapshot->taken_at;
        entry.snapshot = std::move(snapshot);
        m_entries.push_back(std::move(entry));
        while (m_entries.size() > capacity)
            m_entries.pop_front();
        for (const auto& kept : m_entries)
            whole_count += kept.snapshot != nullptr;
    }
    if (whole_count > whole_before_packing_inline)
        pack_entries(whole);
}

void KeptSnapshots::pack() { pack_entries(whole); }

void KeptSnapshots::pack_entries(size_t keep_whole)
{
    if (m_packing.exchange(true))
        return;
    std::vector<SnapshotPtr> todo;
    {
        std::lock_guard lock(m_mutex);
        size_t seen = 0;
        for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it)
            if (it->snapshot && ++seen > keep_whole)
                todo.push_back(it->snapshot);
    }
    // Packed without the lock: a lookup or a new snapshot does not wait for the deflating.
    for (const auto& snapshot : todo) {
        auto packed = pack_snapshot(*snapshot);
        if (!packed.ok()) {
            // It stays whole: memory, not a lost snapshot.
            log::warn("keep snapshot " + std::to_string(snapshot->generation) + " packed: " + packed.error().describe());
            continue;
        }
        std::lock_guard lock(m_mutex);
        for (auto& entry : m_entries) {
            if (entry.generation == snapshot->generation && entry.snapshot) {
                entry.packed = std::move(packed.value().bytes);
                entry.text_size = packed.value().text_size;
                entry.snapshot.reset();
            }
        }
    }
    m_packing.store(false);
}

Result<KeptSnapshots::SnapshotPtr> KeptSnapshots::unpack(const Entry& entry) const
{
    auto snapshot = TRY_CTX(unpack_snapshot({ entry.packed, entry.text_size }),
        "kept snapshot " + std::to_string(entry.generation));
    return std::make_shared<const state::Snapshot>(std::move(snapshot));
}

Result<KeptSnapshots::SnapshotPtr> KeptSnapshots::find(std::uint64_t generation) const
{
    Entry packed;
    {
        std::lock_guard lock(m_mutex);
        const Entry* found = nullptr;
        for (const auto& entry : m_entries)
            if (entry.generation == generation)
                found = &entry;
        if (!found)
            return Error::not_found("no kept snapshot with generation " + std::to_string(generation) + " (the daemon keeps the last "
                + std::to_string(capacity) + "; take a new one with GET /glassbox/v1/state)");
        if (found->snapshot)
            return found->snapshot;
        packed = *found; // Unpacked outside the lock.
    }
    return unpack(packed);
}

Result<KeptSnapshots::SnapshotPtr> KeptSnapshots::newest_before(std::chrono::system_clock::time_point time) const
{
    Entry best;
    {
        std::lock_guard lock(m_mutex);
        const Entry* found = nullptr;
        for (const auto& entry : m_entries) {
            std::chrono::system_clock::time_point taken;
            if (strings::parse_rfc3339(entry.taken_at, taken) && taken <= time)
                found = &entry;
        }
        if (!found)
            return Error::not_found("no kept snapshot was taken before " + strings::rfc3339_nano(time));
        if (found->snapshot)
            return found->snapshot;
        best = *found; // Unpacked outside the lock.
    }
    return unpack(best);
}

KeptSnapshots::Usage KeptSnapshots::usage() const
{
    std::lock_guard lock(m_mutex);
    Usage usage;
    usage.kept = m_entries.size();
    for (const auto& entry : m_entries) {
        usage.whole += entry.snapshot != nullptr;
        usage.packed_bytes += entry.packed.size();
    }
    return usage;
}

} // namespace engine::daemon
