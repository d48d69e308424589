// network::Manager: the networks glassbox knows (the default `bridge`, `host`, `none` and
// user-defined bridge/macvlan/ipvlan networks), their address allocations (IPAM), the sandboxes
// (one network namespace per container, bind-mounted to a file), the endpoints that join a
// sandbox to a network (veth into a bridge, or a macvlan/ipvlan child of a parent link), the
// embedded DNS server of each user-defined bridge, published ports and outbound NAT (nftables,
// in glassbox's own table), and the /etc/hosts, /etc/resolv.conf and /etc/hostname files of each
// container.
//
// The daemon's Engine owns one Manager and is its only caller. Kernel effects go through
// sys::Kernel (namespaces, mounts, sysctls), Netlink (links, addresses, routes) and Nftables;
// with sim::FakeKernel, sim::FakeNetlink and sim::FakeNftables it runs without root.
// All methods are thread-safe (one internal mutex).
//
// Typical `run` order: create_sandbox -> connect (each network) -> publish_ports ->
// write_container_files -> start the process with ContainerSpec.netns_path = the sandbox path.
// On removal: unpublish_ports -> disconnect (each) -> remove_sandbox.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/network/netlink.h"
#include "engine/network/nft.h"
#include "engine/sys/kernel.h"
#include "engine/sys/probe.h"

