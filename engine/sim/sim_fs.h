// sim::ContainerFs: a simulated container's view of its files, with overlayfs's rules applied to
// the real directories on disk (which an ordinary user can read and write):
// - lookup: bind mounts first (the longest destination that covers the path), then the upper
//   directory, then each lower layer from the top; a whiteout hides a name in every layer below;
// - write: a file that exists only in a lower layer is first copied up into the upper directory
//   (copy-up), then changed there; lower layers are never written;
// - remove: the upper copy goes, and a whiteout is left if a lower layer still has the name.
// Whiteouts: the real overlayfs uses a 0/0 character device, which needs CAP_MKNOD; the simulated
// one writes the OCI layer convention instead, an empty file named ".wh.<name>" in the upper
// directory (and reads both forms).
#pragma once

#include <string>
#include <vector>

#include "engine/base/result.h"

namespace engine::sim {

struct BindMount {
    std::string source;      // Host path.
    std::string destination; // Path in the container.
    bool read_only { false };
};

class ContainerFs {
public:
    ContainerFs(std::vector<std::string> lower_dirs_top_first, std::string upper_dir, std::vector<BindMount> binds);

    // The host path that holds `path` now ("" when it does not exist).
    std::string resolve(const std::string& path) const;
    bool exists(const std::string& path) const;
    bool is_dir(const std::string& path) const;
    Result<std::string> read(const std::string& path) const;
    Result<void> write(const std::string& path, const std::string& contents, bool append);
    Result<void> remove(const std::string& path);
    // mkdir(2): EEXIST when the name exists, ENOENT when the parent directory does not. A new
    // directory over a whiteout replaces it, as overlayfs makes it (without marking it opaque).
    Result<void> make_dir(const std::string& path);
    // The merged listing of a directory, sorted.
    Result<std::vector<std::string>> list(const std::string& path) const;

private:
    // Bind mount covering `path` and the path inside it; nullptr when none.
    const BindMount* bind_for(const std::string& path, std::string& rest) const;
    bool whited_out(const std::string& path, size_t layer_limit) const;
    Result<void> copy_up(const std::string& path);

    std::vector<std::string> m_lowers;
    std::string m_upper;
    std::vector<BindMount> m_binds;
};

// "a/./b/../c" -> "/a/c", relative to `cwd`.
std::string clean_path(const std::string& cwd, const std::string& path);

} // namespace engine::sim
