// COPY/ADD file operations inside a root. See copy.h.
#include "engine/build/copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <archive.h>
#include <archive_entry.h>

#include "engine/base/fs.h"
#include "engine/base/safe_path.h"
#include "engine/base/sha256.h"
#include "engine/base/strings.h"

namespace engine::build {

namespace {

std::string parent_of(const std::string& path)
{
    auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return "";
    return path.substr(0, slash);
}

std::string base_of(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join_path(const std::string& a, const std::string& b)
{
    if (a.empty())
        return b;
    if (b.empty())
        return a;
    return a + "/" + b;
}

bool has_glob(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

Result<void> walk(int dir_fd, const std::string& full, const std::string& rel, const DockerIgnore* ignore,
    std::vector<TreeEntry>& out)
{
    int copy = ::dup(dir_fd);
    if (copy < 0)
        return Error::from_errno("dup " + full, errno);
    DIR* dir = ::fdopendir(copy);
    if (dir == nullptr) {
        ::close(copy);
        return Error::from_errno("opendir " + full, errno);
    }
    std::vector<std::string> names;
    while (auto* ent = ::readdir(dir)) {
        std::string name = ent->d_name;
        if (name != "." && name != "..")
            names.push_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());

    for (const auto& name : names) {
        TreeEntry entry;
        entry.full = join_path(full, name);
        entry.rel = join_path(rel, name);
        if (::fstatat(dir_fd, name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0)
            return Error::from_errno("stat " + entry.full, errno);
        bool skip = ignore != nullptr && ignore->excluded(entry.full);
        if (S_ISDIR(entry.st.st_mode)) {
            if (skip && !ignore->has_exceptions())
                continue;
            UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!child.valid())
                return Error::from_errno("open " + entry.full, errno);
            std::vector<TreeEntry> below;
            TRY(walk(child.get(), entry.full, entry.rel, ignore, below));
            if (skip && below.empty())
                continue;
            out.push_back(std::move(entry));
            std::move(below.begin(), below.end(), std::back_inserter(out));
            continue;
        }
        if (skip)
            continue;
        if (S_ISLNK(entry.st.st_mode)) {
            std::string target(PATH_MAX, '\0');
            ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
            if (n < 0)
                return Error::from_errno("readlink " + entry.full, errno);
            target.resize(static_cast<size_t>(n));
            entry.link_target = target;
        }
        out.push_back(std::move(entry));
    }
    return Ok {};
}

// Removes whatever is at `name` in `dir_fd` unless it is a directory and `keep_dir`.
void remove_existing(int dir_fd, const std::string& name, bool keep_dir)
{
    struct stat st { };
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        if (!keep_dir)
            ::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR);
        return;
    }
    ::unlinkat(dir_fd, name.c_str(), 0);
}

Result<void> copy_file_contents(int in, int out, const std::string& what)
{
    while (true) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 20, 0);
        if (n == 0)
            return Ok {};
        if (n > 0)
            continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)
            break;
        return Error::from_errno("copy " + what, errno);
    }
    return fs::copy_fd(in, out, what);
}

// fchownat(2), except that an engine run by an ordinary user (which only the simulated kernel
// allows) cannot give a file away: EPERM leaves it the user's own, as a rootless engine's files
// on disk are. As root a failure is an error.
int set_owner_at(int dir_fd, const char* name, uid_t uid, gid_t gid)
{
    int result = ::fchownat(dir_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW | (name[0] == '\0' ? AT_EMPTY_PATH : 0));
    return result != 0 && errno == EPERM && ::geteuid() != 0 ? 0 : result;
}

} // namespace

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags, mode_t mode)
{
    std::string relative = clean_relative_path(path);
    if (relative.empty())
        relative = ".";
    auto fd = safe_path::open_in_root(root_fd, relative, flags, safe_path::InRoot, mode);
    if (!fd.ok()) {
        int code = fd.error().code();
        if (code == ENOENT)
            return Error::not_found("no such file or directory: /" + clean_relative_path(path));
        return Error::from_errno("open /" + clean_relative_path(path), code);
    }
    return fd;
}

Result<UniqueFd> make_dirs_in_root(int root_fd, const std::string& path, uid_t uid, gid_t gid)
{
    // Each directory the walk creates belongs to the COPY's --chown owner (root by default).
    return safe_path::make_dirs_in_root(root_fd, clean_relative_path(path), 0755,
        [&](int parent_fd, const std::string& name, const std::string& shown) -> Result<void> {
            if (set_owner_at(parent_fd, name.c_str(), uid, gid) != 0)
                return Error::from_errno("chown " + shown, errno);
            return Ok {};
        });
}

Result<std::vector<TreeEntry>> list_tree(int root_fd, const std::string& path, const DockerIgnore* ignore)
{
    std::vector<TreeEntry> out;
    std::string cleaned = clean_relative_path(path);
    auto fd = TRY(open_in_root(root_fd, cleaned, O_PATH));
    TreeEntry top;
    top.full = cleaned;
    if (::fstat(fd.get(), &top.st) != 0)
        return Error::from_errno("stat " + cleaned, errno);
    if (!S_ISDIR(top.st.st_mode)) {
        out.push_back(std::move(top));
        return out;
    }
    auto dir = TRY(open_in_root(root_fd, cleaned, O_RDONLY | O_DIRECTORY));
    out.push_back(std::move(top));
    TRY(walk(dir.get(), cleaned, "", ignore, out));
    return out;
}

