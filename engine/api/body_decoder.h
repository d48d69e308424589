// Decoding an HTTP/1.1 message body that arrives in pieces: exactly Content-Length bytes, or
// chunked transfer coding. One decoder for both ends of the socket: the daemon reads request
// bodies with it (http.cpp) and the CLI's client reads response bodies with it (client.cpp).
// No kernel interfaces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace engine::api {

// Decodes a body fed to it in pieces as they arrive from the socket: either exactly
// `content_length` bytes, or chunked transfer coding (chunk extensions and trailers ignored).
class BodyDecoder {
public:
    static BodyDecoder content_length(std::uint64_t length);
    static BodyDecoder chunked();
    static BodyDecoder none() { return content_length(0); }

    // Consumes bytes from `input`, appending decoded body bytes to `out`. Returns how many input
    // bytes it used; stops at the end of the body, so the rest belongs to the next message.
    // InvalidArgument on a malformed chunk header.
    Result<std::size_t> feed(std::string_view input, std::string& out);
    [[nodiscard]] bool done() const { return m_state == State::Done; }

private:
    enum class State { Fixed, ChunkSize, ChunkData, ChunkDataEnd, Trailer, Done };
    State m_state { State::Fixed };
    std::uint64_t m_remaining { 0 };
    std::string m_line; // A chunk-size or trailer line being assembled.
};

} // namespace engine::api
