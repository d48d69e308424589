// See recovery.h. Runs once, single-threaded, before the API socket accepts anyone.
#include "engine/daemon/recovery.h"

#include <sys/stat.h>

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

} // namespace engine::daemon
