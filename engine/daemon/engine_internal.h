// Engine internals shared by the daemon's .cpp files: the in-memory container and exec
// records, the wait state that outlives a removed container, and the event log.
#pragma once

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "engine/daemon/engine.h"
#include "engine/daemon/kept_snapshots.h"
#include "engine/daemon/output.h"
#include "engine/daemon/supervisor.h"
#include "engine/daemon/trace.h"
#include "engine/runtime/cgroup.h"
#include "engine/runtime/runtime.h"

#include "engine/network/manager.h"

namespace engine::daemon {

// What waiters watch. Shared with `wait` callers, so a `wait?condition=removed` still gets the
// exit code after the record is gone.
struct WaitState {
    std::mutex mutex;
    std::condition_variable cv;
    std::uint64_t exits { 0 };   // Incremented on every exit.
    int last_exit_code { 0 };
    bool running { false };
    bool removed { false };
    // The API's waiters (wait_container_pollable): an eventfd each, written on every change
    // above, so a wait handler polls it beside its client's socket instead of holding a thread
    // per wait until the container exits. Expired entries are dropped as they are met.
    std::vector<std::weak_ptr<UniqueFd>> wake_fds;

    // Call with `mutex` held after changing the fields above.
    void notify_locked()
    {
        cv.notify_all();
        std::erase_if(wake_fds, [](const std::weak_ptr<UniqueFd>& weak) {
            auto fd = weak.lock();
            if (!fd)
                return true;
            std::uint64_t one = 1;
            (void)!::write(fd->get(), &one, sizeof one);
            return false;
        });
    }
};

// A volume mount as recorded for the container (resolved at create).
struct RecordedMount {
    std::string type;            // "volume", "bind", "tmpfs"
    std::string name;            // Volume name.
    std::string source;          // Host path (volume _data or bind source).
    std::string destination;
    bool read_only { false };
    bool anonymous { false };
    bool copy_up_pending { false }; // Fill the volume from the image at first start.
    std::string tmpfs_options;
    std::string propagation;        // Bind mounts: Docker's propagation mode, "rprivate" by default.
    std::string mode;               // Bind mounts: the -v options as written, shown as Mounts[].Mode as dockerd does.
};

// Which process a running container's record names, beyond its PID, so a daemon restarted after
// a crash can tell its container's PID 1 from a process that reused the number, and find the
// container's output pipes again (recovery.h). Recorded at start; 0 in records written before
// these were kept, and for what a container does not have (a TTY has no pipes).
struct ProcessIdentity {
    std::uint64_t start_time { 0 };   // /proc/<pid>/stat field 22 (clock ticks after boot).
    std::uint64_t stdout_pipe { 0 };  // The inode of the pipe behind its stdout.
    std::uint64_t stderr_pipe { 0 };
};

struct Container {
    ContainerView view;                   // Guarded by Engine::Impl::mutex.
    std::vector<RecordedMount> recorded_mounts;
    std::string dir;                      // <root>/containers/<id>

    std::mutex op_mutex;                  // Serialises start/stop/restart/remove.
    std::shared_ptr<WaitState> wait = std::make_shared<WaitState>();
    std::unique_ptr<OutputHub> hub;

    // Runtime (valid while running).
    int stdin_fd { -1 };
    int pty_master { -1 };
    std::string pending_stdin;            // Stdin that arrived before start (docker run -i).
    bool pending_stdin_close { false };
    std::int64_t oom_kills_at_start { 0 };
    bool restart_cancelled { false };
    // Set by restart_container for its stop: the exit it causes is followed by a start, not by
    // the --rm removal (dockerd's HasBeenManuallyRestarted). after_exit takes it (and clears it).
    bool restarting_by_hand { false };
    std::condition_variable restart_cv;
    std::chrono::steady_clock::time_point started_steady;
    int backoff_ms { 0 };
    std::set<std::string> exec_ids;
    std::shared_ptr<PhaseTrace> trace;    // Phase timings (trace.h); kept in Impl::traces too.
    ProcessIdentity process;              // Guarded by Engine::Impl::mutex; persisted in the record.
};

struct ExecRecord {
    ExecView view;
    std::mutex mutex;
    int stdin_fd { -1 };
    int pty_master { -1 };
    std::shared_ptr<OutputSink> sink;
};

struct EventSubscription {
    Engine::EventCallback callback;
    bool active { true };
};

struct Engine::Impl {
    mutable std::mutex mutex;             // Guards containers, names, execs.
    std::map<std::string, std::shared_ptr<Container>> containers; // id -> record
    std::map<std::string, std::string> names;                      // name -> id
    std::map<std::string, std::shared_ptr<ExecRecord>> execs;

