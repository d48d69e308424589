// Device cgroup rules (see devices.h).
#include "engine/runtime/devices.h"

#include "engine/base/strings.h"

namespace engine::runtime {

static bool number_or_star(const std::string& text)
{
    if (text == "*")
        return true;
    if (text.empty() || text.size() > 10)
        return false;
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    return true;
}

Result<void> check_device_rule(const std::string& rule)
{
    auto bad = [&] { return Error::invalid("invalid device cgroup rule format: '" + rule + "'"); };
    auto fields = strings::split(rule, ' ');
    if (fields.size() != 3 || fields[0].size() != 1 || std::string("abc").find(fields[0][0]) == std::string::npos)
        return bad();
    auto colon = fields[1].find(':');
    if (colon == std::string::npos || !number_or_star(fields[1].substr(0, colon)) || !number_or_star(fields[1].substr(colon + 1)))
        return bad();
    const auto& access = fields[2];
    if (access.empty() || access.size() > 3)
        return bad();
    for (char c : access)
        if (c != 'r' && c != 'w' && c != 'm')
            return bad();
    return Ok {};
}

const std::vector<std::string>& default_device_rules()
{
    static const std::vector<std::string> rules {
        "c *:* m", "b *:* m",   // mknod of any node (using one still needs an allow rule)
        "c 1:3 rwm",            // /dev/null
        "c 1:5 rwm",            // /dev/zero
        "c 1:7 rwm",            // /dev/full
        "c 1:8 rwm",            // /dev/random
        "c 1:9 rwm",            // /dev/urandom
        "c 5:0 rwm",            // /dev/tty
        "c 5:1 rwm",            // /dev/console
        "c 5:2 rwm",            // /dev/ptmx
        "c 136:* rwm",          // /dev/pts/*
        "c 10:200 rwm",         // /dev/net/tun
    };
    return rules;
}

} // namespace engine::runtime
