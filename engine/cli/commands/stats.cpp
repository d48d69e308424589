// glassbox stats [-a] [--no-stream] [--no-trunc] [--format TEMPLATE] [CONTAINER...]:
// GET /containers/{id}/stats?stream=0 for each container (in parallel, since each answer takes
// the daemon's one-second CPU sample), printed with docker's columns and arithmetic:
//   CPU %             (cpu delta / host cpu delta) x online CPUs x 100, between the two samples
//   MEM USAGE / LIMIT usage minus the inactive file cache (total_inactive_file on cgroup v1,
//                     inactive_file on v2), binary units
//   NET I/O           rx / tx bytes summed over the container's interfaces
//   BLOCK I/O         read / write bytes from blkio_stats.io_service_bytes_recursive
//   PIDS              pids_stats.current
// Without --no-stream the table is redrawn each round until interrupted, as docker stats does.
#include <cstdio>
#include <future>
#include <thread>

#include "engine/base/strings.h"
#include "engine/cli/commands/commands.h"
#include "engine/cli/format.h"

namespace engine::cli {

namespace {

    constexpr const char* k_default_format
        = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

    Json stats_headers()
    {
        return { { "Container", "CONTAINER" }, { "ID", "CONTAINER ID" }, { "Name", "NAME" }, { "CPUPerc", "CPU %" },
            { "MemUsage", "MEM USAGE / LIMIT" }, { "MemPerc", "MEM %" }, { "NetIO", "NET I/O" },
            { "BlockIO", "BLOCK I/O" }, { "PIDs", "PIDS" } };
    }

    double number_at(const Json& object, std::initializer_list<const char*> path)
    {
        const Json* at = &object;
        for (const char* key : path) {
            if (!at->is_object() || !at->contains(key))
                return 0;
            at = &(*at)[key];
        }
        return at->is_number() ? at->get<double>() : 0;
    }

    std::string percent(double value)
    {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.2f%%", value);
        return buffer;
    }

    std::string decimal_size(double bytes) { return strings::human_size(bytes > 0 ? static_cast<std::uint64_t>(bytes) : 0); }

} // namespace

// One row of `docker stats` from one sample (docker's StatsEntry, rendered).
Json stats_row(const Json& sample, const std::string& typed_name, bool no_trunc)
{
    double cpu_delta = number_at(sample, { "cpu_stats", "cpu_usage", "total_usage" })
        - number_at(sample, { "precpu_stats", "cpu_usage", "total_usage" });
    double system_delta = number_at(sample, { "cpu_stats", "system_cpu_usage" })
        - number_at(sample, { "precpu_stats", "system_cpu_usage" });
    double cpus = number_at(sample, { "cpu_stats", "online_cpus" });
    double cpu_percent = cpu_delta > 0 && system_delta > 0 ? cpu_delta / system_delta * cpus * 100.0 : 0;

    double usage = number_at(sample, { "memory_stats", "usage" });
    const Json empty = Json::object();
    const Json& memory = sample.contains("memory_stats") && sample["memory_stats"].contains("stats")
        ? sample["memory_stats"]["stats"]
        : empty;
    double cache = memory.contains("total_inactive_file") ? number_at(memory, { "total_inactive_file" })
                                                          : number_at(memory, { "inactive_file" });
    if (cache < usage)
        usage -= cache;
    double limit = number_at(sample, { "memory_stats", "limit" });

    double rx = 0, tx = 0;
    if (sample.contains("networks") && sample["networks"].is_object())
        for (const auto& [name, counters] : sample["networks"].items()) {
            rx += number_at(counters, { "rx_bytes" });
            tx += number_at(counters, { "tx_bytes" });
        }
    double read = 0, written = 0;
    if (sample.contains("blkio_stats") && sample["blkio_stats"].contains("io_service_bytes_recursive")
        && sample["blkio_stats"]["io_service_bytes_recursive"].is_array())
        for (const auto& entry : sample["blkio_stats"]["io_service_bytes_recursive"]) {
            auto op = entry.value("op", std::string());
            if (!op.empty() && (op[0] == 'r' || op[0] == 'R'))
                read += number_at(entry, { "value" });
            else if (!op.empty() && (op[0] == 'w' || op[0] == 'W'))
                written += number_at(entry, { "value" });
        }

    std::string id = sample.value("id", "");
    std::string name = sample.value("name", "");
    if (!name.empty() && name[0] == '/')
        name = name.substr(1);
    return { { "Container", typed_name }, { "ID", no_trunc ? id : short_id(id) }, { "Name", name },
        { "CPUPerc", percent(cpu_percent) },
        { "MemUsage", binary_size(usage) + " / " + binary_size(limit) },
        { "MemPerc", percent(limit > 0 ? usage / limit * 100.0 : 0) },
        { "NetIO", decimal_size(rx) + " / " + decimal_size(tx) },
        { "BlockIO", decimal_size(read) + " / " + decimal_size(written) },
        { "PIDs", std::to_string(static_cast<std::uint64_t>(number_at(sample, { "pids_stats", "current" }))) } };
}

void add_stats_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::vector<std::string> containers;
        bool all { false };
        bool no_stream { false };
        bool no_trunc { false };
        std::string format;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Display a live stream of container(s) resource usage statistics");
    command->add_option("CONTAINER", args->containers, "Containers (default: all running)");
    command->add_flag("-a,--all", args->all, "Show all containers (default shows just running)");
    command->add_flag("--no-stream", args->no_stream, "Disable streaming stats and only pull the first result");
    command->add_flag("--no-trunc", args->no_trunc, "Do not truncate output");
    command->add_option("--format", args->format, "Format output using a Go template");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto targets = args->containers;
        bool listed = targets.empty();
        const auto& format = args->format.empty() ? std::string(k_default_format) : args->format;
        for (;;) {
            if (listed) {
                targets.clear();
                auto containers = TRY(client->list_containers({ .all = args->all }));
                for (const auto& container : containers)
                    targets.push_back(container.value("Id", ""));
            }
            std::vector<std::future<Result<Json>>> samples;
            for (const auto& target : targets)
                samples.push_back(std::async(std::launch::async, [client, target] { return client->container_stats(target); }));
            std::vector<Json> rows;
            int status = 0;
            for (std::size_t i = 0; i < samples.size(); ++i) {
                auto sample = samples[i].get();
                if (!sample.ok()) {
                    std::fprintf(stderr, "Error response from daemon: %s\n", sample.error().message().c_str());
                    status = 1;
                    continue;
                }
                rows.push_back(stats_row(sample.value(), targets[i], args->no_trunc));
            }
            auto text = TRY(render_rows(format, rows, stats_headers()));
            if (!args->no_stream)
                print_out("\033[2J\033[H");
            print_out(text);
            if (args->no_stream || (status != 0 && !listed))
                return status;
            if (targets.empty())
                std::this_thread::sleep_for(std::chrono::seconds(1));
        }
    });
}

} // namespace engine::cli
