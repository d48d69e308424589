// run/create flags -> Docker create body. The body keeps the docker CLI's shape (every
// HostConfig key it always sends, NetworkingConfig.EndpointsConfig for "default"), so the
// daemon sees the same request from `glassbox run` as from `docker run`.
#include "engine/cli/run_options.h"
#include "engine/cli/lesson_label.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::cli {

namespace {

CLI::Option* add_list(CLI::App& command, const std::string& names, std::vector<std::string>& target,
    const std::string& description)
{
    return command.add_option(names, target, description)->allow_extra_args(false);
}

// "80", "80-82" -> [first, last].
Result<std::pair<std::uint64_t, std::uint64_t>> parse_port_range(std::string_view text, std::string_view spec)
{
    auto invalid = [&] { return Error::invalid("invalid port \"" + std::string(text) + "\" in -p/--expose " + std::string(spec)); };
    auto dash = text.find('-');
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (dash == std::string_view::npos) {
        if (!strings::parse_uint(text, first))
            return invalid();
        last = first;
    } else if (!strings::parse_uint(text.substr(0, dash), first) || !strings::parse_uint(text.substr(dash + 1), last)) {
        return invalid();
    }
    if (first == 0 || last > 65535 || last < first)
        return invalid();
    return std::make_pair(first, last);
}

Result<std::string> split_proto(std::string_view& port_part, std::string_view spec)
{
    std::string proto = "tcp";
    auto slash = port_part.find('/');
    if (slash != std::string_view::npos) {
        proto = strings::to_lower(port_part.substr(slash + 1));
        port_part = port_part.substr(0, slash);
        if (proto != "tcp" && proto != "udp" && proto != "sctp")
            return Error::invalid("invalid protocol \"" + proto + "\" in " + std::string(spec) + " (tcp, udp or sctp)");
    }
    return proto;
}

Json restart_policy(std::string_view text, Result<void>& status)
{
    Json policy { { "Name", "no" }, { "MaximumRetryCount", 0 } };
    if (text.empty())
        return policy;
    auto colon = text.find(':');
    std::string name(text.substr(0, colon));
    if (name != "no" && name != "always" && name != "unless-stopped" && name != "on-failure") {
        status = Error::invalid("invalid restart policy \"" + std::string(text) + "\" for --restart (no, always, unless-stopped, on-failure[:max-retries])");
        return policy;
    }
    policy["Name"] = name;
    if (colon != std::string_view::npos) {
        std::uint64_t retries = 0;
        if (name != "on-failure" || !strings::parse_uint(text.substr(colon + 1), retries)) {
            status = Error::invalid("invalid restart policy \"" + std::string(text) + "\" for --restart: only on-failure takes a retry count");
            return policy;
        }
        policy["MaximumRetryCount"] = retries;
    }
    return policy;
}

Result<std::string> resolve_env(const std::string& entry)
{
    if (entry.empty() || entry[0] == '=')
        return Error::invalid("invalid environment variable \"" + entry + "\" for -e/--env");
    if (entry.find('=') != std::string::npos)
        return entry;
    const char* value = std::getenv(entry.c_str());
    if (value == nullptr)
        return std::string();
    return entry + "=" + value;
}

} // namespace

