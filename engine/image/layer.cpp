// Safe layer unpacking. Every file operation is made relative to a directory fd that was itself
// resolved with openat2(RESOLVE_IN_ROOT), so the kernel, not string checks, keeps each write
// inside the layer: a symlink "etc -> /etc" in the layer is followed to <layer>/etc, and ".."
// stops at the layer root. The last component of an entry is never followed: it is replaced
// (unlinkat) and recreated (openat O_EXCL|O_NOFOLLOW, symlinkat, linkat without
// AT_SYMLINK_FOLLOW, mknodat), and its mode and owner are set through the new fd or with
// AT_SYMLINK_NOFOLLOW, so a planted symlink can never redirect a chmod (CVE-2021-32760).
#include "engine/image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/fs.h"
#include "engine/base/safe_path.h"
#include "engine/base/sha256.h"
#include "engine/base/strings.h"
#include "engine/image/tar_scanner.h"

namespace engine::image {

namespace {

struct ReadDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ReadArchive = std::unique_ptr<archive, ReadDeleter>;
using WriteArchive = std::unique_ptr<archive, WriteDeleter>;
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

constexpr const char* opaque_xattr = "trusted.overlay.opaque";
constexpr const char* whiteout_prefix = ".wh.";
constexpr const char* opaque_marker = ".wh..wh..opq";

std::string archive_message(archive* a)
{
    const char* text = archive_error_string(a);
    return text ? text : "unknown libarchive error";
}

Error quota_exceeded(const std::string& input, std::uint64_t compressed_bytes)
{
    return Error::invalid(input + " decompresses to more than " + std::to_string(decompression_quota(compressed_bytes))
        + " bytes (" + std::to_string(k_decompression_ratio) + " times its " + std::to_string(compressed_bytes)
        + " bytes, or " + std::to_string(k_decompression_floor >> 20) + " MiB): refused as a decompression bomb");
}

// Registers the decompression filters. libarchive answers ARCHIVE_WARN when it was built without
// a codec and would fall back to running `gzip`/`xz`/... as a child process; an image could then
// decide which program runs (CVE-2014-9357), so that case is an error.
Result<void> enable_in_process_filters(archive* a)
{
    struct Filter {
        const char* name;
        int (*enable)(archive*);
    };
    static constexpr Filter filters[] = {
        { "gzip", archive_read_support_filter_gzip },
        { "bzip2", archive_read_support_filter_bzip2 },
        { "xz", archive_read_support_filter_xz },
        { "lzma", archive_read_support_filter_lzma },
        { "zstd", archive_read_support_filter_zstd },
    };
    for (const auto& filter : filters) {
        int rc = filter.enable(a);
        if (rc != ARCHIVE_OK)
            return Error::unsupported(std::string("libarchive cannot decompress ") + filter.name
                + " in process; refusing to run an external decompressor");
    }
    return Ok {};
}

enum class Format { Raw, Tar };

Result<ReadArchive> open_reader(const std::string& path, Format format)
{
    ReadArchive a(archive_read_new());
    if (!a)
        return Error::system("archive_read_new failed");
    TRY_CTX(enable_in_process_filters(a.get()), "open " + path);
    if (format == Format::Raw) {
        archive_read_support_format_raw(a.get());
    } else {
        archive_read_support_format_tar(a.get());
        archive_read_support_format_empty(a.get());
    }
    if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
        return Error::invalid("open archive " + path + ": " + archive_message(a.get()));
    return a;
}

// Entry names are cleaned as safe_path does: "/../victim" is {"victim"}, "dir/../foo" {"foo"}.
using safe_path::clean_components;

std::string join_path(const std::vector<std::string>& parts, size_t count)
{
    std::string out;
    for (size_t i = 0; i < count; ++i) {
        if (i)
            out += '/';
        out += parts[i];
    }
    return out.empty() ? "." : out;
}

// Opens the directory made of the first `count` components inside the root, creating missing
// directories (0755) one level at a time (safe_path::make_dirs_in_root).
Result<UniqueFd> open_dir_in_root(int root_fd, const std::vector<std::string>& parts, size_t count, bool create)
{
    auto full = join_path(parts, count);
    auto opened = create ? safe_path::make_dirs_in_root(root_fd, full, 0755)
                         : safe_path::open_in_root(root_fd, full, O_RDONLY | O_DIRECTORY);
    if (!opened.ok())
        return Error::from_errno((create ? "create directory " : "open directory ") + full + " in layer",
            opened.error().code());
    return opened;
}

// The names in an open directory, without "." and "..".
Result<std::vector<std::string>> names_in(int dir_fd, const std::string& shown)
{
    DIR* dir = ::fdopendir(::dup(dir_fd));
    if (!dir)
        return Error::from_errno("read directory " + shown, errno);
    std::vector<std::string> names;
    while (auto* entry = ::readdir(dir)) {
        std::string_view n = entry->d_name;
        if (n != "." && n != "..")
            names.emplace_back(n);
    }
    ::closedir(dir);
    return names;
}

// Removes `name` in `dir_fd` without following it; a directory is emptied first, depth first,
// through fds opened with O_NOFOLLOW.
Result<void> remove_at(int dir_fd, const std::string& name)
{
    struct stat st { };
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? Result<void>(Ok {}) : Result<void>(Error::from_errno("stat " + name, errno));
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
            return Error::from_errno("unlink " + name, errno);
        return Ok {};
    }
    UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid())
        return Error::from_errno("open " + name, errno);
    auto names = TRY(names_in(child.get(), name));
    for (auto& n : names)
        TRY_CTX(remove_at(child.get(), n), "remove " + name);
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return Error::from_errno("rmdir " + name, errno);
    return Ok {};
}

