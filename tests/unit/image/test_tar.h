// Test helper: builds tar files entry by entry with libarchive (hostile ones included), and
// makes/removes temporary directories. Shared by the unit and integration tests of the image store.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "engine/base/fs.h"

namespace engine::image::testing {

enum class Compression { None, Gzip, Bzip2, Xz };

class TarBuilder {
public:
    explicit TarBuilder(const std::string& path, Compression compression = Compression::None)
    {
        m_archive = archive_write_new();
        archive_write_set_format_pax_restricted(m_archive);
        if (compression == Compression::Gzip)
            archive_write_add_filter_gzip(m_archive);
        else if (compression == Compression::Bzip2)
            archive_write_add_filter_bzip2(m_archive);
        else if (compression == Compression::Xz)
            archive_write_add_filter_xz(m_archive);
        archive_write_open_filename(m_archive, path.c_str());
    }
    ~TarBuilder() { close(); }

    TarBuilder& file(const std::string& name, const std::string& contents, int mode = 0644, int uid = 0, int gid = 0)
    {
        auto* entry = make(name, AE_IFREG, mode);
        archive_entry_set_size(entry, static_cast<la_int64_t>(contents.size()));
        archive_entry_set_uid(entry, uid);
        archive_entry_set_gid(entry, gid);
        archive_write_header(m_archive, entry);
        archive_write_data(m_archive, contents.data(), contents.size());
        archive_entry_free(entry);
        return *this;
    }
    TarBuilder& dir(const std::string& name, int mode = 0755)
    {
        return write(make(name, AE_IFDIR, mode));
    }
    TarBuilder& symlink(const std::string& name, const std::string& target)
    {
        auto* entry = make(name, AE_IFLNK, 0777);
        archive_entry_set_symlink(entry, target.c_str());
        return write(entry);
    }
    TarBuilder& hardlink(const std::string& name, const std::string& target)
    {
        auto* entry = make(name, AE_IFREG, 0644);
        archive_entry_set_hardlink(entry, target.c_str());
        return write(entry);
    }
    TarBuilder& device(const std::string& name, unsigned type, int major_number, int minor_number)
    {
        auto* entry = make(name, type, 0600);
        archive_entry_set_rdevmajor(entry, major_number);
        archive_entry_set_rdevminor(entry, minor_number);
        return write(entry);
    }
    void close()
    {
        if (!m_archive)
            return;
        archive_write_close(m_archive);
        archive_write_free(m_archive);
        m_archive = nullptr;
    }

private:
    archive_entry* make(const std::string& name, unsigned type, int mode)
    {
        auto* entry = archive_entry_new();
        archive_entry_set_pathname(entry, name.c_str());
        archive_entry_set_filetype(entry, type);
        archive_entry_set_perm(entry, static_cast<mode_t>(mode));
        archive_entry_set_mtime(entry, 1700000000, 0);
        return entry;
    }
    TarBuilder& write(archive_entry* entry)
    {
        archive_write_header(m_archive, entry);
        archive_entry_free(entry);
        return *this;
    }

    archive* m_archive { nullptr };
};

// A tar header block written byte by byte, for streams libarchive's writer will not make: sizes
// past 11 octal digits in the base-256 form GNU tar and libarchive read, any type flag, the GNU
// magic. raw_header leaves the checksum for seal_header, so a test can alter the block first.
inline std::string raw_header(const std::string& name, char type, std::uint64_t size, bool gnu = false)
{
    std::string h(512, '\0');
    std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 99));
    std::snprintf(&h[100], 8, "%07o", 0644);
    std::snprintf(&h[108], 8, "%07o", 0);
    std::snprintf(&h[116], 8, "%07o", 0);
    if (size < (std::uint64_t { 1 } << 33)) {
        std::snprintf(&h[124], 12, "%011llo", static_cast<unsigned long long>(size));
    } else {
        h[124] = static_cast<char>(0x80);
        for (int i = 0; i < 8; ++i)
            h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
    }
    std::snprintf(&h[136], 12, "%011o", 1700000000);
    h[156] = type;
    std::memcpy(&h[257], gnu ? "ustar  " : "ustar", gnu ? 8 : 6);
    if (!gnu)
        std::memcpy(&h[263], "00", 2);
    return h;
}

inline std::string seal_header(std::string h)
{
    std::memset(&h[148], ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h)
        sum += c;
    std::snprintf(&h[148], 8, "%06o", sum);
    return h;
}

inline std::string header(const std::string& name, char type, std::uint64_t size, bool gnu = false)
{
    return seal_header(raw_header(name, type, size, gnu));
}

// Data padded to whole 512-byte blocks.
inline std::string padded(std::string data)
{
    data.resize((data.size() + 511) / 512 * 512, '\0');
    return data;
}

// One PAX record, "<length> <key>=<value>\n", whose length counts its own digits.
inline std::string pax_record(const std::string& key, const std::string& value)
{
    size_t body = key.size() + value.size() + 3; // ' ', '=', '\n'
    size_t length = body + 1;
    while (std::to_string(length).size() + body != length)
        ++length;
    return std::to_string(length) + " " + key + "=" + value + "\n";
}

// A fresh directory under /tmp, removed (with everything in it) when the object goes away.
class TempDir {
public:
    TempDir()
    {
        char pattern[] = "/tmp/glassbox-image-test-XXXXXX";
        m_path = ::mkdtemp(pattern);
    }
    ~TempDir() { (void)fs::remove_tree(m_path); }
    [[nodiscard]] const std::string& path() const { return m_path; }
    [[nodiscard]] std::string operator/(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

// Every file and directory under `root` (paths relative to it), for "the store is as it was"
// checks.
inline std::set<std::string> tree_of(const std::string& root)
{
    std::set<std::string> names;
    std::vector<std::string> pending { "" };
    while (!pending.empty()) {
        auto relative = pending.back();
        pending.pop_back();
        for (auto& name : fs::list_dir(root + relative)) {
            auto path = relative + "/" + name;
            names.insert(path);
            struct stat st { };
            if (::lstat((root + path).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
                pending.push_back(path);
        }
    }
    return names;
}

} // namespace engine::image::testing
