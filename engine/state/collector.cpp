// collect_snapshot(): one pass over the kernel, then the join to the engine's objects.
// Steps: engine objects -> processes (procfs) -> namespaces (ns links and bind-mounted netns files)
// -> mounts (mountinfo of each mount namespace) -> cgroups (cgroupfs) -> network namespaces
// (rtnetlink inside each) -> nftables -> kernel features; nftables (from the start) and the network
// namespaces (from the start with every process read, else once the namespaces are known) are
// read on threads of their own beside the rest. Mount tables (MountTables below) and each network
// namespace's facts (netlink_reader.cpp) are kept between collections while the kernel says they
// did not change.
// Every step degrades to a warning rather than failing the snapshot: a teaching tool should show
// what it can and say what it could not.
#include "engine/state/collector.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>
#include <unordered_map>

#include "engine/base/fd.h"
#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/network/libnl_netlink.h"
#include "engine/state/collector_internal.h"
#include "engine/sys/probe.h"

namespace engine::state {

namespace {

using namespace detail; // NOLINT(google-build-using-namespace): this file is the readers' user.

std::string container_owner(const std::string& id) { return id.empty() ? "" : "container:" + id; }

std::uint64_t file_inode(const std::string& path)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        return 0;
    return info.st_ino;
}

// The inode of the network namespace a bind-mounted netns file refers to. On nsfs, stat(2) of
// the file gives it. A file that is not itself a namespace (a simulated kernel's netns files are
// plain files) is looked up among the nsfs mounts of <proc_root>/self/mountinfo, whose root
// field names the namespace ("net:[4026532200]"); `nsfs_mounts` caches that table.
std::uint64_t netns_file_inode(const std::string& path, const std::string& proc_root,
    std::optional<std::map<std::string, std::uint64_t>>& nsfs_mounts)
{
    struct statfs info {};
    if (::statfs(path.c_str(), &info) == 0 && info.f_type == NSFS_MAGIC)
        return file_inode(path);
    if (!nsfs_mounts) {
        nsfs_mounts.emplace();
        std::string text;
        if (read_small_file(proc_root + "/self/mountinfo", text)) {
            for (const auto& line : strings::split(text, '\n')) {
                auto fields = strings::split(line, ' ');
                auto dash = std::find(fields.begin(), fields.end(), "-");
                if (fields.size() < 5 || dash == fields.end() || dash + 1 == fields.end() || *(dash + 1) != "nsfs"
                    || !strings::starts_with(fields[3], "net:[") || !strings::ends_with(fields[3], "]"))
                    continue;
                (*nsfs_mounts)[fields[4]] = std::strtoull(fields[3].substr(5, fields[3].size() - 6).c_str(), nullptr, 10);
            }
        }
    }
    auto it = nsfs_mounts->find(path);
    return it == nsfs_mounts->end() ? 0 : it->second;
}

std::string real_path(const std::string& path)
{
    char buffer[PATH_MAX];
    if (::realpath(path.c_str(), buffer))
        return buffer;
    return path;
}

// [SECTION] Engine objects

void add_engine_objects(const EngineObjects& objects, Snapshot& snapshot)
{
    std::map<std::string, const ImageObject*> images;
    for (const auto& image : objects.images)
        images[image.id] = &image;

    for (const auto& image : objects.images) {
        ImageInfo info { image.id, image.tags, {} };
        for (const auto& layer : image.layers)
            info.layers.push_back(layer.diff_id);
        snapshot.images.push_back(std::move(info));
    }
    std::map<std::string, LayerInfo> layers;
    for (const auto& image : objects.images) {
        for (const auto& layer : image.layers) {
            auto& info = layers[layer.diff_id];
            info.diff_id = layer.diff_id;
            info.directory = layer.directory;
            info.size = layer.size;
            if (info.created_by.empty())
                info.created_by = layer.created_by;
            if (std::find(info.image_ids.begin(), info.image_ids.end(), image.id) == info.image_ids.end())
                info.image_ids.push_back(image.id);
        }
    }
    for (const auto& container : objects.containers) {
        for (auto& [diff_id, layer] : layers) {
            if (std::find(container.lower_dirs.begin(), container.lower_dirs.end(), layer.directory)
                != container.lower_dirs.end())
                layer.container_ids.push_back(container.id);
        }
    }
    for (auto& [diff_id, layer] : layers)
        snapshot.layers.push_back(std::move(layer));

    for (const auto& volume : objects.volumes) {
        VolumeInfo info { volume.name, volume.driver, volume.mountpoint, {} };
        for (const auto& container : objects.containers) {
            for (const auto& mount : container.mounts) {
                if (mount.type == "volume" && mount.name == volume.name)
                    info.container_ids.push_back(container.id);
            }
        }
        snapshot.volumes.push_back(std::move(info));
    }

    std::map<std::string, std::string> names;
    for (const auto& container : objects.containers)
        names[container.id] = container.name;
    for (const auto& network : objects.networks) {
        NetworkInfo info { network.id, network.name, network.driver, network.bridge_name, network.parent,
            network.subnet, network.gateway, {} };
        for (const auto& endpoint : network.endpoints) {
            info.endpoints.push_back({ endpoint.container_id, names[endpoint.container_id],
                endpoint.ip_address, endpoint.mac_address, endpoint.host_link });
        }
        snapshot.networks.push_back(std::move(info));
    }

    for (const auto& container : objects.containers) {
        ContainerInfo info;
        info.id = container.id;
        info.name = container.name;
        info.image_id = container.image_id;
        if (auto it = images.find(container.image_id); it != images.end())
            info.image_tags = it->second->tags;
        info.status = container.status;
        info.pid = container.pid;
        info.rootfs = container.rootfs;
        info.cgroup_paths = container.cgroup_paths;
        info.netns_path = container.netns_path;
        for (const auto& mount : container.mounts) {
            if (mount.type == "volume")
                info.volumes.push_back(mount.name);
        }
        for (const auto& network : objects.networks) {
            for (const auto& endpoint : network.endpoints) {
                if (endpoint.container_id == container.id)
                    info.networks.push_back(network.id);
            }
        }
        snapshot.containers.push_back(std::move(info));
    }
}

// [SECTION] Processes

struct HostNamespaces {
    std::map<std::string, std::uint64_t> inodes; // PID 1's namespaces, by type.
};

// Which container a process belongs to: its PID namespace is the container's (and not the
// host's), or its cgroup is one of the container's directories.
std::string container_of(const ProcessInfo& process, const Snapshot& snapshot, const HostNamespaces& host)
{
    auto pidns = process.namespaces.find("pid");
    for (const auto& container : snapshot.containers) {
        if (process.pid == container.pid && container.pid > 0)
            return container.id;
        auto cpidns = container.namespaces.find("pid");
        if (pidns != process.namespaces.end() && cpidns != container.namespaces.end()
            && cpidns->second == pidns->second && host.inodes.count("pid") && host.inodes.at("pid") != pidns->second)
            return container.id;
        if (process.cgroup.size() > 1) {
            for (const auto& dir : container.cgroup_paths) {
                if (strings::ends_with(dir, process.cgroup))
                    return container.id;
            }
        }
    }
    return "";
}

// A container's namespaces are its PID 1's: taken from `read` when PID 1 is in it, otherwise
// read from <proc_root>/<pid>/ns.
void read_container_namespaces(const CollectOptions& options, const std::map<int, ProcessInfo>& read, Snapshot& snapshot)
{
    for (auto& container : snapshot.containers) {
        if (container.pid <= 0)
            continue;
        if (auto it = read.find(container.pid); it != read.end()) {
            container.namespaces = it->second.namespaces;
            continue;
        }
        for (const char* type : namespace_types()) {
            if (auto inode = read_namespace_inode(options.proc_root, container.pid, type))
                container.namespaces[type] = inode;
        }
    }
}

// Also fills `cgroup_texts` with each process's /proc/<pid>/cgroup as read, for collect_cgroups.
void collect_processes(const CollectOptions& options, const HostNamespaces& host, const std::vector<int>& pids,
    Snapshot& snapshot, std::map<int, std::string>& cgroup_texts)
{
    std::set<std::uint64_t> container_pidns;
    for (const auto& container : snapshot.containers) {
        auto it = container.namespaces.find("pid");
        if (it != container.namespaces.end() && (!host.inodes.count("pid") || it->second != host.inodes.at("pid")))
            container_pidns.insert(it->second);
    }

    // Each process is a dozen small procfs reads, independent of the others, so a few threads
    // share them (every host process is read by default: hundreds on a busy machine); the results
    // are joined in PID order afterwards.
    std::vector<std::optional<ProcessInfo>> read(pids.size());
    std::vector<std::string> cgroups(pids.size());
    read_in_parallel(pids.size(), 32, [&](size_t i) {
        int pid = pids[i];
        if (options.processes == ProcessScope::Glassbox) {
            // One readlink decides; only container processes are read in full.
            bool is_pid1 = std::any_of(snapshot.containers.begin(), snapshot.containers.end(),
                [&](const ContainerInfo& c) { return c.pid == pid; });
            if (!is_pid1 && !container_pidns.count(read_namespace_inode(options.proc_root, pid, "pid")))
                return;
        }
        ProcessInfo process;
        if (read_process(options.proc_root, pid, process, &cgroups[i]))
            read[i] = std::move(process);
    });
    std::map<int, ProcessInfo> by_pid;
    for (size_t i = 0; i < pids.size(); ++i) {
        if (read[i]) {
            by_pid.emplace(pids[i], std::move(*read[i]));
            cgroup_texts.emplace(pids[i], std::move(cgroups[i]));
        }
    }
    if (options.processes == ProcessScope::All)
        read_container_namespaces(options, by_pid, snapshot);
    if (options.processes == ProcessScope::Glassbox) {
        // Add ancestors up to PID 1, so the tree a container hangs from is visible.
        std::vector<int> todo;
        for (const auto& [pid, process] : by_pid)
            todo.push_back(process.ppid);
        while (!todo.empty()) {
            int pid = todo.back();
            todo.pop_back();
            if (pid <= 0 || by_pid.count(pid))
                continue;
            ProcessInfo process;
            std::string cgroup;
            if (read_process(options.proc_root, pid, process, &cgroup)) {
                todo.push_back(process.ppid);
                by_pid.emplace(pid, std::move(process));
                cgroup_texts.emplace(pid, std::move(cgroup));
            }
        }
    }
    for (auto& [pid, process] : by_pid) {
        process.container_id = container_of(process, snapshot, host);
        process.owner = container_owner(process.container_id);
        snapshot.processes.push_back(std::move(process));
    }
    for (auto& container : snapshot.containers) {
        for (const auto& process : snapshot.processes) {
            if (process.container_id == container.id)
                container.processes.push_back(process.pid);
        }
    }
}

// [SECTION] Namespaces

// The container whose PID 1 holds namespace `type:inode`, unless the host holds it too.
std::string container_with_namespace(const Snapshot& snapshot, const HostNamespaces& host,
    const std::string& type, std::uint64_t inode)
{
    if (auto it = host.inodes.find(type); it != host.inodes.end() && it->second == inode)
        return "";
    for (const auto& container : snapshot.containers) {
        auto it = container.namespaces.find(type);
        if (it != container.namespaces.end() && it->second == inode)
            return container.id;
    }
    return "";
}

// Bind-mounted netns files (the engine's netns directory and the containers' netns paths) with
// the namespace each holds alive, with no process in it needed; files that name none are left out.
std::vector<std::pair<std::string, std::uint64_t>> netns_files(const EngineObjects& objects, const CollectOptions& options)
{
    std::vector<std::string> paths;
    if (!objects.netns_dir.empty()) {
        for (const auto& name : fs::list_dir(objects.netns_dir))
            paths.push_back(objects.netns_dir + "/" + name);
    }
    for (const auto& container : objects.containers) {
        if (!container.netns_path.empty() && std::find(paths.begin(), paths.end(), container.netns_path) == paths.end())
            paths.push_back(container.netns_path);
    }
    std::vector<std::pair<std::string, std::uint64_t>> files;
    std::optional<std::map<std::string, std::uint64_t>> nsfs_mounts;
    for (const auto& path : paths) {
        if (auto inode = netns_file_inode(path, options.proc_root, nsfs_mounts))
            files.emplace_back(path, inode);
    }
    return files;
}

void collect_namespaces(const EngineObjects& objects, const std::vector<std::pair<std::string, std::uint64_t>>& bind_mounted,
    const HostNamespaces& host, Snapshot& snapshot)
{
    std::map<std::pair<std::string, std::uint64_t>, NamespaceInfo> namespaces;
    for (const auto& process : snapshot.processes) {
        for (const auto& [type, inode] : process.namespaces) {
            auto& ns = namespaces[{ type, inode }];
            ns.type = type;
            ns.inode = inode;
            ns.members.push_back(process.pid);
        }
    }
    for (const auto& [path, inode] : bind_mounted) {
        auto& ns = namespaces[{ "net", inode }];
        ns.type = "net";
        ns.inode = inode;
        ns.bind_mounts.push_back(path);
    }
    for (auto& [key, ns] : namespaces) {
        std::sort(ns.members.begin(), ns.members.end());
        ns.owner_pid = ns.members.empty() ? 0 : ns.members.front();
        ns.container_id = container_with_namespace(snapshot, host, ns.type, ns.inode);
        for (const auto& container : objects.containers) {
            if (ns.container_id.empty() && !container.netns_path.empty()
                && std::find(ns.bind_mounts.begin(), ns.bind_mounts.end(), container.netns_path) != ns.bind_mounts.end())
                ns.container_id = container.id;
        }
        ns.owner = container_owner(ns.container_id);
        if (ns.owner.empty() && !ns.bind_mounts.empty())
            ns.owner = "glassbox";
        snapshot.namespaces.push_back(std::move(ns));
    }
}

// [SECTION] Mounts

// The parsed mount table of each mount namespace the previous collections read, with the
// mountinfo file it came from left open (see "Caches" in collector.h). poll(2) on that file says
// POLLPRI once the namespace's table changed since the file was last polled (a mount, an
// unmount, a remount, in the namespace or propagated into it); a table whose file says nothing
// is reused, so the kernel does not generate the text again nor do we parse it. What poll does
// not cover:
//   - the text depends on the reader's root directory as well (paths are shown relative to it),
//     fixed when the file was opened: an entry remembers the root (device, inode and mount ID of
//     /proc/<pid>/root) and is opened again when the reader's root differs;
//   - a change of propagation type alone (MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE) does
//     not bump the namespace's event count: a table older than max_age is read again, so such a
//     change shows within that time.
// Only procfs files are kept (a simulated kernel's mountinfo is a plain file, which poll always
// reports readable and never changed). An open mountinfo file holds its namespace and every
// mount in it alive, so a Session closes each entry it did not see, and
// release_unreachable_namespaces() those whose process is gone.
class MountTables {
public:
    static constexpr std::chrono::milliseconds max_age { 1000 };
    // Each entry keeps a file open: past this many namespaces (hundreds of containers) the rest
    // are read afresh, so the daemon's open files per container stay bounded.
    static constexpr size_t max_entries = 128;

