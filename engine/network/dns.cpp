#include "engine/network/dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "engine/base/log.h"
#include "engine/base/strings.h"

namespace engine::network {

namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t value)
{
    put16(out, static_cast<std::uint16_t>(value >> 16));
    put16(out, static_cast<std::uint16_t>(value & 0xffff));
}

void put_name(std::vector<std::uint8_t>& out, const std::string& name)
{
    for (const auto& label : strings::split(name, '.')) {
        if (label.empty())
            continue;
        out.push_back(static_cast<std::uint8_t>(std::min<std::size_t>(label.size(), 63)));
        out.insert(out.end(), label.begin(), label.begin() + static_cast<long>(std::min<std::size_t>(label.size(), 63)));
    }
    out.push_back(0);
}

class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size)
        : m_data(data)
        , m_size(size)
    {
    }

    Result<std::uint16_t> u16()
    {
        if (m_pos + 2 > m_size)
            return Error::invalid("DNS message truncated at byte " + std::to_string(m_pos));
        std::uint16_t value = static_cast<std::uint16_t>((m_data[m_pos] << 8) | m_data[m_pos + 1]);
        m_pos += 2;
        return value;
    }

    Result<std::uint32_t> u32()
    {
        std::uint32_t high = TRY(u16());
        std::uint32_t low = TRY(u16());
        return (high << 16) | low;
    }

    // A possibly compressed name; advances past it in the message.
    Result<std::string> name()
    {
        std::string result;
        std::size_t pos = m_pos;
        bool jumped = false;
        int hops = 0;
        while (true) {
            if (pos >= m_size)
                return Error::invalid("DNS name runs past the end of the message");
            std::uint8_t length = m_data[pos];
            if ((length & 0xc0) == 0xc0) {
                if (pos + 1 >= m_size || ++hops > 16)
                    return Error::invalid("DNS name has a bad compression pointer");
                std::size_t target = ((length & 0x3f) << 8) | m_data[pos + 1];
                if (!jumped)
                    m_pos = pos + 2;
                jumped = true;
                pos = target;
                continue;
            }
            if (length & 0xc0)
                return Error::invalid("DNS name uses an unknown label type");
            if (length == 0) {
                if (!jumped)
                    m_pos = pos + 1;
                break;
            }
            if (pos + 1 + length > m_size)
                return Error::invalid("DNS label runs past the end of the message");
            if (!result.empty())
                result += '.';
            result.append(reinterpret_cast<const char*>(m_data + pos + 1), length);
            if (result.size() > 255)
                return Error::invalid("DNS name longer than 255 bytes");
            pos += 1 + length;
        }
        return strings::to_lower(result);
    }

    Result<void> skip(std::size_t count)
    {
        if (m_pos + count > m_size)
            return Error::invalid("DNS record data runs past the end of the message");
        m_pos += count;
        return Ok {};
    }

    [[nodiscard]] std::size_t pos() const { return m_pos; }

private:
    const std::uint8_t* m_data;
    std::size_t m_size;
    std::size_t m_pos { 0 };
};

} // namespace

std::vector<std::uint8_t> encode_query(std::uint16_t id, const std::string& name, std::uint16_t type)
{
    std::vector<std::uint8_t> out;
    put16(out, id);
    put16(out, 0x0100); // RD
    put16(out, 1);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    put_name(out, name);
    put16(out, type);
    put16(out, DnsClassIn);
    return out;
}

std::vector<std::uint8_t> encode_response(const DnsMessage& query, const std::vector<Ipv4>& answers,
    std::uint8_t rcode, const std::vector<Ipv6>& answers6)
{
    std::vector<std::uint8_t> out;
    put16(out, query.id);
    // QR=1, opcode copied, AA=1, RD copied, RA=1, rcode.
    std::uint16_t flags = 0x8000 | (query.flags & 0x7800) | 0x0400 | (query.flags & 0x0100) | 0x0080 | rcode;
    put16(out, flags);
    put16(out, static_cast<std::uint16_t>(query.questions.size()));
    put16(out, static_cast<std::uint16_t>(answers.size() + answers6.size()));
    put16(out, 0);
    put16(out, 0);
    for (const auto& question : query.questions) {
        put_name(out, question.name);
        put16(out, question.type);
        put16(out, question.klass);
    }
    for (const auto& address : answers) {
        put16(out, 0xc00c); // Pointer to the first question's name at offset 12.
        put16(out, DnsTypeA);
        put16(out, DnsClassIn);
        put32(out, query.ttl);
        put16(out, 4);
        put32(out, address.value);
    }
    for (const auto& address : answers6) {
        put16(out, 0xc00c);
        put16(out, DnsTypeAaaa);
        put16(out, DnsClassIn);
        put32(out, query.ttl);
        put16(out, 16);
        out.insert(out.end(), address.bytes.begin(), address.bytes.end());
    }
    return out;
}