    // The ids of every container, copied under the lock, for work that calls back into the
    // Engine per container (inspect takes the lock itself).
    std::vector<std::string> container_ids() const
    {
        std::lock_guard lock(mutex);
        std::vector<std::string> ids;
        ids.reserve(containers.size());
        for (const auto& entry : containers)
            ids.push_back(entry.first);
        return ids;
    }

    std::mutex events_mutex;
    std::deque<Event> event_log;          // The last events, for `since`.
    std::list<std::shared_ptr<EventSubscription>> subscribers;

    std::atomic<int> threads { 0 };       // Supervisor and pump threads still running.
    std::atomic<bool> shutting_down { false };
    std::mutex threads_mutex;
    std::condition_variable threads_cv;

    std::mutex snapshots_mutex;           // Serialises collection and the generation count.
    KeptSnapshots kept_snapshots;         // Has its own lock: a lookup never waits for a collection.
    std::uint64_t next_generation { 1 };

    // The networking seams: the real ones unless EngineOptions named others (tests pass fakes).
    std::unique_ptr<network::Netlink> owned_netlink;
    network::Netlink* netlink { nullptr };
    network::Nftables* nftables { nullptr };
    std::unique_ptr<network::Manager> networks;

    TraceLog traces;                      // The last containers' phase timings.
    // The one event loop over every running container's output and exit (made at the first
    // start; destroyed first, before the records its strands use).
    std::mutex supervisor_mutex;
    std::unique_ptr<Supervisor> supervisor;

    // The event loop, made at its first use (a start, or a re-adoption after a restart).
    Supervisor& supervisor_loop(const Supervisor::Spawn& spawn)
    {
        std::lock_guard lock(supervisor_mutex);
        if (!supervisor)
            supervisor = std::make_unique<Supervisor>(spawn);
        return *supervisor;
    }
};

// Persistence of container records (container_record.cpp).
nlohmann::json container_to_json(const ContainerView& view, const std::vector<RecordedMount>& mounts,
    const ProcessIdentity& process);
Result<void> container_from_json(const nlohmann::json& doc, ContainerView& view, std::vector<RecordedMount>& mounts,
    ProcessIdentity& process);
nlohmann::json config_to_json(const ContainerConfig& config);
ContainerConfig config_from_json(const nlohmann::json& doc);

// The capabilities a container's processes get: Docker's default set with --cap-add/--cap-drop,
// or every capability with --privileged (runtime_spec.cpp; exec uses the same set).
std::vector<std::string> effective_capabilities(const ContainerConfig& config);

// The runtime spec a container's record stands for (runtime_spec.cpp). Start, stop, remove and
// update each build it from the record, so they agree on the rootfs, mounts and cgroup.
runtime::ContainerSpec make_spec(const Container& container, const EngineOptions& options);

// Checks that create and rename (and update, for the cpusets) share (container_create.cpp).
// Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool valid_container_name(const std::string& name);
// The key of an environment entry "KEY=value" (the whole entry when it has no '=').
std::string env_key(const std::string& entry);
// A cpuset list ("0-1,3") made only of CPUs, or memory nodes, this host has, with dockerd's messages.
Result<void> check_cpuset(const std::string& cpus);
Result<void> check_cpuset_mems(const std::string& mems);
// The time now as Docker writes it in records (RFC 3339 with nanoseconds).
std::string now_rfc3339();

// A Docker-style random name: "adjective_scientist" (names.cpp).
std::string random_container_name();

} // namespace engine::daemon