    struct Root {
        std::uint64_t device { 0 };
        std::uint64_t inode { 0 };
        std::uint64_t mount_id { 0 };
        bool operator==(const Root&) const = default;
    };

    struct Entry {
        UniqueFd file;                                   // <proc_root>/<pid>/mountinfo, open.
        int pid { 0 };                                   // The process it was opened through.
        Root root;
        std::vector<MountInfo> mounts;                   // As parsed; classified per snapshot.
        std::chrono::steady_clock::time_point read_at;
    };

    // One collection's use of the tables: holds the lock, and on destruction closes every entry
    // this collection did not read (their namespaces may be gone; nothing must keep them).
    class Session {
    public:
        Session(MountTables& tables, const std::string& proc_root, bool use)
            : m_tables(tables)
            , m_lock(tables.m_mutex)
            , m_use(use)
            , m_proc_root(proc_root)
        {
            // A cold collection neither reads nor changes the tables.
            if (use && m_tables.m_proc_root != proc_root) {
                m_tables.m_entries.clear();
                m_tables.m_proc_root = proc_root;
            }
        }
        Session(const Session&) = delete;
        Session& operator=(const Session&) = delete;
        ~Session()
        {
            if (m_use)
                std::erase_if(m_tables.m_entries, [&](const auto& item) { return !m_seen.count(item.first); });
        }

