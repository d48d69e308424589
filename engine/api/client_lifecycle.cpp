// Client calls for the container lifecycle verbs that came with docker update and events:
// POST /containers/{id}/update and the GET /events stream.
#include "engine/api/client.h"

namespace engine::api {

Result<std::vector<std::string>> Client::update_container(const std::string& id, const Json& resources) const
{
    auto answer = TRY(post_json("/containers/" + id + "/update", resources));
    std::vector<std::string> warnings;
    if (answer.is_object() && answer.contains("Warnings") && answer["Warnings"].is_array())
        for (const auto& warning : answer["Warnings"])
            if (warning.is_string())
                warnings.push_back(warning.get<std::string>());
    return warnings;
}

Result<void> Client::events(const std::string& since, const std::string& until,
    const std::map<std::string, std::vector<std::string>>& filters, const std::function<bool(const Json&)>& on_event) const
{
    std::vector<std::pair<std::string, std::string>> params;
    if (!since.empty())
        params.emplace_back("since", since);
    if (!until.empty())
        params.emplace_back("until", until);
    if (!filters.empty())
        params.emplace_back("filters", encode_filters(filters));
    std::string pending;
    std::optional<Error> bad;
    auto result = stream("GET", versioned("/events") + query_string(params), {}, [&](std::string_view data) {
        pending.append(data);
        for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
            auto line = pending.substr(0, newline);
            pending.erase(0, newline + 1);
            if (line.find_first_not_of(" \r\t") == std::string::npos)
                continue;
            Json event;
            try {
                event = Json::parse(line);
            } catch (const std::exception& error) {
                bad = Error::invalid(std::string("daemon sent an invalid event: ") + error.what());
                return false;
            }
            if (!on_event(event))
                return false;
        }
        return true;
    });
    if (bad)
        return *bad;
    return result;
}

} // namespace engine::api