void add_run_flags(CLI::App& command, RunFlags& flags, RunVerb verb, const FlagWords& words)
{
    // -h is --hostname here, as in docker; help stays on --help.
    command.set_help_flag("--help", "Print usage");
    auto flag = [&](const char* names, bool& target, const char* description) {
        if (words.may_name(names))
            command.add_flag(names, target, description);
    };
    auto option = [&](const char* names, auto& target, const char* description) {
        if (words.may_name(names))
            command.add_option(names, target, description);
    };
    auto list = [&](const char* names, std::vector<std::string>& target, const char* description) {
        if (words.may_name(names))
            add_list(command, names, target, description);
    };
    if (verb == RunVerb::Run)
        flag("-d,--detach", flags.detach, "Run the container in the background and print its ID");
    flag("-i,--interactive", flags.interactive, "Keep STDIN open even if not attached");
    flag("-t,--tty", flags.tty, "Allocate a pseudo-TTY");
    flag("--rm", flags.remove, "Automatically remove the container when it exits");
    option("--name", flags.name, "Assign a name to the container");
    list("-e,--env", flags.env, "Set environment variables (KEY=VALUE or KEY)");
    list("--env-file", flags.env_files, "Read in a file of environment variables");
    option("-w,--workdir", flags.workdir, "Working directory inside the container");
    option("-u,--user", flags.user, "Username or UID (format: <name|uid>[:<group|gid>])");
    option("-h,--hostname", flags.hostname, "Container host name");
    list("-v,--volume", flags.volumes, "Bind mount a volume (SRC:DST[:OPTS] or DST)");
    list("--mount", flags.mounts, "Attach a filesystem mount (type=...,src=...,dst=...)");
    list("--tmpfs", flags.tmpfs, "Mount a tmpfs directory (DST[:OPTS])");
    list("-p,--publish", flags.publish, "Publish a container's port(s) to the host");
    flag("-P,--publish-all", flags.publish_all, "Publish all exposed ports to random ports");
    list("--expose", flags.expose, "Expose a port or a range of ports");
    option("--network,--net", flags.network, "Connect the container to a network");
    list("--network-alias", flags.network_aliases, "Add a network-scoped alias for the container");
    option("--ip", flags.ip, "IPv4 address (e.g., 172.30.100.104)");
    option("--ip6", flags.ip6, "IPv6 address (e.g., 2001:db8::33)");
    option("--restart", flags.restart, "Restart policy to apply when a container exits");
    option("-m,--memory", flags.memory, "Memory limit (e.g. 32m, 1g)");
    option("--memory-swap", flags.memory_swap, "Swap limit equal to memory plus swap: -1 for unlimited");
    option("--cpus", flags.cpus, "Number of CPUs (e.g. 1.5)");
    option("-c,--cpu-shares", flags.cpu_shares, "CPU shares (relative weight)");
    option("--pids-limit", flags.pids_limit, "Tune container pids limit (-1 for unlimited)");
    list("--cap-add", flags.cap_add, "Add Linux capabilities");
    list("--cap-drop", flags.cap_drop, "Drop Linux capabilities");
    flag("--privileged", flags.privileged, "Give extended privileges to this container");
    flag("--read-only", flags.read_only, "Mount the container's root filesystem as read only");
    flag("--init", flags.init, "Run an init inside the container that forwards signals and reaps processes");
    option("--entrypoint", flags.entrypoint, "Overwrite the default ENTRYPOINT of the image");
    list("-l,--label", flags.labels, "Set meta data on a container");
    option("--stop-signal", flags.stop_signal, "Signal to stop the container");
    option("--stop-timeout", flags.stop_timeout, "Timeout (in seconds) to stop a container");
    list("--link", flags.links, "Add link to another container (refused: legacy, see lesson 08)");
    list("--dns", flags.dns, "Set custom DNS servers");
    list("--add-host", flags.add_hosts, "Add a custom host-to-IP mapping (host:ip)");
    list("--security-opt", flags.security_opts, "Security Options");
    option("--pid", flags.pid, "PID namespace to use (host, or container:<name|id>)");
    option("--mac-address", flags.mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
    list("--device-cgroup-rule", flags.device_cgroup_rules, "Add a rule to the cgroup allowed devices list");
    list("--volumes-from", flags.volumes_from, "Mount volumes from the specified container(s)");
    command.add_option("IMAGE", flags.image, "Image to run")->required();
    command.add_option("COMMAND", flags.command, "Command and arguments");
    command.positionals_at_end();
    command.prefix_command();
    reject_unknown_flags(command);
}

void reject_unknown_flags(CLI::App& command)
{
    // With positionals_at_end, every word from the first positional on is a positional's, so the
    // extras CLI11 kept are the unknown flags before it, and a "--" it keeps as the end of them.
    command.parse_complete_callback([&command] {
        std::vector<std::string> unknown;
        for (auto& word : command.remaining())
            if (word != "--")
                unknown.push_back(std::move(word));
        // ExtrasError names its words last first (CLI11 keeps its arguments reversed).
        std::reverse(unknown.begin(), unknown.end());
        if (!unknown.empty())
            throw CLI::ExtrasError(command.get_name(), std::move(unknown));
    });
}

FlagWords::FlagWords(std::span<const char* const> words)
    : m_every(words.empty())
{
    for (std::string_view word : words) {
        if (word.starts_with("--")) {
            auto equals = word.find('=');
            std::string_view name = word.substr(2, equals == std::string_view::npos ? equals : equals - 2);
            // CLI11 answers --help (and --help=x) with the help of every flag.
            if (name == "help")
                m_every = true;
            m_long.push_back(name);
        } else if (word.starts_with("-")) {
            for (char letter : word.substr(1))
                m_short[static_cast<unsigned char>(letter)] = true;
        }
    }
}

bool FlagWords::may_name(std::string_view names) const
{
    if (m_every)
        return true;
    while (!names.empty()) {
        auto comma = names.find(',');
        std::string_view name = names.substr(0, comma);
        names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
        if (name.starts_with("--")) {
            if (std::find(m_long.begin(), m_long.end(), name.substr(2)) != m_long.end())
                return true;
        } else if (name.starts_with("-")) {
            if (name.size() == 2 && m_short[static_cast<unsigned char>(name[1])])
                return true;
        } else {
            return true;
        }
    }
    return false;
}

Result<std::int64_t> parse_memory_bytes(std::string_view text)
{
    auto invalid = [&] { return Error::invalid("invalid size: '" + std::string(text) + "' (expected a number with an optional unit b, k, m, g, t or p)"); };
    std::string value = strings::to_lower(strings::trim(text));
    size_t number_end = 0;
    while (number_end < value.size() && (std::isdigit(static_cast<unsigned char>(value[number_end])) || value[number_end] == '.'))
        ++number_end;
    if (number_end == 0)
        return invalid();
    double number = 0;
    try {
        number = std::stod(value.substr(0, number_end));
    } catch (const std::exception&) {
        return invalid();
    }
    std::string unit = value.substr(number_end);
    double multiplier = 1;
    static const std::pair<const char*, double> units[] = {
        { "", 1 }, { "b", 1 },
        { "k", 1024.0 }, { "kb", 1024.0 }, { "kib", 1024.0 },
        { "m", 1024.0 * 1024 }, { "mb", 1024.0 * 1024 }, { "mib", 1024.0 * 1024 },
        { "g", 1024.0 * 1024 * 1024 }, { "gb", 1024.0 * 1024 * 1024 }, { "gib", 1024.0 * 1024 * 1024 },
        { "t", 1024.0 * 1024 * 1024 * 1024 }, { "tb", 1024.0 * 1024 * 1024 * 1024 }, { "tib", 1024.0 * 1024 * 1024 * 1024 },
        { "p", 1024.0 * 1024 * 1024 * 1024 * 1024 }, { "pb", 1024.0 * 1024 * 1024 * 1024 * 1024 }, { "pib", 1024.0 * 1024 * 1024 * 1024 * 1024 },
    };
    bool known = false;
    for (const auto& [name, factor] : units) {
        if (unit == name) {
            multiplier = factor;
            known = true;
        }
    }
    if (!known)
        return invalid();
    double bytes = number * multiplier;
    if (bytes >= 9.2e18)
        return invalid();
    return static_cast<std::int64_t>(bytes);
}

Result<std::int64_t> parse_nano_cpus(std::string_view text)
{
    std::string value = strings::trim(text);
    try {
        size_t used = 0;
        double cpus = std::stod(value, &used);
        if (used != value.size() || !(cpus >= 0) || cpus > 1e6)
            throw std::invalid_argument("range");
        return static_cast<std::int64_t>(std::llround(cpus * 1e9));
    } catch (const std::exception&) {
        return Error::invalid("invalid value \"" + value + "\" for --cpus: expected a number of CPUs such as 1.5");
    }
}

Result<void> add_port_binding(std::string_view spec, Json& exposed_ports, Json& port_bindings)
{
    // Split from the right: the container part is last; an IPv6 host IP sits in brackets.
    std::string_view rest = spec;
    std::string host_ip;
    if (!rest.empty() && rest[0] == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
            return Error::invalid("invalid -p " + std::string(spec) + ": unterminated [IPv6] address");
        host_ip = std::string(rest.substr(1, close - 1));
        rest = rest.substr(close + 2);
    }
    std::vector<std::string> parts = strings::split(rest, ':');
    if (parts.empty() || parts.size() > 3 || (parts.size() == 3 && !host_ip.empty()))
        return Error::invalid("invalid -p " + std::string(spec) + ": expected [ip:][hostPort:]containerPort[/proto]");
    std::string_view container_part = parts.back();
    std::string host_port;
    if (parts.size() == 3) {
        host_ip = parts[0];
        host_port = parts[1];
    } else if (parts.size() == 2) {
        host_port = parts[0];
    }
    auto proto = TRY(split_proto(container_part, spec));
    auto [first, last] = TRY(parse_port_range(container_part, spec));
    std::uint64_t host_first = 0;
    std::uint64_t host_last = 0;
    if (!host_port.empty()) {
        std::tie(host_first, host_last) = TRY(parse_port_range(host_port, spec));
        if (host_last - host_first != last - first && host_first != host_last)
            return Error::invalid("invalid -p " + std::string(spec) + ": host and container port ranges differ in size");
    }
    for (std::uint64_t port = first; port <= last; ++port) {
        std::string key = std::to_string(port) + "/" + proto;
        exposed_ports[key] = Json::object();
        std::string bound;
        if (!host_port.empty()) {
            // A single host port with a container range means "pick from this port" in docker;
            // glassbox binds port-for-port when the sizes match.
            bound = std::to_string(host_first == host_last ? host_first : host_first + (port - first));
        }
        if (!port_bindings.contains(key))
            port_bindings[key] = Json::array();
        port_bindings[key].push_back({ { "HostIp", host_ip }, { "HostPort", bound } });
    }
    return Ok {};
}

Result<std::vector<std::string>> read_env_file(const std::string& path)
{
    std::ifstream file(path);
    if (!file)
        return Error::from_errno("open env file " + path, errno);
    std::vector<std::string> entries;
    std::string line;
    int number = 0;
    while (std::getline(file, line)) {
        ++number;
        auto text = strings::trim(line);
        if (text.empty() || text[0] == '#')
            continue;
        if (text[0] == '=')
            return Error::invalid("env file " + path + " line " + std::to_string(number) + ": variable name is empty");
        auto resolved = TRY(resolve_env(text));
        if (!resolved.empty())
            entries.push_back(resolved);
    }
    return entries;
}

Result<Json> parse_mount_spec(std::string_view spec)
{
    Json mount = Json::object();
    std::string type = "volume";
    bool read_only = false;
    Json bind_options = Json::object();
    Json tmpfs_options = Json::object();
    Json volume_options = Json::object();
    for (const auto& field : strings::split(spec, ',')) {
        auto eq = field.find('=');
        std::string key = strings::to_lower(strings::trim(field.substr(0, eq)));
        std::string value = eq == std::string::npos ? std::string() : field.substr(eq + 1);
        if (key == "type") {
            type = value;
        } else if (key == "source" || key == "src") {
            mount["Source"] = value;
        } else if (key == "target" || key == "destination" || key == "dst") {
            mount["Target"] = value;
        } else if (key == "readonly" || key == "ro") {
            read_only = eq == std::string::npos || value == "1" || value == "true";
        } else if (key == "bind-propagation") {
            bind_options["Propagation"] = value;
        } else if (key == "volume-nocopy") {
            volume_options["NoCopy"] = eq == std::string::npos || value == "1" || value == "true";
        } else if (key == "tmpfs-size") {
            tmpfs_options["SizeBytes"] = TRY(parse_memory_bytes(value));
        } else if (key == "tmpfs-mode") {
            try {
                tmpfs_options["Mode"] = std::stoul(value, nullptr, 8);
            } catch (const std::exception&) {
                return Error::invalid("invalid tmpfs-mode \"" + value + "\" in --mount " + std::string(spec));
            }
        } else {
            return Error::invalid("unexpected key '" + key + "' in --mount " + std::string(spec));
        }
    }
    if (type != "volume" && type != "bind" && type != "tmpfs")
        return Error::invalid("invalid mount type \"" + type + "\" in --mount " + std::string(spec) + " (bind, volume or tmpfs)");
    if (!mount.contains("Target") || mount["Target"].get<std::string>().empty())
        return Error::invalid("--mount " + std::string(spec) + ": target is required");
    if (type == "bind" && (!mount.contains("Source") || mount["Source"].get<std::string>().empty()))
        return Error::invalid("--mount " + std::string(spec) + ": source is required for a bind mount");
    mount["Type"] = type;
    if (read_only)
        mount["ReadOnly"] = true;
    if (!bind_options.empty())
        mount["BindOptions"] = bind_options;
    if (!tmpfs_options.empty())
        mount["TmpfsOptions"] = tmpfs_options;
    if (!volume_options.empty())
        mount["VolumeOptions"] = volume_options;
    return mount;
}

Result<Json> build_create_body(const RunFlags& flags)
{
    if (flags.image.empty())
        return Error::invalid("\"run\" requires at least 1 argument: IMAGE");
    Json body = Json::object();
    Json host = Json::object();

    // [SECTION] Config (the container's own settings)
    body["Hostname"] = flags.hostname;
    body["Domainname"] = "";
    body["User"] = flags.user;
    bool attached = !flags.detach;
    body["AttachStdin"] = attached && flags.interactive;
    body["AttachStdout"] = attached;
    body["AttachStderr"] = attached;
    body["Tty"] = flags.tty;
    body["OpenStdin"] = flags.interactive;
    body["StdinOnce"] = attached && flags.interactive;

    std::vector<std::string> env;
    for (const auto& file : flags.env_files)
        for (auto& entry : TRY(read_env_file(file)))
            env.push_back(std::move(entry));
    for (const auto& entry : flags.env) {
        auto resolved = TRY(resolve_env(entry));
        if (!resolved.empty())
            env.push_back(resolved);
    }
    body["Env"] = env.empty() ? Json(nullptr) : Json(env);
    body["Cmd"] = flags.command.empty() ? Json(nullptr) : Json(flags.command);
    body["Image"] = flags.image;

    Json volumes = Json::object();
    Json binds = Json::array();
    for (const auto& volume : flags.volumes) {
        if (volume.empty())
            return Error::invalid("invalid -v/--volume: empty");
        // "DST" alone is an anonymous volume; "SRC:DST[:OPTS]" a bind or named volume.
        auto parts = strings::split(volume, ':');
        if (parts.size() == 1) {
            if (volume[0] != '/')
                return Error::invalid("invalid -v " + volume + ": the container path must be absolute");
            volumes[volume] = Json::object();
            continue;
        }
        if (parts.size() > 3 || parts[0].empty() || parts[1].empty() || parts[1][0] != '/')
            return Error::invalid("invalid -v " + volume + ": expected SRC:DST[:OPTS] with an absolute DST");
        binds.push_back(volume);
    }
    body["Volumes"] = volumes;
    body["WorkingDir"] = flags.workdir;
    if (flags.entrypoint)
        body["Entrypoint"] = Json::array({ *flags.entrypoint });
    else
        body["Entrypoint"] = nullptr;
    body["OnBuild"] = nullptr;

    Json labels = Json::object();
    for (const auto& label : flags.labels) {
        auto eq = label.find('=');
        if (label.empty() || eq == 0)
            return Error::invalid("invalid label \"" + label + "\" for -l/--label: expected KEY[=VALUE]");
        labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
    }
    add_lesson_label(labels);
    body["Labels"] = labels;

    Json exposed = Json::object();
    Json bindings = Json::object();
    for (const auto& spec : flags.publish)
        TRY(add_port_binding(spec, exposed, bindings));
    for (const auto& spec : flags.expose) {
        std::string_view port_part = spec;
        auto proto = TRY(split_proto(port_part, spec));
        auto [first, last] = TRY(parse_port_range(port_part, spec));
        for (auto port = first; port <= last; ++port)
            exposed[std::to_string(port) + "/" + proto] = Json::object();
    }
    if (!exposed.empty())
        body["ExposedPorts"] = exposed;
    if (!flags.stop_signal.empty())
        body["StopSignal"] = flags.stop_signal;
    if (flags.stop_timeout)
        body["StopTimeout"] = *flags.stop_timeout;
    // API 1.41 carries --mac-address in Config (the newer per-endpoint field is 1.44).
    if (!flags.mac_address.empty())
        body["MacAddress"] = flags.mac_address;

    // [SECTION] HostConfig (what the host provides: mounts, network, limits, privileges)
    host["Binds"] = binds.empty() ? Json(nullptr) : binds;
    host["ContainerIDFile"] = "";
    host["LogConfig"] = { { "Type", "" }, { "Config", Json::object() } };
    host["NetworkMode"] = flags.network.empty() ? "default" : flags.network;
    host["PortBindings"] = bindings;
    Result<void> policy_status = Ok {};
    host["RestartPolicy"] = restart_policy(flags.restart, policy_status);
    TRY(std::move(policy_status));
    if (flags.remove && host["RestartPolicy"]["Name"] != "no")
        return Error::invalid("conflicting options: cannot specify both --restart and --rm");
    host["AutoRemove"] = flags.remove;
    host["VolumeDriver"] = "";
    host["VolumesFrom"] = flags.volumes_from.empty() ? Json(nullptr) : Json(flags.volumes_from);
    host["ConsoleSize"] = Json::array({ flags.console_rows, flags.console_cols });
    host["CapAdd"] = flags.cap_add.empty() ? Json(nullptr) : Json(flags.cap_add);
    host["CapDrop"] = flags.cap_drop.empty() ? Json(nullptr) : Json(flags.cap_drop);
    host["CgroupnsMode"] = "";
    host["Dns"] = flags.dns;
    host["DnsOptions"] = Json::array();
    host["DnsSearch"] = Json::array();
    Json extra_hosts = Json::array();
    for (const auto& entry : flags.add_hosts) {
        // Docker 28 accepts host=ip as well as host:ip; the API wants host:ip.
        auto sep = entry.find('=');
        if (sep == std::string::npos)
            sep = entry.find(':');
        if (sep == std::string::npos || sep == 0 || sep + 1 == entry.size())
            return Error::invalid("invalid --add-host " + entry + ": expected HOST:IP");
        extra_hosts.push_back(entry.substr(0, sep) + ":" + entry.substr(sep + 1));
    }
    host["ExtraHosts"] = extra_hosts.empty() ? Json(nullptr) : extra_hosts;
    host["GroupAdd"] = nullptr;
    host["IpcMode"] = "";
    host["Cgroup"] = "";
    // glassbox's own CLI refuses --link: the course notes forbid it as legacy (lesson 08 says
    // why). glassboxd still accepts Links from the docker CLI and SDK, with dockerd's deprecation
    // warning, so existing tools keep working.
    if (!flags.links.empty())
        return Error::invalid("--link " + flags.links.front()
            + " is refused: links are legacy (one-way /etc/hosts lines written once at start); put the "
              "containers on a user-defined network and use their names (lesson 08)");
    host["Links"] = nullptr;
    host["OomScoreAdj"] = 0;
    host["PidMode"] = flags.pid;
    host["Privileged"] = flags.privileged;
    host["PublishAllPorts"] = flags.publish_all;
    host["ReadonlyRootfs"] = flags.read_only;
    // As the docker CLI does, `seccomp=FILE` is sent as the file's contents.
    Json security_opts = Json::array();
    for (const auto& option : flags.security_opts) {
        auto value = option.size() > 8 ? option.substr(8) : std::string();
        bool seccomp = option.rfind("seccomp=", 0) == 0 || option.rfind("seccomp:", 0) == 0;
        if (seccomp && !value.empty() && value != "unconfined" && value != "default" && value != "builtin" && value.front() != '{')
            security_opts.push_back("seccomp=" + TRY_CTX(fs::read_file(value), "--security-opt seccomp=" + value));
        else
            security_opts.push_back(option);
    }
    host["SecurityOpt"] = security_opts.empty() ? Json(nullptr) : security_opts;
    if (!flags.tmpfs.empty()) {
        Json tmpfs = Json::object();
        for (const auto& entry : flags.tmpfs) {
            auto colon = entry.find(':');
            std::string target = entry.substr(0, colon);
            if (target.empty() || target[0] != '/')
                return Error::invalid("invalid --tmpfs " + entry + ": the path must be absolute");
            tmpfs[target] = colon == std::string::npos ? "" : entry.substr(colon + 1);
        }
        host["Tmpfs"] = tmpfs;
    }
    host["UTSMode"] = "";
    host["UsernsMode"] = "";
    host["ShmSize"] = 0;
    host["Isolation"] = "";
    host["CpuShares"] = flags.cpu_shares;
    host["Memory"] = flags.memory.empty() ? 0 : TRY_CTX(parse_memory_bytes(flags.memory), "-m/--memory");
    host["NanoCpus"] = flags.cpus.empty() ? 0 : TRY(parse_nano_cpus(flags.cpus));
    host["CgroupParent"] = "";
    host["BlkioWeight"] = 0;
    if (!flags.memory_swap.empty()) {
        if (flags.memory_swap == "-1")
            host["MemorySwap"] = -1;
        else
            host["MemorySwap"] = TRY_CTX(parse_memory_bytes(flags.memory_swap), "--memory-swap");
        if (host["MemorySwap"].get<std::int64_t>() > 0 && host["Memory"].get<std::int64_t>() > host["MemorySwap"].get<std::int64_t>())
            return Error::invalid("minimum memoryswap limit should be larger than memory limit, see usage");
    } else {
        host["MemorySwap"] = 0;
    }
    host["MemorySwappiness"] = -1;
    host["OomKillDisable"] = false;
    host["PidsLimit"] = flags.pids_limit;
    host["Ulimits"] = Json::array();
    if (flags.init)
        host["Init"] = true;
    Json mounts = Json::array();
    for (const auto& spec : flags.mounts)
        mounts.push_back(TRY(parse_mount_spec(spec)));
    if (!mounts.empty())
        host["Mounts"] = mounts;
    if (!flags.device_cgroup_rules.empty())
        host["DeviceCgroupRules"] = flags.device_cgroup_rules;
    host["MaskedPaths"] = nullptr;
    host["ReadonlyPaths"] = nullptr;
    body["HostConfig"] = host;

    // [SECTION] NetworkingConfig: "default" gets an empty endpoint, as the docker CLI sends it;
    // a named network gets an endpoint only when there are aliases or a fixed address.
    Json endpoints = Json::object();
    std::string network = flags.network.empty() ? "default" : flags.network;
    if (flags.network.empty() || !flags.network_aliases.empty() || !flags.ip.empty() || !flags.ip6.empty()) {
        Json endpoint = {
            { "IPAMConfig", nullptr }, { "Links", nullptr }, { "Aliases", nullptr }, { "MacAddress", "" },
            { "NetworkID", "" }, { "EndpointID", "" }, { "Gateway", "" }, { "IPAddress", "" }, { "IPPrefixLen", 0 },
        };
        if (!flags.network_aliases.empty())
            endpoint["Aliases"] = flags.network_aliases;
        if (!flags.ip.empty())
            endpoint["IPAMConfig"]["IPv4Address"] = flags.ip;
        if (!flags.ip6.empty())
            endpoint["IPAMConfig"]["IPv6Address"] = flags.ip6;
        endpoints[network] = endpoint;
    }
    body["NetworkingConfig"] = { { "EndpointsConfig", endpoints } };
    return body;
}

} // namespace engine::cli
