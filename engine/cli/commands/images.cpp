// glassbox images [-a] [-q] [REPOSITORY[:TAG]] and the `image` group (ls, rm, inspect, history,
// tag, import, load, save, prune, pull): GET /images/json, one row per tag as docker prints
// them (REPOSITORY TAG IMAGE ID CREATED SIZE; untagged images as <none> <none>).
#include "engine/cli/commands/commands.h"

#include <cstdio>
#include <iostream>
#include <set>

#include "engine/base/strings.h"
#include "engine/cli/format.h"
#include "engine/image/reference.h"

namespace engine::cli {

namespace {

constexpr const char* k_images_format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

Json image_row(const Json& image, const std::string& repo, const std::string& tag, bool no_trunc)
{
    std::string id = image.value("Id", "");
    std::int64_t created = image.contains("Created") && image["Created"].is_number() ? image["Created"].get<std::int64_t>() : 0;
    std::uint64_t size = image.contains("Size") && image["Size"].is_number() ? image["Size"].get<std::uint64_t>() : 0;
    return {
        { "Repository", repo }, { "Tag", tag }, { "ID", no_trunc ? id : short_id(id) },
        { "CreatedSince", time_ago(created) },
        { "CreatedAt", created > 0 ? strings::rfc3339_nano(std::chrono::system_clock::time_point(std::chrono::seconds(created))) : "" },
        { "Size", strings::human_size(size) }, { "Digest", "<none>" },
        { "Containers", image.contains("Containers") ? image["Containers"] : Json(-1) },
    };
}

} // namespace

bool confirm(const std::string& warning, bool force)
{
    if (force)
        return true;
    std::fprintf(stderr, "%s\nAre you sure you want to continue? [y/N] ", warning.c_str());
    std::string answer;
    std::getline(std::cin, answer);
    answer = strings::to_lower(strings::trim(answer));
    return answer == "y" || answer == "yes";
}

void add_images_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        bool all { false };
        bool quiet { false };
        bool no_trunc { false };
        std::vector<std::string> filters;
        std::string format;
        std::string reference;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "List images");
    command->add_flag("-a,--all", args->all, "Show all images (default hides intermediate images)");
    command->add_flag("-q,--quiet", args->quiet, "Only show image IDs");
    command->add_flag("--no-trunc", args->no_trunc, "Don't truncate output");
    command->add_option("-f,--filter", args->filters, "Filter output based on conditions provided")->allow_extra_args(false);
    command->add_option("--format", args->format, "Format output using a Go template");
    command->add_option("REPOSITORY", args->reference, "Only images of this repository[:tag]");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        std::map<std::string, std::vector<std::string>> filters;
        for (const auto& filter : args->filters) {
            auto eq = filter.find('=');
            if (eq == std::string::npos || eq == 0)
                return Error::invalid("bad format of filter (expected name=value): " + filter);
            filters[filter.substr(0, eq)].push_back(filter.substr(eq + 1));
        }
        if (!args->reference.empty())
            filters["reference"].push_back(args->reference);
        auto* client = TRY(ctx.client());
        auto images = TRY(client->list_images(args->all, filters));
        std::vector<Json> rows;
        std::set<std::string> seen_ids;
        if (images.is_array()) {
            for (const auto& image : images) {
                std::vector<std::string> tags;
                if (image.contains("RepoTags") && image["RepoTags"].is_array())
                    for (const auto& tag : image["RepoTags"])
                        if (tag.is_string() && tag.get<std::string>() != "<none>:<none>")
                            tags.push_back(tag.get<std::string>());
                if (args->quiet) {
                    if (seen_ids.insert(image.value("Id", "")).second)
                        rows.push_back(image_row(image, "", "", args->no_trunc));
                    continue;
                }
                if (tags.empty())
                    rows.push_back(image_row(image, "<none>", "<none>", args->no_trunc));
                for (const auto& tag : tags) {
                    auto [repo, version] = image::split_repo_tag(tag);
                    rows.push_back(image_row(image, repo, version.empty() ? "<none>" : version, args->no_trunc));
                }
            }
        }
        std::string format = args->quiet ? "{{.ID}}" : args->format.empty() ? k_images_format : args->format;
        Json headers {
            { "Repository", "REPOSITORY" }, { "Tag", "TAG" }, { "ID", "IMAGE ID" }, { "CreatedSince", "CREATED" },
            { "CreatedAt", "CREATED AT" }, { "Size", "SIZE" }, { "Digest", "DIGEST" }, { "Containers", "CONTAINERS" },
        };
        print_out(TRY(render_rows(format, rows, headers)));
        return 0;
    });
}

namespace {

void add_image_prune(CLI::App& group, Context& ctx)
{
    struct PruneArgs {
        bool all { false };
        bool force { false };
    };
    auto prune = std::make_shared<PruneArgs>();
    auto* prune_command = group.add_subcommand("prune", "Remove unused images");
    prune_command->add_flag("-a,--all", prune->all, "Remove all unused images, not just dangling ones");
    prune_command->add_flag("-f,--force", prune->force, "Do not prompt for confirmation");
    set_action(prune_command, ctx, [&ctx, prune]() -> Result<int> {
        if (!confirm(prune->all ? "WARNING! This will remove all images without at least one container associated to them."
                                : "WARNING! This will remove all dangling images.",
                prune->force))
            return 0;
        auto* client = TRY(ctx.client());
        auto report = TRY(client->prune_images(prune->all));
        print_out(prune_section(report, "ImagesDeleted", "Images") + "Total reclaimed space: "
            + strings::human_size(reclaimed_space(report)) + "\n");
        return 0;
    });
}

// In the order `glassbox image --help` lists them.
constexpr SubVerb k_image_verbs[] = {
    { { "ls", "list" },
        [](CLI::App& group, Context& ctx) {
            add_images_command(group, ctx, "ls");
            group.get_subcommand("ls")->alias("list");
        } },
    { { "rm", "remove" },
        [](CLI::App& group, Context& ctx) {
            add_rmi_command(group, ctx, "rm");
            group.get_subcommand("rm")->alias("remove");
        } },
    { { "history" }, [](CLI::App& group, Context& ctx) { add_history_command(group, ctx, "history"); } },
    { { "tag" }, [](CLI::App& group, Context& ctx) { add_tag_command(group, ctx, "tag"); } },
    { { "import" }, [](CLI::App& group, Context& ctx) { add_import_command(group, ctx, "import"); } },
    { { "load" }, [](CLI::App& group, Context& ctx) { add_load_command(group, ctx, "load"); } },
    { { "save" }, [](CLI::App& group, Context& ctx) { add_save_command(group, ctx, "save"); } },
    { { "pull" }, [](CLI::App& group, Context& ctx) { add_pull_command(group, ctx, "pull"); } },
    { { "inspect" },
        [](CLI::App& group, Context& ctx) {
            add_typed_inspect_command(group, ctx, "image",
                [](api::Client& client, const std::string& name) { return client.inspect_image(name); });
        } },
    { { "prune" }, add_image_prune },
};

} // namespace

void add_image_command(CLI::App& parent, Context& ctx, std::string_view only)
{
    add_group_verb(parent, ctx, "image", "Manage images", k_image_verbs, only);
}

} // namespace engine::cli
