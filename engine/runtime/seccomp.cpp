// See seccomp.h. The refused set and the argument filters follow Docker's default profile
// (moby/profiles seccomp/default.json): what it does not allow to a container with the 14
// default capabilities, and its argument rules for socket, personality and clone.
#include "engine/runtime/seccomp.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>
#include <seccomp.h>

#include "engine/runtime/capabilities.h"

namespace engine::runtime {

namespace {

struct ContextDeleter {
    void operator()(scmp_filter_ctx context) const { seccomp_release(context); }
};
using ContextPtr = std::unique_ptr<void, ContextDeleter>;

// Refused to every container (Docker allows none of these by default, or only with a
// capability outside its default set).
const std::vector<std::string>& always_refused()
{
    static const std::vector<std::string> names {
        // Kernel keyring: not namespaced, shared with the host (CVE-2016-0728 was a keyring bug).
        "keyctl", "add_key", "request_key",
        // io_uring bypasses seccomp for the operations it performs and had many bugs.
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        // Tracing, BPF and kernel memory views.
        "bpf", "perf_event_open", "userfaultfd", "lookup_dcookie",
        // The machine, not the container: reboot, kexec, modules, swap, accounting, clocks.
        "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "swapon",
        "swapoff", "acct", "settimeofday", "clock_settime", "stime", "adjtimex", "clock_adjtime", "syslog",
        "iopl", "ioperm", "vhangup", "quotactl", "quotactl_fd", "nfsservctl",
        // Old or obscure interfaces.
        "uselib", "ustat", "sysfs", "_sysctl", "vm86", "vm86old", "create_module", "get_kernel_syms",
        "query_module",
        // A file handle opens any inode on the filesystem, bypassing the mount (the "shocker"
        // escape used open_by_handle_at).
        "open_by_handle_at",
        // Moving the root is the runtime's job, never the container's.
        "pivot_root",
    };
    return names;
}

// Refused unless the process has CAP_SYS_ADMIN (Docker's includes.caps rules).
const std::vector<std::string>& sys_admin_only()
{
    static const std::vector<std::string> names { "mount", "umount", "umount2", "unshare", "setns", "fsopen",
        "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "sethostname", "setdomainname",
        "fanotify_init", "name_to_handle_at" };
    return names;
}

Result<void> add_rule(scmp_filter_ctx context, std::uint32_t action, const std::string& name,
    const std::vector<scmp_arg_cmp>& args = {})
{
    int number = seccomp_syscall_resolve_name(name.c_str());
    if (number == __NR_SCMP_ERROR)
        return Ok {}; // Not a system call on this architecture (vm86 on x86_64, ...).
    int rc = seccomp_rule_add_array(context, action, number, static_cast<unsigned int>(args.size()), args.data());
    if (rc != 0)
        return Error::from_errno("seccomp: add the rule for " + name, -rc);
    return Ok {};
}

// personality(2) may only take the values Docker allows: 0 (Linux), 0x8 (PER_LINUX32), 0x20000
// (UNAME26), 0x20008, and the query 0xffffffff; READ_IMPLIES_EXEC (0x400000) or
// ADDR_NO_RANDOMIZE (0x40000) are refused. libseccomp compares each argument once per rule and
// cannot add an allow rule under an allow default, so the complement is built from single
// comparisons: anything above 32 bits; within 32 bits, a "chain" over the 30 bits outside
// 0x20008 (bit k set and bit k+1 clear, around the circle), which only values with all or none
// of those bits set survive; and the three all-set values that are not 0xffffffff.
Result<void> add_personality_rules(scmp_filter_ctx context, std::uint32_t action)
{
    TRY(add_rule(context, action, "personality", { SCMP_A0(SCMP_CMP_GT, 0xffffffffULL) }));
    constexpr std::uint64_t allowed_bits = 0x20008;
    std::vector<std::uint64_t> chain;
    for (std::uint64_t bit = 1; bit <= 0x80000000ULL; bit <<= 1) {
        if (!(allowed_bits & bit))
            chain.push_back(bit);
    }
    for (std::size_t i = 0; i < chain.size(); ++i) {
        auto here = chain[i];
        auto next = chain[(i + 1) % chain.size()];
        TRY(add_rule(context, action, "personality", { SCMP_A0(SCMP_CMP_MASKED_EQ, here | next, here) }));
    }
    for (std::uint64_t value : { 0xfffdfff7ULL, 0xfffdffffULL, 0xfffffff7ULL })
        TRY(add_rule(context, action, "personality", { SCMP_A0(SCMP_CMP_EQ, value) }));
    return Ok {};
}

} // namespace

std::string seccomp_profile_for(bool privileged, const std::vector<std::string>& security_opt)
{
    std::string profile = privileged ? "" : std::string(k_default_seccomp_profile);
    for (const auto& option : security_opt) {
        if (option.rfind("seccomp=", 0) != 0 && option.rfind("seccomp:", 0) != 0)
            continue;
        auto value = option.substr(8);
        if (value == "unconfined")
            profile.clear();
        else if (value == "default" || value == "builtin")
            profile = std::string(k_default_seccomp_profile);
        else
            profile = value;
    }
    return profile;
}

// [SECTION] Docker's JSON profile format

namespace {

using Json = nlohmann::json;

// "SCMP_ACT_ERRNO" etc. -> libseccomp action; `errno_ret` fills ERRNO and TRACE.
Result<std::uint32_t> action_from(const Json& value, const std::string& field, std::uint32_t errno_ret)
{
    if (!value.is_string())
        return Error::invalid(field + ": expected a string such as \"SCMP_ACT_ERRNO\"");
    auto name = value.get<std::string>();
    if (name == "SCMP_ACT_ALLOW")
        return std::uint32_t { SCMP_ACT_ALLOW };
    if (name == "SCMP_ACT_ERRNO")
        return std::uint32_t { SCMP_ACT_ERRNO(errno_ret) };
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD")
        return std::uint32_t { SCMP_ACT_KILL_THREAD };
    if (name == "SCMP_ACT_KILL_PROCESS")
        return std::uint32_t { SCMP_ACT_KILL_PROCESS };
    if (name == "SCMP_ACT_TRAP")
        return std::uint32_t { SCMP_ACT_TRAP };
    if (name == "SCMP_ACT_TRACE")
        return std::uint32_t { SCMP_ACT_TRACE(errno_ret) };
    if (name == "SCMP_ACT_LOG")
        return std::uint32_t { SCMP_ACT_LOG };
    if (name == "SCMP_ACT_NOTIFY")
        return Error::invalid(field + ": SCMP_ACT_NOTIFY needs a listener, which glassbox does not run");
    return Error::invalid(field + ": unknown action \"" + name.substr(0, 40) + "\"");
}

Result<int> operator_from(const Json& value, const std::string& field)
{
    static const std::map<std::string, int> ops { { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE },
        { "SCMP_CMP_GT", SCMP_CMP_GT }, { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ } };
    if (!value.is_string())
        return Error::invalid(field + ": expected a string such as \"SCMP_CMP_EQ\"");
    auto it = ops.find(value.get<std::string>());
    if (it == ops.end())
        return Error::invalid(field + ": unknown operator \"" + value.get<std::string>().substr(0, 40) + "\"");
    return it->second;
}

// Docker's names ("SCMP_ARCH_X86_64") -> libseccomp tokens.
Result<std::uint32_t> arch_from(const Json& value, const std::string& field)
{
    if (!value.is_string())
        return Error::invalid(field + ": expected a string such as \"SCMP_ARCH_X86_64\"");
    auto name = value.get<std::string>();
    std::string lower;
    if (name.rfind("SCMP_ARCH_", 0) == 0) {
        for (char c : name.substr(10))
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::uint32_t token = lower.empty() ? 0 : seccomp_arch_resolve_name(lower.c_str());
    if (token == 0)
        return Error::invalid(field + ": unknown architecture \"" + name.substr(0, 40) + "\"");
    return token;
}

Result<std::uint64_t> number_from(const Json& value, const std::string& field)
{
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0))
        return Error::invalid(field + ": expected a non-negative integer");
    return value.get<std::uint64_t>();
}

Result<std::vector<std::string>> strings_from(const Json& value, const std::string& field)
{
    std::vector<std::string> out;
    if (value.is_null())
        return out;
    if (!value.is_array())
        return Error::invalid(field + ": expected an array of strings");
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string())
            return Error::invalid(field + "[" + std::to_string(i) + "]: expected a string");
        out.push_back(value[i].get<std::string>());
    }
    return out;
}

