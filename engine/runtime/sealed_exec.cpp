// See sealed_exec.h. This is runc's answer to CVE-2019-5736 (libcontainer/nsenter/cloned_binary.c
// before runc 1.2, and the memfd mode it kept): the binary that a container could reach through
// /proc/<pid>/exe is an anonymous, sealed copy, never the host's file.
#include "engine/runtime/sealed_exec.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared.

namespace engine::runtime {

namespace {

// Linux 6.3 added MFD_EXEC (and vm.memfd_noexec, which may refuse executable memfds made
// without it); older headers lack the flag and older kernels refuse it with EINVAL.
#ifndef MFD_EXEC
constexpr unsigned int k_mfd_exec = 0x0010U;
#else
constexpr unsigned int k_mfd_exec = MFD_EXEC;
#endif

constexpr int k_seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

std::int64_t monotonic_ns()
{
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// Copies `size` bytes from `in` to `out` in the kernel (sendfile works from any file to any file
// since Linux 2.6.33), so a 100 MB binary never passes through our memory.
Result<void> copy_all(int in, int out, off_t size)
{
    off_t offset = 0;
    while (offset < size) {
        ssize_t n = ::sendfile(out, in, &offset, static_cast<size_t>(size - offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_errno("sendfile", errno);
        if (n == 0)
            return Error::system("the file shrank while it was being copied");
    }
    return Ok {};
}

// How many bytes of the ELF file behind `fd` the kernel and the dynamic loader use: up to the end
// of the last segment the program headers describe. What follows (section headers, .symtab and
// the DWARF sections; 104 of the 108 MB of a RelWithDebInfo glassboxd) is never mapped, so the
// copy leaves it out and keeps the memfd small. Anything that is not a native ELF file, or whose
// headers do not add up, is copied whole (returns `size`).
off_t loaded_extent(int fd, off_t size)
{
    ElfW(Ehdr) header {};
    if (::pread(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
        return size;
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != (sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32)
        || header.e_phentsize != sizeof(ElfW(Phdr)) || header.e_phnum == 0 || header.e_phnum > 512)
        return size;
    std::vector<ElfW(Phdr)> segments(header.e_phnum);
    auto table_bytes = static_cast<ssize_t>(segments.size() * sizeof(ElfW(Phdr)));
    if (::pread(fd, segments.data(), static_cast<size_t>(table_bytes), static_cast<off_t>(header.e_phoff)) != table_bytes)
        return size;
    auto end = static_cast<std::uint64_t>(header.e_phoff) + static_cast<std::uint64_t>(table_bytes);
    for (const auto& segment : segments)
        end = std::max<std::uint64_t>(end, segment.p_offset + segment.p_filesz);
    // Whole pages, as the loader maps them.
    end = (end + 4095) & ~std::uint64_t { 4095 };
    if (end >= static_cast<std::uint64_t>(size))
        return size;
    return static_cast<off_t>(end);
}

// Makes the truncated copy a well-formed ELF file: it has no section header table any more.
Result<void> drop_section_headers(int fd)
{
    ElfW(Ehdr) header {};
    if (::pread(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
        return Error::from_errno("read the ELF header of the copy", errno);
    header.e_shoff = 0;
    header.e_shnum = 0;
    header.e_shstrndx = SHN_UNDEF;
    if (::pwrite(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
        return Error::from_errno("write the ELF header of the copy", errno);
    return Ok {};
}

std::string original_exe_path()
{
    std::string path(4096, '\0');
    ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size() - 1);
    if (n <= 0)
        return "";
    path.resize(static_cast<size_t>(n));
    return path;
}

void name_process_after(const std::string& path)
{
    auto slash = path.rfind('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    // The kernel keeps 15 characters of the name (TASK_COMM_LEN 16 with the NUL).
    base = base.substr(0, 15);
    if (!base.empty())
        (void)::prctl(PR_SET_NAME, base.c_str(), 0, 0, 0);
}

} // namespace

Result<UniqueFd> make_sealed_copy(const std::string& path, const std::string& name)
{
    std::string context = "make a sealed copy of " + path;
    UniqueFd source(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!source.valid())
        return Error::from_errno("open", errno).with_context(context);
    struct stat st { };
    if (::fstat(source.get(), &st) != 0)
        return Error::from_errno("fstat", errno).with_context(context);
    if (!S_ISREG(st.st_mode))
        return Error::invalid("not a regular file").with_context(context);

    unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
    UniqueFd copy(::memfd_create(name.c_str(), flags | k_mfd_exec));
    if (!copy.valid() && errno == EINVAL)
        copy.reset(::memfd_create(name.c_str(), flags));
    if (!copy.valid())
        return Error::from_errno("memfd_create", errno).with_context(context);

    // Size first, so the copy does not grow page by page.
    off_t length = loaded_extent(source.get(), st.st_size);
    if (::ftruncate(copy.get(), length) != 0)
        return Error::from_errno("ftruncate", errno).with_context(context);
    TRY_CTX(copy_all(source.get(), copy.get(), length), context);
    if (length < st.st_size)
        TRY_CTX(drop_section_headers(copy.get()), context);
    if (::fchmod(copy.get(), 0555) != 0)
        return Error::from_errno("fchmod", errno).with_context(context);
    if (::fcntl(copy.get(), F_ADD_SEALS, k_seals) != 0)
        return Error::from_errno("seal (F_ADD_SEALS)", errno).with_context(context);
    return copy;
}

bool is_sealed_copy(int fd)
{
    int seals = ::fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & k_seals) == k_seals;
}

Result<SealedSelf> run_from_sealed_copy(char** argv)
{
    if (const char* marker = std::getenv(k_sealed_marker)) {
        std::string value = marker;
        ::unsetenv(k_sealed_marker);
        UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
        auto colon = value.find(':');
        if (self.valid() && is_sealed_copy(self.get()) && colon != std::string::npos) {
            SealedSelf out;
            out.original_path = value.substr(colon + 1);
            out.copy_time = std::chrono::microseconds((monotonic_ns() - std::atoll(value.substr(0, colon).c_str())) / 1000);
            struct stat st { };
            if (::fstat(self.get(), &st) == 0)
                out.size_bytes = static_cast<std::size_t>(st.st_size);
            name_process_after(out.original_path);
            return out;
        }
        // A marker someone else set, with the host binary still running: copy as usual.
    }

    std::int64_t started = monotonic_ns();
    std::string original = original_exe_path();
    if (original.empty())
        return Error::from_errno("readlink /proc/self/exe", errno);
    // /proc/self/exe, not the path: the path may already name a newer build.
    auto copy = TRY(make_sealed_copy("/proc/self/exe", "glassboxd"));
    std::string value = std::to_string(started) + ":" + original;
    if (::setenv(k_sealed_marker, value.c_str(), 1) != 0)
        return Error::from_errno("setenv " + std::string(k_sealed_marker), errno);
    // An ELF binary may be executed from a close-on-exec fd (only scripts need the fd to stay
    // open for their interpreter).
    ::syscall(SYS_execveat, copy.get(), "", argv, environ, AT_EMPTY_PATH);
    int code = errno;
    ::unsetenv(k_sealed_marker);
    return Error::from_errno("execveat the sealed copy of " + original, code);
}

Result<int> shared_sealed_copy(const std::string& path)
{
    static std::mutex mutex;
    static std::map<std::string, UniqueFd> copies;
    std::lock_guard lock(mutex);
    auto it = copies.find(path);
    if (it != copies.end())
        return it->second.get();
    auto slash = path.rfind('/');
    auto copy = TRY(make_sealed_copy(path, slash == std::string::npos ? path : path.substr(slash + 1)));
    int fd = copy.get();
    copies.emplace(path, std::move(copy));
    return fd;
}

} // namespace engine::runtime
