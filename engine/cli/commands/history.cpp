// glassbox history [--no-trunc] [-q] IMAGE: GET /images/{name}/history, newest layer first.
#include "engine/cli/commands/commands.h"

#include "engine/base/strings.h"
#include "engine/cli/format.h"

namespace engine::cli {

void add_history_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        bool no_trunc { false };
        bool quiet { false };
        std::string format;
        std::string image;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Show the history of an image");
    command->add_flag("--no-trunc", args->no_trunc, "Don't truncate output");
    command->add_flag("-q,--quiet", args->quiet, "Only show image IDs");
    command->add_option("--format", args->format, "Format output using a Go template");
    command->add_option("IMAGE", args->image, "Image")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        auto history = TRY(client->image_history(args->image));
        std::vector<Json> rows;
        if (history.is_array()) {
            for (const auto& layer : history) {
                std::string id = layer.value("Id", "");
                std::string shown = id.empty() || id == "<missing>" ? "<missing>" : args->no_trunc ? id : short_id(id);
                std::string created_by = layer.value("CreatedBy", "");
                std::int64_t created = layer.contains("Created") && layer["Created"].is_number() ? layer["Created"].get<std::int64_t>() : 0;
                std::uint64_t size = layer.contains("Size") && layer["Size"].is_number() ? layer["Size"].get<std::uint64_t>() : 0;
                rows.push_back({
                    { "ID", shown }, { "CreatedSince", time_ago(created) },
                    { "CreatedBy", args->no_trunc ? created_by : ellipsis(created_by, 45) },
                    { "Size", strings::human_size(size) }, { "Comment", layer.value("Comment", "") },
                });
            }
        }
        std::string format = args->quiet ? "{{.ID}}"
            : args->format.empty() ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
                                   : args->format;
        Json headers { { "ID", "IMAGE" }, { "CreatedSince", "CREATED" }, { "CreatedBy", "CREATED BY" }, { "Size", "SIZE" }, { "Comment", "COMMENT" } };
        print_out(TRY(render_rows(format, rows, headers)));
        return 0;
    });
}

} // namespace engine::cli
