// The container filesystem endpoints: stat and archive a path (docker cp out), extract a tar into
// a directory (docker cp in), export the whole root, and the changes of the overlay upper
// directory (docker diff). Every path is resolved inside the container's root, or inside the
// source of the volume or bind mount that covers it, with openat2(2) RESOLVE_IN_ROOT
// (engine/base/safe_path.h), so neither ".." nor a symlink inside the container reaches the host;
// tars are read and written by the image layer code (engine/image/layer.h). A container that is
// not running has its overlay mounted for the duration of the call, as dockerd does.
// Kernel interfaces: openat2(2), fstatat(2), readlink(2) on /proc/self/fd, lgetxattr(2),
// mount(2) of the overlay. Kernel docs: filesystems/overlayfs.rst.
#include "engine/daemon/archive.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>

#include "engine/base/fd.h"
#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/safe_path.h"
#include "engine/base/strings.h"
#include "engine/daemon/engine_internal.h"
#include "engine/image/layer.h"
#include "engine/runtime/user.h"

namespace engine::daemon {

// [SECTION] Path stat (pure)

std::uint32_t go_file_mode(mode_t mode)
{
    std::uint32_t out = mode & 0777;
    switch (mode & S_IFMT) {
    case S_IFDIR: out |= go_mode::dir; break;
    case S_IFLNK: out |= go_mode::symlink; break;
    case S_IFBLK: out |= go_mode::device; break;
    case S_IFCHR: out |= go_mode::device | go_mode::char_device; break;
    case S_IFIFO: out |= go_mode::named_pipe; break;
    case S_IFSOCK: out |= go_mode::socket; break;
    default: break;
    }
    if (mode & S_ISUID)
        out |= go_mode::setuid;
    if (mode & S_ISGID)
        out |= go_mode::setgid;
    if (mode & S_ISVTX)
        out |= go_mode::sticky;
    return out;
}

PathStat path_stat_from(const std::string& name, const struct stat& st)
{
    PathStat stat;
    stat.name = name;
    stat.size = st.st_size;
    stat.mode = go_file_mode(st.st_mode);
    auto when = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    // Go's RFC3339Nano, as a time.Time marshals: trailing zeros of the fraction are dropped, and
    // the dot with them ("1970-01-01T00:00:00Z" for an image file's zero mtime).
    stat.mtime = strings::rfc3339_nano(when);
    auto dot = stat.mtime.find('.');
    if (dot != std::string::npos) {
        auto zone = stat.mtime.size() - 1;
        auto keep = stat.mtime.find_last_not_of('0', zone - 1); // The last non-zero digit, or the dot.
        if (keep == dot)
            keep = dot - 1;
        stat.mtime.erase(keep + 1, zone - keep - 1);
    }
    return stat;
}

std::string base64_url(std::string_view bytes)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        std::uint32_t v = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8) | std::uint8_t(bytes[i + 2]);
        for (int shift : { 18, 12, 6, 0 })
            out += alphabet[(v >> shift) & 63];
    }
    if (i + 1 == bytes.size()) {
        std::uint32_t v = std::uint8_t(bytes[i]) << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        std::uint32_t v = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string path_stat_header(const PathStat& stat)
{
    // ordered_json keeps Go's field order, so the header matches dockerd's byte for byte.
    nlohmann::ordered_json doc { { "name", stat.name }, { "size", stat.size }, { "mode", stat.mode },
        { "mtime", stat.mtime }, { "linkTarget", stat.link_target } };
    return base64_url(doc.dump());
}

// [SECTION] Changes (pure)

namespace {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool is_opaque(const std::string& path)
{
    char value[4] = {};
    for (const char* key : { "trusted.overlay.opaque", "user.overlay.opaque" })
        if (::lgetxattr(path.c_str(), key, value, sizeof value) == 1 && value[0] == 'y')
            return true;
    return false;
}

bool under_any(const std::string& path, const std::vector<std::string>& prefixes)
{
    for (const auto& prefix : prefixes)
        if (path == prefix || strings::starts_with(path, prefix + "/"))
            return true;
    return false;
}

struct ChangeWalk {
    const std::string& upper;
    std::vector<std::string> lowers_top_first;
    const std::vector<std::string>& skip;
    std::vector<FileChange> changes;
    std::set<std::string> changed_dirs;

    // The first lower layer (from the top) that has `path`, with its lstat data.
    bool lower_stat(const std::string& path, struct stat& out) const
    {
        for (const auto& lower : lowers_top_first)
            if (::lstat((lower + path).c_str(), &out) == 0)
                return true;
        return false;
    }

    Result<void> walk(const std::string& relative)
    {
        auto dir_path = upper + relative;
        DIR* dir = ::opendir(dir_path.c_str());
        if (!dir)
            return Error::from_errno("open " + dir_path, errno);
        std::vector<std::string> names;
        while (auto* entry = ::readdir(dir)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..")
                names.push_back(name);
        }
        ::closedir(dir);
        std::sort(names.begin(), names.end());
        for (const auto& name : names)
            TRY(visit(relative + "/" + name));
        return Ok {};
    }

    Result<void> visit(const std::string& path)
    {
        if (under_any(path, skip))
            return Ok {};
        struct stat st { };
        if (::lstat((upper + path).c_str(), &st) != 0)
            return Error::from_errno("stat " + upper + path, errno);
        FileChange change { path, 1 };
        struct stat below { };
        bool in_lower = lower_stat(path, below);
        if (is_whiteout(st)) {
            change.kind = 2;
        } else if (S_ISDIR(st.st_mode) && in_lower && is_opaque(upper + path)) {
            // An opaque directory hides a lower one: dockerd reports the lower one deleted.
            change.kind = 2;
        } else if (in_lower) {
            bool same_dir = S_ISDIR(st.st_mode) && S_ISDIR(below.st_mode) && st.st_size == below.st_size
                && st.st_mode == below.st_mode && st.st_mtim.tv_sec == below.st_mtim.tv_sec
                && (st.st_mtim.tv_nsec == below.st_mtim.tv_nsec || st.st_mtim.tv_nsec == 0 || below.st_mtim.tv_nsec == 0);
            if (same_dir)
                return walk(path);
            change.kind = 0;
        }
        if (S_ISDIR(st.st_mode))
            changed_dirs.insert(path);
        if (change.kind != 0) {
            auto parent = path.substr(0, path.rfind('/'));
            if (!parent.empty() && !changed_dirs.contains(parent)) {
                changes.push_back({ parent, 0 });
                changed_dirs.insert(parent);
            }
        }
        changes.push_back(change);
        if (S_ISDIR(st.st_mode) && !is_whiteout(st))
            return walk(path);
        return Ok {};
    }
};

} // namespace

Result<std::vector<FileChange>> upper_dir_changes(const std::string& upper, const std::vector<std::string>& lowers,
    const std::vector<std::string>& skip)
{
    ChangeWalk walk { upper, { lowers.rbegin(), lowers.rend() }, skip, {}, {} };
    TRY_CTX(walk.walk(""), "changes of " + upper);
    return std::move(walk.changes);
}

// [SECTION] Resolving a container path

namespace {

// What dockerd's init layer holds (and so leaves out of `docker diff` and commits): the mount
// points and files the engine itself puts in every container's root.
const std::vector<std::string> engine_made_paths = { "/.dockerenv", "/dev/console", "/dev/pts", "/dev/shm",
    "/etc/hostname", "/etc/hosts", "/etc/mtab", "/etc/resolv.conf", "/proc", "/sys" };

// The root a container path resolves in: the container's merged root, or the source directory
// of the volume or bind mount whose destination is the longest prefix of the path, or the host
// directory of a bound file. Under a tmpfs of a running (or paused) container it is the root of
// the container's own mount namespace (/proc/<pid>/root); a container that is not running has no
// tmpfs content.
struct PathRoot {
    UniqueFd root;
    std::string host_path;   // Of `root`, for turning a resolved fd back into a container path.
    std::string destination; // "" for the container's root, else the mount's destination.
    std::string rest;        // The path under `root`, cleaned ("" for the root itself).
    bool read_only { false };
    bool in_mount { false };
};

// The mount whose destination covers `parts` most closely (any type), or nullptr.
const RecordedMount* covering_mount(const std::vector<RecordedMount>& mounts, const std::vector<std::string>& parts)
{
    const RecordedMount* best = nullptr;
    size_t best_depth = 0;
    for (const auto& mount : mounts) {
        auto dest = safe_path::clean_components(mount.destination);
        if (dest.empty() || dest.size() > parts.size() || dest.size() <= best_depth)
            continue;
        if (std::equal(dest.begin(), dest.end(), parts.begin())) {
            best = &mount;
            best_depth = dest.size();
        }
    }
    return best;
}

Result<PathRoot> path_root(const std::string& rootfs, const std::vector<RecordedMount>& mounts, const std::string& path,
    int running_pid)
{
    auto parts = safe_path::clean_components(path);
    PathRoot out;
    // Only the container itself sees a tmpfs's content, and a bind of a single file covers a
    // name the host cannot open as a root: such paths resolve in the running container's mount
    // namespace. Others keep the host view, which has no /proc or /sys mounted in it, so
    // archiving "/" never walks procfs.
    const auto* cover = covering_mount(mounts, parts);
    struct stat source_st { };
    bool namespace_only = cover
        && (cover->type == "tmpfs" || (::stat(cover->source.c_str(), &source_st) == 0 && !S_ISDIR(source_st.st_mode)));
    if (running_pid > 0 && namespace_only) {
        out.host_path = "/proc/" + std::to_string(running_pid) + "/root";
        out.root = UniqueFd(::open(out.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!out.root.valid())
            return Error::from_errno("open the root of process " + std::to_string(running_pid), errno);
        out.in_mount = true;
        out.read_only = cover->read_only;
        out.rest = strings::join(parts, "/");
        return out;
    }
    const RecordedMount* best = nullptr;
    size_t best_depth = 0;
    bool file_bind = false;
    for (const auto& mount : mounts) {
        if (mount.type == "tmpfs" || mount.source.empty())
            continue;
        auto dest = safe_path::clean_components(mount.destination);
        if (dest.empty() || dest.size() > parts.size() || dest.size() <= best_depth)
            continue;
        if (!std::equal(dest.begin(), dest.end(), parts.begin()))
            continue;
        // A bind of a single file covers only its own path.
        struct stat st { };
        if (::stat(mount.source.c_str(), &st) != 0 || (!S_ISDIR(st.st_mode) && dest.size() != parts.size()))
            continue;
        best = &mount;
        best_depth = dest.size();
        file_bind = !S_ISDIR(st.st_mode);
    }
    if (best && file_bind) {
        // The file is the entry of its host directory, seen under the destination's directory.
        auto source = safe_path::clean_components(best->source);
        out.host_path = "/" + strings::join(std::vector<std::string>(source.begin(), source.end() - 1), "/");
        out.root = UniqueFd(::open(out.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!out.root.valid())
            return Error::from_errno("open " + out.host_path, errno);
        auto dest = safe_path::clean_components(best->destination);
        out.destination = "/" + strings::join(std::vector<std::string>(dest.begin(), dest.end() - 1), "/");
        out.read_only = best->read_only;
        out.in_mount = true;
        out.rest = source.back();
        return out;
    }
    out.host_path = best ? best->source : rootfs;
    out.root = UniqueFd(::open(out.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!out.root.valid())
        return Error::from_errno("open " + out.host_path, errno);
    if (best) {
        out.destination = "/" + safe_path::clean_relative(best->destination);
        out.read_only = best->read_only;
        out.in_mount = true;
    }
    std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(best_depth), parts.end());
    out.rest = strings::join(rest, "/");
    return out;
}

std::string fd_target(int fd)
{
    char buffer[4096];
    auto link = "/proc/self/fd/" + std::to_string(fd);
    auto n = ::readlink(link.c_str(), buffer, sizeof buffer - 1);
    return n < 0 ? std::string() : std::string(buffer, static_cast<size_t>(n));
}

// dockerd's name for the path in the stat and the archive: its last element as asked, "." for a
// path that ends in "/." (copy what the directory holds), "/" for the root.
std::string base_name_as_asked(const std::string& path)
{
    if (path == "." || strings::ends_with(path, "/."))
        return ".";
    auto parts = safe_path::clean_components(path);
    return parts.empty() ? "/" : parts.back();
}

bool missing(const Error& error) { return error.code() == ENOENT || error.code() == ENOTDIR; }

// A small file of the container (its /etc/passwd, /etc/group) read inside its root; "" when it
// is missing or larger than 1 MiB, as a user lookup then finds no names.
std::string read_in_root(int root_fd, const std::string& relative)
{
    auto file = safe_path::open_in_root(root_fd, relative, O_RDONLY);
    if (!file.ok())
        return "";
    std::string text;
    char buffer[8192];
    for (;;) {
        auto n = ::read(file.value().get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || text.size() > (1u << 20))
            break;
        text.append(buffer, static_cast<size_t>(n));
    }
    return text.size() > (1u << 20) ? std::string() : text;
}

Error file_not_found(const std::string& path, const std::string& ref)
{
    return Error::not_found("Could not find the file " + path + " in container " + ref);
}

} // namespace

// The container's root filesystem, mounted for as long as this lives. A running container's is
// already mounted; one that is not running gets its overlay mounted now and unmounted at the end.
// The container's op_mutex is held throughout, so no start, stop or remove runs in between.
class Engine::RootfsHold {
public:
    static Result<std::unique_ptr<RootfsHold>> take(Engine& engine, const std::shared_ptr<Container>& container)
    {
        std::unique_ptr<RootfsHold> hold(new RootfsHold(engine, container));
        {
            std::lock_guard lock(engine.m_impl->mutex);
            hold->view = container->view;
            hold->mounts = container->recorded_mounts;
        }
        auto status = hold->view.state.status;
        if (status == Status::Removing || status == Status::Dead)
            return Error::conflict("container " + hold->view.name + " is being removed");
        if (status == Status::Running || status == Status::Paused)
            hold->running_pid = hold->view.state.pid;
        if (status != Status::Running && status != Status::Paused) {
            runtime::ContainerSpec spec;
            spec.id = hold->view.id;
            spec.lower_dirs = hold->view.lower_dirs;
            spec.upper_dir = hold->view.upper_dir;
            spec.work_dir = hold->view.work_dir;
            spec.rootfs = hold->view.rootfs;
            TRY_CTX(runtime::mount_rootfs(engine.m_kernel, spec), "mount the root of container " + hold->view.name);
            hold->spec = std::move(spec);
        }
        return hold;
    }
    ~RootfsHold()
    {
        if (spec) {
            if (auto unmounted = runtime::unmount_rootfs(engine.m_kernel, *spec); !unmounted.ok())
                log::warn("unmount root of " + view.id + ": " + unmounted.error().describe());
        }
    }
    RootfsHold(const RootfsHold&) = delete;
    RootfsHold& operator=(const RootfsHold&) = delete;

    ContainerView view;
    std::vector<RecordedMount> mounts;
    int running_pid { 0 }; // Its init while it runs: tmpfs paths and bound files resolve in its mount namespace.

private:
    RootfsHold(Engine& engine_in, const std::shared_ptr<Container>& container)
        : engine(engine_in)
        , lock(container->op_mutex)
    {
    }
    Engine& engine;
    std::unique_lock<std::mutex> lock;
    std::optional<runtime::ContainerSpec> spec;
};

// [SECTION] Engine: stat, archive, extract, export, changes

namespace {

// lstat of `path` inside the hold's container (its last element not followed, as dockerd's
// ResolvePath), with the parent directory it is in. `name` is "" for a root itself.
struct Located {
    PathRoot root;
    UniqueFd parent;
    std::string name;
    struct stat st { };
};

Result<Located> locate(const std::string& rootfs, const std::vector<RecordedMount>& mounts, const std::string& path,
    int running_pid)
{
    Located out { TRY(path_root(rootfs, mounts, path, running_pid)), {}, {}, {} };
    auto parts = safe_path::clean_components(out.root.rest);
    if (!parts.empty() && (strings::ends_with(path, "/") || strings::ends_with(path, "/."))) {
        // "dir/" and "dir/." name the directory a final symlink leads to (dockerd resolves the
        // whole path then): resolve it inside the root, then carry on from where it led.
        auto target = TRY(safe_path::open_in_root(out.root.root.get(), out.root.rest, O_PATH | O_DIRECTORY));
        auto root = fd_target(out.root.root.get());
        auto resolved = fd_target(target.get());
        if (root.empty() || !strings::starts_with(resolved, root))
            return Error::system("cannot resolve " + path + " inside the container");
        parts = safe_path::clean_components(resolved.substr(root.size()));
        out.root.rest = strings::join(parts, "/");
    }
    if (parts.empty()) {
        if (::fstat(out.root.root.get(), &out.st) != 0)
            return Error::from_errno("stat " + path, errno);
        return out;
    }
    out.name = parts.back();
    parts.pop_back();
    out.parent = TRY(safe_path::open_in_root(out.root.root.get(), strings::join(parts, "/"), O_PATH | O_DIRECTORY));
    if (::fstatat(out.parent.get(), out.name.c_str(), &out.st, AT_SYMLINK_NOFOLLOW) != 0)
        return Error::from_errno("stat " + path, errno);
    return out;
}

// Where a symlink at `located` leads, resolved inside the container, as an absolute container path.
std::string link_target(const Located& located)
{
    auto opened = safe_path::open_in_root(located.root.root.get(), located.root.rest, O_PATH);
    if (opened.ok()) {
        auto target = fd_target(opened.value().get());
        auto root = fd_target(located.root.root.get());
        if (!root.empty() && strings::starts_with(target, root)) {
            auto inside = safe_path::clean_relative(target.substr(root.size()));
            auto base = located.root.destination;
            return inside.empty() ? (base.empty() ? "/" : base) : base + "/" + inside;
        }
    }
    // A dangling link: its target as written, made absolute and cleaned, as dockerd's
    // FollowSymlinkInScope leaves a path it cannot follow further.
    char buffer[4096];
    auto n = ::readlinkat(located.parent.get(), located.name.c_str(), buffer, sizeof buffer - 1);
    if (n < 0)
        return "";
    std::string text(buffer, static_cast<size_t>(n));
    auto dir = located.root.rest.substr(0, located.root.rest.rfind('/') == std::string::npos ? 0 : located.root.rest.rfind('/'));
    auto joined = text.starts_with('/') ? text : dir + "/" + text;
    return located.root.destination + "/" + safe_path::clean_relative(joined);
}

} // namespace

Result<PathStat> Engine::stat_container_path(const std::string& ref, const std::string& path)
{
    auto container = TRY(find_container(ref));
    auto hold = TRY(RootfsHold::take(*this, container));
    auto located = locate(hold->view.rootfs, hold->mounts, path, hold->running_pid);
    if (!located.ok())
        return missing(located.error()) ? file_not_found(path, ref) : located.release_error();
    auto stat = path_stat_from(base_name_as_asked(path), located.value().st);
    if (S_ISLNK(located.value().st.st_mode))
        stat.link_target = link_target(located.value());
    return stat;
}

Result<PathStat> Engine::archive_container_path(const std::string& ref, const std::string& path, const std::string& out_tar)
{
    auto container = TRY(find_container(ref));
    auto hold = TRY(RootfsHold::take(*this, container));
    auto located_result = locate(hold->view.rootfs, hold->mounts, path, hold->running_pid);
    if (!located_result.ok())
        return missing(located_result.error()) ? file_not_found(path, ref) : located_result.release_error();
    auto located = located_result.release_value();
    auto stat = path_stat_from(base_name_as_asked(path), located.st);
    if (S_ISLNK(located.st.st_mode))
        stat.link_target = link_target(located);
    if (located.name.empty()) {
        // The root itself (of the container or of a mount): its contents, under the name asked.
        TRY(image::write_tree_tar(located.root.root.get(), "", stat.name == "/" ? "" : stat.name, out_tar));
    } else {
        TRY(image::write_tree_tar(located.parent.get(), located.name, stat.name, out_tar));
    }
    publish({ "container", "archive-path", hold->view.id,
        { { "image", hold->view.config.image.text }, { "name", hold->view.name } }, 0 });
    return stat;
}

Result<void> Engine::extract_to_container(const std::string& ref, const std::string& path, const std::string& tar_path,
    bool no_overwrite_dir_non_dir, bool copy_uid_gid)
{
    auto container = TRY(find_container(ref));
    auto hold = TRY(RootfsHold::take(*this, container));
    // copyUIDGID (docker cp -a): every entry takes the uid and gid the container's user has,
    // looked up in the container's own /etc/passwd and /etc/group (dockerd 20.10 looks in the
    // host's); with no user set the tar's owners stay, as under dockerd.
    std::optional<std::pair<uid_t, gid_t>> owner;
    if (copy_uid_gid && !hold->view.config.user.empty()) {
        UniqueFd rootfs(::open(hold->view.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!rootfs.valid())
            return Error::from_errno("open " + hold->view.rootfs, errno);
        auto user = TRY(runtime::resolve_user(hold->view.config.user, read_in_root(rootfs.get(), "etc/passwd"),
            read_in_root(rootfs.get(), "etc/group")));
        owner = std::pair { user.uid, user.gid };
    }
    auto root = TRY(path_root(hold->view.rootfs, hold->mounts, path, hold->running_pid));
    // Unlike stat, the last element is followed too, so a tar can go to a symlink to a directory.
    auto opened = safe_path::open_in_root(root.root.get(), root.rest, O_RDONLY | O_DIRECTORY);
    if (!opened.ok()) {
        // dockerd answers 500 here (its ErrExtractPointNotDirectory is not typed as a bad request).
        if (opened.error().code() == ENOTDIR)
            return Error::system("extraction point is not a directory");
        return missing(opened.error()) ? file_not_found(path, ref) : opened.release_error();
    }
    if (root.in_mount && root.read_only)
        return Error::make(ErrorKind::PermissionDenied, "mounted volume is marked read-only");
    if (!root.in_mount && hold->view.config.readonly_rootfs)
        return Error::make(ErrorKind::PermissionDenied, "container rootfs is marked read-only");
    image::UnpackOptions options;
    options.whiteouts = false;
    options.no_overwrite_dir_non_dir = no_overwrite_dir_non_dir;
    options.owner = owner;
    auto dest = "/proc/self/fd/" + std::to_string(opened.value().get());
    TRY_CTX(image::unpack_layer(tar_path, dest, options), "extract into " + path);
    publish({ "container", "extract-to-dir", hold->view.id,
        { { "image", hold->view.config.image.text }, { "name", hold->view.name } }, 0 });
    return Ok {};
}

Result<void> Engine::export_container(const std::string& ref, const std::string& out_tar)
{
    auto container = TRY(find_container(ref));
    auto hold = TRY(RootfsHold::take(*this, container));
    UniqueFd root(::open(hold->view.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid())
        return Error::from_errno("open " + hold->view.rootfs, errno);
    TRY_CTX(image::write_tree_tar(root.get(), "", "", out_tar), "export container " + hold->view.name);
    publish({ "container", "export", hold->view.id, { { "image", hold->view.config.image.text }, { "name", hold->view.name } }, 0 });
    return Ok {};
}

Result<std::vector<FileChange>> Engine::container_changes(const std::string& ref) const
{
    auto container = TRY(find_container(ref));
    ContainerView view;
    {
        std::lock_guard lock(m_impl->mutex);
        view = container->view;
    }
    return upper_dir_changes(view.upper_dir, view.lower_dirs, engine_made_paths);
}

} // namespace engine::daemon
