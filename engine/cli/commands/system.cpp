// glassbox system df/info/prune/reset. df: GET /system/df as docker's TYPE/TOTAL/ACTIVE/SIZE/
// RECLAIMABLE table (-v lists each object). prune: containers, networks, images (and volumes
// with --volumes) through their prune endpoints. reset: removes every container, user network,
// volume and image through the API, then asks the daemon to clean kernel leftovers
// (POST /glassbox/v1/system/reset) when it offers that.
#include "engine/cli/commands/commands.h"

#include "engine/base/strings.h"
#include "engine/cli/format.h"
#include "engine/image/reference.h"

namespace engine::cli {

std::string render_info(const Json& info, const std::string& socket_path);

std::string prune_section(const Json& report, const std::string& key, const std::string& title)
{
    if (!report.is_object() || !report.contains(key) || !report[key].is_array() || report[key].empty())
        return "";
    std::string out = "Deleted " + title + ":\n";
    for (const auto& entry : report[key]) {
        if (!entry.is_object()) {
            out += go_value(entry) + "\n";
            continue;
        }
        for (const auto& [kind, value] : entry.items())
            out += (kind == "Untagged" ? "untagged: " : "deleted: ") + go_value(value) + "\n";
    }
    return out + "\n";
}

std::uint64_t reclaimed_space(const Json& report)
{
    if (!report.is_object() || !report.contains("SpaceReclaimed") || !report["SpaceReclaimed"].is_number())
        return 0;
    return report["SpaceReclaimed"].get<std::uint64_t>();
}

namespace {

std::uint64_t number(const Json& object, const char* key)
{
    if (!object.is_object() || !object.contains(key) || !object[key].is_number())
        return 0;
    auto value = object[key].get<std::int64_t>();
    return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

std::string reclaimable(std::uint64_t bytes, std::uint64_t total)
{
    std::string text = strings::human_size(bytes);
    if (total > 0)
        text += " (" + std::to_string(bytes * 100 / total) + "%)";
    return text;
}

std::string render_df(const Json& df, bool verbose)
{
    const Json empty = Json::array();
    const Json& images = df.contains("Images") && df["Images"].is_array() ? df["Images"] : empty;
    const Json& containers = df.contains("Containers") && df["Containers"].is_array() ? df["Containers"] : empty;
    const Json& volumes = df.contains("Volumes") && df["Volumes"].is_array() ? df["Volumes"] : empty;

    std::uint64_t image_size = number(df, "LayersSize");
    std::uint64_t image_unused = 0;
    size_t image_active = 0;
    for (const auto& image : images) {
        if (number(image, "Containers") > 0)
            ++image_active;
        else
            image_unused += number(image, "Size") > number(image, "SharedSize") ? number(image, "Size") - number(image, "SharedSize") : 0;
    }
    std::uint64_t container_size = 0;
    std::uint64_t container_unused = 0;
    size_t container_active = 0;
    for (const auto& container : containers) {
        container_size += number(container, "SizeRw");
        if (container.value("State", "") == "running")
            ++container_active;
        else
            container_unused += number(container, "SizeRw");
    }
    std::uint64_t volume_size = 0;
    std::uint64_t volume_unused = 0;
    size_t volume_active = 0;
    for (const auto& volume : volumes) {
        const Json usage = volume.contains("UsageData") && volume["UsageData"].is_object() ? volume["UsageData"] : Json::object();
        volume_size += number(usage, "Size");
        if (number(usage, "RefCount") > 0)
            ++volume_active;
        else
            volume_unused += number(usage, "Size");
    }
    std::vector<std::string> lines { "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE" };
    lines.push_back("Images\t" + std::to_string(images.size()) + "\t" + std::to_string(image_active) + "\t"
        + strings::human_size(image_size) + "\t" + reclaimable(image_unused, image_size));
    lines.push_back("Containers\t" + std::to_string(containers.size()) + "\t" + std::to_string(container_active) + "\t"
        + strings::human_size(container_size) + "\t" + reclaimable(container_unused, container_size));
    lines.push_back("Local Volumes\t" + std::to_string(volumes.size()) + "\t" + std::to_string(volume_active) + "\t"
        + strings::human_size(volume_size) + "\t" + reclaimable(volume_unused, volume_size));
    lines.push_back("Build Cache\t0\t0\t" + strings::human_size(number(df, "BuilderSize")) + "\t0B");
    std::string out = align_columns(lines);
    if (!verbose)
        return out;

    std::vector<std::string> image_lines { "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS" };
    for (const auto& image : images) {
        std::string reference = "<none>:<none>";
        if (image.contains("RepoTags") && image["RepoTags"].is_array() && !image["RepoTags"].empty())
            reference = go_value(image["RepoTags"][0]);
        auto [repo, tag] = image::split_repo_tag(reference);
        std::int64_t created = image.contains("Created") && image["Created"].is_number() ? image["Created"].get<std::int64_t>() : 0;
        std::uint64_t size = number(image, "Size");
        std::uint64_t shared = number(image, "SharedSize");
        image_lines.push_back(repo + "\t" + tag + "\t" + short_id(image.value("Id", ""))
            + "\t" + time_ago(created) + "\t" + strings::human_size(size) + "\t" + strings::human_size(shared) + "\t"
            + strings::human_size(size > shared ? size - shared : 0) + "\t" + std::to_string(number(image, "Containers")));
    }
    std::vector<std::string> container_lines { "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES" };
    for (const auto& container : containers) {
        std::string names;
        if (container.contains("Names") && container["Names"].is_array() && !container["Names"].empty()) {
            names = go_value(container["Names"][0]);
            if (!names.empty() && names[0] == '/')
                names.erase(0, 1);
        }
        std::int64_t created = container.contains("Created") && container["Created"].is_number() ? container["Created"].get<std::int64_t>() : 0;
        size_t local_volumes = container.contains("Mounts") && container["Mounts"].is_array() ? container["Mounts"].size() : 0;
        container_lines.push_back(short_id(container.value("Id", "")) + "\t" + container.value("Image", "") + "\t\""
            + ellipsis(container.value("Command", ""), 20) + "\"\t" + std::to_string(local_volumes) + "\t"
            + strings::human_size(number(container, "SizeRw")) + "\t" + time_ago(created) + "\t" + container.value("Status", "")
            + "\t" + names);
    }
    std::vector<std::string> volume_lines { "VOLUME NAME\tLINKS\tSIZE" };
    for (const auto& volume : volumes) {
        const Json usage = volume.contains("UsageData") && volume["UsageData"].is_object() ? volume["UsageData"] : Json::object();
        volume_lines.push_back(volume.value("Name", "") + "\t" + std::to_string(number(usage, "RefCount")) + "\t"
            + strings::human_size(number(usage, "Size")));
    }
    // Which images share each layer (glassbox's GlassboxLayers field): a layer is stored once.
    std::vector<std::string> layer_lines { "LAYER\tSIZE\tIMAGES" };
    if (df.contains("GlassboxLayers") && df["GlassboxLayers"].is_array()) {
        for (const auto& layer : df["GlassboxLayers"]) {
            std::vector<std::string> holders;
            if (layer.contains("Images") && layer["Images"].is_array())
                for (const auto& holder : layer["Images"])
                    holders.push_back(go_value(holder));
            auto diff_id = layer.value("DiffID", "");
            layer_lines.push_back(short_id(diff_id) + "\t" + strings::human_size(number(layer, "Size")) + "\t"
                + strings::join(holders, ", "));
        }
    }
    return "Images space usage:\n\n" + align_columns(image_lines) + "\nLayers (each stored once) and the images that share them:\n\n"
        + align_columns(layer_lines) + "\nContainers space usage:\n\n"
        + align_columns(container_lines) + "\nLocal Volumes space usage:\n\n" + align_columns(volume_lines)
        + "\nBuild cache usage: " + strings::human_size(number(df, "BuilderSize")) + "\n";
}

// Removes every object of every kind through the API; returns how many removals failed.
Result<int> reset_objects(api::Client& client)
{
    int failures = 0;
    auto note = [&](const Result<void>& result) {
        if (!result.ok()) {
            print_error(result.error());
            ++failures;
        }
    };
    auto containers = TRY(client.list_containers({ .all = true, .filters = {}, .size = false }));
    for (const auto& container : containers)
        note(client.remove_container(container.value("Id", ""), true, true));
    auto networks = TRY(client.list_networks());
    for (const auto& network : networks) {
        std::string name = network.value("Name", "");
        if (name == "bridge" || name == "host" || name == "none")
            continue;
        note(client.remove_network(network.value("Id", name)));
    }
    auto volumes = TRY(client.list_volumes());
    if (volumes.contains("Volumes") && volumes["Volumes"].is_array())
        for (const auto& volume : volumes["Volumes"])
            note(client.remove_volume(volume.value("Name", ""), true));
    auto images = TRY(client.list_images(true, {}));
    for (const auto& image : images) {
        auto removed = client.remove_image(image.value("Id", ""), true);
        // An image already removed as the parent of an earlier one is not a failure.
        if (!removed.ok() && removed.error().kind() != ErrorKind::NotFound)
            note(removed.release_error());
    }
    return failures;
}

} // namespace

void add_system_command(CLI::App& parent, Context& ctx)
{
    auto* group = parent.add_subcommand("system", "Manage glassbox");
    group->require_subcommand(1);

    auto verbose = std::make_shared<bool>(false);
    auto* df = group->add_subcommand("df", "Show glassbox disk usage");
    df->add_flag("-v,--verbose", *verbose, "Show detailed information on space usage");
    set_action(df, ctx, [&ctx, verbose]() -> Result<int> {
        auto* client = TRY(ctx.client());
        print_out(render_df(TRY(client->system_df(*verbose)), *verbose));
        return 0;
    });

    add_info_command(*group, ctx, "info");

    struct PruneArgs {
        bool all { false };
        bool volumes { false };
        bool force { false };
    };
    auto prune = std::make_shared<PruneArgs>();
    auto* prune_command = group->add_subcommand("prune", "Remove unused data");
    prune_command->add_flag("-a,--all", prune->all, "Remove all unused images not just dangling ones");
    prune_command->add_flag("--volumes", prune->volumes, "Prune anonymous volumes");
    prune_command->add_flag("-f,--force", prune->force, "Do not prompt for confirmation");
    set_action(prune_command, ctx, [&ctx, prune]() -> Result<int> {
        std::string warning = "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n";
        if (prune->volumes)
            warning += "  - all anonymous volumes not used by at least one container\n";
        warning += prune->all ? "  - all images without at least one container associated to them" : "  - all dangling images";
        if (!confirm(warning, prune->force))
            return 0;
        auto* client = TRY(ctx.client());
        auto report = TRY(client->system_prune(prune->all, prune->volumes));
        std::string out = prune_section(report["Containers"], "ContainersDeleted", "Containers")
            + prune_section(report["Networks"], "NetworksDeleted", "Networks");
        std::uint64_t reclaimed = reclaimed_space(report["Containers"]) + reclaimed_space(report["Images"]);
        if (report.contains("Volumes")) {
            out += prune_section(report["Volumes"], "VolumesDeleted", "Volumes");
            reclaimed += reclaimed_space(report["Volumes"]);
        }
        out += prune_section(report["Images"], "ImagesDeleted", "Images");
        print_out(out + "Total reclaimed space: " + strings::human_size(reclaimed) + "\n");
        return 0;
    });

    struct ResetArgs {
        bool force { false };
        bool everything { false };
    };
    auto reset_args = std::make_shared<ResetArgs>();
    auto* reset = group->add_subcommand("reset",
        "Stop and remove every container and every kernel object and mount glassbox made "
        "(bridges, veths, netns files, nft tables, cgroups, overlay mounts); --all also removes "
        "user networks, volumes and images");
    reset->add_flag("-f,--force", reset_args->force, "Do not prompt for confirmation");
    reset->add_flag("-a,--all", reset_args->everything, "Also remove user networks, volumes and images");
    set_action(reset, ctx, [&ctx, reset_args]() -> Result<int> {
        auto warning = reset_args->everything ? "WARNING! This will remove ALL containers, user networks, volumes and images, and every kernel object glassbox made."
                                              : "WARNING! This will remove ALL containers and every kernel object glassbox made (images and volumes stay).";
        if (!confirm(warning, reset_args->force))
            return 0;
        auto* client = TRY(ctx.client());
        int failures = reset_args->everything ? TRY(reset_objects(*client)) : 0;
        // The daemon sweeps the kernel: it knows every mount, link, table and cgroup it made.
        auto cleaned = client->request_ok("POST", "/glassbox/v1/system/reset?all=1");
        if (!cleaned.ok()) {
            print_error(cleaned.error());
            return 1;
        }
        try {
            auto answer = nlohmann::json::parse(cleaned.value().body);
            if (answer.contains("message")) {
                print_error(Error::system(answer["message"].get<std::string>()));
                return 1;
            }
            for (const auto& line : answer.value("Removed", nlohmann::json::array()))
                print_out(line.get<std::string>() + "\n");
        } catch (const nlohmann::json::exception&) {
        }
        print_out(failures == 0 ? "Reset complete\n" : "Reset finished with errors\n");
        return failures == 0 ? 0 : 1;
    });
}

} // namespace engine::cli