// docker cp's noOverwriteDirNonDir: an existing directory is only replaced by a directory, and
// an existing non-directory only by a non-directory (dockerd's wording).
Result<void> check_dir_non_dir(int parent_fd, const std::string& name, const std::string& path, bool new_is_dir)
{
    struct stat st { };
    if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return Ok {};
    bool old_is_dir = S_ISDIR(st.st_mode);
    if (old_is_dir && !new_is_dir)
        return Error::system("cannot overwrite directory \"" + path + "\" with non-directory \"" + path + "\"");
    if (!old_is_dir && new_is_dir)
        return Error::system("cannot overwrite non-directory \"" + path + "\" with directory \"" + path + "\"");
    return Ok {};
}

struct DeferredTime {
    std::string path;
    timespec mtime;
};

class Unpacker {
public:
    Unpacker(int root_fd, const UnpackOptions& options)
        : m_root_fd(root_fd)
        , m_options(options)
    {
    }

    Result<void> apply(archive* a, archive_entry* entry);
    Result<void> finish();
    // Refuse the stream once the decompressor has produced more than `quota` bytes (checked as
    // file data is written, so one huge entry cannot fill the disk first).
    void set_quota(std::string input, std::uint64_t compressed)
    {
        m_input = std::move(input);
        m_compressed = compressed;
    }
    Result<void> check_quota(archive* a) const;
    [[nodiscard]] std::uint64_t bytes() const { return m_bytes; }

private:
    Result<void> apply_whiteout(int parent_fd, const std::string& name, const std::string& shown);
    Result<void> keep_oci_marker(int parent_fd, const std::string& name, const std::string& shown);
    Result<void> write_file(archive* a, archive_entry* entry, int parent_fd, const std::string& name, const std::string& shown);
    Result<void> make_directory(archive_entry* entry, int parent_fd, const std::string& name, const std::string& path);
    Result<void> make_hardlink(archive_entry* entry, int parent_fd, const std::string& name, const std::string& shown);
    Result<void> set_metadata_fd(int fd, archive_entry* entry, const std::string& shown, bool set_time);
    Result<void> set_xattrs_fd(int fd, archive_entry* entry, const std::string& shown);
    // The owner an entry gets: the tar's, or the one the options impose.
    uid_t owner_uid(archive_entry* entry) const
    {
        return m_options.owner ? m_options.owner->first : static_cast<uid_t>(archive_entry_uid(entry));
    }
    gid_t owner_gid(archive_entry* entry) const
    {
        return m_options.owner ? m_options.owner->second : static_cast<gid_t>(archive_entry_gid(entry));
    }

