#include "engine/network/port_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <mutex>

#include "engine/base/fs.h"

namespace engine::network {

namespace {

Result<sockaddr_in> make_address(const std::string& ip, std::uint16_t port)
{
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.empty() ? "0.0.0.0" : ip.c_str(), &address.sin_addr) != 1)
        return Error::invalid("\"" + ip + "\" is not an IPv4 address");
    return address;
}

std::mutex g_connector_mutex;
ProxyConnector g_connector;

} // namespace

void PortProxy::set_connector(ProxyConnector connector)
{
    std::lock_guard lock(g_connector_mutex);
    g_connector = std::move(connector);
}

Result<std::unique_ptr<PortProxy>> PortProxy::start(const std::string& host_ip, std::uint16_t host_port,
    const std::string& target_ip, std::uint16_t target_port)
{
    std::unique_ptr<PortProxy> proxy(new PortProxy());
    proxy->m_target_ip = target_ip;
    proxy->m_target_port = target_port;
    {
        std::lock_guard lock(g_connector_mutex);
        proxy->m_connector = g_connector;
    }
    auto address = TRY(make_address(host_ip, host_port));
    TRY(make_address(target_ip, target_port));
    proxy->m_listener.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!proxy->m_listener.valid())
        return Error::from_errno("proxy socket", errno);
    int one = 1;
    ::setsockopt(proxy->m_listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    std::string where = (host_ip.empty() ? "0.0.0.0" : host_ip) + ":" + std::to_string(host_port);
    if (::bind(proxy->m_listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        int code = errno;
        if (code == EADDRINUSE)
            return Error::conflict("cannot publish port: " + where + " is already in use");
        return Error::from_errno("bind " + where, code);
    }
    if (::listen(proxy->m_listener.get(), 128) != 0)
        return Error::from_errno("listen " + where, errno);
    socklen_t length = sizeof address;
    ::getsockname(proxy->m_listener.get(), reinterpret_cast<sockaddr*>(&address), &length);
    proxy->m_port = ntohs(address.sin_port);
    TRY(proxy->m_acceptor.start([raw = proxy.get()] { raw->accept_loop(); }));
    return proxy;
}

PortProxy::~PortProxy()
{
    m_acceptor.stop();
    std::lock_guard lock(m_mutex);
    for (auto& relay : m_relays)
        relay.join();
}

void PortProxy::accept_loop()
{
    while (true) {
        pollfd fds[2] = { { m_listener.get(), POLLIN, 0 }, { m_acceptor.stop_fd(), POLLIN, 0 } };
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (fds[1].revents)
            return;
        UniqueFd client(::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client.valid())
            continue;
        std::lock_guard lock(m_mutex);
        m_relays.emplace_back([this, fd = std::move(client)]() mutable { relay(std::move(fd)); });
    }
}

void PortProxy::relay(UniqueFd client)
{
    UniqueFd upstream;
    if (m_connector) {
        auto connected = m_connector(m_target_ip, m_target_port);
        if (!connected.ok())
            return; // Closing the client tells it the container did not answer.
        upstream = connected.release_value();
    } else {
        auto address = make_address(m_target_ip, m_target_port);
        upstream.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!address.ok() || !upstream.valid()
            || ::connect(upstream.get(), reinterpret_cast<sockaddr*>(&address.value()), sizeof(sockaddr_in)) != 0)
            return; // Closing the client tells it the container did not answer.
    }
    char buffer[16384];
    bool client_open = true;
    bool upstream_open = true;
    while (client_open || upstream_open) {
        pollfd fds[3] = { { client_open ? client.get() : -1, POLLIN, 0 },
            { upstream_open ? upstream.get() : -1, POLLIN, 0 }, { m_acceptor.stop_fd(), POLLIN, 0 } };
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (fds[2].revents)
            return;
        for (int side = 0; side < 2; ++side) {
            if (!fds[side].revents)
                continue;
            int from = side == 0 ? client.get() : upstream.get();
            int to = side == 0 ? upstream.get() : client.get();
            auto count = ::read(from, buffer, sizeof buffer);
            if (count <= 0) {
                ::shutdown(to, SHUT_WR);
                (side == 0 ? client_open : upstream_open) = false;
                continue;
            }
            if (!fs::write_all(to, std::string_view(buffer, static_cast<size_t>(count)), "proxied connection").ok())
                return;
        }
    }
}

} // namespace engine::network
