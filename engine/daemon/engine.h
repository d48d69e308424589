// daemon::Engine: orchestration. "run" = resolve the image + create the container record +
// mount the overlay root + volumes + network + start the process + supervise it (logs, exit
// status, restart policy, --rm). Every face (the Docker API handlers, glassbox's own endpoints)
// calls this class; nothing below it knows a face exists. All methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/daemon/archive.h"
#include "engine/daemon/create_options.h"
#include "engine/daemon/filters.h"
#include "engine/image/store.h"
#include "engine/network/manager.h"
#include "engine/runtime/runtime.h"
#include "engine/state/engine_objects.h"
#include "engine/state/snapshot.h"
#include "engine/sys/kernel.h"
#include "engine/sys/probe.h"
#include "engine/volume/volume.h"

namespace engine::network {
class Netlink;
class Nftables;
} // namespace engine::network

// The builder's request and progress types, declared only: the daemon's implementation
// (build.cpp) runs the builder, and only the code that fills a build request (the /build
// handler) includes engine/build/builder.h, so the rest of the daemon's users do not compile
// against the builder.
namespace engine::build {
struct BuildOptions;
struct BuildResult;
class BuildOutput;
} // namespace engine::build

namespace engine::daemon {

struct Container;
struct ExecRecord;
class PhaseTrace;

struct EngineOptions {
    std::string root { "/var/lib/glassbox" };
    std::string run_root { "/run/glassbox" };
    std::string init_path;         // Host path of the glassbox-init binary (for --init).
    std::string bridge_name { "glassbox0" };
    std::string default_subnet;    // "" lets IPAM pick (172.17.0.0/16 unless taken).
    std::string bridge_prefix { "gb-" }; // Prefix of every link glassbox creates.
    std::string pool_prefix;       // "" = Docker's address pools; tests pass e.g. "10.231.0.0/16".
    std::string nft_table_name { "glassbox" };
    std::string version { "0.1.0" };
    bool embedded_dns { true };    // A DNS server on each user-defined bridge network's gateway.
    // The networking seams; nullptr means the real kernel (network::LibnlNetlink,
    // network::libnftables()). Unit tests pass sim::FakeNetlink and sim::FakeNftables. Not owned.
    network::Netlink* netlink { nullptr };
    network::Nftables* nftables { nullptr };
    // The runtime seam: how a container's process is started. Unset = runtime::start_container
    // (cgroup, namespaces, pivot_root, exec). Unit tests over the simulated kernel start a plain
    // child process instead, which the Engine then supervises as it would a container.
    std::function<Result<runtime::StartedProcess>(sys::Kernel&, const runtime::ContainerSpec&)> start_process;
    // The same for an exec in a running container (PID 1 is `container_pid`). Unset =
    // runtime::exec_in_container. The simulated kernel runs its in-model programs through both.
    std::function<Result<runtime::StartedProcess>(sys::Kernel&, const runtime::ContainerSpec&, pid_t container_pid,
        const runtime::ProcessSpec&)> exec_process;
};

struct RestartPolicy {
    std::string name { "no" }; // "no", "always", "on-failure", "unless-stopped"
    int maximum_retry_count { 0 };
};

// Docker's Config.Healthcheck: a probe the daemon runs inside the container like an exec
// (engine/daemon/health.h). Durations in nanoseconds; 0 means Docker's default (30s, 30s, 0s;
// retries 3). Test is ["CMD", argv...], ["CMD-SHELL", "script"] or ["NONE"] (disabled).
struct HealthConfig {
    std::vector<std::string> test;
    std::int64_t interval_ns { 0 };
    std::int64_t timeout_ns { 0 };
    std::int64_t start_period_ns { 0 };
    int retries { 0 };
};

// What the user asked for: the subset of Docker's Config + HostConfig that glassbox honours.
// Field names follow Docker's JSON so docker_json.cpp is a straight mapping.
struct ContainerConfig {
    // Config
    std::string hostname;
    std::string domainname;
    std::string user;
    bool attach_stdin { false };
    bool attach_stdout { true };
    bool attach_stderr { true };
    bool tty { false };
    bool open_stdin { false };
    bool stdin_once { false };
    std::vector<std::string> env;
    std::optional<std::vector<std::string>> cmd;        // nullopt: the image's CMD.
    std::optional<std::vector<std::string>> entrypoint; // nullopt: the image's; {""} or {}: none.
    image::ImageName image;                             // Parsed once; .text as the user typed it.
    std::map<std::string, nlohmann::json> volumes;      // Anonymous volumes: "/data" -> {}.
    std::string working_dir;
    std::map<std::string, std::string> labels;
    std::string stop_signal;
    std::optional<int> stop_timeout;
    std::map<std::string, nlohmann::json> exposed_ports; // "80/tcp" -> {}
    std::string mac_address;                             // Config.MacAddress: eth0 of the first network.

