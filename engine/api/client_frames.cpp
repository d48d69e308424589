// Demultiplexing of Docker's 8-byte-header stream framing (Tty=false attach, exec, logs).
// Header: [stream:1][0][0][0][length:4, big-endian]; the payload follows.
#include "engine/api/client.h"

namespace engine::api {

FrameDemuxer::FrameDemuxer(Sink sink)
    : m_sink(std::move(sink))
{
}

Result<void> FrameDemuxer::feed(std::string_view bytes)
{
    while (!bytes.empty()) {
        if (m_remaining > 0) {
            size_t take = std::min<size_t>(m_remaining, bytes.size());
            m_sink(m_current, bytes.substr(0, take));
            m_remaining -= static_cast<std::uint32_t>(take);
            bytes.remove_prefix(take);
            continue;
        }
        size_t need = 8 - m_header.size();
        size_t take = std::min(need, bytes.size());
        m_header.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (m_header.size() < 8)
            break;
        auto stream_byte = static_cast<unsigned char>(m_header[0]);
        if (stream_byte > 2)
            return Error::invalid("malformed stream frame: unknown stream " + std::to_string(stream_byte)
                + " (is the container's Tty setting what the client expected?)");
        m_current = static_cast<StreamKind>(stream_byte);
        m_remaining = 0;
        for (int i = 4; i < 8; ++i)
            m_remaining = (m_remaining << 8) | static_cast<unsigned char>(m_header[i]);
        m_header.clear();
    }
    return Ok {};
}

bool FrameDemuxer::at_frame_boundary() const
{
    return m_remaining == 0 && m_header.empty();
}

} // namespace engine::api
