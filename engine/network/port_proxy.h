// The userland proxy for a published TCP port, as docker-proxy: listens on the host address and
// port (which also reserves the port) and relays each connection to the container's address.
// It is what makes a published port answer on the host's own 127.0.0.1, where nftables DNAT
// does not apply without changing route_localnet. One thread accepts; one thread per
// connection relays both directions; stopping joins them all.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/base/stop_signal.h"

namespace engine::network {

// How a relay reaches the container: a connected stream socket to ip:port, or the error that
// refused it. The default is a TCP connect(2) on the host.
using ProxyConnector = std::function<Result<UniqueFd>(const std::string& ip, std::uint16_t port)>;

class PortProxy {
public:
    // Replaces the default connector for every proxy started afterwards. The simulated kernel's
    // daemon installs one at start-up: its containers' addresses exist only in its network
    // model, and a connect(2) on the host would send the packets to the real network instead.
    static void set_connector(ProxyConnector connector);

    // `host_port` 0 = let the kernel pick; port() says which.
    static Result<std::unique_ptr<PortProxy>> start(const std::string& host_ip, std::uint16_t host_port,
        const std::string& target_ip, std::uint16_t target_port);
    ~PortProxy();
    PortProxy(const PortProxy&) = delete;
    PortProxy& operator=(const PortProxy&) = delete;

    [[nodiscard]] std::uint16_t port() const { return m_port; }

private:
    PortProxy() = default;
    void accept_loop();
    void relay(UniqueFd client);

    UniqueFd m_listener;
    ProxyConnector m_connector; // Empty: connect(2).
    std::string m_target_ip;
    std::uint16_t m_target_port { 0 };
    std::uint16_t m_port { 0 };
    PollThread m_acceptor; // accept_loop(); its stop signal ends the relays too.
    std::mutex m_mutex;
    std::vector<std::thread> m_relays;
};

} // namespace engine::network