    int m_root_fd;
    UnpackOptions m_options;
    std::uint64_t m_bytes { 0 };
    std::vector<DeferredTime> m_dir_times;
    std::string m_input;
    std::uint64_t m_compressed { 0 };
};

Result<void> Unpacker::set_xattrs_fd(int fd, archive_entry* entry, const std::string& shown)
{
    archive_entry_xattr_reset(entry);
    const char* key = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
        std::string_view name = key;
        // Only file capabilities and user attributes travel in images; trusted.* and
        // security.selinux would let an image speak for overlayfs or the LSM.
        if (name != "security.capability" && !strings::starts_with(name, "user."))
            continue;
        if (::fsetxattr(fd, key, value, size, 0) != 0 && errno != ENOTSUP)
            return Error::from_errno("set xattr " + std::string(name) + " on " + shown, errno);
    }
    return Ok {};
}

Result<void> Unpacker::set_metadata_fd(int fd, archive_entry* entry, const std::string& shown, bool set_time)
{
    // Owner before mode: chown(2) clears the set-user-ID and set-group-ID bits.
    if (m_options.keep_owners && ::fchown(fd, owner_uid(entry), owner_gid(entry)) != 0)
        return Error::from_errno("chown " + shown, errno);
    if (::fchmod(fd, archive_entry_perm(entry) & 07777) != 0)
        return Error::from_errno("chmod " + shown, errno);
    TRY(set_xattrs_fd(fd, entry, shown));
    if (set_time) {
        timespec times[2] = { { archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) },
            { archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) } };
        if (::futimens(fd, times) != 0)
            return Error::from_errno("set times of " + shown, errno);
    }
    return Ok {};
}

Result<void> Unpacker::check_quota(archive* a) const
{
    // Bytes out of the decompressor so far: headers, data and padding alike.
    if (!m_input.empty() && static_cast<std::uint64_t>(archive_filter_bytes(a, 0)) > decompression_quota(m_compressed))
        return quota_exceeded(m_input, m_compressed);
    return Ok {};
}