        // The table of mount namespace `ns` read through process `pid`; nullopt if it cannot be
        // read (the process exited).
        std::optional<std::vector<MountInfo>> read(std::uint64_t ns, int pid, bool cacheable)
        {
            const auto& proc_root = m_proc_root;
            auto pid_dir = proc_root + "/" + std::to_string(pid);
            if (!m_use || !cacheable) {
                std::string text;
                if (!read_small_file(pid_dir + "/mountinfo", text))
                    return std::nullopt;
                return parse_mountinfo(text, ns);
            }
            // Entries are made here, on several threads at once (one namespace each): the map
            // is changed under m_entries_mutex, and an entry is only touched by its own reader.
            Entry* entry = nullptr;
            {
                std::lock_guard lock(m_entries_mutex);
                m_seen.insert(ns);
                auto found = m_tables.m_entries.find(ns);
                if (found != m_tables.m_entries.end())
                    entry = &found->second;
                else if (m_tables.m_entries.size() < max_entries)
                    entry = &m_tables.m_entries[ns];
            }
            if (!entry) {
                // Past the cap: read afresh each time, as a cold collection does.
                std::string text;
                if (!read_small_file(pid_dir + "/mountinfo", text))
                    return std::nullopt;
                return parse_mountinfo(text, ns);
            }
            auto root = root_of(pid_dir);
            auto now = std::chrono::steady_clock::now();
            if (entry->file.valid() && root && *root == entry->root) {
                pollfd poller { entry->file.get(), POLLPRI, 0 };
                int ready = ::poll(&poller, 1, 0);
                if (ready == 0 && now - entry->read_at < max_age)
                    return entry->mounts;
                std::string text;
                if (ready >= 0 && !(poller.revents & POLLNVAL) && reread_file(entry->file.get(), text)) {
                    entry->mounts = parse_mountinfo(text, ns);
                    entry->read_at = now;
                    return entry->mounts;
                }
            }
            // A fresh file: the first read of this namespace, or the reader's root changed.
            entry->file.reset();
            UniqueFd file(::open((pid_dir + "/mountinfo").c_str(), O_RDONLY | O_CLOEXEC));
            std::string text;
            if (!file.valid() || !reread_file(file.get(), text))
                return std::nullopt;
            auto mounts = parse_mountinfo(text, ns);
            // Keep the file only when it is procfs's, when it is the namespace asked for (the
            // process may have moved since its ns link was read) and the root did not change
            // around the open; otherwise the table is right for this snapshot but not kept.
            struct statfs fs_info {};
            bool keep = root && ::fstatfs(file.get(), &fs_info) == 0 && fs_info.f_type == PROC_SUPER_MAGIC
                && read_namespace_inode(proc_root, pid, "mnt") == ns && root_of(pid_dir) == root;
            if (keep) {
                entry->file = std::move(file);
                entry->pid = pid;
                entry->root = *root;
                entry->mounts = mounts;
                entry->read_at = now;
            }
            return mounts;
        }

