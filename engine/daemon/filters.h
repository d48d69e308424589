// The `filters` of Docker's list endpoints (containers, images, volumes, networks, events), in
// one place so every list treats them alike. Within one key the values are alternatives (any may
// match), except `label`: every label value must match, as dockerd's MatchKVList does, because a
// client asking for `label=a=1` and `label=b=2` wants the objects carrying both (docker-compose
// finds a service's containers by its project and service labels together). No kernel interfaces.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.h"

namespace engine::daemon {

struct ContainerView;

// Filters as the Docker API sends them: key -> accepted values.
using Filters = std::map<std::string, std::vector<std::string>>;

// `filter` is "key" (the label is present) or "key=value" (present with that value).
bool label_matches(const std::map<std::string, std::string>& labels, const std::string& filter);
// True when every filter in `filters` matches (no filters: true).
bool labels_match_all(const std::map<std::string, std::string>& labels, const std::vector<std::string>& filters);
// True when `key` is absent or empty, or `test` holds for at least one of its values.
bool any_value(const Filters& filters, const std::string& key, const std::function<bool(const std::string&)>& test);
// InvalidArgument "invalid filter 'KEY'" for the first key not in `known`, as dockerd words it.
Result<void> check_filter_keys(const Filters& filters, const std::vector<std::string>& known);
// "1"/"true"/"0"/"false" (the values dockerd accepts for `dangling`); nullopt otherwise.
std::optional<bool> filter_bool(const std::string& value);

// Docker's `ps` filters for one container: status, name (a regular expression on "/name"), id
// prefix, label, ancestor (by reference or image id; `resolve_image` maps a reference to an id,
// or nullopt), exited, network, volume (name, destination or source), health. InvalidArgument
// for an unknown key, a bad status or a bad name expression.
using ImageResolver = std::function<std::optional<std::string>(const std::string& reference)>;
Result<bool> container_passes_filters(const ContainerView& view, const Filters& filters,
    const ImageResolver& resolve_image);

} // namespace engine::daemon
