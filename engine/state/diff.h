// The structured diff of two snapshots: which objects were added, removed or changed (matched by
// identity key), each with one sentence a student can read ("new network namespace
// net:[4026532401] for container web", "veth pair gb-1a2b3c (host, master glassbox0) <-> eth0 (in
// container web's netns)", "overlay mount with 3 lower layers at ..."). `glassbox state diff --
// <command>` prints it; GET /glassbox/v1/state/diff serves it as JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/state/snapshot.h"

namespace engine::state {

enum class ChangeType { Added, Removed, Changed };
std::string_view change_type_name(ChangeType type); // "added", "removed", "changed"

struct Change {
    ChangeType type { ChangeType::Added };
    std::string kind;                 // Collection name: "links", "mounts", ...
    std::string key;                  // Identity key of the object.
    std::string owner;                // Engine object it belongs to, "" for the host's own.
    std::string sentence;             // One readable sentence.
    std::vector<std::string> fields;  // For Changed: "mtu: 1500 -> 9000", one per field.
};

struct Diff {
    std::uint64_t from_generation { 0 };
    std::uint64_t to_generation { 0 };
    std::vector<Change> changes;
};

struct DiffOptions {
    // Only objects that belong to glassbox (non-empty owner): what a command did, without the
    // noise of other processes on a shared host.
    bool glassbox_only { false };
    // Also report counters that move on their own (memory and CPU usage, thread counts,
    // process run states other than zombie, neighbour reachability, namespace and cgroup members).
    bool include_usage { false };
};

// Changes come out in schema order (containers, images, ..., nft_rules), removals before
// additions before changes within a kind, each sorted by key, so equal inputs give equal output.
Diff diff_snapshots(const Snapshot& before, const Snapshot& after, const DiffOptions& options = {});

// One line per change: "+ new veth ...", "- removed ...", "~ link eth0 ... changed: mtu 1500 ->
// 9000"; "no changes" when empty.
std::string render_diff(const Diff& diff);

// One sentence per object of collection `kind` ("links", "mounts", ...), in the words the diff
// uses, for listings such as `glassbox state --kind links`. Empty for an unknown kind.
std::vector<std::string> describe_objects(const Snapshot& snapshot, std::string_view kind);

nlohmann::json diff_to_json(const Diff& diff);
// Fails with InvalidArgument naming the field when the JSON is not a diff.
Result<Diff> diff_from_json(const nlohmann::json& json);

} // namespace engine::state
