// The collector's readers, one per kernel interface, shared between collector.cpp and the unit
// tests (the parsers take text, so they are tested without a kernel). Not a public interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/result.h"
#include "engine/network/netlink.h"
#include "engine/network/nft.h"
#include "engine/state/snapshot.h"

namespace engine::state::detail {

// [SECTION] Worker pool (read_pool.cpp)

// The most threads read_in_parallel keeps beside the caller's own. They are started on first use
// and then idle on a condition variable for the life of the process.
constexpr size_t read_pool_max_helpers = 2;

// Runs read(i) for every i below `count`, on the calling thread and, when there are at least
// 2 * `per_worker` items, on up to read_pool_max_helpers pool threads (one per CPU beyond the
// first). procfs, mountinfo and cgroupfs reads are independent of each other; on a busy host
// there are hundreds. read(i) must only touch item i's own output. The first exception a call
// throws is rethrown once every thread let go of `read`. While another caller's items run, a
// caller does all of its own items itself.
void read_in_parallel(size_t count, size_t per_worker, const std::function<void(size_t)>& read);

// How many pool threads exist now (for the tests: the pool must stay small).
size_t read_pool_threads();

// [SECTION] procfs (procfs_reader.cpp)

// `text` without leading and trailing whitespace, as a view into it (strings::trim copies; the
// parsers here run thousands of times per snapshot).
inline std::string_view trim_view(std::string_view text)
{
    constexpr std::string_view space = " \t\n\r"; // What strings::trim removes.
    auto first = text.find_first_not_of(space);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(space) - first + 1);
}

// Calls `each` with every part of `text` between `separator`s, as views into it; the part after
// a final separator (the empty rest after the newline a kernel file ends with) is not one.
template <typename Each>
void for_each_part(std::string_view text, char separator, Each&& each)
{
    size_t start = 0;
    while (start < text.size()) {
        auto end = text.find(separator, start);
        if (end == std::string_view::npos)
            end = text.size();
        each(text.substr(start, end - start));
        start = end + 1;
    }
}

// Reads a small procfs/cgroupfs file with open(2)/read(2); false if it cannot be read (the process
// exited, the file does not exist). Faster than a stream for the thousands of files a snapshot reads.
bool read_small_file(const std::string& path, std::string& out);
// The same for a file the kernel hands out as one record (a single seq_file show: procfs stat,
// status and cgroup, and every cgroupfs file but cgroup.procs, cgroup.threads and tasks; also
// /proc/<pid>/cmdline): such a read returns as much as fits, so a short read is the end and the
// read(2) that would return 0 is not needed. Never for a file of many records (mountinfo,
// cgroup.procs): a read of those may stop short at a record boundary before the end.
bool read_one_record_file(const std::string& path, std::string& out);

// read_small_file / read_one_record_file (`one_record`) of `name` relative to directory `dir_fd`:
// the directory's path is then looked up once for all the files read in it.
bool read_file_at(int dir_fd, const char* name, std::string& out, bool one_record);

// Reads a file that lists one PID per line (cgroup.procs) relative to `dir_fd`: a seq_file of many
// records, read until read(2) returns 0 unless the first read shows there is no more (see
// procfs_reader.cpp). False if it cannot be read.
bool read_pid_list_at(int dir_fd, const char* name, std::string& out);

// Reads an open file from its start to its end (lseek to 0, then read(2) until 0): a seq_file
// such as mountinfo generates its text afresh on each such read. False if a read fails.
bool reread_file(int fd, std::string& out);

// The PIDs listed in <proc_root>, ascending.
std::vector<int> list_pids(const std::string& proc_root);

// The inode in a namespace link target "net:[4026531840]"; 0 if malformed.
std::uint64_t parse_namespace_link(std::string_view target);
// The inode of <proc_root>/<pid>/ns/<type>; 0 if it cannot be read.
std::uint64_t read_namespace_inode(const std::string& proc_root, int pid, const char* type);

// The namespace types a snapshot reports, as /proc/<pid>/ns names them.
const std::vector<const char*>& namespace_types();

// Fills `process` from /proc/<pid>/{stat,status,cmdline,cgroup,ns/*}. False if the process went
// away while being read. `cgroup_text`, when given, receives /proc/<pid>/cgroup as read (every
// hierarchy's line; the collector reads the container processes' cgroups from it).
bool read_process(const std::string& proc_root, int pid, ProcessInfo& process, std::string* cgroup_text = nullptr);

