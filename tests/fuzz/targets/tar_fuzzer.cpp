// Fuzzes the tar reader that `load`, `import` and layer extraction use: decompression (gzip, xz,
// zstd, ... in process) to a plain tar, then unpacking into a private directory that is removed
// after each input. Oracle beyond the sanitizers: nothing may appear next to the unpack root (an
// entry that escaped it), so the parent directory must hold only "root" afterwards.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/base/fs.h"
#include "engine/image/layer.h"
#include "tests/fuzz/targets/fuzz_support.h"

namespace {

const std::string& work_dir()
{
    static const std::string dir = [] {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/glassbox-fuzz-tar.XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr)
            std::abort();
        std::atexit([] { (void)engine::fs::remove_tree(work_dir()); });
        return pattern;
    }();
    return dir;
}

// The names in `dir` other than "." and "..".
int count_entries(const std::string& dir, std::string& first)
{
    DIR* handle = ::opendir(dir.c_str());
    if (!handle)
        return -1;
    int count = 0;
    while (auto* entry = ::readdir(handle)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        if (count++ == 0)
            first = name;
    }
    ::closedir(handle);
    return count;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto& base = work_dir();
    engine::fuzz::MemoryFile input(engine::fuzz::as_text(data, size));

    auto plain = base + "/plain.tar";
    (void)engine::image::decompress_to_file(input.path(), plain);
    ::unlink(plain.c_str());

    auto root = base + "/root";
    if (::mkdir(root.c_str(), 0755) != 0)
        std::abort();
    engine::image::UnpackOptions options;
    options.whiteouts = size % 2 == 0;
    (void)engine::image::unpack_layer(input.path(), root, options);

    std::string first;
    int entries = count_entries(base, first);
    if (entries != 1 || first != "root") {
        std::fprintf(stderr, "tar fuzzer: an entry escaped the unpack root: %s holds \"%s\" (%d entries)\n",
            base.c_str(), first.c_str(), entries);
        std::abort();
    }
    if (!engine::fs::remove_tree(root).ok())
        std::abort();
    return 0;
}
