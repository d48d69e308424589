// Parsers for Docker's two mount syntaxes: `-v SRC:DST[:OPTS]` and `--mount key=value,...`.
// Every error quotes the whole spec and names the part at fault.
#include <string>

#include "engine/base/strings.h"
#include "engine/volume/volume.h"

namespace engine::volume {

static Error spec_error(const std::string& spec, const std::string& why)
{
    return Error::invalid("invalid volume specification: \"" + spec + "\": " + why);
}

bool is_propagation_mode(const std::string& mode)
{
    for (const char* known : { "rprivate", "private", "rshared", "shared", "rslave", "slave" })
        if (mode == known)
            return true;
    return false;
}

static bool valid_volume_name(const std::string& name)
{
    // Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+
    if (name.size() < 2)
        return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(name[0]))
        return false;
    for (char c : name)
        if (!alnum(c) && c != '_' && c != '.' && c != '-')
            return false;
    return true;
}

static Result<void> check_target(const std::string& spec, const std::string& target)
{
    if (target.empty() || target[0] != '/')
        return spec_error(spec, "the container path \"" + target + "\" must be absolute");
    if (target == "/")
        return spec_error(spec, "cannot mount a volume over the container's root \"/\"");
    for (const auto& part : strings::split(target, '/'))
        if (part == "..")
            return spec_error(spec, "the container path \"" + target + "\" must not contain \"..\"");
    return Ok {};
}

Result<MountSpec> parse_volume_spec(const std::string& spec)
{
    if (spec.empty())
        return spec_error(spec, "empty");
    auto parts = strings::split(spec, ':');
    if (parts.size() > 3)
        return spec_error(spec, "too many colons");
    MountSpec mount;
    if (parts.size() == 1) {
        // "-v /data": an anonymous volume.
        mount.target = parts[0];
        TRY(check_target(spec, mount.target));
        return mount;
    }
    const auto& source = parts[0];
    mount.target = parts[1];
    if (source.empty())
        return spec_error(spec, "the source is empty");
    TRY(check_target(spec, mount.target));
    if (source[0] == '/') {
        mount.type = MountSpec::Type::Bind;
        mount.source = source;
        mount.create_missing_source = true;
    } else if (source[0] == '.' || source[0] == '~') {
        return spec_error(spec, "a host path must be absolute (\"" + source + "\" is relative)");
    } else {
        if (!valid_volume_name(source))
            return spec_error(spec, "\"" + source
                    + "\" is not a valid volume name (only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters)");
        mount.type = MountSpec::Type::Volume;
        mount.source = source;
    }
    if (parts.size() == 3) {
        mount.mode = parts[2];
        for (const auto& option : strings::split(parts[2], ',')) {
            if (option == "ro")
                mount.read_only = true;
            else if (option == "rw")
                mount.read_only = false;
            else if (option == "nocopy")
                mount.no_copy = true;
            else if (is_propagation_mode(option))
                mount.propagation = option;
            else if (option == "z" || option == "Z" || option == "consistent" || option == "cached" || option == "delegated")
                continue; // Accepted by Docker; SELinux labels and macOS consistency mean nothing here.
            else
                return spec_error(spec, "unknown option \"" + option + "\" (use ro, rw, nocopy or a propagation mode such as rshared)");
        }
        // Propagation is a property of a bind mount; dockerd refuses it on a named volume.
        if (!mount.propagation.empty() && mount.type != MountSpec::Type::Bind)
            return spec_error(spec, "invalid mount config for type \"volume\": field BindOptions must not be specified");
    }
    return mount;
}

Result<MountSpec::Type> parse_mount_type(const std::string& name)
{
    if (name == "volume")
        return MountSpec::Type::Volume;
    if (name == "bind")
        return MountSpec::Type::Bind;
    if (name == "tmpfs")
        return MountSpec::Type::Tmpfs;
    return Error::invalid("unknown mount type \"" + name + "\" (use volume, bind or tmpfs)");
}

std::string_view mount_type_name(MountSpec::Type type)
{
    switch (type) {
    case MountSpec::Type::Bind:
        return "bind";
    case MountSpec::Type::Tmpfs:
        return "tmpfs";
    case MountSpec::Type::Volume:
        break;
    }
    return "volume";
}

