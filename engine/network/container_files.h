// The text of a container's /etc/hosts, /etc/resolv.conf and /etc/hostname, as Docker writes
// them. Pure functions: the Manager decides the inputs and writes the files.
#pragma once

#include <string>
#include <vector>

#include "engine/base/result.h"

namespace engine::network {

struct HostsLine {
    std::string address;
    std::vector<std::string> names;
};

struct ResolvConf {
    std::vector<std::string> nameservers;
    std::vector<std::string> search;
    std::vector<std::string> options;
};

// localhost and the IPv6 lines, then `extra` (--add-host), then `own` (the container itself).
std::string render_hosts(const std::vector<HostsLine>& own, const std::vector<HostsLine>& extra);
// "name:ip" or "name=ip" (--add-host); names the bad entry on error.
Result<HostsLine> parse_extra_host(const std::string& spec);

ResolvConf parse_resolv_conf(const std::string& text);
std::string render_resolv_conf(const ResolvConf& conf);
// What a container on a network without embedded DNS gets: the host's resolvers without the
// loopback ones (they would mean the container itself), falling back to Docker's 8.8.8.8/8.8.4.4.
ResolvConf container_resolv_conf(const ResolvConf& host, const std::vector<std::string>& dns_override);

} // namespace engine::network
