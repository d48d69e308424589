// What to run: plain data, filled in by daemon::Engine and validated once by the runtime
// (the role of runc's configs/ and the OCI runtime spec). No kernel handles in here.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace engine::runtime {

// One mount inside the container, with the source already resolved to a host path.
struct MountEntry {
    enum class Type { Bind, Tmpfs };
    Type type { Type::Bind };
    std::string source;       // Host path for Bind; ignored for Tmpfs.
    std::string destination;  // Absolute path inside the container.
    bool read_only { false };
    std::string options;      // Extra data for tmpfs ("size=64m,mode=1777").
    // Bind only: the mount's propagation ("rprivate", "rshared", "rslave", "private", "shared",
    // "slave"), applied after the bind; "" leaves what the bind inherited.
    std::string propagation;
};

struct Resources {
    std::int64_t memory_bytes { 0 };       // 0: no limit.
    std::int64_t memory_swap_bytes { 0 };  // 0: same as memory (no extra swap); -1: unlimited.
    std::int64_t pids_limit { 0 };         // 0 or -1: no limit.
    std::int64_t nano_cpus { 0 };          // 1e9 = one CPU; 0: no limit.
    std::int64_t cpu_shares { 0 };         // 0: default.
    std::int64_t cpu_period_us { 0 };      // CFS period for nano_cpus; 0: 100000 (100 ms).
    std::string cpuset_cpus;               // "0-1", "0,2"; "": every CPU of the parent.
    std::string cpuset_mems;               // Memory nodes, same syntax; "": every node of the parent.
    std::int64_t memory_reservation_bytes { 0 }; // Soft limit (memory.soft_limit_in_bytes / memory.low); 0: none.
    std::int64_t blkio_weight { 0 };       // 10..1000 (blkio.weight / io.weight); 0: default.
    // The device cgroup: with restrict_devices, everything is denied but device_rules (Docker's
    // syntax, "c 1:3 rwm"; runtime/devices.h). Without it (--privileged) every device is allowed.
    bool restrict_devices { false };
    std::vector<std::string> device_rules;
};

// The process to start: PID 1 of a container, or an exec'd process in a running one.
struct ProcessSpec {
    std::vector<std::string> args;      // args[0] is looked up in PATH (from env) inside the rootfs.
    std::vector<std::string> env;       // "KEY=value".
    std::string cwd { "/" };
    std::string user;                   // "", "name", "uid", "uid:gid", "name:group"; resolved in the rootfs.
    std::vector<std::string> additional_groups; // Docker's GroupAdd: numeric gids or group names from the rootfs.
    bool tty { false };
    bool open_stdin { false };
    std::vector<std::string> capabilities; // Final set, "CAP_CHOWN", ... (bounding, effective, permitted).
    bool no_new_privileges { false };
    std::uint16_t console_rows { 0 };
    std::uint16_t console_cols { 0 };
    // How long the daemon waits for the process to reach its execve (or report a failure) before
    // it kills what it started: a process stopped or hung on the way (SIGSTOP from a tracer in
    // the container, a hanging mount source) must not block the daemon forever.
    std::chrono::milliseconds start_timeout { std::chrono::seconds(60) };
};

struct ContainerSpec {
    std::string id;            // 64 hex.
    std::string hostname;
    std::string domainname;

    // Overlay root: lower directories lowest first (the image's layers in rootfs.diff_ids order),
    // the container's own upper and work directories, and where the merged tree is mounted.
    std::vector<std::string> lower_dirs;
    std::string upper_dir;
    std::string work_dir;
    std::string rootfs;        // Mount point of the merged tree.
    bool readonly_rootfs { false };

    ProcessSpec process;
    std::vector<MountEntry> mounts;

    // Join this PID namespace (an nsfs file such as /proc/<pid>/ns/pid, HostConfig.PidMode
    // "container:<id>") instead of creating a new one. "" creates one unless share_host_pid.
    std::string pidns_path;

    // Join this network namespace (a bind-mounted nsfs file) instead of creating a new one.
    // "" creates a fresh one with only loopback. "host" shares the daemon's.
    std::string netns_path;
    bool share_host_ipc { false };
    bool share_host_pid { false };
    bool share_host_uts { false };

    Resources resources;
    std::string cgroup_name;   // "glassbox/<id>": relative to each hierarchy's root.

    bool privileged { false };
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;

    // Run `init_path` (a host file, glassbox-init) as PID 1 in front of the process.
    bool init { false };
    std::string init_path;

    // Seccomp: the place for the default profile that the hardening work adds. Empty: none.
    std::string seccomp_profile_json;
};

// Docker's default capability set (moby daemon/pkg/oci/caps/defaults.go).
const std::vector<std::string>& default_capabilities();
// Every capability the running kernel knows (for --privileged and --cap-add ALL).
std::vector<std::string> all_capabilities();
// Docker's default masked and read-only paths.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

} // namespace engine::runtime
