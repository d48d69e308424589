// See recovery.h. Runs once, single-threaded, before the API socket accepts anyone.
#include "engine/daemon/recovery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <vector>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/runtime/cgroup.h"
#include "engine/runtime/container_spec.h"
#include "engine/runtime/runtime.h"

namespace engine::daemon {

namespace {

// "<name>.tmp-<digits>": the temporary name fs::write_file_atomic writes before its rename.
bool is_interrupted_write(const std::string& name)
{
    auto at = name.rfind(".tmp-");
    if (at == std::string::npos || at + 5 == name.size())
        return false;
    return name.find_first_not_of("0123456789", at + 5) == std::string::npos;
}

// Removes interrupted writes in `dir` and, `depth` levels down, in its subdirectories; data
// directories (a volume's _data, a layer's fs, a container's rootfs and overlay dirs) are not
// entered: they hold users' files, never records.
void remove_interrupted_writes(const std::string& dir, int depth)
{
    for (const auto& name : fs::list_dir(dir)) {
        auto path = dir + "/" + name;
        struct stat st { };
        if (::lstat(path.c_str(), &st) != 0)
            continue;
        if (S_ISREG(st.st_mode) && is_interrupted_write(name)) {
            log::info("removing the temporary file of an interrupted write: " + path);
            (void)::unlink(path.c_str());
        } else if (S_ISDIR(st.st_mode) && depth > 0 && name != "_data" && name != "fs" && name != "rootfs"
            && name != "upper" && name != "work" && name != "tmp") {
            remove_interrupted_writes(path, depth - 1);
        }
    }
}

// True when `path` is on another filesystem than its parent (a mount is still there).
bool is_mount_point(const std::string& path)
{
    struct stat here { };
    struct stat parent { };
    if (::lstat(path.c_str(), &here) != 0 || ::lstat((path + "/..").c_str(), &parent) != 0)
        return false;
    return here.st_dev != parent.st_dev;
}

} // namespace

void reclaim_interrupted_work(sys::Kernel& kernel, const std::string& root)
{
    auto tmp = root + "/tmp";
    auto steps = tmp + "/build-steps";
    for (const auto& id : fs::list_dir(steps)) {
        // A build step's directory is named for its container id; its cgroup is build-<id>.
        runtime::Cgroup cgroup = runtime::Cgroup::for_name("glassbox/build-" + id);
        cgroup.kill_all(kernel);
        (void)cgroup.remove(kernel);
        runtime::ContainerSpec spec;
        spec.rootfs = steps + "/" + id + "/rootfs";
        if (auto unmounted = runtime::unmount_rootfs(kernel, spec); !unmounted.ok()) {
            log::warn("leaving the interrupted build step " + steps + "/" + id + ": " + unmounted.error().describe());
            continue;
        }
        log::info("removing the interrupted build step " + id);
        (void)fs::remove_tree(steps + "/" + id);
    }
    for (const auto& name : fs::list_dir(tmp)) {
        if (name == "build-steps")
            continue;
        log::info("removing the interrupted upload or build " + tmp + "/" + name);
        (void)fs::remove_tree(tmp + "/" + name);
    }
    // A container directory without its record: a create cut short before the record was written.
    auto containers = root + "/containers";
    for (const auto& id : fs::list_dir(containers)) {
        if (fs::exists(containers + "/" + id + "/config.v2.json") || !fs::is_dir(containers + "/" + id))
            continue;
        reclaim_stopped_container(kernel, id, containers + "/" + id + "/rootfs");
        if (is_mount_point(containers + "/" + id + "/rootfs")) {
            log::warn("leaving the unrecorded container directory " + id + ": its root is still mounted");
            continue;
        }
        log::info("removing the directory of a container whose create was interrupted: " + id);
        (void)fs::remove_tree(containers + "/" + id);
    }
    // Records live at most four levels down (image/blobs/sha256/<digest>).
    remove_interrupted_writes(root, 3);
}

void reclaim_stopped_container(sys::Kernel& kernel, const std::string& id, const std::string& rootfs)
{
    runtime::Cgroup cgroup = runtime::Cgroup::for_name("glassbox/" + id);
    cgroup.kill_all(kernel);
    (void)cgroup.remove(kernel);
    runtime::ContainerSpec spec;
    spec.rootfs = rootfs;
    (void)runtime::unmount_rootfs(kernel, spec);
}

void reclaim_network_leftovers(network::Manager& networks, const std::set<std::string>& running,
    const std::string& run_root)
{
    for (const auto& record : networks.list()) {
        for (const auto& [container_id, endpoint] : record.containers) {
            (void)endpoint;
            if (running.count(container_id))
                continue;
            log::info("disconnecting " + container_id.substr(0, 12) + " (not running) from " + record.name);
            (void)networks.disconnect(record.id, container_id);
        }
    }
    for (const auto& name : fs::list_dir(run_root + "/network/netns")) {
        // Sandbox files are named for their container; the lab namespace has its own name.
        if (name.size() != 64 || running.count(name))
            continue;
        (void)networks.unpublish_ports(name);
        (void)networks.remove_sandbox(name);
    }
}

// [SECTION] Re-adoption of running containers

namespace {

// The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses,
// so the split starts after the last ')'): element 0 is field 3 (the state).
std::vector<std::string> stat_fields(sys::Kernel& kernel, pid_t pid)
{
    if (pid <= 0)
        return {};
    auto text = kernel.read_file(kernel.procfs_root() + "/" + std::to_string(pid) + "/stat");
    if (!text.ok())
        return {};
    auto close = text.value().rfind(')');
    if (close == std::string::npos)
        return {};
    std::vector<std::string> fields;
    std::string field;
    for (char c : text.value().substr(close + 1)) {
        if (c == ' ' || c == '\n') {
            if (!field.empty())
                fields.push_back(std::move(field));
            field.clear();
        } else {
            field += c;
        }
    }
    if (!field.empty())
        fields.push_back(std::move(field));
    return fields;
}

std::optional<std::uint64_t> stat_number(const std::vector<std::string>& fields, size_t field)
{
    if (field < 3 || fields.size() <= field - 3)
        return std::nullopt;
    const auto& text = fields[field - 3];
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoull(text);
}

} // namespace

std::optional<std::uint64_t> process_start_time(sys::Kernel& kernel, pid_t pid)
{
    auto fields = stat_fields(kernel, pid);
    if (fields.empty() || fields[0] == "Z" || fields[0] == "X")
        return std::nullopt;
    return stat_number(fields, 22);
}

bool is_recorded_process(sys::Kernel& kernel, pid_t pid, std::uint64_t start_time, const std::string& cgroup_name)
{
    auto started = process_start_time(kernel, pid);
    if (!started)
        return false;
    if (start_time != 0)
        return *started == start_time;
    // "0::/glassbox/<id>" on cgroup v2, "<n>:<controllers>:/glassbox/<id>" on v1, under whatever
    // parent the daemon's own cgroup namespace shows.
    auto groups = kernel.read_file(kernel.procfs_root() + "/" + std::to_string(pid) + "/cgroup");
    if (!groups.ok())
        return false;
    auto suffix = "/" + cgroup_name;
    size_t at = 0;
    while (at < groups.value().size()) {
        auto end = groups.value().find('\n', at);
        if (end == std::string::npos)
            end = groups.value().size();
        auto line = groups.value().substr(at, end - at);
        if (line.size() >= suffix.size() && line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0)
            return true;
        at = end + 1;
    }
    return false;
}

std::uint64_t pipe_inode(int fd)
{
    struct stat st { };
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return 0;
    return st.st_ino;
}

UniqueFd reopen_output_pipe(sys::Kernel& kernel, pid_t pid, int fd_number, std::uint64_t inode)
{
    if (inode == 0 || pid <= 0)
        return UniqueFd();
    auto path = kernel.procfs_root() + "/" + std::to_string(pid) + "/fd/" + std::to_string(fd_number);
    // Checked before the open, which could have effects on something else (a terminal), and
    // after it, in case the process replaced the descriptor in between.
    struct stat st { };
    if (::stat(path.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_ino != inode)
        return UniqueFd();
    // Non-blocking: a FIFO opened for reading would otherwise wait for a writer.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd.valid() || pipe_inode(fd.get()) != inode)
        return UniqueFd();
    return fd;
}

std::optional<int> exit_code_of_zombie(sys::Kernel& kernel, pid_t pid, std::uint64_t start_time)
{
    auto fields = stat_fields(kernel, pid);
    if (fields.empty() || fields[0] != "Z" || start_time == 0 || stat_number(fields, 22) != start_time)
        return std::nullopt;
    auto status = stat_number(fields, 52);
    if (!status)
        return std::nullopt;
    int wait_status = static_cast<int>(*status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return WEXITSTATUS(wait_status);
}

} // namespace engine::daemon
