// glassbox rm [-f] [-v] CONTAINER...: DELETE /containers/{id}[?force=1&v=1], several at once as
// the docker CLI does (a forced removal waits for the container's exit and teardown, which
// overlap across containers), printed in the order given.
#include "engine/cli/commands/commands.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

namespace engine::cli {

namespace {

// How many removals are in flight at once (the docker CLI allows 50 too).
constexpr size_t k_parallel_removals = 50;

int remove_all(const api::Client& client, const std::vector<std::string>& targets, bool force, bool volumes)
{
    std::vector<std::optional<Error>> errors(targets.size());
    std::atomic<size_t> next { 0 };
    auto worker = [&] {
        for (size_t i = next++; i < targets.size(); i = next++) {
            auto removed = client.remove_container(targets[i], force, volumes);
            if (!removed.ok())
                errors[i] = removed.release_error();
        }
    };
    std::vector<std::thread> workers;
    size_t count = std::min(targets.size(), k_parallel_removals);
    for (size_t i = 1; i < count; ++i)
        workers.emplace_back(worker);
    worker();
    for (auto& thread : workers)
        thread.join();
    int exit_code = 0;
    for (size_t i = 0; i < targets.size(); ++i) {
        if (errors[i]) {
            print_error(*errors[i]);
            exit_code = 1;
        } else {
            print_out(targets[i] + "\n");
        }
    }
    return exit_code;
}

} // namespace

void add_rm_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    auto targets = std::make_shared<std::vector<std::string>>();
    auto flags = std::make_shared<std::pair<bool, bool>>(false, false); // force, volumes
    auto* command = parent.add_subcommand(name, "Remove one or more containers");
    command->add_option("CONTAINER", *targets, "CONTAINER(s)")->required();
    command->add_flag("-f,--force", flags->first, "Force the removal of a running container (uses SIGKILL)");
    command->add_flag("-v,--volumes", flags->second, "Remove anonymous volumes associated with the container");
    set_action(command, ctx, [&ctx, targets, flags]() -> Result<int> {
        auto* client = TRY(ctx.client());
        return remove_all(*client, *targets, flags->first, flags->second);
    });
}

} // namespace engine::cli
