// Layer sharing report: count, per distinct diff id, the images that hold it.
#include "engine/build/layer_sharing.h"

#include <algorithm>
#include <map>

namespace engine::build {

LayerSharingReport layer_sharing(const std::vector<image::ImageRecord>& images)
{
    LayerSharingReport report;
    std::map<std::string, size_t> index; // diff id -> position in report.layers.
    for (const auto& image : images) {
        for (const auto& layer : image.layers) {
            auto [it, inserted] = index.emplace(layer.diff_id, report.layers.size());
            if (inserted) {
                report.layers.push_back({ layer.diff_id, layer.size, {} });
                report.total_layer_bytes += layer.size;
            }
            auto& ids = report.layers[it->second].image_ids;
            // An image that holds the same layer twice (two identical RUN steps) counts once.
            if (std::find(ids.begin(), ids.end(), image.id) == ids.end())
                ids.push_back(image.id);
        }
    }
    for (const auto& image : images) {
        ImageUsage usage;
        usage.id = image.id;
        usage.repo_tags = image.repo_tags;
        std::map<std::string, bool> counted;
        for (const auto& layer : image.layers) {
            usage.layers.push_back(layer.diff_id);
            if (counted[layer.diff_id])
                continue;
            counted[layer.diff_id] = true;
            usage.size += layer.size;
            if (report.layers[index.at(layer.diff_id)].image_ids.size() > 1)
                usage.shared_size += layer.size;
        }
        usage.unique_size = usage.size - usage.shared_size;
        report.naive_bytes += usage.size;
        report.images.push_back(std::move(usage));
    }
    return report;
}

LayerSharingReport layer_sharing(const image::Store& store) { return layer_sharing(store.list()); }

} // namespace engine::build
