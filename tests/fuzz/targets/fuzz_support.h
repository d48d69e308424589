// Small helpers shared by the fuzz targets: the input as text, and an in-memory file for the
// parsers that take a path (memfd_create, so a fuzz run never writes to the disk).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace engine::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size)
{
    return { reinterpret_cast<const char*>(data), size };
}

// A file holding `bytes`, reachable by path (/proc/self/fd/N) while the object lives.
class MemoryFile {
public:
    explicit MemoryFile(std::string_view bytes)
    {
        m_fd = ::memfd_create("glassbox-fuzz", MFD_CLOEXEC);
        if (m_fd < 0)
            std::abort(); // The harness cannot run at all; not a finding.
        std::size_t done = 0;
        while (done < bytes.size()) {
            auto n = ::write(m_fd, bytes.data() + done, bytes.size() - done);
            if (n <= 0)
                std::abort();
            done += static_cast<std::size_t>(n);
        }
    }
    ~MemoryFile() { ::close(m_fd); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    [[nodiscard]] std::string path() const { return "/proc/self/fd/" + std::to_string(m_fd); }

private:
    int m_fd { -1 };
};

} // namespace engine::fuzz