    private:
        MountTables& m_tables;
        std::lock_guard<std::mutex> m_lock;
        bool m_use;
        std::string m_proc_root;
        std::mutex m_entries_mutex;
        std::set<std::uint64_t> m_seen;
    };

    void release_unreachable()
    {
        std::lock_guard lock(m_mutex);
        std::erase_if(m_entries, [&](const auto& item) {
            return read_namespace_inode(m_proc_root, item.second.pid, "mnt") != item.first;
        });
    }

    std::vector<std::uint64_t> namespaces()
    {
        std::lock_guard lock(m_mutex);
        std::vector<std::uint64_t> inodes;
        for (const auto& [ns, entry] : m_entries)
            if (entry.file.valid())
                inodes.push_back(ns);
        return inodes;
    }

    void clear()
    {
        std::lock_guard lock(m_mutex);
        m_entries.clear();
    }

private:
    // The identity of <pid_dir>/root: the directory the process's paths are relative to.
    static std::optional<Root> root_of(const std::string& pid_dir)
    {
        struct statx info {};
        if (::statx(AT_FDCWD, (pid_dir + "/root").c_str(), 0, STATX_INO | STATX_MNT_ID, &info) != 0
            || !(info.stx_mask & STATX_MNT_ID))
            return std::nullopt;
        return Root { (std::uint64_t { info.stx_dev_major } << 32) | info.stx_dev_minor, info.stx_ino, info.stx_mnt_id };
    }

