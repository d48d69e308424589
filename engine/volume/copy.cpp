// Fills a new volume from the image's content at the mount path, as Docker does for an empty
// named or anonymous volume. The walk is fd-relative (openat with O_NOFOLLOW), so a symlink in
// the image is copied as a symlink and never followed out of the container's rootfs.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/fs.h"
#include "engine/base/safe_path.h"
#include "engine/volume/copy.h"
#include "engine/volume/volume.h"

namespace engine::volume {

static Result<void> copy_file(int src_dir, int dst_dir, const char* name, const struct stat& st, const std::string& shown)
{
    UniqueFd in(::openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in.valid())
        return Error::from_errno("open " + shown, errno);
    UniqueFd out(::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777));
    if (!out.valid())
        return Error::from_errno("create " + shown, errno);
    TRY(fs::copy_fd(in.get(), out.get(), shown));
    // Owner first, then mode: chown clears setuid bits.
    (void)::fchown(out.get(), st.st_uid, st.st_gid);
    (void)::fchmod(out.get(), st.st_mode & 07777);
    return Ok {};
}

static Result<void> copy_dir(int src, int dst, const std::string& shown)
{
    int dup = ::fcntl(src, F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
        return Error::from_errno("dup " + shown, errno);
    DIR* dir = ::fdopendir(dup);
    if (!dir) {
        ::close(dup);
        return Error::from_errno("opendir " + shown, errno);
    }
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(dir))
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
            names.emplace_back(entry->d_name);
    ::closedir(dir);

    for (const auto& name : names) {
        auto child = shown + "/" + name;
        struct stat st { };
        if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return Error::from_errno("stat " + child, errno);
        if (S_ISDIR(st.st_mode)) {
            if (::mkdirat(dst, name.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST)
                return Error::from_errno("mkdir " + child, errno);
            UniqueFd sub_src(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            UniqueFd sub_dst(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub_src.valid() || !sub_dst.valid())
                return Error::from_errno("open " + child, errno);
            TRY(copy_dir(sub_src.get(), sub_dst.get(), child));
            (void)::fchown(sub_dst.get(), st.st_uid, st.st_gid);
            (void)::fchmod(sub_dst.get(), st.st_mode & 07777);
        } else if (S_ISREG(st.st_mode)) {
            TRY(copy_file(src, dst, name.c_str(), st, child));
        } else if (S_ISLNK(st.st_mode)) {
            std::vector<char> target(static_cast<size_t>(st.st_size) + 1 > 4096 ? static_cast<size_t>(st.st_size) + 1 : 4096);
            ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size() - 1);
            if (n < 0)
                return Error::from_errno("readlink " + child, errno);
            target[static_cast<size_t>(n)] = '\0';
            if (::symlinkat(target.data(), dst, name.c_str()) != 0 && errno != EEXIST)
                return Error::from_errno("symlink " + child, errno);
            (void)::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        } else if (S_ISFIFO(st.st_mode)) {
            if (::mkfifoat(dst, name.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST)
                return Error::from_errno("mkfifo " + child, errno);
        }
        // Sockets and device nodes are not copied into volumes.
    }
    return Ok {};
}

static Result<void> copy_tree_fd(UniqueFd src, const std::string& source, const std::string& destination)
{
    UniqueFd dst(::open(destination.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst.valid())
        return Error::from_errno("open " + destination, errno);
    struct stat st { };
    if (::fstat(src.get(), &st) == 0) {
        (void)::fchown(dst.get(), st.st_uid, st.st_gid);
        (void)::fchmod(dst.get(), st.st_mode & 07777);
    }
    return copy_dir(src.get(), dst.get(), source);
}

Result<void> copy_tree(const std::string& source, const std::string& destination)
{
    UniqueFd src(::open(source.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src.valid()) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
            return Ok {}; // Nothing at that path in the image: the volume starts empty.
        return Error::from_errno("open " + source, errno);
    }
    return copy_tree_fd(std::move(src), source, destination);
}

Result<void> copy_tree_in_root(const std::string& root, const std::string& path, const std::string& destination)
{
    UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd.valid())
        return Error::from_errno("open " + root, errno);
    auto src = safe_path::open_in_root(root_fd.get(), path, O_RDONLY | O_DIRECTORY);
    if (!src.ok()) {
        int code = src.error().code();
        if (code == ENOENT || code == ENOTDIR || code == ELOOP)
            return Ok {}; // Nothing at that path in the image: the volume starts empty.
        return src.release_error().with_context("fill a volume from " + path + " in the image");
    }
    return copy_tree_fd(src.release_value(), path, destination);
}

} // namespace engine::volume
