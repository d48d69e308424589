// Kernel feature probe. Sources: /proc/filesystems (overlay), /proc/self/ns/* (namespace kinds),
// statfs(2) on /sys/fs/cgroup (cgroup layout), /proc/config.gz (build options, for the "why"),
// and a real RTM_NEWLINK attempt per link kind inside a throwaway network namespace, because
// a config option can be a module that is not installed.
#include "engine/sys/probe.h"

#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

#include <zlib.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::sys {

std::string_view cgroup_layout_name(CgroupLayout layout)
{
    switch (layout) {
    case CgroupLayout::None: return "none";
    case CgroupLayout::V1: return "v1";
    case CgroupLayout::V2: return "v2";
    case CgroupLayout::Hybrid: return "hybrid";
    }
    return "none";
}

const Feature* KernelFeatures::find(std::string_view name) const
{
    for (const auto& feature : features)
        if (feature.name == name)
            return &feature;
    return nullptr;
}

bool KernelFeatures::has(std::string_view name) const
{
    const auto* feature = find(name);
    return feature && feature->available;
}

static const std::map<std::string, std::string>& kernel_config()
{
    static std::map<std::string, std::string> config;
    static std::once_flag once;
    std::call_once(once, [] {
        gzFile file = gzopen("/proc/config.gz", "rb");
        if (!file)
            return;
        std::string text;
        char buf[65536];
        int n = 0;
        while ((n = gzread(file, buf, sizeof buf)) > 0)
            text.append(buf, static_cast<size_t>(n));
        gzclose(file);
        for (const auto& line : strings::split(text, '\n')) {
            if (strings::starts_with(line, "CONFIG_")) {
                auto eq = line.find('=');
                if (eq != std::string::npos)
                    config[line.substr(0, eq)] = line.substr(eq + 1);
            } else if (strings::starts_with(line, "# CONFIG_") && strings::ends_with(line, " is not set")) {
                config[line.substr(2, line.size() - 2 - 11)] = "n";
            }
        }
    });
    return config;
}

std::string kernel_config_value(const std::string& option)
{
    const auto& config = kernel_config();
    auto it = config.find(option);
    return it == config.end() ? "" : it->second;
}

// Why a feature backed by `option` is missing, as precisely as the kernel lets us say.
static std::string missing_reason(const std::string& option, const std::string& what)
{
    auto value = kernel_config_value(option);
    if (value == "n")
        return "kernel built without " + option + ", so " + what + " cannot be used on this kernel";
    if (value == "m")
        return option + "=m but the module is not loaded or not installed (try: modprobe)";
    return what + " cannot be used here (and /proc/config.gz could not be read to say why)";
}

// Sends one RTM_NEWLINK for a link named `name` of `kind` (on `parent_index` when non-zero)
// and returns the kernel's answer: 0 or a positive errno.
static int send_newlink(int sock, const char* name, const char* kind, int parent_index, bool vlan)
{
    struct {
        nlmsghdr header;
        ifinfomsg info;
        char attrs[512];
    } req {};
    auto add_attr = [&](unsigned short type, const void* data, size_t len) -> rtattr* {
        auto* attr = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.header.nlmsg_len));
        attr->rta_type = type;
        attr->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
        if (len)
            std::memcpy(RTA_DATA(attr), data, len);
        req.header.nlmsg_len = NLMSG_ALIGN(req.header.nlmsg_len) + RTA_ALIGN(attr->rta_len);
        return attr;
    };
    auto close_nest = [&](rtattr* nest) {
        nest->rta_len = static_cast<unsigned short>(reinterpret_cast<char*>(&req) + req.header.nlmsg_len
            - reinterpret_cast<char*>(nest));
    };
    req.header.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
    req.header.nlmsg_type = RTM_NEWLINK;
    req.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    req.info.ifi_family = AF_UNSPEC;
    add_attr(IFLA_IFNAME, name, std::strlen(name) + 1);
    if (parent_index > 0)
        add_attr(IFLA_LINK, &parent_index, sizeof parent_index);
    auto* linkinfo = add_attr(IFLA_LINKINFO, nullptr, 0);
    add_attr(IFLA_INFO_KIND, kind, std::strlen(kind));
    if (vlan) {
        auto* data = add_attr(IFLA_INFO_DATA, nullptr, 0);
        unsigned short id = 10;
        add_attr(IFLA_VLAN_ID, &id, sizeof id);
        close_nest(data);
    }
    close_nest(linkinfo);
    if (::send(sock, &req, req.header.nlmsg_len, 0) < 0)
        return errno;
    char reply[4096];
    ssize_t n = ::recv(sock, reply, sizeof reply, 0);
    if (n < static_cast<ssize_t>(sizeof(nlmsghdr)))
        return EIO;
    auto* header = reinterpret_cast<nlmsghdr*>(reply);
    if (header->nlmsg_type != NLMSG_ERROR)
        return EIO;
    return -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(header))->error;
}