    std::mutex m_mutex;
    std::string m_proc_root;
    std::map<std::uint64_t, Entry> m_entries;
};

MountTables& mount_tables()
{
    // Never destroyed: a thread may still be collecting while the process exits.
    static auto* tables = new MountTables;
    return *tables;
}

// What classifying a mount needs to know about the engine's containers, worked out once per
// snapshot rather than once per mount (a thousand mounts with 50 containers): the paths under
// each container's rootfs, and the container owning each mount namespace.
struct MountContext {
    struct Container {
        const ContainerObject* object;
        std::string rootfs_prefix;                 // "<rootfs>/", or "" without a rootfs.
        std::vector<std::string> under_rootfs;     // "<rootfs><destination>" per planned mount.
    };
    std::vector<Container> containers;
    // Where in `containers` a mount can match, so a mount is checked against the few containers
    // it could belong to rather than all of them: by id (the namespace's container), by a
    // planned mount's path under the rootfs, and by rootfs prefix ("<rootfs>/").
    std::unordered_multimap<std::string, size_t> by_id;
    std::unordered_multimap<std::string, size_t> by_under_rootfs;
    std::unordered_multimap<std::string, size_t> by_rootfs_prefix;
    // `layers_by_dir` maps a directory to its image layer; it also remembers, for every lowerdir
    // seen, the answer after resolving symlinks (nullptr: not a layer), so each path costs one
    // realpath(3) per snapshot however many mount namespaces show it.
    std::map<std::string, const LayerInfo*> layers_by_dir;
};

void classify_mount(MountInfo& mount, const std::string& namespace_container, MountContext& context)
{
    auto& layers_by_dir = context.layers_by_dir;
    mount.container_id = namespace_container;
    mount.kind = mount.fstype;
    if (mount.fstype == "overlay") {
        std::vector<std::string> lowers;
        parse_overlay_options(mount.super_options, lowers, mount.upper_dir, mount.work_dir);
        for (const auto& dir : lowers) {
            OverlayLower lower;
            lower.path = dir;
            auto it = layers_by_dir.find(dir);
            if (it == layers_by_dir.end()) {
                auto resolved = layers_by_dir.find(real_path(dir));
                it = layers_by_dir.emplace(dir, resolved == layers_by_dir.end() ? nullptr : resolved->second).first;
            }
            if (it->second) {
                lower.layer_diff_id = it->second->diff_id;
                lower.image_ids = it->second->image_ids;
                lower.created_by = it->second->created_by;
            }
            mount.lower_dirs.push_back(std::move(lower));
        }
        for (const auto& container : context.containers) {
            const auto& object = *container.object;
            if ((!object.upper_dir.empty() && object.upper_dir == mount.upper_dir)
                || (!object.rootfs.empty() && object.rootfs == mount.mount_point))
                mount.container_id = object.id;
        }
    } else if (mount.root != "/") {
        mount.kind = "bind";
    }
    // Volumes, binds and tmpfs the engine set up: by destination inside the container's mount
    // namespace, or under its rootfs in a namespace that sees the rootfs. Only the containers the
    // mount can match are visited, in the containers' order (a later match wins, as it would if
    // every container were visited: the others change nothing).
    std::vector<size_t> candidates;
    for (auto [it, end] = context.by_id.equal_range(mount.container_id); it != end; ++it)
        candidates.push_back(it->second);
    for (auto [it, end] = context.by_under_rootfs.equal_range(mount.mount_point); it != end; ++it)
        candidates.push_back(it->second);
    for (size_t slash = mount.mount_point.find('/'); slash != std::string::npos;
        slash = mount.mount_point.find('/', slash + 1)) {
        for (auto [it, end] = context.by_rootfs_prefix.equal_range(mount.mount_point.substr(0, slash + 1)); it != end; ++it)
            candidates.push_back(it->second);
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (size_t index : candidates) {
        const auto& container = context.containers[index];
        const auto& object = *container.object;
        for (size_t i = 0; i < object.mounts.size(); ++i) {
            const auto& planned = object.mounts[i];
            bool inside = mount.container_id == object.id && mount.mount_point == planned.destination;
            bool under_rootfs = !object.rootfs.empty() && mount.mount_point == container.under_rootfs[i];
            if (!inside && !under_rootfs)
                continue;
            mount.kind = planned.type;
            mount.volume_name = planned.name;
            mount.container_id = object.id;
        }
        if (mount.container_id.empty() && !container.rootfs_prefix.empty()
            && strings::starts_with(mount.mount_point, container.rootfs_prefix))
            mount.container_id = object.id;
    }
    mount.owner = container_owner(mount.container_id);
}

// Also fills `host_mounts` with the cgroup and cgroup2 mounts of the host's table, for collect_cgroups.
void collect_mounts(const EngineObjects& objects, const CollectOptions& options, const HostNamespaces& host,
    Snapshot& snapshot, std::vector<MountInfo>& host_mounts)
{
    MountContext context;
    for (const auto& layer : snapshot.layers) {
        context.layers_by_dir[layer.directory] = &layer;
        context.layers_by_dir[real_path(layer.directory)] = &layer;
    }
    for (const auto& object : objects.containers) {
        MountContext::Container container { &object, object.rootfs.empty() ? "" : object.rootfs + "/", {} };
        for (const auto& planned : object.mounts)
            container.under_rootfs.push_back(object.rootfs + planned.destination);
        size_t index = context.containers.size();
        context.by_id.emplace(object.id, index);
        if (!object.rootfs.empty()) {
            for (const auto& path : container.under_rootfs)
                context.by_under_rootfs.emplace(path, index);
            context.by_rootfs_prefix.emplace(container.rootfs_prefix, index);
        }
        context.containers.push_back(std::move(container));
    }
    // One reader per mount namespace: the lowest-numbered live (non-zombie) member.
    std::map<std::uint64_t, int> readers;
    for (const auto& process : snapshot.processes) {
        auto it = process.namespaces.find("mnt");
        if (it != process.namespaces.end() && process.state != "Z" && !readers.count(it->second))
            readers[it->second] = process.pid;
    }
    std::uint64_t host_mnt = host.inodes.count("mnt") ? host.inodes.at("mnt") : 0;
    if (host_mnt && !readers.count(host_mnt))
        readers[host_mnt] = ::getpid();
    std::vector<std::pair<std::uint64_t, int>> jobs(readers.begin(), readers.end());
    std::vector<std::optional<std::vector<MountInfo>>> tables(jobs.size());
    // Only the host's and the containers' tables are kept open between snapshots: the daemon
    // releases a container's as it exits, but nothing would release another program's, and an
    // open mountinfo holds its namespace and every mount in it alive (a disk could not be
    // unmounted for good while a service's private namespace was held).
    std::set<std::uint64_t> cacheable { host_mnt };
    for (const auto& container : snapshot.containers)
        if (auto it = container.namespaces.find("mnt"); it != container.namespaces.end())
            cacheable.insert(it->second);
    {
        MountTables::Session session(mount_tables(), options.proc_root, options.use_caches);
        // Namespaces are independent, and a table that changed is generated by the kernel and
        // parsed again: a few threads share them.
        read_in_parallel(jobs.size(), 8, [&](size_t i) {
            tables[i] = session.read(jobs[i].first, jobs[i].second, cacheable.count(jobs[i].first) != 0);
        });
    }
    // Room for every mount at once: growing the vector mount by mount moved the thousand mounts
    // of 50 containers again at each doubling, into freshly faulted pages.
    size_t total = snapshot.mounts.size();
    for (const auto& table : tables)
        total += table ? table->size() : 0;
    snapshot.mounts.reserve(total);
    for (size_t i = 0; i < jobs.size(); ++i) {
        auto [ns, pid] = jobs[i];
        if (!tables[i]) {
            snapshot.warnings.push_back("read mountinfo of mnt:[" + std::to_string(ns) + "] through PID "
                + std::to_string(pid) + ": unreadable (the process may have exited)");
            continue;
        }
        auto& mounts = *tables[i];
        auto namespace_container = container_with_namespace(snapshot, host, "mnt", ns);
        for (auto& mount : mounts)
            classify_mount(mount, namespace_container, context);
        // collect_cgroups needs only the host's cgroup mounts (find_cgroup_mounts): copying the
        // whole host table was a few hundred mounts of strings per snapshot.
        if (ns == host_mnt) {
            for (const auto& mount : mounts) {
                if (mount.fstype == "cgroup" || mount.fstype == "cgroup2")
                    host_mounts.push_back(mount);
            }
        }
        for (auto& mount : mounts)
            snapshot.mounts.push_back(std::move(mount));
    }
}

// [SECTION] Cgroups

bool wanted_hierarchy(const std::string& hierarchy)
{
    if (hierarchy == "unified")
        return true;
    for (const auto& controller : strings::split(hierarchy, ',')) {
        if (controller == "memory" || controller == "pids" || controller == "cpu" || controller == "cpuacct"
            || controller == "freezer") // The freezer row carries `frozen` (docker pause).
            return true;
    }
    return false;
}

void collect_cgroups(const CollectOptions& options, const std::vector<MountInfo>& host_mounts,
    const std::map<int, std::string>& cgroup_texts, Snapshot& snapshot)
{
    auto mounts = find_cgroup_mounts(host_mounts);
    // Directory -> container id ("" for extra ones).
    std::map<std::string, std::string> directories;
    for (const auto& container : snapshot.containers) {
        for (const auto& dir : container.cgroup_paths)
            directories[dir] = container.id;
    }
    // Each container process's own cgroups, per hierarchy (/proc/<pid>/cgroup, as the process
    // reader read it).
    for (const auto& process : snapshot.processes) {
        if (process.container_id.empty())
            continue;
        auto text = cgroup_texts.find(process.pid);
        if (text == cgroup_texts.end())
            continue;
        for (const auto& [hierarchy, path] : parse_proc_cgroup(text->second)) {
            for (const auto& mount : mounts) {
                if (mount.hierarchy == hierarchy && wanted_hierarchy(hierarchy))
                    directories.emplace(mount.mount_point + (path == "/" ? "" : path), process.container_id);
            }
        }
    }
    for (const auto& dir : options.extra_cgroups)
        directories.emplace(dir, "");

    // Which hierarchy each directory is in, in order; then the reads (a dozen files per
    // directory, a few hundred directories with 50 containers on a hybrid host) side by side.
    struct Job {
        const std::string* dir;
        const std::string* container_id;
        const CgroupMount* mount;
        std::optional<CgroupInfo> read;
    };
    std::vector<Job> jobs;
    for (const auto& [dir, container_id] : directories) {
        // Find the hierarchy by the longest mount point that contains the directory.
        const CgroupMount* best = nullptr;
        for (const auto& mount : mounts) {
            if ((dir == mount.mount_point || strings::starts_with(dir, mount.mount_point + "/"))
                && (!best || mount.mount_point.size() > best->mount_point.size()))
                best = &mount;
        }
        if (!best) {
            snapshot.warnings.push_back("cgroup directory " + dir + " is not under any mounted cgroup hierarchy");
            continue;
        }
        if (wanted_hierarchy(best->hierarchy))
            jobs.push_back({ &dir, &container_id, best, std::nullopt });
    }
    read_in_parallel(jobs.size(), 16, [&](size_t i) {
        auto& job = jobs[i];
        auto path = job.dir->substr(job.mount->mount_point.size());
        CgroupInfo cgroup;
        if (read_cgroup(job.mount->hierarchy, path.empty() ? "/" : path, options.pseudo_fs_root + *job.dir, cgroup))
            job.read = std::move(cgroup);
    });
    for (auto& job : jobs) {
        if (!job.read) {
            snapshot.warnings.push_back("cgroup directory " + *job.dir + " does not exist");
            continue;
        }
        auto& cgroup = *job.read;
        cgroup.directory = *job.dir;
        cgroup.container_id = *job.container_id;
        cgroup.owner = container_owner(*job.container_id);
        snapshot.cgroups.push_back(std::move(cgroup));
    }
}

// [SECTION] Network

// Moves links, addresses, routes, neighbours and FDB entries (a NetworkFacts or a Snapshot's) into
// `to`, and appends the warnings.
template <typename Facts>
void move_network_facts(Facts& from, Snapshot& to)
{
    to.links = std::move(from.links);
    to.addresses = std::move(from.addresses);
    to.routes = std::move(from.routes);
    to.neighbours = std::move(from.neighbours);
    to.fdb = std::move(from.fdb);
    for (auto& warning : from.warnings)
        to.warnings.push_back(std::move(warning));
}

// The network namespaces a snapshot reads, host first, then by inode: each through its first
// bind-mounted file, else its lowest-numbered live member.
std::vector<NetnsSource> network_sources(const CollectOptions& options, const HostNamespaces& host, const Snapshot& snapshot)
{
    std::vector<NetnsSource> sources;
    std::set<std::uint64_t> seen;
    auto add = [&](std::uint64_t inode, const std::string& path) {
        if (inode != 0 && seen.insert(inode).second)
            sources.push_back({ inode, path });
    };
    // The host first: it usually names every other namespace's veth peer.
    if (auto it = host.inodes.find("net"); it != host.inodes.end())
        add(it->second, options.proc_root + "/self/ns/net");
    for (const auto& ns : snapshot.namespaces) {
        if (ns.type != "net")
            continue;
        if (!ns.bind_mounts.empty()) {
            add(ns.inode, ns.bind_mounts.front());
            continue;
        }
        for (int pid : ns.members) {
            const auto* process = find_process(snapshot, pid);
            if (process && process->state != "Z") {
                add(ns.inode, options.proc_root + "/" + std::to_string(pid) + "/ns/net");
                break;
            }
        }
    }
    return sources;
}

// The same list before the processes are read, from one readlink of /proc/<pid>/ns/net per PID
// (a zombie's does not resolve), so the network namespaces can be read beside the processes.
// With every process read (ProcessScope::All) it is the list network_sources() gives unless a
// process came, went or moved in between, which the caller checks.
std::vector<NetnsSource> early_network_sources(const CollectOptions& options, const HostNamespaces& host,
    const std::vector<int>& pids, const std::vector<std::pair<std::string, std::uint64_t>>& bind_mounted)
{
    std::map<std::uint64_t, std::string> paths;
    for (const auto& [path, inode] : bind_mounted)
        paths.emplace(inode, path);
    for (int pid : pids) {
        if (auto inode = read_namespace_inode(options.proc_root, pid, "net"))
            paths.emplace(inode, options.proc_root + "/" + std::to_string(pid) + "/ns/net");
    }
    std::vector<NetnsSource> sources;
    if (auto it = host.inodes.find("net"); it != host.inodes.end()) {
        sources.push_back({ it->second, options.proc_root + "/self/ns/net" });
        paths.erase(it->second);
    }
    for (auto& [inode, path] : paths)
        sources.push_back({ inode, std::move(path) });
    return sources;
}

// The same namespaces, and with `by_path` also entered through the same files.
bool same_namespaces(const std::vector<NetnsSource>& a, const std::vector<NetnsSource>& b, bool by_path = false)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [by_path](const NetnsSource& x, const NetnsSource& y) {
        return x.inode == y.inode && (!by_path || x.path == y.path);
    });
}