Result<void> check_mount_spec(const MountSpec& mount)
{
    auto config_error = [&](const std::string& why) {
        return Error::invalid("invalid mount config for type \"" + std::string(mount_type_name(mount.type)) + "\": " + why);
    };
    auto not_absolute = [&](const std::string& path) {
        return config_error("invalid mount path: '" + path + "' mount path must be absolute");
    };
    if (mount.target.empty())
        return config_error("field Target must not be empty");
    if (mount.target[0] != '/')
        return not_absolute(mount.target);
    if (!mount.propagation.empty() && mount.type != MountSpec::Type::Bind)
        return config_error("field BindOptions must not be specified");
    if (!mount.propagation.empty() && !is_propagation_mode(mount.propagation))
        return config_error("invalid propagation mode: " + mount.propagation);
    switch (mount.type) {
    case MountSpec::Type::Bind:
        if (mount.source.empty())
            return config_error("field Source must not be empty");
        if (mount.source[0] != '/')
            return not_absolute(mount.source);
        break;
    case MountSpec::Type::Tmpfs:
        if (!mount.source.empty())
            return config_error("field Source must not be specified");
        break;
    case MountSpec::Type::Volume:
        if (!mount.source.empty() && !valid_volume_name(mount.source))
            return config_error("field Source: \"" + mount.source
                + "\" is not a valid volume name (only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters)");
        break;
    }
    return Ok {};
}

Result<MountSpec> parse_mount_spec(const std::string& spec)
{
    MountSpec mount;
    std::string size_option;
    std::string mode_option;
    for (const auto& field : strings::split(spec, ',')) {
        if (field.empty())
            continue;
        auto eq = field.find('=');
        auto key = strings::to_lower(field.substr(0, eq));
        auto value = eq == std::string::npos ? std::string() : field.substr(eq + 1);
        if (key == "type") {
            mount.type = TRY_CTX(parse_mount_type(value), "invalid mount specification \"" + spec + "\"");
        } else if (key == "source" || key == "src") {
            mount.source = value;
        } else if (key == "target" || key == "destination" || key == "dst") {
            mount.target = value;
        } else if (key == "readonly" || key == "ro") {
            mount.read_only = value.empty() || value == "true" || value == "1";
        } else if (key == "volume-nocopy") {
            mount.no_copy = value.empty() || value == "true" || value == "1";
        } else if (key == "tmpfs-size") {
            size_option = value;
        } else if (key == "tmpfs-mode") {
            mode_option = value;
        } else if (key == "bind-propagation") {
            if (!is_propagation_mode(value))
                return Error::invalid("invalid mount config for type \"bind\": invalid propagation mode: " + value);
            mount.propagation = value;
        } else if (key == "consistency" || key == "volume-driver" || key == "volume-label"
            || key == "volume-opt") {
            continue;
        } else {
            return Error::invalid("invalid mount specification \"" + spec + "\": unknown field \"" + key + "\"");
        }
    }
    if (mount.type == MountSpec::Type::Tmpfs) {
        std::vector<std::string> options;
        if (!size_option.empty())
            options.push_back("size=" + size_option);
        if (!mode_option.empty())
            options.push_back("mode=" + mode_option);
        mount.tmpfs_options = strings::join(options, ",");
    }
    TRY_CTX(check_mount_spec(mount), "invalid mount specification \"" + spec + "\"");
    return mount;
}

std::string format_mount_spec(const MountSpec& mount)
{
    std::vector<std::string> parts { "type=" + std::string(mount_type_name(mount.type)) };
    if (!mount.source.empty())
        parts.push_back("source=" + mount.source);
    parts.push_back("target=" + mount.target);
    if (mount.read_only)
        parts.push_back("readonly");
    if (mount.no_copy)
        parts.push_back("volume-nocopy");
    if (!mount.propagation.empty())
        parts.push_back("bind-propagation=" + mount.propagation);
    // parse_mount_spec writes a tmpfs's size and mode as "size=..,mode=..".
    for (const auto& option : strings::split(mount.tmpfs_options, ',')) {
        if (strings::starts_with(option, "size="))
            parts.push_back("tmpfs-" + option);
        else if (strings::starts_with(option, "mode="))
            parts.push_back("tmpfs-" + option);
    }
    return strings::join(parts, ",");
}

} // namespace engine::volume
