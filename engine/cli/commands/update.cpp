// glassbox update [--memory M] [--memory-swap M] [--memory-reservation M] [--cpus N]
// [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus LIST] [--pids-limit N]
// [--blkio-weight N] [--restart POLICY] CONTAINER...: POST /containers/{id}/update for each, with
// only the flags given (the daemon leaves the rest alone and checks the values).
#include "engine/base/strings.h"
#include "engine/cli/commands/commands.h"

namespace engine::cli {

void add_update_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::vector<std::string> containers;
        std::string memory, memory_swap, memory_reservation, cpus, cpuset_cpus, cpuset_mems, restart;
        std::int64_t cpu_shares { 0 }, cpu_quota { 0 }, cpu_period { 0 }, blkio_weight { 0 };
        std::optional<std::int64_t> pids_limit;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Update configuration of one or more containers");
    command->add_option("-m,--memory", args->memory, "Memory limit");
    command->add_option("--memory-swap", args->memory_swap, "Swap limit equal to memory plus swap: -1 to enable unlimited swap");
    command->add_option("--memory-reservation", args->memory_reservation, "Memory soft limit");
    command->add_option("--cpus", args->cpus, "Number of CPUs");
    command->add_option("-c,--cpu-shares", args->cpu_shares, "CPU shares (relative weight)");
    command->add_option("--cpu-quota", args->cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
    command->add_option("--cpu-period", args->cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
    command->add_option("--cpuset-cpus", args->cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
    command->add_option("--cpuset-mems", args->cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
    command->add_option("--pids-limit", args->pids_limit, "Tune container pids limit (set -1 for unlimited)");
    command->add_option("--blkio-weight", args->blkio_weight, "Block IO (relative weight), between 10 and 1000, or 0 to disable");
    command->add_option("--restart", args->restart, "Restart policy to apply when a container exits");
    command->add_option("CONTAINER", args->containers, "Containers")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        Json body = Json::object();
        auto bytes = [&](const std::string& text, const char* key, const char* flag) -> Result<void> {
            if (text.empty())
                return Ok {};
            auto value = parse_memory_bytes(text);
            if (!value.ok())
                return value.release_error().with_context(std::string("invalid argument \"") + text + "\" for \"" + flag + "\" flag");
            body[key] = value.value();
            return Ok {};
        };
        TRY(bytes(args->memory, "Memory", "--memory"));
        if (args->memory_swap == "-1")
            body["MemorySwap"] = -1;
        else
            TRY(bytes(args->memory_swap, "MemorySwap", "--memory-swap"));
        TRY(bytes(args->memory_reservation, "MemoryReservation", "--memory-reservation"));
        if (!args->cpus.empty())
            body["NanoCpus"] = TRY_CTX(parse_nano_cpus(args->cpus), "invalid argument \"" + args->cpus + "\" for \"--cpus\" flag");
        if (args->cpu_shares)
            body["CpuShares"] = args->cpu_shares;
        if (args->cpu_quota)
            body["CpuQuota"] = args->cpu_quota;
        if (args->cpu_period)
            body["CpuPeriod"] = args->cpu_period;
        if (!args->cpuset_cpus.empty())
            body["CpusetCpus"] = args->cpuset_cpus;
        if (!args->cpuset_mems.empty())
            body["CpusetMems"] = args->cpuset_mems;
        if (args->pids_limit)
            body["PidsLimit"] = *args->pids_limit;
        if (args->blkio_weight)
            body["BlkioWeight"] = args->blkio_weight;
        if (!args->restart.empty()) {
            // "on-failure:3" -> Name and MaximumRetryCount; the daemon checks the policy.
            auto colon = args->restart.find(':');
            Json policy = { { "Name", args->restart.substr(0, colon) }, { "MaximumRetryCount", 0 } };
            if (colon != std::string::npos) {
                std::uint64_t count = 0;
                if (!strings::parse_uint(args->restart.substr(colon + 1), count))
                    return Error::invalid("invalid restart policy \"" + args->restart + "\": the retry count must be a number");
                policy["MaximumRetryCount"] = count;
            }
            body["RestartPolicy"] = policy;
        }
        if (body.empty())
            return Error::invalid("you must provide one or more flags when using this command");
        return for_each_target(args->containers, [&](const std::string& target) -> Result<void> {
            auto warnings = TRY(client->update_container(target, body));
            for (const auto& warning : warnings)
                write_fd(2, "WARNING: " + warning + "\n");
            print_out(target + "\n");
            return Ok {};
        });
    });
}

} // namespace engine::cli