namespace engine::network {

struct Options {
    std::string state_dir;               // <root>/network: networks.json, ipam state (persisted).
    std::string run_dir;                 // <run-root>/network: netns/<id> files, sockets.
    std::string bridge_name { "glassbox0" }; // The default `bridge` network's Linux bridge.
    std::string bridge_prefix { "gb-" }; // Prefix of every link glassbox creates (bridges, veths,
                                         // vlan sub-interfaces, the lab uplink "<prefix>uplink").
    std::string default_subnet;          // "" lets IPAM pick (172.17.0.0/16 unless routed).
    // "" = Docker's pools (172.17-31.0.0/16, then 192.168.0.0/20 steps). Tests pass e.g.
    // "10.231.0.0/16" and get /24s from it, so they never collide with a real Docker.
    std::string pool_prefix;
    std::string nft_table_name { "glassbox" }; // Table in family `ip` (and `inet` where needed).
    bool enable_nat { true };            // Masquerade outbound traffic from bridge networks.
    bool enable_dns { true };            // Run the embedded DNS on user-defined bridges.
    std::string resolv_conf_source { "/etc/resolv.conf" }; // Host resolvers to forward to.
    // What the kernel offers (macvlan, ipvlan, 802.1q); unset = sys::kernel_features(), the
    // probe of the running kernel. Tests over the simulated kernel say what it has.
    std::optional<sys::KernelFeatures> features;
};

// What `network create` asks for. Maps 1:1 onto daemon::NetworkConfig.
struct NetworkConfig {
    std::string name;
    std::string driver { "bridge" };          // bridge, host, none, macvlan, ipvlan (engine/network/drivers/)
    std::map<std::string, std::string> options; // -o: parent, macvlan_mode, ipvlan_mode,
                                                // com.docker.network.bridge.name, ...mtu
    std::map<std::string, std::string> labels;
    std::string subnet;                       // "" = from the pool.
    std::string gateway;                      // "" = first usable address.
    std::string ip_range;                     // "" = whole subnet.
    std::map<std::string, std::string> aux_addresses; // IPAM AuxiliaryAddresses: name -> address, never handed out.
    bool internal { false };                  // No NAT, no route out.
    bool attachable { false };
    // IPv6, as dockerd 20.10 has it without --ipv6 on the daemon: a user network gets IPv6 when it
    // asks (EnableIPv6) and names its own IPv6 subnet (there are no default IPv6 pools). A subnet
    // without EnableIPv6 is recorded and shown, but nobody gets an address from it.
    bool enable_ipv6 { false };
    std::string subnet6;                      // "fd42::/64"
    std::string gateway6;                     // "" = the subnet's first address.
    std::string ip_range6;
    std::map<std::string, std::string> aux_addresses6; // The IPv6 entry's AuxiliaryAddresses.
};

// A container's attachment to one network. Maps 1:1 onto daemon::EndpointInfo.
struct Endpoint {
    std::string network_id;
    std::string network_name;
    std::string endpoint_id;
    std::string container_id;
    std::string container_name;
    std::string ip_address;         // "" on host/none.
    int prefix_length { 0 };
    std::string gateway;
    std::string ipv6_address;       // "" unless the network has IPv6.
    int ipv6_prefix_length { 0 };
    std::string ipv6_gateway;       // "" on internal networks.
    std::string requested_ipv6;     // IPAMConfig.IPv6Address as asked ("" when none).
    std::string mac_address;
    std::vector<std::string> aliases;
    std::string host_link;          // Host-side veth name ("" for macvlan/ipvlan/host/none).
    std::string sandbox_link;       // Interface name inside the sandbox ("eth0", "eth1", ...).
    std::string sandbox_path;       // The netns file the endpoint lives in.
};

// A network as the manager records it, and as the daemon and the API show it.
struct NetworkRecord {
    std::string id;                 // 64 hex.
    std::string name;
    std::string driver;
    std::string scope { "local" };
    std::string created;            // RFC 3339
    std::string subnet;
    std::string gateway;
    // dockerd shows the IPv4 gateway when it chose the subnet or was given the gateway, not when
    // it was given a subnet alone; true for records written before this was kept.
    bool gateway_given { true };
    std::string ip_range;
    std::map<std::string, std::string> aux_addresses;
    bool enable_ipv6 { false };
    std::string subnet6;            // As given ("" when none).
    std::string gateway6;           // The gateway in use ("" without an IPv6 pool).
    bool gateway6_given { false };  // Inspect shows an IPv6 gateway only when it was asked for, as dockerd does.
    std::string ip_range6;
    std::map<std::string, std::string> aux_addresses6;
    bool internal { false };
    bool attachable { false };
    bool user_defined { true };     // false for the built-in bridge, host and none.
    std::map<std::string, std::string> options;
    std::map<std::string, std::string> labels;
    std::map<std::string, Endpoint> containers; // container id -> endpoint
    std::vector<std::string> warnings;
    // Kernel objects this network owns (for inspect, the state panel and cleanup).
    std::string bridge;             // Linux bridge name (bridge driver).
    std::string parent;             // macvlan/ipvlan parent link.
    bool created_parent { false };  // The parent (vlan sub-interface) is removed with the network.
    std::string dns_address;        // Where the embedded DNS listens ("" when none).
};

// One published port as requested (the daemon's typed HostConfig.PortBindings entry).
struct PortRequest {
    std::uint16_t container_port { 0 };
    std::string protocol { "tcp" }; // "tcp" or "udp"
    std::string host_ip;            // "" = all addresses.
    std::uint16_t host_port { 0 };  // 0 = pick a free one.
};

// One port as bound.
struct PublishedPort {
    std::uint16_t container_port { 0 };
    std::string protocol { "tcp" };
    std::string host_ip;            // "0.0.0.0" when all.
    std::uint16_t host_port { 0 };
};

struct ContainerFiles {
    std::string hosts_path;
    std::string resolv_conf_path;
    std::string hostname_path;
};

struct ContainerFileOptions {
    std::string hostname;                 // Also the container's own /etc/hosts line.
    std::string domainname;
    std::vector<std::string> dns;         // --dns; overrides everything else.
    std::vector<std::string> extra_hosts; // --add-host "name:ip"
    bool host_network { false };          // Copy the host's /etc/hosts and resolv.conf.
};

class Manager {
public:
    // Creates the state and run dirs, restores persisted networks and IPAM allocations,
    // creates (or adopts) the default `bridge` network and the `host` and `none` entries, and
    // (re)installs glassbox's nftables table.
    static Result<std::unique_ptr<Manager>> open(sys::Kernel& kernel, Netlink& netlink, Nftables& nftables,
        Options options);
    ~Manager();
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    // [SECTION] Networks. `ref` is a full id, a unique id prefix or a name.
    // Fails at once (Unsupported) when the kernel lacks the driver (ipvlan, 802.1q), naming the
    // kernel option and pointing at the simulated kernel.
    Result<NetworkRecord> create_network(NetworkConfig config);
    Result<void> remove_network(const std::string& ref); // Conflict while endpoints remain.
    Result<NetworkRecord> get(const std::string& ref) const;
    std::vector<NetworkRecord> list() const;
    // Removes unused user-defined networks; returns their names.
    Result<std::vector<std::string>> prune();

