// The embedded DNS server of a user-defined network, and the DNS wire format it needs (RFC 1035:
// header, questions, A and AAAA answers). The daemon runs one server per user-defined bridge,
// bound to UDP port 53 on the network's gateway address. It answers A queries (and AAAA queries,
// on a network with IPv6) for container names and aliases in that network from the Manager's
// records; any other name is forwarded to the host's resolvers and their answer relayed. Nothing
// is forwarded unless a container asks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/base/stop_signal.h"
#include "engine/network/ipv4.h"
#include "engine/network/ipv6.h"

namespace engine::network {

inline constexpr std::uint16_t DnsTypeA = 1;
inline constexpr std::uint16_t DnsTypeAaaa = 28;
inline constexpr std::uint16_t DnsClassIn = 1;
inline constexpr std::uint8_t DnsRcodeNoError = 0;
inline constexpr std::uint8_t DnsRcodeFormErr = 1;
inline constexpr std::uint8_t DnsRcodeServFail = 2;
inline constexpr std::uint8_t DnsRcodeNxDomain = 3;

struct DnsQuestion {
    std::string name; // Lower case, no trailing dot: "web.example".
    std::uint16_t type { DnsTypeA };
    std::uint16_t klass { DnsClassIn };
};

struct DnsMessage {
    std::uint16_t id { 0 };
    std::uint16_t flags { 0 };   // QR, opcode, AA, TC, RD, RA, rcode as on the wire.
    std::vector<DnsQuestion> questions;
    std::vector<Ipv4> answers;   // A records (for the first question's name).
    std::vector<Ipv6> answers6;  // AAAA records.
    std::uint32_t ttl { 600 };

    [[nodiscard]] bool is_response() const { return (flags & 0x8000) != 0; }
    [[nodiscard]] std::uint8_t rcode() const { return flags & 0x000f; }
};

// Encodes a query (RD set) for `name`.
std::vector<std::uint8_t> encode_query(std::uint16_t id, const std::string& name, std::uint16_t type);
// Encodes a response to `query` with `answers` as A records, `answers6` as AAAA records, and
// the given rcode.
std::vector<std::uint8_t> encode_response(const DnsMessage& query, const std::vector<Ipv4>& answers,
    std::uint8_t rcode, const std::vector<Ipv6>& answers6 = {});
// Decodes a message: header, questions and any A and AAAA answers (other records are skipped).
// Compression pointers are followed; malformed input is an InvalidArgument error.
Result<DnsMessage> decode_message(const std::uint8_t* data, std::size_t size);

// A name's addresses in a network.
struct DnsAddresses {
    std::vector<Ipv4> v4;
    std::vector<Ipv6> v6;
    [[nodiscard]] bool empty() const { return v4.empty() && v6.empty(); }
};

// Looks a name up in a network: empty = not ours (forward it).
using DnsLookup = std::function<DnsAddresses(const std::string& name)>;

class DnsServer {
public:
    // Binds UDP `listen_address`:`port` and starts the serving thread.
    static Result<std::unique_ptr<DnsServer>> start(const std::string& listen_address, std::uint16_t port,
        DnsLookup lookup, std::vector<std::string> upstreams);
    ~DnsServer();
    DnsServer(const DnsServer&) = delete;
    DnsServer& operator=(const DnsServer&) = delete;

    [[nodiscard]] const std::string& address() const { return m_address; }

private:
    DnsServer() = default;
    void serve();
    std::vector<std::uint8_t> answer(const std::uint8_t* data, std::size_t size);
    std::optional<std::vector<std::uint8_t>> forward(const std::uint8_t* data, std::size_t size);

    std::string m_address;
    UniqueFd m_socket;
    DnsLookup m_lookup;
    std::vector<std::string> m_upstreams;
    PollThread m_loop; // serve(); stopped first in the destructor, so it never sees the rest go.
};

} // namespace engine::network