Result<void> check_keys(const Json& object, const std::string& field, std::initializer_list<const char*> known)
{
    if (!object.is_object())
        return Error::invalid(field + ": expected a JSON object");
    for (const auto& [key, unused] : object.items()) {
        (void)unused;
        if (std::none_of(known.begin(), known.end(), [&](const char* name) { return key == name; }))
            return Error::invalid((field.empty() ? "" : field + ".") + key.substr(0, 40) + ": unknown field");
    }
    return Ok {};
}

Result<void> read_filter(const Json& filter, const std::string& field, std::vector<std::string>& caps,
    std::vector<std::string>& arches)
{
    if (filter.is_null())
        return Ok {};
    TRY(check_keys(filter, field, { "caps", "arches", "minKernel" }));
    caps = TRY(strings_from(filter.value("caps", Json()), field + ".caps"));
    for (std::size_t i = 0; i < caps.size(); ++i)
        TRY_CTX(capability_number(caps[i]), field + ".caps[" + std::to_string(i) + "]");
    arches = TRY(strings_from(filter.value("arches", Json()), field + ".arches"));
    return Ok {};
}

Result<SeccompRule> rule_from(const Json& item, const std::string& field, std::uint32_t default_errno)
{
    TRY(check_keys(item, field, { "names", "name", "action", "args", "errnoRet", "includes", "excludes", "comment" }));
    SeccompRule rule;
    if (item.contains("names"))
        rule.names = TRY(strings_from(item["names"], field + ".names"));
    if (item.contains("name")) {
        if (!item["name"].is_string())
            return Error::invalid(field + ".name: expected a string");
        rule.names.push_back(item["name"].get<std::string>());
    }
    if (rule.names.empty())
        return Error::invalid(field + ".names: no system call named");
    std::uint32_t errno_ret = default_errno;
    if (item.contains("errnoRet"))
        errno_ret = static_cast<std::uint32_t>(TRY(number_from(item["errnoRet"], field + ".errnoRet")));
    if (!item.contains("action"))
        return Error::invalid(field + ".action: missing");
    rule.action = TRY(action_from(item["action"], field + ".action", errno_ret));
    if (item.contains("args") && !item["args"].is_null()) {
        const auto& args = item["args"];
        if (!args.is_array())
            return Error::invalid(field + ".args: expected an array");
        for (std::size_t i = 0; i < args.size(); ++i) {
            auto where = field + ".args[" + std::to_string(i) + "]";
            TRY(check_keys(args[i], where, { "index", "value", "valueTwo", "op" }));
            SeccompArgument arg;
            auto index = TRY(number_from(args[i].value("index", Json()), where + ".index"));
            if (index > 5)
                return Error::invalid(where + ".index: a system call has arguments 0 to 5, not " + std::to_string(index));
            arg.index = static_cast<unsigned>(index);
            arg.value = TRY(number_from(args[i].value("value", Json(0)), where + ".value"));
            arg.value_two = TRY(number_from(args[i].value("valueTwo", Json(0)), where + ".valueTwo"));
            arg.op = TRY(operator_from(args[i].value("op", Json()), where + ".op"));
            rule.args.push_back(arg);
        }
    }
    TRY(read_filter(item.value("includes", Json()), field + ".includes", rule.include_caps, rule.include_arches));
    TRY(read_filter(item.value("excludes", Json()), field + ".excludes", rule.exclude_caps, rule.exclude_arches));
    return rule;
}

} // namespace

Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text)
{
    auto root = Json::parse(json_text, nullptr, false);
    if (root.is_discarded())
        return Error::invalid("seccomp profile: not valid JSON");
    TRY_CTX(check_keys(root, "", { "defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                                     "flags", "listenerPath", "listenerMetadata" }),
        "seccomp profile");
    auto fail = [](Error error) { return std::move(error).with_context("seccomp profile"); };
    SeccompProfile profile;
    std::uint32_t default_errno = EPERM;
    if (root.contains("defaultErrnoRet")) {
        auto value = number_from(root["defaultErrnoRet"], "defaultErrnoRet");
        if (!value.ok())
            return fail(value.release_error());
        default_errno = static_cast<std::uint32_t>(value.value());
    }
    if (!root.contains("defaultAction"))
        return Error::invalid("seccomp profile: defaultAction: missing");
    auto action = action_from(root["defaultAction"], "defaultAction", default_errno);
    if (!action.ok())
        return fail(action.release_error());
    profile.default_action = action.value();

    auto add_arch = [&](const Json& value, const std::string& field) -> Result<void> {
        auto token = TRY(arch_from(value, field));
        if (std::find(profile.architectures.begin(), profile.architectures.end(), token) == profile.architectures.end())
            profile.architectures.push_back(token);
        return Ok {};
    };
    if (root.contains("architectures") && !root["architectures"].is_null()) {
        if (!root["architectures"].is_array())
            return Error::invalid("seccomp profile: architectures: expected an array");
        for (std::size_t i = 0; i < root["architectures"].size(); ++i) {
            if (auto added = add_arch(root["architectures"][i], "architectures[" + std::to_string(i) + "]"); !added.ok())
                return fail(added.release_error());
        }
    }
    // archMap (Docker's default profile): the native architecture's entry brings its
    // sub-architectures (x86 and x32 for x86_64).
    if (root.contains("archMap") && !root["archMap"].is_null()) {
        const auto& map = root["archMap"];
        if (!map.is_array())
            return Error::invalid("seccomp profile: archMap: expected an array");
        for (std::size_t i = 0; i < map.size(); ++i) {
            auto field = "archMap[" + std::to_string(i) + "]";
            if (auto keys = check_keys(map[i], field, { "architecture", "subArchitectures" }); !keys.ok())
                return fail(keys.release_error());
            auto main = arch_from(map[i].value("architecture", Json()), field + ".architecture");
            if (!main.ok())
                return fail(main.release_error());
            if (main.value() != seccomp_arch_native())
                continue;
            auto subs = strings_from(map[i].value("subArchitectures", Json()), field + ".subArchitectures");
            if (!subs.ok())
                return fail(subs.release_error());
            for (std::size_t j = 0; j < subs.value().size(); ++j) {
                auto added = add_arch(Json(subs.value()[j]), field + ".subArchitectures[" + std::to_string(j) + "]");
                if (!added.ok())
                    return fail(added.release_error());
            }
        }
    }
    if (root.contains("syscalls") && !root["syscalls"].is_null()) {
        const auto& list = root["syscalls"];
        if (!list.is_array())
            return Error::invalid("seccomp profile: syscalls: expected an array");
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto rule = rule_from(list[i], "syscalls[" + std::to_string(i) + "]", default_errno);
            if (!rule.ok())
                return fail(rule.release_error());
            profile.rules.push_back(rule.release_value());
        }
    }
    return profile;
}

Result<void> validate_seccomp_option(const std::vector<std::string>& security_opt)
{
    auto profile = seccomp_profile_for(false, security_opt);
    if (profile.empty() || profile == k_default_seccomp_profile)
        return Ok {};
    if (profile.front() != '{')
        return Error::invalid("HostConfig.SecurityOpt: seccomp=" + profile.substr(0, 60)
            + ": expected the profile's JSON (the docker CLI reads --security-opt seccomp=FILE and sends its contents)");
    TRY_CTX(parse_seccomp_profile(profile), "HostConfig.SecurityOpt");
    return Ok {};
}

namespace {

// The name the architecture filters in Docker's profiles use for this machine ("amd64").
std::string native_arch_name()
{
    switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
        return "amd64";
    case SCMP_ARCH_AARCH64:
        return "arm64";
    case SCMP_ARCH_X86:
        return "386";
    default:
        return "";
    }
}

bool has_cap(std::uint64_t capabilities, const std::string& name)
{
    auto number = capability_number(name);
    return number.ok() && ((capabilities >> number.value()) & 1U);
}

bool rule_applies(const SeccompRule& rule, std::uint64_t capabilities)
{
    auto arch = native_arch_name();
    for (const auto& cap : rule.include_caps) {
        if (!has_cap(capabilities, cap))
            return false;
    }
    for (const auto& cap : rule.exclude_caps) {
        if (has_cap(capabilities, cap))
            return false;
    }
    if (!rule.include_arches.empty()
        && std::find(rule.include_arches.begin(), rule.include_arches.end(), arch) == rule.include_arches.end())
        return false;
    return std::find(rule.exclude_arches.begin(), rule.exclude_arches.end(), arch) == rule.exclude_arches.end();
}

// One rule into libseccomp, as runc does: arguments on distinct indexes are one rule (all must
// match); several on the same index become one rule each (any may match). A rule whose action
// is the default action is redundant and skipped (libseccomp refuses it).
Result<void> add_profile_rule(scmp_filter_ctx ctx, const SeccompProfile& profile, const SeccompRule& rule,
    const std::string& name)
{
    if (rule.action == profile.default_action)
        return Ok {};
    std::vector<scmp_arg_cmp> all;
    bool distinct = true;
    for (const auto& arg : rule.args) {
        for (const auto& other : all)
            distinct = distinct && other.arg != arg.index;
        all.push_back({ arg.index, static_cast<scmp_compare>(arg.op), arg.value, arg.value_two });
    }
    if (distinct)
        return add_rule(ctx, rule.action, name, all);
    for (const auto& one : all)
        TRY(add_rule(ctx, rule.action, name, { one }));
    return Ok {};
}

Result<void> load_json_profile(std::string_view text, std::uint64_t capabilities)
{
    auto profile = TRY(parse_seccomp_profile(text));
    ContextPtr context(seccomp_init(profile.default_action));
    if (!context)
        return Error::system("seccomp_init failed");
    auto* ctx = context.get();
    if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return Error::from_errno("seccomp: clear the no_new_privs attribute", -rc);
    for (auto arch : profile.architectures) {
        if (int rc = seccomp_arch_add(ctx, arch); rc != 0 && rc != -EEXIST)
            return Error::from_errno("seccomp: add an architecture from the profile", -rc);
    }
    for (const auto& rule : profile.rules) {
        if (!rule_applies(rule, capabilities))
            continue;
        for (const auto& name : rule.names)
            TRY_CTX(add_profile_rule(ctx, profile, rule, name), "seccomp profile");
    }
    if (int rc = seccomp_load(ctx); rc != 0)
        return Error::from_errno("seccomp: load the filter", -rc);
    return Ok {};
}

} // namespace