    // [SECTION] Sandboxes: one network namespace per container, bind-mounted at
    // <run_dir>/netns/<container_id> so it outlives any process. Returns the path.
    Result<std::string> create_sandbox(const std::string& container_id);
    Result<void> remove_sandbox(const std::string& container_id);

    // [SECTION] Endpoints. `requested_ipv4` "" = next free address; `mac` "" = derived;
    // `requested_ipv6` "" = the next free IPv6 address on a network with IPv6 (an error, as on
    // dockerd, on a network without an IPv6 subnet). On `host` and `none`, connect only records
    // the endpoint.
    Result<Endpoint> connect(const std::string& network_ref, const std::string& container_id,
        const std::string& container_name, const std::string& sandbox_path,
        const std::vector<std::string>& aliases, const std::string& requested_ipv4,
        const std::string& mac = "", const std::string& requested_ipv6 = "");
    Result<void> disconnect(const std::string& network_ref, const std::string& container_id);
    // Every endpoint of a container, in connection order.
    std::vector<Endpoint> endpoints_of(const std::string& container_id) const;
    // Rename a container in DNS and hosts records (docker rename).
    void rename_container(const std::string& container_id, const std::string& new_name);

    // [SECTION] Ports. Traffic arriving at the host from outside glassbox's networks is DNATed
    // to the container by rules in glassbox's nft table (prerouting). Connections made on the
    // host itself (127.0.0.1 included) go through a userland proxy thread per binding, as
    // docker-proxy does; the proxy's listening socket also reserves the host port. No host
    // sysctl (route_localnet) is changed.
    Result<std::vector<PublishedPort>> publish_ports(const std::string& container_id,
        const std::string& container_ip, const std::vector<PortRequest>& requests);
    Result<void> unpublish_ports(const std::string& container_id);

    // [SECTION] Files. Writes <dir>/hosts, <dir>/resolv.conf, <dir>/hostname for the container's
    // current endpoints; user-defined networks point resolv.conf at the embedded DNS.
    Result<ContainerFiles> write_container_files(const std::string& container_id,
        const ContainerFileOptions& options, const std::string& dir);

    // [SECTION] Lab uplink: veth "<prefix>uplink" on the host, far end in netns "glassbox-lab"
    // (file <run_dir>/netns/glassbox-lab) with an address, standing in for the home switch.
    // Created on demand; the default parent of macvlan and ipvlan networks. Made again at the
    // next start for the networks that use it.
    Result<std::string> ensure_lab_uplink();
    // For a normal daemon stop: removes the lab uplink's veth and unmounts and deletes the lab
    // namespace file, so nothing stays mounted under run_dir. Bridges, the nft table and the
    // records stay for the next start, as dockerd keeps docker0. Returns what it removed.
    Result<std::vector<std::string>> release_lab();

    // Removes every kernel object glassbox made: links with the prefix, netns files under
    // run_dir, the nft table, DNS servers and proxies. Returns what it removed (for the report).
    Result<std::vector<std::string>> reset();

    struct Impl;

private:
    explicit Manager(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace engine::network
