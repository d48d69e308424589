// The daemon's image lists: which images `images` shows and which `image prune` removes, with
// Docker's filters (filters.h). The API handler only turns the result into JSON.
// No kernel interfaces. Lesson: lessons/02-dockerfiles-images/.
#include <fnmatch.h>

#include "engine/daemon/engine.h"

namespace engine::daemon {

namespace {

// `reference` filters are globs on "name:tag" or on the name alone, as `docker images 'busy*'`.
bool reference_matches(const image::ImageRecord& record, const std::string& pattern)
{
    for (const auto& tag : record.repo_tags) {
        auto colon = tag.rfind(':');
        auto name = colon == std::string::npos ? tag : tag.substr(0, colon);
        if (::fnmatch(pattern.c_str(), tag.c_str(), 0) == 0 || ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0)
            return true;
    }
    return false;
}

std::map<std::string, std::string> image_labels(const image::ImageRecord& record)
{
    return record.config.defaults().labels.value_or(std::map<std::string, std::string> {});
}

// The one `dangling` value (dockerd refuses anything but a boolean).
Result<std::optional<bool>> dangling_filter(const Filters& filters)
{
    auto it = filters.find("dangling");
    if (it == filters.end() || it->second.empty())
        return std::optional<bool> {};
    auto value = filter_bool(it->second.front());
    if (!value)
        return Error::invalid("invalid filter 'dangling=" + it->second.front() + "'");
    return value;
}

} // namespace

Result<std::vector<Engine::ImageView>> Engine::list_images(const Filters& filters) const
{
    TRY(check_filter_keys(filters, { "reference", "dangling", "label", "before", "since" }));
    auto dangling = TRY(dangling_filter(filters));
    // before/since name an image; the list keeps those created before (or after) it.
    std::optional<std::int64_t> before, since;
    for (auto [key, bound] : { std::pair { "before", &before }, std::pair { "since", &since } }) {
        auto it = filters.find(key);
        if (it == filters.end() || it->second.empty())
            continue;
        auto other = TRY(m_images->resolve(it->second.front()));
        *bound = other.created;
    }
    auto usage = image_usage();
    std::vector<ImageView> out;
    for (auto& record : m_images->list()) {
        if (!any_value(filters, "reference", [&](const std::string& v) { return reference_matches(record, v); }))
            continue;
        if (dangling && *dangling != record.repo_tags.empty())
            continue;
        if (auto labels = filters.find("label"); labels != filters.end() && !labels_match_all(image_labels(record), labels->second))
            continue;
        if ((before && record.created >= *before) || (since && record.created <= *since))
            continue;
        auto used = usage.find(record.id);
        int containers = used == usage.end() ? 0 : used->second;
        out.push_back({ std::move(record), containers });
    }
    return out;
}

Result<Engine::ImagePrune> Engine::prune_images(const Filters& filters)
{
    TRY(check_filter_keys(filters, { "dangling", "label" }));
    bool dangling_only = TRY(dangling_filter(filters)).value_or(true);
    auto usage = image_usage();
    ImagePrune pruned;
    for (const auto& record : m_images->list()) {
        if (auto used = usage.find(record.id); used != usage.end() && used->second > 0)
            continue;
        if (dangling_only && !record.repo_tags.empty())
            continue;
        if (auto labels = filters.find("label"); labels != filters.end() && !labels_match_all(image_labels(record), labels->second))
            continue;
        auto removed = remove_image(record.id, true);
        if (!removed.ok())
            continue; // Shared with a child image, for example; keep it.
        for (auto& item : removed.value())
            pruned.deleted.push_back(std::move(item));
        pruned.reclaimed += record.size;
    }
    return pruned;
}

Result<std::vector<volume::Volume>> Engine::list_volumes(const Filters& filters) const
{
    TRY(check_filter_keys(filters, { "name", "driver", "label", "dangling" }));
    auto dangling = TRY(dangling_filter(filters));
    std::vector<volume::Volume> out;
    for (auto& volume : m_volumes->list()) {
        if (!any_value(filters, "name", [&](const std::string& v) { return volume.name.find(v) != std::string::npos; }))
            continue;
        if (!any_value(filters, "driver", [&](const std::string& v) { return v == volume.driver; }))
            continue;
        if (auto labels = filters.find("label"); labels != filters.end() && !labels_match_all(volume.labels, labels->second))
            continue;
        if (dangling && *dangling != volume_users(volume.name).empty())
            continue;
        out.push_back(std::move(volume));
    }
    return out;
}

} // namespace engine::daemon