// Parsers, exposed for the unit tests.
bool parse_stat(std::string_view text, ProcessInfo& process);
void parse_status(std::string_view text, ProcessInfo& process);
std::vector<std::string> parse_cmdline(std::string_view text);
// /proc/<pid>/cgroup lines as (hierarchy, path): ("unified", "/a") for "0::/a",
// ("memory", "/a") for "4:memory:/a". Named v1 hierarchies ("name=systemd") are kept as named.
std::vector<std::pair<std::string, std::string>> parse_proc_cgroup(std::string_view text);
// /proc/<pid>/mountinfo, one MountInfo per line (kind, overlay layers and owners left for the
// collector to fill in). Lines it cannot parse are skipped.
std::vector<MountInfo> parse_mountinfo(std::string_view text, std::uint64_t mount_namespace);
// Undoes the octal escapes (\040 for a space) mountinfo uses in paths.
std::string unescape_mount_path(std::string_view text);
// Splits overlay super options into lowerdir list (topmost first), upperdir and workdir.
void parse_overlay_options(std::string_view super_options, std::vector<std::string>& lower_dirs,
    std::string& upper_dir, std::string& work_dir);

// [SECTION] cgroupfs (cgroup_reader.cpp)

// A mounted cgroup hierarchy: "unified" (v2) or a v1 controller list ("cpu,cpuacct").
struct CgroupMount {
    std::string hierarchy;
    std::string mount_point;
};

// Hierarchies from the host's mountinfo: cgroup2 as "unified", v1 ones named by controllers.
std::vector<CgroupMount> find_cgroup_mounts(const std::vector<MountInfo>& host_mounts);

// Reads limits and usage of one cgroup directory; whichever of the v1 and v2 files exist are used.
// False if the directory does not exist.
bool read_cgroup(const std::string& hierarchy, const std::string& path, const std::string& directory,
    CgroupInfo& cgroup);

// [SECTION] netlink (netlink_reader.cpp)

// A network namespace to read, with every way to reach it.
struct NetnsSource {
    std::uint64_t inode { 0 };
    std::string path;                 // /proc/<pid>/ns/net or a bind-mounted netns file.
    // Whether a watch of it may be kept between snapshots: the host's and the engine's own
    // namespaces (whose end the daemon sees and releases them at), not another program's, which
    // a kept watch would hold alive, with its links and addresses, until the next snapshot.
    bool cacheable { true };
};

struct NetworkFacts {
    std::vector<LinkInfo> links;
    std::vector<AddressInfo> addresses;
    std::vector<RouteInfo> routes;
    std::vector<NeighbourInfo> neighbours;
    std::vector<FdbEntry> fdb;
    std::vector<std::string> warnings;
};

// Dumps links, addresses, routes, neighbours and the bridge FDB of each namespace through
// `netlink` (which enters it on a thread of its own), and names veth peers and macvlan/ipvlan
// parents across namespaces. A namespace that cannot be entered becomes a warning. With
// `use_caches`, a namespace read before whose watch heard nothing since is not dumped again, and
// the cached namespaces not in `namespaces` are closed (see "Caches" in collector.h).
NetworkFacts read_network_namespaces(network::Netlink& netlink, const std::vector<NetnsSource>& namespaces,
    bool use_caches = false);
// The network namespace cache's side of release_unreachable_namespaces(),
// cached_network_namespaces() and clear_collector_caches().
void release_unreachable_network_namespaces();
std::vector<std::uint64_t> cached_network_namespaces();
void clear_network_cache();

// [SECTION] nftables (nft_reader.cpp)

// Rules of every table whose name starts with `prefix`, in the caller's network namespace, with
// the text `nft list` prints for each. Fails if libnftables cannot list the ruleset.
Result<std::vector<NftRule>> read_nft_rules(network::Nftables& nftables, const std::string& prefix);

// Pairs rules from `nft -j -a list table` JSON with the text listing `nft -a list table` prints,
// by handle. Exposed for the unit tests.
Result<std::vector<NftRule>> parse_nft_rules(std::string_view json_text, std::string_view text_listing,
    const std::string& prefix);

} // namespace engine::state::detail
