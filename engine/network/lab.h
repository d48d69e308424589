// The lab uplink: veth "<prefix>uplink" on the host with its far end "lab0" in the namespace
// "glassbox-lab" (file <run_dir>/netns/glassbox-lab), standing in for the home switch and
// router. It is the default parent of macvlan and ipvlan networks, so containers on them reach
// a wire that is glassbox's own, never a real host interface. Made on demand, removed at a
// normal daemon stop (release) and made again at the next start for the networks that use it.
#pragma once

#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/network/manager.h"

namespace engine::network {

class Lab {
public:
    Lab(sys::Kernel& kernel, Netlink& netlink, std::string run_dir, std::string link_prefix);

    [[nodiscard]] std::string uplink_name() const { return m_prefix + "uplink"; }
    [[nodiscard]] std::string netns_path() const;
    [[nodiscard]] static std::string netns_name();

    // Creates the uplink (and the lab namespace) unless it is there; returns its host-side name.
    Result<std::string> ensure_uplink();
    // The network's parent is the uplink or a VLAN sub-interface made on it.
    [[nodiscard]] bool carries(const NetworkRecord& network) const;
    // The lab side answers as the gateway (IPv4, and IPv6 when the network has it) of each
    // network whose parent is the uplink itself (not a VLAN of it): the "home router".
    Result<void> add_gateway(const NetworkRecord& network);
    Result<void> remove_gateway(const NetworkRecord& network);
    // Removes the uplink's veth (its peer and the VLANs on it go too) and the lab namespace
    // file; returns what it removed.
    Result<std::vector<std::string>> release();

private:
    sys::Kernel& m_kernel;
    Netlink& m_nl;
    std::string m_run_dir;
    std::string m_prefix;
};

} // namespace engine::network
