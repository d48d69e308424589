// Docker API JSON mapping. Reading is strict about types (a wrong type names the field) and
// lenient about presence (absent, null and empty mean the default), because the docker CLI sends
// every key, often null, and docker-py sends only a few.
#include "engine/api/docker_json.h"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>

#include "engine/api/http.h"
#include "engine/base/safe_path.h"
#include "engine/base/strings.h"
#include "engine/daemon/health.h"
#include "engine/network/ipv6.h"
#include "engine/daemon/create_options.h"
#include "engine/runtime/devices.h"
#include "engine/runtime/seccomp.h"

namespace engine::api {

using daemon::ContainerView;
using std::chrono::system_clock;

// [SECTION] Typed field readers.

namespace {

// A JSON object being read, with the path of the object for error messages ("HostConfig").
class Reader {
public:
    Reader(const Json& object, std::string where)
        : m_object(object)
        , m_where(std::move(where))
    {
    }

    [[nodiscard]] const Json* find(const char* key) const
    {
        if (!m_object.is_object())
            return nullptr;
        auto it = m_object.find(key);
        if (it == m_object.end() || it->is_null())
            return nullptr;
        return &*it;
    }
    [[nodiscard]] std::string name(const char* key) const { return m_where.empty() ? key : m_where + "." + key; }

