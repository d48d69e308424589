// Layer tars: decompressing them (in process, never by running a program), unpacking them safely
// into a layer directory in overlayfs format, and turning an overlay upper directory back into a
// layer tar. Kernel interfaces: openat2(2) with RESOLVE_IN_ROOT, the *at(2) family, mknodat(2)
// for overlay whiteouts (char device 0/0), fsetxattr(2) for trusted.overlay.opaque.
// Every path is resolved inside the layer root, so a hostile tar cannot write outside it.
#pragma once

#include <algorithm>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "engine/base/result.h"

namespace engine::image {

// Docker's layer store refuses deeper images (moby maxLayerDepth); overlayfs stops at 128.
inline constexpr size_t max_layer_count = 125;

struct LayerDigest {
    std::string diff_id;       // "sha256:<hex>" of the uncompressed tar.
    std::uint64_t size { 0 };  // Bytes of regular-file content in the layer.
};

// The decompression quota: a stream may expand to k_decompression_ratio times the size of the
// file it comes from, or to k_decompression_floor when that is more. A gzip bomb (18 MB that
// become 4 GB) is refused once it passes the quota, and what it wrote is removed. Layers of real
// images expand 2 to 10 times; the floor lets a small layer hold a large file of zeros.
inline constexpr std::uint64_t k_decompression_ratio = 100;
inline constexpr std::uint64_t k_decompression_floor = std::uint64_t { 512 } << 20;
inline std::uint64_t decompression_quota(std::uint64_t compressed_bytes)
{
    return std::max(k_decompression_floor, compressed_bytes * k_decompression_ratio);
}

// Decompresses `input` (plain tar, gzip, bzip2, xz or zstd) into `out_tar` and returns the
// sha256 of the uncompressed bytes. Past decompression_quota() of the input's size it fails
// (InvalidArgument); on any failure `out_tar` is removed. Decompression runs inside this process through libarchive's
// linked codecs; if one would need an external program the call fails instead.
Result<std::string> decompress_to_file(const std::string& input, const std::string& out_tar);

struct UnpackOptions {
    // Convert ".wh." entries to overlayfs whiteouts. Off for archives that are not layers
    // (a `docker save` tarball), where such names are ordinary files.
    bool whiteouts { true };
    // Apply the uids/gids from the tar (needs CAP_CHOWN; off when not root).
    bool keep_owners { true };
    // Refuse to replace a directory with a non-directory or the reverse, as `docker cp` asks
    // (PUT /containers/{id}/archive?noOverwriteDirNonDir=1); a layer replaces freely.
    bool no_overwrite_dir_non_dir { false };
    // Give every entry this uid and gid instead of the tar's (`docker cp -a` into a container
    // that runs as a user). Needs CAP_CHOWN like keep_owners.
    std::optional<std::pair<uid_t, gid_t>> owner;
    // The tar's headers are scanned in a first pass and a sparse entry (or a header libarchive and
    // Docker could frame differently) is refused, naming the input as this says ("archive entry
    // NAME: sparse files are not supported in archives"). "" when decompress_to_file already
    // scanned the tar (a layer).
    std::string header_scan { "archive" };
};

// Unpacks a (possibly compressed) tar into the existing directory `dest`, after a pass that
// scans its headers (UnpackOptions::header_scan). Every path is resolved
// inside `dest` as if it were "/": "..", absolute names and symlinks (absolute or relative)
// cannot reach outside it. Device nodes are refused; whiteout names that point at the parent or
// the root (".wh.", ".wh..", ".wh...") fail with "invalid whiteout entry". Returns the bytes of
// regular-file content written. A stream that expands past decompression_quota() of the file's
// size fails (InvalidArgument); the caller removes `dest`.
Result<std::uint64_t> unpack_layer(const std::string& tar_path, const std::string& dest, const UnpackOptions& options = {});

// Writes the overlay upper directory `upper_dir` as a layer tar at `out_tar_path`: 0/0 char
// devices become ".wh.NAME" entries, an opaque directory gets a ".wh..wh..opq" entry; owners,
// modes, mtimes, symlinks and hardlinks are kept. Other device nodes and sockets are left out.
Result<LayerDigest> write_layer_tar(const std::string& upper_dir, const std::string& out_tar_path);

// Writes a tree as a tar at `out_tar_path`, the way `docker cp` and `docker export` read a
// container: the entry `name` of the directory `parent_fd` (and everything below it, for a
// directory) named `archive_name` in the tar, or, with an empty `name`, the contents of
// `parent_fd` itself without an entry for it. Symlinks are stored, never followed; owners,
// modes, mtimes and hardlinks are kept; device nodes and sockets are left out. Returns the bytes
// of regular-file content written.
Result<std::uint64_t> write_tree_tar(int parent_fd, const std::string& name, const std::string& archive_name,
    const std::string& out_tar_path);

} // namespace engine::image