Result<void> Unpacker::apply_whiteout(int parent_fd, const std::string& name, const std::string& shown)
{
    if (name == opaque_marker) {
        // The opaque marker hides the lower layers' copy of this directory. It only sets an
        // attribute and deletes nothing, so children of this layer stay whatever the tar order
        // (image-spec layer.md: opaque whiteouts apply before the layer's other entries).
        if (::fsetxattr(parent_fd, opaque_xattr, "y", 1, 0) != 0) {
            if (errno != EPERM)
                return Error::from_errno("set " + std::string(opaque_xattr) + " for " + shown, errno);
            TRY(keep_oci_marker(parent_fd, name, shown));
        }
        return Ok {};
    }
    if (strings::starts_with(name, ".wh..wh."))
        return Ok {}; // AUFS metadata (".wh..wh.plnk", ".wh..wh.aufs"): not part of the tree.
    auto target = name.substr(4);
    if (target.empty() || target == "." || target == "..")
        return Error::invalid("invalid whiteout entry " + shown);
    TRY(remove_at(parent_fd, target));
    if (::mknodat(parent_fd, target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
        if (errno != EPERM)
            return Error::from_errno("create whiteout for " + shown, errno);
        TRY(keep_oci_marker(parent_fd, name, shown));
    }
    return Ok {};
}

// Without CAP_MKNOD and CAP_SYS_ADMIN (an engine run by an ordinary user, which only the
// simulated kernel allows) a whiteout or opaque marker keeps its OCI form, an empty ".wh." file.
// Only the simulated overlay reads that form (engine/sim/sim_fs.h); overlayfs needs root anyway.
Result<void> Unpacker::keep_oci_marker(int parent_fd, const std::string& name, const std::string& shown)
{
    UniqueFd marker(::openat(parent_fd, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!marker.valid())
        return Error::from_errno("create whiteout for " + shown, errno);
    return Ok {};
}

Result<void> Unpacker::write_file(archive* a, archive_entry* entry, int parent_fd, const std::string& name, const std::string& shown)
{
    TRY(remove_at(parent_fd, name));
    UniqueFd fd(::openat(parent_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid())
        return Error::from_errno("create " + shown, errno);
    const void* buffer = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
        int rc = archive_read_data_block(a, &buffer, &size, &offset);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK)
            return Error::invalid("read " + shown + " from layer: " + archive_message(a));
        TRY(check_quota(a));
        const char* data = static_cast<const char*>(buffer);
        while (size > 0) {
            ssize_t n = ::pwrite(fd.get(), data, size, offset);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return Error::from_errno("write " + shown, errno);
            }
            data += n;
            size -= static_cast<size_t>(n);
            offset += n;
        }
    }
    // Sparse files end in a hole that no data block covers.
    auto length = archive_entry_size(entry);
    if (::ftruncate(fd.get(), length) != 0)
        return Error::from_errno("truncate " + shown, errno);
    m_bytes += static_cast<std::uint64_t>(length);
    return set_metadata_fd(fd.get(), entry, shown, true);
}

Result<void> Unpacker::make_directory(archive_entry* entry, int parent_fd, const std::string& name, const std::string& path)
{
    struct stat st { };
    if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        TRY(remove_at(parent_fd, name));
    if (::mkdirat(parent_fd, name.c_str(), 0700) != 0 && errno != EEXIST)
        return Error::from_errno("mkdir " + path, errno);
    UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("open " + path, errno);
    TRY(set_metadata_fd(fd.get(), entry, path, false));
    // Directory times are set at the end; creating children would change them again.
    m_dir_times.push_back({ path, { archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) } });
    return Ok {};
}