    Result<std::string> string(const char* key, std::string fallback = {}) const
    {
        auto* value = find(key);
        if (!value)
            return fallback;
        if (!value->is_string())
            return Error::invalid(name(key) + ": expected a string, got " + quote_json_for_error(*value));
        return value->get<std::string>();
    }
    Result<bool> boolean(const char* key, bool fallback) const
    {
        auto* value = find(key);
        if (!value)
            return fallback;
        if (!value->is_boolean())
            return Error::invalid(name(key) + ": expected true or false, got " + quote_json_for_error(*value));
        return value->get<bool>();
    }
    Result<std::int64_t> integer(const char* key, std::int64_t fallback = 0) const
    {
        auto* value = find(key);
        if (!value)
            return fallback;
        if (!value->is_number())
            return Error::invalid(name(key) + ": expected a number, got " + quote_json_for_error(*value));
        // 1e20 or 2^64-1 would not fit: converting them is undefined (a float) or wraps (an
        // unsigned), and a limit would silently become something else.
        if (value->is_number_float()) {
            double number = value->get<double>();
            if (!(number >= -9.2e18 && number <= 9.2e18) || number != static_cast<double>(static_cast<std::int64_t>(number)))
                return Error::invalid(name(key) + ": " + quote_json_for_error(*value) + " is not a whole number in the 64-bit range");
            return static_cast<std::int64_t>(number);
        }
        if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
            return Error::invalid(name(key) + ": " + quote_json_for_error(*value) + " is out of the 64-bit range");
        return value->get<std::int64_t>();
    }
    // ["a","b"], or a single string (Docker's strslice accepts both).
    Result<std::optional<std::vector<std::string>>> string_list(const char* key) const
    {
        auto* value = find(key);
        if (!value)
            return std::optional<std::vector<std::string>> {};
        std::vector<std::string> out;
        if (value->is_string()) {
            out.push_back(value->get<std::string>());
            return std::optional { out };
        }
        if (!value->is_array())
            return Error::invalid(name(key) + ": expected a list of strings, got " + quote_json_for_error(*value));
        for (auto& item : *value) {
            if (!item.is_string())
                return Error::invalid(name(key) + ": expected a list of strings, got " + quote_json_for_error(*value));
            out.push_back(item.get<std::string>());
        }
        return std::optional { out };
    }
    Result<std::vector<std::string>> strings(const char* key) const
    {
        auto list = TRY(string_list(key));
        return list ? *list : std::vector<std::string> {};
    }
    Result<std::map<std::string, std::string>> string_map(const char* key) const
    {
        std::map<std::string, std::string> out;
        auto* value = find(key);
        if (!value)
            return out;
        if (!value->is_object())
            return Error::invalid(name(key) + ": expected an object of strings, got " + quote_json_for_error(*value));
        for (auto& [k, v] : value->items()) {
            if (v.is_null())
                out[k] = "";
            else if (v.is_string())
                out[k] = v.get<std::string>();
            else
                return Error::invalid(name(key) + "." + quote_for_error(k) + ": expected a string, got " + quote_json_for_error(v));
        }
        return out;
    }
    // {"/data":{}} and {"80/tcp":{}}: the keys matter, the values are kept as they are.
    Result<std::map<std::string, Json>> key_set(const char* key) const
    {
        std::map<std::string, Json> out;
        auto* value = find(key);
        if (!value)
            return out;
        if (!value->is_object())
            return Error::invalid(name(key) + ": expected an object, got " + quote_json_for_error(*value));
        for (auto& [k, v] : value->items())
            out[k] = v.is_null() ? Json::object() : v;
        return out;
    }
    Result<Reader> object(const char* key) const
    {
        auto* value = find(key);
        if (!value)
            return Reader(s_empty, name(key));
        if (!value->is_object())
            return Error::invalid(name(key) + ": expected an object, got " + quote_json_for_error(*value));
        return Reader(*value, name(key));
    }
    [[nodiscard]] const Json& json() const { return m_object; }

private:
    static inline const Json s_empty = Json::object();
    const Json& m_object;
    std::string m_where;
};

Json string_list_or_null(const std::vector<std::string>& list)
{
    return list.empty() ? Json(nullptr) : Json(list);
}

Json optional_list(const std::optional<std::vector<std::string>>& list)
{
    return list ? Json(*list) : Json(nullptr);
}

Json map_or_null(const std::map<std::string, std::string>& map)
{
    return map.empty() ? Json(nullptr) : Json(map);
}

Json key_set_or_null(const std::map<std::string, Json>& map)
{
    if (map.empty())
        return nullptr;
    Json out = Json::object();
    for (auto& [k, v] : map)
        out[k] = v;
    return out;
}

std::int64_t unix_seconds(const std::string& rfc3339)
{
    system_clock::time_point when;
    if (!strings::parse_rfc3339(rfc3339, when))
        return 0;
    return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

} // namespace

// [SECTION] Requests.

namespace {

// A name that goes into a kernel field or a file in the container (hostname, /etc/hosts,
// /etc/resolv.conf): no control characters or spaces, which would add lines to those files.
Result<void> check_plain_name(const std::string& field, const std::string& value, std::size_t max_bytes)
{
    if (value.size() > max_bytes)
        return Error::invalid(field + ": longer than " + std::to_string(max_bytes) + " bytes");
    for (unsigned char c : value) {
        if (c <= 0x20 || c == 0x7f || c == '/')
            return Error::invalid(field + ": " + quote_for_error("\"" + value + "\"") + " contains a space, a control character or '/'");
    }
    return Ok {};
}

// Mount destinations that would hide or replace the container's /proc, /sys, /dev or root (runc
// refuses mounts onto /proc; CVE-2019-16884 used a volume there to fake /proc/self/attr). Paths
// are compared after "//", "." and ".." are resolved as text.
Result<void> check_mount_destination(const std::string& field, const std::string& destination)
{
    auto parts = safe_path::clean_components(destination);
    std::string clean = "/" + strings::join(parts, "/");
    if (parts.empty() || clean == "/sys" || clean == "/dev" || parts.front() == "proc")
        return Error::invalid(field + ": cannot mount over " + quote_for_error(clean) + " (the container's own "
            + (parts.empty() ? std::string("root") : "/" + parts.front()) + ")");
    return Ok {};
}

// One HostConfig.Mounts entry as a MountSpec. The rules every mount keeps are the volume
// module's (volume::check_mount_spec, in dockerd's words); the JSON's own shape is checked here.
Result<volume::MountSpec> mount_spec_from_json(const Reader& mount)
{
    volume::MountSpec spec;
    spec.type = TRY_CTX(volume::parse_mount_type(TRY(mount.string("Type", "volume"))), mount.name("Type"));
    spec.source = TRY(mount.string("Source"));
    spec.target = TRY(mount.string("Target"));
    if (spec.target.empty())
        return Error::invalid(mount.name("Target") + ": a mount needs a target path");
    TRY(check_mount_destination(mount.name("Target"), spec.target));
    spec.read_only = TRY(mount.boolean("ReadOnly", false));
    spec.no_copy = TRY(TRY(mount.object("VolumeOptions")).boolean("NoCopy", false));
    spec.propagation = TRY(TRY(mount.object("BindOptions")).string("Propagation"));
    // The tmpfs options as mount(2) takes them: size in bytes, mode in octal.
    auto tmpfs_options = TRY(mount.object("TmpfsOptions"));
    std::vector<std::string> options;
    if (auto size = TRY(tmpfs_options.integer("SizeBytes", 0)); size > 0)
        options.push_back("size=" + std::to_string(size));
    if (auto mode = TRY(tmpfs_options.integer("Mode", 0)); mode > 0) {
        char text[24];
        std::snprintf(text, sizeof text, "mode=%o", static_cast<unsigned>(mode));
        options.push_back(text);
    }
    if (spec.type == volume::MountSpec::Type::Tmpfs)
        spec.tmpfs_options = strings::join(options, ",");
    TRY(volume::check_mount_spec(spec));
    return spec;
}

const std::vector<std::string>& ulimit_names()
{
    static const std::vector<std::string> names { "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
        "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack" };
    return names;
}

} // namespace

Result<daemon::ContainerConfig> container_config_from_json(const Json& body)
{
    if (!body.is_object())
        return Error::invalid("container config: expected a JSON object");
    Reader top(body, "");
    daemon::ContainerConfig config;

    // Config (the top level of the create body).
    config.hostname = TRY(top.string("Hostname"));
    config.domainname = TRY(top.string("Domainname"));
    config.user = TRY(top.string("User"));
    config.attach_stdin = TRY(top.boolean("AttachStdin", false));
    config.attach_stdout = TRY(top.boolean("AttachStdout", false));
    config.attach_stderr = TRY(top.boolean("AttachStderr", false));
    config.tty = TRY(top.boolean("Tty", false));
    config.open_stdin = TRY(top.boolean("OpenStdin", false));
    config.stdin_once = TRY(top.boolean("StdinOnce", false));
    config.env = TRY(top.strings("Env"));
    config.cmd = TRY(top.string_list("Cmd"));
    config.entrypoint = TRY(top.string_list("Entrypoint"));
    auto image_text = TRY(top.string("Image"));
    config.volumes = TRY(top.key_set("Volumes"));
    config.working_dir = TRY(top.string("WorkingDir"));
    config.labels = TRY(top.string_map("Labels"));
    config.stop_signal = TRY(top.string("StopSignal"));
    if (top.find("StopTimeout"))
        config.stop_timeout = static_cast<int>(TRY(top.integer("StopTimeout")));
    config.exposed_ports = TRY(top.key_set("ExposedPorts"));
    config.mac_address = TRY(top.string("MacAddress"));
    if (!config.mac_address.empty())
        TRY_CTX(daemon::check_mac_address(config.mac_address), "MacAddress");
    if (auto* healthcheck = top.find("Healthcheck"))
        config.healthcheck = TRY(daemon::health_config_from_json(*healthcheck));
    if (image_text.empty())
        return Error::invalid("config: Image is required");
    // Parsed once here; a bad one is dockerd's "invalid reference format: ..." with the text.
    config.image = TRY(image::ImageName::parse(image_text));
    // The kernel keeps 64 bytes of a hostname (sethostname(2)); a newline would add a line to
    // /etc/hosts.
    TRY(check_plain_name("Hostname", config.hostname, 64));
    TRY(check_plain_name("Domainname", config.domainname, 255));
    for (const auto& volume : config.volumes)
        TRY(check_mount_destination("Volumes." + quote_for_error(volume.first), volume.first));

    // HostConfig.
    auto host = TRY(top.object("HostConfig"));
    // Binds and Mounts are parsed here, once; the Engine keeps the MountSpecs (and the text of
    // Binds and the JSON of Mounts, which inspect shows as sent).
    config.binds = TRY(host.strings("Binds"));
    for (std::size_t i = 0; i < config.binds.size(); ++i) {
        // Every refusal names the entry, as the other HostConfig fields do.
        std::string field = "HostConfig.Binds[" + std::to_string(i) + "]";
        config.bind_specs.push_back(TRY_CTX(volume::parse_volume_spec(config.binds[i]), field));
        TRY(check_mount_destination(field, config.bind_specs.back().target));
    }
    if (auto* mounts = host.find("Mounts")) {
        if (!mounts->is_array())
            return Error::invalid("HostConfig.Mounts: expected a list, got " + quote_json_for_error(*mounts));
        config.mounts_json = *mounts;
        for (size_t i = 0; i < mounts->size(); ++i)
            config.mounts.push_back(TRY(mount_spec_from_json(Reader((*mounts)[i], "HostConfig.Mounts[" + std::to_string(i) + "]"))));
    }
    config.tmpfs = TRY(host.string_map("Tmpfs"));
    for (const auto& [path, options] : config.tmpfs)
        TRY(check_mount_destination("HostConfig.Tmpfs." + quote_for_error(path), path));
    // Read for validation only: glassbox does not size /dev/shm or set rlimits yet, but values
    // Docker refuses must not pass create silently.
    if (TRY(host.integer("ShmSize", 0)) < 0)
        return Error::invalid("HostConfig.ShmSize: SHM size can not be less than 0");
    if (auto* ulimits = host.find("Ulimits")) {
        if (!ulimits->is_array())
            return Error::invalid("HostConfig.Ulimits: expected a list, got " + quote_json_for_error(*ulimits));
        for (std::size_t i = 0; i < ulimits->size(); ++i) {
            Reader ulimit((*ulimits)[i], "HostConfig.Ulimits[" + std::to_string(i) + "]");
            auto limit_name = TRY(ulimit.string("Name"));
            if (std::find(ulimit_names().begin(), ulimit_names().end(), limit_name) == ulimit_names().end())
                return Error::invalid(ulimit.name("Name") + ": unknown ulimit " + quote_for_error("\"" + limit_name + "\""));
            auto soft = TRY(ulimit.integer("Soft", 0));
            auto hard = TRY(ulimit.integer("Hard", 0));
            if (soft < -1 || hard < -1)
                return Error::invalid(ulimit.name("Soft") + ": a ulimit is -1 (unlimited) or a positive number");
            if (hard != -1 && (soft == -1 || soft > hard))
                return Error::invalid(ulimit.name("Soft") + ": the soft limit " + std::to_string(soft)
                    + " is above the hard limit " + std::to_string(hard));
        }
    }
    config.network_mode = TRY_CTX(daemon::NetworkMode::parse(TRY(host.string("NetworkMode", "default"))), "HostConfig.NetworkMode");
    if (auto* bindings = host.find("PortBindings")) {
        if (!bindings->is_object())
            return Error::invalid("HostConfig.PortBindings: expected an object, got " + quote_json_for_error(*bindings));
        for (auto& [port, list] : bindings->items()) {
            auto field = "HostConfig.PortBindings." + quote_for_error(port);
            auto& out = config.port_bindings[TRY_CTX(daemon::ContainerPort::parse(port), "HostConfig.PortBindings")];
            if (list.is_null())
                continue;
            if (!list.is_array())
                return Error::invalid(field + ": expected a list, got " + quote_json_for_error(list));
            for (std::size_t i = 0; i < list.size(); ++i) {
                auto where = field + "[" + std::to_string(i) + "]";
                Reader b(list[i], where);
                out.push_back(TRY_CTX(daemon::PortBinding::parse(TRY(b.string("HostIp")), TRY(b.string("HostPort"))), where));
            }
        }
    }
    config.publish_all_ports = TRY(host.boolean("PublishAllPorts", false));
    auto restart = TRY(host.object("RestartPolicy"));
    config.restart_policy.name = TRY(restart.string("Name", "no"));
    if (config.restart_policy.name.empty())
        config.restart_policy.name = "no";
    config.restart_policy.maximum_retry_count = static_cast<int>(TRY(restart.integer("MaximumRetryCount")));
    config.auto_remove = TRY(host.boolean("AutoRemove", false));
    config.cap_add = TRY(host.strings("CapAdd"));
    config.cap_drop = TRY(host.strings("CapDrop"));
    config.privileged = TRY(host.boolean("Privileged", false));
    config.readonly_rootfs = TRY(host.boolean("ReadonlyRootfs", false));
    if (host.find("Init"))
        config.init = TRY(host.boolean("Init", false));
    config.memory = TRY(host.integer("Memory"));
    config.memory_swap = TRY(host.integer("MemorySwap"));
    config.nano_cpus = TRY(host.integer("NanoCpus"));
    config.cpu_shares = TRY(host.integer("CpuShares"));
    config.cpu_quota = TRY(host.integer("CpuQuota"));
    config.cpu_period = TRY(host.integer("CpuPeriod"));
    // The CLI sends PidsLimit 0 for "unset"; Docker treats 0 and -1 as unlimited.
    if (auto pids = TRY(host.integer("PidsLimit", 0)); pids > 0)
        config.pids_limit = pids;
    config.links = TRY(host.strings("Links"));
    config.memory_reservation = TRY(host.integer("MemoryReservation"));
    config.blkio_weight = TRY(host.integer("BlkioWeight"));
    config.cpuset_cpus = TRY(host.string("CpusetCpus"));
    config.cpuset_mems = TRY(host.string("CpusetMems"));
    config.isolation = TRY(host.string("Isolation"));
    config.volume_driver = TRY(host.string("VolumeDriver"));
    config.group_add = TRY(host.strings("GroupAdd"));
    auto pid_mode = TRY(host.string("PidMode"));
    config.pid_mode = TRY_CTX(daemon::PidMode::parse(pid_mode), "HostConfig.PidMode");
    for (const auto& entry : TRY(host.strings("VolumesFrom")))
        config.volumes_from.push_back(TRY_CTX(daemon::VolumesFrom::parse(entry), "HostConfig.VolumesFrom"));
    config.device_cgroup_rules = TRY(host.strings("DeviceCgroupRules"));
    for (std::size_t i = 0; i < config.device_cgroup_rules.size(); ++i)
        TRY_CTX(runtime::check_device_rule(config.device_cgroup_rules[i]),
            "HostConfig.DeviceCgroupRules[" + std::to_string(i) + "]");
    auto log_config = TRY(host.object("LogConfig"));
    auto log_type = TRY(log_config.string("Type"));
    if (!log_type.empty() && log_type != "json-file")
        return Error::invalid("HostConfig.LogConfig.Type: glassbox keeps logs with the json-file driver only, got \"" + log_type + "\"");
    config.log_config = TRY(log_config.string_map("Config"));
    config.dns = TRY(host.strings("Dns"));
    for (std::size_t i = 0; i < config.dns.size(); ++i) {
        in6_addr address {};
        const auto& server = config.dns[i];
        if (::inet_pton(AF_INET, server.c_str(), &address) != 1 && ::inet_pton(AF_INET6, server.c_str(), &address) != 1)
            return Error::invalid("HostConfig.Dns[" + std::to_string(i) + "]: " + quote_for_error("\"" + server + "\"") + " is not an IP address");
    }
    config.extra_hosts = TRY(host.strings("ExtraHosts"));
    for (std::size_t i = 0; i < config.extra_hosts.size(); ++i) {
        for (unsigned char c : config.extra_hosts[i]) {
            if (c < 0x20 || c == 0x7f)
                return Error::invalid("HostConfig.ExtraHosts[" + std::to_string(i) + "]: contains a control character");
        }
    }
    config.security_opt = TRY(host.strings("SecurityOpt"));
    // A seccomp profile arrives as JSON text inside a string: its nesting is limited like any
    // client JSON, and it is parsed now so a mistake is a 400 naming the profile's field.
    for (const auto& option : config.security_opt) {
        if (option.size() > 8 && option[8] == '{')
            TRY_CTX(check_json_depth(std::string_view(option).substr(8)), "HostConfig.SecurityOpt: seccomp profile");
    }
    TRY(runtime::validate_seccomp_option(config.security_opt));
    if (auto* console = host.find("ConsoleSize")) {
        if (!console->is_array())
            return Error::invalid("HostConfig.ConsoleSize: expected [rows, cols], got " + quote_json_for_error(*console));
        for (auto& n : *console) {
            if (!n.is_number_unsigned() && !n.is_number_integer())
                return Error::invalid("HostConfig.ConsoleSize: expected [rows, cols], got " + quote_json_for_error(*console));
            config.console_size.push_back(static_cast<std::uint16_t>(std::clamp<std::int64_t>(n.get<std::int64_t>(), 0, 65535)));
        }
        if (config.console_size.size() == 2 && config.console_size[0] == 0 && config.console_size[1] == 0)
            config.console_size.clear();
    }

    // NetworkingConfig: the CLI wraps endpoints in EndpointsConfig; docker-py 7.1 sends
    // {"bridge": null} without the wrapper. Only aliases and a requested IPv4 matter here.
    auto networking = TRY(top.object("NetworkingConfig"));
    const Json* endpoints = networking.find("EndpointsConfig");
    if (!endpoints && networking.json().is_object() && !networking.json().empty())
        endpoints = &networking.json();
    if (endpoints && endpoints->is_object()) {
        for (auto& [network, endpoint] : endpoints->items()) {
            if (!endpoint.is_object())
                continue;
            Reader e(endpoint, "NetworkingConfig.EndpointsConfig." + network);
            auto aliases = TRY(e.strings("Aliases"));
            if (!aliases.empty())
                config.network_aliases[network] = aliases;
            auto ipam = TRY(e.object("IPAMConfig"));
            auto ipv4 = TRY(ipam.string("IPv4Address"));
            if (!ipv4.empty())
                config.network_ipv4[network] = ipv4;
            // dockerd checks the form at create ("invalid IPv6 address: ..."), and whether the
            // network has an IPv6 subnet when the container connects.
            auto ipv6 = TRY(ipam.string("IPv6Address"));
            if (!ipv6.empty()) {
                TRY(network::Ipv6::parse(ipv6));
                config.network_ipv6[network] = ipv6;
            }
            auto mac = TRY(e.string("MacAddress"));
            if (!mac.empty()) {
                TRY_CTX(daemon::check_mac_address(mac), e.name("MacAddress"));
                config.network_mac[network] = mac;
            }
        }
    }
    return config;
}

Result<daemon::ExecConfig> exec_config_from_json(const Json& body)
{
    if (!body.is_object())
        return Error::invalid("exec config: expected a JSON object");
    Reader top(body, "");
    daemon::ExecConfig config;
    config.cmd = TRY(top.strings("Cmd"));
    if (config.cmd.empty())
        return Error::invalid("exec config: Cmd is required (no command specified)");
    config.env = TRY(top.strings("Env"));
    config.user = TRY(top.string("User"));
    config.working_dir = TRY(top.string("WorkingDir"));
    config.tty = TRY(top.boolean("Tty", false));
    config.attach_stdin = TRY(top.boolean("AttachStdin", false));
    config.attach_stdout = TRY(top.boolean("AttachStdout", false));
    config.attach_stderr = TRY(top.boolean("AttachStderr", false));
    config.privileged = TRY(top.boolean("Privileged", false));
    config.detach_keys = TRY(top.string("DetachKeys"));
    if (auto* console = top.find("ConsoleSize"); console && console->is_array()) {
        for (auto& n : *console) {
            if (n.is_number_integer())
                config.console_size.push_back(static_cast<std::uint16_t>(std::clamp<std::int64_t>(n.get<std::int64_t>(), 0, 65535)));
        }
    }
    return config;
}

Result<network::NetworkConfig> network_config_from_json(const Json& body)
{
    if (!body.is_object())
        return Error::invalid("network config: expected a JSON object");
    Reader top(body, "");
    network::NetworkConfig config;
    config.name = TRY(top.string("Name"));
    if (config.name.empty())
        return Error::invalid("network config: Name is required");
    config.driver = TRY(top.string("Driver", "bridge"));
    if (config.driver.empty())
        config.driver = "bridge";
    config.options = TRY(top.string_map("Options"));
    config.labels = TRY(top.string_map("Labels"));
    config.internal = TRY(top.boolean("Internal", false));
    config.attachable = TRY(top.boolean("Attachable", false));
    config.enable_ipv6 = TRY(top.boolean("EnableIPv6", false));
    auto ipam = TRY(top.object("IPAM"));
    if (auto* list = ipam.find("Config")) {
        if (!list->is_array())
            return Error::invalid("IPAM.Config: expected a list, got " + quote_json_for_error(*list));
        // One IPv4 entry and one IPv6 entry at most, told apart by the subnet (or the gateway).
        bool seen4 = false, seen6 = false;
        for (std::size_t i = 0; i < list->size(); ++i) {
            Reader e((*list)[i], "IPAM.Config[" + std::to_string(i) + "]");
            auto subnet = TRY(e.string("Subnet"));
            auto gateway = TRY(e.string("Gateway"));
            bool v6 = subnet.empty() ? network::is_ipv6_text(gateway) : network::is_ipv6_text(subnet);
            if (v6 ? seen6 : seen4)
                return Error::unsupported("IPAM.Config: glassbox supports one IPv4 and one IPv6 subnet per network, got "
                    + std::to_string(list->size()) + " entries");
            (v6 ? seen6 : seen4) = true;
            if (v6) {
                config.subnet6 = subnet;
                config.gateway6 = gateway;
                config.ip_range6 = TRY(e.string("IPRange"));
                config.aux_addresses6 = TRY(e.string_map("AuxiliaryAddresses"));
                continue;
            }
            config.subnet = subnet;
            config.gateway = gateway;
            config.ip_range = TRY(e.string("IPRange"));
            config.aux_addresses = TRY(e.string_map("AuxiliaryAddresses"));
        }
    }
    return config;
}

// [SECTION] Containers.

std::string container_status_text(const daemon::ContainerState& state, system_clock::time_point now)
{
    auto since = [&](const std::string& when) {
        system_clock::time_point then;
        if (!strings::parse_rfc3339(when, then) || unix_seconds(when) <= 0)
            return std::string();
        auto age = std::chrono::duration_cast<std::chrono::seconds>(now - then);
        if (age.count() < 0)
            age = std::chrono::seconds(0);
        return strings::human_duration(age);
    };
    using daemon::Status;
    switch (state.status) {
    case Status::Created:
        return "Created";
    case Status::Running:
        return "Up " + since(state.started_at);
    case Status::Paused:
        return "Up " + since(state.started_at) + " (Paused)";
    case Status::Restarting: {
        auto ago = since(state.finished_at);
        return "Restarting (" + std::to_string(state.exit_code) + ") " + (ago.empty() ? "" : ago + " ago");
    }
    case Status::Removing:
        return "Removal In Progress";
    case Status::Exited: {
        auto ago = since(state.finished_at);
        return "Exited (" + std::to_string(state.exit_code) + ")" + (ago.empty() ? "" : " " + ago + " ago");
    }
    case Status::Dead:
        return "Dead";
    }
    return "";
}

std::string container_command_text(const ContainerView& view)
{
    std::vector<std::string> parts;
    if (!view.path.empty())
        parts.push_back(view.path);
    parts.insert(parts.end(), view.args.begin(), view.args.end());
    return strings::join(parts, " ");
}

static Json mount_json(const daemon::MountPoint& mount)
{
    Json out = { { "Type", mount.type }, { "Source", mount.source }, { "Destination", mount.destination },
        { "Mode", mount.mode }, { "RW", mount.rw }, { "Propagation", mount.propagation } };
    if (mount.type == "volume") {
        out["Name"] = mount.name;
        out["Driver"] = "local";
    }
    return out;
}

static Json port_bindings_json(const std::map<daemon::ContainerPort, std::vector<daemon::PortBinding>>& bindings)
{
    Json out = Json::object();
    for (auto& [port, list] : bindings) {
        Json entries = Json::array();
        for (auto& b : list)
            entries.push_back({ { "HostIp", b.host_ip }, { "HostPort", b.host_port_text() } });
        out[port.key()] = entries;
    }
    return out;
}

// VolumesFrom as sent ("name", "name:ro"), null when empty as dockerd shows it.
static Json volumes_from_json(const std::vector<daemon::VolumesFrom>& entries)
{
    std::vector<std::string> texts;
    for (const auto& entry : entries)
        texts.push_back(entry.text());
    return string_list_or_null(texts);
}

static Json host_config_json(const daemon::ContainerConfig& c)
{
    Json restart = { { "Name", c.restart_policy.name }, { "MaximumRetryCount", c.restart_policy.maximum_retry_count } };
    Json console = c.console_size.size() == 2 ? Json(c.console_size) : Json::array({ 0, 0 });
    Json out = {
        { "Binds", string_list_or_null(c.binds) },
        { "ContainerIDFile", "" },
        { "LogConfig", { { "Type", "json-file" }, { "Config", c.log_config } } },
        { "NetworkMode", c.network_mode.text() },
        { "PortBindings", port_bindings_json(c.port_bindings) },
        { "RestartPolicy", restart },
        { "AutoRemove", c.auto_remove },
        { "VolumeDriver", c.volume_driver },
        { "VolumesFrom", volumes_from_json(c.volumes_from) },
        { "CapAdd", string_list_or_null(c.cap_add) },
        { "CapDrop", string_list_or_null(c.cap_drop) },
        { "CgroupnsMode", "private" },
        { "Dns", c.dns },
        { "DnsOptions", Json::array() },
        { "DnsSearch", Json::array() },
        { "ExtraHosts", string_list_or_null(c.extra_hosts) },
        { "GroupAdd", string_list_or_null(c.group_add) },
        { "IpcMode", "private" },
        { "Cgroup", "" },
        { "Links", string_list_or_null(c.links) },
        { "OomScoreAdj", 0 },
        { "PidMode", c.pid_mode.text() },
        { "Privileged", c.privileged },
        { "PublishAllPorts", c.publish_all_ports },
        { "ReadonlyRootfs", c.readonly_rootfs },
        { "SecurityOpt", string_list_or_null(c.security_opt) },
        { "UTSMode", "" },
        { "UsernsMode", "" },
        { "ShmSize", 67108864 },
        { "Runtime", "runc" }, // What dockerd reports; clients compare it with "runc".
        { "ConsoleSize", console },
        { "Isolation", c.isolation },
        { "CpuShares", c.cpu_shares },
        { "Memory", c.memory },
        { "NanoCpus", c.nano_cpus },
        { "CgroupParent", "" },
        { "BlkioWeight", c.blkio_weight },
        { "CpuPeriod", c.cpu_period },
        { "CpuQuota", c.cpu_quota },
        { "CpusetCpus", c.cpuset_cpus },
        { "CpusetMems", c.cpuset_mems },
        { "Devices", Json::array() },
        { "DeviceCgroupRules", string_list_or_null(c.device_cgroup_rules) },
        { "MemoryReservation", c.memory_reservation },
        { "MemorySwap", c.memory_swap },
        { "MemorySwappiness", nullptr },
        { "OomKillDisable", false },
        { "PidsLimit", c.pids_limit ? Json(*c.pids_limit) : Json(nullptr) },
        { "Ulimits", Json::array() },
        { "Init", c.init ? Json(*c.init) : Json(nullptr) },
    };
    if (!c.mounts_json.empty())
        out["Mounts"] = c.mounts_json;
    if (!c.tmpfs.empty())
        out["Tmpfs"] = c.tmpfs;
    return out;
}

static Json config_json(const ContainerView& view)
{
    auto& c = view.config;
    Json out = {
        { "Hostname", c.hostname.empty() ? view.id.substr(0, 12) : c.hostname },
        { "Domainname", c.domainname },
        { "User", c.user },
        { "AttachStdin", c.attach_stdin },
        { "AttachStdout", c.attach_stdout },
        { "AttachStderr", c.attach_stderr },
        { "Tty", c.tty },
        { "OpenStdin", c.open_stdin },
        { "StdinOnce", c.stdin_once },
        { "Env", string_list_or_null(c.env) },
        { "Cmd", optional_list(c.cmd) },
        { "Image", c.image.text },
        { "Volumes", key_set_or_null(c.volumes) },
        { "WorkingDir", c.working_dir },
        { "Entrypoint", optional_list(c.entrypoint) },
        { "OnBuild", nullptr },
        { "Labels", c.labels },
    };
    if (!c.mac_address.empty())
        out["MacAddress"] = c.mac_address;
    if (!c.exposed_ports.empty())
        out["ExposedPorts"] = key_set_or_null(c.exposed_ports);
    if (!c.stop_signal.empty())
        out["StopSignal"] = c.stop_signal;
    if (c.stop_timeout)
        out["StopTimeout"] = *c.stop_timeout;
    if (c.healthcheck)
        out["Healthcheck"] = daemon::health_config_to_json(*c.healthcheck);
    return out;
}

// IPAMConfig shows the addresses asked for on this network (null when none), as dockerd does.
static Json endpoint_json(const daemon::EndpointInfo& e, const daemon::ContainerConfig& config)
{
    Json ipam_config = nullptr;
    if (auto it = config.network_ipv4.find(e.network_name); it != config.network_ipv4.end())
        ipam_config["IPv4Address"] = it->second;
    if (auto it = config.network_ipv6.find(e.network_name); it != config.network_ipv6.end())
        ipam_config["IPv6Address"] = it->second;
    return {
        { "IPAMConfig", ipam_config },
        { "Links", nullptr },
        { "Aliases", string_list_or_null(e.aliases) },
        { "NetworkID", e.network_id },
        { "EndpointID", e.endpoint_id },
        { "Gateway", e.gateway },
        { "IPAddress", e.ip_address },
        { "IPPrefixLen", e.prefix_length },
        { "IPv6Gateway", e.ipv6_gateway },
        { "GlobalIPv6Address", e.ipv6_address },
        { "GlobalIPv6PrefixLen", e.ipv6_prefix_length },
        { "MacAddress", e.mac_address },
        { "DriverOpts", nullptr },
    };
}

// NetworkSettings.Ports: published ports with their bindings (HostIp "" shown as 0.0.0.0), and
// exposed but unpublished ports as null, as dockerd shows them.
static Json inspect_ports_json(const ContainerView& view)
{
    Json out = Json::object();
    for (auto& [port, _] : view.config.exposed_ports)
        out[port] = nullptr;
    for (auto& [port, list] : view.ports) {
        Json entries = Json::array();
        for (auto& b : list)
            entries.push_back({ { "HostIp", b.host_ip.empty() ? "0.0.0.0" : b.host_ip }, { "HostPort", std::to_string(b.host_port) } });
        out[port] = entries;
    }
    return out;
}

static Json network_settings_json(const ContainerView& view)
{
    Json networks = Json::object();
    const daemon::EndpointInfo* bridge = nullptr;
    for (auto& e : view.endpoints) {
        networks[e.network_name] = endpoint_json(e, view.config);
        if (e.network_name == "bridge")
            bridge = &e;
    }
    return {
        { "Bridge", "" },
        { "SandboxID", view.netns_path.empty() ? "" : view.id },
        { "HairpinMode", false },
        { "LinkLocalIPv6Address", "" },
        { "LinkLocalIPv6PrefixLen", 0 },
        { "Ports", inspect_ports_json(view) },
        { "SandboxKey", view.netns_path },
        { "SecondaryIPAddresses", nullptr },
        { "SecondaryIPv6Addresses", nullptr },
        { "EndpointID", bridge ? bridge->endpoint_id : "" },
        { "Gateway", bridge ? bridge->gateway : "" },
        { "GlobalIPv6Address", bridge ? bridge->ipv6_address : "" },
        { "GlobalIPv6PrefixLen", bridge ? bridge->ipv6_prefix_length : 0 },
        { "IPAddress", bridge ? bridge->ip_address : "" },
        { "IPPrefixLen", bridge ? bridge->prefix_length : 0 },
        { "IPv6Gateway", bridge ? bridge->ipv6_gateway : "" },
        { "MacAddress", bridge ? bridge->mac_address : "" },
        { "Networks", networks },
    };
}

Json container_inspect_json(const ContainerView& view)
{
    auto& s = view.state;
    using daemon::Status;
    Json state = {
        { "Status", std::string(daemon::status_name(s.status)) },
        { "Running", s.status == Status::Running || s.status == Status::Paused },
        { "Paused", s.status == Status::Paused },
        { "Restarting", s.status == Status::Restarting },
        { "OOMKilled", s.oom_killed },
        { "Dead", s.status == Status::Dead },
        { "Pid", s.pid },
        { "ExitCode", s.exit_code },
        { "Error", s.error },
        { "StartedAt", s.started_at },
        { "FinishedAt", s.finished_at },
    };
    if (!s.health.status.empty())
        state["Health"] = daemon::health_state_to_json(s.health);
    Json mounts = Json::array();
    for (auto& m : view.mounts)
        mounts.push_back(mount_json(m));
    Json graph_data = {
        { "LowerDir", strings::join(view.lower_dirs, ":") },
        { "UpperDir", view.upper_dir },
        { "WorkDir", view.work_dir },
        { "MergedDir", view.rootfs },
    };
    Json out = {
        { "Id", view.id },
        { "Created", view.created },
        { "Path", view.path },
        { "Args", view.args },
        { "State", state },
        { "Image", view.image_id },
        { "ResolvConfPath", view.resolv_conf_path },
        { "HostnamePath", view.hostname_path },
        { "HostsPath", view.hosts_path },
        { "LogPath", view.log_path },
        { "Name", "/" + view.name },
        { "RestartCount", s.restart_count },
        { "Driver", "overlay2" },
        { "Platform", "linux" },
        { "MountLabel", "" },
        { "ProcessLabel", "" },
        { "AppArmorProfile", "" },
        { "ExecIDs", nullptr },
        { "HostConfig", host_config_json(view.config) },
        { "GraphDriver", { { "Name", "overlay2" }, { "Data", graph_data } } },
        { "Mounts", mounts },
        { "Config", config_json(view) },
        { "NetworkSettings", network_settings_json(view) },
    };
    if (view.size_rw > 0)
        out["SizeRw"] = view.size_rw;
    // glassbox's own additions: where the kernel objects of this container live.
    out["Glassbox"] = { { "CgroupPaths", view.cgroup_paths }, { "NetnsPath", view.netns_path },
        { "Warnings", view.warnings } };
    return out;
}

// One ps "Ports" entry per binding (the IP "" shown as 0.0.0.0), and one without IP and
// PublicPort for each exposed but unpublished port.
static Json summary_ports_json(const ContainerView& view)
{
    Json out = Json::array();
    auto split_port = [](const std::string& key, int& number, std::string& proto) {
        auto slash = key.find('/');
        proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
        std::uint64_t n = 0;
        strings::parse_uint(key.substr(0, slash), n);
        number = static_cast<int>(n);
    };
    for (auto& [key, list] : view.ports) {
        int private_port = 0;
        std::string proto;
        split_port(key, private_port, proto);
        for (auto& b : list) {
            std::uint64_t public_port = b.host_port;
            out.push_back({ { "IP", b.host_ip.empty() ? "0.0.0.0" : b.host_ip }, { "PrivatePort", private_port },
                { "PublicPort", public_port }, { "Type", proto } });
        }
    }
    for (auto& [key, _] : view.config.exposed_ports) {
        if (view.ports.count(key) && !view.ports.at(key).empty())
            continue;
        int private_port = 0;
        std::string proto;
        split_port(key, private_port, proto);
        out.push_back({ { "PrivatePort", private_port }, { "Type", proto } });
    }
    return out;
}

Json container_summary_json(const ContainerView& view, system_clock::time_point now)
{
    Json networks = Json::object();
    for (auto& e : view.endpoints)
        networks[e.network_name] = endpoint_json(e, view.config);
    Json mounts = Json::array();
    for (auto& m : view.mounts)
        mounts.push_back(mount_json(m));
    Json out = {
        { "Id", view.id },
        { "Names", Json::array({ "/" + view.name }) },
        { "Image", view.config.image.text },
        { "ImageID", view.image_id },
        { "Command", container_command_text(view) },
        { "Created", unix_seconds(view.created) },
        { "Ports", summary_ports_json(view) },
        { "Labels", view.config.labels },
        { "State", std::string(daemon::status_name(view.state.status)) },
        { "Status", container_status_text(view.state, now)
                + (view.state.status == daemon::Status::Running ? daemon::health_status_suffix(view.state.health) : std::string()) },
        { "HostConfig", { { "NetworkMode", view.config.network_mode.text() } } },
        { "NetworkSettings", { { "Networks", networks } } },
        { "Mounts", mounts },
    };
    if (view.size_rw > 0)
        out["SizeRw"] = view.size_rw;
    return out;
}

// [SECTION] Exec.

Json exec_inspect_json(const daemon::ExecView& view)
{
    auto& c = view.config;
    std::vector<std::string> arguments;
    if (c.cmd.size() > 1)
        arguments.assign(c.cmd.begin() + 1, c.cmd.end());
    return {
        { "ID", view.id },
        { "Running", view.running },
        { "ExitCode", view.exited ? Json(view.exit_code) : Json(nullptr) },
        { "ProcessConfig",
            { { "tty", c.tty }, { "entrypoint", c.cmd.empty() ? "" : c.cmd[0] }, { "arguments", arguments },
                { "privileged", c.privileged }, { "user", c.user } } },
        { "OpenStdin", c.attach_stdin },
        { "OpenStderr", c.attach_stderr },
        { "OpenStdout", c.attach_stdout },
        { "CanRemove", false },
        { "ContainerID", view.container_id },
        { "DetachKeys", "" },
        { "Pid", view.pid },
    };
}

// [SECTION] Images.

Json image_summary_json(const image::ImageRecord& record, int containers)
{
    Json labels = nullptr;
    if (const auto& image_labels = record.config.defaults().labels; image_labels && !image_labels->empty())
        labels = *image_labels;
    return {
        { "Containers", containers },
        { "Created", record.created },
        { "Id", record.id },
        { "Labels", labels },
        { "ParentId", record.parent },
        { "RepoDigests", Json::array() },
        { "RepoTags", record.repo_tags },
        { "SharedSize", -1 },
        { "Size", record.size },
        { "VirtualSize", record.size },
    };
}

Json image_inspect_json(const image::ImageRecord& record)
{
    const auto& c = record.config;
    // The container defaults as the config has them: every key, unmodelled ones included.
    Json config = c.config ? c.config->to_json() : Json::object();
    std::string comment;
    if (c.history && !c.history->empty())
        comment = c.history->back().comment.value_or("");
    std::string created = c.created.value_or("");
    if (created.empty())
        created = strings::rfc3339_nano(system_clock::time_point(std::chrono::seconds(record.created)));
    std::vector<std::string> diff_ids;
    std::vector<std::string> dirs;
    for (auto it = record.layers.rbegin(); it != record.layers.rend(); ++it)
        dirs.push_back(it->directory);
    for (auto& layer : record.layers)
        diff_ids.push_back(layer.diff_id);
    return {
        { "Id", record.id },
        { "RepoTags", record.repo_tags },
        { "RepoDigests", Json::array() },
        { "Parent", record.parent },
        { "Comment", comment },
        { "Created", created },
        { "Container", "" },
        { "ContainerConfig", Json::object() },
        { "DockerVersion", "" },
        { "Author", c.author.value_or("") },
        { "Config", config },
        { "Architecture", c.architecture.value_or("amd64") },
        { "Os", c.os.value_or("linux") },
        { "Size", record.size },
        { "VirtualSize", record.size },
        { "GraphDriver", { { "Name", "overlay2" }, { "Data", { { "LowerDir", strings::join(dirs, ":") } } } } },
        { "RootFS", { { "Type", "layers" }, { "Layers", diff_ids } } },
        // Go clients parse LastTagTime as a time, so it must never be "".
        { "Metadata", { { "LastTagTime", created } } },
    };
}

Json image_history_json(const std::vector<image::HistoryEntry>& entries)
{
    Json out = Json::array();
    for (auto& e : entries) {
        out.push_back({ { "Id", e.id }, { "Created", e.created }, { "CreatedBy", e.created_by },
            { "Tags", string_list_or_null(e.tags) }, { "Size", e.size }, { "Comment", e.comment } });
    }
    return out;
}

Json image_delete_json(const std::vector<image::DeleteItem>& items)
{
    Json out = Json::array();
    for (auto& item : items) {
        if (!item.untagged.empty())
            out.push_back({ { "Untagged", item.untagged } });
        if (!item.deleted.empty())
            out.push_back({ { "Deleted", item.deleted } });
    }
    return out;
}

// [SECTION] Volumes and networks.

Json volume_json(const volume::Volume& v)
{
    return {
        { "CreatedAt", v.created_at },
        { "Driver", v.driver },
        { "Labels", map_or_null(v.labels) },
        { "Mountpoint", v.mountpoint },
        { "Name", v.name },
        { "Options", map_or_null(v.options) },
        { "Scope", "local" },
    };
}

Json network_json(const network::NetworkRecord& view, const std::function<std::string(const std::string&)>& container_name)
{
    Json ipam_config = Json::array();
    if (!view.subnet.empty()) {
        Json entry = { { "Subnet", view.subnet } };
        if (view.gateway_given && !view.gateway.empty())
            entry["Gateway"] = view.gateway;
        if (!view.ip_range.empty())
            entry["IPRange"] = view.ip_range;
        if (!view.aux_addresses.empty())
            entry["AuxiliaryAddresses"] = view.aux_addresses;
        ipam_config.push_back(entry);
    }
    if (!view.subnet6.empty()) {
        Json entry = { { "Subnet", view.subnet6 } };
        if (!view.ip_range6.empty())
            entry["IPRange"] = view.ip_range6;
        if (view.gateway6_given && !view.gateway6.empty())
            entry["Gateway"] = view.gateway6;
        if (!view.aux_addresses6.empty())
            entry["AuxiliaryAddresses"] = view.aux_addresses6;
        ipam_config.push_back(entry);
    }
    Json containers = Json::object();
    for (auto& [id, e] : view.containers) {
        containers[id] = {
            { "Name", container_name ? container_name(id) : "" },
            { "EndpointID", e.endpoint_id },
            { "MacAddress", e.mac_address },
            { "IPv4Address", e.ip_address.empty() ? "" : e.ip_address + "/" + std::to_string(e.prefix_length) },
            { "IPv6Address", e.ipv6_address.empty() ? "" : e.ipv6_address + "/" + std::to_string(e.ipv6_prefix_length) },
        };
    }
    Json out = {
        { "Name", view.name },
        { "Id", view.id },
        { "Created", view.created },
        { "Scope", view.scope },
        { "Driver", view.driver },
        { "EnableIPv6", view.enable_ipv6 },
        { "IPAM", { { "Driver", "default" }, { "Options", Json::object() }, { "Config", ipam_config } } },
        { "Internal", view.internal },
        { "Attachable", view.attachable },
        { "Ingress", false },
        { "ConfigFrom", { { "Network", "" } } },
        { "ConfigOnly", false },
        { "Containers", containers },
        { "Options", view.options },
        { "Labels", view.labels },
    };
    if (!view.warnings.empty())
        out["Glassbox"] = { { "Warnings", view.warnings } };
    return out;
}

// [SECTION] Events.

Json event_json(const daemon::Event& event)
{
    Json attributes = Json::object();
    for (auto& [k, v] : event.attributes)
        attributes[k] = v;
    Json out = Json::object();
    // The legacy fields exist only on container and image events.
    if (event.type == "container" || event.type == "image") {
        out["status"] = event.action;
        out["id"] = event.actor_id;
        auto image = event.attributes.find("image");
        if (image != event.attributes.end())
            out["from"] = image->second;
    }
    out["Type"] = event.type;
    out["Action"] = event.action;
    out["Actor"] = { { "ID", event.actor_id }, { "Attributes", attributes } };
    out["scope"] = "local";
    out["time"] = event.time_nano / 1000000000;
    out["timeNano"] = event.time_nano;
    return out;
}

bool event_matches(const daemon::Event& event, const daemon::Filters& filters)
{
    auto accepts = [&](const char* key, const std::function<bool(const std::string&)>& test) {
        auto it = filters.find(key);
        if (it == filters.end() || it->second.empty())
            return true;
        return std::any_of(it->second.begin(), it->second.end(), test);
    };
    auto attr = [&](const char* name) {
        auto it = event.attributes.find(name);
        return it == event.attributes.end() ? std::string() : it->second;
    };
    // "container=web" matches events of that object type whose id (or a prefix of it) or name
    // is "web"; likewise for volumes and networks.
    auto object_filter = [&](const char* key) {
        return accepts(key, [&](const std::string& v) {
            return event.type == key
                && (v == event.actor_id || strings::starts_with(event.actor_id, v) || v == attr("name"));
        });
    };
    if (!accepts("type", [&](const std::string& v) { return v == event.type; }))
        return false;
    // Actions such as "exec_start: sh" match the filter "exec_start".
    if (!accepts("event", [&](const std::string& v) {
            return v == event.action || strings::starts_with(event.action, v + ":");
        }))
        return false;
    for (const char* key : { "container", "volume", "network" }) {
        if (!object_filter(key))
            return false;
    }
    if (!accepts("image", [&](const std::string& v) {
            return v == attr("image") || (event.type == "image" && (v == event.actor_id || v == attr("name")));
        }))
        return false;
    // Every label filter must match, as for the lists (daemon/filters.h).
    if (auto labels = filters.find("label"); labels != filters.end() && !daemon::labels_match_all(event.attributes, labels->second))
        return false;
    return true;
}

} // namespace engine::api
