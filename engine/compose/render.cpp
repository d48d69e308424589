// The resolved model as YAML, through yaml-cpp's emitter (it quotes what needs quoting).
#include "engine/compose/render.h"

#include <yaml-cpp/yaml.h>

namespace engine::compose {

namespace {

std::string duration_text(std::int64_t ns)
{
    if (ns % 1000000000LL == 0)
        return std::to_string(ns / 1000000000LL) + "s";
    return std::to_string(ns / 1000000LL) + "ms";
}

void emit_map(YAML::Emitter& out, const char* key, const std::map<std::string, std::string>& map)
{
    if (map.empty())
        return;
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : map)
        out << YAML::Key << k << YAML::Value << v;
    out << YAML::EndMap;
}

void emit_list(YAML::Emitter& out, const char* key, const std::vector<std::string>& list)
{
    out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (const auto& item : list)
        out << item;
    out << YAML::EndSeq;
}

void emit_service(YAML::Emitter& out, const Service& s)
{
    out << YAML::Key << s.name << YAML::Value << YAML::BeginMap;
    if (!s.image.empty())
        out << YAML::Key << "image" << YAML::Value << s.image;
    if (s.build) {
        out << YAML::Key << "build" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "context" << YAML::Value << s.build->context;
        out << YAML::Key << "dockerfile" << YAML::Value << s.build->dockerfile;
        emit_map(out, "args", s.build->args);
        if (!s.build->target.empty())
            out << YAML::Key << "target" << YAML::Value << s.build->target;
        out << YAML::EndMap;
    }
    if (s.entrypoint)
        emit_list(out, "entrypoint", *s.entrypoint);
    if (s.command)
        emit_list(out, "command", *s.command);
    if (!s.environment.empty()) {
        std::map<std::string, std::string> env;
        for (const auto& entry : s.environment) {
            auto eq = entry.find('=');
            env[entry.substr(0, eq)]
                = eq == std::string::npos ? std::string() : entry.substr(eq + 1);
        }
        emit_map(out, "environment", env);
    }
    if (!s.depends_on.empty()) {
        out << YAML::Key << "depends_on" << YAML::Value << YAML::BeginMap;
        for (const auto& dep : s.depends_on) {
            out << YAML::Key << dep.service << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "condition" << YAML::Value << dep.condition;
            out << YAML::Key << "required" << YAML::Value << dep.required;
            out << YAML::EndMap;
        }
        out << YAML::EndMap;
    }
    if (!s.ports.empty()) {
        out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
        for (const auto& port : s.ports) {
            out << YAML::BeginMap << YAML::Key << "target" << YAML::Value << port.target;
            if (!port.published.empty())
                out << YAML::Key << "published" << YAML::Value << port.published;
            if (!port.host_ip.empty())
                out << YAML::Key << "host_ip" << YAML::Value << port.host_ip;
            out << YAML::Key << "protocol" << YAML::Value << port.protocol << YAML::EndMap;
        }
        out << YAML::EndSeq;
    }
    if (!s.expose.empty())
        emit_list(out, "expose", s.expose);
    if (!s.volumes.empty()) {
        out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
        for (const auto& v : s.volumes) {
            out << YAML::BeginMap << YAML::Key << "type" << YAML::Value << v.type;
            if (!v.source.empty())
                out << YAML::Key << "source" << YAML::Value << v.source;
            out << YAML::Key << "target" << YAML::Value << v.target;
            if (v.read_only)
                out << YAML::Key << "read_only" << YAML::Value << true;
            out << YAML::EndMap;
        }
        out << YAML::EndSeq;
    }
    out << YAML::Key << "networks" << YAML::Value << YAML::BeginMap;
    for (const auto& net : s.networks) {
        out << YAML::Key << net.name << YAML::Value;
        if (net.aliases.empty() && net.ipv4_address.empty()) {
            out << YAML::Null;
            continue;
        }
        out << YAML::BeginMap;
        if (!net.aliases.empty())
            emit_list(out, "aliases", net.aliases);
        if (!net.ipv4_address.empty())
            out << YAML::Key << "ipv4_address" << YAML::Value << net.ipv4_address;
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
    if (s.healthcheck) {
        const auto& h = *s.healthcheck;
        out << YAML::Key << "healthcheck" << YAML::Value << YAML::BeginMap;
        if (h.disable) {
            out << YAML::Key << "disable" << YAML::Value << true;
        } else {
            emit_list(out, "test", h.test);
            if (h.interval_ns)
                out << YAML::Key << "interval" << YAML::Value << duration_text(h.interval_ns);
            if (h.timeout_ns)
                out << YAML::Key << "timeout" << YAML::Value << duration_text(h.timeout_ns);
            if (h.retries)
                out << YAML::Key << "retries" << YAML::Value << h.retries;
            if (h.start_period_ns)
                out << YAML::Key << "start_period" << YAML::Value
                    << duration_text(h.start_period_ns);
        }
        out << YAML::EndMap;
    }
    auto scalar = [&](const char* key, const std::string& value) {
        if (!value.empty())
            out << YAML::Key << key << YAML::Value << value;
    };
    scalar("restart", s.restart);
    scalar("container_name", s.container_name);
    scalar("hostname", s.hostname);
    scalar("user", s.user);
    scalar("working_dir", s.working_dir);
    scalar("stop_signal", s.stop_signal);
    if (s.stop_grace_period_ns)
        out << YAML::Key << "stop_grace_period" << YAML::Value
            << duration_text(*s.stop_grace_period_ns);
    if (s.init)
        out << YAML::Key << "init" << YAML::Value << *s.init;
    emit_map(out, "labels", s.labels);
    if (!s.secrets.empty()) {
        out << YAML::Key << "secrets" << YAML::Value << YAML::BeginSeq;
        for (const auto& secret : s.secrets)
            out << YAML::BeginMap << YAML::Key << "source" << YAML::Value << secret.source
                << YAML::Key << "target" << YAML::Value << secret.target << YAML::EndMap;
        out << YAML::EndSeq;
    }
    if (!s.tmpfs.empty())
        emit_list(out, "tmpfs", s.tmpfs);
    if (s.memory_limit || s.nano_cpus) {
        out << YAML::Key << "deploy" << YAML::Value << YAML::BeginMap << YAML::Key << "resources"
            << YAML::Value << YAML::BeginMap << YAML::Key << "limits" << YAML::Value
            << YAML::BeginMap;
        if (s.memory_limit)
            out << YAML::Key << "memory" << YAML::Value << std::to_string(s.memory_limit);
        if (s.nano_cpus)
            out << YAML::Key << "cpus" << YAML::Value
                << std::to_string(static_cast<double>(s.nano_cpus) / 1e9);
        out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndMap;
}

} // namespace

std::string render_yaml(const Project& project)
{
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << project.name;
    out << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
    for (const auto& service : project.services)
        emit_service(out, service);
    out << YAML::EndMap;
    if (!project.networks.empty()) {
        out << YAML::Key << "networks" << YAML::Value << YAML::BeginMap;
        for (const auto& n : project.networks) {
            out << YAML::Key << n.key << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "name" << YAML::Value << n.name;
            if (n.external)
                out << YAML::Key << "external" << YAML::Value << true;
            if (!n.driver.empty())
                out << YAML::Key << "driver" << YAML::Value << n.driver;
            emit_map(out, "driver_opts", n.driver_opts);
            if (!n.ipam_config.empty()) {
                out << YAML::Key << "ipam" << YAML::Value << YAML::BeginMap << YAML::Key << "config"
                    << YAML::Value << YAML::BeginSeq;
                for (const auto& pool : n.ipam_config) {
                    out << YAML::BeginMap;
                    if (!pool.subnet.empty())
                        out << YAML::Key << "subnet" << YAML::Value << pool.subnet;
                    if (!pool.gateway.empty())
                        out << YAML::Key << "gateway" << YAML::Value << pool.gateway;
                    if (!pool.ip_range.empty())
                        out << YAML::Key << "ip_range" << YAML::Value << pool.ip_range;
                    out << YAML::EndMap;
                }
                out << YAML::EndSeq << YAML::EndMap;
            }
            out << YAML::EndMap;
        }
        out << YAML::EndMap;
    }
    if (!project.volumes.empty()) {
        out << YAML::Key << "volumes" << YAML::Value << YAML::BeginMap;
        for (const auto& v : project.volumes) {
            out << YAML::Key << v.key << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "name" << YAML::Value << v.name;
            if (v.external)
                out << YAML::Key << "external" << YAML::Value << true;
            emit_map(out, "driver_opts", v.driver_opts);
            out << YAML::EndMap;
        }
        out << YAML::EndMap;
    }
    if (!project.secrets.empty()) {
        out << YAML::Key << "secrets" << YAML::Value << YAML::BeginMap;
        for (const auto& s : project.secrets)
            out << YAML::Key << s.key << YAML::Value << YAML::BeginMap << YAML::Key << "file"
                << YAML::Value << s.file << YAML::EndMap;
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

} // namespace engine::compose
