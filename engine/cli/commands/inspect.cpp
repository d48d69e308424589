// glassbox inspect [--type T] [-f FORMAT] NAME...: like docker, try each object kind in turn
// (container, image, network, volume) and move on only after a 404; print a JSON array with
// 4-space indent, or one --format line per object.
#include "engine/cli/commands/commands.h"

#include "engine/cli/format.h"

namespace engine::cli {

namespace {

std::string upper_noun(std::string noun)
{
    for (auto& c : noun)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return noun;
}

} // namespace

Result<int> print_objects(const std::vector<Json>& objects, const std::string& format)
{
    if (format.empty()) {
        Json array = Json::array();
        for (const auto& object : objects)
            array.push_back(object);
        print_out(array.dump(4) + "\n");
        return 0;
    }
    for (const auto& object : objects)
        print_out(TRY(render_template(format, object)) + "\n");
    return 0;
}

void add_typed_inspect_command(CLI::App& group, Context& ctx, const std::string& noun,
    std::function<Result<Json>(api::Client&, const std::string&)> lookup)
{
    auto args = std::make_shared<std::pair<std::string, std::vector<std::string>>>();
    auto* command = group.add_subcommand("inspect", "Display detailed information on one or more " + noun + "s");
    command->add_option("-f,--format", args->first, "Format output using a Go template");
    command->add_option(upper_noun(noun), args->second, noun + "s to inspect")->required();
    set_action(command, ctx, [&ctx, args, lookup]() -> Result<int> {
        auto* client = TRY(ctx.client());
        std::vector<Json> found;
        int code = for_each_target(args->second, [&](const std::string& target) -> Result<void> {
            found.push_back(TRY(lookup(*client, target)));
            return Ok {};
        });
        TRY(print_objects(found, args->first));
        return code;
    });
}

namespace {

Result<Json> inspect_any(api::Client& client, const std::string& name, const std::string& type)
{
    using Lookup = std::function<Result<Json>()>;
    const std::vector<std::pair<std::string, Lookup>> kinds {
        { "container", [&] { return client.inspect_container(name); } },
        { "image", [&] { return client.inspect_image(name); } },
        { "network", [&] { return client.inspect_network(name); } },
        { "volume", [&] { return client.inspect_volume(name); } },
    };
    bool known_type = type.empty();
    for (const auto& [kind, lookup] : kinds) {
        if (!type.empty() && type != kind)
            continue;
        known_type = true;
        auto found = lookup();
        if (found.ok() || found.error().kind() != ErrorKind::NotFound)
            return found;
        if (!type.empty())
            return found;
    }
    if (!known_type)
        return Error::invalid("\"" + type + "\" is not a valid value for --type (container, image, network, volume)");
    return Error::not_found("Error: No such object: " + name);
}

} // namespace

void add_inspect_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::string format;
        std::string type;
        std::vector<std::string> names;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Return low-level information on glassbox objects");
    command->add_option("-f,--format", args->format, "Format output using a Go template ({{.State.Status}})");
    command->add_option("--type", args->type, "Only inspect objects of the given type");
    command->add_option("NAME", args->names, "Objects to inspect (container, image, network or volume)")->required();
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        std::vector<Json> found;
        std::vector<Error> errors;
        for (const auto& target : args->names) {
            auto object = inspect_any(*client, target, args->type);
            if (object.ok())
                found.push_back(object.release_value());
            else
                errors.push_back(object.release_error());
        }
        TRY(print_objects(found, args->format));
        for (const auto& error : errors)
            print_error(error);
        return errors.empty() ? 0 : 1;
    });
}

} // namespace engine::cli
