// Docker's defaults for what a container may do: the capability set (moby
// daemon/pkg/oci/caps/defaults.go) and the masked and read-only paths (moby oci defaults).
#include "engine/runtime/container_spec.h"

#include "engine/runtime/capabilities.h"

namespace engine::runtime {

const std::vector<std::string>& default_capabilities()
{
    static const std::vector<std::string> s_caps = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
    };
    return s_caps;
}

std::vector<std::string> all_capabilities()
{
    std::vector<std::string> names;
    for (int cap = 0; cap <= last_capability(); ++cap)
        names.push_back(capability_name(cap));
    return names;
}

const std::vector<std::string>& default_masked_paths()
{
    static const std::vector<std::string> s_paths = {
        "/proc/asound",
        "/proc/acpi",
        "/proc/interrupts",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
    };
    return s_paths;
}

const std::vector<std::string>& default_readonly_paths()
{
    static const std::vector<std::string> s_paths = {
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
    };
    return s_paths;
}

} // namespace engine::runtime
