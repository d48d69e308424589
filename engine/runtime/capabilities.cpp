// Capability names and the capset(2)/prctl(2) calls. Raw syscalls instead of libcap, so nothing
// here allocates between fork and exec except the error path.
#include "engine/runtime/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::runtime {

namespace {

// Indexed by capability number (include/uapi/linux/capability.h, up to Linux 5.9's 40).
constexpr std::array<std::string_view, 41> k_capability_names = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

} // namespace

Result<int> capability_number(std::string_view name)
{
    std::string upper;
    for (char c : name)
        upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    if (!strings::starts_with(upper, "CAP_"))
        upper = "CAP_" + upper;
    for (size_t i = 0; i < k_capability_names.size(); ++i) {
        if (k_capability_names[i] == upper)
            return static_cast<int>(i);
    }
    return Error::invalid("unknown capability \"" + std::string(name) + "\"");
}

std::string capability_name(int number)
{
    if (number >= 0 && static_cast<size_t>(number) < k_capability_names.size())
        return std::string(k_capability_names[static_cast<size_t>(number)]);
    return "CAP_" + std::to_string(number);
}

int last_capability()
{
    static const int s_last = [] {
        auto text = fs::read_file("/proc/sys/kernel/cap_last_cap");
        std::uint64_t value = 0;
        if (text.ok() && strings::parse_uint(strings::trim(text.value()), value) && value < 64)
            return static_cast<int>(value);
        return CAP_LAST_CAP;
    }();
    return s_last;
}

Result<std::uint64_t> capability_mask(const std::vector<std::string>& names)
{
    std::uint64_t mask = 0;
    for (const auto& name : names) {
        int number = TRY(capability_number(name));
        mask |= std::uint64_t { 1 } << number;
    }
    return mask;
}

Result<void> drop_bounding_set(std::uint64_t mask)
{
    int last = last_capability();
    for (int cap = 0; cap <= last; ++cap) {
        if ((mask & (std::uint64_t { 1 } << cap)) != 0)
            continue;
        // EINVAL: the kernel does not know this capability; nothing to drop.
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return Error::from_errno("drop " + capability_name(cap) + " from the bounding set", errno);
    }
    return Ok {};
}

Result<void> set_process_capabilities(std::uint64_t mask)
{
    // Only capabilities that are still in the bounding set can be permitted.
    int last = last_capability();
    if (last < 63)
        mask &= (std::uint64_t { 1 } << (last + 1)) - 1;

    __user_cap_header_struct header {};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0;
    std::array<__user_cap_data_struct, 2> data {};
    // Nor more than we hold: --privileged asks for every capability, and a daemon that runs
    // without some (in a container that lacks CAP_SYS_RESOURCE, say) would otherwise get
    // EPERM from capset. Docker's privileged containers likewise get the daemon's set.
    if (::syscall(SYS_capget, &header, data.data()) != 0)
        return Error::from_errno("capget", errno);
    mask &= static_cast<std::uint64_t>(data[0].permitted) | (static_cast<std::uint64_t>(data[1].permitted) << 32);
    data = {};
    data[0].effective = data[0].permitted = static_cast<std::uint32_t>(mask);
    data[1].effective = data[1].permitted = static_cast<std::uint32_t>(mask >> 32);
    if (::syscall(SYS_capset, &header, data.data()) != 0)
        return Error::from_errno("capset", errno);
    // An empty ambient set: nothing survives execve into a non-root process by accident.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::from_errno("clear the ambient capability set", errno);
    return Ok {};
}

} // namespace engine::runtime
