#include "engine/image/tar_scanner.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

namespace engine::image {

namespace {

constexpr size_t k_block = 512;
// More special headers than this before one entry is refused; a real layer has at most a PAX
// header and a GNU long name and long link (libarchive stops at 32 with "Too many special headers").
constexpr int k_max_specials = 16;
// Only the start of a GNU long name is kept, to name the entry in an error.
constexpr size_t k_long_name_kept = 4096;

std::uint64_t padding_of(std::uint64_t size) { return (k_block - size % k_block) % k_block; }

bool is_gnu_magic(const char* h) { return std::memcmp(h + 257, "ustar  \0", 8) == 0; }

// libarchive's checksum(): the field holds octal digits, spaces or NULs, and matches the sum of
// the header's bytes (the field counted as spaces), unsigned or, for old writers, signed.
bool checksum_matches(const char* h)
{
    std::int64_t stored = 0;
    size_t i = 148;
    for (; i < 156; ++i) {
        char c = h[i];
        if (c != ' ' && c != '\0' && (c < '0' || c > '7'))
            return false;
    }
    i = 148;
    while (i < 156 && (h[i] == ' ' || h[i] == '\t'))
        ++i;
    for (; i < 156 && h[i] >= '0' && h[i] <= '7'; ++i)
        stored = stored * 8 + (h[i] - '0');
    std::int64_t sum_unsigned = 0;
    std::int64_t sum_signed = 0;
    for (size_t j = 0; j < k_block; ++j) {
        bool in_field = j >= 148 && j < 156;
        sum_unsigned += in_field ? 32 : static_cast<unsigned char>(h[j]);
        sum_signed += in_field ? 32 : static_cast<signed char>(h[j]);
    }
    return stored == sum_unsigned || stored == sum_signed;
}

// A numeric header field as libarchive's tar_atol reads it: base-256 when the first byte has
// its high bit set (GNU tar and star for sizes of 8 GiB and more), else octal after leading
// spaces. Negative and overflowing values are refused (nullopt).
std::optional<std::int64_t> header_number(const char* field, size_t length)
{
    const auto* p = reinterpret_cast<const unsigned char*>(field);
    if (p[0] & 0x80) {
        if (p[0] & 0x40)
            return std::nullopt; // Negative in two's complement.
        std::uint64_t value = p[0] & 0x7f;
        for (size_t i = 1; i < length; ++i) {
            if (value > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) >> 8))
                return std::nullopt;
            value = (value << 8) | p[i];
        }
        return static_cast<std::int64_t>(value);
    }
    size_t i = 0;
    while (i < length && (field[i] == ' ' || field[i] == '\t'))
        ++i;
    if (i < length && field[i] == '-')
        return std::nullopt;
    std::int64_t value = 0;
    for (; i < length && field[i] >= '0' && field[i] <= '7'; ++i)
        value = value * 8 + (field[i] - '0'); // 12 octal digits fit in 36 bits.
    return value;
}

// A PAX decimal value: digits only, as Go's strconv.ParseInt reads "size".
std::optional<std::int64_t> pax_number(const std::string& value)
{
    if (value.empty() || value.size() > 18)
        return std::nullopt;
    std::int64_t n = 0;
    for (char c : value) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

std::string type_name(char type)
{
    if (type >= 0x21 && type < 0x7f)
        return std::string("'") + type + "'";
    return std::to_string(static_cast<unsigned char>(type));
}

Error sparse_refused(const std::string& what, const std::string& name)
{
    return Error::invalid(what + " entry " + name + ": sparse files are not supported in " + what + "s");
}

} // namespace

Result<void> TarHeaderScanner::fail(Error error)
{
    m_state = State::Failed;
    return error;
}

std::string TarHeaderScanner::entry_name(const char* block) const
{
    if (!m_sparse_name.empty())
        return m_sparse_name;
    if (!m_pax_path.empty())
        return m_pax_path;
    if (!m_long_name.empty())
        return m_long_name;
    std::string name(block, ::strnlen(block, 100));
    // A POSIX ustar header may keep the start of a long name in its prefix field.
    if (!is_gnu_magic(block) && std::memcmp(block + 257, "ustar", 5) == 0 && block[345] != '\0') {
        std::string prefix(block + 345, ::strnlen(block + 345, 155));
        name = prefix + (prefix.back() == '/' ? "" : "/") + name;
    }
    return name;
}

