// A streaming scan of a plain (decompressed) layer tar's headers that refuses sparse entries
// before libarchive reads them. libarchive builds a sparse file's whole map in memory when it
// reads the entry's header (about 76 bytes per map entry, so a 9 MB map costs 76 MiB), before
// the unpacker sees the entry (CVE-2025-58183). Docker's layers are never sparse (moby's archive
// code never writes sparse entries), so a layer that holds one is refused here instead.
//
// The scanner walks the 512-byte headers as libarchive 3.6 frames them: sizes in octal or GNU
// base-256, the PAX "size" record overriding the next entry's size, GNU long names and links
// ('L', 'K') and PAX headers ('x', 'g') as special headers before an entry, no data for
// symlinks, devices, directories and FIFOs, and the first all-zero block ending the archive.
// Wherever libarchive and Go's archive/tar (what Docker reads layers with) could frame the
// stream differently, the layer is refused rather than guessed at: entry types other than
// regular files, links, devices, directories, FIFOs and the PAX/GNU name headers (moby refuses
// them as "unhandled tar header type"), a hard link with data in its ustar size field, two PAX
// headers for one entry, a PAX header over 1 MiB (libarchive's own limit), a malformed PAX
// record or size. What it does not need to decide (a bad checksum, a truncated stream) is left
// for the unpacker to refuse.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/result.h"

namespace engine::image {

class TarHeaderScanner {
public:
    // `what` names the input in errors: "layer entry NAME: sparse files are not supported in
    // layers"; "archive" for `docker cp`, "build context", "ADD tar".
    explicit TarHeaderScanner(std::string what = "layer")
        : m_what(std::move(what))
    {
    }

    // The largest PAX header body read, as libarchive's "Special header too large".
    static constexpr std::uint64_t k_max_pax_bytes = std::uint64_t { 1 } << 20;

    // Feeds the next `size` bytes of the stream. Fails (InvalidArgument) naming the entry at
    // fault; after a failure or the end of the archive further bytes are ignored.
    Result<void> feed(const char* data, size_t size);
    // The stream has ended. Fails if it ended right after a PAX header that made the entry
    // sparse (libarchive would refuse the stream too; the message is clearer).
    Result<void> finish();

    [[nodiscard]] bool at_end() const { return m_state == State::End; }
    // The first header's checksum did not match: the stream is not a tar at all. libarchive's
    // tar reader refuses such a stream when it detects the format, before it parses any header,
    // so unpack_layer leaves the error to it ("Unrecognized archive format", which the load API
    // answers as dockerd does).
    [[nodiscard]] bool not_a_tar() const { return m_not_a_tar; }

private:
    enum class State { Header, Body, Skip, End, Failed };

    Result<void> header();
    Result<void> body_done();
    Result<void> pax_records(const std::string& body, bool global);
    Result<void> fail(Error error);
    [[nodiscard]] std::string entry_name(const char* block) const;

    std::string m_what;
    bool m_not_a_tar { false };
    State m_state { State::Header };
    std::uint64_t m_offset { 0 };     // Stream offset of the block being gathered.
    std::string m_block;              // The header being gathered (up to 512 bytes).
    std::uint64_t m_left { 0 };       // Body or skip bytes still to come.
    std::uint64_t m_padding { 0 };    // Padding after the body.
    char m_body_type { 0 };           // 'x', 'g', 'L' or 'K' while in Body.
    std::string m_body;               // A PAX body, or the first bytes of a long name.
    // What the special headers so far say about the next entry.
    int m_specials { 0 };
    bool m_pax_seen { false };
    bool m_sparse { false };
    std::int64_t m_pax_size { -1 };
    std::string m_long_name;    // From an 'L' header.
    std::string m_pax_path;     // PAX "path".
    std::string m_sparse_name;  // PAX "GNU.sparse.name", the real name of a sparse file.
};

} // namespace engine::image