Result<void> Unpacker::make_hardlink(archive_entry* entry, int parent_fd, const std::string& name, const std::string& shown)
{
    // The link target is a path in the layer; absolute targets ("/usr/bin/perl") are legal and
    // mean the layer root. Its parent is resolved inside the root like any entry.
    auto target = clean_components(archive_entry_hardlink(entry));
    if (target.empty())
        return Error::invalid("hardlink " + shown + " points at the layer root");
    auto target_parent = TRY_CTX(open_dir_in_root(m_root_fd, target, target.size() - 1, false), "hardlink " + shown);
    struct stat target_st { };
    if (::fstatat(target_parent.get(), target.back().c_str(), &target_st, AT_SYMLINK_NOFOLLOW) != 0)
        return Error::from_errno("hardlink " + shown + ": target " + join_path(target, target.size()), errno);
    struct stat existing { };
    if (::fstatat(parent_fd, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        if (existing.st_ino == target_st.st_ino && existing.st_dev == target_st.st_dev)
            return Ok {};
        TRY(remove_at(parent_fd, name));
    }
    // No AT_SYMLINK_FOLLOW: a hardlink to a symlink links the symlink itself.
    if (::linkat(target_parent.get(), target.back().c_str(), parent_fd, name.c_str(), 0) != 0)
        return Error::from_errno("hardlink " + shown + " to " + join_path(target, target.size()), errno);
    return Ok {};
}

Result<void> Unpacker::apply(archive* a, archive_entry* entry)
{
    std::string raw_name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    auto parts = clean_components(raw_name);
    auto type = archive_entry_filetype(entry);
    bool is_link = archive_entry_hardlink(entry) != nullptr;

    if (parts.empty()) {
        // "./" or an entry whose ".." climb ends at the root: only a directory may describe it.
        if (type != AE_IFDIR || is_link)
            return Error::invalid("entry \"" + raw_name + "\" resolves to the layer root and is not a directory");
        auto opened = safe_path::open_in_root(m_root_fd, ".", O_RDONLY | O_DIRECTORY);
        if (!opened.ok())
            return Error::from_errno("open layer root", opened.error().code());
        auto root = opened.release_value();
        TRY(set_metadata_fd(root.get(), entry, "/", false));
        m_dir_times.push_back({ ".", { archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) } });
        return Ok {};
    }

    auto path = join_path(parts, parts.size());
    const auto& name = parts.back();
    auto parent = TRY_CTX(open_dir_in_root(m_root_fd, parts, parts.size() - 1, true), "unpack " + path);
    if (m_options.no_overwrite_dir_non_dir && !is_link)
        TRY(check_dir_non_dir(parent.get(), name, path, type == AE_IFDIR));

    if (m_options.whiteouts && strings::starts_with(name, whiteout_prefix))
        return apply_whiteout(parent.get(), name, path);
    if (is_link)
        return make_hardlink(entry, parent.get(), name, path);

    switch (type) {
    case AE_IFREG:
        return write_file(a, entry, parent.get(), name, path);
    case AE_IFDIR:
        return make_directory(entry, parent.get(), name, path);
    case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        if (!target || !*target)
            return Error::invalid("symlink " + path + " has an empty target");
        TRY(remove_at(parent.get(), name));
        // The target is stored as written; it is only ever resolved inside a container root or
        // through RESOLVE_IN_ROOT, so "/etc" means the layer's /etc.
        if (::symlinkat(target, parent.get(), name.c_str()) != 0)
            return Error::from_errno("symlink " + path, errno);
        if (m_options.keep_owners && ::fchownat(parent.get(), name.c_str(), owner_uid(entry), owner_gid(entry), AT_SYMLINK_NOFOLLOW) != 0)
            return Error::from_errno("chown " + path, errno);
        timespec times[2] = { { archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) },
            { archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) } };
        ::utimensat(parent.get(), name.c_str(), times, AT_SYMLINK_NOFOLLOW);
        return Ok {};
    }
    case AE_IFIFO: {
        TRY(remove_at(parent.get(), name));
        if (::mkfifoat(parent.get(), name.c_str(), 0600) != 0)
            return Error::from_errno("mkfifo " + path, errno);
        UniqueFd fd(::openat(parent.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!fd.valid())
            return Error::from_errno("open " + path, errno);
        // fchmod does not take O_PATH fds; /proc/self/fd/N re-opens the same inode read-only
        // without blocking, and cannot be swapped because the fd pins it.
        auto proc_path = "/proc/self/fd/" + std::to_string(fd.get());
        UniqueFd rw(::open(proc_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        if (!rw.valid())
            return Error::from_errno("open " + path, errno);
        return set_metadata_fd(rw.get(), entry, path, true);
    }
    case AE_IFCHR:
        if (m_options.whiteouts && archive_entry_rdev(entry) == 0) {
            // An overlay-format whiteout already (a char device 0/0).
            TRY(remove_at(parent.get(), name));
            if (::mknodat(parent.get(), name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
                return Error::from_errno("create whiteout " + path, errno);
            return Ok {};
        }
        return Error::invalid("device node " + path + " is not allowed in an image layer");
    case AE_IFBLK:
        return Error::invalid("device node " + path + " is not allowed in an image layer");
    case AE_IFSOCK:
        return Ok {};
    default:
        return Error::invalid("entry " + path + " has an unknown file type");
    }
}

Result<void> Unpacker::finish()
{
    for (auto it = m_dir_times.rbegin(); it != m_dir_times.rend(); ++it) {
        // RESOLVE_NO_SYMLINKS: a directory replaced by a symlink later in the tar is skipped.
        auto opened = safe_path::open_in_root(m_root_fd, it->path, O_RDONLY | O_DIRECTORY, safe_path::NoSymlinks);
        if (!opened.ok())
            continue;
        auto dir = opened.release_value();
        timespec times[2] = { it->mtime, it->mtime };
        ::futimens(dir.get(), times);
    }
    return Ok {};
}

} // namespace

namespace {

// Streams the decompressed bytes of `input` to `consume` within the decompression quota, with
// the plain tar's headers scanned as they pass (`what` names the input in the scan's errors), so
// a sparse entry is refused before libarchive's tar reader would build its map in memory.
// Without `consume` only the headers are wanted and the stream stops at the tar's end marker,
// as libarchive's reader does (8 GiB of padding after it are not read).
Result<void> stream_plain(const std::string& input, const std::string& what,
    const std::function<Result<void>(const char*, size_t)>& consume = {}, bool* not_a_tar = nullptr)
{
    struct stat st { };
    if (::stat(input.c_str(), &st) != 0)
        return Error::from_errno("stat " + input, errno);
    if (st.st_size == 0)
        return Ok {}; // The raw reader refuses empty input; an empty tar is empty.
    const auto compressed = static_cast<std::uint64_t>(st.st_size);
    std::uint64_t total = 0;
    auto reader = TRY(open_reader(input, Format::Raw));
    archive_entry* entry = nullptr;
    if (archive_read_next_header(reader.get(), &entry) != ARCHIVE_OK)
        return Error::invalid("read " + input + ": " + archive_message(reader.get()));
    TarHeaderScanner scanner(what);
    char buffer[1 << 16];
    for (;;) {
        auto n = archive_read_data(reader.get(), buffer, sizeof buffer);
        if (n < 0)
            return Error::invalid("decompress " + input + ": " + archive_message(reader.get()));
        if (n == 0)
            break;
        total += static_cast<std::uint64_t>(n);
        if (total > decompression_quota(compressed))
            return quota_exceeded(input, compressed);
        if (auto fed = scanner.feed(buffer, static_cast<size_t>(n)); !fed.ok()) {
            if (not_a_tar)
                *not_a_tar = scanner.not_a_tar();
            return fed;
        }
        if (!consume) {
            if (scanner.at_end())
                break;
            continue;
        }
        TRY(consume(buffer, static_cast<size_t>(n)));
    }
    return scanner.finish();
}

Result<std::string> decompress_into(const std::string& input, int out_fd, const std::string& out_tar)
{
    Sha256 hasher;
    TRY(stream_plain(input, "layer", [&](const char* data, size_t size) -> Result<void> {
        hasher.update(data, size);
        return fs::write_all(out_fd, std::string_view(data, size), out_tar);
    }));
    if (::fsync(out_fd) != 0)
        return Error::from_errno("fsync " + out_tar, errno);
    return hasher.finish_hex();
}

} // namespace

Result<std::string> decompress_to_file(const std::string& input, const std::string& out_tar)
{
    UniqueFd out(::open(out_tar.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out.valid())
        return Error::from_errno("create " + out_tar, errno);
    auto hex = decompress_into(input, out.get(), out_tar);
    if (!hex.ok())
        ::unlink(out_tar.c_str()); // Half a stream (a bomb's first gigabytes) is never kept.
    return hex;
}

Result<std::uint64_t> unpack_layer(const std::string& tar_path, const std::string& dest, const UnpackOptions& options)
{
    UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid())
        return Error::from_errno("open layer directory " + dest, errno);
    UnpackOptions effective = options;
    if (::geteuid() != 0)
        effective.keep_owners = false;
    struct stat st { };
    if (::stat(tar_path.c_str(), &st) != 0)
        return Error::from_errno("stat " + tar_path, errno);
    if (st.st_size == 0)
        return std::uint64_t { 0 };
    // One pass over the headers first (the plain stream, decompressed again if need be): a
    // sparse entry is refused before libarchive reads its map (docs/security.md row 12).
    // A stream that is not a tar at all is left to libarchive, which refuses it before it parses a header.
    if (!options.header_scan.empty()) {
        bool not_a_tar = false;
        if (auto scanned = stream_plain(tar_path, options.header_scan, {}, &not_a_tar); !scanned.ok() && !not_a_tar)
            return scanned.release_error();
    }
    auto reader = TRY(open_reader(tar_path, Format::Tar));
    Unpacker unpacker(root.get(), effective);
    unpacker.set_quota(tar_path, static_cast<std::uint64_t>(st.st_size));
    for (;;) {
        archive_entry* entry = nullptr;
        int rc = archive_read_next_header(reader.get(), &entry);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
            return Error::invalid("read " + tar_path + ": " + archive_message(reader.get()));
        TRY(unpacker.check_quota(reader.get()));
        TRY_CTX(unpacker.apply(reader.get(), entry), "unpack " + tar_path);
    }
    TRY(unpacker.finish());
    return unpacker.bytes();
}

// [SECTION] Upper directory -> layer tar.

namespace {

class TarWriter {
public:
    TarWriter(archive* a, std::string out)
        : m_archive(a)
        , m_out(std::move(out))
    {
    }

    Result<void> walk(int dir_fd, const std::string& prefix);
    // One entry of `dir_fd` (recursing into a directory), named `path` in the tar.
    Result<void> add(int dir_fd, const std::string& name, const std::string& path) { return add_entry(dir_fd, name, path); }
    [[nodiscard]] std::uint64_t bytes() const { return m_bytes; }

private:
    Result<void> write_header(archive_entry* entry, const std::string& path);
    Result<void> add_marker(const std::string& path, const struct stat& st);
    Result<void> add_entry(int dir_fd, const std::string& name, const std::string& path);

    archive* m_archive;
    std::string m_out;
    std::uint64_t m_bytes { 0 };
    std::map<std::pair<dev_t, ino_t>, std::string> m_links;
};

Result<void> TarWriter::write_header(archive_entry* entry, const std::string& path)
{
    if (archive_write_header(m_archive, entry) != ARCHIVE_OK)
        return Error::system("write tar header for " + path + " to " + m_out + ": " + archive_message(m_archive));
    return Ok {};
}

void fill_stat(archive_entry* entry, const std::string& path, const struct stat& st)
{
    archive_entry_set_pathname(entry, path.c_str());
    archive_entry_set_uid(entry, st.st_uid);
    archive_entry_set_gid(entry, st.st_gid);
    archive_entry_set_mtime(entry, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

// An empty regular file that stands for a whiteout or the opaque marker.
Result<void> TarWriter::add_marker(const std::string& path, const struct stat& st)
{
    EntryPtr entry(archive_entry_new());
    fill_stat(entry.get(), path, st);
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0);
    archive_entry_set_size(entry.get(), 0);
    return write_header(entry.get(), path);
}

std::string parent_of(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

Result<void> TarWriter::add_entry(int dir_fd, const std::string& name, const std::string& path)
{
    struct stat st { };
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return Error::from_errno("stat " + path, errno);
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
        return add_marker(parent_of(path) + whiteout_prefix + name, st);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode))
        return Ok {}; // Images carry no device nodes or sockets (the unpacker refuses them).

    EntryPtr entry(archive_entry_new());
    fill_stat(entry.get(), path, st);
    archive_entry_set_perm(entry.get(), st.st_mode & 07777);

    if (S_ISDIR(st.st_mode)) {
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        TRY(write_header(entry.get(), path));
        UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child.valid())
            return Error::from_errno("open " + path, errno);
        char value[4] = {};
        for (const char* key : { opaque_xattr, "user.overlay.opaque" }) {
            auto n = ::fgetxattr(child.get(), key, value, sizeof value);
            if (n == 1 && value[0] == 'y') {
                TRY(add_marker(path + "/" + opaque_marker, st));
                break;
            }
        }
        return walk(child.get(), path + "/");
    }
    if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        auto n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0)
            return Error::from_errno("readlink " + path, errno);
        target.resize(static_cast<size_t>(n));
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), target.c_str());
        return write_header(entry.get(), path);
    }
    if (st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (auto it = m_links.find(key); it != m_links.end()) {
            archive_entry_set_filetype(entry.get(), AE_IFREG);
            archive_entry_set_hardlink(entry.get(), it->second.c_str());
            archive_entry_set_size(entry.get(), 0);
            return write_header(entry.get(), path);
        }
        m_links.emplace(key, path);
    }
    if (S_ISFIFO(st.st_mode)) {
        archive_entry_set_filetype(entry.get(), AE_IFIFO);
        return write_header(entry.get(), path);
    }
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_size(entry.get(), st.st_size);
    UniqueFd file(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!file.valid())
        return Error::from_errno("open " + path, errno);
    char cap[64];
    auto cap_size = ::fgetxattr(file.get(), "security.capability", cap, sizeof cap);
    if (cap_size > 0)
        archive_entry_xattr_add_entry(entry.get(), "security.capability", cap, static_cast<size_t>(cap_size));
    TRY(write_header(entry.get(), path));
    char buffer[1 << 16];
    std::int64_t left = st.st_size;
    while (left > 0) {
        auto n = ::read(file.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_errno("read " + path, errno);
        if (n == 0)
            return Error::system(path + " shrank while it was written to the layer");
        auto chunk = std::min<std::int64_t>(n, left);
        if (archive_write_data(m_archive, buffer, static_cast<size_t>(chunk)) < 0)
            return Error::system("write " + path + " to " + m_out + ": " + archive_message(m_archive));
        left -= chunk;
    }
    m_bytes += static_cast<std::uint64_t>(st.st_size);
    return Ok {};
}