// The network namespaces whose watches may be kept (NetnsSource::cacheable): the host's, those
// held by the engine's netns files, and those its containers' first processes are in.
std::set<std::uint64_t> engine_network_namespaces(const EngineObjects& objects, const CollectOptions& options,
    const HostNamespaces& host, const std::vector<std::pair<std::string, std::uint64_t>>& bind_mounted)
{
    std::set<std::uint64_t> inodes;
    if (auto it = host.inodes.find("net"); it != host.inodes.end())
        inodes.insert(it->second);
    for (const auto& [path, inode] : bind_mounted)
        inodes.insert(inode);
    for (const auto& container : objects.containers)
        if (container.pid > 0)
            if (auto inode = read_namespace_inode(options.proc_root, container.pid, "net"))
                inodes.insert(inode);
    return inodes;
}

void mark_cacheable(std::vector<NetnsSource>& sources, const std::set<std::uint64_t>& engine_namespaces)
{
    for (auto& source : sources)
        source.cacheable = engine_namespaces.count(source.inode) != 0;
}

// Reads the links, addresses, routes, neighbours and FDB of `sources` into `out` (and its warnings).
void read_network(const CollectOptions& options, const std::vector<NetnsSource>& sources, Snapshot& out)
{
    // One real Netlink for the process: the network cache belongs to the Netlink it was read
    // through (it holds no state; its calls are safe on any thread).
    // Never destroyed, like the caches: a thread may still be collecting while the process exits.
    static auto* real_netlink = new network::LibnlNetlink;
    auto& netlink = options.netlink_backend ? *options.netlink_backend : *real_netlink;
    auto facts = read_network_namespaces(netlink, sources, options.use_caches);
    move_network_facts(facts, out);
}

