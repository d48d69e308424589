#include "engine/network/container_files.h"

#include <sstream>

#include "engine/base/strings.h"
#include "engine/network/ipv4.h"

namespace engine::network {

std::string render_hosts(const std::vector<HostsLine>& own, const std::vector<HostsLine>& extra)
{
    std::string text = "127.0.0.1\tlocalhost\n"
                       "::1\tlocalhost ip6-localhost ip6-loopback\n"
                       "fe00::\tip6-localnet\n"
                       "ff00::\tip6-mcastprefix\n"
                       "ff02::1\tip6-allnodes\n"
                       "ff02::2\tip6-allrouters\n";
    for (const auto* lines : { &extra, &own })
        for (const auto& line : *lines)
            text += line.address + "\t" + strings::join(line.names, " ") + "\n";
    return text;
}

Result<HostsLine> parse_extra_host(const std::string& spec)
{
    auto separator = spec.find_first_of(":=");
    if (separator == std::string::npos || separator == 0 || separator + 1 == spec.size())
        return Error::invalid("extra host \"" + spec + "\": expected name:ip");
    HostsLine line { spec.substr(separator + 1), { spec.substr(0, separator) } };
    if (line.address == "host-gateway")
        return Error::invalid("extra host \"" + spec + "\": host-gateway is not supported");
    if (!Ipv4::parse(line.address).ok() && line.address.find(':') == std::string::npos)
        return Error::invalid("extra host \"" + spec + "\": \"" + line.address + "\" is not an IP address");
    return line;
}

ResolvConf parse_resolv_conf(const std::string& text)
{
    ResolvConf conf;
    std::istringstream input(text);
    std::string line;
    while (std::getline(input, line)) {
        auto words = strings::split(strings::trim(line), ' ');
        std::erase_if(words, [](const std::string& word) { return word.empty(); });
        if (words.empty() || words[0][0] == '#' || words[0][0] == ';')
            continue;
        std::vector<std::string> rest(words.begin() + 1, words.end());
        if (words[0] == "nameserver" && !rest.empty())
            conf.nameservers.push_back(rest[0]);
        else if (words[0] == "search" || words[0] == "domain")
            conf.search = rest;
        else if (words[0] == "options")
            conf.options.insert(conf.options.end(), rest.begin(), rest.end());
    }
    return conf;
}

std::string render_resolv_conf(const ResolvConf& conf)
{
    std::string text;
    for (const auto& server : conf.nameservers)
        text += "nameserver " + server + "\n";
    if (!conf.search.empty())
        text += "search " + strings::join(conf.search, " ") + "\n";
    if (!conf.options.empty())
        text += "options " + strings::join(conf.options, " ") + "\n";
    return text;
}

ResolvConf container_resolv_conf(const ResolvConf& host, const std::vector<std::string>& dns_override)
{
    ResolvConf conf = host;
    if (!dns_override.empty()) {
        conf.nameservers = dns_override;
        return conf;
    }
    std::erase_if(conf.nameservers, [](const std::string& server) {
        return strings::starts_with(server, "127.") || server == "::1";
    });
    if (conf.nameservers.empty())
        conf.nameservers = { "8.8.8.8", "8.8.4.4" };
    return conf;
}

} // namespace engine::network