    // HostConfig
    std::vector<std::string> binds;                      // -v specs as sent (inspect shows them).
    std::vector<volume::MountSpec> bind_specs;           // The same, parsed once, one for one.
    std::vector<volume::MountSpec> mounts;               // HostConfig.Mounts, parsed once.
    nlohmann::json mounts_json = nlohmann::json::array(); // HostConfig.Mounts as sent (kept for inspect).
    std::map<std::string, std::string> tmpfs;            // "/run" -> "size=64m".
    NetworkMode network_mode;                            // HostConfig.NetworkMode, parsed once.
    bool network_mode_detached { false };                // Disconnected from the NetworkMode network.
    std::map<ContainerPort, std::vector<PortBinding>> port_bindings; // 80/tcp -> bindings
    bool publish_all_ports { false };
    RestartPolicy restart_policy;
    bool auto_remove { false };
    std::vector<std::string> cap_add;
    std::vector<std::string> cap_drop;
    bool privileged { false };
    bool readonly_rootfs { false };
    std::optional<bool> init;
    std::int64_t memory { 0 };
    std::int64_t memory_swap { 0 };
    std::int64_t nano_cpus { 0 };
    std::int64_t cpu_shares { 0 };
    std::int64_t cpu_quota { 0 };
    std::int64_t cpu_period { 0 };
    std::optional<std::int64_t> pids_limit;
    std::int64_t memory_reservation { 0 };
    std::int64_t blkio_weight { 0 };
    std::string cpuset_cpus;
    std::string cpuset_mems;                             // Memory nodes, "0-1", "0,2"; "": every node.
    std::map<std::string, std::string> log_config;       // HostConfig.LogConfig.Config (json-file options), echoed.
    std::string isolation;                               // "" or "default" (the only one on Linux).
    std::string volume_driver;                           // "" or "local".
    std::vector<std::string> group_add;                  // Extra groups: names or numeric ids.
    std::vector<std::string> links;                      // Legacy links: accepted with a warning, /etc/hosts entries.
    std::vector<std::string> dns;
    std::vector<std::string> extra_hosts;
    std::vector<std::string> security_opt;
    std::vector<std::uint16_t> console_size;             // [rows, cols]
    std::map<std::string, std::vector<std::string>> network_aliases; // network -> aliases
    std::map<std::string, std::string> network_ipv4;     // network -> requested --ip
    std::map<std::string, std::string> network_ipv6;     // network -> requested --ip6
    std::map<std::string, std::string> network_mac;      // network -> requested MAC (EndpointsConfig.*.MacAddress)
    PidMode pid_mode;                                    // HostConfig.PidMode, parsed once (container: by full id).
    std::vector<VolumesFrom> volumes_from;               // HostConfig.VolumesFrom, parsed once.
    std::vector<std::string> device_cgroup_rules;        // "c 1:3 rwm", added to the default allow-list.
    std::optional<HealthConfig> healthcheck;             // nullopt: the image's HEALTHCHECK, if any.
};

// The body of POST /containers/{id}/update: only the fields the client sent are set (Docker
// treats a zero as "leave it"). Pure logic over it is in engine/daemon/container_update.h.
struct ResourceUpdate {
    std::optional<RestartPolicy> restart_policy;
    std::optional<std::int64_t> memory, memory_swap, memory_reservation, nano_cpus, cpu_shares, cpu_quota,
        cpu_period, pids_limit, blkio_weight;
    std::optional<std::string> cpuset_cpus, cpuset_mems;
    bool kernel_memory { false }; // Sent: answered with dockerd's deprecation warning, not applied.
};

// A mount as inspect shows it.
struct MountPoint {
    std::string type;        // "volume", "bind", "tmpfs"
    std::string name;        // Volume name.
    std::string source;      // Host path.
    std::string destination;
    std::string mode;
    bool rw { true };
    bool host_access { false }; // A bind mount: the container can see (and maybe change) host files.
    std::string propagation;    // Bind mounts: "rprivate" (the default), "rshared", ...; "" for the others.
};

enum class Status { Created, Running, Paused, Restarting, Removing, Exited, Dead };
std::string_view status_name(Status status); // "created", "running", ...

// State.Health: "starting" until the first verdict, then "healthy" or "unhealthy"; the last
// five probes are kept, as Docker keeps them.
struct HealthProbe {
    std::string start;  // RFC 3339
    std::string end;
    int exit_code { 0 }; // -1 when the probe timed out or could not run.
    std::string output;
};
struct HealthState {
    std::string status;
    int failing_streak { 0 };
    std::vector<HealthProbe> log;
};

struct ContainerState {
    Status status { Status::Created };
    int pid { 0 };
    int exit_code { 0 };
    bool oom_killed { false };
    std::string error;
    std::string started_at { "0001-01-01T00:00:00Z" };
    std::string finished_at { "0001-01-01T00:00:00Z" };
    int restart_count { 0 };
    bool stopped_by_user { false }; // For unless-stopped and always after a daemon restart.
    HealthState health;             // Status "" when the container has no healthcheck.
};

struct EndpointInfo {
    std::string network_id;
    std::string network_name;
    std::string endpoint_id;
    std::string ip_address;
    int prefix_length { 0 };
    std::string gateway;
    std::string mac_address;
    std::vector<std::string> aliases;
    std::string ipv6_address;   // "" on a network without IPv6.
    int ipv6_prefix_length { 0 };
    std::string ipv6_gateway;
};

// A copy of a container's record, safe to read without locks.
struct ContainerView {
    std::string id;
    std::string name;          // Without the leading "/".
    std::string created;       // RFC 3339
    std::string image_id;      // "sha256:..." (config.image is the name the user typed).
    std::string path;          // argv[0] of the effective command.
    std::vector<std::string> args;
    ContainerConfig config;    // Effective config (image defaults merged in).
    ContainerState state;
    std::vector<MountPoint> mounts;
    std::vector<EndpointInfo> endpoints;
    std::map<std::string, std::vector<PortBinding>> ports; // Published ports as bound.
    std::string log_path;
    std::string rootfs;        // Merged mount point.
    std::vector<std::string> lower_dirs;
    std::string upper_dir;
    std::string work_dir;
    std::string hostname_path, hosts_path, resolv_conf_path;
    std::vector<std::string> cgroup_paths;
    std::string netns_path;
    std::int64_t size_rw { 0 };
    std::vector<std::string> warnings;
};

struct CreateResult {
    std::string id;
    std::vector<std::string> warnings;
};


// Where attached or logged output goes. write() returns false once the client is gone, and
// the engine then stops sending to it. Calls come from engine threads.
enum class StreamKind { Stdin = 0, Stdout = 1, Stderr = 2 };
class OutputSink {
public:
    virtual ~OutputSink() = default;
    virtual bool write(StreamKind stream, std::string_view data) = 0;
};

struct LogOptions {
    bool stdout_stream { true };
    bool stderr_stream { true };
    bool follow { false };
    bool timestamps { false };
    std::optional<std::size_t> tail;   // nullopt: all.
    std::optional<std::chrono::system_clock::time_point> since;
    std::optional<std::chrono::system_clock::time_point> until;
};

struct ExecConfig {
    std::vector<std::string> cmd;
    std::vector<std::string> env;
    std::string user;
    std::string working_dir;
    bool tty { false };
    bool attach_stdin { false };
    bool attach_stdout { true };
    bool attach_stderr { true };
    bool privileged { false };
    std::vector<std::uint16_t> console_size;
    std::string detach_keys; // As the client wrote them ("ctrl-x,y"); "" for Docker's default.
};

struct ExecView {
    std::string id;
    std::string container_id;
    ExecConfig config;
    bool running { false };
    int exit_code { 0 };
    bool exited { false };
    int pid { 0 };
};

// One event on the stream (`docker events`): Type container/image/volume/network.
struct Event {
    std::string type;
    std::string action;
    std::string actor_id;
    std::map<std::string, std::string> attributes;
    std::int64_t time_nano { 0 };
};

// A registered wait: status arrives when the condition is met.
struct WaitResult {
    int status_code { 0 };
    std::string error;
};

struct DiskUsage {
    std::vector<image::ImageRecord> images;
    std::map<std::string, int> image_containers; // image id -> containers using it
    std::vector<ContainerView> containers;
    std::vector<std::pair<volume::Volume, std::uint64_t>> volumes; // with sizes
    std::map<std::string, int> volume_refcount;
    std::uint64_t layers_size { 0 };
};

class Engine {
public:
    static Result<std::unique_ptr<Engine>> create(sys::Kernel& kernel, EngineOptions options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // [SECTION] Containers. `ref` is a full id, a unique id prefix or a name.
    Result<CreateResult> create_container(const std::string& name, ContainerConfig config);
    Result<void> start_container(const std::string& ref);        // NotModified if running.
    Result<void> stop_container(const std::string& ref, std::optional<int> timeout_seconds); // NotModified if stopped.
    Result<void> restart_container(const std::string& ref, std::optional<int> timeout_seconds);
    Result<void> kill_container(const std::string& ref, const std::string& signal); // Conflict if not running.
    Result<void> remove_container(const std::string& ref, bool force, bool remove_volumes);
    Result<void> rename_container(const std::string& ref, const std::string& new_name);
    Result<void> pause_container(const std::string& ref);
    Result<void> unpause_container(const std::string& ref);
    // docker update: the live cgroup first, then the stored HostConfig; either both change or
    // neither does. Returns dockerd's warnings (for example a discarded BlkioWeight).
    Result<std::vector<std::string>> update_container(const std::string& ref, const ResourceUpdate& update);
    Result<ContainerView> inspect_container(const std::string& ref) const;
    // Docker's `ps`: running containers (every one with `all`, a status or exited filter, or a
    // limit), newest first, at most `limit` when it is positive. Filters as in filters.h.
    Result<std::vector<ContainerView>> list_containers(bool all, const Filters& filters, int limit = 0) const;
    // Registers the wait now (so the caller can send headers), then `get` blocks until the
    // condition ("not-running", "next-exit", "removed") is met.
    Result<std::function<WaitResult()>> wait_container(const std::string& ref, const std::string& condition);
    // The same wait for a poll loop (wait.cpp): `wake` becomes readable on every exit or removal
    // of the container, and `ready` then says whether the condition is met, with the result.
    struct PollableWait {
        std::shared_ptr<UniqueFd> wake;
        std::function<std::optional<WaitResult>()> ready;
    };
    Result<PollableWait> wait_container_pollable(const std::string& ref, const std::string& condition);
    Result<void> resize_container(const std::string& ref, int height, int width);
    // Streams output to `sink` until the container's output ends (exit) or the sink fails; with
    // `logs`, first replays the log. Returns a handle for stdin.
    struct Attachment {
        std::function<void(std::string_view)> write_stdin;
        std::function<void()> close_stdin;
        std::function<void()> wait_done;   // Blocks until the output has ended.
        std::function<void()> detach;      // The client went away.
        bool tty { false };
    };
    Result<Attachment> attach_container(const std::string& ref, bool stdin_stream, bool stdout_stream,
        bool stderr_stream, bool logs, std::shared_ptr<OutputSink> sink);
    // Blocks while following; returns when done or when the sink fails.
    Result<void> container_logs(const std::string& ref, const LogOptions& options, OutputSink& sink);
    Result<bool> container_is_tty(const std::string& ref) const;
    Result<nlohmann::json> container_top(const std::string& ref) const;
    Result<nlohmann::json> container_stats(const std::string& ref) const;
    Result<std::vector<std::string>> prune_containers(std::uint64_t& reclaimed);

    // [SECTION] Container filesystem (archive.cpp, commit.cpp): docker cp, export, diff, commit.
    // Paths are resolved inside the container (or the volume that covers them); NotFound is
    // dockerd's "Could not find the file P in container X". Tars go through files.
    Result<PathStat> stat_container_path(const std::string& ref, const std::string& path);
    Result<PathStat> archive_container_path(const std::string& ref, const std::string& path, const std::string& out_tar);
    Result<void> extract_to_container(const std::string& ref, const std::string& path, const std::string& tar_path,
        bool no_overwrite_dir_non_dir, bool copy_uid_gid);
    Result<void> export_container(const std::string& ref, const std::string& out_tar);
    Result<std::vector<FileChange>> container_changes(const std::string& ref) const;
    Result<std::string> commit_container(const std::string& ref, const CommitOptions& options); // The new image id.

    // [SECTION] Exec.
    Result<std::string> exec_create(const std::string& container_ref, ExecConfig config);
    // Starts it; output goes to `sink`; returns the stdin handle as attach does.
    Result<Attachment> exec_start(const std::string& exec_id, bool detach, std::shared_ptr<OutputSink> sink);
    Result<ExecView> exec_inspect(const std::string& exec_id) const;
    Result<void> exec_resize(const std::string& exec_id, int height, int width);

    // [SECTION] Images.
    image::Store& images() { return *m_images; }
    Result<std::vector<image::DeleteItem>> remove_image(const std::string& ref, bool force);
    Result<image::ImageRecord> import_image(const std::string& tar_path, const image::ImportOptions& options);
    Result<std::vector<std::string>> load_images(const std::string& archive_path);
    Result<void> tag_image(const std::string& source, const image::Reference& target);
    // Number of containers that use each image id.
    std::map<std::string, int> image_usage() const;
    // Docker's `images` filters: reference (a glob on name or name:tag), dangling, label,
    // before and since (another image's creation time).
    struct ImageView {
        image::ImageRecord record;
        int containers { 0 };
    };
    Result<std::vector<ImageView>> list_images(const Filters& filters) const;
    // Removes unused images: untagged ones only unless dangling=false; label and until filters
    // narrow it. An image that cannot go (a child's parent) is kept and skipped.
    struct ImagePrune {
        std::vector<image::DeleteItem> deleted;
        std::uint64_t reclaimed { 0 };
    };
    Result<ImagePrune> prune_images(const Filters& filters);

    // [SECTION] Volumes.
    volume::Store& volumes() { return *m_volumes; }
    Result<volume::Volume> create_volume(const std::string& name, const std::map<std::string, std::string>& labels,
        const std::map<std::string, std::string>& options);
    Result<void> remove_volume(const std::string& name, bool force);
    Result<std::vector<std::string>> prune_volumes(bool all, std::uint64_t& reclaimed);
    // Docker's `volume ls` filters: name (substring), driver, label, dangling.
    Result<std::vector<volume::Volume>> list_volumes(const Filters& filters) const;
    // Names of containers that mount the volume.
    std::vector<std::string> volume_users(const std::string& name) const;

    // [SECTION] Builds (build.cpp).
    // A build context unpacked into a private directory under the data root; the directory is
    // removed when the value is destroyed.
    class BuildContext {
    public:
        explicit BuildContext(std::string work_dir) : m_work_dir(std::move(work_dir)) { }
        BuildContext(const BuildContext&) = delete;
        BuildContext& operator=(const BuildContext&) = delete;
        ~BuildContext();
        std::string dir() const { return m_work_dir + "/context"; }
        // The build's private directory (beside the context): files the daemon makes for it.
        const std::string& work_dir() const { return m_work_dir; }

    private:
        std::string m_work_dir;
    };
    // Receives a build context: `write_tar` writes the client's tar to the path it is given,
    // which is then unpacked safely (owners dropped, no whiteouts, nothing outside the
    // directory) and removed. Errors name the step that failed.
    Result<std::unique_ptr<BuildContext>> receive_build_context(
        const std::function<Result<void>(const std::string& tar_path)>& write_tar);
    // Checks the options a client sent before anything is built: InvalidArgument for a network
    // mode other than none or host, or a remote context (builds have no network to fetch it),
    // and the memory limits dockerd refuses.
    static Result<void> check_build_options(const build::BuildOptions& options, const std::string& remote);
    // Once the context is in: InvalidArgument when options.target names no stage of its
    // Dockerfile, so the API answers 400 before the stream starts, as dockerd does.
    static Result<void> check_build_target(const BuildContext& context, build::BuildOptions options);
    // Builds from `context`, writing progress to `output` and publishing "build" events (start,
    // one per step, end with the image or the error) for the visualizer and recordings.
    Result<build::BuildResult> build_image(const BuildContext& context, build::BuildOptions options,
        build::BuildOutput& output);

    // [SECTION] Networks. `ref` is a full id, unique id prefix or name.
    // Networks as network::Manager records them; the API shows the gateways only where they
    // were given (gateway_given, gateway6_given), as dockerd does.
    Result<network::NetworkRecord> create_network(const network::NetworkConfig& config);
    Result<network::NetworkRecord> inspect_network(const std::string& ref) const;
    Result<std::vector<network::NetworkRecord>> list_networks(const Filters& filters) const;
    Result<void> remove_network(const std::string& ref);          // Forbidden-style Conflict if in use.
    // `mac` "" = derived from the address (applies when the container is running); `ipv6` ""
    // = the next free address on a network with IPv6.
    Result<void> connect_network(const std::string& network_ref, const std::string& container_ref,
        const std::vector<std::string>& aliases, const std::string& ipv4, const std::string& mac = "",
        const std::string& ipv6 = "");
    Result<void> disconnect_network(const std::string& network_ref, const std::string& container_ref, bool force);
    Result<std::vector<std::string>> prune_networks();

    // [SECTION] System.
    const sys::KernelFeatures& features() const { return m_features; }
    // The phase timings of the container whose id is (or starts with) `id`, kept for the last
    // containers even after their removal (trace.h); nullptr if none.
    std::shared_ptr<const PhaseTrace> container_trace(const std::string& id) const;
    const EngineOptions& options() const { return m_options; }
    // The kernel seam the engine uses (the builder runs its RUN steps through it).
    sys::Kernel& kernel() { return m_kernel; }
    DiskUsage disk_usage() const;
    // Counts for `info`.
    struct Counts {
        int containers { 0 }, running { 0 }, paused { 0 }, stopped { 0 }, images { 0 };
    };
    Counts counts() const;
    // Removes every kernel object and mount glassbox made (system reset): stops containers,
    // unmounts roots, removes cgroups, network objects. Keeps images and volumes unless `all`.
    Result<std::vector<std::string>> reset(bool all);

    // [SECTION] Kernel state (glassbox's own /glassbox/v1 endpoints).
    // The engine's objects as plain data for the state collector.
    state::EngineObjects engine_objects() const;
    // Takes a snapshot of the live kernel now and keeps it; the last 64 are kept by generation
    // (kept_snapshots.h: all but the newest two packed).
    Result<std::shared_ptr<const state::Snapshot>> take_snapshot();
    // Packs the kept snapshots that are no longer among the newest two. Handlers call it after
    // their response is sent, so the deflating is off the request's path.
    void pack_kept_snapshots();
    // A kept snapshot by generation (NotFound once dropped), or the newest kept one taken at or
    // before `time` (for a diff over a time window).
    Result<std::shared_ptr<const state::Snapshot>> kept_snapshot(std::uint64_t generation) const;
    Result<std::shared_ptr<const state::Snapshot>> kept_snapshot_before(std::chrono::system_clock::time_point time) const;

    // [SECTION] Events. The callback gets events until it returns false or the subscription is
    // dropped; events since `since` are replayed first.
    using EventCallback = std::function<bool(const Event&)>;
    std::shared_ptr<void> subscribe(EventCallback callback, std::optional<std::int64_t> since_nano);
    void publish(Event event);

    // Stops every container (daemon shutdown keeps them recorded as exited), then leaves nothing
    // mounted under the root and run root: the lab network namespace goes with its uplink (made
    // again at the next start). Bridges and the nft table stay for the next start.
    void shutdown();

    struct Impl;

private:
    Engine(sys::Kernel& kernel, EngineOptions options);
    class RootfsHold; // archive.cpp: the container's root mounted for one call.

    // Internals (the container_*.cpp files, exec.cpp, engine.cpp).
    Result<std::shared_ptr<Container>> find_container(const std::string& ref) const;
    Result<void> do_start(const std::shared_ptr<Container>& container);
    Result<void> do_stop(const std::shared_ptr<Container>& container, std::optional<int> timeout_seconds);
    // Thaws a paused container so a queued kill or stop signal takes effect (container_stop.cpp).
    void thaw_for_exit(const std::shared_ptr<Container>& container);
    Result<void> do_remove(const std::shared_ptr<Container>& container, bool remove_volumes);
    void supervise(std::shared_ptr<Container> container, int pid, int stdout_fd, int stderr_fd, int pty_fd);
    bool supervise_on_loop(const std::shared_ptr<Container>& container, int pid, int stdout_fd, int stderr_fd, int pty_fd,
        std::chrono::steady_clock::time_point exec_seen);
    void after_exit(const std::shared_ptr<Container>& container, int exit_code);
    void persist(const Container& container) const;
    Result<void> setup_network(const std::shared_ptr<Container>& container);
    void teardown_network(const std::shared_ptr<Container>& container);
    // The end of shutdown(): the lab uplink, then any mount left under the roots.
    void release_mounts();
    Result<void> write_container_files(const std::shared_ptr<Container>& container);
    void load_containers();
    void spawn_thread(std::function<void()> body);
    // Runs the container's healthcheck on its own thread for as long as this run lasts (health.cpp).
    void start_health_monitor(const std::shared_ptr<Container>& container);

    sys::Kernel& m_kernel;
    EngineOptions m_options;
    sys::KernelFeatures m_features;
    std::unique_ptr<image::Store> m_images;
    std::unique_ptr<volume::Store> m_volumes;
    std::unique_ptr<Impl> m_impl;
};

} // namespace engine::daemon