// Joins the network facts in `out` to the engine's objects: who owns each link, address, route,
// neighbour and FDB entry.
void attribute_network(const EngineObjects& objects, const HostNamespaces& host, const Snapshot& snapshot, Snapshot& out)
{
    // Owners: the container whose netns holds the link; on the host, a veth whose peer is in a
    // container's netns, a network's bridge, and that bridge's ports.
    std::map<std::uint64_t, std::string> netns_container;
    for (const auto& ns : snapshot.namespaces) {
        if (ns.type == "net" && !ns.container_id.empty())
            netns_container[ns.inode] = ns.container_id;
    }
    std::map<std::string, std::string> bridge_network;
    for (const auto& network : objects.networks) {
        if (!network.bridge_name.empty())
            bridge_network[network.bridge_name] = network.id;
    }
    std::map<std::pair<std::uint64_t, int>, const LinkInfo*> by_index;
    for (auto& link : out.links) {
        if (auto it = netns_container.find(link.netns); it != netns_container.end())
            link.container_id = it->second;
        if (!link.container_id.empty())
            link.owner = container_owner(link.container_id);
        else if (auto peer = netns_container.find(link.peer_netns); link.kind == "veth" && peer != netns_container.end())
            link.owner = container_owner(peer->second);
        else if (auto parent = netns_container.find(link.parent_netns); parent != netns_container.end())
            link.owner = container_owner(parent->second);
        bool in_host = host.inodes.count("net") && host.inodes.at("net") == link.netns;
        if (link.owner.empty() && in_host) {
            if (auto it = bridge_network.find(link.name); it != bridge_network.end())
                link.owner = "network:" + it->second;
            else if (auto master = bridge_network.find(link.master_name); master != bridge_network.end())
                link.owner = "network:" + master->second;
        }
        by_index[{ link.netns, link.index }] = &link;
    }
    auto owner_of_link = [&](std::uint64_t netns, int index) {
        auto it = by_index.find({ netns, index });
        return it == by_index.end() ? std::string {} : it->second->owner;
    };
    for (auto& address : out.addresses) {
        address.container_id = netns_container.count(address.netns) ? netns_container[address.netns] : "";
        address.owner = owner_of_link(address.netns, address.link_index);
    }
    for (auto& route : out.routes) {
        route.container_id = netns_container.count(route.netns) ? netns_container[route.netns] : "";
        route.owner = owner_of_link(route.netns, route.link_index);
    }
    for (auto& neighbour : out.neighbours) {
        neighbour.container_id = netns_container.count(neighbour.netns) ? netns_container[neighbour.netns] : "";
        neighbour.owner = owner_of_link(neighbour.netns, neighbour.link_index);
    }
    for (auto& entry : out.fdb) {
        entry.owner = owner_of_link(entry.netns, entry.port_index);
        if (entry.owner.empty())
            entry.owner = owner_of_link(entry.netns, entry.bridge_index);
    }
}

void add_kernel_features(const CollectOptions& options, Snapshot& snapshot)
{
    const auto& features = options.features ? *options.features : sys::kernel_features();
    snapshot.kernel.release = features.kernel_release;
    snapshot.kernel.cgroup_layout = std::string(sys::cgroup_layout_name(features.cgroup_layout));
    snapshot.kernel.cgroup_v2_mount = features.cgroup_v2_mount;
    for (const auto& feature : features.features)
        snapshot.kernel.features.push_back({ feature.name, feature.available, feature.detail });
}

std::mutex last_timings_mutex;
CollectTimings last_timings;

} // namespace

void release_unreachable_namespaces()
{
    mount_tables().release_unreachable();
    release_unreachable_network_namespaces();
}

std::vector<std::uint64_t> cached_mount_namespaces() { return mount_tables().namespaces(); }

std::vector<std::uint64_t> cached_network_namespaces() { return detail::cached_network_namespaces(); }

void clear_collector_caches()
{
    mount_tables().clear();
    clear_network_cache();
}

CollectTimings last_collect_timings()
{
    std::lock_guard lock(last_timings_mutex);
    return last_timings;
}