Result<void> TarHeaderScanner::feed(const char* data, size_t size)
{
    while (size > 0) {
        size_t take = 0;
        switch (m_state) {
        case State::End:
        case State::Failed:
            return Ok {};
        case State::Header:
            take = std::min(k_block - m_block.size(), size);
            m_block.append(data, take);
            break;
        case State::Body:
        case State::Skip:
            take = static_cast<size_t>(std::min<std::uint64_t>(m_left, size));
            if (m_state == State::Body) {
                size_t cap = (m_body_type == 'L' || m_body_type == 'K') ? k_long_name_kept : k_max_pax_bytes;
                if (m_body.size() < cap)
                    m_body.append(data, std::min(take, cap - m_body.size()));
            }
            m_left -= take;
            break;
        }
        data += take;
        size -= take;
        m_offset += take;
        if (m_state == State::Header && m_block.size() == k_block) {
            TRY(header());
            m_block.clear();
        } else if (m_state == State::Body && m_left == 0) {
            TRY(body_done());
        } else if (m_state == State::Skip && m_left == 0) {
            m_state = State::Header;
        }
    }
    return Ok {};
}

Result<void> TarHeaderScanner::finish()
{
    if (m_state != State::Failed && m_sparse)
        return fail(sparse_refused(m_what, m_sparse_name.empty() ? "at the end of the archive" : m_sparse_name));
    return Ok {};
}

Result<void> TarHeaderScanner::header()
{
    const char* h = m_block.data();
    const std::uint64_t at = m_offset - k_block;
    // libarchive ends the archive at the first all-zero block (and reads nothing after it).
    if (std::all_of(m_block.begin(), m_block.end(), [](char c) { return c == '\0'; })) {
        if (m_sparse)
            return fail(sparse_refused(m_what, m_sparse_name.empty() ? "at the end of the archive" : m_sparse_name));
        m_state = State::End;
        return Ok {};
    }
    if (!checksum_matches(h)) {
        m_not_a_tar = at == 0;
        return fail(Error::invalid(m_what + ": the tar header at byte " + std::to_string(at) + " has a bad checksum"));
    }
    const char type = h[156];
    auto declared = header_number(h + 124, 12);
    if (!declared)
        return fail(Error::invalid(m_what + " entry " + entry_name(h) + ": the tar header's size is negative or too large"));
    auto size = static_cast<std::uint64_t>(*declared);

    switch (type) {
    case 'x':
    case 'g':
    case 'L':
    case 'K': {
        if (++m_specials > k_max_specials)
            return fail(Error::invalid(m_what + ": more than " + std::to_string(k_max_specials)
                + " extended headers before one entry, at byte " + std::to_string(at)));
        if (type == 'x') {
            if (m_pax_seen)
                return fail(Error::invalid(m_what + ": two PAX headers for one entry, at byte " + std::to_string(at)));
            m_pax_seen = true;
        }
        if (size > k_max_pax_bytes)
            return fail(Error::invalid(m_what + ": the " + type_name(type) + " header at byte " + std::to_string(at) + " holds "
                + std::to_string(size) + " bytes, more than the " + std::to_string(k_max_pax_bytes) + "-byte limit"));
        m_body_type = type;
        m_body.clear();
        m_left = size;
        m_padding = padding_of(size);
        m_state = State::Body;
        if (m_left == 0)
            return body_done();
        return Ok {};
    }
    case 'S':
        return fail(sparse_refused(m_what, entry_name(h)));
    case '0':
    case '\0':
    case '7':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
        break;
    default:
        return fail(Error::invalid(m_what + " entry " + entry_name(h) + ": tar entry type " + type_name(type) + " is not supported in " + m_what + "s"));
    }

    // libarchive reads a GNU header's old sparse map (and the extension blocks after it) whatever
    // the type flag says.
    if (m_sparse || (is_gnu_magic(h) && (h[386] != '\0' || h[482] != '\0')))
        return fail(sparse_refused(m_what, entry_name(h)));
    if (type == '1' && size != 0)
        // libarchive decides whether such a link has data by guessing the archive's format.
        return fail(Error::invalid(m_what + " entry " + entry_name(h) + ": a hard link declares " + std::to_string(size)
            + " bytes of data in its header"));
    if (type >= '1' && type <= '6')
        size = 0; // libarchive and Go give links, devices, directories and FIFOs no data.
    if (m_pax_size >= 0)
        size = static_cast<std::uint64_t>(m_pax_size); // Applied last, whatever the type.

    m_specials = 0;
    m_pax_seen = false;
    m_pax_size = -1;
    m_long_name.clear();
    m_pax_path.clear();
    m_sparse_name.clear();
    if (size > std::numeric_limits<std::uint64_t>::max() - k_block)
        return fail(Error::invalid(m_what + ": the entry at byte " + std::to_string(at) + " is too large"));
    m_left = size + padding_of(size);
    m_state = m_left == 0 ? State::Header : State::Skip;
    return Ok {};
}

