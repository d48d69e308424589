// glassbox events [-f KEY=VALUE]... [--since T] [--until T] [--format TEMPLATE]: GET /events,
// printed as docker prints them ("<time> container start <id> (image=..., name=...)") or
// through a Go-style template ("json" for one JSON object a line). Runs until --until or Ctrl-C.
#include <ctime>

#include "engine/base/strings.h"
#include "engine/cli/commands/commands.h"
#include "engine/cli/format.h"

namespace engine::cli {

namespace {

// docker's default line: RFC 3339 time with nanoseconds in UTC, type, action, actor id and the
// attributes sorted by key.
std::string event_line(const Json& event)
{
    std::int64_t nanos = event.value("timeNano", std::int64_t { 0 });
    if (nanos == 0)
        nanos = event.value("time", std::int64_t { 0 }) * 1000000000;
    std::time_t seconds = static_cast<std::time_t>(nanos / 1000000000);
    std::tm utc {};
    ::gmtime_r(&seconds, &utc);
    char stamp[64];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%09lld", static_cast<long long>(nanos % 1000000000));
    const Json actor = event.value("Actor", Json::object());
    std::string line = std::string(stamp) + fraction + "Z " + event.value("Type", "") + " " + event.value("Action", "")
        + " " + actor.value("ID", "");
    std::vector<std::string> attributes;
    if (actor.contains("Attributes") && actor["Attributes"].is_object())
        for (const auto& [key, value] : actor["Attributes"].items())
            attributes.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
    if (!attributes.empty())
        line += " (" + strings::join(attributes, ", ") + ")";
    return line + "\n";
}

} // namespace

void add_events_command(CLI::App& parent, Context& ctx, const std::string& name)
{
    struct Args {
        std::vector<std::string> filters;
        std::string since, until, format;
    };
    auto args = std::make_shared<Args>();
    auto* command = parent.add_subcommand(name, "Get real time events from the server");
    command->add_option("-f,--filter", args->filters, "Filter output based on conditions provided (KEY=VALUE)");
    command->add_option("--since", args->since, "Show all events created since timestamp");
    command->add_option("--until", args->until, "Stream events until this timestamp");
    command->add_option("--format", args->format, "Format the output using the given Go template, or json");
    set_action(command, ctx, [&ctx, args]() -> Result<int> {
        auto* client = TRY(ctx.client());
        std::map<std::string, std::vector<std::string>> filters;
        for (const auto& filter : args->filters) {
            auto equals = filter.find('=');
            if (equals == std::string::npos)
                return Error::invalid("bad format of filter (expected name=value): " + filter);
            filters[filter.substr(0, equals)].push_back(filter.substr(equals + 1));
        }
        std::optional<Error> failed;
        TRY(client->events(args->since, args->until, filters, [&](const Json& event) {
            std::string text;
            if (args->format.empty()) {
                text = event_line(event);
            } else if (args->format == "json" || args->format == "{{json .}}") {
                text = event.dump() + "\n";
            } else {
                auto rendered = render_template(args->format, event);
                if (!rendered.ok()) {
                    failed = rendered.release_error();
                    return false;
                }
                text = rendered.value() + "\n";
            }
            return write_fd(1, text);
        }));
        if (failed)
            return *failed;
        return 0;
    });
}

} // namespace engine::cli
