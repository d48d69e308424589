// Checks and parsing for create options that name other objects or carry their own syntax:
// MacAddress, VolumesFrom ("name[:ro|:rw]") and PidMode ("host", "container:<name|id>"). Pure
// functions; the Engine resolves the names (engine/daemon/containers.cpp).
#pragma once

#include <string>

#include "engine/base/result.h"

namespace engine::daemon {

// An Ethernet MAC address, six hex octets separated by ':' or '-' ("02:42:ac:11:00:02").
// InvalidArgument "invalid MAC address: \"zz\"" otherwise.
Result<void> check_mac_address(const std::string& mac);

// One HostConfig.VolumesFrom entry: the container and whether its mounts stay writable. A mode
// other than ro or rw is InvalidArgument with dockerd's words, "invalid mode: xx".
struct VolumesFrom {
    std::string container;
    bool read_only { false };
};
Result<VolumesFrom> parse_volumes_from(const std::string& spec);

// HostConfig.PidMode: "" (a new PID namespace), "host", or "container:<ref>" (the ref is
// returned in `container`). Anything else is InvalidArgument "invalid PID mode: ...".
struct PidMode {
    bool host { false };
    std::string container;
};
Result<PidMode> parse_pid_mode(const std::string& mode);

} // namespace engine::daemon
