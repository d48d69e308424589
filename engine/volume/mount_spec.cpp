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

Result<MountSpec> parse_mount_spec(const std::string& spec)
{
    MountSpec mount;
    bool have_type = false;
    std::string size_option;
    std::string mode_option;
    for (const auto& field : strings::split(spec, ',')) {
        if (field.empty())
            continue;
        auto eq = field.find('=');
        auto key = strings::to_lower(field.substr(0, eq));
        auto value = eq == std::string::npos ? std::string() : field.substr(eq + 1);
        if (key == "type") {
            have_type = true;
            if (value == "volume")
                mount.type = MountSpec::Type::Volume;
            else if (value == "bind")
                mount.type = MountSpec::Type::Bind;
            else if (value == "tmpfs")
                mount.type = MountSpec::Type::Tmpfs;
            else
                return Error::invalid("invalid mount specification \"" + spec + "\": unknown type \"" + value
                    + "\" (use volume, bind or tmpfs)");
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
    if (!have_type)
        mount.type = MountSpec::Type::Volume;
    if (mount.target.empty())
        return Error::invalid("invalid mount specification \"" + spec + "\": target is required");
    if (mount.target[0] != '/')
        return Error::invalid("invalid mount specification \"" + spec + "\": target \"" + mount.target + "\" must be absolute");
    if (mount.type == MountSpec::Type::Bind) {
        if (mount.source.empty() || mount.source[0] != '/')
            return Error::invalid("invalid mount specification \"" + spec + "\": a bind mount needs an absolute source path");
    }
    if (!mount.propagation.empty() && mount.type != MountSpec::Type::Bind)
        return Error::invalid("invalid mount config for type \"" + std::string(mount.type == MountSpec::Type::Tmpfs ? "tmpfs" : "volume")
            + "\": field BindOptions must not be specified");
    if (mount.type == MountSpec::Type::Volume && !mount.source.empty() && !valid_volume_name(mount.source))
        return Error::invalid("invalid mount specification \"" + spec + "\": \"" + mount.source + "\" is not a valid volume name");
    if (mount.type == MountSpec::Type::Tmpfs) {
        if (!mount.source.empty())
            return Error::invalid("invalid mount specification \"" + spec + "\": a tmpfs mount takes no source");
        std::vector<std::string> options;
        if (!size_option.empty())
            options.push_back("size=" + size_option);
        if (!mode_option.empty())
            options.push_back("mode=" + mode_option);
        mount.tmpfs_options = strings::join(options, ",");
    }
    return mount;
}

} // namespace engine::volume