Result<std::vector<std::string>> expand_sources(int root_fd, const std::vector<std::string>& sources,
    const DockerIgnore* ignore, const std::string& instruction)
{
    std::vector<std::string> out;
    for (const auto& source : sources) {
        std::string cleaned = clean_relative_path(source);
        if (!has_glob(base_of(cleaned))) {
            auto fd = open_in_root(root_fd, cleaned, O_PATH);
            if (!fd.ok() || (ignore != nullptr && !cleaned.empty() && ignore->excluded(cleaned)))
                return Error::not_found(instruction + " failed: file not found in build context or excluded by "
                                                      ".dockerignore: stat "
                    + source + ": file does not exist");
            out.push_back(cleaned);
            continue;
        }
        std::string dir = parent_of(cleaned);
        std::string pattern = base_of(cleaned);
        auto dir_fd = open_in_root(root_fd, dir, O_RDONLY | O_DIRECTORY);
        std::vector<std::string> matches;
        if (dir_fd.ok()) {
            std::vector<TreeEntry> entries;
            TRY(walk(dir_fd.value().get(), dir, "", nullptr, entries));
            for (const auto& entry : entries) {
                if (entry.rel.find('/') != std::string::npos)
                    continue;
                if (::fnmatch(pattern.c_str(), entry.rel.c_str(), 0) != 0)
                    continue;
                if (ignore != nullptr && ignore->excluded(entry.full))
                    continue;
                matches.push_back(entry.full);
            }
        }
        if (matches.empty())
            return Error::not_found(instruction + " failed: no source files were specified (no match for " + source + ")");
        out.insert(out.end(), matches.begin(), matches.end());
    }
    return out;
}

Result<std::string> hash_entries(int root_fd, const std::vector<TreeEntry>& entries)
{
    Sha256 hasher;
    for (const auto& entry : entries) {
        std::string head = entry.rel + '\0' + std::to_string(entry.st.st_mode) + '\0'
            + std::to_string(entry.st.st_size) + '\0' + entry.link_target + '\0';
        hasher.update(head.data(), head.size());
        if (!S_ISREG(entry.st.st_mode))
            continue;
        // Resolved inside the root like every source path; no O_NOFOLLOW, because a source named
        // on the COPY line may itself be a symlink that stays inside the context, which Docker
        // follows (its entry was listed with the target's stat).
        auto fd = TRY(open_in_root(root_fd, entry.full, O_RDONLY));
        TRY(fs::read_chunks(fd.get(), entry.full, [&](std::string_view chunk) { hasher.update(chunk.data(), chunk.size()); }));
    }
    return hasher.finish_hex();
}

Result<void> copy_entries(int src_root, const std::vector<TreeEntry>& entries, int dst_root,
    const std::string& dest, const CopyOwnership& ownership)
{
    std::string dest_clean = clean_relative_path(dest);
    for (const auto& entry : entries) {
        std::string target = join_path(dest_clean, entry.rel);
        mode_t mode = ownership.chmod ? *ownership.chmod : (entry.st.st_mode & 07777);
        if (target.empty()) {
            // Copying a directory onto "/" itself: only its contents matter.
            continue;
        }
        auto parent = TRY(make_dirs_in_root(dst_root, parent_of(target), ownership.uid, ownership.gid));
        std::string name = base_of(target);
        if (S_ISDIR(entry.st.st_mode)) {
            remove_existing(parent.get(), name, true);
            bool created = ::mkdirat(parent.get(), name.c_str(), mode) == 0;
            if (!created && errno != EEXIST)
                return Error::from_errno("mkdir /" + target, errno);
            if (created || !entry.rel.empty() || ownership.chmod) {
                if (set_owner_at(parent.get(), name.c_str(), ownership.uid, ownership.gid) != 0)
                    return Error::from_errno("chown /" + target, errno);
                if (::fchmodat(parent.get(), name.c_str(), mode, 0) != 0)
                    return Error::from_errno("chmod /" + target, errno);
            }
            continue;
        }
        remove_existing(parent.get(), name, false);
        if (S_ISLNK(entry.st.st_mode)) {
            if (::symlinkat(entry.link_target.c_str(), parent.get(), name.c_str()) != 0)
                return Error::from_errno("symlink /" + target, errno);
            if (set_owner_at(parent.get(), name.c_str(), ownership.uid, ownership.gid) != 0)
                return Error::from_errno("chown /" + target, errno);
            continue;
        }
        if (!S_ISREG(entry.st.st_mode))
            continue; // Devices, sockets and fifos from a context are not copied.
        auto in = TRY(open_in_root(src_root, entry.full, O_RDONLY)); // As in hash_entries.
        UniqueFd out(::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out.valid())
            return Error::from_errno("create /" + target, errno);
        TRY(copy_file_contents(in.get(), out.get(), "/" + target));
        if (set_owner_at(out.get(), "", ownership.uid, ownership.gid) != 0)
            return Error::from_errno("chown /" + target, errno);
        if (::fchmod(out.get(), mode) != 0)
            return Error::from_errno("chmod /" + target, errno);
        struct timespec times[2] = { entry.st.st_atim, entry.st.st_mtim };
        ::futimens(out.get(), times);
    }
    return Ok {};
}

bool is_local_archive(int fd)
{
    struct archive* reader = archive_read_new();
    if (reader == nullptr)
        return false;
    archive_read_support_filter_none(reader);
    archive_read_support_filter_gzip(reader);
    archive_read_support_filter_bzip2(reader);
    archive_read_support_filter_xz(reader);
    archive_read_support_format_tar(reader);
    archive_read_support_format_gnutar(reader);
    bool is_tar = false;
    if (::lseek(fd, 0, SEEK_SET) == 0 && archive_read_open_fd(reader, fd, 65536) == ARCHIVE_OK) {
        struct archive_entry* entry = nullptr;
        is_tar = archive_read_next_header(reader, &entry) == ARCHIVE_OK;
    }
    archive_read_free(reader);
    ::lseek(fd, 0, SEEK_SET);
    return is_tar;
}

} // namespace engine::build
