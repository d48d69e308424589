// The flags of `glassbox run` / `glassbox create` (Docker's names and spellings) and their
// translation into the Docker Engine API create body, shaped as the docker CLI 28 sends it
// Pure functions: no daemon, no terminal, so the
// unit tests can check `run -m 32m --cpus 1.5 -p 8080:80 -v a:/b` byte for byte.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/base/result.h"

namespace engine::cli {

using Json = nlohmann::json;

struct RunFlags {
    bool detach { false };
    bool interactive { false };
    bool tty { false };
    bool remove { false };
    std::string name;
    std::vector<std::string> env;
    std::vector<std::string> env_files;
    std::string workdir;
    std::string user;
    std::string hostname;
    std::vector<std::string> volumes;
    std::vector<std::string> mounts;
    std::vector<std::string> tmpfs;
    std::vector<std::string> publish;
    bool publish_all { false };
    std::vector<std::string> expose;
    std::string network;
    std::vector<std::string> network_aliases;
    std::string ip;
    std::string ip6;
    std::string restart;
    std::string memory;
    std::string memory_swap;
    std::string cpus;
    std::int64_t cpu_shares { 0 };
    std::int64_t pids_limit { 0 };
    std::vector<std::string> cap_add;
    std::vector<std::string> cap_drop;
    bool privileged { false };
    bool read_only { false };
    bool init { false };
    std::optional<std::string> entrypoint;
    std::vector<std::string> labels;
    std::string stop_signal;
    std::optional<int> stop_timeout;
    std::vector<std::string> links;
    std::vector<std::string> dns;
    std::vector<std::string> add_hosts;
    std::vector<std::string> security_opts;
    std::string pid;                              // --pid host | container:<name|id>
    std::string mac_address;                      // --mac-address
    std::vector<std::string> device_cgroup_rules; // --device-cgroup-rule "c 1:3 rwm"
    std::vector<std::string> volumes_from;        // --volumes-from name[:ro|:rw]
    std::string image;
    std::vector<std::string> command;
    // The local terminal size as [rows, cols], filled by the caller for -t (0 when unknown).
    int console_rows { 0 };
    int console_cols { 0 };
};

// Which verb the flags are for: only `run` has -d/--detach (both have --rm, as in docker).
enum class RunVerb {
    Run,
    Create,
};

// The flags a command line can name, so run and create need not register the other forty
// (registering a flag costs CLI11 a comparison with every flag before it: about half of a
// `glassbox run`'s own start-up). Every word counts: a long one names the flag before its '='
// ("--net=host" names --net), a short one each of its letters ("-it" names -i and -t, "-eA=1"
// names -e, -A and -1), so a flag's value or the container's command can only name more flags,
// never hide one. A flag the line does not name leaves its variable as it was, as when CLI11
// is not given it. --help names every flag, as do no words at all (the whole tree).
class FlagWords {
public:
    FlagWords() = default;
    explicit FlagWords(std::span<const char* const> words);

    // Whether the line can name one of `names` (CLI11's "-e,--env"); a positional's name
    // ("IMAGE") always answers true.
    bool may_name(std::string_view names) const;

private:
    bool m_every { true };
    std::vector<std::string_view> m_long;
    std::array<bool, 256> m_short {};
};

// Registers Docker's run/create flags on `command`, bound to `flags`, with IMAGE [CMD...] as
// positionals; everything after IMAGE is the container command, flags included. Only the flags
// `words` can name are registered; with every flag, --help lists them in this order.
void add_run_flags(CLI::App& command, RunFlags& flags, RunVerb verb, const FlagWords& words = {});

// Makes `command` (a prefix_command verb: run, create, exec, top, compose run/exec) refuse a word before its first
// positional that starts with '-' and names none of its flags, with the usage error and exit
// code of any verb's unknown flag (docker: "unknown flag", 125). prefix_command alone keeps such
// a word as an extra and runs the verb anyway. Words after the first positional stay the
// container command's, "--" before it still ends the flags, and "-" or a negative number is a
// positional or a flag's value to CLI11, never an extra.
void reject_unknown_flags(CLI::App& command);

// Builds the create body. Errors name the flag and the value at fault. `-e NAME` (no '=')
// takes NAME's value from our own environment, as the docker CLI does.
Result<Json> build_create_body(const RunFlags& flags);

// Docker's RAMInBytes: "32m" = 32 MiB; units b, k, m, g, t, p (any case, optional "b"/"ib"),
// decimals allowed ("1.5g"); a bare number is bytes. -1 is allowed only where the caller says.
Result<std::int64_t> parse_memory_bytes(std::string_view text);
// "1.5" -> 1500000000 NanoCpus.
Result<std::int64_t> parse_nano_cpus(std::string_view text);
// Adds one -p spec ([ip:][hostPort:]containerPort[/proto], ranges allowed) to ExposedPorts and
// PortBindings.
Result<void> add_port_binding(std::string_view spec, Json& exposed_ports, Json& port_bindings);
// Reads an --env-file: KEY=VALUE lines, '#' comments and blank lines skipped, a bare KEY taken
// from our environment (dropped when unset).
Result<std::vector<std::string>> read_env_file(const std::string& path);
// Parses --mount "type=volume,src=v,dst=/m,readonly" into a HostConfig.Mounts entry.
Result<Json> parse_mount_spec(std::string_view spec);

} // namespace engine::cli
