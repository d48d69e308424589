// What the visualizer draws in one frame, as immutable plain data: the snapshot, the diff that
// led to it (and which objects it marks), the Dockerfile build seen so far, and how the source is
// doing. Sources build a Frame on their own thread (JSON parsing, diffing) and publish it as
// std::shared_ptr<const Frame>; the UI thread takes the newest pointer once per frame and draws
// from it without a lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/state/diff.h"
#include "engine/state/snapshot.h"

namespace visualizer {

// One Dockerfile instruction as the builder ran it (a "build"/"step" event).
struct BuildStep {
    int step { 0 };                   // 1-based, as "Step 3/7" counts.
    int total { 0 };
    int line { 0 };                   // Line of the instruction in the Dockerfile (1-based).
    std::string instruction;          // As written: "RUN apk add curl".
    std::string cache;                // "hit", "miss", or "" for steps the cache does not apply to.
    std::string layer_id;             // diff id of the layer the step produced, "" for none.
    std::uint64_t size { 0 };         // Bytes of that layer.
    std::string image_id;             // Image after the step.
    std::vector<std::string> changes; // "A /etc/motd", "C /bin/sh", "D /tmp/x" (D = whiteout).
    int changes_total { 0 };          // Files changed in all (changes may be cut short).
};

// A build as the event stream told it: the Dockerfile, then one entry per finished step.
struct BuildLog {
    std::string build_id;
    std::string dockerfile;           // Dockerfile text, as the builder read it.
    std::vector<BuildStep> steps;
    bool finished { false };
    std::string result;               // Final image id, or the error message.
    bool failed { false };
};

// The learner's current lesson step and its checks over the frame's snapshot (from
// engine/lesson's runner, converted so the panels need no lesson headers).
struct LessonCheckView {
    std::string that;                 // The check's text.
    bool passed { false };
    std::string found;                // What the evaluator saw, or why it could not evaluate.
    std::string hint;
};

struct LessonView {
    std::string error;                // Set when there is no step to show ("no lesson started ...").
    std::string lesson_title;
    std::string step_title;
    int index { 0 };                  // 0-based.
    int count { 0 };
    bool finished { false };
    std::string explain;              // Markdown, shown as text.
    std::vector<std::string> commands;
    std::string question;
    std::vector<std::string> focus;   // Selectors the step points the visualizer at.
    std::vector<LessonCheckView> checks;
    bool all_passed { false };
};

// Objects the last diff touched, by identity key, with how.
using ChangeMarks = std::unordered_map<std::string, engine::state::ChangeType>;

struct Frame {
    std::shared_ptr<const engine::state::Snapshot> snapshot; // Never null (empty when none yet).
    std::shared_ptr<const engine::state::Diff> diff;         // Null before the second snapshot.
    std::shared_ptr<const ChangeMarks> marks;                // Null when `diff` is.
    std::shared_ptr<const BuildLog> build;                   // Null until a build is seen.
    std::shared_ptr<const LessonView> lesson;                // Null when lessons are not available.
    double changed_at { -1e9 };       // Steady-clock seconds when `diff` arrived.
    bool connected { true };          // False while a live source has no daemon.
    std::string status;               // "connected", "disconnected: ...", "entry 3 of 12".
    std::uint64_t serial { 0 };       // Bumped on every publish.
};

// Seconds on the monotonic clock, the time base of Frame::changed_at.
double monotonic_seconds();

// The marks for a diff: every change's key with its type.
std::shared_ptr<const ChangeMarks> marks_for(const engine::state::Diff& diff);

// An empty snapshot, shared.
std::shared_ptr<const engine::state::Snapshot> empty_snapshot();

} // namespace visualizer
