// Checks and parsing for create options that name other objects or carry their own syntax:
// MacAddress, VolumesFrom ("name[:ro|:rw]"), PidMode ("host", "container:<name|id>"),
// NetworkMode and PortBindings. Pure functions; the Engine resolves the names
// (engine/daemon/container_create.cpp). The API layer parses each value once into these types, and the
// Engine keeps and passes the types, never the text.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "engine/base/result.h"

namespace engine::daemon {

// An Ethernet MAC address, six hex octets separated by ':' or '-' ("02:42:ac:11:00:02").
// InvalidArgument "invalid MAC address: \"zz\"" otherwise.
Result<void> check_mac_address(const std::string& mac);

// One HostConfig.VolumesFrom entry, "name", "name:ro" or "name:rw": the container and whether
// its mounts stay writable. A mode other than ro or rw is InvalidArgument with dockerd's words,
// "invalid mode: xx"; an entry without a name names the entry.
struct VolumesFrom {
    enum class Mode { Unset, ReadOnly, ReadWrite }; // Unset: no mode given (read-write).
    std::string container;                          // The name or id as given.
    Mode mode { Mode::Unset };

    static Result<VolumesFrom> parse(const std::string& spec);
    // The text parse() read: inspect and the container's record show it as given.
    [[nodiscard]] std::string text() const;
    [[nodiscard]] bool read_only() const { return mode == Mode::ReadOnly; }
    bool operator==(const VolumesFrom&) const = default;
};

// HostConfig.PidMode: "" (a new PID namespace), "host", or "container:<name|id>" (another
// container's namespace; the Engine keeps it by full id, as dockerd does). Anything else is
// InvalidArgument "invalid PID mode: ...".
struct PidMode {
    enum class Kind { Private, Host, Container };
    Kind kind { Kind::Private };
    std::string container; // Container: the container's name or id.

    static Result<PidMode> parse(const std::string& text);
    // The text parse() read ("" for a private namespace): inspect and the record show it.
    [[nodiscard]] std::string text() const;
    [[nodiscard]] bool is(Kind k) const { return kind == k; }
    bool operator==(const PidMode&) const = default;
};

// HostConfig.NetworkMode: "default" (or "") is the built-in bridge network, "host" the host's
// own network namespace, "none" a namespace with only loopback, "container:<name|id>" another
// container's namespace; any other value names a network ("bridge" is the built-in one).
struct NetworkMode {
    enum class Kind { Default, Host, None, Container, Network };
    Kind kind { Kind::Default };
    std::string name; // Container: the container's name or id as given. Network: the network's name or id.

    // "container:" without a name is InvalidArgument, in dockerd's words.
    static Result<NetworkMode> parse(const std::string& text);
    // The text parse() read ("default" for ""): inspect and the container's record show it.
    [[nodiscard]] std::string text() const;
    // The network this mode attaches to: "bridge" for default, "host", "none", the named
    // network; "" for container:<ref>, which has no network of its own.
    [[nodiscard]] std::string network() const;
    [[nodiscard]] bool is(Kind k) const { return kind == k; }
    bool operator==(const NetworkMode&) const = default;
};

// A container port as the keys of ExposedPorts and PortBindings write it: "80/tcp", "53/udp"
// ("80" alone is tcp). The port is 1..65535, the protocol tcp or udp.
struct ContainerPort {
    std::uint16_t number { 0 };
    std::string protocol { "tcp" };

    static Result<ContainerPort> parse(const std::string& key);
    [[nodiscard]] std::string key() const; // "80/tcp"
    auto operator<=>(const ContainerPort&) const = default;
};

// One entry of HostConfig.PortBindings: where a container port is published on the host.
struct PortBinding {
    std::string host_ip;           // "" = all addresses; otherwise an IPv4 or IPv6 address.
    std::uint16_t host_port { 0 }; // 0 = a free port, chosen when the container starts.

    // HostIp and HostPort as the API sends them (both text; HostPort "" or 1..65535). Errors
    // name the field: `HostPort "80a" is not a port number (1..65535)`.
    static Result<PortBinding> parse(const std::string& host_ip, const std::string& host_port);
    [[nodiscard]] std::string host_port_text() const; // "" for 0, as Docker shows it.
    bool operator==(const PortBinding&) const = default;
};

} // namespace engine::daemon
