// File helpers: reading, atomic writes, recursive mkdir and removal (openat-based, so a
// symlink inside the tree is removed, never followed).
#include "engine/base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "engine/base/fd.h"

namespace engine::fs {

Result<std::string> read_file(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("open " + path, errno);
    std::string out;
    TRY(read_chunks(fd.get(), path, [&](std::string_view chunk) { out.append(chunk); }));
    return out;
}

Result<void> read_chunks(int fd, const std::string& what, const std::function<void(std::string_view)>& consume)
{
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("read " + what, errno);
        }
        if (n == 0)
            return Ok {};
        consume(std::string_view(buf, static_cast<size_t>(n)));
    }
}

Result<void> write_all(int fd, std::string_view data, const std::string& what)
{
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("write " + what, errno);
        }
        done += static_cast<size_t>(n);
    }
    return Ok {};
}

Result<void> copy_fd(int in, int out, const std::string& what)
{
    Result<void> written = Ok {};
    TRY(read_chunks(in, what, [&](std::string_view chunk) {
        if (written.ok())
            written = write_all(out, chunk, what);
    }));
    return written;
}

static std::string dir_of(const std::string& path)
{
    auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    if (slash == 0)
        return "/";
    return path.substr(0, slash);
}

enum class Sync { Yes, No };

static Result<void> write_and_rename(const std::string& path, std::string_view contents, int mode, Sync sync)
{
    thread_local std::mt19937_64 rng { std::random_device {}() };
    auto tmp = path + ".tmp-" + std::to_string(rng() % 1000000000ULL);
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd.valid())
        return Error::from_errno("create " + tmp, errno);
    if (auto written = write_all(fd.get(), contents, tmp); !written.ok()) {
        ::unlink(tmp.c_str());
        return written.release_error();
    }
    if (sync == Sync::Yes && ::fsync(fd.get()) != 0) {
        int saved = errno;
        ::unlink(tmp.c_str());
        return Error::from_errno("fsync " + tmp, saved);
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(tmp.c_str());
        return Error::from_errno("rename " + tmp + " to " + path, saved);
    }
    if (sync == Sync::No)
        return Ok {};
    UniqueFd dir(::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.valid())
        ::fsync(dir.get());
    return Ok {};
}

Result<void> write_file_atomic(const std::string& path, std::string_view contents, int mode)
{
    return write_and_rename(path, contents, mode, Sync::Yes);
}

Result<void> write_file_replace(const std::string& path, std::string_view contents, int mode)
{
    return write_and_rename(path, contents, mode, Sync::No);
}

Result<void> make_dirs(const std::string& path, int mode)
{
    if (path.empty())
        return Ok {};
    std::string partial;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        partial = path.substr(0, pos);
        if (partial.empty())
            continue;
        if (::mkdir(partial.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST)
            return Error::from_errno("mkdir " + partial, errno);
    }
    if (!is_dir(path))
        return Error::invalid("mkdir " + path + ": exists and is not a directory");
    return Ok {};
}

// Removes every entry under the directory open at `dirfd`, never following symlinks and never
// descending into a different filesystem (a mount point left behind is reported, not emptied).
static Result<void> remove_children(int dirfd, const std::string& shown, dev_t device)
{
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
        return Error::from_errno("dup " + shown, errno);
    DIR* dir = ::fdopendir(dup);
    if (!dir) {
        ::close(dup);
        return Error::from_errno("opendir " + shown, errno);
    }
    Result<void> result = Ok {};
    while (struct dirent* entry = ::readdir(dir)) {
        if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0)
            continue;
        struct stat st { };
        if (::fstatat(dirfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        std::string child = shown + "/" + entry->d_name;
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != device) {
                result = Error::conflict("remove " + child + ": a filesystem is still mounted there");
                break;
            }
            UniqueFd sub(::openat(dirfd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub.valid()) {
                result = Error::from_errno("open " + child, errno);
                break;
            }
            // A directory without write or search permission cannot be emptied; fix that first.
            ::fchmod(sub.get(), 0700);
            auto inner = remove_children(sub.get(), child, device);
            if (!inner.ok()) {
                result = inner;
                break;
            }
            if (::unlinkat(dirfd, entry->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
                result = Error::from_errno("rmdir " + child, errno);
                break;
            }
        } else if (::unlinkat(dirfd, entry->d_name, 0) != 0 && errno != ENOENT) {
            result = Error::from_errno("unlink " + child, errno);
            break;
        }
    }
    ::closedir(dir);
    return result;
}

Result<void> remove_tree(const std::string& path)
{
    struct stat st { };
    if (::lstat(path.c_str(), &st) != 0)
        return errno == ENOENT ? Result<void>(Ok {}) : Result<void>(Error::from_errno("stat " + path, errno));
    if (!S_ISDIR(st.st_mode)) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return Error::from_errno("unlink " + path, errno);
        return Ok {};
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("open " + path, errno);
    TRY(remove_children(fd.get(), path, st.st_dev));
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
        return Error::from_errno("rmdir " + path, errno);
    return Ok {};
}

bool exists(const std::string& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> list_dir(const std::string& path)
{
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (!dir)
        return names;
    while (struct dirent* entry = ::readdir(dir)) {
        if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0)
            continue;
        names.emplace_back(entry->d_name);
    }
    ::closedir(dir);
    return names;
}

static std::uint64_t usage_at(int dirfd, dev_t device)
{
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
        return 0;
    DIR* dir = ::fdopendir(dup);
    if (!dir) {
        ::close(dup);
        return 0;
    }
    std::uint64_t total = 0;
    while (struct dirent* entry = ::readdir(dir)) {
        if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0)
            continue;
        struct stat st { };
        if (::fstatat(dirfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != device)
                continue;
            UniqueFd sub(::openat(dirfd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (sub.valid())
                total += usage_at(sub.get(), device);
        } else if (S_ISREG(st.st_mode)) {
            total += static_cast<std::uint64_t>(st.st_size);
        }
    }
    ::closedir(dir);
    return total;
}

std::uint64_t disk_usage(const std::string& path)
{
    struct stat st { };
    if (::lstat(path.c_str(), &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return static_cast<std::uint64_t>(st.st_size);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    return fd.valid() ? usage_at(fd.get(), st.st_dev) : 0;
}

} // namespace engine::fs