Result<void> TarHeaderScanner::body_done()
{
    if (m_body_type == 'x' || m_body_type == 'g')
        TRY(pax_records(m_body, m_body_type == 'g'));
    else if (m_body_type == 'L')
        m_long_name = std::string(m_body.c_str()); // libarchive reads the name up to its NUL.
    m_body.clear();
    m_left = m_padding;
    m_state = m_left == 0 ? State::Header : State::Skip;
    return Ok {};
}

// "<length> <key>=<value>\n" records. libarchive 3.6 stops reading records at the first NUL
// byte (it reads the body as a C string); Go reads by length, and xattr values may hold NULs.
// A sparse key anywhere is refused; a "size" record is honoured only where both read it.
Result<void> TarHeaderScanner::pax_records(const std::string& body, bool global)
{
    const size_t first_nul = body.find('\0');
    size_t pos = 0;
    while (pos < body.size()) {
        if (body.find_first_not_of('\0', pos) == std::string::npos)
            break; // NUL padding after the last record.
        auto malformed = [&] {
            return fail(Error::invalid(m_what + ": malformed PAX record at byte " + std::to_string(pos) + " of the "
                + (global ? "global" : "extended") + " header before byte " + std::to_string(m_offset)));
        };
        size_t p = pos;
        std::uint64_t length = 0;
        while (p < body.size() && body[p] >= '0' && body[p] <= '9' && length <= k_max_pax_bytes)
            length = length * 10 + static_cast<std::uint64_t>(body[p++] - '0');
        if (p == pos || p >= body.size() || body[p] != ' ' || length > body.size() - pos || length < p - pos + 3
            || body[pos + length - 1] != '\n')
            return malformed();
        auto record = std::string_view(body).substr(p + 1, pos + length - 1 - (p + 1));
        auto equals = record.find('=');
        if (equals == std::string_view::npos || equals == 0)
            return malformed();
        auto key = record.substr(0, equals);
        auto value = std::string(record.substr(equals + 1));
        if (key.starts_with("GNU.sparse.") || key == "SUN.holesdata") {
            m_sparse = true;
            if (key == "GNU.sparse.name" && !global)
                m_sparse_name = value;
        } else if (key == "path" && !global) {
            m_pax_path = value;
        } else if (key == "size" && !global) {
            if (first_nul != std::string::npos && first_nul < pos + length)
                return fail(Error::invalid(m_what + ": a PAX size record after a NUL byte, before byte " + std::to_string(m_offset)
                    + ", is read differently by libarchive and Go"));
            auto parsed = pax_number(value);
            if (!parsed)
                return fail(Error::invalid(m_what + ": the PAX size \"" + value.substr(0, 40) + "\" before byte "
                    + std::to_string(m_offset) + " is not a number"));
            m_pax_size = *parsed;
        }
        pos += length;
    }
    return Ok {};
}

} // namespace engine::image
