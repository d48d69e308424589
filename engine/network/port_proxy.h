// The userland proxy for a published TCP port, as docker-proxy: listens on the host address and
// port (which also reserves the port) and relays each connection to the container's address.
// It is what makes a published port answer on the host's own 127.0.0.1, where nftables DNAT
// does not apply without changing route_localnet. One thread accepts; one thread per
// connection relays both directions; stopping joins them all.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/fd.h"
#include "engine/base/result.h"
#include "engine/base/stop_signal.h"

namespace engine::network {

class PortProxy {
public:
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
    std::string m_target_ip;
    std::uint16_t m_target_port { 0 };
    std::uint16_t m_port { 0 };
    PollThread m_acceptor; // accept_loop(); its stop signal ends the relays too.
    std::mutex m_mutex;
    std::vector<std::thread> m_relays;
};

} // namespace engine::network