Result<DnsMessage> decode_message(const std::uint8_t* data, std::size_t size)
{
    Reader reader(data, size);
    DnsMessage message;
    message.id = TRY(reader.u16());
    message.flags = TRY(reader.u16());
    std::uint16_t questions = TRY(reader.u16());
    std::uint16_t answers = TRY(reader.u16());
    TRY(reader.u16()); // NSCOUNT
    TRY(reader.u16()); // ARCOUNT
    for (int i = 0; i < questions; ++i) {
        DnsQuestion question;
        question.name = TRY(reader.name());
        question.type = TRY(reader.u16());
        question.klass = TRY(reader.u16());
        message.questions.push_back(std::move(question));
    }
    for (int i = 0; i < answers; ++i) {
        TRY(reader.name());
        std::uint16_t type = TRY(reader.u16());
        std::uint16_t klass = TRY(reader.u16());
        message.ttl = TRY(reader.u32());
        std::uint16_t length = TRY(reader.u16());
        if (type == DnsTypeA && klass == DnsClassIn && length == 4) {
            std::uint32_t value = TRY(reader.u32());
            message.answers.push_back({ value });
        } else if (type == DnsTypeAaaa && klass == DnsClassIn && length == 16) {
            Ipv6 address;
            for (std::size_t i = 0; i < address.bytes.size(); i += 2) {
                std::uint16_t pair = TRY(reader.u16());
                address.bytes[i] = static_cast<std::uint8_t>(pair >> 8);
                address.bytes[i + 1] = static_cast<std::uint8_t>(pair & 0xff);
            }
            message.answers6.push_back(address);
        } else {
            TRY(reader.skip(length));
        }
    }
    return message;
}

Result<std::unique_ptr<DnsServer>> DnsServer::start(const std::string& listen_address, std::uint16_t port,
    DnsLookup lookup, std::vector<std::string> upstreams)
{
    std::unique_ptr<DnsServer> server(new DnsServer());
    server->m_address = listen_address;
    server->m_lookup = std::move(lookup);
    server->m_upstreams = std::move(upstreams);
    server->m_socket.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!server->m_socket.valid())
        return Error::from_errno("DNS socket", errno);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, listen_address.c_str(), &address.sin_addr) != 1)
        return Error::invalid("DNS listen address " + listen_address + " is not IPv4");
    if (::bind(server->m_socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return Error::from_errno("bind DNS server to " + listen_address + ":" + std::to_string(port), errno);
    TRY(server->m_loop.start([raw = server.get()] { raw->serve(); }));
    return server;
}

DnsServer::~DnsServer()
{
    m_loop.stop();
}

void DnsServer::serve()
{
    std::uint8_t buffer[1500];
    while (true) {
        pollfd fds[2] = { { m_socket.get(), POLLIN, 0 }, { m_loop.stop_fd(), POLLIN, 0 } };
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (fds[1].revents)
            return;
        sockaddr_in peer {};
        socklen_t peer_length = sizeof peer;
        auto received = ::recvfrom(m_socket.get(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &peer_length);
        if (received <= 0)
            continue;
        auto reply = answer(buffer, static_cast<std::size_t>(received));
        if (!reply.empty())
            ::sendto(m_socket.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
    }
}

std::vector<std::uint8_t> DnsServer::answer(const std::uint8_t* data, std::size_t size)
{
    auto query = decode_message(data, size);
    if (!query.ok() || query.value().is_response())
        return {};
    auto& message = query.value();
    if (message.questions.size() != 1)
        return encode_response(message, {}, DnsRcodeFormErr);
    const auto& question = message.questions[0];
    auto addresses = m_lookup(question.name);
    if (!addresses.empty()) {
        // Our name: A and AAAA get the addresses of their family; other types (and AAAA on a
        // network without IPv6) get an empty NOERROR, so resolvers do not go looking elsewhere.
        return encode_response(message, question.type == DnsTypeA ? addresses.v4 : std::vector<Ipv4> {},
            DnsRcodeNoError, question.type == DnsTypeAaaa ? addresses.v6 : std::vector<Ipv6> {});
    }
    if (auto forwarded = forward(data, size))
        return *forwarded;
    return encode_response(message, {}, DnsRcodeServFail);
}

std::optional<std::vector<std::uint8_t>> DnsServer::forward(const std::uint8_t* data, std::size_t size)
{
    for (const auto& upstream : m_upstreams) {
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(53);
        if (::inet_pton(AF_INET, upstream.c_str(), &address.sin_addr) != 1)
            continue;
        UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (!sock.valid())
            continue;
        if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            continue;
        if (::send(sock.get(), data, size, 0) != static_cast<ssize_t>(size))
            continue;
        pollfd fd { sock.get(), POLLIN, 0 };
        if (::poll(&fd, 1, 2000) <= 0)
            continue;
        std::vector<std::uint8_t> reply(4096);
        auto received = ::recv(sock.get(), reply.data(), reply.size(), 0);
        if (received <= 0)
            continue;
        reply.resize(static_cast<std::size_t>(received));
        return reply;
    }
    return std::nullopt;
}

} // namespace engine::network
