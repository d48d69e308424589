// BodyDecoder: Content-Length and chunked bodies, fed as they arrive (body_decoder.h).
#include "engine/api/body_decoder.h"

#include <algorithm>

#include "engine/base/strings.h"

namespace engine::api {

BodyDecoder BodyDecoder::content_length(std::uint64_t length)
{
    BodyDecoder decoder;
    decoder.m_state = length == 0 ? State::Done : State::Fixed;
    decoder.m_remaining = length;
    return decoder;
}

BodyDecoder BodyDecoder::chunked()
{
    BodyDecoder decoder;
    decoder.m_state = State::ChunkSize;
    return decoder;
}

Result<std::size_t> BodyDecoder::feed(std::string_view input, std::string& out)
{
    size_t used = 0;
    while (used < input.size() && m_state != State::Done) {
        switch (m_state) {
        case State::Fixed:
        case State::ChunkData: {
            auto take = static_cast<size_t>(std::min<std::uint64_t>(m_remaining, input.size() - used));
            out.append(input.substr(used, take));
            used += take;
            m_remaining -= take;
            if (m_remaining == 0)
                m_state = m_state == State::Fixed ? State::Done : State::ChunkDataEnd;
            break;
        }
        case State::ChunkDataEnd:
        case State::ChunkSize:
        case State::Trailer: {
            char c = input[used++];
            if (c != '\n') {
                if (m_line.size() > 4096)
                    return Error::invalid("malformed chunked body: line too long");
                m_line.push_back(c);
                break;
            }
            std::string line = m_line;
            m_line.clear();
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (m_state == State::ChunkDataEnd) {
                if (!line.empty())
                    return Error::invalid("malformed chunked body: missing CRLF after chunk data");
                m_state = State::ChunkSize;
            } else if (m_state == State::ChunkSize) {
                // "1a;ext=1": the size is the hex number before any extension.
                auto size_text = strings::trim(line.substr(0, line.find(';')));
                if (size_text.empty() || size_text.size() > 15)
                    return Error::invalid("malformed chunked body: bad chunk size \"" + line.substr(0, 40) + "\"");
                std::uint64_t size = 0;
                for (char h : size_text) {
                    int v = strings::hex_digit(h);
                    if (v < 0)
                        return Error::invalid("malformed chunked body: bad chunk size \"" + line.substr(0, 40) + "\"");
                    size = size * 16 + static_cast<std::uint64_t>(v);
                }
                if (size == 0) {
                    m_state = State::Trailer;
                } else {
                    m_remaining = size;
                    m_state = State::ChunkData;
                }
            } else if (line.empty()) {
                m_state = State::Done; // The blank line after the (usually empty) trailer.
            }
            break;
        }
        case State::Done:
            break;
        }
    }
    return used;
}

} // namespace engine::api
