// Test helper: builds tar files entry by entry with libarchive (hostile ones included), and
// makes/removes temporary directories. Shared by the unit and integration tests of the image store.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <string>

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

} // namespace engine::image::testing
