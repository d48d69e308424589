// Fuzzes the HTTP request parser and the body decoders as the server uses them: a request head,
// then whatever follows it fed to the Content-Length or chunked decoder in uneven pieces (as
// reads from a socket arrive), then the accessors handlers call on the parsed request.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/api/http.h"
#include "tests/fuzz/targets/fuzz_support.h"

using engine::api::BodyDecoder;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto text = engine::fuzz::as_text(data, size);
    (void)engine::api::url_decode(text, true);
    (void)engine::api::strip_version_prefix(text);

    engine::api::Request request;
    auto head = engine::api::parse_request_head(text, request);
    if (!head.ok() || head.value() == 0)
        return 0;
    (void)request.query_bool("all", false);
    (void)request.query_int("limit");
    (void)request.filters();
    (void)request.keep_alive();
    (void)request.wants_upgrade();
    (void)request.header("content-type");

    auto rest = text.substr(head.value());
    BodyDecoder decoder = BodyDecoder::none();
    if (request.is_chunked()) {
        decoder = BodyDecoder::chunked();
    } else if (auto length = request.header("content-length")) {
        decoder = BodyDecoder::content_length(std::min<std::uint64_t>(rest.size(), std::strtoull(length->c_str(), nullptr, 10)));
    }
    std::string body;
    // Piece sizes come from the head's length, so the same body is also cut at odd places.
    std::size_t piece = 1 + head.value() % 7;
    while (!rest.empty() && !decoder.done()) {
        auto used = decoder.feed(rest.substr(0, std::min(piece, rest.size())), body);
        if (!used.ok())
            break;
        if (used.value() == 0 && piece >= rest.size())
            break;
        rest.remove_prefix(std::min(used.value(), rest.size()));
        piece = piece * 3 % 17 + 1;
    }
    if (decoder.done() && !body.empty())
        (void)engine::api::parse_client_json(body, "request body");
    return 0;
}