// Tries to create a link of `kind` and reports whether the kernel knows the kind. Runs in a
// forked child that has its own network namespace, so nothing is left behind. Links that need
// a parent get a scratch bridge: loopback cannot carry VLANs (the kernel answers EOPNOTSUPP for
// a "VLAN challenged" device, the same errno as an unknown kind), a bridge can.
static bool try_link_kind(const char* kind, bool needs_parent, bool vlan)
{
    pid_t pid = ::fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        if (::unshare(CLONE_NEWNET) != 0)
            ::_exit(2);
        int sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (sock < 0)
            ::_exit(2);
        int parent = 0;
        if (needs_parent) {
            if (send_newlink(sock, "gbprobe-br", "bridge", 0, false) != 0)
                ::_exit(2);
            parent = static_cast<int>(::if_nametoindex("gbprobe-br"));
            if (parent == 0)
                ::_exit(2);
        }
        int error = send_newlink(sock, "gbprobe0", kind, parent, vlan);
        // EOPNOTSUPP: the kernel has no such link kind. Anything else (0, or EINVAL for a
        // parent the kind does not like) means the kind itself exists.
        ::_exit(error == EOPNOTSUPP ? 1 : 0);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

HostFacts host_facts()
{
    HostFacts facts;
    struct utsname uts { };
    if (::uname(&uts) == 0) {
        std::string machine = uts.machine;
        // Docker (Go) names: x86_64 is amd64, aarch64 is arm64.
        facts.architecture = machine == "x86_64" ? "amd64" : machine == "aarch64" ? "arm64" : machine;
        facts.hostname = uts.nodename;
    }
    facts.cpus = std::max(1, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));
    if (auto meminfo = fs::read_file("/proc/meminfo"); meminfo.ok()) {
        std::istringstream lines(meminfo.value());
        std::string key, unit;
        std::int64_t kib = 0;
        while (lines >> key >> kib >> unit) {
            if (key == "MemTotal:") {
                facts.memory_bytes = kib * 1024;
                break;
            }
        }
    }
    if (auto release = fs::read_file("/etc/os-release"); release.ok()) {
        std::istringstream lines(release.value());
        std::string line;
        while (std::getline(lines, line)) {
            if (line.rfind("PRETTY_NAME=", 0) == 0) {
                auto value = line.substr(12);
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                    value = value.substr(1, value.size() - 2);
                facts.operating_system = value;
            }
        }
    }
    return facts;
}