Result<Snapshot> collect_snapshot(const EngineObjects& objects, const CollectOptions& options)
{
    if (!fs::is_dir(options.proc_root))
        return Error::not_found("collect state: procfs not found at " + options.proc_root);

    using Clock = std::chrono::steady_clock;
    auto started = Clock::now();
    Snapshot snapshot;
    snapshot.generation = options.generation;
    snapshot.taken_at = strings::rfc3339_nano(std::chrono::system_clock::now());
    char hostname[256] = {};
    if (::gethostname(hostname, sizeof(hostname) - 1) == 0)
        snapshot.hostname = hostname;

    // The engine's objects first, so kernel facts can be joined to them.
    add_engine_objects(objects, snapshot);

    // The host's namespaces are the collector's own (the daemon runs in them; PID 1's may be
    // unreadable inside a sandbox); a container's are its PID 1's.
    HostNamespaces host;
    for (const char* type : namespace_types()) {
        if (auto inode = read_namespace_inode(options.proc_root, ::getpid(), type))
            host.inodes[type] = inode;
    }
    if (host.inodes.empty())
        snapshot.warnings.push_back("cannot read " + options.proc_root + "/self/ns: host namespaces unknown");
    snapshot.host_namespaces = host.inodes;
    // The Glassbox scope picks processes by their containers' namespaces, so it reads them first;
    // with every process read, collect_processes takes them from PID 1's own read.
    if (options.processes == ProcessScope::Glassbox)
        read_container_namespaces(options, {}, snapshot);

    CollectTimings unused;
    auto& timings = options.timings ? *options.timings : unused;
    timings = CollectTimings {};
    auto since = [](Clock::time_point from) { return std::chrono::duration<double, std::milli>(Clock::now() - from).count(); };
    // nftables needs nothing else the snapshot holds and the network namespaces only the
    // namespace list, so both run on threads of their own beside the procfs and cgroupfs readers
    // (most of their time is spent waiting for the kernel's answers); each writes only its own
    // output, merged below in a fixed order.
    std::vector<NftRule> nft_rules;
    std::optional<Error> nft_error;
    std::jthread nft_thread;
    if (options.nftables) {
        nft_thread = std::jthread([&] {
            auto began = Clock::now();
            auto& nftables = options.nftables_backend ? *options.nftables_backend : network::libnftables();
            auto rules = read_nft_rules(nftables, options.nft_table_prefix);
            if (rules.ok())
                nft_rules = rules.release_value();
            else
                nft_error = rules.error();
            timings.nftables = since(began);
        });
    }
    auto mark = Clock::now();
    auto pids = list_pids(options.proc_root);
    auto bind_mounted = netns_files(objects, options);
    // The network namespaces are read on a thread of their own. With every process read, which
    // namespaces they are is known before the processes are (one readlink per PID), so that
    // thread starts now, beside the processes reader; the list is checked against the one the
    // processes give, and read again in the rare case a namespace came or went in between.
    // Everything the network thread reads by reference is declared before it, so an exception
    // below that unwinds this frame joins the thread (~jthread) before freeing what it reads.
    Snapshot network;
    std::vector<NetnsSource> early_sources;
    std::vector<NetnsSource> late_sources;
    bool early = options.network && options.processes == ProcessScope::All;
    std::jthread network_thread;
    auto engine_netns = options.network ? engine_network_namespaces(objects, options, host, bind_mounted)
                                        : std::set<std::uint64_t> {};
    if (early) {
        early_sources = early_network_sources(options, host, pids, bind_mounted);
        mark_cacheable(early_sources, engine_netns);
        network_thread = std::jthread([&] {
            auto began = Clock::now();
            read_network(options, early_sources, network);
            timings.network = since(began);
        });
    }
    std::map<int, std::string> cgroup_texts;
    collect_processes(options, host, pids, snapshot, cgroup_texts);
    timings.processes = since(mark);
    mark = Clock::now();
    collect_namespaces(objects, bind_mounted, host, snapshot);
    timings.namespaces = since(mark);
    if (options.network && !early) {
        late_sources = network_sources(options, host, snapshot);
        mark_cacheable(late_sources, engine_netns);
        network_thread = std::jthread([&] {
            auto began = Clock::now();
            read_network(options, late_sources, network);
            timings.network = since(began);
        });
    }
    mark = Clock::now();
    std::vector<MountInfo> host_mounts;
    collect_mounts(objects, options, host, snapshot, host_mounts);
    timings.mounts = since(mark);
    mark = Clock::now();
    collect_cgroups(options, host_mounts, cgroup_texts, snapshot);
    timings.cgroups = since(mark);
    if (network_thread.joinable())
        network_thread.join();
    if (early) {
        // The early list entered each namespace through a PID chosen before the processes were
        // read; one that exited meanwhile fails to enter although its namespace may live on
        // through other members, which the later list names instead. So a read with a failure is
        // repeated when a namespace is now reached through another file; one that fails through
        // the same file (a stale bind mount) is not read twice on every snapshot.
        auto sources = network_sources(options, host, snapshot);
        mark_cacheable(sources, engine_netns);
        bool failed = !network.warnings.empty();
        if (!same_namespaces(sources, early_sources, failed)) {
            auto began = Clock::now();
            network = Snapshot {};
            read_network(options, sources, network);
            timings.network += since(began);
        }
    }
    if (options.network)
        attribute_network(objects, host, snapshot, network);
    if (nft_thread.joinable())
        nft_thread.join();
    move_network_facts(network, snapshot);
    snapshot.nft_rules = std::move(nft_rules);
    if (nft_error)
        snapshot.warnings.push_back("nftables: " + nft_error->describe());
    if (options.kernel_features)
        add_kernel_features(options, snapshot);
    snapshot.kernel.mode = options.kernel_mode;
    snapshot.kernel.simulated_reason = options.simulated_reason;
    timings.total = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    {
        std::lock_guard lock(last_timings_mutex);
        last_timings = timings;
    }
    return snapshot;
}

} // namespace engine::state