std::vector<std::string> default_refused_syscalls()
{
    std::vector<std::string> names;
    for (const auto* list : { &always_refused(), &sys_admin_only() }) {
        for (const auto& name : *list) {
            if (seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR)
                names.push_back(name);
        }
    }
    return names;
}

Result<void> apply_seccomp_profile(std::string_view profile, std::uint64_t capabilities)
{
    if (profile.empty())
        return Ok {};
    if (profile != k_default_seccomp_profile)
        return load_json_profile(profile, capabilities);

    ContextPtr context(seccomp_init(SCMP_ACT_ALLOW));
    if (!context)
        return Error::system("seccomp_init failed");
    auto* ctx = context.get();
    // Docker does not set no_new_privs by default; the filter is loaded while the process still
    // has CAP_SYS_ADMIN, which makes the bit unnecessary.
    if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return Error::from_errno("seccomp: clear the no_new_privs attribute", -rc);
#if defined(__x86_64__)
    // The same rules for 32-bit and x32 system calls; a filter for the native architecture only
    // would let `int 0x80` through (libseccomp resolves each name per architecture).
    for (auto arch : { SCMP_ARCH_X86, SCMP_ARCH_X32 }) {
        if (int rc = seccomp_arch_add(ctx, arch); rc != 0 && rc != -EEXIST)
            return Error::from_errno("seccomp: add a secondary architecture", -rc);
    }
#endif
    const auto eperm = SCMP_ACT_ERRNO(EPERM);

    for (const auto& name : always_refused())
        TRY(add_rule(ctx, eperm, name));
    bool sys_admin = (capabilities >> CAP_SYS_ADMIN) & 1U;
    if (!sys_admin) {
        for (const auto& name : sys_admin_only())
            TRY(add_rule(ctx, eperm, name));
        // New namespaces through clone(2) need CAP_SYS_ADMIN too (except a user namespace, which
        // Docker refuses all the same). clone3 passes its flags in memory a filter cannot read,
        // so it gets ENOSYS and libc falls back to clone (Docker does the same).
        constexpr std::uint64_t namespace_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
            | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
        for (std::uint64_t flag = 1; flag != 0 && flag <= namespace_flags; flag <<= 1) {
            if (namespace_flags & flag)
                TRY(add_rule(ctx, eperm, "clone", { SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag) }));
        }
        TRY(add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3"));
    }

    // Sockets: AF_ALG (kernel crypto, a frequent source of bugs) and AF_VSOCK (the hypervisor).
    for (int family : { AF_ALG, AF_VSOCK })
        TRY(add_rule(ctx, eperm, "socket", { SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)) }));

    TRY(add_personality_rules(ctx, eperm));

    if (int rc = seccomp_load(ctx); rc != 0)
        return Error::from_errno("seccomp: load the filter", -rc);
    return Ok {};
}

} // namespace engine::runtime
