// Docker's list filters; see filters.h for the one rule that differs between keys (labels).
#include "engine/daemon/filters.h"

#include <algorithm>
#include <regex>

#include "engine/base/strings.h"
#include "engine/daemon/engine.h"

namespace engine::daemon {

bool label_matches(const std::map<std::string, std::string>& labels, const std::string& filter)
{
    auto eq = filter.find('=');
    auto it = labels.find(filter.substr(0, eq));
    if (it == labels.end())
        return false;
    return eq == std::string::npos || it->second == filter.substr(eq + 1);
}

bool labels_match_all(const std::map<std::string, std::string>& labels, const std::vector<std::string>& filters)
{
    return std::all_of(filters.begin(), filters.end(), [&](const std::string& f) { return label_matches(labels, f); });
}

bool any_value(const Filters& filters, const std::string& key, const std::function<bool(const std::string&)>& test)
{
    auto it = filters.find(key);
    if (it == filters.end() || it->second.empty())
        return true;
    return std::any_of(it->second.begin(), it->second.end(), test);
}

Result<void> check_filter_keys(const Filters& filters, const std::vector<std::string>& known)
{
    for (const auto& [key, _] : filters) {
        if (std::find(known.begin(), known.end(), key) == known.end())
            return Error::invalid("invalid filter '" + key + "'");
    }
    return Ok {};
}

std::optional<bool> filter_bool(const std::string& value)
{
    auto lower = strings::to_lower(value);
    if (lower == "1" || lower == "true")
        return true;
    if (lower == "0" || lower == "false")
        return false;
    return std::nullopt;
}

Result<bool> container_passes_filters(const ContainerView& view, const Filters& filters,
    const ImageResolver& resolve_image)
{
    static const std::vector<std::string> known = { "status", "name", "id", "label", "ancestor", "exited", "network",
        "volume", "before", "since", "is-task", "health", "publish", "expose", "isolation" };
    TRY(check_filter_keys(filters, known));
    if (auto statuses = filters.find("status"); statuses != filters.end()) {
        for (const auto& v : statuses->second) {
            if (v != "created" && v != "restarting" && v != "running" && v != "removing" && v != "paused"
                && v != "exited" && v != "dead")
                return Error::invalid("invalid filter 'status=" + v + "'");
        }
    }
    auto status = std::string(status_name(view.state.status));
    if (!any_value(filters, "status", [&](const std::string& v) { return v == status; }))
        return false;
    bool name_ok = true;
    try {
        name_ok = any_value(filters, "name",
            [&](const std::string& v) { return std::regex_search("/" + view.name, std::regex(v)); });
    } catch (const std::regex_error&) {
        return Error::invalid("invalid filter 'name': not a valid regular expression");
    }
    if (!name_ok)
        return false;
    if (!any_value(filters, "id", [&](const std::string& v) { return strings::starts_with(view.id, v); }))
        return false;
    if (auto labels = filters.find("label"); labels != filters.end() && !labels_match_all(view.config.labels, labels->second))
        return false;
    auto health = view.state.health.status.empty() ? std::string("none") : view.state.health.status;
    if (!any_value(filters, "health", [&](const std::string& v) { return v == health; }))
        return false;
    if (!any_value(filters, "exited", [&](const std::string& v) {
            return view.state.status == Status::Exited && std::to_string(view.state.exit_code) == v;
        }))
        return false;
    if (!any_value(filters, "ancestor", [&](const std::string& v) {
            if (v == view.config.image.text || v == view.image_id)
                return true;
            auto resolved = resolve_image ? resolve_image(v) : std::nullopt;
            return resolved && *resolved == view.image_id;
        }))
        return false;
    if (!any_value(filters, "network", [&](const std::string& v) {
            return view.config.network_mode.text() == v
                || std::any_of(view.endpoints.begin(), view.endpoints.end(),
                    [&](const EndpointInfo& e) { return e.network_name == v || e.network_id == v; });
        }))
        return false;
    if (!any_value(filters, "volume", [&](const std::string& v) {
            return std::any_of(view.mounts.begin(), view.mounts.end(),
                [&](const MountPoint& m) { return m.name == v || m.destination == v || m.source == v; });
        }))
        return false;
    return true;
}

} // namespace engine::daemon