KernelFeatures probe_kernel()
{
    KernelFeatures result;
    struct utsname uts { };
    if (::uname(&uts) == 0)
        result.kernel_release = uts.release;
    result.host = host_facts();

    // Overlayfs: listed in /proc/filesystems once built in or loaded.
    auto filesystems = fs::read_file("/proc/filesystems");
    bool overlay = filesystems.ok() && filesystems.value().find("\toverlay\n") != std::string::npos;
    result.features.push_back({ "overlayfs", overlay,
        overlay ? "listed in /proc/filesystems" : missing_reason("CONFIG_OVERLAY_FS", "overlayfs") });

    // Namespaces: one /proc/self/ns entry per kind the kernel supports.
    static const std::pair<const char*, const char*> namespaces[] = {
        { "mnt", "CONFIG_NAMESPACES" }, { "uts", "CONFIG_UTS_NS" }, { "ipc", "CONFIG_IPC_NS" },
        { "pid", "CONFIG_PID_NS" }, { "net", "CONFIG_NET_NS" }, { "cgroup", "CONFIG_CGROUPS" },
        { "user", "CONFIG_USER_NS" }, { "time", "CONFIG_TIME_NS" },
    };
    for (const auto& [name, option] : namespaces) {
        bool present = fs::exists(std::string("/proc/self/ns/") + name);
        result.features.push_back({ std::string("namespace.") + name, present,
            present ? std::string("/proc/self/ns/") + name : missing_reason(option, std::string(name) + " namespaces") });
    }

    // Cgroups: v2 when /sys/fs/cgroup itself is cgroup2; hybrid when v1 controllers sit under a
    // tmpfs there and cgroup2 is mounted at unified/; v1 otherwise.
    struct statfs st { };
    if (::statfs("/sys/fs/cgroup", &st) == 0) {
        if (st.f_type == CGROUP2_SUPER_MAGIC) {
            result.cgroup_layout = CgroupLayout::V2;
            result.cgroup_v2_mount = "/sys/fs/cgroup";
        } else if (st.f_type == TMPFS_MAGIC) {
            struct statfs unified { };
            if (::statfs("/sys/fs/cgroup/unified", &unified) == 0 && unified.f_type == CGROUP2_SUPER_MAGIC) {
                result.cgroup_layout = CgroupLayout::Hybrid;
                result.cgroup_v2_mount = "/sys/fs/cgroup/unified";
            } else {
                result.cgroup_layout = CgroupLayout::V1;
            }
        }
    }
    std::string layout_detail = std::string("layout ") + std::string(cgroup_layout_name(result.cgroup_layout));
    if (result.cgroup_layout == CgroupLayout::Hybrid)
        layout_detail += ": v1 controllers under /sys/fs/cgroup/<controller>, cgroup2 at /sys/fs/cgroup/unified";
    result.features.push_back({ "cgroups", result.cgroup_layout != CgroupLayout::None,
        result.cgroup_layout != CgroupLayout::None ? layout_detail : missing_reason("CONFIG_CGROUPS", "cgroups") });
    for (const auto& [controller, option] : std::vector<std::pair<std::string, std::string>> {
             { "memory", "CONFIG_MEMCG" }, { "pids", "CONFIG_CGROUP_PIDS" }, { "cpu", "CONFIG_CGROUP_SCHED" } }) {
        bool present = false;
        if (result.cgroup_layout == CgroupLayout::V2) {
            auto controllers = fs::read_file("/sys/fs/cgroup/cgroup.controllers");
            present = controllers.ok() && controllers.value().find(controller) != std::string::npos;
        } else {
            present = fs::exists("/sys/fs/cgroup/" + controller);
        }
        result.features.push_back({ "cgroup." + controller, present,
            present ? "controller mounted" : missing_reason(option, controller + " cgroup controller") });
    }

    // Link kinds. The real attempt needs CAP_NET_ADMIN; without it we can only read the config.
    bool root = ::geteuid() == 0;
    struct LinkKind {
        const char* feature;
        const char* kind;
        const char* option;
        bool needs_parent;
        bool vlan;
    };
    static const LinkKind kinds[] = {
        { "link.veth", "veth", "CONFIG_VETH", false, false },
        { "link.bridge", "bridge", "CONFIG_BRIDGE", false, false },
        { "link.macvlan", "macvlan", "CONFIG_MACVLAN", true, false },
        { "link.ipvlan", "ipvlan", "CONFIG_IPVLAN", true, false },
        { "link.vlan", "vlan", "CONFIG_VLAN_8021Q", true, true },
    };
    for (const auto& kind : kinds) {
        bool present = false;
        std::string detail;
        if (root) {
            present = try_link_kind(kind.kind, kind.needs_parent, kind.vlan);
            detail = present ? std::string("created a test ") + kind.kind + " link in a scratch namespace"
                             : missing_reason(kind.option, std::string(kind.kind) + " links");
        } else {
            auto value = kernel_config_value(kind.option);
            present = value == "y" || value == "m";
            detail = present ? kind.option + std::string("=") + value + " (not tried: needs root)"
                             : missing_reason(kind.option, std::string(kind.kind) + " links");
        }
        result.features.push_back({ kind.feature, present, detail });
    }

    // nftables: the kernel side is nf_tables; the nft tables themselves are made by network/.
    auto nft = kernel_config_value("CONFIG_NF_TABLES");
    bool nft_present = nft == "y" || nft == "m" || fs::exists("/proc/sys/net/netfilter");
    result.features.push_back({ "nftables", nft_present,
        nft_present ? "CONFIG_NF_TABLES=" + (nft.empty() ? std::string("?") : nft) : missing_reason("CONFIG_NF_TABLES", "nftables") });

    auto seccomp = kernel_config_value("CONFIG_SECCOMP");
    result.features.push_back({ "seccomp", seccomp != "n", seccomp != "n" ? "CONFIG_SECCOMP=" + seccomp : missing_reason("CONFIG_SECCOMP", "seccomp") });
    return result;
}

const KernelFeatures& kernel_features()
{
    static KernelFeatures features = probe_kernel();
    return features;
}

} // namespace engine::sys