Result<void> TarWriter::walk(int dir_fd, const std::string& prefix)
{
    auto names = TRY(names_in(dir_fd, prefix.empty() ? std::string("/") : prefix));
    // Sorted, so the same tree always gives the same tar and the same diff id.
    std::sort(names.begin(), names.end());
    for (auto& name : names)
        TRY(add_entry(dir_fd, name, prefix + name));
    return Ok {};
}

// Opens a tar for writing at `out_tar_path`, runs `fill` on a TarWriter over it and closes it.
Result<std::uint64_t> write_tar(const std::string& out_tar_path, const std::function<Result<void>(TarWriter&)>& fill)
{
    WriteArchive a(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    archive_write_set_bytes_in_last_block(a.get(), 1);
    if (archive_write_open_filename(a.get(), out_tar_path.c_str()) != ARCHIVE_OK)
        return Error::system("create " + out_tar_path + ": " + archive_message(a.get()));
    TarWriter writer(a.get(), out_tar_path);
    TRY(fill(writer));
    if (archive_write_close(a.get()) != ARCHIVE_OK)
        return Error::system("finish " + out_tar_path + ": " + archive_message(a.get()));
    return writer.bytes();
}

} // namespace

Result<std::uint64_t> write_tree_tar(int parent_fd, const std::string& name, const std::string& archive_name,
    const std::string& out_tar_path)
{
    return write_tar(out_tar_path, [&](TarWriter& writer) -> Result<void> {
        if (name.empty())
            return writer.walk(parent_fd, archive_name.empty() ? "" : archive_name + "/");
        return writer.add(parent_fd, name, archive_name);
    });
}

Result<LayerDigest> write_layer_tar(const std::string& upper_dir, const std::string& out_tar_path)
{
    UniqueFd root(::open(upper_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid())
        return Error::from_errno("open " + upper_dir, errno);
    auto bytes = TRY_CTX(write_tar(out_tar_path, [&](TarWriter& writer) { return writer.walk(root.get(), ""); }),
        "write layer from " + upper_dir);
    LayerDigest digest;
    digest.diff_id = "sha256:" + TRY(Sha256::hex_of_file(out_tar_path));
    digest.size = bytes;
    return digest;
}

} // namespace engine::image
